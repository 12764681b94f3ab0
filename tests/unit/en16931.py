"""The official EN 16931 validation rules (../shared/validation, compiled XSLT) run with Saxon-HE,
each stylesheet compiled once per test session; the Factur-X XSD check for CII (factur-x)."""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import facturx

REPO = Path(__file__).resolve().parents[2]
VALIDATION = REPO.parent / "shared" / "validation"
SVRL = "{http://purl.oclc.org/dsdl/svrl}"
MISSING = (
    f"{VALIDATION} (the official EN 16931 rules and validate.py) is not beside the project: "
    "the schematron part is skipped; the CII XSD check still runs"
)


def available() -> bool:
    return (VALIDATION / "validate.py").is_file()


@cache
def _validate_py() -> ModuleType:
    spec = importlib.util.spec_from_file_location("en16931_validate", VALIDATION / "validate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def _processor() -> Any:
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


@cache
def _stylesheet(syntax: str) -> Any:
    # validate.py names the stylesheets; it compiles one per call, too slow for a property test.
    path = _validate_py().XSLT[syntax]
    return _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))


def failed_rules(syntax: str, xml: bytes) -> list[str]:
    """Every error-level (fatal) rule the document fails, as "BR-xx: text [location]"."""
    document = _processor().parse_xml(xml_text=xml.decode("utf-8"))
    report = _stylesheet(syntax).transform_to_string(xdm_node=document)
    failed = []
    for node in ET.fromstring(report).iter(f"{SVRL}failed-assert"):
        if node.get("flag") == "fatal":
            text = node.find(f"{SVRL}text")
            message = " ".join((text.text or "").split()) if text is not None else ""
            failed.append(f"{node.get('id')}: {message} [{node.get('location')}]")
    return failed


def check_cii_xsd(xml: bytes) -> None:
    """Raises if the CII is not valid against the Factur-X EN 16931 XSD."""
    facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
