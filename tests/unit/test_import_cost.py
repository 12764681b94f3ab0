"""Rules that keep the package's import cheap (a cold start imports it: docs/benchmarks.md, section 3)."""

from __future__ import annotations

import ast
import dataclasses
import gc
import subprocess
import sys
from pathlib import Path

import credit_memos
import pytest
from credit_memos import gc_tuning
from credit_memos.commands import memos
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
    for cls in (memos.CreateCreditMemo, documents.Invoice):
        assert cls.__doc__ and not cls.__doc__.startswith(cls.__name__ + "("), cls


def test_a_function_imports_only_its_own_group_of_commands() -> None:
    # The edge and the request models name every group; each group is imported on first use.
    code = (
        "import sys; import credit_memos.api.lambda_handlers, credit_memos.api.execution;"
        "import credit_memos.api.schemas as s;"
        "loaded = lambda: sorted(m for m in sys.modules if m.startswith('credit_memos.commands.'));"
        "print(loaded());"
        "s.VoidRequest().command('cm_1');"
        "print(loaded())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [
        str(["credit_memos.commands.base"]),
        str(["credit_memos.commands.base", "credit_memos.commands.memos"]),
    ]


def test_what_lives_as_long_as_the_process_is_built_with_fewer_collections_then_frozen() -> None:
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    seen: list[tuple[int, int, int]] = []

    def build() -> list[object]:
        seen.append(gc.get_threshold())
        return [object() for _ in range(10)]

    try:
        built = credit_memos.build_long_lived(build)
        assert len(built) == 10
        assert seen[0][0] >= gc_tuning.INIT_THRESHOLD
        assert gc.get_threshold() == before and gc.isenabled()
        assert gc.get_freeze_count() > frozen

        # The thresholds come back when the build fails too.
        def fail() -> None:
            raise RuntimeError("no client")

        with pytest.raises(RuntimeError):
            credit_memos.build_long_lived(fail)
        assert gc.get_threshold() == before
    finally:
        gc.unfreeze()  # this test process keeps collecting everything, as before
