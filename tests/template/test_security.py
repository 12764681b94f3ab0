"""Who may invoke what and write which items, the archive, and the stack's key, as SAM translates them.

Read from aws-sam-translator's output (the ``translated`` fixture of test_translated.py): the API's
integrations, the functions' resource policies and roles, the archive's bucket and delivery, and
where the ``KmsKeyArn`` parameter reaches; and, on moto, that each operation writes only the item
kinds its role may put.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from credit_memos.api.runtime import get_dynamodb_client

from infra.local.api_gateway import RouteMatch, Router
from tests.api.test_storage_faults import SCENARIOS
from tests.harness import Api
from tests.harness import template as harness_template
from tests.template.test_template import (
    API,
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

# Every function that writes, and the kinds of item (the partition key's prefix, keys.py) its
# operation writes; every one of them also writes its idempotency record and its events' outbox
# item. PostCreditMemo applies a Draft made by actions/credit when posting it; CreditInvoice and
# ConvertNegativeInvoiceLines number the memo they post and record its applications.
WRITES: dict[str, set[str]] = {
    "CreateInvoiceFunction": {"INVOICE"},
    "PostInvoiceFunction": {"INVOICE"},
    "CreateCreditMemoFunction": {"MEMO", "SERIES"},
    "PostCreditMemoFunction": {"MEMO", "SERIES", "INVOICE", "APPLICATION"},
    "VoidCreditMemoFunction": {"MEMO", "INVOICE"},
    "ApplyCreditMemoFunction": {"MEMO", "INVOICE", "APPLICATION"},
    "ApplyCreditMemoLineFunction": {"MEMO", "INVOICE", "APPLICATION"},
    "UnapplyCreditMemoApplicationFunction": {"MEMO", "INVOICE", "APPLICATION"},
    "UnapplyCreditMemoLineApplicationFunction": {"MEMO", "INVOICE", "APPLICATION"},
    "CreditInvoiceFunction": {"MEMO", "SERIES", "INVOICE", "APPLICATION"},
    "ConvertNegativeInvoiceLinesFunction": {"MEMO", "SERIES", "INVOICE", "APPLICATION"},
    "RecordInvoicePaymentFunction": {"PAYMENT", "PAYREF", "INVOICE"},
    "ReverseInvoicePaymentFunction": {"PAYMENT", "PAYREF", "INVOICE"},
    "RefundCreditMemoFunction": {"REFUND", "REFUNDREF", "MEMO"},
    "ReverseCreditMemoRefundFunction": {"REFUND", "REFUNDREF", "MEMO"},
    "WriteOffInvoicesFunction": {"MEMO", "SERIES", "INVOICE", "APPLICATION"},
}
# Every money movement also writes its journal entries, and checks its copy of the books' lock
# (docs/design.md "The books"); closing and reopening a period write the lock and its record.
MOVEMENTS = set(WRITES)
WRITES = {fid: kinds | {"JOURNAL"} for fid, kinds in WRITES.items()}
PERIOD_WRITES: dict[str, set[str]] = {
    "CloseAccountingPeriodFunction": {"BOOKS", "PERIOD", "BALANCES"},
    "ReopenAccountingPeriodFunction": {"BOOKS", "PERIOD"},
}
WRITES |= PERIOD_WRITES
EVERY_WRITE = {"IDEMPOTENCY", "OUTBOX"}
# The other roles that change items: function -> (actions on items, the kinds they may touch).
ITEM_KEEPERS: dict[str, tuple[set[str], set[str]]] = {
    PUBLISHER: ({"dynamodb:UpdateItem"}, {"OUTBOX"}),
    REPLAYER: ({"dynamodb:BatchGetItem", "dynamodb:UpdateItem"}, {"OUTBOX"}),
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
        # The only resource-policy grants: API Gateway, from this API's methods.
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


@pytest.mark.parametrize("fid", sorted(WRITES))
def test_writers_put_only_the_item_kinds_they_write(translated: dict[str, Any], fid: str) -> None:
    found = role_statements(translated, fid)
    puts = [s for s in found if "dynamodb:PutItem" in as_list(s["Action"])]
    (put,) = puts
    assert as_list(put["Action"]) == ["dynamodb:PutItem"]
    assert as_list(put["Resource"]) == [TABLE_ARN]
    assert leading_keys(put) == WRITES[fid] | EVERY_WRITE
    # Reads by key stay unconditioned; a movement checks only the books' lock; the close reads the
    # journal (and frozen balances) to freeze its period's balances; nothing else touches items.
    others = [s for s in found if s is not put]
    expected = [["dynamodb:BatchGetItem"]]
    if fid in MOVEMENTS:
        expected.append(["dynamodb:ConditionCheckItem"])
        (check,) = [s for s in others if as_list(s["Action"]) == ["dynamodb:ConditionCheckItem"]]
        assert leading_keys(check) == {"BOOKS"}
    if fid == "CloseAccountingPeriodFunction":
        expected.append(["dynamodb:Query"])
        (query,) = [s for s in others if as_list(s["Action"]) == ["dynamodb:Query"]]
        assert leading_keys(query) == {"JOURNAL", "BALANCES"}
    assert [as_list(s["Action"]) for s in others] == expected
    assert ITEM_WRITES.isdisjoint(a for s in others for a in as_list(s["Action"]))


@pytest.mark.parametrize("fid", sorted(ITEM_KEEPERS))
def test_the_publisher_replay_and_summarizer_touch_only_their_items(
    translated: dict[str, Any], fid: str
) -> None:
    actions, kinds = ITEM_KEEPERS[fid]
    table_statements = [s for s in role_statements(translated, fid) if TABLE_ARN in as_list(s["Resource"])]
    assert {a for s in table_statements for a in as_list(s["Action"])} == actions
    for statement in table_statements:
        assert leading_keys(statement) == kinds


def test_every_role_that_puts_items_carries_the_ledger_deny(translated: dict[str, Any]) -> None:
    putting = {*WRITES, SUMMARIZER}
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


@pytest.mark.slow
def test_each_operation_writes_only_what_its_role_may(api: Api) -> None:
    """Every mutation route, run on moto (the scenarios of tests/moto/test_faults.py): the items its
    request puts are of the kinds its role may put (the table above), and nothing is updated or
    deleted. Together they cover every function that writes."""
    router = Router(harness_template().routes())
    written: list[tuple[str, str]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "TransactWriteItems":
            for item in params["TransactItems"]:
                ((kind, action),) = item.items()
                written.append((kind, (action.get("Item") or action["Key"])["pk"]["S"]))
        elif model.name in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"):
            key = params.get("Item") or params.get("Key") or {"pk": {"S": "?"}}
            written.append((model.name.removesuffix("Item"), key["pk"]["S"]))

    covered: set[str] = set()
    events = get_dynamodb_client().meta.events
    for name, scenario in sorted(SCENARIOS.items()):
        path, body, _, _ = scenario(api)
        match = router.match("POST", path)
        assert isinstance(match, RouteMatch), path
        fid = match.route.function
        written.clear()
        events.register("provide-client-params.dynamodb", record, unique_id="item-kinds")
        try:
            response = api.post(path, body)
        finally:
            events.unregister("provide-client-params.dynamodb", unique_id="item-kinds")
        assert response.status in (200, 201), (name, response)
        # Puts, and a movement's one condition on its copy of the books' lock.
        # (A write-off of several invoices: one transaction, and one check, per invoice.)
        checks = [pk for kind, pk in written if kind == "ConditionCheck"]
        assert checks and all(pk.startswith("BOOKS#") for pk in checks), (name, written)
        puts = [(kind, pk) for kind, pk in written if kind != "ConditionCheck"]
        assert puts and {kind for kind, _ in puts} == {"Put"}, (name, written)
        kinds = {pk.split("#", 1)[0] for _, pk in puts}
        assert kinds <= WRITES[fid] | EVERY_WRITE, f"{name}: {fid} wrote {sorted(kinds)}"
        covered.add(fid)
    assert covered == MOVEMENTS  # closing and reopening periods: tests/integration/test_books.py
