"""``aftersales policy`` and ``aftersales whatif`` (issue 7)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from aftersales_core import CHINA_TZ, Actor, Desk, FixedClock, Role
from aftersales_core.cli import main
from aftersales_core.policies import PolicySet, dump_policies, load_policies, policy_schema
from aftersales_core.policies.config import DEFAULTS_FILE

AGENT = Actor("agent-1", Role.AGENT)
SUP = Actor("sup-1", Role.SERVICE_SUPERVISOR)
TECH = Actor("tech-1", Role.TECHNICIAN)
NOW = datetime(2026, 3, 2, 9, tzinfo=CHINA_TZ)
WARRANTY_18 = {
    "version": "wty-18",
    "warranty": {"lines": {"smart_equipment": 18, "functional_fabric": 6, "software": 12}},
}


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- policy


def test_policy_check_accepts_a_good_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "p.json", WARRANTY_18)
    assert run(capsys, "policy", "check", str(path)) == (0, "ok: wty-18 (1 version(s))\n", "")


def test_policy_check_lists_the_versions_of_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        '[[versions]]\nversion = "a"\neffective = 2026-01-01\n\n'
        '[[versions]]\nversion = "b"\neffective = 2026-07-01\n[versions.settlement]\nthreshold = "900"\n',
        encoding="utf-8",
    )
    code, out, err = run(capsys, "policy", "check", str(path))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "ok: b (2 version(s))",
        "  a: effective 2026-01-01T00:00:00+08:00",
        "  b: effective 2026-07-01T00:00:00+08:00",
    ]


def test_policy_check_names_file_key_path_and_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = dump_policies(PolicySet())
    data["routing"]["rules"][3]["department"] = "qa"
    path = write(tmp_path / "p.json", data)
    code, out, err = run(capsys, "policy", "check", str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"aftersales: {path}: routing.rules[3].department: unknown department 'qa'")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("missing.json", None, "cannot read the file"),
        ("p.yaml", "version: x", "unknown policy file type"),
        ("p.json", "{", "invalid JSON"),
        ("p.toml", "version = ", "invalid TOML"),
    ],
)
def test_policy_check_of_a_bad_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str | None, reason: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "policy", "check", str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"aftersales: {path}: ")
    assert reason in err
    assert err.count("\n") == 1


def test_policy_schema_prints_the_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "policy", "schema")
    assert (code, err) == (0, "")
    assert json.loads(out) == json.loads(json.dumps(policy_schema()))


def test_policy_defaults_prints_the_shipped_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "policy", "defaults")
    assert (code, err) == (0, "")
    assert out == DEFAULTS_FILE.read_text(encoding="utf-8")
    assert load_policies(write(tmp_path / "d.json", json.loads(out))) == PolicySet()


def test_the_installed_entry_point_checks_a_file(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("aftersales")
    if not exe.exists():
        pytest.fail(f"the aftersales entry point is not installed next to {sys.executable}")
    good = write(tmp_path / "good.json", WARRANTY_18)
    bad = write(tmp_path / "bad.json", {"version": "x", "warranty": {"lines": {"toys": 6}}})
    ok = subprocess.run([str(exe), "policy", "check", str(good)], capture_output=True, text=True, check=False)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "ok: wty-18 (1 version(s))\n", "")
    refused = subprocess.run(
        [str(exe), "policy", "check", str(bad)], capture_output=True, text=True, check=False
    )
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr == (
        f"aftersales: {bad}: warranty.lines['toys']: invalid key: unknown value 'toys'; "
        "expected 'smart_equipment', 'functional_fabric' or 'software'\n"
    )


# --------------------------------------------------------------------------- whatif


@pytest.fixture
def database(tmp_path: Path) -> tuple[Path, list[str]]:
    """A SQLite file with two repairs: one charged (bought 14 months ago), one free."""
    from aftersales_core.store.sql import SqlStore

    path = tmp_path / "aftersales.db"
    clock = FixedClock(NOW)
    ids = []
    with SqlStore(f"sqlite:///{path}") as store:
        desk = Desk(store=store, clock=clock)
        for bought in (date(2025, 1, 10), date(2025, 9, 1)):
            product = {"model": "JX-9", "line": "smart_equipment", "purchase_date": bought}
            case = desk.open(
                "repair",
                actor=AGENT,
                customer={"id": "C-1", "name": "华纺", "city": "绍兴"},
                channel="phone",
                product=product,
                fault="E-21",
                service_city="绍兴",
            )
            desk.fire(case.id, "schedule_visit", actor=AGENT)
            desk.fire(case.id, "dispatch", actor=SUP, technician=TECH.id)
            desk.fire(case.id, "arrive", actor=TECH, badge="T-1")
            part = {"component": "", "unit_cost": "100.00"}
            if bought.year == 2025 and bought.month == 1:
                desk.fire(case.id, "quote", actor=TECH, lines=[{"item": "P-1", **part}])
                desk.fire(case.id, "consent", actor=AGENT, quote_no="Q1")
            desk.fire(case.id, "use_part", actor=TECH, part="P-1", certificate="C-1", **part)
            ids.append(case.id)
    return path, ids


def test_whatif_reports_what_the_new_policies_change(
    tmp_path: Path, database: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    db, (charged, free) = database
    policies = write(tmp_path / "w18.json", WARRANTY_18)
    code, out, err = run(capsys, "whatif", "--db", str(db), "--policies", str(policies))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "what-if: recorded -> wty-18: 2 case(s) replayed, 2 changed, 1 refused"
    (line,) = [x for x in lines if charged in x]
    assert "charge 100.00->0.00" in line
    assert "refused at #5 quote (REP-7)" in line
    (other,) = [x for x in lines if free in x]
    assert "charge" not in other
    # by URL, and for one case only
    code, out, _ = run(
        capsys, "whatif", "--db", f"sqlite:///{db}", "--policies", str(policies), "--case", free
    )
    assert code == 0
    assert out.splitlines()[0] == "what-if: recorded -> wty-18: 1 case(s) replayed, 1 changed, 0 refused"


def test_whatif_under_a_file_with_versions_decides_each_event_by_its_time(
    tmp_path: Path, database: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    db, (charged, _) = database
    lines18 = {"smart_equipment": 18, "functional_fabric": 6, "software": 12}
    versions = {
        "versions": [
            {"version": "old-18", "effective": "2020-01-01", "warranty": {"lines": lines18}},
            {"version": "future-12", "effective": "2030-01-01", "warranty": {}},
        ]
    }
    policies = write(tmp_path / "versions.json", versions)
    code, out, _ = run(capsys, "whatif", "--db", str(db), "--policies", str(policies), "--case", charged)
    assert code == 0
    # the repair of March 2026 is re-decided under the version then in force: 18 months
    assert "charge 100.00->0.00" in out


def test_whatif_writes_nothing(
    tmp_path: Path, database: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    from aftersales_core.store.sql import SqlStore

    db, ids = database
    with SqlStore(f"sqlite:///{db}") as store:
        before = [tuple(store.events(i)) for i in ids]
    policies = write(tmp_path / "w18.json", WARRANTY_18)
    assert run(capsys, "whatif", "--db", str(db), "--policies", str(policies))[0] == 0
    with SqlStore(f"sqlite:///{db}") as store:
        assert [tuple(store.events(i)) for i in ids] == before
        assert sorted(store.case_ids()) == sorted(ids)


@pytest.mark.parametrize(
    ("db", "policies", "extra", "reason"),
    [
        ("{tmp}/missing.db", "{good}", (), "no database file"),
        ("{good}", "{good}", (), "file is not a database"),
        ("{db}", "{tmp}/missing.json", (), "cannot read the file"),
        ("{db}", "{bad}", (), "warranty.lines['toys']"),
        ("{db}", "{good}", ("--case", "REP-999999"), "no case with id 'REP-999999'"),
        ("nosuchdialect://host/db", "{good}", (), "nosuchdialect"),
        ("sqlite:///{tmp}/empty.db", "{good}", (), "no aftersales_core tables"),
    ],
)
def test_whatif_with_a_bad_argument_is_one_line_and_exit_2(
    tmp_path: Path,
    database: tuple[Path, list[str]],
    capsys: pytest.CaptureFixture[str],
    db: str,
    policies: str,
    extra: tuple[str, ...],
    reason: str,
) -> None:
    good = write(tmp_path / "good.json", WARRANTY_18)
    bad = write(tmp_path / "bad.json", {"version": "x", "warranty": {"lines": {"toys": 6}}})
    names = {"tmp": tmp_path, "good": good, "bad": bad, "db": database[0]}
    code, out, err = run(
        capsys, "whatif", "--db", db.format(**names), "--policies", policies.format(**names), *extra
    )
    assert (code, out) == (2, "")
    assert err.startswith("aftersales: ")
    assert reason in err, err
    assert err.count("\n") == 1
    assert not (tmp_path / "missing.db").exists()
