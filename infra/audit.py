"""Dependency audit: fail on any known vulnerability in what the Lambda layer ships.

    python -m infra.audit            # audit shared/requirements.txt (the runtime deps)

Runs pip-audit against PyPI's vulnerability data. A known vulnerability fails the
run. Packages the audit service could not look up are listed with a warning; with
AUDIT_STRICT=1 they fail the run too (use that where PyPI's JSON API is reachable;
some sandboxes only mirror the package index, and then nothing can be looked up).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "shared" / "requirements.txt"


def main() -> int:
    command = [
        str(Path(sys.executable).with_name("pip-audit")),
        "--requirement",
        str(REQUIREMENTS),
        "--format",
        "json",
        "--progress-spinner",
        "off",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(result.stdout[-3000:], result.stderr[-3000:], sep="\n", file=sys.stderr)
        print("audit: pip-audit did not produce a report", file=sys.stderr)
        return 1
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        print(f"audit: VULNERABLE {dep['name']} {dep.get('version', '?')}: {ids}", file=sys.stderr)
    audited = len(dependencies) - len(skipped)
    print(
        f"audit: {audited} of {len(dependencies)} runtime dependencies audited, {len(vulnerable)} vulnerable"
    )
    if skipped:
        names = ", ".join(d["name"] for d in skipped)
        print(f"audit: WARNING could not look up {len(skipped)} packages (vulnerability data unreachable?):")
        print(f"audit:   {names}")
    if vulnerable:
        return 1
    if skipped and os.environ.get("AUDIT_STRICT") == "1":
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
