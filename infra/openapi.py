"""Generate the service's OpenAPI document from the handlers' own routes and models.

Every function's resolver declares its routes with the pydantic models that also
validate its requests; this merges them into one document, ``openapi.json``.

    python -m infra.openapi          # write openapi.json
    python -m infra.openapi --check  # exit 1 if the committed file is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from infra.local.lambda_runtime import load_handler
from infra.local.template import REPO_ROOT, Template

OUTPUT = REPO_ROOT / "openapi.json"
TITLE = "Credit memo service"
VERSION = "1.0.0"


def function_documents(template: Template) -> dict[str, dict[str, Any]]:
    """Each routed function's own OpenAPI document, as its resolver declares it, by logical id."""
    routed = {route.function for route in template.routes()}
    documents: dict[str, dict[str, Any]] = {}
    for function in sorted(template.functions().values(), key=lambda f: f.logical_id):
        if function.logical_id not in routed:
            continue  # direct-invocation-only functions have no HTTP routes
        load_handler(function, module_name=f"_openapi_{function.folder_name}")
        module = sys.modules[f"_openapi_{function.folder_name}"]
        documents[function.logical_id] = json.loads(
            module.app.get_openapi_json_schema(title=TITLE, version=VERSION, openapi_version="3.1.0")
        )
    return documents


def build_document(template: Template | None = None) -> dict[str, Any]:
    template = template or Template.load()
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for document in function_documents(template).values():
        for path, operations in document.get("paths", {}).items():
            paths.setdefault(path, {}).update(operations)
        schemas.update(document.get("components", {}).get("schemas", {}))
    for operations in paths.values():
        for operation in operations.values():
            # Powertools declares its own 422 body on routes with parameters; the service
            # answers every validation failure with its ErrorResponse instead.
            for response in operation.get("responses", {}).values():
                for content in response.get("content", {}).values():
                    if content.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                        content["schema"] = {"$ref": "#/components/schemas/ErrorResponse"}
                        response["description"] = "Invalid request (VALIDATION_ERROR)"
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.pop("ResponseValidationError", None)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Credit memos, applications and conversions with exact decimal money. "
            "Every POST accepts an Idempotency-Key header. Deployed behind API Gateway with IAM auth.",
        },
        "servers": [{"url": "http://127.0.0.1:3000", "description": "make run"}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="fail if openapi.json differs from the code")
    args = parser.parse_args(argv)
    text = render(build_document())
    if args.check:
        current = OUTPUT.read_text() if OUTPUT.exists() else ""
        if current != text:
            print("openapi.json is stale: run `python -m infra.openapi`", file=sys.stderr)
            return 1
        print("openapi.json is up to date")
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
