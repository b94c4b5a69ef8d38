"""A fresh PostgreSQL database per test (the ``postgres_url`` fixture).

The database is created on the server named by ``TLSYNC_TEST_POSTGRES`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``; ``scripts/test`` starts the machine's own) and
dropped afterwards. Without a reachable server the tests skip with the reason, except under CI,
where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

ADMIN_URL = os.environ.get("TLSYNC_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty database on the test server; dropped after the test."""
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        reason = f"no PostgreSQL at {ADMIN_URL} (set TLSYNC_TEST_POSTGRES): {error}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"tlsync_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            yield ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        finally:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
