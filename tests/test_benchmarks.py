"""The benchmark harness runs and reports every figure (no timing is asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEYS = {
    "fire_events_per_s",
    "transitions_raw_events_per_s",
    "fire_vs_raw",
    "replay_events_per_s",
    "replay_vs_bare",
    "bytes_per_case",
    "import_ratio",
    "sqlite_fires_per_s",
    "sqlite_vs_raw",
    "due_vs_scan",
}


@pytest.mark.slow
def test_quick_json_prints_every_key(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        timeout=600,
    )
    results = json.loads(out.stdout)
    assert set(results) == KEYS
    assert all(isinstance(v, int | float) and v > 0 for v in results.values())
