"""A throwaway PostgreSQL + PostGIS server for tests: initdb on a temporary folder, postgres on
a free port of 127.0.0.1, one database with the postgis extension and a role with a password.

initdb and postgres refuse to run as root; as root they run as the ``postgres`` system user.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

USER = "healthplan"
DATABASE = "healthplan_test"


class Unavailable(Exception):
    """What is missing to run a server (the reason a test is skipped)."""


@dataclass(frozen=True)
class Server:
    """A running test server."""

    host: str
    port: int
    user: str
    password: str
    database: str

    def url(self, *, password: bool = True, port: int | None = None) -> str:
        secret = f":{self.password}" if password else ""
        return f"postgresql://{self.user}{secret}@{self.host}:{port or self.port}/{self.database}"


def server_binaries() -> Path:
    """The folder of initdb, pg_ctl and postgres (the newest installed Debian version)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise Unavailable("PostgreSQL server binaries (Debian postgresql) not installed")
    return Path(initdb).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _runner() -> tuple[list[str], int | None]:
    """The command prefix that runs server programs, and the uid to give the folders."""
    if os.geteuid() != 0:
        return [], None
    try:
        uid = pwd.getpwnam("postgres").pw_uid
    except KeyError:
        raise Unavailable(
            "a 'postgres' system user to run the server as (Debian postgresql) not found"
        ) from None
    return ["runuser", "-u", "postgres", "--"], uid


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")


@contextmanager
def postgis_server() -> Iterator[Server]:
    """Start a server with a PostGIS database; stop it and delete its files afterwards.

    Raises:
        Unavailable: the server binaries, the postgres user or the PostGIS extension is
            missing.
    """
    import psycopg

    bin_dir = server_binaries()
    prefix, uid = _runner()
    folder = Path(tempfile.mkdtemp(prefix="healthplan-pg-"))
    data, sockets = folder / "data", folder / "sockets"
    password = "pw-" + secrets.token_hex(12)
    server = Server("127.0.0.1", free_port(), USER, password, DATABASE)
    started = False
    try:
        sockets.mkdir()
        (folder / "pwfile").write_text(password + "\n")
        if uid is not None:
            for path in (folder, sockets, folder / "pwfile"):
                os.chown(path, uid, -1)
        _run(
            [
                *prefix,
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                USER,
                f"--pwfile={folder / 'pwfile'}",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        options = f"-p {server.port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run(
            [
                *prefix,
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(folder / "server.log"),
                "-w",
                "-o",
                options,
                "start",
            ]
        )
        started = True
        admin = server.url().rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        with psycopg.connect(server.url(), autocommit=True) as conn:
            try:
                conn.execute("CREATE EXTENSION postgis")
            except psycopg.Error as exc:
                version = bin_dir.parent.name
                raise Unavailable(
                    f"PostGIS extension (Debian postgresql-{version}-postgis-3) not installed "
                    f"({str(exc).splitlines()[0]})"
                ) from None
        yield server
    finally:
        if started:
            subprocess.run(
                [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(folder, ignore_errors=True)
