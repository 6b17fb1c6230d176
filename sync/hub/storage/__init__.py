"""The hub's storage layer: connections, plain driver statements, row locks, the tables, commit hooks.

It imports nothing from the hub's domain modules; what must run at the end of every
write transaction (the feed's flush) registers itself in `commit_hooks`. Tables are
always named through the module: `schema.clients`, `schema.feed`, ...
"""

from sync.hub.storage import commit_hooks, schema
from sync.hub.storage.database import MIGRATIONS, HubDB
from sync.hub.storage.locks import for_update, lock_clients, lock_names, row_locks, try_lock_client
from sync.hub.storage.statements import sql, sql_many

__all__ = [
    "MIGRATIONS",
    "HubDB",
    "commit_hooks",
    "for_update",
    "lock_clients",
    "lock_names",
    "row_locks",
    "schema",
    "sql",
    "sql_many",
    "try_lock_client",
]
