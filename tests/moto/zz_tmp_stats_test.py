import collections
from tests.moto import test_stateful_invariants as m
counts = collections.Counter()
orig_send = m.CreditMemoMachine.send
def send(self, path, body, expected):
    r = orig_send(self, path, body, expected)
    key = path.split("/")[-1] if "actions" in path else path.split("/")[1]
    if "lines" in path: key = "line-apply"
    counts[(key, r.status, (r.body or {}).get("errorCode") if r.status >= 400 else "")] += 1
    return r
m.CreditMemoMachine.send = send
def test_run():
    m.TestCreditMemoInvariants().runTest()
    for k, v in sorted(counts.items(), key=str): print(k, v)
