"""Fixtures shared by the test modules: the classroom tests' databases.

``url`` runs a classroom test twice, on a SQLite file and on a throwaway PostgreSQL cluster (one
per test module); see ``tests/classroom_db.py`` for when the PostgreSQL runs skip or fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.classroom_db import postgres_cluster


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster's URL, shared by the tests of one module."""
    with postgres_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A classroom database URL: a SQLite file in ``tmp_path``, then the module's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'class.db'}"
    return request.getfixturevalue("pg_url")
