"""A PostgreSQL connection in the project's own schema, for the room storage and the leases.

psycopg 3 is an optional dependency (``tlsync[postgres]``): it is imported when a connection is
opened, and its absence is an ``ImportError`` that names the extra to install.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import psycopg

__all__ = ["connect_in_schema"]

_SCHEMA_NAME: Final = re.compile(r"[a-z_][a-z0-9_]*\Z")


def connect_in_schema(
    url: str,
    schema: str,
    tables_sql: str,
    *,
    autocommit: bool,
    connect_timeout: float | None = None,
) -> psycopg.Connection[Any]:
    """A connection to ``url`` whose search path is ``schema`` (created if missing), after
    ``tables_sql`` (the caller's ``CREATE TABLE IF NOT EXISTS`` statements) ran and committed.

    ``ValueError`` for a schema name that is not plain (lower-case letters, digits, ``_``); the
    connection is closed again when setting it up fails.
    """
    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"not a plain PostgreSQL schema name: {schema!r}")
    try:
        import psycopg  # noqa: PLC0415 - an optional dependency, needed only here
    except ImportError as error:
        raise ImportError(
            "PostgreSQL storage needs psycopg: pip install 'tlsync[postgres]'"
        ) from error
    options: dict[str, Any] = {"autocommit": autocommit}
    if connect_timeout is not None:
        options["connect_timeout"] = max(1, round(connect_timeout))
    conn = psycopg.connect(url, **options)
    try:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        conn.execute(f"SET search_path TO {schema}")
        conn.execute(tables_sql)
        if not autocommit:
            conn.commit()
    except BaseException:
        conn.close()
        raise
    return conn
