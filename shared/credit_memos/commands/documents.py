"""The credit memo as a document (spec section 12): a PDF, UBL or CII rendering, issued once.

Carried out by ``credit_memos.usecases.documents`` (``Command.use_cases``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from credit_memos.commands.base import Command

if TYPE_CHECKING:
    from credit_memos.ports import DocumentArchive
    from credit_memos.settings import Settings

# What renders a credit note (``credit_memos.documents.render``; a fake in tests).
Renderer: TypeAlias = Callable[[Any, str], bytes]


@dataclass(frozen=True)
class DocumentTools:
    """What issuing a document needs besides the repository: where issued documents are kept, what
    renders a new one, and the settings that name the seller."""

    archive: DocumentArchive
    render: Renderer
    settings: Settings


@dataclass(frozen=True)
class GetCreditMemoDocument(Command):
    """A Posted or Voided memo's document in ``format``: the one issued first, or rendered and
    issued now."""

    operation = "GetCreditMemoDocument"
    mutates = False
    credit_memo_id: str
    format: Literal["pdf", "ubl", "cii"] = "pdf"
    # Set by the document function (a fake renderer and archive in tests).
    tools: DocumentTools | None = field(default=None, kw_only=True, compare=False, repr=False)
