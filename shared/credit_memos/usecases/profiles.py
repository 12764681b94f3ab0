"""Use cases of billing account profiles: set (a new revision when it changes), get, its revisions."""

from __future__ import annotations

from credit_memos.commands import profiles as commands
from credit_memos.domain.profiles import ProfileRevision, revise_profile
from credit_memos.ports import Repository
from credit_memos.usecases.paging import page_size
from credit_memos.usecases.service import use_case
from credit_memos.usecases.unit_of_work import Result, UnitOfWork
from credit_memos.views import BillingAccountProfilePage, BillingAccountProfileView


@use_case(commands.PutBillingAccountProfile)
def put(uow: UnitOfWork, command: commands.PutBillingAccountProfile) -> Result:
    """The profile's header is written conditional on the version read and its revision is created
    beside it in the same write: two racing changes become two revisions, one after the other."""
    account = command.billing_account_id
    current = uow.read(profile_ids=[account]).profiles.get(account)
    revised = revise_profile(current, account, command.details, now=uow.now, created_by=command.actor)
    if revised is None:
        assert current is not None
        return Result(200, BillingAccountProfileView.of(current))
    if current is None:
        uow.create(revised)
    else:
        uow.update(revised)
    uow.create(ProfileRevision(revised))
    return Result(200, BillingAccountProfileView.of(revised))


@use_case(commands.GetBillingAccountProfile)
def get(repository: Repository, command: commands.GetBillingAccountProfile) -> Result:
    account = command.billing_account_id
    profile = repository.read(profile_ids=[account], consistent=True).profile(account)
    return Result(200, BillingAccountProfileView.of(profile))


@use_case(commands.ListBillingAccountProfileRevisions)
def revisions(repository: Repository, command: commands.ListBillingAccountProfileRevisions) -> Result:
    account = command.billing_account_id
    page = repository.list_profile_revisions(account, page_size(command.limit), command.next_token)
    if not page.items and command.next_token is None:
        repository.read(profile_ids=[account], consistent=True).profile(account)  # NOT_FOUND
    items = [BillingAccountProfileView.of(profile) for profile in page.items]
    return Result(200, BillingAccountProfilePage.model_construct(items=items, nextToken=page.next_token))
