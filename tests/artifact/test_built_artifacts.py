"""The artifacts `sam build` makes (make build) are what Lambda can run, as Lambda gets them.

Each function is imported from its packaged (zipped with 1980 dates, unzipped) folder in a clean
``python -I -S`` whose path is that folder, the layer and the standard library, with the
template's environment: the import must succeed, compile no module from source and load nothing
from anywhere else. The deployed (arm64) layer must carry that architecture's wheels only.
"""

from __future__ import annotations

import dataclasses
import json
import py_compile
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from infra.build.artifacts import (
    Packaged,
    function_env,
    functions,
    import_function,
    layer_native_libraries,
    package,
    stdlib_python,
)
from infra.build.layer import MACHINE
from infra.local.template import REPO_ROOT, FunctionDefinition

FUNCTION_IDS = sorted(functions())


@pytest.mark.parametrize("logical_id", FUNCTION_IDS)
def test_packaged_function_imports_from_bytecode_alone(
    packaged: Packaged, template_functions: dict[str, FunctionDefinition], logical_id: str
) -> None:
    result = import_function(packaged, template_functions[logical_id])
    assert result["callable"]
    assert result["compiled"] == [], "modules compiled from source at import (stale or missing .pyc)"
    assert result["outside"] == [], "modules loaded from outside the artifact, its layer and the stdlib"
    # The handlers route with credit_memos.api.routing; Powertools' event handler (a quarter of a
    # cold start) only generates the OpenAPI document, at build and test time.
    assert result["event_handler"] == [], "a handler imports aws_lambda_powertools.event_handler"
    # credit_memos/__init__.py collects less often during init; the handler serves as before.
    assert result["gc_as_before"], "init left the garbage collector's thresholds changed"


def test_the_check_sees_bytecode_that_packaging_invalidates(
    tmp_path: Path, template_functions: dict[str, FunctionDefinition]
) -> None:
    """Control: default (timestamp) .pyc, zipped with 1980 dates, is recompiled at import."""
    function = dataclasses.replace(next(iter(template_functions.values())), handler="app.lambda_handler")
    build = tmp_path / "build"
    (build / function.logical_id).mkdir(parents=True)
    (build / "DomainLayer" / "python").mkdir(parents=True)
    app = build / function.logical_id / "app.py"
    app.write_text("def lambda_handler(event, context):\n    return event\n")
    py_compile.compile(str(app), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    result = import_function(package(build, tmp_path / "packaged"), function)
    assert result["callable"]
    assert [Path(p).name for p in result["compiled"]] == ["app.py"]


def _pyc_flags(pyc: Path) -> int:
    return int.from_bytes(pyc.read_bytes()[4:8], "little")


def test_every_module_of_the_deployed_build_has_unchecked_hash_bytecode(deployed_build: Path) -> None:
    sources = [p for p in deployed_build.rglob("*.py") if p.is_file()]
    assert len(sources) > 100
    missing, checked = [], []
    for source in sources:
        pyc = source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"
        if not pyc.is_file():
            missing.append(str(source.relative_to(deployed_build)))
        elif _pyc_flags(pyc) != 0b01:  # hash-based (bit 0), check_source off (bit 1): unchecked-hash
            checked.append(str(source.relative_to(deployed_build)))
    assert missing == []
    assert checked == []


def test_deployed_layer_has_the_deployed_architecture_wheels_only(
    deployed_build: Path, deployed_architecture: str
) -> None:
    native = layer_native_libraries(deployed_build / "DomainLayer" / "python")
    assert any(path.startswith("pydantic_core/") for path in native), "pydantic-core's extension is missing"
    assert set(native.values()) == {MACHINE[deployed_architecture]}, native
    tags = {m.group(1) for path in native for m in [re.search(r"\.cpython-(\d+)-", path)] if m}
    assert tags == {"313"}, native


def _names(requirements: list[str]) -> set[str]:
    return {
        re.split(r"[\[<>=~!; ]", r.strip(), maxsplit=1)[0].lower().replace("_", "-") for r in requirements
    }


def test_deployed_layer_holds_no_development_dependency(deployed_build: Path) -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    dev_only = _names(extras["dev"] + extras["serve"]) - _names(project["dependencies"])
    layer = deployed_build / "DomainLayer" / "python"
    installed = {
        p.name.split("-")[0].lower().replace("_", "-")
        for p in layer.iterdir()
        if p.name.endswith(".dist-info")
    }
    assert "pydantic" in installed and "aws-lambda-powertools" in installed
    assert installed & dev_only == set()
    assert not (layer / "bin").exists()
    assert not list(layer.rglob("tests/conftest.py"))


CLIENTS_CHILD = r"""
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from botocore.config import Config
from credit_memos.adapters import aws
from credit_memos.api.runtime import get_service
get_service()  # the function's DynamoDB client and service, as its first request builds them
def client(name, region="us-east-1"):
    return aws.create_client(name, region=region, endpoint_url=None, config=Config())
created = {name: type(client(name)).__name__ for name in aws.SERVICES}
regions = ("us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1")
endpoints = {f"{name} {region}": client(name, region).meta.endpoint_url
             for name in (aws.DYNAMODB, aws.EVENTBRIDGE) for region in regions}
boto3 = sorted(n for n in sys.modules if n.split(".")[0] == "boto3")
def walk(shape, seen):  # resolves every shape an operation reaches: a trimmed model must hold them
    if shape is None or shape.name in seen:
        return
    seen.add(shape.name)
    for child in [*getattr(shape, "members", {}).values(), getattr(shape, "member", None),
                  getattr(shape, "key", None), getattr(shape, "value", None)]:
        walk(child, seen)
operations, documented = {}, []
for name in aws.SERVICES:
    model = client(name).meta.service_model
    operations[name] = sorted(model.operation_names)
    for op in model.operation_names:
        operation, seen = model.operation_model(op), set()
        walk(operation.input_shape, seen)
        walk(operation.output_shape, seen)
        documented += [f"{name}:{op}"] * bool(operation.documentation)
print("CLIENTS " + json.dumps({"created": created, "endpoints": endpoints, "boto3": boto3,
                               "operations": operations, "documented": documented}))
"""


def test_the_layer_ships_the_models_of_the_services_the_package_calls_and_no_other(
    packaged: Packaged, template_functions: dict[str, FunctionDefinition]
) -> None:
    from credit_memos.adapters.aws import SERVICES

    data = packaged.layer_python / "botocore" / "data"
    assert sorted(p.name for p in data.iterdir() if p.is_dir()) == sorted(SERVICES)
    assert (data / "endpoints.json").is_file() and (data / "partitions.json").is_file()
    function = template_functions["ApplyCreditMemoFunction"]
    task_root = packaged.function_dir(function.logical_id).resolve()
    completed = subprocess.run(
        [stdlib_python(), "-I", "-S", "-c", CLIENTS_CHILD, str(task_root), str(packaged.layer_python)],
        env=function_env(function, task_root),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("CLIENTS ")]
    assert lines, completed.stderr[-4000:]
    result = json.loads(lines[0].removeprefix("CLIENTS "))
    assert result["created"] == {"dynamodb": "DynamoDB", "events": "EventBridge", "s3": "S3", "xray": "XRay"}
    # each model trimmed to the operations the package calls (all of X-Ray's), without their docs
    from credit_memos.adapters.aws import OPERATIONS

    assert {k: v for k, v in result["operations"].items() if OPERATIONS[k] is not None} == {
        k: sorted(v) for k, v in OPERATIONS.items() if v is not None
    }
    assert len(result["operations"]["xray"]) > 20
    assert result["documented"] == []
    # endpoint data pruned to these services still resolves every partition's endpoints
    assert result["endpoints"] == {
        f"{service} {region}": f"https://{service}.{region}.amazonaws.com{'.cn' * region.startswith('cn-')}"
        for service in ("dynamodb", "events")
        for region in ("us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1")
    }
    # clients come from botocore alone: boto3's resource layer and s3transfer stay out of a cold start
    assert result["boto3"] == []


def test_only_the_document_function_packages_the_rendering_libraries(packaged: Packaged) -> None:
    """No other function's package, nor the layer, holds a rendering library (spec section 12)."""
    from tests.template.test_documents_function import rendering_libraries

    names = {re.sub(r"[-_.]+", "-", name).lower() for name in rendering_libraries()}

    def carried(folder: Path) -> set[str]:
        found = {re.sub(r"[-_.]+", "-", p.name.split("-")[0]).lower() for p in folder.iterdir()}
        return found & names

    for logical_id in FUNCTION_IDS:
        if logical_id != "RenderCreditMemoDocumentFunction":
            assert carried(packaged.function_dir(logical_id)) == set(), logical_id
    assert carried(packaged.layer_python) == set()
