"""Blobs readable per store: blob_stores names the stores whose devices uploaded each blob.

A blob already stored is given to the store of every client whose signed form names it
(the only blobs devices upload today); one no form names stays readable by no store.
The uploader's content type is no longer served: every stored one becomes the fixed type.

Revision ID: 0004
Revises: 0003
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blob_stores",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("store_id", sa.String(36), primary_key=True),
    )
    conn = op.get_bind()
    stored = {r[0] for r in conn.execute(sa.text("SELECT sha256 FROM blobs"))}
    owners: set[tuple[str, str]] = set()
    forms = conn.execute(
        sa.text("SELECT r.data, c.store_id FROM records r JOIN clients c ON c.id = r.owner_id WHERE r.entity = 'form'")
    )
    for data, store_id in forms:
        form = json.loads(data)
        owners |= {(sha, store_id) for sha in (form.get("signature_sha256"), form.get("pdf_sha256")) if sha in stored}
    if owners:
        conn.execute(
            sa.text("INSERT INTO blob_stores (sha256, store_id) VALUES (:sha256, :store_id)"),
            [{"sha256": s, "store_id": st} for s, st in sorted(owners)],
        )
    conn.execute(sa.text("UPDATE blobs SET content_type = 'application/octet-stream'"))


def downgrade() -> None:
    op.drop_table("blob_stores")
