"""Work that runs at the end of every write transaction, just before its COMMIT.

Storage knows nothing of the layers above it; a layer that must finish each write
registers a hook here instead (the feed registers its flush: sync.hub.feed). A hook is
a context-manager factory `hook(conn, lock)`: what it does before its `yield` runs
when the transaction begins, what it does after runs last inside the transaction, and
only when the body succeeded (its `finally` runs either way). `lock` is the key of the
PostgreSQL advisory lock that keeps that last step in commit order
(HubDB.write), or None on SQLite, where the write lock already does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

from sqlalchemy import Connection

Hook = Callable[[Connection, "int | None"], AbstractContextManager[None]]

_hooks: tuple[Hook, ...] = ()


def register(hook: Hook) -> None:
    """Run `hook` around every later write transaction (once, however often registered)."""
    global _hooks
    if hook not in _hooks:
        _hooks = (*_hooks, hook)


def around_write(conn: Connection, lock: int | None) -> Iterator[Connection]:
    """The body of a write transaction, inside every hook (the first registered outermost)."""
    return _nested(conn, lock, _hooks)


def _nested(conn: Connection, lock: int | None, hooks: tuple[Hook, ...]) -> Iterator[Connection]:
    if not hooks:
        yield conn
        return
    with hooks[0](conn, lock):
        if len(hooks) == 1:  # the usual case (the feed alone): one generator less per write
            yield conn
        else:
            yield from _nested(conn, lock, hooks[1:])
