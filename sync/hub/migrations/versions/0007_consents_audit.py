"""152-FZ: consent records per purpose and the audit log of who changed or viewed a client.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("store_id", sa.String(36), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("granted", sa.Boolean, nullable=False),
        sa.Column("text_version", sa.String(40)),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("form_id", sa.String(36)),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("device_id", sa.String(100), nullable=False),
        sa.Column("mutation_id", sa.String(36), nullable=False),
        sa.Column("device_time", sa.Text),
        sa.Column("received_at", sa.Text, nullable=False),
    )
    op.create_index("ix_consents_client_id", "consents", ["client_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("store_id", sa.String(36)),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("device_id", sa.String(100)),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("entity_id", sa.String(36)),
        sa.Column("mutation_id", sa.String(36)),
        sa.Column("device_time", sa.Text),
    )
    op.create_index("audit_log_client", "audit_log", ["client_id", "id"])


def downgrade() -> None:
    op.drop_index("audit_log_client", "audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_consents_client_id", "consents")
    op.drop_table("consents")
