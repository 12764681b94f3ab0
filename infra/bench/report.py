"""The printed tables, the JSON file, and a description of the machine the figures came from."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any


@dataclass
class Section:
    """One section's result: a table (rows of dicts), notes, and raw data for the JSON file."""

    name: str
    title: str
    columns: list[tuple[str, str]]  # (key, header)
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "columns": [key for key, _ in self.columns],
            # every row has every column (None where it does not apply)
            "rows": [{key: row.get(key) for key, _ in self.columns} | row for row in self.rows],
            "notes": self.notes,
            "data": self.data,
            "seconds": round(self.seconds, 1),
        }


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}" if abs(value) >= 0.01 else f"{value:.4f}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    return str(value)


def format_table(columns: Sequence[tuple[str, str]], rows: Sequence[dict[str, Any]]) -> str:
    headers = [header for _, header in columns]
    cells = [[_cell(row.get(key)) for key, _ in columns] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), separator, *(line(r) for r in cells)])


def print_section(section: Section, out: IO[str]) -> None:
    print(f"\n## {section.title}  ({section.seconds:.0f} s)\n", file=out)
    if section.rows:
        print(format_table(section.columns, section.rows), file=out)
    for note in section.notes:
        print(f"- {note}", file=out)
    out.flush()


def markdown(sections: Sequence[Section], machine: dict[str, Any], meta: dict[str, Any]) -> str:
    """The whole report as Markdown (``--markdown FILE``), for docs/benchmarks.md."""
    end_load = meta.get("load_average_at_end")
    parts = [
        f"Run: `{meta['command']}` on {meta['started_at']} ({meta['mode']}, {meta['seconds']:.0f} s), "
        f"engine: {meta['engine_kind']}"
        + (f"; load average at the end {end_load[0]}" if end_load else "")
        + ".",
        "",
        "Machine: " + describe_machine(machine) + ".",
    ]
    for section in sections:
        parts += ["", f"### {section.title}", ""]
        if section.rows:
            parts.append(format_table(section.columns, section.rows))
        if section.notes:
            parts.append("")
            parts += [f"- {note}" for note in section.notes]
    return "\n".join(parts) + "\n"


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")


# ---------------------------------------------------------------- machine


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _java_version() -> str | None:
    try:
        result = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (result.stderr or result.stdout).strip().splitlines()
    return text[0] if text else None


def machine() -> dict[str, Any]:
    import boto3
    import botocore

    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {
        "nproc": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "java": _java_version(),
        "boto3": boto3.__version__,
        "botocore": botocore.__version__,
        "load_average_at_start": [round(x, 2) for x in load] if load else None,
    }


def describe_machine(info: dict[str, Any]) -> str:
    load = info.get("load_average_at_start")
    return (
        f"{info['nproc']} CPUs ({info['cpu_model']}), {info['memory_gib']} GiB, "
        f"{info['implementation']} {info['python']} on {info['platform']}, {info['java']}, "
        f"boto3 {info['boto3']}" + (f", load average at start {load[0]}" if load else "")
    )


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")
