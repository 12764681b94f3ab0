"""Generate the service's OpenAPI document from the handlers' own routes and models.

Every function's resolver declares its routes with the pydantic models that also
validate its requests; this merges them into one document, ``openapi.json``, and adds
what a client generator needs of every operation in one pass (:func:`publish`): its
operationId (the template's event name), tag, description, security and response headers.

    python -m infra.openapi          # write openapi.json
    python -m infra.openapi --check  # exit 1 if the committed file is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from infra.local.lambda_runtime import load_handler
from infra.local.template import REPO_ROOT, Route, Template

OUTPUT = REPO_ROOT / "openapi.json"
TITLE = "Credit memo service"
VERSION = "1.0.0"
LOCAL_SERVER = "http://127.0.0.1:3000"

TAGS = {
    "Invoices": "Invoices, and crediting or converting their lines",
    "Credit memos": "Standalone credit memos: create, post, void, read",
    "Applications": "Applying credit to invoices and taking it back, and the records it leaves",
    "Payments": "Payments received elsewhere, and their reversals",
    "Refunds": "Credit paid back to the customer from a memo's balance, and their reversals",
    "Accounts": "A billing account's open credit and receivable",
    "Salesforce": "Revenue Cloud Billing's Connect REST resources and standard invocable actions, "
    "under /services/data/v62.0 to v68.0, translated onto the native operations (docs/salesforce.md)",
    "Books": "Journal entries, the trial balance and accounting periods",
}
# An operation's tag: the first whose word its name holds (so crediting an invoice is the
# invoice's, applying a memo is an application).
_TAG_WORDS = [
    ("Salesforce", "Salesforce"),
    ("Journal", "Books"),
    ("TrialBalance", "Books"),
    ("AccountingPeriod", "Books"),
    ("Payment", "Payments"),
    ("Refund", "Refunds"),
    ("Appl", "Applications"),
    ("Account", "Accounts"),
    ("CreditMemo", "Credit memos"),
    ("Invoice", "Invoices"),
]
# The OAuth scope of each role (docs/api.md section 9): each role may do what its scope names.
OAUTH_SCOPES = {
    "Reader": ("credit-memos/read", "Every GET (the Reader role)"),
    "Operator": ("credit-memos/write", "Create, post, apply, unapply, credit, convert, payments (Operator)"),
    "Approver": (
        "credit-memos/approve",
        "Void, refunds, post memos that need approval, close and reopen accounting periods (Approver)",
    ),
}
SECURITY_SCHEMES: dict[str, Any] = {
    "sigv4": {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "x-amazon-apigateway-authtype": "awsSigv4",
        "description": "AWS Signature Version 4 with IAM credentials (API Gateway's AWS_IAM "
        "authorization; the default). `make run` accepts unsigned requests.",
    },
    "cognito": {
        "type": "oauth2",
        "description": "OAuth 2.0 client credentials from an Amazon Cognito user pool, where the "
        "deployment offers it: `Authorization: Bearer <token>`.",
        "flows": {
            "clientCredentials": {
                "tokenUrl": "https://your-domain.auth.us-east-1.amazoncognito.com/oauth2/token",
                "scopes": {scope: description for scope, description in OAUTH_SCOPES.values()},
            }
        },
    },
}
HEADERS = {
    "Idempotent-Replayed": {
        "description": "`true` when the answer is the stored outcome of an earlier request with the "
        "same Idempotency-Key and body (nothing changed this time); absent otherwise.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Dry-Run": {
        "description": "`true` when the request asked for a dry run (`dryRun=true`): the answer is "
        "what the call would answer now, and nothing was written.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying the same request (same Idempotency-Key): "
        "sent with SERVICE_UNAVAILABLE, CONCURRENT_UPDATE, IDEMPOTENCY_KEY_IN_USE and throttling.",
        "schema": {"type": "integer", "minimum": 0},
    },
}
_RETRY_STATUSES = ("409", "429", "503")


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
    nullable_in_dry_runs(schemas)
    publish(paths, template.routes())
    stage = template.parameter_defaults()["StageName"]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Credit memos, applications and conversions with exact decimal money. "
            "Every POST accepts an Idempotency-Key header. Deployed behind API Gateway with IAM auth "
            "(SigV4-signed requests); `make run` serves it unsigned, with this reference at /docs.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [
            {"url": LOCAL_SERVER, "description": "make run"},
            {
                "url": "https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}",
                "description": "A deployed stack (its ApiUrl output)",
                "variables": {
                    "restApiId": {"default": "abcdef1234", "description": "The stack's REST API id"},
                    "region": {"default": "us-east-1", "description": "The stack's AWS Region"},
                    "stage": {"default": stage, "description": "The template's StageName"},
                },
            },
        ],
        "security": [{"sigv4": []}],
        "tags": [{"name": name, "description": description} for name, description in TAGS.items()],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "headers": HEADERS,
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def _tag(operation_id: str) -> str:
    return next(tag for word, tag in _TAG_WORDS if word in operation_id)


def _header_refs(*names: str) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def publish(paths: dict[str, Any], routes: list[Route]) -> None:
    """Give every operation what a client generator and a reader need, the same way for all: its
    operationId (the template's event name for the route, which is the operation's name), tag,
    description (the declared one, then who may call it and, for a change, how to retry it),
    security (SigV4 by default, or OAuth with the scope of the command's least role) and the
    headers its responses may carry."""
    from credit_memos.commands import command_types

    roles = {t.operation: t.role for t in command_types() if "operation" in vars(t)}
    for route in routes:
        method = route.method.lower()
        operation = paths[route.path][method]
        name = route.event_name
        # A Salesforce route needs what the native operation it maps onto needs.
        role = roles.get(name.removeprefix("Salesforce"), "Operator" if method == "post" else "Reader")
        scope = OAUTH_SCOPES[role][0]
        notes = [f"Needs the {role} role in the service's access policy; with OAuth, the scope `{scope}`."]
        if method == "post":
            notes.append(
                "Send an `Idempotency-Key` to retry safely: the same key and body answer the first "
                "outcome again, with `Idempotent-Replayed: true`, and change nothing."
            )
        declared = operation.get("description")
        operation["operationId"] = name
        operation["tags"] = [_tag(name)]
        operation["description"] = " ".join([declared, *notes] if declared else notes)
        # The Salesforce-compatible routes take OAuth tokens only (their Cognito authorizer).
        salesforce = route.path.startswith("/services/data/")
        operation["security"] = (
            [{"cognito": [scope]}] if salesforce else [{"sigv4": []}, {"cognito": [scope]}]
        )
        for status, response in operation["responses"].items():
            if method == "post" and status.startswith("2"):
                dry_run = any(p.get("name") == "dryRun" for p in operation.get("parameters", []))
                names = ("Idempotent-Replayed", "Dry-Run") if dry_run else ("Idempotent-Replayed",)
                response["headers"] = _header_refs(*names)
            elif status in _RETRY_STATUSES:
                response["headers"] = _header_refs("Retry-After")


# The fields a dry run answers null (spec section 10): the ids of what the real call would create
# (``UnitOfWork.preview``), by response schema. ``documentNumber`` is nullable already (a Draft's).
DRY_RUN_NULL_FIELDS = {
    "InvoiceView": ("id",),
    "InvoiceLineView": ("id",),
    "CreditMemoView": ("id",),
    "CreditMemoLineView": ("id",),
    "ApplicationView": ("id", "creditMemoId", "creditMemoLineId"),
    "InvoicePaymentView": ("id",),
}
_DRY_RUN_NULL = "Null in a dry run's answer (`dryRun=true`) where it names what the call would create."


def nullable_in_dry_runs(schemas: dict[str, Any]) -> None:
    """The fields a dry run answers null, declared nullable (and why) in the response schemas."""
    for name, fields in DRY_RUN_NULL_FIELDS.items():
        properties = schemas[name]["properties"]
        for field in fields:
            declared = dict(properties[field])
            title = declared.pop("title", None)
            description = declared.pop("description", None)
            if "anyOf" not in declared:
                declared = {"anyOf": [declared, {"type": "null"}]}
            properties[field] = {
                **declared,
                **({"title": title} if title else {}),
                "description": f"{description} {_DRY_RUN_NULL}" if description else _DRY_RUN_NULL,
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
