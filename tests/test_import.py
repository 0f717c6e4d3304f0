"""The core import stays light (no SQLAlchemy, hypothesis, pytest, holidays)."""

from __future__ import annotations

import subprocess
import sys


def test_core_import_is_light() -> None:
    code = (
        "import sys, aftersales_core\n"
        "heavy = [m for m in ('sqlalchemy', 'hypothesis', 'pytest', 'holidays') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_names_are_sorted_and_exist() -> None:
    import aftersales_core

    names = aftersales_core.__all__
    # isort-style order, as ruff's RUF022 keeps it: CONSTANTS, Classes, functions
    def order(n: str) -> tuple[int, str]:
        return (0 if n.isupper() else 1 if n[:1].isupper() else 2, n)

    assert list(names) == sorted(names, key=order)
    for name in names:
        assert hasattr(aftersales_core, name), name
