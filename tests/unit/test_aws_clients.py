"""The package creates AWS clients only through ``credit_memos.adapters.aws``, for its ``SERVICES``.

The built layer keeps botocore's models of those services only (``infra/build/layer.py``), so a
client for any other service would fail in Lambda; and importing ``boto3`` (rather than botocore)
would put boto3's resource layer back into every cold start.
"""

from __future__ import annotations

import ast
from pathlib import Path

import credit_memos
import pytest
from botocore.config import Config
from credit_memos.adapters import aws

PACKAGE = Path(credit_memos.__file__).parent


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in sorted(PACKAGE.rglob("*.py"))]


def test_no_module_imports_boto3_at_import_time() -> None:
    found = []
    for path, tree in _modules():
        for node in tree.body:  # module level only: a function may import boto3's rare helpers lazily
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [f"{path.relative_to(PACKAGE)}: {n}" for n in names if n.split(".")[0] == "boto3"]
    assert found == []


def test_clients_are_created_only_through_the_aws_module_for_its_services() -> None:
    calls = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
                if name in ("client", "create_client", "create_aws_client") and path.name != "aws.py":
                    calls.append((path.relative_to(PACKAGE), name, node.args[0] if node.args else None))
    # boto3.client("..."), session.client("...") or a botocore session's create_client("...")
    by_name = [c for c in calls if c[1] != "create_aws_client" and isinstance(c[2], ast.Constant)]
    assert by_name == []
    through_aws = [c for c in calls if c[1] == "create_aws_client"]
    assert through_aws, "the adapters create their clients with credit_memos.adapters.aws.create_client"
    for path, _, service in through_aws:
        assert isinstance(service, ast.Name) and getattr(aws, service.id) in aws.SERVICES, path


def test_a_service_outside_the_list_is_refused() -> None:
    with pytest.raises(ValueError, match="SERVICES"):
        aws.create_client("sqs", region="us-east-1", endpoint_url=None, config=Config())
    client = aws.create_client(aws.DYNAMODB, region="eu-west-1", endpoint_url=None, config=Config())
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.service_model.service_name == "dynamodb"


def test_the_package_calls_only_the_operations_the_layer_keeps() -> None:
    """A call of an operation outside ``aws.OPERATIONS`` would fail on the built layer, whose models
    hold only those: every method named in the package that is an operation of one of the services
    (in botocore's full models, here) must be kept for that service."""
    from botocore import xform_name
    from botocore.session import get_session

    loader = get_session().get_component("data_loader")
    by_method: dict[str, set[str]] = {}
    for service, kept in aws.OPERATIONS.items():
        if kept is None:
            continue
        for operation in loader.load_service_model(service, "service-2")["operations"]:
            by_method.setdefault(xform_name(operation), set()).add(f"{service}:{operation}")
    called = {
        node.func.attr
        for _, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in by_method
    }
    assert {"put_events", "query", "transact_write_items"} <= called
    kept = {f"{service}:{op}" for service, ops in aws.OPERATIONS.items() for op in ops or ()}
    assert {method: by_method[method] for method in called if not by_method[method] & kept} == {}
    assert set(aws.OPERATIONS) == set(aws.SERVICES)
