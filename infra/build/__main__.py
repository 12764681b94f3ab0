"""``python -m infra.build [--architecture arm64|x86_64] [--build-dir DIR]``: `sam build`, then bytecode.

Runs the pinned SAM CLI of the tool environment (``--sam``, default ``.local/sam-venv/bin/sam``, made
by ``make build``; not the development venv) on template.yaml. The layer builds through
shared/Makefile (infra/build/layer.py); then every function's code folder is compiled to
unchecked-hash bytecode like the layer, so nothing a cold start imports is compiled at run time,
whatever timestamps ``sam package`` gives the files.

``--architecture`` defaults to the template's (arm64, the deployed one): the output is
``.aws-sam/build``. Another architecture (the host's, to import and run the artifacts here) builds
from a copy of the template with only the architecture changed, into ``.aws-sam/build-<arch>``.
"""

from __future__ import annotations

import argparse
import compileall
import os
import py_compile
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from infra.build.layer import MACHINE, template_architecture

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / "template.yaml"
SAM_VENV = REPO_ROOT / ".local" / "sam-venv"
LAYER_ID = "DomainLayer"


def host_architecture() -> str:
    machine = os.uname().machine
    for architecture, name in MACHINE.items():
        if machine in (name, architecture):
            return architecture
    raise SystemExit(f"error: no Lambda architecture for this machine ({machine})")


def default_build_dir(architecture: str) -> Path:
    if architecture == template_architecture(TEMPLATE):
        return REPO_ROOT / ".aws-sam" / "build"
    return REPO_ROOT / ".aws-sam" / f"build-{architecture}"


def template_for(architecture: str) -> Path:
    """template.yaml, or a copy of it (next to it, for CodeUri) whose only change is the architecture."""
    deployed = template_architecture(TEMPLATE)
    if architecture == deployed:
        return TEMPLATE
    text = TEMPLATE.read_text(encoding="utf-8")
    swapped = re.sub(
        rf"^(\s+(?:- |BuildArchitecture: )){deployed}\s*$", rf"\g<1>{architecture}", text, flags=re.M
    )
    target = REPO_ROOT / ".aws-sam" / f"template-{architecture}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(swapped, encoding="utf-8")
    return target


def compile_functions(build_dir: Path) -> int:
    """Compile every build folder but the layer's (already compiled by its build)."""
    count = 0
    for folder in sorted(p for p in build_dir.iterdir() if p.is_dir() and p.name != LAYER_ID):
        shutil.rmtree(folder / "__pycache__", ignore_errors=True)
        if not compileall.compile_dir(
            folder, quiet=1, force=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        ):
            raise SystemExit(f"error: {folder} has modules that do not compile")
        count += 1
    return count


def build(architecture: str, build_dir: Path, sam: Path) -> Path:
    if sys.version_info[:2] != (3, 13):
        raise SystemExit(
            "error: run the build with Python 3.13 (the functions' bytecode is version-specific)"
        )
    if not sam.exists():
        raise SystemExit(f"error: {sam} not found; `make build` creates the tool environment")
    template = template_for(architecture)
    env = dict(os.environ)
    # sam's python workflow looks for python3.13 on PATH; the layer's Makefile uses LAYER_PYTHON.
    env["PATH"] = f"{sam.parent}{os.pathsep}{env.get('PATH', '')}"
    env["LAYER_PYTHON"] = str(sam.parent / "python")
    env["LAYER_ARCHITECTURE"] = architecture
    env["SAM_CLI_TELEMETRY"] = "0"
    env["SAM_CLI_DISABLE_VERSION_CHECK"] = "1"
    if build_dir.exists():
        shutil.rmtree(build_dir)
    command = [str(sam), "build", "--template-file", str(template), "--base-dir", str(REPO_ROOT)]
    command += ["--build-dir", str(build_dir), "--parallel"]
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=REPO_ROOT)
    functions = compile_functions(build_dir)
    print(
        f"built {functions} functions and {LAYER_ID} for {architecture} in "
        f"{time.perf_counter() - started:.0f} s -> {build_dir}"
    )
    return build_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--architecture", choices=sorted(MACHINE), default=None)
    parser.add_argument("--host", action="store_true", help="build for this machine's architecture")
    parser.add_argument("--build-dir", type=Path, default=None)
    parser.add_argument("--sam", type=Path, default=SAM_VENV / "bin" / "sam")
    args = parser.parse_args(argv)
    architecture = host_architecture() if args.host else args.architecture or template_architecture(TEMPLATE)
    build(architecture, args.build_dir or default_build_dir(architecture), args.sam)
    return 0


if __name__ == "__main__":
    sys.exit(main())
