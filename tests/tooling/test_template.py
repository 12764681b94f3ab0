from __future__ import annotations

from pathlib import Path

import pytest

from infra.local.template import (
    Template,
    TemplateError,
    parse_template_text,
)

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_TEMPLATE = FIXTURES / "template.yaml"


def test_short_tags_become_long_form_intrinsics() -> None:
    doc = parse_template_text(
        """
AWSTemplateFormatVersion: 2010-09-09
Resources:
  X:
    Type: Test
    Properties:
      A: !Ref Foo
      B: !GetAtt Table.StreamArn
      C: !GetAtt [Table, Arn]
      D: !Sub "${AWS::Region}-x"
      E: !Sub ["${A}-${B}", {A: !Ref Foo, B: b}]
      F: !If [Cond, !Join ["-", [a, !Select [0, [x, y]]]], !Ref AWS::NoValue]
      G: !Equals [!Ref Foo, bar]
      H: !Split [",", "a,b"]
      I: !FindInMap [M, K, V]
      J: !Condition Cond
      K: !Base64 text
      L: !ImportValue other-stack-output
"""
    )
    assert doc["AWSTemplateFormatVersion"] == "2010-09-09"
    props = doc["Resources"]["X"]["Properties"]
    assert props["A"] == {"Ref": "Foo"}
    assert props["B"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert props["C"] == {"Fn::GetAtt": ["Table", "Arn"]}
    assert props["D"] == {"Fn::Sub": "${AWS::Region}-x"}
    assert props["E"] == {"Fn::Sub": ["${A}-${B}", {"A": {"Ref": "Foo"}, "B": "b"}]}
    assert props["F"] == {
        "Fn::If": [
            "Cond",
            {"Fn::Join": ["-", ["a", {"Fn::Select": [0, ["x", "y"]]}]]},
            {"Ref": "AWS::NoValue"},
        ]
    }
    assert props["G"] == {"Fn::Equals": [{"Ref": "Foo"}, "bar"]}
    assert props["H"] == {"Fn::Split": [",", "a,b"]}
    assert props["I"] == {"Fn::FindInMap": ["M", "K", "V"]}
    assert props["J"] == {"Condition": "Cond"}
    assert props["K"] == {"Fn::Base64": "text"}
    assert props["L"] == {"Fn::ImportValue": "other-stack-output"}


def test_parameter_defaults(template: Template) -> None:
    assert template.parameter_defaults() == {
        "Stage": "dev",
        "CreditApplicationLevel": "Invoice",
        "IdempotencyTtlHours": 48,
        "AlarmEmail": "",
    }


def test_functions_merge_globals_and_resolve_environment(template: Template) -> None:
    functions = template.functions()
    assert sorted(functions) == ["BoomFunction", "EchoFunction", "ItemsFunction", "SlowFunction"]
    echo = functions["EchoFunction"]
    assert echo.code_dir == FIXTURES / "functions" / "echo"
    assert echo.handler == "app.lambda_handler"
    assert echo.handler_file == FIXTURES / "functions" / "echo" / "app.py"
    assert echo.handler_function == "lambda_handler"
    assert echo.folder_name == "echo"
    assert echo.function_name == "EchoFunction"
    assert echo.runtime == "python3.11"
    assert (echo.timeout_s, echo.memory_mb) == (10, 256)
    assert echo.environment == {
        "TABLE_NAME": "credit-memos-dev",
        "CREDIT_APPLICATION_LEVEL": "Invoice",
        "IDEMPOTENCY_TTL_HOURS": "48",
        "POWERTOOLS_METRICS_NAMESPACE": "CreditMemos",
        "LOG_LEVEL": "DEBUG",
        "TABLE_ARN": "arn:aws:dynamodb:us-east-1:123456789012:table/credit-memos-dev",
        "REGION_AND_STACK": "us-east-1/local",
        "POWERTOOLS_SERVICE_NAME": "echo",
    }  # ALARM_EMAIL is !If [.., AWS::NoValue]: dropped
    assert functions["BoomFunction"].timeout_s == 3
    assert functions["ItemsFunction"].memory_mb == 512


def test_parameter_overrides_and_table_name_overrides() -> None:
    template = Template.load(
        FIXTURE_TEMPLATE,
        parameter_overrides={"Stage": "prod", "CreditApplicationLevel": "InvoiceLine", "AlarmEmail": "a@b.c"},
        table_names={"CreditMemoTable": "my-table"},
        region="eu-west-1",
    )
    env = template.functions()["EchoFunction"].environment
    assert env["TABLE_NAME"] == "my-table"
    assert env["CREDIT_APPLICATION_LEVEL"] == "InvoiceLine"
    assert env["LOG_LEVEL"] == "INFO"
    assert env["ALARM_EMAIL"] == "a@b.c"
    assert env["REGION_AND_STACK"] == "eu-west-1/local"
    assert template.tables()["CreditMemoTable"].table_name == "my-table"
    assert {route.stage for route in template.routes()} == {"prod"}


def test_routes(template: Template) -> None:
    routes = {(r.method, r.path): r for r in template.routes()}
    assert sorted(routes) == [
        ("ANY", "/echo/{proxy+}"),
        ("GET", "/invoices/summary"),
        ("GET", "/invoices/{invoiceId}"),
        ("GET", "/items/{id}"),
        ("GET", "/slow"),
        ("POST", "/invoices/{invoiceId}"),
        ("PUT", "/items/{id}"),
    ]
    route = routes[("POST", "/invoices/{invoiceId}")]
    assert route.function == "EchoFunction"
    assert route.event_name == "EchoInvoice"
    assert route.rest_api_id == "CreditMemoApi"
    assert route.stage == "dev"


def test_tables(template: Template) -> None:
    tables = template.tables()
    assert list(tables) == ["CreditMemoTable"]
    table = tables["CreditMemoTable"]
    assert table.table_name == "credit-memos-dev"
    assert table.ttl_attribute == "expiresAt"
    assert table.point_in_time_recovery is True
    assert table.stream_view_type == "NEW_IMAGE"
    gsi = [
        {
            "IndexName": f"GSI{n}",
            "KeySchema": [
                {"AttributeName": f"gsi{n}pk", "KeyType": "HASH"},
                {"AttributeName": f"gsi{n}sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
        for n in (1, 2)
    ]
    assert table.create_kwargs == {
        "TableName": "credit-memos-dev",
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"}
            for name in ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk")
        ],
        "GlobalSecondaryIndexes": gsi,
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    }


def test_table_without_name_uses_logical_id_and_provisioned_throughput() -> None:
    template = Template.from_text(
        """
Resources:
  T:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      ProvisionedThroughput: {ReadCapacityUnits: 1, WriteCapacityUnits: "2"}
"""
    )
    kwargs = template.tables()["T"].create_kwargs
    assert kwargs["TableName"] == "T"
    assert kwargs["BillingMode"] == "PROVISIONED"
    assert kwargs["ProvisionedThroughput"] == {"ReadCapacityUnits": 1, "WriteCapacityUnits": 2}
    assert template.tables()["T"].ttl_attribute is None


def test_find_function_by_logical_id_or_folder(template: Template) -> None:
    assert template.find_function("EchoFunction").logical_id == "EchoFunction"
    assert template.find_function("echo").logical_id == "EchoFunction"
    assert template.find_function("functions/items/").logical_id == "ItemsFunction"
    with pytest.raises(TemplateError, match="no function 'nope'"):
        template.find_function("nope")


def test_resolution_errors_are_clear() -> None:
    template = Template.from_text(
        """
Parameters:
  NoDefault: {Type: String}
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: f/
      Handler: app.handler
      Environment:
        Variables:
          A: !ImportValue shared-output
"""
    )
    with pytest.raises(TemplateError, match="Fn::ImportValue cannot be resolved locally"):
        template.functions()
    with pytest.raises(TemplateError, match="NoDefault has no Default"):
        template.resolve({"Ref": "NoDefault"})
    with pytest.raises(TemplateError, match="unknown parameter or resource Missing"):
        template.resolve({"Ref": "Missing"})


def test_intrinsics() -> None:
    template = Template.from_text(
        """
Parameters:
  Names: {Type: CommaDelimitedList, Default: "a,b,c"}
Mappings:
  Sizes: {dev: {memory: 128}}
Conditions:
  Always: !Equals [1, "1"]
  Both: !And [!Condition Always, !Not [!Equals [x, y]]]
Resources:
  Q: {Type: AWS::SQS::Queue, Properties: {QueueName: q1}}
  M: {Type: AWS::Serverless::StateMachine}
"""
    )
    assert template.resolve({"Ref": "Names"}) == ["a", "b", "c"]
    assert template.resolve({"Fn::Select": [1, {"Ref": "Names"}]}) == "b"
    assert template.resolve({"Fn::Join": ["+", {"Ref": "Names"}]}) == "a+b+c"
    assert template.resolve({"Fn::FindInMap": ["Sizes", "dev", "memory"]}) == 128
    assert template.condition("Both") is True
    assert (
        template.resolve({"Fn::Sub": "${!Literal}-${Q.Arn}"})
        == "${Literal}-arn:aws:sqs:us-east-1:123456789012:q1"
    )
    assert template.resolve({"Ref": "Q"}) == "https://sqs.us-east-1.amazonaws.com/123456789012/q1"
    assert template.resolve({"Ref": "M"}) == "arn:aws:states:us-east-1:123456789012:stateMachine:local-M"
    assert template.resolve([1, {"Ref": "AWS::NoValue"}, 2]) == [1, 2]


def test_the_repository_template_if_present() -> None:
    """Once the real template.yaml exists, it must be readable by the local tooling."""
    from infra.local.template import DEFAULT_TEMPLATE

    if not DEFAULT_TEMPLATE.exists():
        pytest.skip("template.yaml not written yet")
    template = Template.load(DEFAULT_TEMPLATE)
    functions = template.functions()
    assert functions
    assert template.routes()
    tables = template.tables()
    assert tables
    for function in functions.values():
        assert function.handler_file.is_file(), function.handler_file
        assert function.environment.get("TABLE_NAME") in {t.table_name for t in tables.values()}
