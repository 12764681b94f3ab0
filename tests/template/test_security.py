"""Who may invoke what and write which items, the archive, and the stack's key, as SAM translates them.

Read from aws-sam-translator's output (the ``translated`` fixture of test_translated.py): the API's
integrations, the functions' resource policies and roles, the archive's bucket and delivery, and
where the ``KmsKeyArn`` parameter reaches; and, on moto, that each operation writes only the item
kinds its role may put: every writer's role allows exactly the item writes its operation sends.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from credit_memos.api import runtime
from credit_memos.api.runtime import get_dynamodb_client

from infra.local.api_gateway import RouteMatch, Router
from tests.api.test_access_routes import APPROVER, OPERATOR
from tests.api.test_storage_faults import SCENARIOS, Scenario, _invoice, _memo
from tests.builders import invoice_body, profile_body
from tests.harness import Api
from tests.harness import template as harness_template
from tests.template.test_template import (
    API,
    CHECKER,
    EXPECTED_FUNCTIONS,
    PLANNER,
    PUBLISHER,
    REPLAYER,
    STREAM_CONSUMERS,
    SUMMARIZER,
    TABLE,
    WORKER_FUNCTIONS,
    as_list,
)
from tests.template.test_translated import (
    LEDGER_DENY,
    TABLE_ARN,
    resources,
    role_of,
    statements,
    translated,
)

__all__ = ["translated"]  # the fixture, shared with test_translated.py

# The other roles that change items: function -> (actions on items, the kinds they may touch).
ITEM_KEEPERS: dict[str, tuple[set[str], set[str]]] = {
    PUBLISHER: ({"dynamodb:GetItem", "dynamodb:UpdateItem"}, {"OUTBOX"}),
    REPLAYER: ({"dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:UpdateItem"}, {"OUTBOX"}),
    SUMMARIZER: (
        {"dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
        {"ACCOUNT", "SUMMARY"},
    ),
}
ITEM_WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
IF_KEY = {"Fn::If": ["HasKmsKey", {"Ref": "KmsKeyArn"}, {"Ref": "AWS::NoValue"}]}


def role_statements(translated: dict[str, Any], logical_id: str) -> list[dict[str, Any]]:
    """The statements of a function's role (or of the role ``logical_id`` itself)."""
    resource = translated["Resources"][logical_id]
    role = resource if resource["Type"] == "AWS::IAM::Role" else role_of(translated, logical_id)
    return [s for p in role["Properties"].get("Policies", []) for s in statements(p["PolicyDocument"])]


def leading_keys(statement: dict[str, Any]) -> set[str]:
    """The partition-key prefixes a statement's condition allows (every key must match one)."""
    condition = statement.get("Condition", {})
    assert set(condition) == {"ForAllValues:StringLike"}, statement
    (patterns,) = condition["ForAllValues:StringLike"].values()
    assert set(condition["ForAllValues:StringLike"]) == {"dynamodb:LeadingKeys"}
    assert all(p.endswith("#*") for p in patterns), patterns
    return {p.removesuffix("#*") for p in patterns}


# ------------------------------------------------------------------ who may invoke


def test_api_integrations_carry_no_caller_credentials(translated: dict[str, Any]) -> None:
    (api,) = [r for r in resources(translated, "AWS::ApiGateway::RestApi").values()]
    integrations = [
        method["x-amazon-apigateway-integration"]
        for path in api["Properties"]["Body"]["paths"].values()
        for method in path.values()
        if "x-amazon-apigateway-integration" in method
    ]
    assert len(integrations) == sum(len(fn_routes) for fn_routes in _routes_by_function().values())
    for integration in integrations:
        assert "credentials" not in integration, integration
    assert "iam::*:user/*" not in json.dumps(api)


def _routes_by_function() -> dict[str, list[str]]:
    from tests.template.test_template import ROUTES

    found: dict[str, list[str]] = {}
    for route in ROUTES:
        found.setdefault(route.function, []).append(f"{route.method} {route.path}")
    return found


def test_api_gateway_invokes_the_api_functions_by_their_resource_policy(translated: dict[str, Any]) -> None:
    permissions = resources(translated, "AWS::Lambda::Permission").values()
    by_function: dict[str, int] = {}
    for permission in permissions:
        props = permission["Properties"]
        if props["Principal"] == "events.amazonaws.com":  # a scheduled function, by its own rule
            (rule,) = props["SourceArn"]["Fn::GetAtt"][:1]
            assert translated["Resources"][rule]["Properties"]["ScheduleExpression"].startswith("rate(")
            continue
        # The only other resource-policy grants: API Gateway, from this API's methods.
        assert props["Principal"] == "apigateway.amazonaws.com"
        assert props["Action"] == "lambda:InvokeFunction"
        assert API in json.dumps(props["SourceArn"])
        (alias,) = [props["FunctionName"]["Ref"]]
        function = translated["Resources"][alias]["Properties"]["FunctionName"]["Ref"]
        by_function[function] = by_function.get(function, 0) + 1
    assert by_function == {fid: len(routes) for fid, routes in _routes_by_function().items()}


def test_only_the_named_roles_may_invoke_directly(translated: dict[str, Any]) -> None:
    parameter = translated["Parameters"]["TrustedInvokerRoleNames"]
    assert parameter["Type"] == "CommaDelimitedList" and parameter["Default"] == ""
    policy = translated["Resources"]["DirectInvocationPolicy"]
    assert policy["Type"] == "AWS::IAM::ManagedPolicy"
    assert policy["Properties"]["Roles"] == {
        "Fn::If": ["HasTrustedInvokers", {"Ref": "TrustedInvokerRoleNames"}, {"Ref": "AWS::NoValue"}]
    }
    (statement,) = as_list(policy["Properties"]["PolicyDocument"]["Statement"])
    assert statement["Effect"] == "Allow" and statement["Action"] == ["lambda:InvokeFunction"]
    # Every function's published alias but the stream consumers' (a forged stream record would
    # publish or summarize what was never committed).
    direct = sorted({*EXPECTED_FUNCTIONS, *WORKER_FUNCTIONS} - set(STREAM_CONSUMERS))
    assert sorted(r["Fn::Sub"] for r in statement["Resource"]) == sorted(
        f"${{{fid}.Arn}}:${{FunctionAlias}}" for fid in direct
    )
    assert PLANNER in direct and REPLAYER in direct


def test_no_output_advertises_a_function(translated: dict[str, Any]) -> None:
    for name, output in translated["Outputs"].items():
        value = json.dumps(output["Value"])
        assert "Function" not in value or name == "ReplayEventsFunctionName", name


# ------------------------------------------------------------------ which items


def writers(translated: dict[str, Any]) -> list[str]:
    """The API functions whose role may put items (which kinds: derived from the code, below)."""
    return sorted(
        fid
        for fid in EXPECTED_FUNCTIONS
        if any("dynamodb:PutItem" in as_list(s["Action"]) for s in role_statements(translated, fid))
    )


def test_writers_put_items_by_kind_and_touch_nothing_else(translated: dict[str, Any]) -> None:
    assert len(writers(translated)) >= 13
    for fid in writers(translated):
        found = role_statements(translated, fid)
        (put,) = [s for s in found if "dynamodb:PutItem" in as_list(s["Action"])]
        assert as_list(put["Action"]) == ["dynamodb:PutItem"]
        assert as_list(put["Resource"]) == [TABLE_ARN]
        # Every writer but the profile writer (profiles emit no events) also puts outbox items.
        always = {"IDEMPOTENCY"} if fid == PROFILE_WRITER else {"IDEMPOTENCY", "OUTBOX"}
        assert always <= leading_keys(put), fid
        # Reads by key stay unconditioned; a money movement checks only its copy of the books'
        # lock; closing a period reads the journal and frozen balances to freeze its own.
        others = {tuple(as_list(s["Action"])): s for s in found if s is not put}
        assert "Condition" not in others.pop(("dynamodb:BatchGetItem",)), fid
        if ("dynamodb:ConditionCheckItem",) in others:
            assert leading_keys(others.pop(("dynamodb:ConditionCheckItem",))) == {"BOOKS"}, fid
        if fid == "CloseAccountingPeriodFunction":
            assert leading_keys(others.pop(("dynamodb:Query",))) == {"JOURNAL", "BALANCES"}
        assert others == {}, fid


@pytest.mark.parametrize("fid", sorted(ITEM_KEEPERS))
def test_the_publisher_replay_and_summarizer_touch_only_their_items(
    translated: dict[str, Any], fid: str
) -> None:
    actions, kinds = ITEM_KEEPERS[fid]
    table_statements = [s for s in role_statements(translated, fid) if TABLE_ARN in as_list(s["Resource"])]
    assert {a for s in table_statements for a in as_list(s["Action"])} == actions
    for statement in table_statements:
        assert leading_keys(statement) == kinds


PROFILE_WRITER = "PutBillingAccountProfileFunction"


def test_the_profile_writer_puts_only_profiles(translated: dict[str, Any]) -> None:
    found = role_statements(translated, PROFILE_WRITER)
    (put,) = [s for s in found if "dynamodb:PutItem" in as_list(s["Action"])]
    assert as_list(put["Action"]) == ["dynamodb:PutItem"]
    assert leading_keys(put) == {"PROFILE", "IDEMPOTENCY"}
    others = [s for s in found if s is not put]
    assert [as_list(s["Action"]) for s in others] == [["dynamodb:BatchGetItem"]]


def test_every_role_that_puts_items_carries_the_ledger_deny(translated: dict[str, Any]) -> None:
    putting = {*writers(translated), SUMMARIZER, CHECKER}  # the checker puts its checkpoint
    for fid in sorted({*EXPECTED_FUNCTIONS, *WORKER_FUNCTIONS}):
        role = role_of(translated, fid)
        has_deny = LEDGER_DENY in role["Properties"].get("ManagedPolicyArns", [])
        assert has_deny == (fid in putting), fid


def test_the_ledger_deny_forbids_an_expiry_outside_idempotency_records(translated: dict[str, Any]) -> None:
    policy = translated["Resources"]["LedgerNeverExpiresPolicy"]["Properties"]["PolicyDocument"]
    (statement,) = as_list(policy["Statement"])
    assert statement["Effect"] == "Deny"
    assert statement["Action"] == ["dynamodb:PutItem"]
    assert statement["Resource"] == [TABLE_ARN]
    assert statement["Condition"] == {
        "ForAnyValue:StringEquals": {"dynamodb:Attributes": ["expiresAt"]},
        "ForAllValues:StringNotLike": {"dynamodb:LeadingKeys": ["IDEMPOTENCY#*"]},
    }
    # The table's TTL attribute is the one the deny names.
    ttl = translated["Resources"][TABLE]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expiresAt", "Enabled": True}


def test_no_role_may_delete_an_item(translated: dict[str, Any]) -> None:
    # No operation takes lines off a document, so the repository never deletes a line chunk.
    text = json.dumps(translated["Resources"])
    assert "dynamodb:DeleteItem" not in text and "dynamodb:BatchWriteItem" not in text


# ------------------------------------------------------------------ the archive


def test_the_archive_keeps_every_change_under_object_lock(translated: dict[str, Any]) -> None:
    parameters = translated["Parameters"]
    assert parameters["ArchiveRetentionDays"]["Default"] == 2557
    bucket = translated["Resources"]["ArchiveBucket"]
    assert bucket["DeletionPolicy"] == "Retain"
    props = bucket["Properties"]
    assert props["ObjectLockEnabled"] is True
    assert props["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": {"Ref": "ArchiveRetentionDays"}}},
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    (deny,) = as_list(
        translated["Resources"]["ArchiveBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    )
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_archive_is_fed_by_kinesis_not_a_third_stream_reader(translated: dict[str, Any]) -> None:
    table = translated["Resources"][TABLE]["Properties"]
    assert table["KinesisStreamSpecification"]["StreamArn"] == {"Fn::GetAtt": ["TableChangeStream", "Arn"]}
    mappings = resources(translated, "AWS::Lambda::EventSourceMapping").values()
    stream_readers = [
        m for m in mappings if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [TABLE, "StreamArn"]}
    ]
    assert len(stream_readers) == 2  # the publisher and the summarizer, AWS's guidance maximum
    delivery = translated["Resources"]["ArchiveDeliveryStream"]["Properties"]
    assert delivery["DeliveryStreamType"] == "KinesisStreamAsSource"
    assert delivery["KinesisStreamSourceConfiguration"]["KinesisStreamARN"] == {
        "Fn::GetAtt": ["TableChangeStream", "Arn"]
    }
    assert delivery["ExtendedS3DestinationConfiguration"]["BucketARN"] == {
        "Fn::GetAtt": ["ArchiveBucket", "Arn"]
    }


def test_the_archive_holds_one_record_a_line(translated: dict[str, Any]) -> None:
    """JSON lines, gzip: what Athena and infra/archive.py read."""
    destination = translated["Resources"]["ArchiveDeliveryStream"]["Properties"][
        "ExtendedS3DestinationConfiguration"
    ]
    assert destination["CompressionFormat"] == "GZIP"
    processing = destination["ProcessingConfiguration"]
    assert processing["Enabled"] is True
    assert [p["Type"] for p in processing["Processors"]] == ["AppendDelimiterToRecord"]


def test_the_archive_delivery_writes_objects_and_never_deletes(translated: dict[str, Any]) -> None:
    granted = {a for s in role_statements(translated, "ArchiveDeliveryRole") for a in as_list(s["Action"])}
    assert {a for a in granted if a.startswith("s3:")} == {
        "s3:AbortMultipartUpload",
        "s3:GetBucketLocation",
        "s3:ListBucket",
        "s3:ListBucketMultipartUploads",
        "s3:PutObject",
    }


def test_a_late_archive_raises_an_alarm(translated: dict[str, Any]) -> None:
    alarm = translated["Resources"]["ArchiveDeliveryDelayAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Firehose", "DeliveryToS3.DataFreshness")
    assert alarm["Dimensions"] == [{"Name": "DeliveryStreamName", "Value": {"Ref": "ArchiveDeliveryStream"}}]
    assert alarm["Threshold"] == {"Ref": "ArchiveDelayThresholdSeconds"}


def test_access_logs_are_kept_400_days_by_default(translated: dict[str, Any]) -> None:
    assert translated["Parameters"]["AccessLogRetentionDays"]["Default"] == 400
    group = translated["Resources"]["CreditMemoApiAccessLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "AccessLogRetentionDays"}


def test_data_events_are_an_optional_trail_with_its_own_bucket(translated: dict[str, Any]) -> None:
    assert translated["Parameters"]["EnableTableDataEvents"]["Default"] == "false"
    trail = translated["Resources"]["TableDataEventsTrail"]
    assert trail["Condition"] == "TableDataEventsEnabled"
    assert translated["Resources"]["TrailBucket"]["Condition"] == "TableDataEventsEnabled"
    props = trail["Properties"]
    assert props["S3BucketName"] == {"Ref": "TrailBucket"}
    assert props["EnableLogFileValidation"] is True
    table, archive = (
        {f["Field"]: f.get("Equals") or f["StartsWith"] for f in selector["FieldSelectors"]}
        for selector in props["AdvancedEventSelectors"]
    )
    assert table == {
        "eventCategory": ["Data"],
        "resources.type": ["AWS::DynamoDB::Table"],
        "resources.ARN": [TABLE_ARN],
    }
    assert archive == {
        "eventCategory": ["Data"],
        "resources.type": ["AWS::S3::Object"],
        "resources.ARN": [{"Fn::Sub": "${ArchiveBucket.Arn}/"}],
    }


# ------------------------------------------------------------------ the stack's key


def test_the_key_parameter_is_optional(translated: dict[str, Any]) -> None:
    assert translated["Parameters"]["KmsKeyArn"]["Default"] == ""


def test_the_key_reaches_the_table(translated: dict[str, Any]) -> None:
    sse = translated["Resources"][TABLE]["Properties"]["SSESpecification"]
    assert sse == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": IF_KEY}


def test_the_key_reaches_every_log_group(translated: dict[str, Any]) -> None:
    groups = resources(translated, "AWS::Logs::LogGroup")
    assert len(groups) >= len({*EXPECTED_FUNCTIONS, *WORKER_FUNCTIONS})
    for name, group in groups.items():
        assert group["Properties"]["KmsKeyId"] == IF_KEY, name


def test_the_key_reaches_every_queue_and_topic(translated: dict[str, Any]) -> None:
    for name, queue in resources(translated, "AWS::SQS::Queue").items():
        props = queue["Properties"]
        assert props["KmsMasterKeyId"] == IF_KEY, name
        assert props["SqsManagedSseEnabled"] == {"Fn::If": ["HasKmsKey", {"Ref": "AWS::NoValue"}, True]}, name
    for name, topic in resources(translated, "AWS::SNS::Topic").items():
        # Without the stack's key the topic stays on SNS's default: CloudWatch cannot publish to
        # a topic under the AWS-managed alias/aws/sns.
        assert topic["Properties"]["KmsMasterKeyId"] == IF_KEY, name


def test_the_key_reaches_every_function_environment(translated: dict[str, Any]) -> None:
    for fid in sorted({*EXPECTED_FUNCTIONS, *WORKER_FUNCTIONS}):
        assert translated["Resources"][fid]["Properties"]["KmsKeyArn"] == IF_KEY, fid


def test_the_key_reaches_the_archive(translated: dict[str, Any]) -> None:
    stream = translated["Resources"]["TableChangeStream"]["Properties"]["StreamEncryption"]
    assert stream == {
        "EncryptionType": "KMS",
        "KeyId": {"Fn::If": ["HasKmsKey", {"Ref": "KmsKeyArn"}, "alias/aws/kinesis"]},
    }
    for bucket in ("ArchiveBucket", "TrailBucket"):
        (rule,) = translated["Resources"][bucket]["Properties"]["BucketEncryption"][
            "ServerSideEncryptionConfiguration"
        ]
        assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": IF_KEY}
    delivery = translated["Resources"]["ArchiveDeliveryStream"]["Properties"][
        "ExtendedS3DestinationConfiguration"
    ]
    assert delivery["EncryptionConfiguration"] == {
        "Fn::If": [
            "HasKmsKey",
            {"KMSEncryptionConfig": {"AWSKMSKeyARN": {"Ref": "KmsKeyArn"}}},
            {"Ref": "AWS::NoValue"},
        ]
    }
    assert translated["Resources"]["TableDataEventsTrail"]["Properties"]["KMSKeyId"] == IF_KEY


def test_the_roles_that_need_the_key_get_it_only_with_one(translated: dict[str, Any]) -> None:
    policy = translated["Resources"]["StackKeyUsePolicy"]
    assert policy["Condition"] == "HasKmsKey"
    assert sorted(r["Ref"] for r in policy["Properties"]["Roles"]) == sorted(
        f"{fid}Role" for fid in STREAM_CONSUMERS
    )
    delivery = translated["Resources"]["ArchiveDeliveryRole"]["Properties"]["Policies"]
    with_key = [s for p in delivery for s in statements(p["PolicyDocument"], with_key=True)]
    without = [s for p in delivery for s in statements(p["PolicyDocument"])]
    (kms,) = [s for s in with_key if s not in without]
    assert kms["Resource"] == [{"Ref": "KmsKeyArn"}]
    assert sorted(kms["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]


# ------------------------------------------------------------------ the code agrees


# DynamoDB's item actions as a transaction names them, and the IAM action each one needs.
ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


def role_item_writes(translated: dict[str, Any], fid: str) -> set[tuple[str, str]]:
    """(IAM action, partition-key prefix) for every item write the function's role allows."""
    granted: set[tuple[str, str]] = set()
    for statement in role_statements(translated, fid):
        actions = [a for a in as_list(statement["Action"]) if a in ITEM_WRITES | set(ITEM_ACTIONS.values())]
        if actions:
            granted |= {(a, kind) for a in actions for kind in leading_keys(statement)}
    return granted


@contextmanager
def approvals_over(amount: str) -> Iterator[None]:
    """An access policy under which a credit over ``amount`` USD is held as a Draft for approval."""
    policy = {
        "principals": [
            {"match": OPERATOR, "role": "Operator", "billingAccounts": ["*"]},
            {"match": APPROVER, "role": "Approver", "billingAccounts": ["*"]},
        ],
        "approvalThresholds": {"USD": amount},
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "policy.json"
        path.write_text(json.dumps(policy))
        saved = os.environ.get("ACCESS_POLICY_FILE")
        os.environ["ACCESS_POLICY_FILE"] = str(path)
        runtime.reset()
        try:
            yield
        finally:
            os.environ.pop("ACCESS_POLICY_FILE")
            if saved is not None:
                os.environ["ACCESS_POLICY_FILE"] = saved
            runtime.reset()


def scenario_post_held_credit(api: Api) -> tuple[str, dict[str, Any], dict[str, str]]:
    """Posting a Draft that actions/credit held for approval applies it to its invoice lines."""
    created = api.post(
        "/invoices", invoice_body("500.00", level="InvoiceLine"), headers={"X-Local-Principal": OPERATOR}
    )
    invoice = created.body
    line = {"invoiceLineId": invoice["lines"][0]["id"], "amountToCredit": "200.00"}
    held = api.post(
        f"/invoices/{invoice['id']}/actions/credit",
        {"taxStrategy": "Ignore", "invoiceLines": [line]},
        headers={"X-Local-Principal": OPERATOR},
    )
    assert held.body["creditMemo"]["status"] == "Draft", held
    return f"/credit-memos/{held.body['creditMemo']['id']}/actions/post", {}, {"X-Local-Principal": APPROVER}


def scenario_void_conversion(api: Api) -> tuple[str, dict[str, Any]]:
    """Voiding a conversion memo gives its invoice the converted lines back."""
    invoice = api.post("/invoices", invoice_body("300.00", "-100.00")).body
    converted = api.post(f"/invoices/{invoice['id']}/actions/convert-to-credit", {"applyToInvoice": False})
    return f"/credit-memos/{converted.body['creditMemo']['id']}/actions/void", {}


@pytest.mark.slow
def _salesforce_credit(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    inv = _invoice(api, "InvoiceLine")
    body = {
        "taxStrategy": "Ignore",
        "invoiceLines": [{"invoiceLineId": inv["lines"][0]["id"], "amountToCredit": 5}],
    }
    return (
        f"/services/data/v67.0/commerce/invoicing/invoices/{inv['id']}/actions/credit",
        body,
        [],
        [inv["id"]],
    )


def _salesforce_apply_credit(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    inv, memo = _invoice(api), _memo(api)
    inputs = [
        {"creditSourceRecordId": memo["id"], "creditTargetRecordId": inv["id"], "appliedCreditAmount": 5}
    ]
    return "/services/data/v67.0/actions/standard/applyCredit", {"inputs": inputs}, [memo["id"]], [inv["id"]]


def _salesforce_write_off(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    inv = _invoice(api)
    inputs = [{"invoiceId": inv["id"], "reasonCode": "BadDebt"}]
    return "/services/data/v67.0/actions/standard/writeOffInvoices", {"inputs": inputs}, [], [inv["id"]]


# The Salesforce-compatible functions, through routes that together write every kind they may.
WRITING_SCENARIOS: dict[str, Scenario] = SCENARIOS | {
    "salesforce_credit": _salesforce_credit,
    "salesforce_apply_credit": _salesforce_apply_credit,
    "salesforce_write_off": _salesforce_write_off,
}


def test_each_role_allows_exactly_the_item_writes_its_operation_sends(
    api: Api, translated: dict[str, Any]
) -> None:
    """What each function may write is derived from the code, not listed: every mutation route is
    run on moto (the scenarios of tests/api/test_storage_faults.py, one per operation and branch
    that writes other kinds) with a hook on the client recording each item action it sends and
    the partition-key prefix (keys.py) of its item. Each writer's role must allow exactly those
    (action, kind) pairs: no fewer (a request would be denied), no more (least privilege)."""
    router = Router(harness_template().routes())
    sent: list[tuple[str, str]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "TransactWriteItems":
            for item in params["TransactItems"]:
                ((kind, action),) = item.items()
                sent.append((ITEM_ACTIONS[kind], (action.get("Item") or action["Key"])["pk"]["S"]))
        elif model.name in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"):
            key = params.get("Item") or params.get("Key") or {"pk": {"S": "?"}}
            sent.append((f"dynamodb:{model.name}", key["pk"]["S"]))

    scenarios = [(name, scenario, nullcontext()) for name, scenario in sorted(WRITING_SCENARIOS.items())]
    scenarios.append(("void_conversion", scenario_void_conversion, nullcontext()))
    scenarios.append(("post_held_credit", scenario_post_held_credit, approvals_over("100.00")))
    emitted: dict[str, set[tuple[str, str]]] = {}
    for name, scenario, policy in scenarios:
        with policy:
            path, body, *rest = scenario(api)
            events = get_dynamodb_client().meta.events  # a policy change builds a new client
            headers = rest[0] if len(rest) == 1 else None
            match = router.match("POST", path)
            assert isinstance(match, RouteMatch), path
            sent.clear()
            events.register("provide-client-params.dynamodb", record, unique_id="item-kinds")
            try:
                response = api.post(path, body, headers={**(headers or {}), "Idempotency-Key": name})
            finally:
                events.unregister("provide-client-params.dynamodb", unique_id="item-kinds")
        assert response.status in (200, 201), (name, response)
        assert sent, name
        found = emitted.setdefault(match.route.function, set())
        found |= {(action, pk.split("#", 1)[0]) for action, pk in sent}
    # Closing and reopening the month the scenarios booked into (last: a closed month refuses
    # movements), and setting a profile, the one writer reached by PUT.
    month = datetime.now(UTC).strftime("%Y-%m")
    calls = [
        ("POST", f"/accounting-periods/{month}/actions/close", {}),
        ("POST", f"/accounting-periods/{month}/actions/reopen", {"reasonCode": "Other"}),
        ("PUT", "/billing-accounts/acct-kinds", profile_body()),
    ]
    events = get_dynamodb_client().meta.events
    for method, path, body in calls:
        match = router.match(method, path)
        assert isinstance(match, RouteMatch), path
        sent.clear()
        events.register("provide-client-params.dynamodb", record, unique_id="item-kinds")
        try:
            response = api.request(method, path, body, headers={"Idempotency-Key": path})
        finally:
            events.unregister("provide-client-params.dynamodb", unique_id="item-kinds")
        assert response.status == 200 and sent, (path, response)
        found = emitted.setdefault(match.route.function, set())
        found |= {(action, pk.split("#", 1)[0]) for action, pk in sent}
    assert sorted(emitted) == writers(translated)
    for fid, kinds in sorted(emitted.items()):
        assert role_item_writes(translated, fid) == kinds, fid
