"""Fixtures shared by test modules: a PostgreSQL + PostGIS server for the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from postgis_server import Server, Unavailable, postgis_server


@pytest.fixture(scope="session")
def postgis() -> Iterator[Server]:
    """A running PostGIS server (skips, naming what is missing, when there is none)."""
    try:
        with postgis_server() as server:
            yield server
    except Unavailable as exc:
        pytest.skip(str(exc))
