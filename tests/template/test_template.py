"""Checks of template.yaml (AWS SAM) and of the sample events in events/.

The template is read with a YAML loader that understands CloudFormation's short
tags (`!Ref`, `!GetAtt`, `!Sub`, ...), turning them into their long JSON forms
(`{"Ref": ...}`, `{"Fn::GetAtt": [...]}`, ...). Nothing here needs AWS or SAM CLI.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from credit_memos.adapters.dynamodb.keys import (
    INDEXED_ATTRIBUTES,
    INDEXES,
    NUMBER_ATTRIBUTE,
    NUMBER_INDEX,
    PENDING_INDEX,
)
from credit_memos.domain.summary import SUMMARIZED_ENTITIES

from infra.local.template import Route, Template

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO / "template.yaml"
EVENTS_DIR = REPO / "events"
TABLE = "CreditMemoTable"
API = "CreditMemoApi"


# --------------------------------------------------------------------------- loader


class CfnYamlLoader(yaml.SafeLoader):
    """SafeLoader that also accepts CloudFormation's short-form intrinsic tags."""


def _construct_cfn_tag(loader: CfnYamlLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix in ("Ref", "Condition"):
        return {tag_suffix: value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        logical_id, _, attribute = value.partition(".")
        value = [logical_id, attribute]
    return {f"Fn::{tag_suffix}": value}


CfnYamlLoader.add_multi_constructor("!", _construct_cfn_tag)


def load_cfn_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        data = yaml.load(f, Loader=CfnYamlLoader)
    assert isinstance(data, dict)
    return data


# ----------------------------------------------------------------- expected layout

# Every route, and the one function (logical id) that serves it, as template.yaml declares
# them; the rest is checked against it: each function's folder here, its resolver and
# openapi.json in test_openapi.py, the README's operation table in test_readme.py.
LOCAL_TEMPLATE = Template.load()
ROUTES: list[Route] = LOCAL_TEMPLATE.routes()
# Functions with routes: logical id -> code folder.
EXPECTED_FUNCTIONS: dict[str, str] = {
    route.function: LOCAL_TEMPLATE.functions()[route.function].folder_name for route in ROUTES
}
FOLDER_TO_FUNCTION = {folder: fid for fid, folder in EXPECTED_FUNCTIONS.items()}
READ_ONLY_FUNCTIONS = {
    fid
    for fid in EXPECTED_FUNCTIONS
    if all(route.method == "GET" for route in ROUTES if route.function == fid)
}
# Functions without routes (docs/orchestration-and-events.md): the state machines'
# read-only planner, the outbox publisher fed by the table's stream, the operator's replay.
PLANNER = "PlanAccountCreditsFunction"
PUBLISHER = "PublishEventsFunction"
REPLAYER = "ReplayEventsFunction"
# The account summary's stream consumer (docs/design.md "Account summary").
SUMMARIZER = "SummarizeAccountsFunction"
STREAM_CONSUMERS = (PUBLISHER, SUMMARIZER)
WORKER_FUNCTIONS: dict[str, str] = {
    PLANNER: "plan_account_credits",
    PUBLISHER: "publish_events",
    REPLAYER: "replay_events",
    SUMMARIZER: "summarize_accounts",
}
ALL_FUNCTIONS: dict[str, str] = EXPECTED_FUNCTIONS | WORKER_FUNCTIONS
# Functions that touch the table (the publisher reads the stream only, through its event source).
TABLE_FUNCTIONS = sorted(set(EXPECTED_FUNCTIONS) | {PLANNER})
READ_ONLY_TABLE_FUNCTIONS = READ_ONLY_FUNCTIONS | {PLANNER}
STATE_MACHINES: dict[str, tuple[str, set[str]]] = {
    # logical id: (definition file, the functions it invokes)
    "ApplyAccountCreditsStateMachine": (
        "infra/statemachines/apply_account_credits.asl.json",
        {PLANNER, "ApplyCreditMemoFunction"},
    ),
    "ConvertAndSettleInvoiceStateMachine": (
        "infra/statemachines/convert_and_settle_invoice.asl.json",
        {"ConvertNegativeInvoiceLinesFunction", PLANNER, "ApplyCreditMemoFunction"},
    ),
}

# DynamoDB actions a function may hold: what the repository calls (tests/template/test_translated.py
# checks the exact sets on the translated roles). Reads: BatchGetItem and Query (no Scan). Writers:
# BatchGetItem and PutItem (TransactWriteItems' Puts); never DeleteItem, BatchWriteItem (it can
# delete) or Scan.
READ_ACTIONS = {"dynamodb:batchgetitem", "dynamodb:query", "dynamodb:getitem"}
WRITE_ACTIONS = {"dynamodb:batchgetitem", "dynamodb:putitem"}
FORBIDDEN_ACTIONS = {"dynamodb:deleteitem", "dynamodb:scan", "dynamodb:batchwriteitem"}

# Actions of the SAM DynamoDB policy templates (samtranslator policy_templates.json),
# so a switch to one of them is judged by what it really grants
# (DynamoDBReadPolicy grants Scan, DynamoDBCrudPolicy grants DeleteItem and Scan).
SAM_POLICY_TEMPLATE_ACTIONS: dict[str, set[str]] = {
    "DynamoDBReadPolicy": {
        "dynamodb:GetItem",
        "dynamodb:Scan",
        "dynamodb:Query",
        "dynamodb:BatchGetItem",
        "dynamodb:DescribeTable",
    },
    "DynamoDBWritePolicy": {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"},
    "DynamoDBCrudPolicy": {
        "dynamodb:GetItem",
        "dynamodb:DeleteItem",
        "dynamodb:PutItem",
        "dynamodb:Scan",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:BatchGetItem",
        "dynamodb:DescribeTable",
        "dynamodb:ConditionCheckItem",
    },
}

TABLE_ARN = {"Fn::GetAtt": [TABLE, "Arn"]}
INDEX_ARN_SUB = re.compile(r"^\$\{" + TABLE + r"\.Arn\}/index/(\*|[A-Za-z0-9_.\-]+)$")


# ----------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_cfn_yaml(TEMPLATE_PATH)


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v.get("Type") == resource_type}


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources_of_type(template, "AWS::Serverless::Function")


def template_routes(template: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(METHOD, path, function logical id) for every Api event of every function."""
    routes = []
    for fid, fn in functions(template).items():
        for event in (fn["Properties"].get("Events") or {}).values():
            if event.get("Type") == "Api":
                props = event["Properties"]
                routes.append((props["Method"].upper(), props["Path"], fid))
    return routes


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def granted_statements(fid: str, fn: dict[str, Any]) -> list[tuple[set[str], list[Any]]]:
    """(lower-cased actions, resources) of every Allow a function's Policies grant."""
    grants: list[tuple[set[str], list[Any]]] = []
    for policy in as_list(fn["Properties"].get("Policies", [])):
        if policy == {"Ref": "LedgerNeverExpiresPolicy"}:
            continue  # a Deny only (test_security.py)
        if isinstance(policy, dict) and "Statement" in policy:
            for statement in as_list(policy["Statement"]):
                assert "NotAction" not in statement and "NotResource" not in statement, (
                    f"{fid}: NotAction/NotResource grant more than they name"
                )
                if statement.get("Effect") != "Allow":
                    continue
                actions = {str(a).lower() for a in as_list(statement["Action"])}
                grants.append((actions, as_list(statement["Resource"])))
        elif (
            isinstance(policy, dict) and len(policy) == 1 and set(policy) <= set(SAM_POLICY_TEMPLATE_ACTIONS)
        ):
            name, params = next(iter(policy.items()))
            assert params.get("TableName") == {"Ref": TABLE}, f"{fid}: {name} must name {TABLE}"
            actions = {a.lower() for a in SAM_POLICY_TEMPLATE_ACTIONS[name]}
            grants.append((actions, [TABLE_ARN, {"Fn::Sub": f"${{{TABLE}.Arn}}/index/*"}]))
        else:
            pytest.fail(f"{fid}: policy {policy!r} is not an inline statement or a reviewed policy template")
    return grants


# ------------------------------------------------------------------------ cfn-lint


CFN_LINT = "import sys; from cfnlint.runner import main; sys.exit(main())"


def test_cfn_lint_with_the_serverless_rules_reports_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CFN_LINT, "template.yaml", "--append-rules", "cfn_lint_serverless.rules"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, output
    assert output == ""


# ---------------------------------------------------------------------- functions


def test_functions_are_exactly_the_expected_ones(template: dict[str, Any]) -> None:
    assert set(functions(template)) == set(ALL_FUNCTIONS)


@pytest.mark.parametrize(("fid", "folder"), sorted(ALL_FUNCTIONS.items()))
def test_function_code_folder_has_app_py(template: dict[str, Any], fid: str, folder: str) -> None:
    props = functions(template)[fid]["Properties"]
    assert props["CodeUri"] == f"functions/{folder}/"
    assert props["Handler"] == "app.lambda_handler"
    assert (REPO / "functions" / folder / "app.py").is_file(), f"functions/{folder}/app.py is missing"


def test_globals(template: dict[str, Any]) -> None:
    g = template["Globals"]["Function"]
    assert g["Runtime"] == "python3.13"
    assert g["Architectures"] == ["arm64"]
    # Published versions behind the alias, resumed from a snapshot (the callers invoke the alias).
    assert g["AutoPublishAlias"] == {"Ref": "FunctionAlias"}
    assert g["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert g["Tracing"] == "Active"
    assert g["Layers"] == [{"Ref": "DomainLayer"}]
    assert "Policies" not in g and "Role" not in g
    env = g["Environment"]["Variables"]
    assert env["TABLE_NAME"] == {"Ref": TABLE}
    assert env["CREDIT_APPLICATION_LEVEL"] == {"Ref": "CreditApplicationLevel"}
    assert env["IDEMPOTENCY_TTL_HOURS"] == "48"
    assert env["POWERTOOLS_SERVICE_NAME"] == "credit-memos"
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "CreditMemos"
    assert env["LOG_LEVEL"] == env["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}
    level = template["Parameters"]["CreditApplicationLevel"]
    assert level["AllowedValues"] == ["Invoice", "InvoiceLine"]
    assert level["Default"] == "Invoice"


def test_domain_layer_is_built_from_shared_with_requirements(template: dict[str, Any]) -> None:
    layer = template["Resources"]["DomainLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["ContentUri"] == "shared/"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"  # shared/Makefile: wheels + bytecode
    assert (REPO / "shared" / "Makefile").read_text(encoding="utf-8").count("build-DomainLayer:") == 1
    assert layer["Metadata"]["BuildArchitecture"] == "arm64"  # pydantic-core is a native wheel
    requirements = (REPO / "shared" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pins = {line.strip() for line in requirements if line.strip() and not line.lstrip().startswith("#")}
    assert {"aws-lambda-powertools[tracer]==3.37.0", "pydantic>=2.7,<3"} <= pins
    # the layer's requirements are the package's runtime dependencies, kept in step
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert pins == set(project["dependencies"])


@pytest.mark.parametrize("fid", sorted(ALL_FUNCTIONS))
def test_retries_stop_in_time_for_one_more_call_before_timing_out(template: dict[str, Any], fid: str) -> None:
    """A request that keeps losing races answers 409 before Lambda's timeout would cut it off."""
    from credit_memos.adapters.dynamodb.client import CONNECT_TIMEOUT_S, READ_TIMEOUT_S
    from credit_memos.settings import Settings

    globals_ = template["Globals"]["Function"]
    function = template["Resources"][fid]["Properties"]
    timeout = function.get("Timeout", globals_["Timeout"])
    variables = globals_["Environment"]["Variables"] | function.get("Environment", {}).get("Variables", {})
    budget = Settings.from_environment({"RETRY_BUDGET_SECONDS": variables["RETRY_BUDGET_SECONDS"]})
    # the last attempt starts within the budget; one more call at the SDK's timeouts still fits
    assert budget.retry_budget_seconds + CONNECT_TIMEOUT_S + READ_TIMEOUT_S <= timeout


@pytest.mark.parametrize("fid", sorted(ALL_FUNCTIONS))
def test_function_log_group_keeps_30_days(template: dict[str, Any], fid: str) -> None:
    groups = [
        g
        for g in resources_of_type(template, "AWS::Logs::LogGroup").values()
        if g["Properties"].get("LogGroupName") == {"Fn::Sub": f"/aws/lambda/${{{fid}}}"}
    ]
    assert len(groups) == 1
    assert groups[0]["Properties"]["RetentionInDays"] == 30


def test_outputs(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert outputs["ApiUrl"]["Value"] == {
        "Fn::Sub": "https://${CreditMemoApi}.execute-api.${AWS::Region}.amazonaws.com/${StageName}"
    }
    assert outputs["TableName"]["Value"] == {"Ref": TABLE}
    # No function ARN invites a caller: the functions' callers are API Gateway, the state machines
    # and the roles DirectInvocationPolicy is attached to (test_translated.py).
    assert not [name for name in outputs if name.endswith("FunctionArn")]
    assert outputs["DirectInvocationPolicyArn"]["Value"] == {"Ref": "DirectInvocationPolicy"}
    for sm in STATE_MACHINES:
        assert outputs[f"{sm}Arn"]["Value"] == {"Ref": sm}
    assert outputs["EventBusName"]["Value"] == {"Ref": "CreditMemoEventBus"}


# ----------------------------------------------------------------- least privilege


def test_no_iam_outside_function_policies(template: dict[str, Any]) -> None:
    # The stream consumers' roles (SAM's would read every stream in the account), and the
    # deployment's own (test_security.py checks each): the archive's delivery role, the trusted
    # invokers' policy, the ledger's no-expiry deny and the stack key's use. The translated
    # template's roles, these included, are checked in test_translated.py.
    iam = [k for k, v in template["Resources"].items() if str(v.get("Type", "")).startswith("AWS::IAM::")]
    assert sorted(iam) == sorted(
        [
            *(f"{fid}Role" for fid in STREAM_CONSUMERS),
            "ArchiveDeliveryRole",
            "DirectInvocationPolicy",
            "LedgerNeverExpiresPolicy",
            "StackKeyUsePolicy",
        ]
    )
    for fid, fn in functions(template).items():
        if fid not in STREAM_CONSUMERS:
            assert "Role" not in fn["Properties"], f"{fid}: a custom role bypasses these checks"


@pytest.mark.parametrize("fid", TABLE_FUNCTIONS)
def test_least_privilege(template: dict[str, Any], fid: str) -> None:
    grants = granted_statements(fid, functions(template)[fid])
    assert grants, f"{fid} has no access to the table"
    allowed = READ_ACTIONS if fid in READ_ONLY_TABLE_FUNCTIONS else WRITE_ACTIONS
    for actions, resources in grants:
        assert not any("*" in a for a in actions), f"{fid}: wildcard action in {sorted(actions)}"
        assert not actions & FORBIDDEN_ACTIONS, f"{fid}: forbidden {sorted(actions & FORBIDDEN_ACTIONS)}"
        assert actions <= allowed, f"{fid}: not allowed {sorted(actions - allowed)}"
        for resource in resources:
            is_table = resource == TABLE_ARN
            is_index = isinstance(resource, dict) and bool(INDEX_ARN_SUB.match(str(resource.get("Fn::Sub"))))
            assert is_table or is_index, f"{fid}: resource {resource!r} is not the table or its indexes"


def test_read_functions_are_the_get_only_ones() -> None:
    assert {
        "ReadInvoicesFunction",
        "ReadCreditMemosFunction",
        "ReadApplicationsFunction",
        "ReadAccountSummaryFunction",
        "ListInvoicePaymentsFunction",
    } == READ_ONLY_FUNCTIONS


def test_publisher_has_its_own_role_and_the_bus(template: dict[str, Any]) -> None:
    fn = functions(template)[PUBLISHER]["Properties"]
    assert fn["Role"] == {"Fn::GetAtt": [f"{PUBLISHER}Role", "Arn"]}
    assert "Policies" not in fn
    assert fn["Environment"]["Variables"]["EVENT_BUS_NAME"] == {"Ref": "CreditMemoEventBus"}
    assert template["Resources"]["CreditMemoEventBus"]["Type"] == "AWS::Events::EventBus"


@pytest.mark.parametrize("fid", STREAM_CONSUMERS)
def test_stream_consumers_read_the_stream_with_partial_batch_failures(
    template: dict[str, Any], fid: str
) -> None:
    (event,) = functions(template)[fid]["Properties"]["Events"].values()
    assert event["Type"] == "DynamoDB"
    props = event["Properties"]
    assert props["Stream"] == {"Fn::GetAtt": [TABLE, "StreamArn"]}
    assert props["StartingPosition"] == "TRIM_HORIZON"
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    assert 1 <= props["MaximumRetryAttempts"] <= 10_000
    on_failure = props["DestinationConfig"]["OnFailure"]
    assert on_failure["Type"] == "SQS"
    queue = on_failure["Destination"]["Fn::GetAtt"][0]
    assert template["Resources"][queue]["Type"] == "AWS::SQS::Queue"


def test_summarizer_sees_only_the_header_items_of_invoices_and_memos(template: dict[str, Any]) -> None:
    (event,) = functions(template)[SUMMARIZER]["Properties"]["Events"].values()
    (criterion,) = event["Properties"]["FilterCriteria"]["Filters"]
    pattern = json.loads(criterion["Pattern"])
    assert pattern["dynamodb"]["NewImage"]["entity"] == {"S": list(SUMMARIZED_ENTITIES)}
    assert pattern["eventName"] == ["INSERT", "MODIFY"]
    assert template["Resources"][TABLE]["Properties"]["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"


def test_planner_has_no_routes(template: dict[str, Any]) -> None:
    assert "Events" not in functions(template)[PLANNER]["Properties"]


# ------------------------------------------------------------------ state machines


@pytest.mark.parametrize("sm", sorted(STATE_MACHINES))
def test_state_machine_definition_and_substitutions(template: dict[str, Any], sm: str) -> None:
    path, invoked = STATE_MACHINES[sm]
    resource = template["Resources"][sm]
    assert resource["Type"] == "AWS::Serverless::StateMachine"
    props = resource["Properties"]
    assert props["DefinitionUri"] == path
    definition = (REPO / path).read_text(encoding="utf-8")
    json.loads(definition)
    placeholders = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", definition))
    substitutions = props["DefinitionSubstitutions"]
    assert placeholders == set(substitutions), "every ${...} of the definition, and nothing else"
    # each task invokes the function's alias (its SnapStart-published version), not $LATEST
    alias_arn = re.compile(r"^\$\{(\w+)\.Arn\}:\$\{FunctionAlias\}$")
    matches = [alias_arn.match(v.get("Fn::Sub", "")) for v in substitutions.values()]
    assert all(matches), substitutions
    assert {m.group(1) for m in matches if m} == invoked


@pytest.mark.parametrize("sm", sorted(STATE_MACHINES))
def test_state_machine_may_invoke_only_its_functions_aliases(template: dict[str, Any], sm: str) -> None:
    _, invoked = STATE_MACHINES[sm]
    (policy,) = template["Resources"][sm]["Properties"]["Policies"]
    invoke = [s for s in policy["Statement"] if "lambda:InvokeFunction" in as_list(s["Action"])]
    assert [s["Action"] for s in invoke] == [["lambda:InvokeFunction"]]
    assert sorted(r["Fn::Sub"] for r in invoke[0]["Resource"]) == sorted(
        f"${{{fid}.Arn}}:${{FunctionAlias}}" for fid in invoked
    )


@pytest.mark.parametrize("sm", sorted(STATE_MACHINES))
def test_state_machine_logs_errors_and_every_state_times_out(template: dict[str, Any], sm: str) -> None:
    path, _ = STATE_MACHINES[sm]
    logging = template["Resources"][sm]["Properties"]["Logging"]
    assert logging["Level"] in ("ERROR", "ALL")
    (destination,) = logging["Destinations"]
    group = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    assert template["Resources"][group]["Properties"]["RetentionInDays"] == 30
    definition = json.loads((REPO / path).read_text(encoding="utf-8"))
    assert 0 < definition["TimeoutSeconds"] <= 24 * 3600

    def tasks(states: dict[str, Any]) -> list[dict[str, Any]]:
        found = []
        for state in states.values():
            if state["Type"] == "Task":
                found.append(state)
            if state["Type"] == "Map":
                found += tasks((state.get("ItemProcessor") or state["Iterator"])["States"])
        return found

    assert tasks(definition["States"])
    assert all(0 < task["TimeoutSeconds"] <= 900 for task in tasks(definition["States"]))


# ---------------------------------------------------------------------- API, table


def test_api_requires_iam_auth_everywhere(template: dict[str, Any]) -> None:
    api = template["Resources"][API]
    assert api["Type"] == "AWS::Serverless::Api"
    assert api["Properties"]["Auth"]["DefaultAuthorizer"] == "AWS_IAM"
    assert api["Properties"]["StageName"] == {"Ref": "StageName"}
    for fid, fn in functions(template).items():
        for name, event in (fn["Properties"].get("Events") or {}).items():
            if fid in WORKER_FUNCTIONS:
                assert fid in STREAM_CONSUMERS and event["Type"] == "DynamoDB", f"{fid}.{name}"
                continue
            assert event["Type"] == "Api", f"{fid}.{name}"
            props = event["Properties"]
            # Without RestApiId SAM makes an implicit API that has no authorizer.
            assert props.get("RestApiId") == {"Ref": API}, f"{fid}.{name}"
            assert props.get("Auth", {}).get("Authorizer", "AWS_IAM") == "AWS_IAM", f"{fid}.{name}"


def test_table_matches_design(template: dict[str, Any]) -> None:
    table = template["Resources"][TABLE]
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    props = table["Properties"]
    assert props["DeletionProtectionEnabled"] is True
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    indexes = {gsi["IndexName"]: gsi for gsi in props["GlobalSecondaryIndexes"]}
    # The indexes the repository queries, keyed as it expects, holding only what lists return.
    assert set(indexes) == {index.name for index in INDEXES} | {PENDING_INDEX.name, NUMBER_INDEX}
    # The outbox items still to deliver: keys only (the replay reads the items consistently).
    assert indexes[PENDING_INDEX.name]["KeySchema"] == [
        {"AttributeName": PENDING_INDEX.pk, "KeyType": "HASH"},
        {"AttributeName": PENDING_INDEX.sk, "KeyType": "RANGE"},
    ]
    assert indexes[PENDING_INDEX.name]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    # The sparse number index: keyed on the attribute only numbered memos have, keys only.
    assert indexes[NUMBER_INDEX] == {
        "IndexName": NUMBER_INDEX,
        "KeySchema": [{"AttributeName": NUMBER_ATTRIBUTE, "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }
    for index in INDEXES:
        gsi = indexes[index.name]
        assert gsi["KeySchema"] == [
            {"AttributeName": index.pk, "KeyType": "HASH"},
            {"AttributeName": index.sk, "KeyType": "RANGE"},
        ]
        assert gsi["Projection"] == {
            "ProjectionType": "INCLUDE",
            "NonKeyAttributes": list(INDEXED_ATTRIBUTES),
        }
    attributes = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert attributes == dict.fromkeys(
        (
            "pk",
            "sk",
            "gsi1pk",
            "gsi1sk",
            "gsi2pk",
            "gsi2sk",
            PENDING_INDEX.pk,
            PENDING_INDEX.sk,
            NUMBER_ATTRIBUTE,
        ),
        "S",
    )
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert props["SSESpecification"]["SSEEnabled"] is True


# ------------------------------------------------------------------------- routes


def test_every_route_is_served_by_exactly_one_function(template: dict[str, Any]) -> None:
    routes = template_routes(template)
    assert sorted(routes) == sorted((r.method, r.path, r.function) for r in ROUTES)
    keys = [(method, path) for method, path, _ in routes]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


# ------------------------------------------------------------------------- events

HTTP_EVENT_FILES = sorted(EVENTS_DIR.glob("*/http*.json"))
DIRECT_EVENT_FILES = sorted(EVENTS_DIR.glob("*/direct*.json"))


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO))


def test_there_are_sample_events() -> None:
    assert HTTP_EVENT_FILES and DIRECT_EVENT_FILES


@pytest.mark.parametrize("folder", sorted(FOLDER_TO_FUNCTION))
def test_every_function_has_both_event_files(folder: str) -> None:
    assert (EVENTS_DIR / folder / "http.json").is_file()
    assert (EVENTS_DIR / folder / "direct.json").is_file()


def test_event_folders_are_function_folders() -> None:
    folders = {p.name for p in EVENTS_DIR.iterdir() if p.is_dir()}
    known = set(FOLDER_TO_FUNCTION) | set(WORKER_FUNCTIONS.values())
    assert folders <= known, sorted(folders - known)


@pytest.mark.parametrize("path", HTTP_EVENT_FILES, ids=_rel)
def test_http_event_matches_a_route_of_its_function(template: dict[str, Any], path: Path) -> None:
    event = json.loads(path.read_text(encoding="utf-8"))
    method, resource = event["httpMethod"], event["resource"]
    serving = [f for m, p, f in template_routes(template) if (m, p) == (method, resource)]
    assert serving == [FOLDER_TO_FUNCTION[path.parent.name]], f"{method} {resource} -> {serving}"

    # Shape of an API Gateway REST (v1) proxy event.
    for key in (
        "path",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
        "body",
        "isBase64Encoded",
    ):
        assert key in event, key
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["resourcePath"] == resource
    assert context["httpMethod"] == method
    assert context["path"] == f"/{context['stage']}{event['path']}"
    for key in ("requestId", "accountId", "apiId", "requestTimeEpoch"):
        assert context[key], key
    assert {"sourceIp", "userArn"} <= set(context["identity"])

    expected_path = resource
    for name, value in (event["pathParameters"] or {}).items():
        expected_path = expected_path.replace("{" + name + "}", value)
    assert "{" not in expected_path, "pathParameters do not fill the resource"
    assert event["path"] == expected_path
    assert event["multiValueHeaders"] == {k: [v] for k, v in event["headers"].items()}
    query = event["queryStringParameters"]
    assert event["multiValueQueryStringParameters"] == ({k: [v] for k, v in query.items()} if query else None)

    if method == "POST":
        assert event["headers"]["Content-Type"] == "application/json"
        assert 1 <= len(event["headers"]["Idempotency-Key"]) <= 255
        assert isinstance(event["body"], str)
        assert isinstance(json.loads(event["body"]), dict)
    else:
        assert event["body"] is None


@pytest.mark.parametrize("path", DIRECT_EVENT_FILES, ids=_rel)
def test_direct_event_is_a_plain_object_with_the_path_ids(path: Path) -> None:
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(payload, dict)
    assert "httpMethod" not in payload and "requestContext" not in payload
    http_path = path.with_name(path.name.replace("direct", "http", 1))
    if http_path.is_file():
        http_event = json.loads(http_path.read_text(encoding="utf-8"))
        for name, value in (http_event["pathParameters"] or {}).items():
            assert payload.get(name) == value, name
        if http_event["body"]:
            body = json.loads(http_event["body"])
            assert {k: v for k, v in payload.items() if k in body} == body
