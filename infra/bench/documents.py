"""Section: the credit memo document (spec section 12): the document function's cold start, and a
warm first rendering and an archived answer for memos of 1 and 300 lines.

Cold start: a new process imports the function and answers one first rendering of a new memo
(``cold_start``'s child, the environment ``make run`` gives the function: the local folder archive
and the sample seller). Warm: in this process, each sample a new Posted memo's first document
(rendered and stored: the rendering's time) and then the same again (the archive's answer).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from infra.bench.context import Bench, new_account, new_key
from infra.bench.report import Section, median

FUNCTION = "RenderCreditMemoDocumentFunction"
PROFILE = {
    "name": "Benchmark Kunde GmbH",
    "language": "de",
    "address": {"line1": "Hauptstraße 1", "city": "Berlin", "postalCode": "10115", "country": "DE"},
    "vatId": "DE123456789",
}


def _posted_memo(bench: Bench, lines: int) -> str:
    account = new_account("documents")
    bench.api.ok("PUT", f"/billing-accounts/{account}", PROFILE, key=new_key())
    charges = [
        {
            "chargeAmount": "10.00",
            "productName": f"Product {i}",
            "taxes": [{"taxAmount": "1.90", "taxRate": "19"}],
        }
        for i in range(lines)
    ]
    body = {"billingAccountId": account, "currency": "EUR", "charges": charges, "reasonCode": "Goodwill"}
    memo: dict[str, Any] = bench.api.ok("POST", "/credit-memos", body, key=new_key())
    return str(memo["id"])


def _get_document(bench: Bench, memo_id: str, document_format: str) -> float:
    prepared = bench.api.prepare(
        "GET", f"/credit-memos/{memo_id}/document", query={"format": document_format}
    )
    started = time.perf_counter()
    raw = prepared.handler(prepared.event, prepared.context)
    elapsed = time.perf_counter() - started
    if raw["statusCode"] != 200:
        raise RuntimeError(f"document of {memo_id}: {raw['statusCode']} {raw.get('body')}")
    return elapsed


def _warm(bench: Bench, lines: int, samples: int, document_format: str) -> dict[str, Any]:
    first, archived = [], []
    _get_document(bench, _posted_memo(bench, lines), document_format)  # imports, clients, caches
    for _ in range(samples):
        memo_id = _posted_memo(bench, lines)
        first.append(_get_document(bench, memo_id, document_format))
        archived.append(_get_document(bench, memo_id, document_format))
    return {
        "case": f"warm, {lines} line{'s' if lines > 1 else ''}, {document_format}",
        "samples": samples,
        "first_ms": round(median(first) * 1000, 1),
        "first_ms_max": round(max(first) * 1000, 1),
        "archived_ms": round(median(archived) * 1000, 1),
    }


def _cold(bench: Bench, samples: int) -> dict[str, Any]:
    from infra.bench.cold_start import _cpu, _handler_run, _wall

    function = bench.template.find_function(FUNCTION)
    runs = []
    with tempfile.TemporaryDirectory() as directory:
        for _ in range(samples):
            memo_id = _posted_memo(bench, 1)
            event = bench.api.prepare("GET", f"/credit-memos/{memo_id}/document").event
            path = Path(directory) / f"event-{time.perf_counter_ns()}.json"
            path.write_text(json.dumps(event))
            runs.append(_handler_run(bench, function, path))
    return {
        "case": "cold start + first rendering, 1 line, pdf",
        "samples": samples,
        "first_ms": round(median([_wall(r) for r in runs]) * 1000, 1),
        "first_ms_max": round(max(_wall(r) for r in runs) * 1000, 1),
        "cpu_ms": round(median([_cpu(r) for r in runs]) * 1000, 1),
    }


def run(bench: Bench) -> Section:
    started = time.perf_counter()
    samples = 1 if bench.smoke else (3 if bench.quick else 10)
    section = Section(
        "documents",
        "Credit memo documents: the document function's cold start and warm renderings",
        [
            ("case", "case"),
            ("samples", "samples"),
            ("first_ms", "first rendering ms (median)"),
            ("first_ms_max", "max ms"),
            ("archived_ms", "archived answer ms"),
            ("cpu_ms", "CPU ms"),
        ],
    )
    from credit_memos.api.documents import document_tools
    from credit_memos.settings import get_settings

    from infra.local.lambda_runtime import SAMPLE_SELLER

    saved = dict(os.environ)
    with tempfile.TemporaryDirectory() as archive:
        os.environ.update(SAMPLE_SELLER | {"DOCUMENT_ARCHIVE_DIR": archive})
        get_settings.cache_clear()
        document_tools.cache_clear()
        try:
            bench.log("  documents: cold start")
            section.rows.append(_cold(bench, max(1, samples // 2)))
            for lines in (1, 300):
                bench.log(f"  documents: warm, {lines} lines")
                section.rows.append(_warm(bench, lines, samples, "pdf"))
            section.rows.append(_warm(bench, 300, samples, "ubl"))
        finally:
            os.environ.clear()
            os.environ.update(saved)
            get_settings.cache_clear()
            document_tools.cache_clear()
    section.notes.append(
        "first rendering: a new Posted memo's first request (rendered, stored in the archive, here the "
        "local folder); archived answer: the same request again (the memo's read and the archive's read)."
    )
    section.seconds = time.perf_counter() - started
    return section
