"""The document archive's S3 adapter on moto, with a bucket as the template makes it (Object Lock,
compliance mode): absent keys, first writes, racing first writes, retention on what is stored."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from credit_memos.adapters.s3_archive import S3DocumentArchive
from moto import mock_aws

BUCKET = "credit-memos-archive"
KEY = "credit-notes/cm_1/posted.pdf"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
        client.put_object_lock_configuration(
            Bucket=BUCKET,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 2557}},
            },
        )
        yield client


def test_a_document_not_issued_is_absent(s3: Any) -> None:
    assert S3DocumentArchive(s3, BUCKET).get(KEY) is None


def test_the_first_write_is_kept_under_compliance_retention(s3: Any) -> None:
    archive = S3DocumentArchive(s3, BUCKET)
    assert archive.put_new(KEY, b"%PDF-first", "application/pdf") == b"%PDF-first"
    assert archive.get(KEY) == b"%PDF-first"
    head = s3.head_object(Bucket=BUCKET, Key=KEY)
    assert head["ContentType"] == "application/pdf"
    assert head["ObjectLockMode"] == "COMPLIANCE"


def test_a_later_first_write_gets_the_stored_document_and_adds_no_version(s3: Any) -> None:
    archive = S3DocumentArchive(s3, BUCKET)
    archive.put_new(KEY, b"%PDF-first", "application/pdf")
    assert archive.put_new(KEY, b"%PDF-second", "application/pdf") == b"%PDF-first"
    versions = s3.list_object_versions(Bucket=BUCKET, Prefix=KEY).get("Versions", [])
    assert len(versions) == 1


def test_racing_first_writes_all_answer_the_one_stored(s3: Any) -> None:
    archive = S3DocumentArchive(s3, BUCKET)
    barrier = threading.Barrier(6)
    answers: list[bytes] = []

    def issue(n: int) -> None:
        barrier.wait()
        answers.append(archive.put_new(KEY, f"%PDF-{n}".encode(), "application/pdf"))

    threads = [threading.Thread(target=issue, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = archive.get(KEY)
    assert stored is not None and answers == [stored] * 6
