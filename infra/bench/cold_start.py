"""Section 3: cold start, each handler in a fresh interpreter, against the least a handler can do.

For each function, a fresh ``python -c`` child (the function's environment from template.yaml as
``infra.local.lambda_runtime`` builds it, with tracing on as deployed, ``Tracing: Active``; its
code folder first on ``sys.path`` as ``LAMBDA_TASK_ROOT`` is in Lambda) imports the handler file
the way ``load_handler`` does and answers one API Gateway event against DynamoDB Local. The child
times, with ``time.perf_counter`` and ``time.process_time``, the import and the first response;
interpreter start-up is outside both figures, as it is outside the baseline's. The baseline child
imports boto3 and creates a DynamoDB client from the same place as the handler: the development
venv for the dev columns, the built layer (``python -I -S``) for the built columns, which are held
to the target. Runs alternate baselines and handlers; medians are compared.

Analysis: one ``-X importtime`` child (self time summed by top-level package, and the heaviest
imports) and one child that profiles the first response with cProfile.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from infra.bench.context import Bench, invoice_body, memo_body, new_account, new_key
from infra.bench.report import Section, median
from infra.build.__main__ import default_build_dir, host_architecture
from infra.build.artifacts import Packaged, package
from infra.local.lambda_runtime import function_environment
from infra.local.template import LOCAL_REGION, FunctionDefinition

TARGET_RATIO = 1.3  # on the built, packaged artifact (the development venv's figure is reported beside it)
MARKER = "BENCH_RESULT "

_CONTEXT_CLASS = """
class Context:
    function_name = __import__("os").environ.get("AWS_LAMBDA_FUNCTION_NAME", "bench")
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + function_name
    memory_limit_in_mb = 512
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/" + function_name
    log_stream_name = "bench"
    identity = None
    client_context = None
    def get_remaining_time_in_millis(self):
        return 15000
"""

HANDLER_CHILD = (
    """
import sys, time
start, cpu_start = time.perf_counter(), time.process_time()
import importlib.util
path, folder, event_path, profile = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
sys.path[:0] = [folder] + [p for p in sys.argv[5].split(":") if p]
spec = importlib.util.spec_from_file_location("app", path)
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
if sys.argv[6] != "router":  # the comparison: Powertools' resolver built from the same routes
    module.app.serve_with(module.app.openapi_resolver(enable_validation=sys.argv[6] == "validating"))
imported, cpu_imported = time.perf_counter(), time.process_time()
import json
with open(event_path) as handle:
    event = json.load(handle)
"""
    + _CONTEXT_CLASS
    + """
context = Context()
if profile:
    import cProfile, pstats, io
    profiler = cProfile.Profile()
    profiler.enable()
before = time.perf_counter()
result = module.lambda_handler(event, context)
done, cpu_done = time.perf_counter(), time.process_time()
top = []
if profile:
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    rows = sorted(stats.items(), key=lambda kv: -kv[1][3])
    for (filename, line, name), (cc, nc, own, cum, callers) in rows[:60]:
        top.append([f"{filename.rsplit('site-packages/', 1)[-1]}:{line}({name})", round(cum * 1000, 1)])
sys.stderr.write("BENCH_RESULT " + json.dumps({
    "import_s": imported - start,
    "first_s": done - before,
    "import_cpu_s": cpu_imported - cpu_start,
    "first_cpu_s": cpu_done - cpu_imported,
    "status": result.get("statusCode") if isinstance(result, dict) else None,
    "modules": len(sys.modules),
    "profile": top,
}) + "\\n")
"""
)

BASELINE_CHILD = """
import sys, time
start, cpu_start = time.perf_counter(), time.process_time()
import boto3
client = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name=sys.argv[2])
exec(sys.argv[5])  # the floors: what any handler of this design imports besides boto3
created, cpu_created = time.perf_counter(), time.process_time()
first = None
if sys.argv[3] == "1":
    before = time.perf_counter()
    key = {"pk": {"S": "none"}, "sk": {"S": "none"}}
    client.batch_get_item(RequestItems={sys.argv[4]: {"Keys": [key], "ConsistentRead": True}})
    first = time.perf_counter() - before
import json
result = {"import_s": created - start, "import_cpu_s": cpu_created - cpu_start, "first_s": first,
          "modules": len(sys.modules)}
sys.stderr.write("BENCH_RESULT " + json.dumps(result) + "\\n")
"""

# What Lambda adds to a function's environment with ``Tracing: Active`` (the trace header of the
# invocation, a sampled one; the daemon's address: nothing listens there, X-Ray's UDP sends are
# fire-and-forget). ``POWERTOOLS_TRACE_DISABLED`` is unset, as the template leaves it.
TRACING_ENV = {
    "_X_AMZN_TRACE_ID": "Root=1-67a1b2c3-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1",
    "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
}
TRACING_OFF = {"POWERTOOLS_TRACE_DISABLED": "true"}

# ---------------------------------------------------------------- one event per function

Prepare = Callable[[Bench], tuple[str, str, Any]]  # -> method, path, body


def _posted_pair(bench: Bench, level: str = "Invoice") -> tuple[dict[str, Any], dict[str, Any]]:
    account = new_account("cold")
    return bench.fixtures.memo(account, ["50.00"]), bench.fixtures.invoice(account, ["100.00"], level=level)


def _create_invoice(bench: Bench) -> tuple[str, str, Any]:
    return "POST", "/invoices", invoice_body(new_account("cold"), ["100.00", "20.00"])


def _post_invoice(bench: Bench) -> tuple[str, str, Any]:
    invoice = bench.fixtures.invoice(new_account("cold"), ["100.00"], status="Draft")
    return "POST", f"/invoices/{invoice['id']}/actions/post", None


def _read_invoices(bench: Bench) -> tuple[str, str, Any]:
    invoice = bench.fixtures.invoice(new_account("cold"), ["100.00"])
    return "GET", f"/invoices/{invoice['id']}", None


def _create_memo(bench: Bench) -> tuple[str, str, Any]:
    return "POST", "/credit-memos", memo_body(new_account("cold"), ["30.00"])


def _post_memo(bench: Bench) -> tuple[str, str, Any]:
    memo = bench.fixtures.memo(new_account("cold"), ["30.00"], status="Draft")
    return "POST", f"/credit-memos/{memo['id']}/actions/post", None


def _void_memo(bench: Bench) -> tuple[str, str, Any]:
    memo = bench.fixtures.memo(new_account("cold"), ["30.00"])
    return "POST", f"/credit-memos/{memo['id']}/actions/void", None


def _read_memos(bench: Bench) -> tuple[str, str, Any]:
    memo = bench.fixtures.memo(new_account("cold"), ["30.00"])
    return "GET", f"/credit-memos/{memo['id']}", None


def _apply(bench: Bench) -> tuple[str, str, Any]:
    memo, invoice = _posted_pair(bench)
    body = {"applications": [{"invoiceId": invoice["id"], "amount": "10.00"}]}
    return "POST", f"/credit-memos/{memo['id']}/actions/apply", body


def _apply_line(bench: Bench) -> tuple[str, str, Any]:
    memo, invoice = _posted_pair(bench, "InvoiceLine")
    body = {
        "applications": [
            {"invoiceId": invoice["id"], "invoiceLineId": invoice["lines"][0]["id"], "amount": "10.00"}
        ]
    }
    return "POST", f"/credit-memos/{memo['id']}/lines/{memo['lines'][0]['id']}/actions/apply", body


def _unapply(bench: Bench) -> tuple[str, str, Any]:
    memo, invoice = _posted_pair(bench)
    record = bench.fixtures.apply(memo["id"], invoice["id"], "10.00")["applications"][0]["id"]
    return "POST", f"/credit-memo-applications/{record}/actions/unapply", {}


def _unapply_line(bench: Bench) -> tuple[str, str, Any]:
    memo, invoice = _posted_pair(bench, "InvoiceLine")
    record = bench.fixtures.apply(memo["id"], invoice["id"], "10.00")["applications"][0]["id"]
    return "POST", f"/credit-memo-line-applications/{record}/actions/unapply", {}


def _credit_invoice(bench: Bench) -> tuple[str, str, Any]:
    invoice = bench.fixtures.invoice(new_account("cold"), ["100.00"])
    body = {
        "taxStrategy": "Ignore",
        "invoiceLines": [{"invoiceLineId": invoice["lines"][0]["id"], "amountToCredit": "10.00"}],
    }
    return "POST", f"/invoices/{invoice['id']}/actions/credit", body


def _convert(bench: Bench) -> tuple[str, str, Any]:
    invoice = bench.fixtures.invoice(new_account("cold"), ["100.00", "-20.00"])
    return "POST", f"/invoices/{invoice['id']}/actions/convert-to-credit", {}


CASES: dict[str, Prepare] = {
    "create_invoice": _create_invoice,
    "post_invoice": _post_invoice,
    "read_invoices": _read_invoices,
    "create_credit_memo": _create_memo,
    "post_credit_memo": _post_memo,
    "void_credit_memo": _void_memo,
    "read_credit_memos": _read_memos,
    "apply_credit_memo": _apply,
    "apply_credit_memo_line": _apply_line,
    "unapply_credit_memo_application": _unapply,
    "unapply_credit_memo_line_application": _unapply_line,
    "credit_invoice": _credit_invoice,
    "convert_negative_invoice_lines": _convert,
}
# Reference rows: the same functions with tracing off (what tracing costs a cold start).
TRACING_OFF_CASES = ("apply_credit_memo",)
# The designs measured beside the deployed one (the router), on the same events in the same run.
VARIANTS = {
    "validating": "Powertools' validating resolver (before)",
    "unvalidated": "Powertools' resolver, no OpenAPI validation",
}
VARIANT_CASES = ("create_invoice", "apply_credit_memo")
ANALYSIS_CASES = ("create_invoice", "apply_credit_memo")

# ---------------------------------------------------------------- children


def _child_env(
    bench: Bench, function: FunctionDefinition | None, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The function's environment as deployed (tracing on), then ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "POWERTOOLS_", "_X_AMZN", "AWS_XRAY"))
    }
    if function is not None:
        env.update(function_environment(function, endpoint_url=bench.endpoint_url))
        env.pop("POWERTOOLS_TRACE_DISABLED", None)  # a local default; the template leaves it unset
        env.update(TRACING_ENV)
    env.update(extra or {})
    return env


def _run_child(
    args: list[str],
    env: dict[str, str],
    cwd: Path | None = None,
    timeout: float = 120,
    isolated: bool = False,
) -> dict[str, Any]:
    # isolated: -I -S, the standard library only on the path (a built artifact brings the rest)
    completed = subprocess.run(
        [sys.executable, *(["-I", "-S"] if isolated else []), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    for line in completed.stderr.splitlines():
        if line.startswith(MARKER):
            result: dict[str, Any] = json.loads(line[len(MARKER) :])
            result["stderr"] = completed.stderr
            return result
    raise RuntimeError(f"child failed (exit {completed.returncode}):\n{completed.stderr[-3000:]}")


def _event_file(bench: Bench, prepare: Prepare, directory: Path) -> Path:
    method, path, body = prepare(bench)
    prepared = bench.api.prepare(method, path, body, key=new_key() if method == "POST" else None)
    target = directory / f"event-{time.perf_counter_ns()}.json"
    target.write_text(json.dumps(prepared.event))
    return target


def _handler_run(
    bench: Bench,
    function: FunctionDefinition,
    event: Path,
    *,
    profile: bool = False,
    extra: dict[str, str] | None = None,
    importtime: bool = False,
    packaged: Packaged | None = None,
    variant: str = "router",
) -> dict[str, Any]:
    """One cold start: the dev venv's handler file, or (``packaged``) the built, packaged artifact.

    ``variant``: ``router`` (as deployed), ``validating`` (Powertools' resolver with its OpenAPI
    validation, as before the router) or ``unvalidated`` (Powertools' resolver routing, the router's
    pydantic validation inside each route): the same routes, the same answers."""
    args = ["-X", "importtime"] if importtime else []
    folder, layer, env = function.code_dir, "", _child_env(bench, function, extra)
    if packaged is not None:
        folder = packaged.function_dir(function.logical_id).resolve()
        layer = str(packaged.layer_python.resolve())
        env = {**env, "LAMBDA_TASK_ROOT": str(folder)}
    args += [
        "-c",
        HANDLER_CHILD,
        str(folder / function.handler_file.name),
        str(folder),
        str(event),
        "1" if profile else "0",
        layer,
        variant,
    ]
    result = _run_child(args, env, cwd=folder, isolated=packaged is not None)
    if result.get("status") is None or not 200 <= int(result["status"]) < 300:
        raise RuntimeError(
            f"{function.logical_id}: first response {result.get('status')}:\n{result['stderr'][-3000:]}"
        )
    return result


# Reference rows: the baseline plus what no handler of this design can leave out (pydantic for the
# edge's validation; Powertools' package for structured logs and metrics: importing any of it runs
# its __init__, which imports Logger, Metrics and Tracer). What a handler costs above the last one
# is this project's own code and the first response.
FLOORS = {
    "floor: baseline + pydantic": "from pydantic import BaseModel, TypeAdapter",
    "floor: baseline + pydantic + Powertools Logger and Metrics": (
        "from pydantic import BaseModel, TypeAdapter\n"
        "from aws_lambda_powertools import Logger, Metrics\nLogger(); Metrics()"
    ),
}


BASELINE = "baseline: import boto3 + DynamoDB client"


def _baseline_run(
    bench: Bench, with_request: bool, importtime: bool = False, extra: str = "", layer: Path | None = None
) -> dict[str, Any]:
    """The baseline child in the dev venv, or (``layer``) in ``python -I -S`` on a built layer."""
    prefix = f"import sys; sys.path.insert(0, {str(layer)!r})\n" if layer is not None else ""
    args = [
        *(["-X", "importtime"] if importtime else []),
        "-c",
        prefix + BASELINE_CHILD,
        bench.endpoint_url,
        LOCAL_REGION,
        "1" if with_request else "0",
        bench.table_name,
        extra,
    ]
    return _run_child(args, _child_env(bench, None), isolated=layer is not None)


# ---------------------------------------------------------------- -X importtime


def _importtime_rows(stderr: str) -> Iterator[tuple[str, int, int]]:
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, self_us, cumulative_us, name = (
            part.strip() for part in line.replace("import time:", "|", 1).split("|")
        )
        yield name.strip(), int(self_us), int(cumulative_us)


def importtime_modules(result: dict[str, Any]) -> set[str]:
    return {module for module, _, _ in _importtime_rows(result["stderr"])}


def importtime_analysis(stderr: str, exclude: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """Self time by top-level package (``credit_memos`` by sub-package), modules in ``exclude`` left out."""
    by_package: dict[str, float] = defaultdict(float)
    cumulative: dict[str, float] = {}
    for module, self_us, cumulative_us in _importtime_rows(stderr):
        if module in exclude:
            continue
        parts = module.split(".")
        by_package[".".join(parts[:2]) if parts[0] == "credit_memos" else parts[0]] += self_us / 1000
        cumulative.setdefault(module, int(cumulative_us) / 1000)
    total = sum(by_package.values())
    packages = sorted(by_package.items(), key=lambda kv: -kv[1])
    interesting = [
        "aws_lambda_powertools",
        "aws_lambda_powertools.logging",
        "aws_lambda_powertools.metrics",
        "aws_lambda_powertools.event_handler",
        "credit_memos.api.routing",
        "aws_xray_sdk.core",
        "pydantic",
        "boto3",
        "botocore.session",
        "credit_memos.api.lambda_handlers",
        "credit_memos.api.execution",
        "credit_memos.api.schemas",
        "credit_memos.usecases",
        "credit_memos.adapters.dynamodb",
    ]
    return {
        "total_ms": round(total, 1),
        "self_ms_by_package": {k: round(v, 1) for k, v in packages[:15]},
        "cumulative_ms": {k: round(cumulative[k], 1) for k in interesting if k in cumulative},
    }


def _packaged_build(bench: Bench, directory: Path) -> tuple[Packaged | None, str]:
    """This machine's `make build`, zipped and unzipped like `sam package` (1980 dates)."""
    build_dir = default_build_dir(host_architecture())
    if not (build_dir / "template.yaml").is_file():
        return None, f"no build in {build_dir}: run `make build ARCH=host` for the built-artifact columns"
    return package(build_dir, directory / "packaged"), str(build_dir)


Samples = list[dict[str, Any]]


def _cpu(sample: dict[str, Any]) -> float:
    return float(sample["import_cpu_s"]) + float(sample.get("first_cpu_s") or 0.0)


def _wall(sample: dict[str, Any]) -> float:
    return float(sample["import_s"]) + float(sample.get("first_s") or 0.0)


def _ratios(runs_of: Samples, baselines: Samples) -> dict[str, Any]:
    """Medians of ``runs_of`` over the baseline's, and each round's CPU ratio (the rounds interleave)."""
    baseline, baseline_cpu = median([_wall(s) for s in baselines]), median([_cpu(s) for s in baselines])
    per_round = sorted(_cpu(s) / _cpu(b) for s, b in zip(runs_of, baselines, strict=False))
    return {
        "import_ms": round(median([s["import_s"] for s in runs_of]) * 1000, 1),
        "first_ms": round(median([s.get("first_s") or 0.0 for s in runs_of]) * 1000, 1),
        "total_ms": round(median([_wall(s) for s in runs_of]) * 1000, 1),
        "cpu_ms": round(median([_cpu(s) for s in runs_of]) * 1000, 1),
        "ratio": round(median([_wall(s) for s in runs_of]) / baseline, 2),
        "cpu_ratio": round(median([_cpu(s) for s in runs_of]) / baseline_cpu, 2),
        # the quietest run of each side: other processes only ever add to a child's CPU time
        "cpu_ratio_min": round(min(_cpu(s) for s in runs_of) / min(_cpu(s) for s in baselines), 2),
        "cpu_ratio_rounds": f"{per_round[0]:.2f}-{per_round[-1]:.2f}" if per_round else None,
    }


def run(bench: Bench) -> Section:
    started = time.perf_counter()
    runs = 1 if bench.smoke else 3 if bench.quick else 9
    functions = {f.folder_name: f for f in bench.template.functions().values()}
    cases = {name: prepare for name, prepare in CASES.items() if name in functions}
    tracing_off_cases = [name for name in TRACING_OFF_CASES if name in cases and not bench.smoke]
    variant_cases = [name for name in VARIANT_CASES if name in cases and not bench.smoke]
    if bench.smoke:
        cases = {name: cases[name] for name in ("apply_credit_memo",) if name in cases}
    dev: dict[str, Samples] = defaultdict(list)  # row label -> samples, the dev venv
    built: dict[str, Samples] = defaultdict(list)  # row label -> samples, the built artifact
    section = Section(
        "cold_start",
        "3. Cold start, tracing on as deployed: import + first response in a fresh interpreter / "
        "import boto3 + DynamoDB client from the same place (dev venv | built artifact and its layer)",
        [
            ("function", "function"),
            ("total_ms", "dev total ms"),
            ("ratio", "dev ratio"),
            ("cpu_ratio", "dev CPU ratio"),
            ("built_import_ms", "built import ms"),
            ("built_first_ms", "built first ms"),
            ("built_total_ms", "built total ms"),
            ("built_cpu_ms", "built CPU ms"),
            ("built_ratio", "built ratio"),
            ("built_cpu_ratio", "built CPU ratio"),
            ("built_cpu_ratio_rounds", "built CPU ratio, each round"),
            ("built_cpu_ratio_min", "built CPU ratio (quietest runs)"),
            ("target", "target (built)"),
            ("meets", "meets"),
        ],
    )
    load_before = [round(x, 2) for x in os.getloadavg()]

    def one_round(directory: Path, packaged: Packaged | None) -> None:
        layer = packaged.layer_python.resolve() if packaged is not None else None
        dev[BASELINE].append(_baseline_run(bench, with_request=False))
        dev["for reference: baseline + one BatchGetItem"].append(_baseline_run(bench, with_request=True))
        if layer is not None:
            built[BASELINE].append(_baseline_run(bench, with_request=False, layer=layer))
        for label, imports in FLOORS.items():
            if not bench.smoke:
                dev[label].append(_baseline_run(bench, with_request=False, extra=imports))
                if layer is not None:
                    built[label].append(_baseline_run(bench, with_request=False, extra=imports, layer=layer))
        for name, prepare in cases.items():
            dev[name].append(_handler_run(bench, functions[name], _event_file(bench, prepare, directory)))
            if packaged is not None:
                event = _event_file(bench, prepare, directory)
                built[name].append(_handler_run(bench, functions[name], event, packaged=packaged))
        for name in tracing_off_cases:
            label = f"{name} (tracing off)"
            event = _event_file(bench, cases[name], directory)
            dev[label].append(_handler_run(bench, functions[name], event, extra=TRACING_OFF))
            if packaged is not None:
                event = _event_file(bench, cases[name], directory)
                built[label].append(
                    _handler_run(bench, functions[name], event, extra=TRACING_OFF, packaged=packaged)
                )
        for name in variant_cases:
            for variant, variant_label in VARIANTS.items():
                label = f"{name} [{variant_label}]"
                event = _event_file(bench, cases[name], directory)
                dev[label].append(_handler_run(bench, functions[name], event, variant=variant))
                if packaged is not None:
                    event = _event_file(bench, cases[name], directory)
                    built[label].append(
                        _handler_run(bench, functions[name], event, packaged=packaged, variant=variant)
                    )

    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        directory = Path(tmp)
        packaged, build_note = _packaged_build(bench, directory)
        # One unrecorded round: bytecode caches and the OS page cache are warm, as they are for
        # every cold start of a deployed function after its first.
        _baseline_run(bench, with_request=True)
        if packaged is not None:
            _baseline_run(bench, with_request=False, layer=packaged.layer_python.resolve())
        for name, prepare in cases.items():
            _handler_run(bench, functions[name], _event_file(bench, prepare, directory))
            if packaged is not None:
                _handler_run(
                    bench, functions[name], _event_file(bench, prepare, directory), packaged=packaged
                )
        for run_index in range(runs):
            bench.log(f"  cold start: run {run_index + 1}/{runs}")
            one_round(directory, packaged)
        # analysis runs (not part of the figures): where import and the first response go, on the
        # built artifact when there is one; import time above the baseline's own modules
        analysis: dict[str, Any] = {}
        if not bench.smoke:
            where = "built" if packaged is not None else "dev"
            layer = packaged.layer_python.resolve() if packaged is not None else None
            baseline_modules = importtime_modules(
                _baseline_run(bench, with_request=False, importtime=True, layer=layer)
            )
            for name in ANALYSIS_CASES:
                if name not in cases:
                    continue
                event = _event_file(bench, cases[name], directory)
                traced = _handler_run(bench, functions[name], event, importtime=True, packaged=packaged)
                analysis[f"importtime_{name}"] = importtime_analysis(traced["stderr"])
                analysis[f"importtime_{name}_above_baseline"] = importtime_analysis(
                    traced["stderr"], exclude=baseline_modules
                )
                event = _event_file(bench, cases[name], directory)
                analysis[f"first_response_profile_ms_{name}"] = _handler_run(
                    bench, functions[name], event, profile=True, packaged=packaged
                )["profile"][:40]
            analysis["where"] = where
        load_after = [round(x, 2) for x in os.getloadavg()]

    for label in dict.fromkeys([*dev, *built]):
        row: dict[str, Any] = {"function": label}
        if dev.get(label):
            row.update(_ratios(dev[label], dev[BASELINE]))
            row["modules_loaded"] = dev[label][0].get("modules")
            row["samples_ms"] = [round(_wall(s) * 1000, 1) for s in dev[label]]
        if built.get(label):
            figures = _ratios(built[label], built[BASELINE])
            row.update({f"built_{key}": value for key, value in figures.items()})
            row["built_samples_cpu_ms"] = [round(_cpu(s) * 1000, 1) for s in built[label]]
            if label in cases:  # the deployed design is held to the target; the others are compared
                row["target"] = f"<= {TARGET_RATIO}"
                row["meets"] = figures["ratio"] <= TARGET_RATIO
        section.rows.append(row)
    section.data = {"runs": runs, "analysis": analysis, "build": build_note}
    section.notes.append(
        f"load average (1, 5, 15 min) at the section's start {load_before}, at its end {load_after} "
        f"({os.cpu_count()} CPUs): the wall figures stretch with it, the CPU figures much less"
    )
    for name in ANALYSIS_CASES:
        imports = analysis.get(f"importtime_{name}_above_baseline", {})
        if imports:
            heavy = ", ".join(f"{k} {v:.0f}" for k, v in list(imports["self_ms_by_package"].items())[:10])
            section.notes.append(
                f"-X importtime ({analysis['where']}), {name}, self ms of the modules the baseline does not "
                f"import, by package: {heavy} (total {imports['total_ms']:.0f} ms of "
                f"{analysis[f'importtime_{name}']['total_ms']:.0f}; inflated by -X importtime itself)"
            )
    imports = analysis.get("importtime_apply_credit_memo", {})
    if imports:
        cumulative = ", ".join(f"{k} {v:.0f}" for k, v in imports["cumulative_ms"].items())
        section.notes.append(f"cumulative ms, apply_credit_memo (first importer pays): {cumulative}")
    section.notes += [
        f"built: {build_note}; each function's packaged folder (zipped like `sam package`, 1980 dates, "
        "unzipped) + its layer + the standard library in `python -I -S`, its bytecode unchecked-hash; "
        "the built baseline is boto3 and its client from that layer (botocore's data pruned). "
        "dev: the development venv, its handler file and site-packages (timestamp .pyc caches, warm), "
        "over the dev venv's baseline. CPU: time.process_time of the child over the same span.",
        f"median of {runs} runs each, alternating baselines, dev and built handlers; 'each round': the "
        "lowest and highest of the rounds' CPU ratios (handler / the same round's baseline). Each child "
        "gets a fresh event (Idempotency-Key on POSTs) and its function's environment from template.yaml "
        "with tracing on as deployed (Tracing: Active: Lambda's trace header and X-Ray variables, "
        "POWERTOOLS_TRACE_DISABLED unset); '(tracing off)' rows set POWERTOOLS_TRACE_DISABLED=true.",
        "first response includes the DynamoDB client's creation (get_service()) and the new "
        "connection's first requests to DynamoDB Local.",
    ]
    section.seconds = time.perf_counter() - started
    return section
