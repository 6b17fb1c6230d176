"""The client each feed row belongs to, carried in every change of a page.

A device files each entity under its client; with the id in the change it no longer
parses every entity's JSON to find it (a first sync reads ~1,000,000 of them).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feed") as batch:
        batch.add_column(sa.Column("client_id", sa.String(36)))
    field = (
        "json_extract(data, '$.client_id')"
        if op.get_bind().dialect.name == "sqlite"
        else "(data::json ->> 'client_id')"
    )
    op.execute(
        f"UPDATE feed SET client_id = CASE WHEN entity = 'client' THEN entity_id ELSE {field} END "
        "WHERE data IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("feed") as batch:
        batch.drop_column("client_id")
