"""The device's sync engine: push the outbox, pull the change feed, retry, report status.

It reaches the cache through `replica_port.Replica` only (app.cache.replica.CacheReplica
implements it); it does not import app.cache.
"""

from app.sync_engine.engine import SyncEngine, SyncStatus

__all__ = ["SyncEngine", "SyncStatus"]
