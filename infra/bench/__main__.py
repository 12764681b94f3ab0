"""``python -m infra.bench [--quick] [--out FILE] [--sections a,b] [--markdown FILE]``.

Starts an in-memory DynamoDB Local on a free port (reached via 127.0.0.1), creates the table from
template.yaml, runs the sections, prints one table per section and writes everything as JSON (default
``.local/bench.json``), then stops DynamoDB Local. ``--quick`` runs smaller samples (about a
minute on 2 CPUs; the full run takes about 3), ``--smoke`` tiny ones (seconds; only proves every
section runs). Exit status is 0 whatever the figures are (targets are reported, never enforced),
1 if a section crashed, 2 if DynamoDB Local cannot run.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from infra.local.template import REPO_ROOT

SECTIONS = (
    "round_trips",
    "capacity",
    "overhead",
    "cold_start",
    "cpu",
    "scale",
    "contention",
    "numbering",
    "summary",
    "local_server",
    "documents",
    "replay_backlog",
    "salesforce",
)
DEFAULT_OUT = REPO_ROOT / ".local" / "bench.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.bench", description=__doc__.split("\n\n")[1])
    parser.add_argument("--quick", action="store_true", help="smaller samples (a few minutes)")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny samples, only to check that every section runs"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON file (default {DEFAULT_OUT})")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the report as Markdown")
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of {','.join(SECTIONS)} (default: all)",
    )
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections: {', '.join(unknown)}")
    args.sections = [s for s in SECTIONS if s in chosen]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from infra.local.dynamodb_local import DynamoDBLocalStartError, DynamoDBLocalUnavailable

    try:
        return _run(args)
    except (DynamoDBLocalUnavailable, DynamoDBLocalStartError) as error:
        print(f"error: the benchmarks need DynamoDB Local: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from infra.bench import report
    from infra.bench.context import (
        Bench,
        Fixtures,
        HandlerApi,
        configure_process,
        quiet_stdout,
        running_engine,
    )
    from infra.local.create_tables import create_tables
    from infra.local.template import Template

    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    machine = report.machine()
    sections: list[report.Section] = []
    failures: dict[str, str] = {}
    with quiet_stdout() as out:
        print(f"infra.bench ({mode}): {', '.join(args.sections)}", file=out)
        print("machine: " + report.describe_machine(machine), file=out, flush=True)
        with running_engine(out) as engine:
            template = Template.load()
            create_tables(engine.endpoint_url, template, log=lambda _: None)
            configure_process(template, engine.endpoint_url)
            api = HandlerApi(template, engine.endpoint_url)
            bench = Bench(
                quick=args.quick or args.smoke,
                engine=engine,
                template=template,
                table_name=template.tables()["CreditMemoTable"].table_name,
                api=api,
                fixtures=Fixtures(api),
                out=out,
                smoke=args.smoke,
            )
            for name in args.sections:
                module = importlib.import_module(f"infra.bench.{name}")
                print(f"\nrunning {name} ...", file=out, flush=True)
                try:
                    section = module.run(bench)
                except Exception:  # a broken section must not hide the others' figures
                    failures[name] = traceback.format_exc()
                    print(f"section {name} failed:\n{failures[name]}", file=sys.stderr, flush=True)
                    continue
                sections.append(section)
                report.print_section(section, out)
        seconds = time.perf_counter() - started
        meta = {
            "command": "python -m infra.bench"
            + (" --quick" if args.quick else "")
            + (" --smoke" if args.smoke else ""),
            "mode": mode,
            "started_at": started_at,
            "seconds": round(seconds, 1),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "engine": engine.describe(),
            "engine_kind": engine.engine,
        }
        payload = {
            "meta": meta,
            "machine": machine,
            "sections": {s.name: s.to_json() for s in sections},
            "failures": failures,
        }
        report.write_json(args.out, payload)
        if args.markdown is not None:
            args.markdown.parent.mkdir(parents=True, exist_ok=True)
            args.markdown.write_text(report.markdown(sections, machine, meta))
        print(f"\nwrote {args.out} ({seconds:.0f} s in all)", file=out, flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
