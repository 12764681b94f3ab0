"""Who may do what (spec section 9): the access policy, the roles and the callers they make.

The policy is one JSON document (``ACCESS_POLICY_FILE``), read once per container and checked
without I/O. Each command type names the least role that may ask for it (``Command.role``); the
account scope of a caller hides other accounts' documents (``Caller.sees``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, get_args

from credit_memos.errors import DomainError

Role = Literal["Reader", "Operator", "Approver"]
ROLES: tuple[Role, ...] = get_args(Role)  # each one may do what the ones before it may


class Forbidden(DomainError):
    error_code = "FORBIDDEN"


class SelfApproval(Forbidden):
    error_code = "SELF_APPROVAL"


class ApprovalLimitExceeded(Forbidden):
    error_code = "APPROVAL_LIMIT_EXCEEDED"


def principal_of(identity: str) -> str:
    """The principal of an identity: an assumed role's session counts as its role."""
    assumed = re.fullmatch(r"arn:(aws[\w-]*):sts::(\d{12}):assumed-role/([^/]+)/.+", identity)
    if assumed is None:
        return identity
    partition, account, role = assumed.groups()
    return f"arn:{partition}:iam::{account}:role/{role}"


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


@dataclass(frozen=True)
class Caller:
    """Who asks, as the policy sees them: their identity, principal, role and accounts."""

    identity: str | None
    principal: str | None
    role: Role | None
    billing_accounts: tuple[str, ...] = ()
    approval_limits: dict[str, Decimal] = field(default_factory=dict)
    approval_thresholds: dict[str, Decimal] = field(default_factory=dict)

    def may(self, role: Role) -> bool:
        return self.role is not None and ROLES.index(self.role) >= ROLES.index(role)

    def require(self, role: Role, what: str) -> None:
        if not self.may(role):
            raise Forbidden(f"{what} needs the {role} role; the caller has {self.role or 'none'}")

    @property
    def sees_every_account(self) -> bool:
        return "*" in self.billing_accounts

    def sees(self, billing_account_id: str) -> bool:
        return self.sees_every_account or any(
            _wildcard(pattern).fullmatch(billing_account_id) for pattern in self.billing_accounts
        )

    def require_account(self, billing_account_id: str) -> None:
        if not self.sees(billing_account_id):
            raise Forbidden(f"the caller may not act on billing account {billing_account_id}")

    def needs_approval(self, currency: str, total: Decimal) -> bool:
        threshold = self.approval_thresholds.get(currency)
        return threshold is not None and total > threshold

    def approve(self, created_by: str | None, currency: str, total: Decimal) -> None:
        """Check that this caller may approve a memo of ``total`` that ``created_by`` made."""
        self.require("Approver", "posting a memo that needs approval")
        if self.identity is not None and self.identity == created_by:
            raise SelfApproval("a memo that needs approval must be posted by someone other than its creator")
        limit = self.approval_limits.get(currency)
        if limit is not None and total > limit:
            raise ApprovalLimitExceeded(f"the caller may approve up to {limit} {currency}")


_KNOWN_CALLERS = 1024


def authorize(caller: Caller, command: Any) -> None:
    """What every command needs before it runs: the caller's role, and the billing account it
    names (a create, a list, a summary) in the caller's scope; else FORBIDDEN."""
    caller.require(command.role, command.operation)
    account = getattr(command, "billing_account_id", None)
    if account is not None:
        caller.require_account(account)


@dataclass(frozen=True)
class Grant:
    """One entry of the policy: who it matches, their role and accounts."""

    match: str
    role: Role
    billing_accounts: tuple[str, ...]
    approval_limits: dict[str, Decimal]


@dataclass(frozen=True)
class AccessPolicy:
    """The policy: its grants, first match wins, and the approval thresholds per currency."""

    grants: tuple[Grant, ...]
    approval_thresholds: dict[str, Decimal]
    # Callers already worked out, by identity: a container serves the same few again and again.
    _callers: dict[str | None, Caller] = field(default_factory=dict, compare=False, repr=False)

    def caller(self, identity: str | None) -> Caller:
        """The caller ``identity`` is: the first grant matching its principal, else no role."""
        known = self._callers.get(identity)
        if known is None:
            if len(self._callers) >= _KNOWN_CALLERS:
                self._callers.clear()
            known = self._callers[identity] = self._match(identity)
        return known

    def _match(self, identity: str | None) -> Caller:
        principal = principal_of(identity) if identity is not None else None
        for grant in self.grants:
            if principal is not None and _wildcard(grant.match).fullmatch(principal):
                return Caller(
                    identity,
                    principal,
                    grant.role,
                    grant.billing_accounts,
                    grant.approval_limits,
                    self.approval_thresholds,
                )
        return Caller(identity, principal, None, (), {}, self.approval_thresholds)

    @staticmethod
    def parse(document: Any) -> AccessPolicy:
        """The policy of a JSON document; ValueError naming what is wrong."""
        if not isinstance(document, dict) or not isinstance(document.get("principals"), list):
            raise ValueError('the access policy must be an object with a "principals" list')
        grants = []
        for index, entry in enumerate(document["principals"]):
            where = f"principals[{index}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("match"), str) or not entry["match"]:
                raise ValueError(f'{where} needs a "match" string')
            if entry.get("role") not in ROLES:
                raise ValueError(f"{where}.role must be one of {', '.join(ROLES)}")
            accounts = entry.get("billingAccounts")
            if not isinstance(accounts, list) or not all(isinstance(a, str) and a for a in accounts):
                raise ValueError(f"{where}.billingAccounts must be a list of account ids or patterns")
            limits = _amounts(entry.get("approvalLimits", {}), f"{where}.approvalLimits")
            grants.append(Grant(entry["match"], entry["role"], tuple(accounts), limits))
        thresholds = _amounts(document.get("approvalThresholds", {}), "approvalThresholds")
        return AccessPolicy(tuple(grants), thresholds)

    @staticmethod
    def load(path: str | Path) -> AccessPolicy:
        try:
            return AccessPolicy.parse(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"cannot read the access policy {path}: {error}") from error


# Without a policy file (the local default): every caller is an Approver on every account.
OPEN_POLICY = AccessPolicy((Grant("*", "Approver", ("*",), {}),), {})
# A named file that cannot be read or is not a policy: nobody may do anything (fail closed).
CLOSED_POLICY = AccessPolicy((), {})


def _amounts(value: Any, where: str) -> dict[str, Decimal]:
    if not isinstance(value, dict):
        raise ValueError(f"{where} must map currency codes to amounts")
    amounts = {}
    for currency, amount in value.items():
        try:
            amounts[currency] = Decimal(str(amount))
        except InvalidOperation:
            raise ValueError(f"{where}.{currency} must be a decimal amount") from None
        if not amounts[currency].is_finite() or amounts[currency] < 0:
            raise ValueError(f"{where}.{currency} must be a decimal amount of 0 or more")
    return amounts
