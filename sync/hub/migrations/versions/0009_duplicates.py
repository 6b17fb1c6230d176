"""Duplicates across a brand: match keys on clients, clients shared into other stores,
duplicate pairs for a manager to merge (sync.hub.duplicates, sync.hub.shares, sync.hub.merge).

- clients.email and clients.name_key ("surname|name|birthday", casefolded; sync.rules.matching),
  indexed, so a brand-wide lookup by e-mail or by name + birthday is an index probe;
- client_shares: a client of one store served in another of the brand; the feed shows that
  store her entities (a third range of a page, by feed.client_id, hence feed_client_seq);
- duplicate_pairs: two clients of a brand with one phone or e-mail, flagged at registration.

Revision ID: 0009
Revises: 0008
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _fold(text) -> str:
    return " ".join(str(text or "").split()).casefold().replace("ё", "е")


def name_key(d: dict) -> str | None:
    """sync.rules.matching.name_key as of this revision (frozen here: a migration must not change)."""
    last, first, birthday = _fold(d.get("last_name")), _fold(d.get("first_name")), d.get("birthday")
    if not (last and first and birthday) or last == "—":
        return None
    return f"{last}|{first}|{birthday}"[:200]


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("email", sa.String(200)))
        batch.add_column(sa.Column("name_key", sa.String(200)))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, data FROM clients")).fetchall()
    updates = []
    for cid, data in rows:
        d = json.loads(data)
        if d.get("email") or name_key(d):
            updates.append({"id": cid, "email": d.get("email"), "key": name_key(d)})
    if updates:
        conn.execute(sa.text("UPDATE clients SET email = :email, name_key = :key WHERE id = :id"), updates)
    op.create_index("clients_email", "clients", ["email"])
    op.create_index("clients_name_key", "clients", ["name_key"])
    op.create_index("feed_client_seq", "feed", ["client_id", "seq"])
    op.create_table(
        "client_shares",
        sa.Column("client_id", sa.String(36), primary_key=True),
        sa.Column("store_id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("at", sa.Text, nullable=False),
    )
    op.create_index("client_shares_store", "client_shares", ["store_id", "client_id"])
    op.create_table(
        "duplicate_pairs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("brand_id", sa.String(36), nullable=False),
        sa.Column("client_a", sa.String(36), nullable=False),
        sa.Column("client_b", sa.String(36), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("resolved_at", sa.Text),
        sa.Column("resolved_by", sa.String(36)),
        sa.Column("survivor_id", sa.String(36)),
        sa.UniqueConstraint("client_a", "client_b", name="duplicate_pairs_clients"),
    )
    op.create_index("duplicate_pairs_brand", "duplicate_pairs", ["brand_id", "status"])
    op.create_index("duplicate_pairs_b", "duplicate_pairs", ["client_b"])


def downgrade() -> None:
    op.drop_index("duplicate_pairs_b", "duplicate_pairs")
    op.drop_index("duplicate_pairs_brand", "duplicate_pairs")
    op.drop_table("duplicate_pairs")
    op.drop_index("client_shares_store", "client_shares")
    op.drop_table("client_shares")
    op.drop_index("feed_client_seq", "feed")
    op.drop_index("clients_name_key", "clients")
    op.drop_index("clients_email", "clients")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("name_key")
        batch.drop_column("email")
