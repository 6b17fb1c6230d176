"""Time-driven loyalty: when each client's figures next change, and referrals.

`loyalty_due` holds, per client, the next moment her published figures change with no
new event (a pending unlock, an expiry, a purchase leaving the tier window, a birthday);
the scheduled job (sync.hub.schedule) works through the rows that are due. Every client
already stored is due at once, so the first run after the upgrade brings all of them
up to date. `referral_codes` maps a client's or stylist's code to its owner;
`referrals` holds a newcomer's accepted referral (a ReferralLink as JSON).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loyalty_due",
        sa.Column("client_id", sa.String(36), primary_key=True),
        sa.Column("due_at", sa.String(32), nullable=False),
    )
    op.create_index("loyalty_due_at", "loyalty_due", ["due_at"])
    op.execute("INSERT INTO loyalty_due (client_id, due_at) SELECT id, '' FROM clients")
    op.create_table(
        "referral_codes",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("owner_kind", sa.String(10), nullable=False),
        sa.Column("store_id", sa.String(36), nullable=False),
    )
    op.create_table(
        "referrals",
        sa.Column("client_id", sa.String(36), primary_key=True),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("referrals_owner", "referrals", ["owner_id"])


def downgrade() -> None:
    op.drop_index("referrals_owner", "referrals")
    op.drop_table("referrals")
    op.drop_table("referral_codes")
    op.drop_index("loyalty_due_at", "loyalty_due")
    op.drop_table("loyalty_due")
