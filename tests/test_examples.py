"""Every script in ``examples/`` runs to completion (exit status 0).

The scripts are discovered when the tests are collected, so a new example is tested
without touching this file. Each runs in a fresh interpreter (``sys.executable``),
in an empty temporary working directory so that files it writes (an SQLite
database, a report) neither litter the checkout nor leak into the next run; an
example that reads a file next to it finds it through ``__file__``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_example_runs(script: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, (
        f"{script.name} exited with {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    )
