"""Ledger expiry index and hub state, for the scheduled expiry job.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger") as batch:
        batch.add_column(sa.Column("expires_at", sa.String(32)))
    op.create_index("ledger_expires", "ledger", ["expires_at"])
    op.create_table(
        "hub_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("hub_state")
    op.drop_index("ledger_expires", "ledger")
    with op.batch_alter_table("ledger") as batch:
        batch.drop_column("expires_at")
