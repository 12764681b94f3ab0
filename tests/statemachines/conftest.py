"""State machines executed by moto's Step Functions interpreter, the Lambda tasks in-process.

``sfn`` gives a fresh moto (DynamoDB table from template.yaml + Step Functions that
really executes), the state machines of template.yaml, and an ``InProcessLambda``
whose tasks run the functions' real handlers (``tests.harness.invoke``). Tests add
interceptors to change documents mid-execution or to fail an attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3
import pytest

from infra.statemachines.local import (
    ExecutionResult,
    InProcessLambda,
    LocalStepFunctions,
    TaskHandler,
    lambda_function_names,
    serve_lambda_tasks,
)
from tests.builders import apply_memo, create_invoice, create_memo
from tests.harness import Api, base_environment, create_table, environment, invoke, template


def run_task(logical_id: str, payload: Any) -> Any:
    return invoke(logical_id, payload)


@dataclass
class Sfn:
    api: Api
    runner: LocalStepFunctions
    lambdas: InProcessLambda
    # Replaceable: what serves a task (default: the function's real handler).
    task: TaskHandler = run_task

    def execute(self, name: str, execution_input: Any, **kwargs: Any) -> ExecutionResult:
        return self.runner.execute(name, execution_input, **kwargs)

    def intercept(self, interceptor: Callable[[str, Any, int], None]) -> None:
        self.lambdas.interceptors.append(interceptor)

    # ------------------------------------------------------------ seeding and reading

    def invoice(
        self,
        *lines: str,
        date: str,
        account: str = "acct-1",
        currency: str = "USD",
        status: str = "Posted",
        level: str = "Invoice",
    ) -> dict[str, Any]:
        return create_invoice(
            self.api, *lines, account=account, currency=currency, status=status, level=level, invoiceDate=date
        )

    def memo(
        self,
        amount: str,
        *,
        date: str,
        account: str = "acct-1",
        currency: str = "USD",
        status: str = "Posted",
    ) -> dict[str, Any]:
        charge = {"chargeAmount": amount, "productName": "Refund"}
        return create_memo(
            self.api, charge, account=account, currency=currency, status=status, effectiveDate=date
        )

    def apply(self, memo_id: str, invoice_id: str, amount: str) -> dict[str, Any]:
        r = apply_memo(self.api, memo_id, (invoice_id, amount))
        assert r.status == 200, r
        return r.body  # type: ignore[no-any-return]

    def balance(self, document: dict[str, Any]) -> Decimal:
        kind = "credit-memos" if document["id"].startswith("cm_") else "invoices"
        r = self.api.get(f"/{kind}/{document['id']}")
        assert r.status == 200, r
        return Decimal(r.body["balance"])

    def history(self, document: dict[str, Any]) -> list[dict[str, Any]]:
        kind = "credit-memos" if document["id"].startswith("cm_") else "invoices"
        r = self.api.get(f"/{kind}/{document['id']}/applications")
        assert r.status == 200, r
        return r.body["items"]  # type: ignore[no-any-return]


@pytest.fixture
def sfn() -> Iterator[Sfn]:
    from moto import mock_aws

    with (
        environment(base_environment()),
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
    ):
        create_table(boto3.client("dynamodb", region_name="us-east-1"))
        holder: list[Sfn] = []
        lambdas = InProcessLambda(lambda_function_names(template()), lambda fid, p: holder[0].task(fid, p))
        with serve_lambda_tasks(lambdas):
            runner = LocalStepFunctions(template(), boto3.client("stepfunctions", region_name="us-east-1"))
            holder.append(Sfn(Api(), runner, lambdas))
            yield holder[0]
