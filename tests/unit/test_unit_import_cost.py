"""Rules that keep the package's import cheap (a cold start imports it: docs/benchmarks.md, section 3)."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import credit_memos
from credit_memos import commands
from credit_memos.domain import documents

PACKAGE = Path(credit_memos.__file__).parent


def _is_dataclass_decorator(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name == "dataclass"


def test_every_dataclass_of_the_package_has_a_docstring() -> None:
    # Without one, @dataclass computes __doc__ from inspect.signature(cls) while the class is
    # created: ~0.1 ms per class, ~40 classes on every cold start.
    missing = [
        f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef)
        and any(_is_dataclass_decorator(d) for d in node.decorator_list)
        and ast.get_docstring(node) is None
    ]
    assert missing == []


def test_the_check_sees_the_docstring_dataclasses_would_compute() -> None:
    @dataclasses.dataclass
    class Undocumented:
        amount: int

    assert Undocumented.__doc__ == "Undocumented(amount: 'int')"  # (annotations are strings here)
    for cls in (commands.CreateCreditMemo, documents.Invoice):
        assert cls.__doc__ and not cls.__doc__.startswith(cls.__name__ + "("), cls
