"""The document archive on S3: a bucket with Object Lock in compliance mode, written once per key."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from credit_memos.errors import ServiceUnavailable

# S3's answers to a conditional put (If-None-Match: *) that finds the key taken, or a racing
# conditional put of the same key still in flight.
_TAKEN = frozenset(("PreconditionFailed", "ConditionalRequestConflict"))
_ABSENT = frozenset(("NoSuchKey", "404", "NotFound"))


class S3DocumentArchive:
    """``credit_memos.ports.DocumentArchive`` on an S3 bucket. The bucket's default retention
    (Object Lock, compliance mode) applies to every object: nobody can replace or delete one before
    it ends, and the conditional put keeps a second first rendering from even adding a version."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def get(self, key: str) -> bytes | None:
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=key)
            return bytes(response["Body"].read())
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _ABSENT:
                return None
            raise _unavailable() from error
        except BotoCoreError as error:
            raise _unavailable() from error

    def put_new(self, key: str, content: bytes, content_type: str) -> bytes:
        try:
            # Object Lock buckets require an integrity checksum on every put.
            self._client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=content,
                ContentType=content_type,
                IfNoneMatch="*",
                ChecksumAlgorithm="SHA256",
            )
            return content
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in _TAKEN:
                raise _unavailable() from error
        except BotoCoreError as error:
            raise _unavailable() from error
        stored = self.get(key)  # another request issued it first: that one is the document
        if stored is None:
            raise _unavailable()
        return stored


def _unavailable() -> ServiceUnavailable:
    return ServiceUnavailable("the document archive did not answer; retry the request")
