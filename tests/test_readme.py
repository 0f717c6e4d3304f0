"""The README's code runs, and its Quick start holds exactly two commands."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_python_blocks_run() -> None:
    blocks = _blocks("python")
    assert blocks
    for code in blocks:
        namespace: dict[str, object] = {}
        exec(compile(code, str(README), "exec"), namespace)
        case = namespace["case"]
        assert case.fact("department") == "production"  # type: ignore[attr-defined]


def test_quick_start_has_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    assert "aftersales demo" in commands[0]
    assert "pytest" in commands[1]
