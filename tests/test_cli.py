"""The ``aftersales`` command: demo, kpi and diagram; bad arguments and unreadable
databases give one line on stderr and exit 2, never a traceback."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from aftersales_core.calendar import ChinaCalendar
from aftersales_core.cli import main
from aftersales_core.commands.kpi import render
from aftersales_core.diagrams import mermaid
from aftersales_core.reporting import faq_candidates, kpis
from aftersales_core.store.sql import SqlStore
from aftersales_core.workflows import get_workflow


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "month.sqlite"
    assert main(["demo", "--days", "3", "--seed", "4", "--db", str(path), "--quiet"]) == 0
    return path


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# ------------------------------------------------------------------ demo


def test_demo_simulates_and_ends_with_the_kpi_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "demo.sqlite"
    assert main(["demo", "--days", "3", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Simulated 3 working days (2026-03-02 to 2026-03-04, seed 1): ")
    assert "Paths taken:" in out
    assert "Service by department (G-8), all cases" in out
    assert "Complaints, returns, repair reviews and money by department" in out
    assert "FAQ candidates" in out
    for group in ("consultation_group", "repair_group", "total"):
        assert group in out
    assert out.rstrip().splitlines()[-1].startswith(f"Database: {db.resolve()}")
    with SqlStore(f"sqlite:///{db}", create=False) as store:
        first = len(list(store.case_ids()))
    assert first > 50
    assert main(["demo", "--days", "3", "--db", str(db), "--quiet"]) == 0  # recreated, not appended to
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Simulated 3 working days")
    with SqlStore(f"sqlite:///{db}", create=False) as store:
        assert len(list(store.case_ids())) == first


def test_demo_defaults_to_a_file_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--days", "1", "--quiet"]) == 0
    assert (tmp_path / "aftersales-demo.sqlite").is_file()
    assert str(tmp_path / "aftersales-demo.sqlite") in capsys.readouterr().out


def test_scripted_demo_is_still_there(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--scripted"]) == 0
    out = capsys.readouterr().out
    assert "consultations around Spring Festival 2026" in out
    assert "replay of every history equals the stored case: ok" in out


def test_demo_never_overwrites_another_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    precious = tmp_path / "erp.db"
    precious.write_text("the ERP's own data", encoding="utf-8")
    assert main(["demo", "--days", "1", "--db", str(precious)]) == 2
    assert "is not an aftersales database" in one_error_line(capsys)
    assert precious.read_text(encoding="utf-8") == "the ERP's own data"
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE orders (id INTEGER)")
    conn.commit()
    conn.close()
    assert main(["demo", "--days", "1", "--db", str(other)]) == 2
    one_error_line(capsys)
    assert sqlite3.connect(other).execute("SELECT name FROM sqlite_master").fetchall() == [("orders",)]


# ------------------------------------------------------------------ kpi


def test_kpi_json_is_the_export_of_the_stored_events(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kpi", "--db", str(demo_db), "--json", "--by", "person", "--from", "2026-03-03"]) == 0
    doc = json.loads(capsys.readouterr().out)
    with SqlStore(f"sqlite:///{demo_db}", create=False) as store:
        table = kpis(store, ChinaCalendar(), by="person", start=date(2026, 3, 3))
        faq = faq_candidates(store, start=table.start, limit=8)
    assert doc["kpis"] == json.loads(table.to_json())
    assert doc["faq"] == [f.to_dict() for f in faq]
    assert doc["kpis"]["start"] == "2026-03-03T00:00:00+08:00"


def test_kpi_window_includes_the_last_day(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kpi", "--db", str(demo_db), "--json", "--from", "2026-03-02", "--to", "2026-03-02"]) == 0
    doc = json.loads(capsys.readouterr().out)["kpis"]
    assert (doc["start"], doc["end"]) == ("2026-03-02T00:00:00+08:00", "2026-03-03T00:00:00+08:00")
    assert doc["total"]["cases"] > 0
    assert main(["kpi", "--db", str(demo_db)]) == 0
    out = capsys.readouterr().out
    assert "Service by department (G-8), all cases" in out


def test_kpi_tables_without_rich(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "rich", None)  # as if the cli extra were not installed
    assert main(["kpi", "--db", str(demo_db), "--by", "person"]) == 0
    out = capsys.readouterr().out
    assert "┃" not in out
    assert out.startswith("Service by person (G-8), all cases\nperson ")
    lines = out.splitlines()
    assert any(line.startswith("total ") for line in lines)


def test_render_plain_and_rich_show_the_same_figures(demo_db: Path) -> None:
    with SqlStore(f"sqlite:///{demo_db}", create=False) as store:
        table = kpis(store, ChinaCalendar())
        faq = faq_candidates(store, limit=3)
    plain, fancy = io.StringIO(), io.StringIO()
    render(table, faq, plain, use_rich=False)
    render(table, faq, fancy, use_rich=True)
    total = table.total
    for text in (plain.getvalue(), fancy.getvalue()):
        assert f"{total.resolution_rate * 100:.1f}%" in text  # type: ignore[operator]
        assert f"{total.cost.amount:,.2f}" in text
        assert str(total.cases) in text
        assert faq[0].topic in text


@pytest.mark.parametrize(
    "argv",
    [
        ["kpi", "--db", "{missing}"],
        ["kpi", "--db", "{garbage}"],
        ["kpi", "--db", "{folder}"],
        ["kpi", "--db", "{foreign}"],
        ["kpi", "--db", "{demo}", "--from", "2026-03-05", "--to", "2026-03-01"],
        ["demo", "--days", "1", "--db", "{folder}"],
        ["demo", "--days", "1", "--db", "{nowhere}"],
    ],
)
def test_unreadable_databases_give_one_line(
    argv: list[str], tmp_path: Path, demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database at all" * 100)
    foreign = tmp_path / "foreign.sqlite"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.commit()
    names = {
        "missing": tmp_path / "missing.sqlite",
        "garbage": garbage,
        "folder": tmp_path,
        "foreign": foreign,
        "demo": demo_db,
        "nowhere": tmp_path / "no" / "such" / "dir" / "x.sqlite",
    }
    args = [a.format(**{k: str(v) for k, v in names.items()}) for a in argv]
    assert main(args) == 2
    line = one_error_line(capsys)
    assert line.startswith("aftersales: ")


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "--days", "0"],
        ["demo", "--days", "many"],
        ["demo", "--seed", "x"],
        ["demo", "--bogus"],
        ["kpi"],
        ["kpi", "--db", "x.sqlite", "--by", "team"],
        ["kpi", "--db", "x.sqlite", "--from", "2026-13-01"],
        ["diagram", "invoice"],
        ["diagram", "repair", "--lang", "fr"],
        ["diagram"],
    ],
)
def test_bad_arguments_give_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    line = one_error_line(capsys)
    assert line.startswith(f"aftersales {argv[0]}: error: ")
    assert line.endswith(f"(see aftersales {argv[0]} --help)")


def test_the_installed_command_prints_no_traceback(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "aftersales_core.cli", "kpi", "--db", str(tmp_path / "none.sqlite")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == f"aftersales: no database at {tmp_path / 'none.sqlite'}\n"


# ------------------------------------------------------------------ diagram


def test_diagram_prints_the_generated_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram", "complaint", "--lang", "zh"]) == 0
    assert capsys.readouterr().out == mermaid(get_workflow("complaint"), lang="zh")
    assert main(["diagram", "return"]) == 0
    assert capsys.readouterr().out == mermaid(get_workflow("return"), lang="en")
    assert main(["diagram", "repair", "--internal"]) == 0
    assert "note right of" in capsys.readouterr().out


def test_diagram_all_writes_every_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram", "all", "--out", str(tmp_path / "d")]) == 0
    written = sorted(p.name for p in (tmp_path / "d").iterdir())
    assert len(written) == 8
    assert "return.zh.mmd" in written
    assert (tmp_path / "d" / "consultation.en.mmd").read_text(encoding="utf-8") == mermaid(
        get_workflow("consultation")
    )
    assert len(capsys.readouterr().out.splitlines()) == 8
    assert main(["diagram", "all"]) == 0
    assert capsys.readouterr().out.count("stateDiagram-v2") == 4
