"""The document function's per-container tools: the archive its settings name (an S3 bucket, else
a local folder) and the renderer, whose libraries are imported on the first rendering only."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from credit_memos.commands.documents import DocumentTools
from credit_memos.ports import DocumentArchive
from credit_memos.settings import get_settings


def render(note: Any, document_format: Any) -> bytes:
    """``credit_memos.documents.render``, imported when a document is first rendered: a request
    answered from the archive never loads the rendering libraries."""
    from credit_memos.documents.render import render as render_document

    return render_document(note, document_format)


@lru_cache(maxsize=1)
def document_tools() -> DocumentTools:
    settings = get_settings()
    archive: DocumentArchive
    if settings.document_archive_bucket:
        from botocore.config import Config

        from credit_memos.adapters.aws import S3, create_client
        from credit_memos.adapters.s3_archive import S3DocumentArchive

        config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)
        client = create_client(
            S3, region=settings.region, endpoint_url=settings.s3_endpoint_url, config=config
        )
        archive = S3DocumentArchive(client, settings.document_archive_bucket)
    else:
        from credit_memos.adapters.folder_archive import FolderDocumentArchive

        archive = FolderDocumentArchive(Path(settings.document_archive_dir))
    return DocumentTools(archive, render, settings)
