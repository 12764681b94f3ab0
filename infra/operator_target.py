"""What an operator command acts on: the AWS profile and region, and the table, bus and queues of a
stack (its outputs) or named on the command line, refusing to guess any of them.

Every value comes from the command line first, then from the stack (``--stack-name``: the
template's outputs ``TableName``, ``EventBusName``, ``SummarizeAccountsFailureQueueUrl``, and the
dead-letter queue behind that queue by its logical id), then from the environment the functions
use (``TABLE_NAME``, ``EVENT_BUS_NAME``). The region: ``--region``, then the named profile's
(``--profile`` or ``AWS_PROFILE``), then ``AWS_REGION`` / ``AWS_DEFAULT_REGION``, then the default
profile's. Nothing resolved is an error that says what to pass: an operator in an incident must
never act on a default table in a default region.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError, NoRegionError, ProfileNotFound
from botocore.session import Session

TABLE_OUTPUT = "TableName"
EVENT_BUS_OUTPUT = "EventBusName"
SUMMARY_FAILURE_QUEUE_OUTPUT = "SummarizeAccountsFailureQueueUrl"
# A message the failure queue's reader received five times goes to this queue (its RedrivePolicy).
SUMMARY_DEAD_LETTER_QUEUE = "SummarizeAccountsFailureDeadLetterQueue"

# Long runs meet throttling; the SDK's standard retries, with more attempts than a request gets.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 10}, connect_timeout=5, read_timeout=30)


class Unresolved(Exception):
    """Something the command needs was named nowhere (the message says what to pass)."""


def add_arguments(parser: argparse.ArgumentParser, *, table: bool = True, event_bus: bool = False) -> None:
    """The options every operator command takes to name its account, region and resources."""
    where = parser.add_argument_group("what to act on")
    where.add_argument("--stack-name", help="the deployed stack: its outputs name the table, bus and queues")
    where.add_argument("--profile", help="AWS profile (default: AWS_PROFILE); its region is used")
    where.add_argument("--region", help="AWS region (default: the profile's, then AWS_REGION)")
    if table:
        where.add_argument("--table", help="table name (default: the stack's, then TABLE_NAME)")
        where.add_argument(
            "--endpoint-url",
            default=os.environ.get("DYNAMODB_ENDPOINT_URL") or None,
            help="DynamoDB endpoint, e.g. DynamoDB Local (default: DYNAMODB_ENDPOINT_URL)",
        )
    if event_bus:
        where.add_argument(
            "--event-bus", "--bus", help="event bus name (default: the stack's, then EVENT_BUS_NAME)"
        )


@dataclass
class Target:
    """The session and the resources one run acts on."""

    session: Session
    region: str
    profile: str | None = None
    stack_name: str | None = None
    table: str | None = None
    event_bus: str | None = None
    dynamodb_endpoint_url: str | None = None
    _outputs: dict[str, str] | None = field(default=None, repr=False)

    def client(self, service: str) -> Any:
        """A client of ``service`` in the target's account and region (DynamoDB and its streams at
        the DynamoDB endpoint if one is set; EventBridge at ``EVENTBRIDGE_ENDPOINT_URL`` if set)."""
        endpoint = None
        if service in ("dynamodb", "dynamodbstreams"):
            endpoint = self.dynamodb_endpoint_url
        elif service == "events":
            endpoint = os.environ.get("EVENTBRIDGE_ENDPOINT_URL") or None
        return self.session.create_client(
            service, region_name=self.region, endpoint_url=endpoint, config=CLIENT_CONFIG
        )

    def stack_output(self, key: str) -> str | None:
        if self.stack_name is None:
            return None
        if self._outputs is None:
            try:
                stacks = self.client("cloudformation").describe_stacks(StackName=self.stack_name)["Stacks"]
            except ClientError as error:
                reason = _message(error)
                raise Unresolved(f"stack {self.stack_name!r} not found in {self.where()}: {reason}") from None
            self._outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
        return self._outputs.get(key)

    def stack_resource(self, logical_id: str) -> str | None:
        """The physical id of one of the stack's resources (a queue's URL), or None."""
        if self.stack_name is None:
            return None
        try:
            detail = self.client("cloudformation").describe_stack_resource(
                StackName=self.stack_name, LogicalResourceId=logical_id
            )["StackResourceDetail"]
        except ClientError:
            return None
        return detail.get("PhysicalResourceId") or None

    def summary_failure_queues(self) -> list[str]:
        """The summary consumer's failure queue and its dead-letter queue, from the stack."""
        if self.stack_name is None:
            raise Unresolved("no queue to read: pass --from-queue QUEUE_URL, or --stack-name NAME")
        queue = self.stack_output(SUMMARY_FAILURE_QUEUE_OUTPUT)
        if queue is None:
            raise Unresolved(
                f"stack {self.stack_name!r} has no output {SUMMARY_FAILURE_QUEUE_OUTPUT}:"
                " pass --from-queue QUEUE_URL"
            )
        dead_letter = self.stack_resource(SUMMARY_DEAD_LETTER_QUEUE)
        return [queue, dead_letter] if dead_letter else [queue]

    def where(self) -> str:
        profile = f", profile {self.profile}" if self.profile else ""
        return f"region {self.region}{profile}"

    def describe(self) -> str:
        """One line saying what the run acts on (printed first, so a wrong target shows at once)."""
        parts = []
        if self.stack_name:
            parts.append(f"stack {self.stack_name}")
        if self.table:
            endpoint = f" at {self.dynamodb_endpoint_url}" if self.dynamodb_endpoint_url else ""
            parts.append(f"table {self.table}{endpoint}")
        if self.event_bus:
            parts.append(f"bus {self.event_bus}")
        return ", ".join(parts) + f" ({self.where()})"


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message") or error)


def _region(session: Session, args: argparse.Namespace, named_profile: str | None) -> str:
    profile_region = session.get_scoped_config().get("region")
    for region in (
        args.region,
        profile_region if named_profile else None,
        os.environ.get("AWS_REGION"),
        os.environ.get("AWS_DEFAULT_REGION"),
        profile_region,
    ):
        if region:
            return str(region)
    raise Unresolved(
        "no AWS region: pass --region REGION, or --profile PROFILE with a region in ~/.aws/config,"
        " or set AWS_REGION"
    )


def resolve(args: argparse.Namespace, *, table: bool = True, event_bus: bool = False) -> Target:
    """The target of a run from its options; raises :class:`Unresolved` when something needed is
    named nowhere."""
    named_profile = args.profile or os.environ.get("AWS_PROFILE") or None
    try:
        session = Session(profile=named_profile)
        target = Target(session=session, region=_region(session, args, named_profile))
    except ProfileNotFound as error:
        raise Unresolved(f"AWS profile not found: {error}") from None
    except NoRegionError:
        raise Unresolved("no AWS region: pass --region REGION") from None
    target.profile = named_profile
    target.stack_name = args.stack_name
    if table:
        target.dynamodb_endpoint_url = args.endpoint_url
        target.table = args.table or target.stack_output(TABLE_OUTPUT) or os.environ.get("TABLE_NAME")
        if not target.table:
            raise Unresolved(_missing("table", "--table NAME", TABLE_OUTPUT, "TABLE_NAME", target))
    if event_bus:
        target.event_bus = (
            args.event_bus or target.stack_output(EVENT_BUS_OUTPUT) or os.environ.get("EVENT_BUS_NAME")
        )
        if not target.event_bus:
            raise Unresolved(
                _missing("event bus", "--event-bus NAME", EVENT_BUS_OUTPUT, "EVENT_BUS_NAME", target)
            )
    return target


def resolve_or_exit(parser: argparse.ArgumentParser, args: argparse.Namespace, **needs: bool) -> Target:
    """:func:`resolve`, or the parser's usage error (exit status 2); says on stderr what it acts on."""
    try:
        target = resolve(args, **needs)
    except Unresolved as error:
        parser.error(str(error))
    print(f"{parser.prog}: {target.describe()}", file=sys.stderr)
    return target


def _missing(what: str, option: str, output: str, variable: str, target: Target) -> str:
    if target.stack_name:
        return f"stack {target.stack_name!r} has no output {output}: pass {option}"
    return (
        f"no {what} to act on: pass --stack-name STACK (its {output} output) or {option} (or set {variable})"
    )
