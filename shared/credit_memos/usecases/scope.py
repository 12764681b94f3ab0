"""The repository as a caller limited to some billing accounts sees it (spec section 9).

Documents, records and entries of other accounts do not exist for such a caller: reading or
changing one is NOT_FOUND, as for an id that was never issued. Lists by account are refused at
the edge (403) before they get here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from credit_memos.ports import Repository, Snapshot


class ScopedRepository:
    """``Repository`` with everything outside ``sees`` (a billing account predicate) left out."""

    def __init__(self, repository: Repository, sees: Callable[[str], bool]) -> None:
        self._repository = repository
        self._sees = sees

    def read(self, **names: Any) -> Snapshot:
        snapshot = self._repository.read(**names)
        snapshot.invoices = {
            i: doc for i, doc in snapshot.invoices.items() if self._sees(doc.billing_account_id)
        }
        snapshot.memos = {i: doc for i, doc in snapshot.memos.items() if self._sees(doc.billing_account_id)}
        # Records and entries belong to their invoice's account (a memo's is the same).
        invoice_ids = {e.invoice_id for e in snapshot.entries.values()}
        invoice_ids |= {p.invoice_id for p in snapshot.payments.values()}
        visible = self._visible_invoices(
            invoice_ids - snapshot.invoices.keys(), names.get("consistent", True)
        )
        visible |= snapshot.invoices.keys()
        snapshot.entries = {i: e for i, e in snapshot.entries.items() if e.invoice_id in visible}
        snapshot.payments = {i: p for i, p in snapshot.payments.items() if p.invoice_id in visible}
        snapshot.claims = {i: c for i, c in snapshot.claims.items() if c.invoice_id in visible}
        # A refund record carries its memo's account; a claim is read with its memo.
        snapshot.refunds = {i: r for i, r in snapshot.refunds.items() if self._sees(r.billing_account_id)}
        return snapshot

    def _visible_invoices(self, invoice_ids: set[str], consistent: bool) -> set[str]:
        if not invoice_ids:
            return set()
        found = self._repository.read(invoice_ids=sorted(invoice_ids), consistent=consistent).invoices
        return {i for i, doc in found.items() if self._sees(doc.billing_account_id)}

    def __getattr__(self, name: str) -> Any:
        # Everything else as the repository does it: lists by account are refused at the edge
        # for another account, and a document's history is read after the document itself.
        return getattr(self._repository, name)
