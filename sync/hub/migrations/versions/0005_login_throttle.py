"""Login tries per account and per client address (sync.hub.throttle): in the database, so
that several hub processes share one count.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(120), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_start", sa.Float, nullable=False),
        sa.Column("locked_until", sa.Float),
        sa.Column("expires", sa.Float, nullable=False),
    )
    op.create_index("login_throttle_expires", "login_throttle", ["expires"])


def downgrade() -> None:
    op.drop_index("login_throttle_expires", "login_throttle")
    op.drop_table("login_throttle")
