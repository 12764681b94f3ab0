"""The published event schemas are generated from the detail models and kept in sync."""

from __future__ import annotations

import json

import pytest
from credit_memos.views.events import DETAIL_TYPES, EventDetail
from jsonschema import Draft4Validator, Draft202012Validator

from infra.event_schemas import SCHEMA_DIR, detail_schema, registry_schema, stale
from infra.local.template import load_template_document


def test_committed_schemas_and_the_template_block_match_the_models() -> None:
    assert stale() == [], "run `python -m infra.event_schemas`"


@pytest.mark.parametrize("model", DETAIL_TYPES, ids=lambda m: m.__name__)
def test_each_schema_is_a_valid_draft_2020_12_schema_of_its_detail_type(model: type[EventDetail]) -> None:
    schema = json.loads((SCHEMA_DIR / f"{model.__name__}.json").read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["title"] == model.__name__
    assert schema["$id"].endswith(f":{model.__name__}:2") and schema["description"]
    assert {"eventId", "eventVersion", "sequences", "createdBy"} <= set(schema["required"])


def test_the_registry_holds_each_detail_type_as_a_draft_4_event_schema() -> None:
    resources = load_template_document()["Resources"]
    schemas = {
        props["SchemaName"]: props
        for props in (r["Properties"] for r in resources.values() if r["Type"] == "AWS::EventSchemas::Schema")
    }
    assert set(schemas) == {f"credit-memos@{model.__name__}" for model in DETAIL_TYPES}
    for model in DETAIL_TYPES:
        props = schemas[f"credit-memos@{model.__name__}"]
        content = json.loads(props["Content"])
        assert props["Type"] == "JSONSchemaDraft4"
        Draft4Validator.check_schema(content)
        assert content == registry_schema(detail_schema(model))
        for keyword in ("$defs", "const", "if", "dependentRequired"):  # draft 2020-12 only
            assert f'"{keyword}"' not in props["Content"], keyword
