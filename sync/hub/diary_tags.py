"""The brand's diary tags: a list kept as data (the diary_tags table), not code.

Each store's devices get the list as one `diary_tags` feed row (entity id: the store),
so it reaches them offline with everything else; a diary entry's tags must be on it
(sync.rules.diary.normalise_tags, applied by the records with the list read here).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete, insert, select

from sync.hub import feed
from sync.hub.storage import schema

ENTITY = "diary_tags"


def brand_tags(conn: Connection, brand_id: str) -> list[str]:
    t = schema.diary_tags
    rows = conn.execute(select(t.c.tag).where(t.c.brand_id == brand_id).order_by(t.c.position)).all()
    return [r.tag for r in rows]


def set_tags(conn: Connection, brand_id: str, tags: Sequence[str]) -> list[str]:
    """Replace the brand's list (each tag once, trimmed, in the order given) and publish it."""
    clean = list(dict.fromkeys(x.strip() for x in tags if x.strip()))
    t = schema.diary_tags
    conn.execute(delete(t).where(t.c.brand_id == brand_id))
    if clean:
        conn.execute(insert(t), [{"brand_id": brand_id, "tag": x, "position": n} for n, x in enumerate(clean)])
    publish(conn, brand_id, clean)
    return clean


def publish(conn: Connection, brand_id: str, tags: Sequence[str] | None = None) -> None:
    """The list, as a feed row for each of the brand's stores (seen by that store only)."""
    tags = brand_tags(conn, brand_id) if tags is None else list(tags)
    stores = conn.execute(select(schema.stores.c.id).where(schema.stores.c.brand_id == brand_id)).all()
    feed.publish_many(
        conn, [(ENTITY, s.id, s.id, {"id": s.id, "brand_id": brand_id, "tags": tags}, False) for s in stores]
    )
