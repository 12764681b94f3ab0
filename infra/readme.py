"""Write docs/reference.md's operation table from template.yaml (the routes) and openapi.json (the
rest) and its limits table from ``credit_memos.limits``, and the README's roles table from the
command types.

One row per route, in the template's order: the operation's summary, its method and path (with the
query parameters), and its success status, body schema and description. Each table sits between
two markers; everything else in the files is left as it is.

    python -m infra.readme          # rewrite the tables
    python -m infra.readme --check  # exit 1 if a table is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from infra.local.template import REPO_ROOT, Template
from infra.openapi import OUTPUT as OPENAPI_PATH

README = REPO_ROOT / "README.md"
REFERENCE = REPO_ROOT / "docs" / "reference.md"
BEGIN = "<!-- operations: begin (written by `python -m infra.readme` from template.yaml, openapi.json) -->"
END = "<!-- operations: end -->"
LIMITS_BEGIN = "<!-- limits: begin (written by `python -m infra.readme` from credit_memos.limits) -->"
LIMITS_END = "<!-- limits: end -->"
ROLES_BEGIN = "<!-- roles: begin (written by `python -m infra.readme` from credit_memos.commands) -->"
ROLES_END = "<!-- roles: end -->"


class ReadmeError(Exception):
    """A file has no marked table, or the template and openapi.json disagree."""


def _success(operation: dict[str, Any]) -> str:
    codes = sorted(code for code in operation["responses"] if code.startswith("2"))
    if len(codes) != 1:
        raise ReadmeError(f"{operation['operationId']}: expected one success response, got {codes}")
    response = operation["responses"][codes[0]]
    ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
    schema = f" `{ref.rsplit('/', 1)[-1]}`" if ref else ""
    return f"{codes[0]}{schema}: {response['description']}"


def render_table(template: Template, document: dict[str, Any]) -> str:
    """The table's Markdown, one row per template route; every route must be in ``document``."""
    routes = template.routes()
    paths: dict[str, dict[str, Any]] = document["paths"]
    documented = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    declared = {(route.method, route.path) for route in routes}
    if documented != declared:
        raise ReadmeError(
            f"openapi.json and template.yaml disagree: only in openapi.json {sorted(documented - declared)}, "
            f"only in template.yaml {sorted(declared - documented)} (run `python -m infra.openapi`)"
        )
    rows = ["| Operation | Method and path | Success |", "|---|---|---|"]
    for route in routes:
        operation = paths[route.path][route.method.lower()]
        query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        target = route.path + ("?" + "&".join(f"{name}=" for name in query) if query else "")
        rows.append(f"| {operation['summary']} | `{route.method} {target}` | {_success(operation)} |")
    return "\n".join(rows) + "\n"


def render_limits() -> str:
    """The limits table, from ``credit_memos.limits`` (the one place each limit is defined)."""
    from credit_memos.limits import DESCRIBED

    rows = ["| limit | value |", "|---|---|"]
    rows += [f"| {what} | {value} |" for what, value in DESCRIBED]
    return "\n".join(rows) + "\n"


def render_roles() -> str:
    """The roles' rights, from each command type's least role (``Command.role``)."""
    from credit_memos.access import ROLES
    from credit_memos.commands import command_types

    by_role: dict[str, list[str]] = {role: [] for role in ROLES}
    for command_type in command_types():
        if "operation" in vars(command_type):
            by_role[command_type.role].append(command_type.operation)
    rows = ["| role | may do, besides what the roles above may |", "|---|---|"]
    for role, operations in by_role.items():
        rights = ", ".join(f"`{name}`" for name in sorted(operations))
        if role == "Approver":
            rights += "; posting a memo that needs approval (not one they created)"
        rows.append(f"| {role} | {rights} |")
    return "\n".join(rows) + "\n"


def rewrite(readme_text: str, table: str, begin: str = BEGIN, end: str = END) -> str:
    """``readme_text`` with the text between the markers replaced by ``table``."""
    if readme_text.count(begin) != 1 or readme_text.count(end) != 1:
        raise ReadmeError(f"the file must hold the markers once each:\n{begin}\n{end}")
    head, rest = readme_text.split(begin)
    _, tail = rest.split(end)
    return f"{head}{begin}\n{table}{end}{tail}"


def expected_readme(readme: Path = README) -> str:
    return rewrite(readme.read_text(encoding="utf-8"), render_roles(), ROLES_BEGIN, ROLES_END)


def expected_reference(reference: Path = REFERENCE, openapi: Path = OPENAPI_PATH) -> str:
    document = json.loads(openapi.read_text(encoding="utf-8"))
    text = rewrite(reference.read_text(encoding="utf-8"), render_table(Template.load(), document))
    return rewrite(text, render_limits(), LIMITS_BEGIN, LIMITS_END)


def expected_files() -> dict[Path, str]:
    return {README: expected_readme(), REFERENCE: expected_reference()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="fail if a table is stale")
    args = parser.parse_args(argv)
    try:
        files = expected_files()
    except ReadmeError as error:
        print(error, file=sys.stderr)
        return 1
    stale = [path for path, text in files.items() if path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(
                f"{path.relative_to(REPO_ROOT)}'s tables are stale: run `python -m infra.readme`",
                file=sys.stderr,
            )
        if not stale:
            print("README.md's and docs/reference.md's tables are up to date")
        return 1 if stale else 0
    for path in stale:
        path.write_text(files[path], encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
