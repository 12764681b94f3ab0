"""Read ``template.yaml`` (SAM / CloudFormation) for local use.

What this gives the rest of the local tooling:

- :func:`load_template_document`: YAML with the CloudFormation short tags (``!Ref``, ``!Sub``,
  ``!GetAtt``, ``!If`` ...) turned into their long forms (``{"Ref": ...}``, ``{"Fn::Sub": ...}``).
- :class:`Template`: the functions (code dir, handler, environment with intrinsics resolved for local
  use), the REST API routes (``Type: Api`` events), the DynamoDB tables as ``create_table`` keyword
  arguments, and the parameter defaults.

Intrinsics are resolved with a fixed local context: ``AWS::Region`` -> the local region,
``AWS::AccountId`` -> ``123456789012``, ``AWS::StackName`` -> ``local``, a ``Ref`` to a parameter ->
its override or its ``Default``, a ``Ref`` to a table -> the local table name (its resolved
``TableName`` property, else its logical id). Refs and ``GetAtt`` to other resources give plausible
placeholders (names or ARNs built from the logical id). Only ``Fn::ImportValue`` and ``Fn::Cidr`` cannot
be resolved locally and raise :class:`TemplateError`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEMPLATE = REPO_ROOT / "template.yaml"

LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT_ID = "123456789012"
LOCAL_STACK_NAME = "local"
DEFAULT_STAGE = "Prod"  # SAM's default stage name
SAM_DEFAULT_TIMEOUT_S = 3
SAM_DEFAULT_MEMORY_MB = 128

TABLE_TYPE = "AWS::DynamoDB::Table"
FUNCTION_TYPE = "AWS::Serverless::Function"
SERVERLESS_API_TYPE = "AWS::Serverless::Api"


class TemplateError(Exception):
    """The template cannot be read or resolved for local use."""


# --------------------------------------------------------------------------------------------------
# YAML with CloudFormation short tags
# --------------------------------------------------------------------------------------------------


class CloudFormationLoader(yaml.SafeLoader):  # type: ignore[misc]
    """A safe YAML loader that understands CloudFormation's short-form intrinsic tags."""


def _construct_intrinsic(loader: Any, tag_suffix: str, node: Any) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        logical_id, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [logical_id, attribute]}
    return {f"Fn::{tag_suffix}": value}


def _construct_timestamp_as_string(loader: Any, node: Any) -> Any:
    # CloudFormation keeps e.g. an unquoted `AWSTemplateFormatVersion: 2010-09-09` as a string.
    return loader.construct_scalar(node)


CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)
CloudFormationLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_string)


def parse_template_text(text: str) -> dict[str, Any]:
    """Parse template text (YAML or JSON) into a dict with long-form intrinsics."""
    try:
        document = yaml.load(text, Loader=CloudFormationLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise TemplateError(f"cannot parse template: {exc}") from exc
    if not isinstance(document, dict):
        raise TemplateError("template is not a mapping")
    return document


def load_template_document(path: Path | str = DEFAULT_TEMPLATE) -> dict[str, Any]:
    """Read and parse a template file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"cannot read template {path}: {exc}") from exc
    return parse_template_text(text)


# --------------------------------------------------------------------------------------------------
# What the template describes
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionDefinition:
    logical_id: str
    function_name: str
    code_dir: Path
    handler: str  # e.g. "app.lambda_handler"
    runtime: str | None
    timeout_s: int
    memory_mb: int
    environment: dict[str, str]

    @property
    def handler_module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def handler_function(self) -> str:
        return self.handler.rsplit(".", 1)[1]

    @property
    def handler_file(self) -> Path:
        return self.code_dir.joinpath(*self.handler_module.split(".")).with_suffix(".py")

    @property
    def folder_name(self) -> str:
        return self.code_dir.name


@dataclass(frozen=True)
class Route:
    method: str  # upper case; "ANY" matches every method
    path: str  # API Gateway resource path, e.g. "/invoices/{invoiceId}"
    function: str  # logical id of the function
    event_name: str
    rest_api_id: str | None
    stage: str


@dataclass(frozen=True)
class TableDefinition:
    logical_id: str
    table_name: str
    create_kwargs: dict[str, Any]  # keyword arguments for DynamoDB CreateTable
    ttl_attribute: str | None = None
    point_in_time_recovery: bool = False
    stream_view_type: str | None = None


@dataclass
class LocalContext:
    region: str = LOCAL_REGION
    account_id: str = LOCAL_ACCOUNT_ID
    stack_name: str = LOCAL_STACK_NAME
    parameter_overrides: Mapping[str, Any] = field(default_factory=dict)
    table_names: Mapping[str, str] = field(default_factory=dict)  # logical id -> local table name


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()

_SUB_PATTERN = re.compile(r"\$\{([^}]*)\}")


class Template:
    """A parsed template plus the local context used to resolve its intrinsics."""

    def __init__(
        self,
        document: Mapping[str, Any],
        base_dir: Path | str = REPO_ROOT,
        context: LocalContext | None = None,
    ) -> None:
        self.document: dict[str, Any] = dict(document)
        self.base_dir = Path(base_dir)
        self.context = context or LocalContext()
        resources = self.document.get("Resources")
        if not isinstance(resources, dict) or not resources:
            raise TemplateError("template has no Resources")
        self.resources: dict[str, dict[str, Any]] = resources
        self.parameters: dict[str, dict[str, Any]] = self.document.get("Parameters") or {}
        self.conditions: dict[str, Any] = self.document.get("Conditions") or {}
        self.mappings: dict[str, Any] = self.document.get("Mappings") or {}
        self.globals: dict[str, Any] = self.document.get("Globals") or {}
        self._evaluating: set[str] = set()

    # -- construction -----------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        path: Path | str = DEFAULT_TEMPLATE,
        *,
        parameter_overrides: Mapping[str, Any] | None = None,
        table_names: Mapping[str, str] | None = None,
        region: str = LOCAL_REGION,
    ) -> Template:
        path = Path(path).resolve()
        context = LocalContext(
            region=region,
            parameter_overrides=dict(parameter_overrides or {}),
            table_names=dict(table_names or {}),
        )
        return cls(load_template_document(path), base_dir=path.parent, context=context)

    @classmethod
    def from_text(cls, text: str, base_dir: Path | str = REPO_ROOT, **context: Any) -> Template:
        return cls(parse_template_text(text), base_dir=base_dir, context=LocalContext(**context))

    # -- parameters and conditions -----------------------------------------------------------------

    def parameter_defaults(self) -> dict[str, Any]:
        """Each parameter's ``Default`` (parameters without one are left out)."""
        return {name: spec["Default"] for name, spec in self.parameters.items() if "Default" in spec}

    def parameter_value(self, name: str) -> Any:
        spec = self.parameters[name]
        if name in self.context.parameter_overrides:
            raw = self.context.parameter_overrides[name]
        elif "Default" in spec:
            raw = spec["Default"]
        else:
            raise TemplateError(f"parameter {name} has no Default; pass an override for local use")
        kind = str(spec.get("Type", "String"))
        if (kind == "CommaDelimitedList" or kind.startswith("List<")) and isinstance(raw, str):
            return [item.strip() for item in raw.split(",")]
        if isinstance(raw, bool):
            return "true" if raw else "false"
        if isinstance(raw, int | float):
            return str(raw)
        return raw

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            raise TemplateError(f"unknown condition {name}")
        if name in self._evaluating:
            raise TemplateError(f"condition {name} refers to itself")
        self._evaluating.add(name)
        try:
            return self._evaluate_condition(self.conditions[name])
        finally:
            self._evaluating.discard(name)

    def _evaluate_condition(self, expression: Any) -> bool:
        if isinstance(expression, bool):
            return expression
        if isinstance(expression, dict) and len(expression) == 1:
            ((key, arg),) = expression.items()
            if key == "Condition":
                return self.condition(str(arg))
            if key == "Fn::Equals":
                left, right = (self.resolve(item) for item in arg)
                return _scalar_text(left) == _scalar_text(right)
            if key == "Fn::And":
                return all(self._evaluate_condition(item) for item in arg)
            if key == "Fn::Or":
                return any(self._evaluate_condition(item) for item in arg)
            if key == "Fn::Not":
                return not self._evaluate_condition(arg[0])
        raise TemplateError(f"unsupported condition expression: {expression!r}")

    def _resource_enabled(self, resource: Mapping[str, Any]) -> bool:
        name = resource.get("Condition")
        return True if name is None else self.condition(str(name))

    # -- intrinsic resolution ---------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic in ``value`` for local use (``AWS::NoValue`` entries are dropped)."""
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(str(self.resolve(arg)))
            if key.startswith("Fn::"):
                return self._function(key, arg)
            if key == "Condition" and isinstance(arg, str) and arg in self.conditions:
                return self.condition(arg)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _ref(self, name: str) -> Any:
        ctx = self.context
        pseudo = {
            "AWS::Region": ctx.region,
            "AWS::AccountId": ctx.account_id,
            "AWS::StackName": ctx.stack_name,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{ctx.region}:{ctx.account_id}:stack/{ctx.stack_name}/local"
            ),
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
        }
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameter_value(name)
        resource = self.resources.get(name)
        if resource is None:
            raise TemplateError(f"Ref to unknown parameter or resource {name}")
        kind = resource.get("Type", "")
        if kind == TABLE_TYPE:
            return self.table_name(name)
        if kind in (FUNCTION_TYPE, "AWS::Lambda::Function"):
            return self._function_name(name)
        if kind in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            return self._arn("states", f"stateMachine:{self._physical_name(name, 'Name')}")
        if kind == "AWS::SQS::Queue":
            queue_name = self._physical_name(name, "QueueName")
            return f"https://sqs.{ctx.region}.amazonaws.com/{ctx.account_id}/{queue_name}"
        if kind == "AWS::SNS::Topic":
            return self._arn("sns", self._physical_name(name, "TopicName"))
        if kind == "AWS::Events::EventBus":
            return self._physical_name(name, "Name")
        return name

    def _get_att(self, logical_id: str, attribute: str) -> Any:
        resource = self.resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"GetAtt to unknown resource {logical_id}")
        kind = resource.get("Type", "")
        if kind == TABLE_TYPE:
            table_arn = self._arn("dynamodb", f"table/{self.table_name(logical_id)}")
            if attribute == "Arn":
                return table_arn
            if attribute == "StreamArn":
                return f"{table_arn}/stream/1970-01-01T00:00:00.000"
        if kind in (FUNCTION_TYPE, "AWS::Lambda::Function") and attribute == "Arn":
            return self._arn("lambda", f"function:{self._function_name(logical_id)}")
        if kind in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            name = self._physical_name(logical_id, "Name")
            if attribute == "Name":
                return name
            if attribute == "Arn":
                return self._arn("states", f"stateMachine:{name}")
        if kind == "AWS::Events::EventBus":
            name = self._physical_name(logical_id, "Name")
            if attribute == "Name":
                return name
            if attribute == "Arn":
                return self._arn("events", f"event-bus/{name}")
        if kind == "AWS::SQS::Queue":
            name = self._physical_name(logical_id, "QueueName")
            if attribute == "QueueName":
                return name
            if attribute == "Arn":
                return self._arn("sqs", name)
        return self._arn("local", f"{logical_id}/{attribute}")

    def _function(self, key: str, arg: Any) -> Any:
        if key == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else [self.resolve(item) for item in arg]
            if len(parts) != 2:
                raise TemplateError(f"bad Fn::GetAtt {arg!r}")
            return self._get_att(str(parts[0]), str(parts[1]))
        if key == "Fn::Sub":
            return self._sub(arg)
        if key == "Fn::Join":
            delimiter, items = arg
            return str(delimiter).join(_scalar_text(item) for item in self.resolve(items))
        if key == "Fn::Select":
            index, items = self.resolve(arg)
            return items[int(index)]
        if key == "Fn::Split":
            delimiter, text = self.resolve(arg)
            return str(text).split(str(delimiter))
        if key == "Fn::If":
            condition_name, if_true, if_false = arg
            return self.resolve(if_true if self.condition(str(condition_name)) else if_false)
        if key == "Fn::FindInMap":
            map_name, top_key, second_key = (str(item) for item in self.resolve(arg))
            try:
                return self.resolve(self.mappings[map_name][top_key][second_key])
            except KeyError as exc:
                raise TemplateError(f"Fn::FindInMap: no {map_name}.{top_key}.{second_key}") from exc
        if key == "Fn::Base64":
            return base64.b64encode(_scalar_text(self.resolve(arg)).encode()).decode()
        if key == "Fn::GetAZs":
            return [f"{self.context.region}{zone}" for zone in "abc"]
        if key == "Fn::Length":
            return len(self.resolve(arg))
        if key == "Fn::ToJsonString":
            return json.dumps(self.resolve(arg), separators=(",", ":"))
        if key in ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not"):
            return self._evaluate_condition({key: arg})
        raise TemplateError(f"{key} cannot be resolved locally")

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], self.resolve(arg[1]) if len(arg) > 1 else {}
        else:
            text, variables = arg, {}
        if not isinstance(text, str):
            raise TemplateError(f"bad Fn::Sub {arg!r}")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return _scalar_text(variables[name])
            if "." in name and name.split(".", 1)[0] in self.resources:
                logical_id, attribute = name.split(".", 1)
                return _scalar_text(self._get_att(logical_id, attribute))
            return _scalar_text(self._ref(name))

        return _SUB_PATTERN.sub(replace, text)

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.context.region}:{self.context.account_id}:{resource}"

    def _physical_name(self, logical_id: str, name_property: str) -> str:
        properties = self.resources[logical_id].get("Properties") or {}
        if name_property in properties:
            value = self.resolve(properties[name_property])
            if isinstance(value, str):
                return value
        return f"{self.context.stack_name}-{logical_id}"

    def _function_name(self, logical_id: str) -> str:
        properties = self.resources[logical_id].get("Properties") or {}
        if "FunctionName" in properties:
            value = self.resolve(properties["FunctionName"])
            if isinstance(value, str):
                return value
        return logical_id  # what `sam local` uses as the function name

    # -- tables -------------------------------------------------------------------------------------

    def table_name(self, logical_id: str) -> str:
        """The local table name: an override, else the resolved ``TableName``, else the logical id."""
        if logical_id in self.context.table_names:
            return self.context.table_names[logical_id]
        properties = self.resources[logical_id].get("Properties") or {}
        if "TableName" in properties:
            value = self.resolve(properties["TableName"])
            if isinstance(value, str) and value:
                return value
        return logical_id

    def tables(self) -> dict[str, TableDefinition]:
        """Every ``AWS::DynamoDB::Table``, logical id -> definition with ``create_table`` kwargs."""
        tables: dict[str, TableDefinition] = {}
        for logical_id, resource in self.resources.items():
            if resource.get("Type") != TABLE_TYPE or not self._resource_enabled(resource):
                continue
            tables[logical_id] = self._table_definition(logical_id, resource)
        return tables

    def _table_definition(self, logical_id: str, resource: Mapping[str, Any]) -> TableDefinition:
        props = self.resolve(resource.get("Properties") or {})
        for required in ("KeySchema", "AttributeDefinitions"):
            if required not in props:
                raise TemplateError(f"table {logical_id} has no {required}")
        billing_mode = props.get("BillingMode", "PROVISIONED")
        provisioned = billing_mode == "PROVISIONED"
        kwargs: dict[str, Any] = {
            "TableName": self.table_name(logical_id),
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": billing_mode,
        }
        if provisioned:
            kwargs["ProvisionedThroughput"] = _throughput(props.get("ProvisionedThroughput"))
        gsis = []
        for index in props.get("GlobalSecondaryIndexes") or []:
            gsi = {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}
            if provisioned:
                gsi["ProvisionedThroughput"] = _throughput(index.get("ProvisionedThroughput"))
            gsis.append(gsi)
        if gsis:
            kwargs["GlobalSecondaryIndexes"] = gsis
        lsis = [
            {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}
            for index in props.get("LocalSecondaryIndexes") or []
        ]
        if lsis:
            kwargs["LocalSecondaryIndexes"] = lsis
        stream_view_type = None
        stream = props.get("StreamSpecification")
        if stream and stream.get("StreamViewType"):
            stream_view_type = str(stream["StreamViewType"])
            kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream_view_type}
        ttl = props.get("TimeToLiveSpecification") or {}
        ttl_attribute = ttl.get("AttributeName") if _truthy(ttl.get("Enabled", False)) else None
        pitr = props.get("PointInTimeRecoverySpecification") or {}
        return TableDefinition(
            logical_id=logical_id,
            table_name=kwargs["TableName"],
            create_kwargs=kwargs,
            ttl_attribute=ttl_attribute,
            point_in_time_recovery=_truthy(pitr.get("PointInTimeRecoveryEnabled", False)),
            stream_view_type=stream_view_type,
        )

    # -- functions ----------------------------------------------------------------------------------

    def functions(self) -> dict[str, FunctionDefinition]:
        """Every ``AWS::Serverless::Function``, logical id -> definition (``Globals`` merged in)."""
        functions: dict[str, FunctionDefinition] = {}
        for logical_id, resource in self.resources.items():
            if resource.get("Type") != FUNCTION_TYPE or not self._resource_enabled(resource):
                continue
            functions[logical_id] = self._function_definition(logical_id, resource)
        return functions

    def _function_definition(self, logical_id: str, resource: Mapping[str, Any]) -> FunctionDefinition:
        global_props: dict[str, Any] = self.globals.get("Function") or {}
        props: dict[str, Any] = resource.get("Properties") or {}

        def prop(name: str, default: Any = None) -> Any:
            if name in props:
                return self.resolve(props[name])
            if name in global_props:
                return self.resolve(global_props[name])
            return default

        if prop("PackageType", "Zip") != "Zip":
            raise TemplateError(f"function {logical_id}: only Zip functions can run locally")
        code_uri = prop("CodeUri")
        if not isinstance(code_uri, str):
            raise TemplateError(f"function {logical_id}: CodeUri must be a local folder, got {code_uri!r}")
        handler = prop("Handler")
        if not isinstance(handler, str) or "." not in handler:
            raise TemplateError(f"function {logical_id}: bad Handler {handler!r}")
        raw_env: dict[str, Any] = {}
        for source in (global_props, props):
            variables = (source.get("Environment") or {}).get("Variables") or {}
            raw_env.update(variables)
        environment: dict[str, str] = {}
        for name, raw in raw_env.items():
            value = self.resolve(raw)
            if value is NO_VALUE:
                continue
            environment[name] = _env_text(logical_id, name, value)
        return FunctionDefinition(
            logical_id=logical_id,
            function_name=self._function_name(logical_id),
            code_dir=(self.base_dir / code_uri).resolve(),
            handler=handler,
            runtime=prop("Runtime"),
            timeout_s=int(prop("Timeout", SAM_DEFAULT_TIMEOUT_S)),
            memory_mb=int(prop("MemorySize", SAM_DEFAULT_MEMORY_MB)),
            environment=environment,
        )

    def find_function(self, name: str) -> FunctionDefinition:
        """A function by logical id, or by its code folder name (``functions/<name>/``)."""
        functions = self.functions()
        if name in functions:
            return functions[name]
        wanted = name.rstrip("/").split("/")[-1]
        matches = [fn for fn in functions.values() if fn.folder_name == wanted]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(sorted(functions)) or "none"
        if len(matches) > 1:
            ids = ", ".join(fn.logical_id for fn in matches)
            raise TemplateError(f"folder {wanted!r} is used by several functions: {ids}")
        raise TemplateError(f"no function {name!r} in the template (functions: {known})")

    # -- API routes ---------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        """One route per ``Type: Api`` event (REST API, payload v1) of every function."""
        routes: list[Route] = []
        for logical_id, resource in self.resources.items():
            if resource.get("Type") != FUNCTION_TYPE or not self._resource_enabled(resource):
                continue
            events = (resource.get("Properties") or {}).get("Events") or {}
            for event_name, event in events.items():
                if event.get("Type") != "Api":
                    continue
                props = self.resolve(event.get("Properties") or {})
                path, method = props.get("Path"), props.get("Method")
                if not isinstance(path, str) or not isinstance(method, str):
                    raise TemplateError(f"{logical_id}.{event_name}: Api event needs Path and Method")
                rest_api = (event.get("Properties") or {}).get("RestApiId")
                rest_api_id = rest_api["Ref"] if isinstance(rest_api, dict) and "Ref" in rest_api else None
                method = method.upper()
                routes.append(
                    Route(
                        method="ANY" if method in ("ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD") else method,
                        path=path,
                        function=logical_id,
                        event_name=event_name,
                        rest_api_id=rest_api_id,
                        stage=self.stage_name(rest_api_id),
                    )
                )
        return routes

    def stage_name(self, rest_api_id: str | None) -> str:
        api = self.resources.get(rest_api_id) if rest_api_id else None
        if api is not None and api.get("Type") == SERVERLESS_API_TYPE:
            stage = self.resolve((api.get("Properties") or {}).get("StageName"))
            if isinstance(stage, str) and stage:
                return stage
        stage = self.resolve((self.globals.get("Api") or {}).get("StageName"))
        return stage if isinstance(stage, str) and stage else DEFAULT_STAGE


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise TemplateError(f"expected a scalar, got {value!r}")


def _env_text(function: str, name: str, value: Any) -> str:
    try:
        return _scalar_text(value)
    except TemplateError:
        raise TemplateError(
            f"function {function}: environment variable {name} is not a string: {value!r}"
        ) from None


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _throughput(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise TemplateError("PROVISIONED billing needs ProvisionedThroughput")
    return {
        "ReadCapacityUnits": int(value["ReadCapacityUnits"]),
        "WriteCapacityUnits": int(value["WriteCapacityUnits"]),
    }
