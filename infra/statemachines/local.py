"""Run the state machines locally: moto's Step Functions interpreter, in-process Lambda tasks.

moto (``mock_aws(config={"stepfunctions": {"execute_state_machine": True}})``)
interprets the ASL for real: Map, Retry with backoff, Catch, intrinsic functions,
``$$`` context. For a Lambda task it calls the Lambda ``Invoke`` API through a
boto3 client of its own (``lambda_eval_utils.boto_client_for``), which moto's
Lambda backend would serve by running the function in Docker. ``serve_lambda_tasks``
swaps in :class:`InProcessLambda` at that call instead: it answers ``Invoke`` by
calling the function's handler in this process, and reports a raised exception the
way the Lambda service does (``FunctionError`` with ``errorType`` = the exception's
class name), so ``Retry`` and ``Catch`` by error name behave as in AWS.

The definitions come from template.yaml: each ``AWS::Serverless::StateMachine``'s
``DefinitionUri`` with its ``DefinitionSubstitutions`` resolved for local use
(function ARNs ``arn:aws:lambda:us-east-1:123456789012:function:<LogicalId>``).
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.local.lambda_runtime import error_payload
from infra.local.template import Template

STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
LOCAL_ROLE_ARN = "arn:aws:iam::123456789012:role/local-state-machine"
_SUBSTITUTION = re.compile(r"\$\{([A-Za-z0-9_.:]+)\}")

# Lambda task: (function logical id, payload) -> result; raises like the handler does.
TaskHandler = Callable[[str, Any], Any]
# Called before each invocation with (logical id, payload, attempt number of that payload).
Interceptor = Callable[[str, Any, int], None]


class StateMachineError(Exception):
    """A definition cannot be read or resolved, or an execution did not finish."""


@dataclass(frozen=True)
class StateMachineDefinition:
    logical_id: str
    name: str  # the logical id without the "StateMachine" suffix, e.g. "ApplyAccountCredits"
    path: Path
    substitutions: dict[str, str]

    def text(self) -> str:
        """The ASL with every ``${Name}`` replaced; an unknown name is an error."""
        raw = self.path.read_text(encoding="utf-8")

        def replace(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in self.substitutions:
                raise StateMachineError(f"{self.path.name}: no DefinitionSubstitutions entry for ${{{key}}}")
            return self.substitutions[key]

        text = _SUBSTITUTION.sub(replace, raw)
        json.loads(text)
        return text


def state_machine_definitions(template: Template) -> dict[str, StateMachineDefinition]:
    """Every state machine of the template, by short name (``ApplyAccountCredits``)."""
    found: dict[str, StateMachineDefinition] = {}
    for logical_id, resource in template.resources.items():
        if resource.get("Type") not in STATE_MACHINE_TYPES:
            continue
        props = resource.get("Properties") or {}
        uri = props.get("DefinitionUri")
        if not isinstance(uri, str):
            raise StateMachineError(f"{logical_id}: DefinitionUri must be a local file")
        substitutions = template.resolve(props.get("DefinitionSubstitutions") or {})
        name = logical_id.removesuffix("StateMachine")
        found[name] = StateMachineDefinition(
            logical_id=logical_id,
            name=name,
            path=(template.base_dir / uri).resolve(),
            substitutions={k: str(v) for k, v in substitutions.items()},
        )
    return found


@dataclass
class Invocation:
    function: str
    payload: Any
    error_type: str | None = None


class InProcessLambda:
    """What moto's interpreter gets instead of a Lambda client: ``invoke`` runs the handler here.

    ``functions`` maps the function *name* in the ARN to its logical id.
    ``interceptors`` run before each invocation (tests use them to change documents
    mid-execution or to fail an attempt); one that raises ``botocore`` ``ClientError``
    becomes a Lambda service error (``Lambda.<Code>``), any other exception a
    function error named after its class.
    """

    def __init__(self, functions: Mapping[str, str], handler: TaskHandler) -> None:
        self._functions = dict(functions)
        self._handler = handler
        self._lock = threading.Lock()
        self.interceptors: list[Interceptor] = []
        self.invocations: list[Invocation] = []

    def calls_to(self, logical_id: str) -> list[Invocation]:
        return [i for i in self.invocations if i.function == logical_id]

    def invoke(self, **request: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        name = str(request.get("FunctionName", "")).split(":function:")[-1].split(":")[0]
        logical_id = self._functions.get(name)
        if logical_id is None:
            raise ClientError(
                {"Error": {"Code": "ResourceNotFoundException", "Message": f"Function not found: {name}"}},
                "Invoke",
            )
        raw = request.get("Payload") or b"{}"
        payload = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        with self._lock:
            attempt = 1 + sum(
                1 for i in self.invocations if i.function == logical_id and i.payload == payload
            )
            invocation = Invocation(logical_id, payload)
            self.invocations.append(invocation)
        try:
            for interceptor in self.interceptors:
                interceptor(logical_id, payload, attempt)
            result = self._handler(logical_id, payload)
        except ClientError as error:
            invocation.error_type = "ClientError"
            # What the Lambda service answers with; Step Functions names the error Lambda.<Code>.
            response: Any = error.response
            metadata = response.setdefault("ResponseMetadata", {})
            metadata.setdefault("HTTPStatusCode", 500)
            metadata.setdefault("RequestId", str(uuid.uuid4()))
            raise
        except Exception as error:
            invocation.error_type = type(error).__name__
            body = json.dumps(error_payload(error)).encode()
            return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": io.BytesIO(body)}
        body = json.dumps(result, default=str).encode()
        return {"StatusCode": 200, "Payload": io.BytesIO(body), "ExecutedVersion": "$LATEST"}


def lambda_service_error(code: str, message: str, status: int = 500) -> Exception:
    """A Lambda service error (``Lambda.<code>`` in the state machine), e.g. ``ServiceException``."""
    from botocore.exceptions import ClientError

    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": str(uuid.uuid4())},
    }
    return ClientError(response, "Invoke")


@contextmanager
def serve_lambda_tasks(fake: InProcessLambda) -> Iterator[InProcessLambda]:
    """Make moto's Step Functions interpreter invoke Lambda tasks through ``fake``."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    original = getattr(lambda_eval_utils, "boto_client_for")  # noqa: B009 - not re-exported

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        if service == "lambda":
            return fake
        return original(region=region, service=service, state_credentials=state_credentials)

    setattr(lambda_eval_utils, "boto_client_for", boto_client_for)  # noqa: B010
    try:
        yield fake
    finally:
        setattr(lambda_eval_utils, "boto_client_for", original)  # noqa: B010


@dataclass
class ExecutionResult:
    execution_arn: str
    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    def raise_for_status(self) -> Any:
        if self.status != "SUCCEEDED":
            raise StateMachineError(f"execution {self.status}: {self.error}: {self.cause}")
        return self.output


class LocalStepFunctions:
    """Creates the template's state machines in moto and runs executions to the end.

    Use inside ``mock_aws(config={"stepfunctions": {"execute_state_machine": True}})``
    and ``serve_lambda_tasks``.
    """

    def __init__(self, template: Template, client: Any) -> None:
        self._client = client
        self.definitions = state_machine_definitions(template)
        self._arns: dict[str, str] = {}

    def arn(self, name: str) -> str:
        if name not in self._arns:
            definition = self.definitions.get(name)
            if definition is None:
                known = ", ".join(sorted(self.definitions)) or "none"
                raise StateMachineError(
                    f"no state machine {name!r} in the template (state machines: {known})"
                )
            response = self._client.create_state_machine(
                name=name, definition=definition.text(), roleArn=LOCAL_ROLE_ARN, type="STANDARD"
            )
            self._arns[name] = response["stateMachineArn"]
        return self._arns[name]

    def start(self, name: str, execution_input: Any, execution_name: str | None = None) -> str:
        response = self._client.start_execution(
            stateMachineArn=self.arn(name),
            name=execution_name or str(uuid.uuid4()),
            input=json.dumps(execution_input),
        )
        return str(response["executionArn"])

    def wait(self, execution_arn: str, timeout_s: float = 120.0) -> ExecutionResult:
        deadline = time.monotonic() + timeout_s
        while True:
            described = self._client.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                raise StateMachineError(f"execution {execution_arn} still running after {timeout_s} s")
            time.sleep(0.02)
        history = self._client.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
        output = described.get("output")
        return ExecutionResult(
            execution_arn=execution_arn,
            status=described["status"],
            output=json.loads(output) if output else None,
            error=described.get("error"),
            cause=described.get("cause"),
            history=history,
        )

    def execute(
        self, name: str, execution_input: Any, execution_name: str | None = None, timeout_s: float = 120.0
    ) -> ExecutionResult:
        return self.wait(self.start(name, execution_input, execution_name), timeout_s)


def lambda_function_names(template: Template) -> dict[str, str]:
    """Function name (as in the local ARNs) -> logical id."""
    return {f.function_name: logical_id for logical_id, f in template.functions().items()}
