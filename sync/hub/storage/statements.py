"""Plain DBAPI statements for the hub's hot paths.

A SQLAlchemy Core execute costs 90-400 us of Python per statement (building the
statement, its cache key, the execution context, the result); the same indexed lookup
through the driver costs ~5 us. A pull, a mutation and a receipt run 3-12 statements
each, so on the hub's hot paths that overhead was most of the CPU per request. These
helpers run SQL written with `?` placeholders on the connection's own DBAPI connection,
inside whatever transaction the SQLAlchemy connection holds (same connection, same
transaction). Keep the SQL portable (SQLite and PostgreSQL) and free of `%` and `?`
other than placeholders.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

_PG_SQL: dict[str, str] = {}


def _native(conn: Connection, statement: str) -> str:
    if conn.dialect.paramstyle == "qmark":
        return statement
    found = _PG_SQL.get(statement)
    if found is None:
        found = _PG_SQL[statement] = statement.replace("?", "%s")
    return found


def sql(conn: Connection, statement: str, params: tuple | list = ()):
    """Execute one statement through the driver; returns its DBAPI cursor."""
    # SQLAlchemy types driver_connection Optional: None only once a pool connection is
    # invalidated or closed, never under an open Connection. Declared Any (the driver's
    # own connection, sqlite3 or psycopg) rather than checked: this runs per statement.
    driver: Any = conn.connection.driver_connection
    cur = driver.cursor()
    cur.execute(_native(conn, statement), params)
    return cur


def sql_many(conn: Connection, statement: str, rows: list) -> None:
    if rows:
        driver: Any = conn.connection.driver_connection  # never None here: see `sql`
        driver.cursor().executemany(_native(conn, statement), rows)
