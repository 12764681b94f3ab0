"""Local tooling: DynamoDB Local, tables from template.yaml, an API Gateway-like HTTP server, invoke.

Run from the repository root: ``python -m infra.local.server``, ``python -m infra.local.invoke``,
``python -m infra.local.dynamodb_local``, ``python -m infra.local.create_tables``.
"""
