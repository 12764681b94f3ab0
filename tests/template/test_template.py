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
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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
CHECKER = "CheckInvariantsFunction"
RECONCILER = "ReconcileSummariesFunction"
STREAM_CONSUMERS = (PUBLISHER, SUMMARIZER)
# Run on a schedule, invoked by nobody else.
SCHEDULED = (CHECKER, RECONCILER)
WORKER_FUNCTIONS: dict[str, str] = {
    PLANNER: "plan_account_credits",
    PUBLISHER: "publish_events",
    REPLAYER: "replay_events",
    SUMMARIZER: "summarize_accounts",
    CHECKER: "check_invariants",
    RECONCILER: "reconcile_summaries",
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
# A money movement also checks the books' lock (ConditionCheck); the close reads the journal.
WRITE_ACTIONS = {"dynamodb:batchgetitem", "dynamodb:putitem", "dynamodb:conditioncheckitem"}
BOOKS_CLOSER = "CloseAccountingPeriodFunction"
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
    # The layer installs shared/requirements.txt: the lock of the package's runtime dependencies.
    layer = locked(REPO / "shared" / "requirements.txt")
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "aws-lambda-powertools[tracer]==3.37.0" in project["dependencies"]
    for requirement in map(Requirement, project["dependencies"]):
        version, _ = layer[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version), f"{requirement} is locked at {version}"
    assert {"aws-xray-sdk", "pydantic-core", "botocore"} <= set(layer)  # the dependencies' own, locked too


def locked(path: Path) -> dict[str, tuple[str, list[str]]]:
    """A hashed lock (make lock): name -> (the pinned version, its sha256 hashes)."""
    pins: dict[str, tuple[str, list[str]]] = {}
    name = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip().removesuffix("\\").strip()
        if not text:
            continue
        if text.startswith("--hash=sha256:"):
            pins[name][1].append(text.removeprefix("--hash=sha256:"))
            continue
        requirement = Requirement(text)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{path.name}: {text} is not pinned"
        name = canonicalize_name(requirement.name)
        pins[name] = (specifier.version, [])
    return pins


LOCKS = ("shared/requirements.txt", "requirements/serve.txt", "requirements/dev.txt")


@pytest.mark.parametrize("lock", LOCKS)
def test_every_locked_version_carries_its_hashes(lock: str) -> None:
    pins = locked(REPO / lock)
    assert pins
    for name, (_, hashes) in pins.items():
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), f"{lock}: {name}"


def test_serving_and_development_run_the_versions_the_layer_ships() -> None:
    layer = locked(REPO / "shared" / "requirements.txt")
    for lock in ("requirements/serve.txt", "requirements/dev.txt"):
        pins = locked(REPO / lock)
        assert {name: pins.get(name) for name in layer} == layer, lock
    assert "pyyaml" in locked(REPO / "requirements/serve.txt")
    # serving installs nothing of the development toolchain
    assert not {"moto", "pytest", "mypy", "cfn-lint", "schemathesis"} & set(
        locked(REPO / "requirements/serve.txt")
    )


@pytest.mark.parametrize("fid", sorted(ALL_FUNCTIONS))
def test_retries_stop_in_time_for_one_more_call_before_timing_out(template: dict[str, Any], fid: str) -> None:
    """A request that keeps losing races answers 409 before Lambda's timeout would cut it off, and
    every DynamoDB attempt (started only if it can end in time: credit_memos.deadline) fits."""
    from credit_memos.adapters.dynamodb.client import ATTEMPT_SECONDS
    from credit_memos.deadline import ANSWER_SECONDS
    from credit_memos.settings import Settings

    globals_ = template["Globals"]["Function"]
    function = template["Resources"][fid]["Properties"]
    timeout = function.get("Timeout", globals_["Timeout"])
    variables = globals_["Environment"]["Variables"] | function.get("Environment", {}).get("Variables", {})
    budget = Settings.from_environment({"RETRY_BUDGET_SECONDS": variables["RETRY_BUDGET_SECONDS"]})
    # the last attempt starts within the budget; one more call at the SDK's timeouts still fits
    assert budget.retry_budget_seconds + ATTEMPT_SECONDS + ANSWER_SECONDS <= timeout
    # and the deadline leaves most of the function's time to DynamoDB: a read and a commit fit
    assert timeout >= 2 * ATTEMPT_SECONDS + ANSWER_SECONDS


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
    # The stream consumers' roles (SAM's would read every stream in the account), API Gateway's
    # logging role (only when the stack is asked to set it; its checks below), and the
    # deployment's own (test_security.py checks each): the archive's delivery role, the trusted
    # invokers' policy, the ledger's no-expiry deny and the stack key's use. The translated
    # template's roles, these included, are checked in test_translated.py.
    iam = [k for k, v in template["Resources"].items() if str(v.get("Type", "")).startswith("AWS::IAM::")]
    assert sorted(iam) == sorted(
        [
            *(f"{fid}Role" for fid in STREAM_CONSUMERS),
            LOGGING_ROLE,
            "ArchiveDeliveryRole",
            "DirectInvocationPolicy",
            "LedgerNeverExpiresPolicy",
            "StackKeyUsePolicy",
        ]
    )
    for fid, fn in functions(template).items():
        if fid not in STREAM_CONSUMERS:
            assert "Role" not in fn["Properties"], f"{fid}: a custom role bypasses these checks"


LOGGING_ROLE = "ApiGatewayLoggingRole"


def test_api_gateway_logging_role_is_opt_in_and_only_pushes_logs(template: dict[str, Any]) -> None:
    role = template["Resources"][LOGGING_ROLE]
    assert template["Parameters"]["CreateApiGatewayLoggingRole"]["Default"] == "false"
    assert role["Condition"] == "CreatesApiGatewayLoggingRole"
    # The account setting outlives the stack; so must the role it names.
    assert role["DeletionPolicy"] == role["UpdateReplacePolicy"] == "Retain"
    assert template["Conditions"]["CreatesApiGatewayLoggingRole"] == {
        "Fn::And": [
            {"Condition": "AccessLogsEnabled"},
            {"Fn::Equals": [{"Ref": "CreateApiGatewayLoggingRole"}, "true"]},
        ]
    }
    props = role["Properties"]
    assert props["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    assert props["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}
    ]
    assert set(props) == {"Description", "AssumeRolePolicyDocument", "ManagedPolicyArns"}
    account = template["Resources"]["ApiGatewayAccount"]
    assert account["Condition"] == role["Condition"]
    assert account["Properties"] == {"CloudWatchRoleArn": {"Fn::GetAtt": [LOGGING_ROLE, "Arn"]}}
    # The stage waits for the account setting it logs through.
    destination = template["Resources"][API]["Properties"]["AccessLogSetting"]["DestinationArn"]
    assert {"Ref": "ApiGatewayAccount"} in destination["Fn::If"][1]["Fn::If"][1]["Fn::Select"][1]


@pytest.mark.parametrize("fid", TABLE_FUNCTIONS)
def test_least_privilege(template: dict[str, Any], fid: str) -> None:
    grants = granted_statements(fid, functions(template)[fid])
    if fid == DOCUMENT_FUNCTION:  # its archive grants: test_the_document_function_issues_documents_once
        grants = [(actions, resources) for actions, resources in grants if not actions <= DOCUMENT_ACTIONS]
    assert grants, f"{fid} has no access to the table"
    allowed = READ_ACTIONS if fid in READ_ONLY_TABLE_FUNCTIONS else WRITE_ACTIONS
    if fid == BOOKS_CLOSER:  # it also reads the journal to freeze the period's balances
        allowed = READ_ACTIONS | WRITE_ACTIONS
    for actions, resources in grants:
        assert not any("*" in a for a in actions), f"{fid}: wildcard action in {sorted(actions)}"
        assert not actions & FORBIDDEN_ACTIONS, f"{fid}: forbidden {sorted(actions & FORBIDDEN_ACTIONS)}"
        assert actions <= allowed, f"{fid}: not allowed {sorted(actions - allowed)}"
        for resource in resources:
            is_table = resource == TABLE_ARN
            is_index = isinstance(resource, dict) and bool(INDEX_ARN_SUB.match(str(resource.get("Fn::Sub"))))
            assert is_table or is_index, f"{fid}: resource {resource!r} is not the table or its indexes"


DOCUMENT_FUNCTION = "RenderCreditMemoDocumentFunction"
DOCUMENT_ACTIONS = {"s3:getobject", "s3:putobject", "s3:listbucket"}


def test_the_document_function_issues_documents_once(template: dict[str, Any]) -> None:
    """Issued documents (spec section 12): read and put under credit-notes/ of the Object Lock
    archive, by this function only; no delete, no retention or legal-hold change."""
    documents = {"Fn::Sub": "${ArchiveBucket.Arn}/credit-notes/*"}
    for fid, fn in functions(template).items():
        statements = [
            statement
            for policy in as_list(fn["Properties"].get("Policies", []))
            if isinstance(policy, dict) and "Statement" in policy
            for statement in as_list(policy["Statement"])
        ]
        s3 = [
            ({str(a).lower() for a in as_list(s["Action"])}, as_list(s["Resource"]))
            for s in statements
            if any(str(a).startswith("s3:") for a in as_list(s.get("Action", [])))
        ]
        if fid in ("CheckInvariantsFunction", "ReconcileSummariesFunction"):
            # They read the change archive to find what changed; neither writes to it.
            assert all(actions <= {"s3:getobject", "s3:listbucket"} for actions, _ in s3), fid
            continue
        if fid != DOCUMENT_FUNCTION:
            assert s3 == [], fid
            continue
        assert s3 == [
            ({"s3:getobject", "s3:putobject"}, [documents]),
            ({"s3:listbucket"}, [{"Fn::GetAtt": ["ArchiveBucket", "Arn"]}]),
        ]
    variables = functions(template)[DOCUMENT_FUNCTION]["Properties"]["Environment"]["Variables"]
    assert variables["DOCUMENT_ARCHIVE_BUCKET"] == {"Ref": "ArchiveBucket"}
    lock = template["Resources"]["ArchiveBucket"]["Properties"]["ObjectLockConfiguration"]
    assert lock["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE"
    binary = template["Resources"][API]["Properties"]["BinaryMediaTypes"]
    assert {"application~1pdf", "*~1*"} == set(binary)


def test_read_functions_are_the_get_only_ones() -> None:
    assert {
        "ReadInvoicesFunction",
        "ReadCreditMemosFunction",
        "ReadApplicationsFunction",
        "ReadAccountSummaryFunction",
        "ListInvoicePaymentsFunction",
        "ReadBooksFunction",
        "ReadCreditMemoRefundsFunction",
        "ReadBillingAccountProfileFunction",
        "RenderCreditMemoDocumentFunction",
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
            if fid in SCHEDULED:
                assert event["Type"] == "Schedule", f"{fid}.{name}"
                continue
            if fid in WORKER_FUNCTIONS:
                assert fid in STREAM_CONSUMERS and event["Type"] == "DynamoDB", f"{fid}.{name}"
                continue
            assert event["Type"] == "Api", f"{fid}.{name}"
            props = event["Properties"]
            # Without RestApiId SAM makes an implicit API that has no authorizer.
            assert props.get("RestApiId") == {"Ref": API}, f"{fid}.{name}"
            auth = props.get("Auth", {})
            if props["Path"].startswith("/services/data/"):
                # The Salesforce-compatible routes: OAuth 2.0 client credentials, with a scope.
                assert auth.get("Authorizer") == "SalesforceOAuth", f"{fid}.{name}"
                assert auth.get("AuthorizationScopes"), f"{fid}.{name}"
                continue
            assert auth.get("Authorizer", "AWS_IAM") == "AWS_IAM", f"{fid}.{name}"


def test_salesforce_routes_ask_the_scopes_the_openapi_document_states(template: dict[str, Any]) -> None:
    """The template's AuthorizationScopes of each OAuth route are the document's cognito scopes."""
    document = json.loads((REPO / "openapi.json").read_text(encoding="utf-8"))
    checked = 0
    for fn in functions(template).values():
        for event in (fn["Properties"].get("Events") or {}).values():
            props = event["Properties"]
            if event["Type"] != "Api" or not props["Path"].startswith("/services/data/"):
                continue
            operation = document["paths"][props["Path"]][props["Method"]]
            assert operation["security"] == [{"cognito": props["Auth"]["AuthorizationScopes"]}], props["Path"]
            checked += 1
    assert checked == 12


def test_table_matches_design(template: dict[str, Any]) -> None:
    table = template["Resources"][TABLE]
    assert table["Type"] == "AWS::DynamoDB::Table"
    # Retained and protected unless ProtectTable is 'false' (a throwaway stack); so by default.
    assert template["Parameters"]["ProtectTable"]["Default"] == "true"
    assert template["Conditions"]["TableProtected"] == {"Fn::Equals": [{"Ref": "ProtectTable"}, "true"]}
    assert "AWS::LanguageExtensions" in template["Transform"]  # intrinsics in the policies
    assert table["DeletionPolicy"] == {"Fn::If": ["TableProtected", "Retain", "Delete"]}
    assert table["UpdateReplacePolicy"] == {"Fn::If": ["TableProtected", "Retain", "Delete"]}
    props = table["Properties"]
    assert props["DeletionProtectionEnabled"] == {"Fn::If": ["TableProtected", True, False]}
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
    # schemas/: the published domain events' schemas (python -m infra.event_schemas), not samples.
    known = set(FOLDER_TO_FUNCTION) | set(WORKER_FUNCTIONS.values()) | {"schemas"}
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

    if method in ("POST", "PUT"):
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


# ------------------------------------------------------- gateway answers, dashboard, deploy

# The gateway's own answers: the errorCode each takes (the service's where one fits, docs/api.md
# "Errors"); the two defaults name the gateway's response type.
GATEWAY_ERROR_CODES = {
    "DEFAULT_4XX": "$context.error.responseType",
    "DEFAULT_5XX": "$context.error.responseType",
    "ACCESS_DENIED": "FORBIDDEN",
    "MISSING_AUTHENTICATION_TOKEN": "MISSING_AUTHENTICATION_TOKEN",
    "INVALID_SIGNATURE": "INVALID_SIGNATURE",
    "EXPIRED_TOKEN": "EXPIRED_TOKEN",
    "UNAUTHORIZED": "UNAUTHORIZED",
    "RESOURCE_NOT_FOUND": "NOT_FOUND",
    "REQUEST_TOO_LARGE": "PAYLOAD_TOO_LARGE",
    "UNSUPPORTED_MEDIA_TYPE": "UNSUPPORTED_MEDIA_TYPE",
    "BAD_REQUEST_BODY": "BAD_REQUEST",
    "BAD_REQUEST_PARAMETERS": "BAD_REQUEST",
    "THROTTLED": "THROTTLED",
    "QUOTA_EXCEEDED": "QUOTA_EXCEEDED",
    "INTEGRATION_TIMEOUT": "SERVICE_UNAVAILABLE",
    "INTEGRATION_FAILURE": "INTERNAL_ERROR",
}
RETRY_AFTER = {"THROTTLED", "QUOTA_EXCEEDED", "INTEGRATION_TIMEOUT"}


def test_gateway_answers_have_the_service_error_shape(template: dict[str, Any]) -> None:
    responses = template["Resources"][API]["Properties"]["GatewayResponses"]
    assert set(responses) == set(GATEWAY_ERROR_CODES)
    for kind, response in responses.items():
        body = response["ResponseTemplates"]["application/json"]
        # What API Gateway renders: $context.error.messageString is a quoted JSON string.
        rendered = body.replace("$context.error.messageString", json.dumps("Forbidden")).replace(
            "$context.error.responseType", kind
        )
        assert json.loads(rendered) == {
            "errorCode": GATEWAY_ERROR_CODES[kind].replace("$context.error.responseType", kind),
            "message": "Forbidden",
        }
        headers = response.get("ResponseParameters", {}).get("Headers", {})
        if kind in RETRY_AFTER:
            assert re.fullmatch(r"'[1-9][0-9]*'", headers["Retry-After"]), kind
        else:
            assert "Retry-After" not in headers, kind
        assert "StatusCode" not in response  # the gateway's own status stays


def test_gateway_error_codes_are_the_service_codes_where_one_fits() -> None:
    from credit_memos import errors
    from credit_memos.api import errors as api_errors

    service = {
        cls.error_code
        for module in (errors, api_errors)
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, errors.DomainError) and cls is not errors.DomainError
    }
    for code in ("NOT_FOUND", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "BAD_REQUEST"):
        assert code in service
    assert {"SERVICE_UNAVAILABLE", "INTERNAL_ERROR"} <= service


def dashboard_body(template: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The dashboard's JSON with every ${...} replaced by its name, and those names."""
    text = template["Resources"]["CreditMemoDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    names = set(re.findall(r"\$\{([^}]+)\}", text))
    return json.loads(re.sub(r"\$\{([^}]+)\}", r"\1", text)), names


def test_dashboard_shows_traffic_errors_latency_conflicts_and_stream_lag(template: dict[str, Any]) -> None:
    body, names = dashboard_body(template)
    known = set(template["Resources"]) | set(template["Parameters"]) | {"AWS::Region", "AWS::StackName"}
    assert {name.split(".")[0] for name in names} <= known
    shown: set[tuple[str, str, str]] = set()  # (namespace, metric, stat or dimension value)
    for widget in body["widgets"]:
        for metric in widget["properties"]["metrics"]:
            if len(metric) == 1:  # [{"expression": ...}]: metric math, such as a SEARCH by route
                assert "SEARCH(" in metric[0]["expression"]
                assert re.fullmatch(r"[a-z][A-Za-z0-9_]*", metric[0]["id"])  # CloudWatch's rule for ids
                continue
            options = metric[-1] if isinstance(metric[-1], dict) else {}
            stat = options.get("stat", widget["properties"]["stat"])
            values = metric[2:-1] if options else metric[2:]
            shown.add((metric[0], metric[1], stat))
            shown |= {(metric[0], metric[1], str(value)) for value in values[1::2]}
    assert {
        ("AWS/ApiGateway", "Count", "Sum"),
        ("AWS/ApiGateway", "4XXError", "Sum"),
        ("AWS/ApiGateway", "5XXError", "Sum"),
        ("AWS/ApiGateway", "Latency", "p50"),
        ("AWS/ApiGateway", "Latency", "p99"),
        ("CreditMemos", "Error409", "Sum"),
        ("AWS/Lambda", "IteratorAge", PUBLISHER),
        ("AWS/Lambda", "IteratorAge", SUMMARIZER),
    } <= shown
    assert {("AWS/Lambda", "Errors", fid) for fid in ALL_FUNCTIONS} <= shown
    # the Error<status> counts are what the edge publishes, under the functions' namespace and service
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "CreditMemos"
    assert ("CreditMemos", "Error409", env["POWERTOOLS_SERVICE_NAME"]) in shown
    # the API's metrics name this API and stage, as the alarms do
    alarm = template["Resources"]["CreditMemoApi5xxAlarm"]["Properties"]["Dimensions"]
    assert alarm == [
        {"Name": "ApiName", "Value": {"Fn::Sub": "${AWS::StackName}-CreditMemoApi"}},
        {"Name": "Stage", "Value": {"Ref": "StageName"}},
    ]
    assert ("AWS/ApiGateway", "Count", "AWS::StackName-CreditMemoApi") in shown


SAMCONFIG = REPO / "samconfig.toml"


def overrides(environment: str) -> dict[str, str]:
    config = tomllib.loads(SAMCONFIG.read_text(encoding="utf-8"))
    text = config[environment]["deploy"]["parameters"]["parameter_overrides"]
    return dict(item.split("=", 1) for item in text.split())


def test_samconfig_dev_is_throwaway_and_prod_keeps_the_safe_defaults(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]
    for environment in ("dev", "prod"):
        for name, value in overrides(environment).items():
            assert name in parameters, f"{environment}: {name}"
            if "AllowedValues" in parameters[name]:
                assert value in parameters[name]["AllowedValues"], f"{environment}: {name}={value}"
    dev = overrides("dev")
    assert dev["DeploymentType"] == "AllAtOnce"
    assert dev["ProtectTable"] == "false"
    assert dev["EnableAccessLogs"] == "false"
    # prod: the template's defaults, spelled out
    for name, value in overrides("prod").items():
        assert parameters[name]["Default"] == value, name
    assert {"DeploymentType", "ProtectTable", "EnableAccessLogs"} <= set(overrides("prod"))
    config = tomllib.loads(SAMCONFIG.read_text(encoding="utf-8"))
    assert config["prod"]["deploy"]["parameters"]["confirm_changeset"] is True
    assert (
        config["dev"]["deploy"]["parameters"]["stack_name"]
        != config["prod"]["deploy"]["parameters"]["stack_name"]
    )


def test_template_description_points_at_a_doc_that_exists(template: dict[str, Any]) -> None:
    named = re.findall(r"docs/[a-z-]+\.md", template["Description"])
    assert named and all((REPO / doc).is_file() for doc in named)


def make_dry_run(*args: str) -> str:
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.stdout + result.stderr


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_make_deploy_builds_then_deploys_with_the_pinned_sam_cli(environment: str) -> None:
    commands = make_dry_run("deploy", f"ENV={environment}").splitlines()
    deploys = [line for line in commands if re.search(r"\bsam deploy\b", line)]
    assert deploys and all(".local/sam-venv/bin/sam deploy --config-env " + environment in d for d in deploys)
    assert any("infra.build" in line for line in commands[: commands.index(deploys[0])])


def test_make_deploy_wants_an_environment() -> None:
    assert "usage: make deploy ENV=dev|prod" in make_dry_run("deploy", "ENV=staging")
