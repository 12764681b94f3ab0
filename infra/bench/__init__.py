"""Benchmarks of the credit memo service: ``python -m infra.bench`` (``make bench``).

One run starts an in-memory DynamoDB Local on a free 127.0.0.1 port, creates the table from
``template.yaml``, and reports side by side:

1. ``round_trips``: DynamoDB requests per operation (botocore event hooks) next to the floor each
   operation needs; idempotency bookkeeping shown separately; capacity units per operation.
2. ``overhead``: operations per second through the real handler (API Gateway event in, JSON out)
   divided by operations per second of the bare boto3 calls the same operation makes.
3. ``cold_start``: import + first response of each handler in a fresh interpreter, divided by
   ``import boto3`` + creating a DynamoDB client in a fresh interpreter; ``-X importtime`` analysis.
4. ``cpu``: warm CPU time per request with DynamoDB stubbed out at botocore's ``before-call``.
5. ``scale``: 300-line documents, an apply across 300 lines, converting 299 negative lines, listing
   10,000 invoices page by page; times and consumed capacity units.
6. ``contention``: 64 concurrent applies against one invoice; throughput, retries, outcome split,
   invariants checked at the end.

Figures are reported, never asserted: nothing here fails because a figure misses its target. See
docs/benchmarks.md for the latest figures and what each one means.
"""
