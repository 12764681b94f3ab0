"""Every command type reaches its use case through the module it names (``Command.use_cases``)."""

from __future__ import annotations

import subprocess
import sys
from typing import cast

import pytest
from credit_memos import commands
from credit_memos.usecases import registered, use_case_of


@pytest.mark.parametrize("command_type", commands.command_types(), ids=lambda t: t.__name__)
def test_every_command_has_a_use_case_in_the_module_it_names(command_type: type[commands.Command]) -> None:
    function = use_case_of(command_type)
    assert function.__module__ == f"credit_memos.usecases.{command_type.use_cases}"
    assert registered()[command_type] is function


def test_a_command_without_a_use_case_is_refused() -> None:
    # Not a subclass of Command: it would stay in command_types() for the rest of the session.
    class Unhandled:
        operation = "Unhandled"
        use_cases = "invoices"

    with pytest.raises(TypeError, match="no use case handles Unhandled"):
        use_case_of(cast(type[commands.Command], Unhandled))


def test_importing_a_handler_loads_only_its_operations_use_cases() -> None:
    code = (
        "import sys; import credit_memos.api.lambda_handlers, credit_memos.api.execution;"
        "import credit_memos.usecases as u;"
        "from credit_memos.commands import invoices;"
        "u.use_case_of(invoices.CreateInvoice);"
        "print(sorted(m for m in sys.modules if m.startswith('credit_memos.usecases.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(
        [
            "credit_memos.usecases.fingerprint",
            "credit_memos.usecases.invoices",
            "credit_memos.usecases.paging",
            "credit_memos.usecases.runner",
            "credit_memos.usecases.scope",
            "credit_memos.usecases.service",
            "credit_memos.usecases.unit_of_work",
        ]
    )
