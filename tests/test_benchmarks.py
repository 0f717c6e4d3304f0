"""The benchmark harness runs and reports every figure (no timing is asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from run import KEYS  # noqa: E402  (the harness is a script beside the tests, not a package)


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
    assert list(results) == list(KEYS)
    assert len(KEYS) == 10
    assert all(isinstance(v, int | float) and v > 0 for v in results.values())
