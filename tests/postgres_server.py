"""A throwaway PostgreSQL server for the SQL store's tests.

``initdb`` into a temporary directory and ``pg_ctl`` on 127.0.0.1 and a free port
(as root, both run as the ``postgres`` user). The binaries are looked up on PATH
and in ``/usr/lib/postgresql/*/bin`` (where Debian's ``postgresql`` package puts
them; ``.ci/run`` installs it). Without them the PostgreSQL tests skip with the
reason — except in CI (``CI`` set), where they fail: CI must run them.

Use the fixtures by importing them into a test module::

    from postgres_server import pg_server, pg_url  # noqa: F401  (fixtures)

``pg_server`` (session scope) is the running server; ``pg_url`` (function scope)
is the URL of a fresh, empty database on it.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "pg_server", "pg_url", "start_server"]

_BINARIES = ("initdb", "pg_ctl")


class PostgresUnavailable(RuntimeError):
    """No server could be started here (the reason says why)."""


def _find_bindir() -> Path:
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: [int(x) for x in Path(p).parent.name.split(".") if x.isdigit()],
    )
    for bindir in reversed(versions):
        if all(os.access(Path(bindir) / b, os.X_OK) for b in _BINARIES):
            return Path(bindir)
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin; "
        "install PostgreSQL (Debian: apt-get install postgresql) to run these tests"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PostgresServer:
    """One running server in a temporary directory; :meth:`stop` removes it."""

    def __init__(self, bindir: Path, root: Path, port: int, as_user: list[str]) -> None:
        self.bindir = bindir
        self.root = root
        self.port = port
        self._as_user = as_user
        self._databases = itertools.count(1)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        if self._as_user[:1] == ["su"]:  # su takes one command string
            command = [*self._as_user, shlex.join(args)]
        else:
            command = [*self._as_user, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)

    def start(self) -> None:
        out = self.run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        if out.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {out.stderr.strip() or out.stdout.strip()}")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        out = self.run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        if out.returncode != 0:
            log = (
                (self.root / "server.log").read_text(errors="replace")
                if (self.root / "server.log").exists()
                else ""
            )
            raise PostgresUnavailable(f"pg_ctl start failed: {out.stderr.strip()} {log[-2000:]}")
        self._wait_ready()

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"):
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise PostgresUnavailable(f"server on port {self.port} does not answer: {exc}") from exc
                time.sleep(0.1)

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._databases)}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.run(
                str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=30
            )
        shutil.rmtree(self.root, ignore_errors=True)


def _make_root(owner: tuple[int, int] | None) -> Path:
    root = Path(tempfile.mkdtemp(prefix="aftersales-pg-"))
    if owner is not None:
        os.chown(root, *owner)
    return root


def start_server() -> PostgresServer:
    """Start a server or raise :class:`PostgresUnavailable` saying why."""
    bindir = _find_bindir()
    as_user: list[str] = []
    owner: tuple[int, int] | None = None
    if os.geteuid() == 0:  # the server refuses to run as root
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresUnavailable(
                "running as root and there is no 'postgres' user to run the server"
            ) from None
        owner = (pw.pw_uid, pw.pw_gid)
        runuser = shutil.which("runuser")
        as_user = [runuser, "-u", "postgres", "--"] if runuser else ["su", "postgres", "-s", "/bin/sh", "-c"]
    last: PostgresUnavailable | None = None
    for _attempt in range(3):  # a free port can be taken between choosing and binding it
        server = PostgresServer(bindir, _make_root(owner), _free_port(), as_user)
        try:
            server.start()
        except PostgresUnavailable as exc:
            last = exc
            server.stop()
            continue
        return server
    assert last is not None
    raise last


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for this test session (one per xdist worker)."""
    try:
        server = start_server()
    except PostgresUnavailable as exc:
        if _in_ci():
            pytest.fail(f"CI is set, so the PostgreSQL tests must run, but no server could start: {exc}")
        pytest.skip(f"no PostgreSQL server: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    """The URL of a fresh, empty database."""
    return pg_server.create_database()
