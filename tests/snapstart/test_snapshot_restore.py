"""SnapStart: environments restored from one snapshot must not share ids or random draws.

Lambda snapshots an initialised interpreter and resumes many environments from it. Here a fork
after init stands in for that: the parent runs init and the before-snapshot hooks (settings read,
clients created), each child is one restored environment (after-restore hooks, then work).
A fork is kinder than a snapshot in one respect: ``random`` re-seeds itself in a forked child
(``os.register_at_fork``), which a restore does not do; each child therefore first puts back the
generator state the parent had, as a snapshot would hold it.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from credit_memos import commands, ids, snapstart
from credit_memos.api import runtime

from tests.harness import base_environment, environment

CHILDREN = 6
IDS_EACH = 300
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _restored_children(
    work: Callable[[], dict[str, list[object]]], restore: bool
) -> list[dict[str, list[object]]]:
    """Fork CHILDREN environments from this (snapshotted) process; each returns work()'s result."""
    results = []
    snapshot_state = random.getstate()
    for _ in range(CHILDREN):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # a restored environment
            os.close(read_end)
            code = 0
            signal.alarm(30)  # a child stuck on a lock inherited from a thread fails the test, not hangs it
            try:
                random.setstate(snapshot_state)  # undo the fork's re-seed: the snapshot's state
                if restore:
                    snapstart.simulate_restore()
                with os.fdopen(write_end, "w") as out:
                    json.dump(work(), out)
            except BaseException:
                code = 1
            os._exit(code)
        os.close(write_end)
        with os.fdopen(read_end) as pipe:
            payload = pipe.read()
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        results.append(json.loads(payload))
    return results


def _work() -> dict[str, list[object]]:
    return {
        "ids": [ids.new_id("cm") for _ in range(IDS_EACH)] + [ids.IdFactory()("app") for _ in range(10)],
        "jitter": [random.random() for _ in range(5)],
    }


def test_restored_environments_never_share_an_id_or_a_jitter_draw() -> None:
    with environment(base_environment()):
        snapstart.simulate_snapshot()  # init's end: settings read, client and service created
        warmed = runtime.get_service()
        random.random()  # the generator's state is now part of the "snapshot"
        results = _restored_children(_work, restore=True)
        assert runtime.get_service() is warmed  # what init built is what the snapshot holds
    all_ids = [i for r in results for i in r["ids"]]
    assert len(all_ids) == CHILDREN * (IDS_EACH + 10)
    assert len(set(all_ids)) == len(all_ids), "two restored environments made the same id"
    jitters = [tuple(r["jitter"]) for r in results]
    assert len(set(jitters)) == CHILDREN, "restored environments drew the same retry jitter"


def test_without_the_restore_hooks_the_snapshot_repeats_its_random_draws() -> None:
    """Control: what the after-restore hook prevents (the `random` state comes from the snapshot)."""
    random.random()
    results = _restored_children(_work, restore=False)
    assert len({tuple(r["jitter"]) for r in results}) == 1
    all_ids = [i for r in results for i in r["ids"]]
    assert len(set(all_ids)) == len(all_ids)  # ids read os.urandom on every call: unique regardless


def test_hooks_are_registered_with_lambdas_module_where_it_exists(tmp_path: Path) -> None:
    """In Lambda, importing a handler's runtime registers the hooks with snapshot_restore_py."""
    (tmp_path / "snapshot_restore_py.py").write_text(
        "before, after = [], []\n"
        "def register_before_snapshot(f, *a, **k):\n    before.append(f.__qualname__); return f\n"
        "def register_after_restore(f, *a, **k):\n    after.append(f.__qualname__); return f\n"
    )
    code = (
        "import json, snapshot_restore_py as s, credit_memos.api.runtime\n"
        "print(json.dumps({'before': s.before, 'after': s.after}))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO / "shared")])}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == {"before": ["warm"], "after": ["reseed_random"]}


def test_the_snapshot_holds_every_use_case_and_the_routes_validators() -> None:
    """A handler imports its operation's use cases on the first request; before a snapshot the
    warm-up imports them all and builds the routes' validators and the views' serializers, so a
    restored environment loads and builds nothing on its first request."""
    code = (
        "import importlib.util, json, sys\n"
        "spec = importlib.util.spec_from_file_location('app', sys.argv[1])\n"
        "app = importlib.util.module_from_spec(spec); spec.loader.exec_module(app)\n"
        "from credit_memos import commands, snapstart\n"
        "from credit_memos.views import InvoiceView\n"
        "def state():\n"
        "    loaded = {c.use_cases for c in commands.command_types()\n"
        "              if 'credit_memos.usecases.' + c.use_cases in sys.modules}\n"
        "    routes = app.app.routes\n"
        "    return {'use_cases': sorted(loaded),\n"
        "            'validators': [p._adapter is not None for r in routes for p in r.parameters()],\n"
        "            'view': InvoiceView.__pydantic_complete__}\n"
        "before = state(); snapstart.simulate_snapshot()\n"
        "print(json.dumps({'before': before, 'after': state()}))\n"
    )
    handler = REPO / "functions" / "create_invoice" / "app.py"
    env = {**os.environ, **base_environment(), "PYTHONPATH": str(REPO / "shared")}
    out = subprocess.run(
        [sys.executable, "-c", code, str(handler)], env=env, capture_output=True, text=True, check=True
    )
    every = sorted({c.use_cases for c in commands.command_types()})
    assert json.loads(out.stdout) == {
        "before": {"use_cases": [], "validators": [False] * 3, "view": False},  # body, key, dryRun
        "after": {"use_cases": every, "validators": [True] * 3, "view": True},
    }
