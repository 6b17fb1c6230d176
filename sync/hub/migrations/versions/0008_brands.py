"""Brands above stores: every store belongs to one brand, and an account reaches no further
than its brand (sync.hub.auth). Existing stores go into one default brand. An account can
be disabled (accounts.disabled_at, set by the admin CLI).

The feed's store and consultant rows were visible to every store (store_id NULL); each is
now filed under its own store, so no device sees another brand's stores or staff names.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

DEFAULT_BRAND_ID = "00000000-0000-5000-8000-000000000001"
DEFAULT_BRAND_NAME = "Default brand"


def upgrade() -> None:
    op.create_table(
        "brands",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
    )
    conn = op.get_bind()
    has_stores = conn.execute(sa.text("SELECT 1 FROM stores LIMIT 1")).first() is not None
    if has_stores:
        conn.execute(
            sa.text("INSERT INTO brands (id, name) VALUES (:id, :name)"),
            {"id": DEFAULT_BRAND_ID, "name": DEFAULT_BRAND_NAME},
        )
    with op.batch_alter_table("stores") as batch:
        batch.add_column(sa.Column("brand_id", sa.String(36), nullable=False, server_default=DEFAULT_BRAND_ID))
    with op.batch_alter_table("stores") as batch:  # the default was for the rows already there
        batch.alter_column("brand_id", server_default=None)
    op.create_index("stores_brand", "stores", ["brand_id"])
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("disabled_at", sa.Text))
    conn.execute(sa.text("UPDATE feed SET store_id = entity_id WHERE entity = 'store' AND store_id IS NULL"))
    conn.execute(
        sa.text(
            "UPDATE feed SET store_id = (SELECT a.store_id FROM accounts a WHERE a.id = feed.entity_id) "
            "WHERE entity = 'consultant' AND store_id IS NULL"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("disabled_at")
    op.drop_index("stores_brand", "stores")
    with op.batch_alter_table("stores") as batch:
        batch.drop_column("brand_id")
    op.drop_table("brands")
