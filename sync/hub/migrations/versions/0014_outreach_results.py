"""Outreach: message templates and the attribution window as brand data (sync.hub.outreach),
and a contact log the results read by period (sync.hub.results).

- outreach_templates: each brand already there starts with the default templates (frozen
  below), published to its stores' devices as an `outreach_templates` feed row each;
- outreach_settings: a brand's attribution window (none: the default, 14 days);
- contact_log: every contact.log with its client's store, author, UTC time ("YYYY-MM-DDTHH:MM:SS",
  as receipts.at) and template, filled from the contact records already there.

Revision ID: 0014
Revises: 0012 (outreach/results; the integrator chains it after 0013)
"""

import datetime as dt
import json

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

WINDOW_DAYS = 14
# Frozen here (a migration never changes): sync.rules.outreach.DEFAULT_TEMPLATES at 0014.
DEFAULT_TEMPLATES = [
    {
        "id": "birthday.ru",
        "occasion": "birthday",
        "lang": "ru",
        "title": "С днём рождения",
        "text": "С днём рождения[, {name}]! Желаем радости и вдохновения. В бутике[ «{store}»] вас ждёт подарок[ — "
        "и {points} на вашем счёте]. С уважением, {consultant}.",
    },
    {
        "id": "birthday.en",
        "occasion": "birthday",
        "lang": "en",
        "title": "Happy birthday",
        "text": "Happy birthday[, {name}]! A gift is waiting for you[ at {store}][, and {points} on your account]. "
        "Warm regards, {consultant}.",
    },
    {
        "id": "points_expiring.ru",
        "occasion": "points_expiring",
        "lang": "ru",
        "title": "Сгорают баллы",
        "text": "Здравствуйте[, {name}]! [{expiry_date} сгорят {expiring_points}. ]Будем рады видеть вас в бутике[ "
        "«{store}»] — баллами можно оплатить часть покупки. {consultant}",
    },
    {
        "id": "points_expiring.en",
        "occasion": "points_expiring",
        "lang": "en",
        "title": "Points expiring",
        "text": "Hello[ {name}]! [{expiring_points} expire on {expiry_date}. ]We would be glad to see you[ at "
        "{store}]: points pay for part of a purchase. {consultant}",
    },
    {
        "id": "private_sale.ru",
        "occasion": "private_sale",
        "lang": "ru",
        "title": "Закрытая распродажа",
        "text": "Здравствуйте[, {name}]! Приглашаем вас на закрытую распродажу в бутике[ «{store}»] — до открытия "
        "для всех. Отложу для вас вещи вашего размера. {consultant}",
    },
    {
        "id": "private_sale.en",
        "occasion": "private_sale",
        "lang": "en",
        "title": "Private sale",
        "text": "Hello[ {name}]! You are invited to our private sale[ at {store}], before it opens to everyone. I "
        "will set aside pieces in your size. {consultant}",
    },
    {
        "id": "after_purchase.ru",
        "occasion": "after_purchase",
        "lang": "ru",
        "title": "После покупки",
        "text": "Здравствуйте[, {name}]! Спасибо за покупку в бутике[ «{store}»]. Всё ли подошло? Если нужна "
        "подгонка или совет — напишите мне. {consultant}",
    },
    {
        "id": "after_purchase.en",
        "occasion": "after_purchase",
        "lang": "en",
        "title": "After a purchase",
        "text": "Hello[ {name}]! Thank you for shopping[ at {store}]. Does everything fit well? If you need an "
        "alteration or advice, just write to me. {consultant}",
    },
    {
        "id": "welcome.ru",
        "occasion": "welcome",
        "lang": "ru",
        "title": "Добро пожаловать",
        "text": "Здравствуйте[, {name}]! Рады видеть вас среди клиентов бутика[ «{store}»]. Я ваш консультант, "
        "{consultant}: пишите, если что-то понадобится.",
    },
    {
        "id": "welcome.en",
        "occasion": "welcome",
        "lang": "en",
        "title": "Welcome",
        "text": "Hello[ {name}]! Welcome[ to {store}]! I am your consultant, {consultant}: write to me whenever "
        "you need anything.",
    },
    {"id": "free.ru", "occasion": "free", "lang": "ru", "title": "Свой текст", "text": "Здравствуйте[, {name}]! "},
    {"id": "free.en", "occasion": "free", "lang": "en", "title": "Own text", "text": "Hello[ {name}]! "},
]


def _utc_key(text: str) -> str:
    t = dt.datetime.fromisoformat(text)
    t = t if t.tzinfo else t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def upgrade() -> None:
    op.create_table(
        "outreach_templates",
        sa.Column("brand_id", sa.String(36), primary_key=True),
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("occasion", sa.String(40), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("title", sa.String(80), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "outreach_settings",
        sa.Column("brand_id", sa.String(36), primary_key=True),
        sa.Column("attribution_days", sa.Integer, nullable=False),
    )
    op.create_table(
        "contact_log",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("store_id", sa.String(36), nullable=False),
        sa.Column("author_id", sa.String(36)),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("template", sa.String(40)),
    )
    op.create_index("contact_log_author_at", "contact_log", ["author_id", "at"])
    op.create_index("contact_log_client_at", "contact_log", ["client_id", "at"])
    conn = op.get_bind()
    for (brand,) in conn.execute(sa.text("SELECT id FROM brands")).all():
        for n, t in enumerate(DEFAULT_TEMPLATES):
            conn.execute(
                sa.text(
                    "INSERT INTO outreach_templates (brand_id, id, occasion, lang, title, text, position)"
                    " VALUES (:b, :id, :occasion, :lang, :title, :text, :p)"
                ),
                {"b": brand, "p": n, **t},
            )
    rows = conn.execute(
        sa.text(
            "SELECT r.id, r.owner_id, r.data, c.store_id FROM records r JOIN clients c ON c.id = r.owner_id"
            " WHERE r.entity = 'contact'"
        )
    ).all()
    for contact_id, client_id, data, store_id in rows:
        d = json.loads(data)
        if not d.get("at"):
            continue  # not a contact the results could date
        conn.execute(
            sa.text(
                "INSERT INTO contact_log (id, client_id, store_id, author_id, at, channel, template)"
                " VALUES (:id, :client, :store, :author, :at, :channel, :template)"
            ),
            {
                "id": contact_id,
                "client": client_id,
                "store": store_id,
                "author": d.get("author_id"),
                "at": _utc_key(d["at"]),
                "channel": d.get("channel") or "calls",
                "template": d.get("template"),
            },
        )
    stores = conn.execute(sa.text("SELECT id, brand_id FROM stores")).all()
    sqlite = conn.dialect.name == "sqlite"
    if not sqlite and stores:  # the next seq after the newest row (as migration 0010 does)
        conn.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('feed', 'seq'),"
                " (SELECT coalesce(max(seq), 0) + 1 FROM feed), false)"
            )
        )
    for store_id, brand_id in stores:
        body = {"id": store_id, "brand_id": brand_id, "templates": DEFAULT_TEMPLATES, "attribution_days": WINDOW_DAYS}
        params = {"id": store_id, "data": json.dumps(body, ensure_ascii=False)}
        if sqlite:  # seq is a plain rowid alias there: number the row after the newest
            conn.execute(
                sa.text(
                    "INSERT INTO feed (seq, entity, entity_id, store_id, deleted, data, client_id) VALUES"
                    " ((SELECT coalesce(max(seq), 0) + 1 FROM feed), 'outreach_templates', :id, :id, 0, :data, NULL)"
                ),
                params,
            )
        else:
            conn.execute(
                sa.text(
                    "INSERT INTO feed (entity, entity_id, store_id, deleted, data, client_id)"
                    " VALUES ('outreach_templates', :id, :id, false, :data, NULL)"
                ),
                params,
            )


def downgrade() -> None:
    op.execute("DELETE FROM feed WHERE entity = 'outreach_templates'")
    op.drop_table("contact_log")
    op.drop_table("outreach_settings")
    op.drop_table("outreach_templates")
