"""What the deployed stack is after SAM's own translation (aws-sam-translator), not as written.

SAM adds roles, managed policies, CodeDeploy groups and versions that template.yaml does not
spell out; these tests read the CloudFormation it produces: every role grants exactly what its
function calls, on exact resources, and the operational pieces (alarms, canaries, logs) exist.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from tests.template.test_template import (
    API,
    EXPECTED_FUNCTIONS,
    PLANNER,
    PUBLISHER,
    READ_ONLY_FUNCTIONS,
    REPLAYER,
    STATE_MACHINES,
    SUMMARIZER,
    TABLE,
    TEMPLATE_PATH,
    WORKER_FUNCTIONS,
    as_list,
    load_cfn_yaml,
)

ALL = sorted(set(EXPECTED_FUNCTIONS) | set(WORKER_FUNCTIONS))
TABLE_ARN = {"Fn::GetAtt": [TABLE, "Arn"]}
STREAM_ARN = {"Fn::GetAtt": [TABLE, "StreamArn"]}
INDEXES_ARN = {"Fn::Sub": f"${{{TABLE}.Arn}}/index/*"}
PENDING_INDEX_ARN = {"Fn::Sub": f"${{{TABLE}.Arn}}/index/GSI5"}
STREAMS_ARN = {"Fn::Sub": f"${{{TABLE}.Arn}}/stream/*"}
BUS_ARN = {"Fn::GetAtt": ["CreditMemoEventBus", "Arn"]}
LEDGER_DENY = {"Ref": "LedgerNeverExpiresPolicy"}
ARCHIVE_OBJECTS_ARN = {"Fn::Sub": "${ArchiveBucket.Arn}/*"}
# The issued credit note documents in the archive bucket (the document function's only).
DOCUMENTS_ARN = {"Fn::Sub": "${ArchiveBucket.Arn}/credit-notes/*"}

# The only managed policies a role may carry: logs to its own group, X-Ray segments, and
# CodeDeploy's role for Lambda (it shifts aliases and reads the alarms).
MANAGED = {
    "service-role/AWSLambdaBasicExecutionRole",
    "AWSXrayWriteOnlyAccess",
    "service-role/AWSCodeDeployRoleForLambda",
}
API_GATEWAY_LOGS = "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
# Actions that name no resource (Step Functions' vended log delivery).
LOG_DELIVERY = {
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


@pytest.fixture(scope="module")
def translated() -> dict[str, Any]:
    from samtranslator.translator.transform import transform

    template = load_cfn_yaml(TEMPLATE_PATH)
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if key in properties:  # what `sam package` puts there
                properties[key] = f"s3://artifacts/{logical_id}"
    saved = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    try:
        return transform(template, {}, _NoManagedPolicies())  # type: ignore[no-any-return]
    finally:
        if saved is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = saved


def resources(translated: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in translated["Resources"].items() if v["Type"] == kind}


def statements(policy_document: dict[str, Any], *, with_key: bool = False) -> list[dict[str, Any]]:
    """The statements of a policy document, a conditional one (HasKmsKey) as deployed with or
    without the stack's key."""
    found = []
    for statement in as_list(policy_document["Statement"]):
        if "Fn::If" in statement:
            condition, if_true, if_false = statement["Fn::If"]
            assert condition == "HasKmsKey", statement
            statement = if_true if with_key else if_false
            if statement == {"Ref": "AWS::NoValue"}:
                continue
        found.append(statement)
    return found


def grants(role: dict[str, Any], *, with_key: bool = False) -> dict[str, list[Any]]:
    """action -> the resources every Allow of the role's inline policies grants it on."""
    found: dict[str, list[Any]] = {}
    for policy in role["Properties"].get("Policies", []):
        for statement in statements(policy["PolicyDocument"], with_key=with_key):
            assert statement["Effect"] == "Allow" and "NotAction" not in statement
            assert "NotResource" not in statement
            for action in as_list(statement["Action"]):
                found.setdefault(action, []).extend(as_list(statement["Resource"]))
    return found


def role_of(translated: dict[str, Any], logical_id: str) -> dict[str, Any]:
    properties = translated["Resources"][logical_id]["Properties"]
    role = properties.get("Role") or properties["RoleArn"]
    return translated["Resources"][role["Fn::GetAtt"][0]]  # type: ignore[no-any-return]


def test_roles_carry_only_the_reviewed_managed_policies(translated: dict[str, Any]) -> None:
    for name, role in resources(translated, "AWS::IAM::Role").items():
        # API Gateway's logging role (opt-in, test_template.py) pushes logs and nothing else.
        allowed = {API_GATEWAY_LOGS} if name == "ApiGatewayLoggingRole" else MANAGED
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            if arn == LEDGER_DENY:
                continue  # the stack's own, a Deny only (test_security.py)
            text = arn["Fn::Sub"] if isinstance(arn, dict) else arn
            assert text.split(":policy/", 1)[1] in allowed, f"{name}: {text}"


def test_no_statement_grants_a_wildcard_resource_but_log_delivery(translated: dict[str, Any]) -> None:
    for name, role in resources(translated, "AWS::IAM::Role").items():
        for action, granted in grants(role).items():
            assert "*" not in action, f"{name}: {action}"
            if action in LOG_DELIVERY:
                continue
            for resource in granted:
                # The list indexes (a reader queries GSI3/GSI4, or GSI1/GSI2 while a table
                # migrates), this table's streams and the archive's objects are the only patterns.
                if resource in (INDEXES_ARN, STREAMS_ARN, ARCHIVE_OBJECTS_ARN, DOCUMENTS_ARN):
                    continue
                assert "*" not in json.dumps(resource), f"{name}: {action} on {resource}"


@pytest.mark.parametrize("fid", sorted(EXPECTED_FUNCTIONS))
def test_api_functions_are_granted_exactly_what_they_call(translated: dict[str, Any], fid: str) -> None:
    granted = grants(role_of(translated, fid))
    if fid == "ReadBillingAccountProfileFunction":  # the profile by key, its revisions' partition
        assert granted == {"dynamodb:BatchGetItem": [TABLE_ARN], "dynamodb:Query": [TABLE_ARN]}
    elif fid == "PutBillingAccountProfileFunction":  # no money moves: no journal, no books' lock
        assert granted == {"dynamodb:BatchGetItem": [TABLE_ARN], "dynamodb:PutItem": [TABLE_ARN]}
    elif fid == "ReadApplicationsFunction":  # one record by key: no index
        assert granted == {"dynamodb:BatchGetItem": [TABLE_ARN]}
    elif fid == "RenderCreditMemoDocumentFunction":  # documents by key, issued once in the archive
        assert granted == {
            "dynamodb:BatchGetItem": [TABLE_ARN],
            "s3:GetObject": [DOCUMENTS_ARN],
            "s3:PutObject": [DOCUMENTS_ARN],
            "s3:ListBucket": [{"Fn::GetAtt": ["ArchiveBucket", "Arn"]}],
        }
    elif fid == "ReadAccountSummaryFunction":  # one summary item by key
        assert granted == {"dynamodb:GetItem": [TABLE_ARN]}
    elif fid == "ReadBooksFunction":  # the journal's date shards are the table's own partitions
        assert granted == {
            "dynamodb:BatchGetItem": [TABLE_ARN],
            "dynamodb:Query": [TABLE_ARN, INDEXES_ARN],
        }
    elif fid in READ_ONLY_FUNCTIONS:
        assert granted == {"dynamodb:BatchGetItem": [TABLE_ARN], "dynamodb:Query": [INDEXES_ARN]}
    elif fid == "CloseAccountingPeriodFunction":  # and freezes the period's balances
        assert granted == {
            "dynamodb:BatchGetItem": [TABLE_ARN],
            "dynamodb:PutItem": [TABLE_ARN],
            "dynamodb:Query": [TABLE_ARN],
        }
    elif fid == "ReopenAccountingPeriodFunction":
        assert granted == {"dynamodb:BatchGetItem": [TABLE_ARN], "dynamodb:PutItem": [TABLE_ARN]}
    else:
        # No GetItem or UpdateItem: the repository calls neither. A money movement checks the
        # books' lock (a ConditionCheck in its transaction).
        assert granted == {
            "dynamodb:BatchGetItem": [TABLE_ARN],
            "dynamodb:PutItem": [TABLE_ARN],
            "dynamodb:ConditionCheckItem": [TABLE_ARN],
        }


def test_the_planner_only_reads(translated: dict[str, Any]) -> None:
    assert grants(role_of(translated, PLANNER)) == {
        "dynamodb:BatchGetItem": [TABLE_ARN],
        "dynamodb:Query": [INDEXES_ARN],
    }


def test_the_publisher_reads_this_tables_stream_only(translated: dict[str, Any]) -> None:
    assert grants(role_of(translated, PUBLISHER)) == {
        "dynamodb:DescribeStream": [STREAM_ARN],
        "dynamodb:GetRecords": [STREAM_ARN],
        "dynamodb:GetShardIterator": [STREAM_ARN],
        "dynamodb:ListStreams": [STREAMS_ARN],
        "dynamodb:GetItem": [TABLE_ARN],  # the documents held behind a quarantined write
        "dynamodb:UpdateItem": [TABLE_ARN],  # confirming, quarantining, holding
        "events:PutEvents": [BUS_ARN],
        "sqs:SendMessage": [{"Fn::GetAtt": ["PublishEventsFailureQueue", "Arn"]}],
    }


def test_the_summarizer_reads_this_tables_stream_and_keeps_the_summary_items_only(
    translated: dict[str, Any],
) -> None:
    role = role_of(translated, SUMMARIZER)
    assert grants(role) == {
        "dynamodb:DescribeStream": [STREAM_ARN],
        "dynamodb:GetRecords": [STREAM_ARN],
        "dynamodb:GetShardIterator": [STREAM_ARN],
        "dynamodb:ListStreams": [STREAMS_ARN],
        "dynamodb:BatchGetItem": [TABLE_ARN],
        "dynamodb:PutItem": [TABLE_ARN],
        "dynamodb:UpdateItem": [TABLE_ARN],
        "sqs:SendMessage": [{"Fn::GetAtt": ["SummarizeAccountsFailureQueue", "Arn"]}],
    }
    (statement,) = [
        s
        for policy in role["Properties"]["Policies"]
        for s in as_list(policy["PolicyDocument"]["Statement"])
        if "dynamodb:PutItem" in as_list(s["Action"])
    ]
    leading = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    assert sorted(leading) == ["ACCOUNT#*", "SUMMARY#*"]


def test_the_replay_reads_the_pending_index_and_confirms(translated: dict[str, Any]) -> None:
    granted = grants(role_of(translated, REPLAYER))
    assert granted.pop("events:PutEvents") == [
        {
            "Fn::Sub": [
                "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${eventBusName}",
                {"eventBusName": {"Ref": "CreditMemoEventBus"}},
            ]
        }
    ]
    assert granted == {
        "dynamodb:Query": [PENDING_INDEX_ARN],
        "dynamodb:BatchGetItem": [TABLE_ARN],
        "dynamodb:GetItem": [TABLE_ARN],
        "dynamodb:UpdateItem": [TABLE_ARN],
    }


@pytest.mark.parametrize("sm", sorted(STATE_MACHINES))
def test_state_machines_invoke_exact_alias_arns(translated: dict[str, Any], sm: str) -> None:
    granted = grants(role_of(translated, sm))
    _, invoked = STATE_MACHINES[sm]
    assert sorted(json.dumps(r) for r in granted.pop("lambda:InvokeFunction")) == sorted(
        json.dumps({"Fn::Sub": f"${{{fid}.Arn}}:${{FunctionAlias}}"}) for fid in invoked
    )
    assert set(granted) == LOG_DELIVERY


def test_no_role_reads_every_stream(translated: dict[str, Any]) -> None:
    for name, role in resources(translated, "AWS::IAM::Role").items():
        text = json.dumps(role)
        assert "AWSLambdaDynamoDBExecutionRole" not in text, name


# ------------------------------------------------------------------ operations


@pytest.mark.parametrize("fid", sorted(EXPECTED_FUNCTIONS))
def test_api_functions_deploy_by_canary_rolled_back_by_their_alarms(
    translated: dict[str, Any], fid: str
) -> None:
    groups = resources(translated, "AWS::CodeDeploy::DeploymentGroup")
    group = groups[f"{fid}DeploymentGroup"]["Properties"]
    alarms = {a["Name"]["Ref"] for a in group["AlarmConfiguration"]["Alarms"]}
    assert alarms == {f"{fid}ErrorsAlarm", f"{fid}ThrottlesAlarm", f"{API}5xxAlarm"}
    assert group["AlarmConfiguration"]["Enabled"] is True
    assert "DEPLOYMENT_STOP_ON_ALARM" in group["AutoRollbackConfiguration"]["Events"]
    # SAM resolves the DeploymentType parameter while translating (here: its default).
    config = group["DeploymentConfigName"]["Fn::Sub"][1]["ConfigName"]
    assert config == translated["Parameters"]["DeploymentType"]["Default"] == "Canary10Percent5Minutes"


def alarms_on(translated: dict[str, Any]) -> set[tuple[str, str]]:
    found = set()
    for alarm in resources(translated, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        assert isinstance(props["Threshold"], dict) and set(props["Threshold"]) == {"Ref"}, props
        assert props["Threshold"]["Ref"] in translated["Parameters"]
        metrics = [m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m]
        metrics = metrics or [props]
        for metric in metrics:
            found.add((metric["Namespace"], metric["MetricName"]))
    return found


def test_the_alarms_watch_what_the_issue_names(translated: dict[str, Any]) -> None:
    assert alarms_on(translated) >= {
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/Lambda", "IteratorAge"),
        ("AWS/ApiGateway", "5XXError"),
        ("AWS/ApiGateway", "Latency"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/States", "ExecutionsFailed"),
        ("AWS/DynamoDB", "ReadThrottleEvents"),
        ("AWS/DynamoDB", "WriteThrottleEvents"),
    }
    alarmed = {
        a["Properties"]["Dimensions"][0]["Value"]["Ref"]
        for a in resources(translated, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "Errors"
    }
    assert alarmed == set(ALL)


def test_the_api_alarms_watch_this_api_and_stage(translated: dict[str, Any]) -> None:
    name = translated["Resources"][API]["Properties"]["Name"]
    (stage,) = resources(translated, "AWS::ApiGateway::Stage").values()
    for alarm in ("CreditMemoApi5xxAlarm", "CreditMemoApiLatencyAlarm"):
        dimensions = translated["Resources"][alarm]["Properties"]["Dimensions"]
        assert {d["Name"]: d["Value"] for d in dimensions} == {
            "ApiName": name,
            "Stage": stage["Properties"]["StageName"],
        }


def test_api_access_logs_are_json_by_default(translated: dict[str, Any]) -> None:
    (stage,) = resources(translated, "AWS::ApiGateway::Stage").values()
    setting = stage["Properties"]["AccessLogSetting"]
    assert translated["Parameters"]["EnableAccessLogs"]["Default"] == "true"
    fmt = json.loads(setting["Format"]["Fn::If"][1].replace("\n", ""))
    assert {"requestId", "caller", "userArn", "accountId", "status"} <= set(fmt)


def test_the_bus_is_archived(translated: dict[str, Any]) -> None:
    (archive,) = resources(translated, "AWS::Events::Archive").values()
    assert archive["Properties"]["SourceArn"] == BUS_ARN


def test_gateway_responses_reach_the_api_definition(translated: dict[str, Any]) -> None:
    # SAM writes GatewayResponses into the API's OpenAPI body, with each header as API Gateway maps it.
    body = translated["Resources"][API]["Properties"]["Body"]
    responses = body["x-amazon-apigateway-gateway-responses"]
    assert responses["THROTTLED"]["responseParameters"] == {"gatewayresponse.header.Retry-After": "'1'"}
    template = responses["ACCESS_DENIED"]["responseTemplates"]["application/json"]
    assert json.loads(template.replace("$context.error.messageString", '"Forbidden"')) == {
        "errorCode": "FORBIDDEN",
        "message": "Forbidden",
    }
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "QUOTA_EXCEEDED", "REQUEST_TOO_LARGE"} <= set(responses)
