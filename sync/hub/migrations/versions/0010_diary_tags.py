"""The brand's diary tags as data (sync.hub.diary_tags): each brand already there starts with
the default list, published to its stores' devices as a `diary_tags` feed row.

Revision ID: 0010
Revises: 0009
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Frozen here (a migration never changes): the list sync.hub.demo.DIARY_TAGS had at 0010.
DEFAULT_TAGS = [
    "предпочтения",
    "размеры",
    "подарки",
    "семейные даты",
    "жалоба",
    "подгонка",
    "монограмма",
    "лист желаний",
]


def upgrade() -> None:
    op.create_table(
        "diary_tags",
        sa.Column("brand_id", sa.String(36), primary_key=True),
        sa.Column("tag", sa.String(40), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    conn = op.get_bind()
    brands = [r[0] for r in conn.execute(sa.text("SELECT id FROM brands")).all()]
    for brand in brands:
        for n, tag in enumerate(DEFAULT_TAGS):
            conn.execute(
                sa.text("INSERT INTO diary_tags (brand_id, tag, position) VALUES (:b, :t, :p)"),
                {"b": brand, "t": tag, "p": n},
            )
    stores = conn.execute(sa.text("SELECT id, brand_id FROM stores")).all()
    sqlite = conn.dialect.name == "sqlite"
    if not sqlite and stores:  # the next seq after the newest row (a row written with its own seq
        # leaves the sequence behind it; setting it back to max+1 is safe: no row is above max)
        conn.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('feed', 'seq'),"
                " (SELECT coalesce(max(seq), 0) + 1 FROM feed), false)"
            )
        )
    for store_id, brand_id in stores:
        data = json.dumps({"id": store_id, "brand_id": brand_id, "tags": DEFAULT_TAGS}, ensure_ascii=False)
        params = {"id": store_id, "data": data}
        if sqlite:  # seq is a plain rowid alias there: number the row after the newest (feed.write_rows)
            conn.execute(
                sa.text(
                    "INSERT INTO feed (seq, entity, entity_id, store_id, deleted, data, client_id)"
                    " VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM feed), 'diary_tags', :id, :id, 0, :data, NULL)"
                ),
                params,
            )
        else:
            conn.execute(
                sa.text(
                    "INSERT INTO feed (entity, entity_id, store_id, deleted, data, client_id)"
                    " VALUES ('diary_tags', :id, :id, false, :data, NULL)"
                ),
                params,
            )


def downgrade() -> None:
    op.execute("DELETE FROM feed WHERE entity = 'diary_tags'")
    op.drop_table("diary_tags")
