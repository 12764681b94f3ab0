"""Build DomainLayer into ARTIFACTS_DIR (run by shared/Makefile under `sam build`).

    python3.13 infra/build/layer.py --source shared --artifacts DIR [--architecture arm64|x86_64]

- runtime dependencies from shared/requirements.txt as wheels only (``--only-binary=:all:``: a
  dependency that ships no wheel fails the build instead of being compiled on the build host), for
  CPython 3.13 on manylinux for the layer's architecture, whatever the build host is;
- the domain package (``credit_memos``, sources only: no caches, no tests);
- no scripts (``bin/``), no development dependency (nothing but requirements.txt is installed);
- of botocore's service models, only those of the services the package creates clients for
  (``credit_memos.adapters.aws.SERVICES``), and of its endpoint data (``endpoints.json``, every
  partition and region) only those services' entries: creating a client lists every model
  directory botocore ships to check the service's name (~15 ms of a cold start for ~450 of them)
  and parses the 730 KB of endpoint data (~8 ms);
- of each kept model, only the operations the package calls (``credit_memos.adapters.aws.OPERATIONS``)
  and the shapes they reach, with no documentation, examples, paginators or waiters: botocore parses
  a client's whole model at its creation, and DynamoDB's is 60 operations and their docs;
- every module compiled with ``--invalidation-mode unchecked-hash``: ``sam package`` zips files with
  1980 timestamps, which makes a default (timestamp) .pyc stale, so Lambda would compile every
  module from source at each cold start. Unchecked-hash bytecode is used as it is.

The architecture is ``--architecture``, else ``LAYER_ARCHITECTURE``, else DomainLayer's
``Metadata.BuildArchitecture`` in template.yaml. Runs with the standard library only (plus pip).
"""

from __future__ import annotations

import argparse
import compileall
import gzip
import json
import os
import py_compile
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

PYTHON_VERSION = (3, 13)
# Lambda's python3.13 runs on Amazon Linux 2023 (glibc 2.34): any manylinux tag up to 2_34 fits.
MANYLINUX = ("manylinux_2_34", "manylinux_2_28", "manylinux2014", "manylinux_2_17")
MACHINE = {"arm64": "aarch64", "x86_64": "x86_64"}
REPO_ROOT = Path(__file__).resolve().parents[2]


ACCESS_POLICY = "access-policy.json"


def template_architecture(template: Path = REPO_ROOT / "template.yaml") -> str:
    """DomainLayer's BuildArchitecture, read without a YAML parser (the build needs only the stdlib)."""
    text = template.read_text(encoding="utf-8")
    block = re.search(r"^  DomainLayer:\n((?:    .*\n|\n)+)", text, re.MULTILINE)
    found = re.search(r"^\s+BuildArchitecture:\s*(\S+)", block.group(1), re.MULTILINE) if block else None
    if found is None:
        raise SystemExit(f"error: no DomainLayer Metadata.BuildArchitecture in {template}")
    return found.group(1).strip("'\"")


def platforms(architecture: str) -> list[str]:
    return [f"{tag}_{MACHINE[architecture]}" for tag in MANYLINUX]


def client_services(source: Path) -> tuple[str, ...]:
    """``credit_memos.adapters.aws.SERVICES``, read from the source (the module imports nothing)."""
    module = runpy.run_path(str(source / "credit_memos" / "adapters" / "aws.py"))
    services: tuple[str, ...] = module["SERVICES"]
    return services


def client_operations(source: Path) -> dict[str, tuple[str, ...] | None]:
    """``credit_memos.adapters.aws.OPERATIONS``, read the same way."""
    module = runpy.run_path(str(source / "credit_memos" / "adapters" / "aws.py"))
    operations: dict[str, tuple[str, ...] | None] = module["OPERATIONS"]
    return operations


def _without_documentation(node: object) -> object:
    if isinstance(node, dict):
        return {
            k: _without_documentation(v)
            for k, v in node.items()
            if k not in ("documentation", "documentationUrl")
        }
    if isinstance(node, list):
        return [_without_documentation(v) for v in node]
    return node


def _reachable_shapes(model: dict[str, Any], operations: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    pending = [
        ref["shape"]
        for op in operations.values()
        for ref in [op.get("input"), op.get("output"), *op.get("errors", [])]
        if ref
    ]
    while pending:
        name = pending.pop()
        if name in names:
            continue
        names.add(name)
        shape = model["shapes"][name]
        refs = list(shape.get("members", {}).values()) + [shape.get(k) for k in ("member", "key", "value")]
        pending += [ref["shape"] for ref in refs if ref]
    return names


def trim_service_model(service_dir: Path, operations: tuple[str, ...] | None) -> None:
    """Keep ``operations`` of the newest API version's model (all when None) and the shapes they
    reach, without documentation; drop the files only documentation and helpers read."""
    for extra in service_dir.glob("*/examples-1.json"):
        extra.unlink()
    model_path = sorted(service_dir.glob("*/service-2.json*"))[-1]
    opener = gzip.open if model_path.suffix == ".gz" else open
    with opener(model_path, "rt", encoding="utf-8") as stream:
        model = json.load(stream)
    if operations is not None:
        missing = sorted(set(operations) - set(model["operations"]))
        if missing:
            raise SystemExit(f"error: botocore's {service_dir.name} model has no operation {missing}")
        model["operations"] = {name: model["operations"][name] for name in operations}
        kept = _reachable_shapes(model, model["operations"])
        model["shapes"] = {name: shape for name, shape in model["shapes"].items() if name in kept}
        # Paginators and waiters name operations that are gone; nothing in the package uses them.
        for helper in ("paginators-1.json", "waiters-2.json"):
            (model_path.parent / helper).unlink(missing_ok=True)
    text = json.dumps(_without_documentation(model), separators=(",", ":")).encode("utf-8")
    model_path.write_bytes(gzip.compress(text, mtime=0) if model_path.suffix == ".gz" else text)


def prune_botocore_models(layer: Path, services: tuple[str, ...]) -> list[str]:
    """Remove every service directory of botocore's data but ``services``'; the shared files at
    its top (endpoints, partitions, retry and default configuration) stay. Returns what was removed."""
    data = layer / "botocore" / "data"
    missing = [name for name in services if not (data / name).is_dir()]
    if missing:
        raise SystemExit(f"error: botocore in the layer has no model for {missing}")
    removed = sorted(p.name for p in data.iterdir() if p.is_dir() and p.name not in services)
    for name in removed:
        shutil.rmtree(data / name)
    endpoints_path = data / "endpoints.json"
    endpoints = json.loads(endpoints_path.read_text(encoding="utf-8"))
    for partition in endpoints["partitions"]:
        partition["services"] = {k: v for k, v in partition["services"].items() if k in services}
    endpoints_path.write_text(json.dumps(endpoints, separators=(",", ":")), encoding="utf-8")
    return removed


def build(source: Path, artifacts: Path, architecture: str) -> Path:
    if sys.version_info[:2] != PYTHON_VERSION:
        raise SystemExit(
            f"error: the layer must be built by Python {'.'.join(map(str, PYTHON_VERSION))} (its bytecode "
            f"is version-specific); {sys.executable} is {sys.version.split()[0]}. Set LAYER_PYTHON."
        )
    if architecture not in MACHINE:
        raise SystemExit(f"error: unknown architecture {architecture!r} (arm64 or x86_64)")
    target = artifacts / "python"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-warn-conflicts",
    ]
    command += ["--target", str(target), "--only-binary=:all:", "--no-compile", "--implementation", "cp"]
    command += ["--python-version", "".join(map(str, PYTHON_VERSION))]
    for platform in platforms(architecture):
        command += ["--platform", platform]
    command += ["-r", str(source / "requirements.txt")]
    subprocess.run(command, check=True)
    shutil.rmtree(target / "bin", ignore_errors=True)
    prune_botocore_models(target, client_services(source))
    for service, operations in client_operations(source).items():
        trim_service_model(target / "botocore" / "data" / service, operations)
    shutil.copytree(
        source / "credit_memos",
        target / "credit_memos",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "tests", "test_*.py"),
    )
    # The access policy the deployment ships (docs/access.md): /opt/access-policy.json in Lambda.
    shutil.copyfile(source / ACCESS_POLICY, artifacts / ACCESS_POLICY)
    ok = compileall.compile_dir(
        target,
        quiet=1,
        workers=0,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    if not ok:
        raise SystemExit("error: some modules of the layer do not compile")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="infra/build/layer.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="the layer's ContentUri (shared/)")
    parser.add_argument("--artifacts", type=Path, required=True, help="ARTIFACTS_DIR given by sam build")
    parser.add_argument("--architecture", default=os.environ.get("LAYER_ARCHITECTURE") or None)
    args = parser.parse_args(argv)
    architecture = args.architecture or template_architecture()
    target = build(args.source.resolve(), args.artifacts.resolve(), architecture)
    print(f"DomainLayer: {architecture} (cp313, {MANYLINUX[0]}_{MACHINE[architecture]} or older) -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
