"""The document archive in a local folder (``make run``): each key a file, created once."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class FolderDocumentArchive:
    """``credit_memos.ports.DocumentArchive`` in a folder. A file is written beside its place and
    linked into it, which fails if the place is taken: of two racing first writes, one file wins
    whole and both answer it."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def get(self, key: str) -> bytes | None:
        try:
            return (self._root / key).read_bytes()
        except FileNotFoundError:
            return None

    def put_new(self, key: str, content: bytes, content_type: str) -> bytes:
        path = self._root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".new-", delete=False) as file:
            file.write(content)
        try:
            os.link(file.name, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(file.name)
        return path.read_bytes()
