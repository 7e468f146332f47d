"""The benchmark harness's smoke profile (~30 s): it runs end to end and the invariants hold.

No figure is asserted (CI machines are shared and noisy); the output goes to a temporary
directory, never to docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_smoke_profile_runs_and_keeps_the_invariants(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--profile", "smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "bench" / "results.json").read_text())
    assert results["invariants"], "no invariant was checked"
    assert all(check["ok"] for check in results["invariants"]), results["invariants"]
    labels = {point["label"] for point in results["points"]}
    assert {"a", "b", "c", "d"} <= labels
    hot = next(point for point in results["points"] if point["label"] == "a")
    assert hot["ledger"]["ok"] and hot["ops"]["reserve"]["ok"] > 0
    assert (tmp_path / "benchmarks.md").exists()
