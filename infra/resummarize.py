"""Re-apply billing accounts' documents to their summary: ``python -m infra.resummarize ACCOUNT...``
or ``--from-queue``.

The account summary is kept from the table's stream (docs/design.md "Account summary"); a stream
batch the consumer gave up on (SummarizeAccountsFailureQueue) leaves the documents it named at an
older contribution until their next change. This lists an account's invoices and memos (the list
index), reads each one from the table (consistent, for its version) and applies its current state
exactly as the consumer would: a document already applied at that version is skipped, so it is safe
to run at any time, and again, while the consumer runs. Prints
``{"billingAccountId", "documents", "applied", "skipped"}`` per account (``wouldApply`` instead of
``applied`` with ``--dry-run``, which writes nothing).

``--from-queue [QUEUE_URL]`` takes the accounts from the failure queue's messages (the queue given,
or the stack's failure queue and its dead-letter queue: ``infra/summary_failures.py``) and deletes
a message once every account it names is repaired; a message whose stream records are gone stays,
and the run says so. With account ids, ``--start-after ACCOUNT`` resumes a run that stopped
(progress lines name the last account done). The table: ``infra/operator_target.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from credit_memos.adapters.dynamodb.repository import DynamoDbRepository
from credit_memos.adapters.dynamodb.summary_store import MAX_GROUP, SummaryStore
from credit_memos.adapters.summary_reconcile import account_states
from credit_memos.domain.summary import account_groups, is_newer

from infra import operator_target
from infra.progress import Progress
from infra.summary_failures import NotReadable, accounts_of

# How long a received message stays hidden from other readers while its accounts are repaired.
VISIBILITY_SECONDS = 900
# Long polling (at least 1 s) asks every SQS server, so an empty answer means an empty queue.
RECEIVE_WAIT_SECONDS = 1


def resummarize(
    repository: DynamoDbRepository, store: SummaryStore, account: str, *, dry_run: bool = False
) -> dict[str, Any]:
    states = list(account_states(repository, account))
    applied = skipped = 0
    for group in account_groups(states, MAX_GROUP):
        if dry_run:
            stored = store.stored_contributions([s.document_key for s in group])
            done = sum(is_newer(s, stored.get(s.document_key)) for s in group)
            stale = len(group) - done
        else:
            done, stale = store.apply(group)
        applied, skipped = applied + done, skipped + stale
    return {
        "billingAccountId": account,
        "documents": len(states),
        "wouldApply" if dry_run else "applied": applied,
        "skipped": skipped,
    }


class Repair:
    """Resummarizes accounts for one run, printing a line per account."""

    def __init__(self, target: operator_target.Target, *, dry_run: bool) -> None:
        assert target.table is not None
        client = target.client("dynamodb")
        self.repository = DynamoDbRepository(client, target.table)
        self.store = SummaryStore(client, target.table)
        self.dry_run = dry_run

    def account(self, account: str, progress: Progress) -> bool:
        """True once the account is repaired (or, in a dry run, looked at)."""
        try:
            print(json.dumps(resummarize(self.repository, self.store, account, dry_run=self.dry_run)))
        except (ClientError, BotoCoreError, RuntimeError) as error:
            progress.note(f"account {account} not repaired: {error}")
            print(json.dumps({"billingAccountId": account, "error": str(error)}))
            return False
        return True


def resummarize_accounts(repair: Repair, accounts: list[str], start_after: str | None) -> int:
    if start_after is not None:
        if start_after not in accounts:
            raise operator_target.Unresolved(f"--start-after {start_after}: not one of the accounts given")
        accounts = accounts[accounts.index(start_after) + 1 :]
    failed = 0
    with Progress("resummarize", len(accounts), unit="accounts") as progress:
        for account in accounts:
            if repair.account(account, progress):
                progress.advance(checkpoint=account)
            else:
                failed += 1
                progress.advance()
    return 1 if failed else 0


def drain(repair: Repair, queue_url: str, *, sqs: Any, streams: Any) -> int:
    """Repair the accounts the queue's messages name, deleting each message once its accounts are
    repaired (never in a dry run); 1 if a message or an account was left, else 0."""
    total = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    count = int(total.get("Attributes", {}).get("ApproximateNumberOfMessages", 0))
    seen: set[str] = set()
    held: list[dict[str, Any]] = []  # messages left in the queue: visible again at the end
    left = 0
    with Progress(f"resummarize from {queue_url.rsplit('/', 1)[-1]}", count, unit="messages") as progress:
        while True:
            received = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=RECEIVE_WAIT_SECONDS,
                VisibilityTimeout=VISIBILITY_SECONDS,
            ).get("Messages", [])
            messages = [m for m in received if m["MessageId"] not in seen]
            if not messages:
                break
            seen.update(m["MessageId"] for m in messages)
            named: list[tuple[dict[str, Any], set[str]]] = []
            for message in messages:
                try:
                    accounts = accounts_of(
                        json.loads(message["Body"]),
                        streams=streams,
                        repository=repair.repository,
                        failed_accounts=repair.store.failed_accounts,
                    )
                except (ValueError, NotReadable, ClientError, BotoCoreError) as error:
                    progress.note(f"message {message['MessageId']} left in the queue: {error}")
                    print(json.dumps({"messageId": message["MessageId"], "left": str(error)}))
                    held.append(message)
                    left += 1
                    progress.advance()
                    continue
                named.append((message, accounts))
            # The messages of one receive often name the same accounts: each is repaired once.
            repaired = {a for a in sorted(set().union(*(a for _, a in named))) if repair.account(a, progress)}
            for message, accounts in named:
                done = accounts <= repaired
                if not done:
                    left += 1
                if done and not repair.dry_run:
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                else:
                    held.append(message)
                line = {"messageId": message["MessageId"], "billingAccountIds": sorted(accounts)}
                print(json.dumps(line | {"deleted": done and not repair.dry_run}))
                progress.advance()
    for message in held:
        sqs.change_message_visibility(
            QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return 1 if left else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.resummarize",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("accounts", nargs="*", metavar="ACCOUNT", help="billing account ids")
    parser.add_argument(
        "--from-queue",
        nargs="?",
        const="",
        metavar="QUEUE_URL",
        help="take the accounts from the failure queue's messages (default: the stack's queues)",
    )
    parser.add_argument("--start-after", metavar="ACCOUNT", help="resume after this account")
    parser.add_argument("--dry-run", action="store_true", help="count what would be applied, write nothing")
    operator_target.add_arguments(parser)
    args = parser.parse_args(argv)
    if bool(args.accounts) == (args.from_queue is not None):
        parser.error("pass billing account ids or --from-queue (one of them)")
    if args.from_queue and not args.from_queue.startswith(("https://", "http://")):
        parser.error(f"--from-queue takes a queue URL, not {args.from_queue!r} (accounts go before it)")
    if args.start_after and args.from_queue is not None:
        parser.error("--start-after resumes a list of accounts; a queue resumes by itself")
    target = operator_target.resolve_or_exit(parser, args)
    repair = Repair(target, dry_run=args.dry_run)
    try:
        if args.from_queue is None:
            return resummarize_accounts(repair, args.accounts, args.start_after)
        queues = [args.from_queue] if args.from_queue else target.summary_failure_queues()
    except operator_target.Unresolved as error:
        parser.error(str(error))
    sqs, streams = target.client("sqs"), target.client("dynamodbstreams")
    status = 0
    for queue in queues:
        try:
            status = max(status, drain(repair, queue, sqs=sqs, streams=streams))
        except ClientError as error:
            print(f"{parser.prog}: queue {queue} not read: {error}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
