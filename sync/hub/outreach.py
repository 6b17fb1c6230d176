"""The brand's outreach data: message templates and the attribution window, kept as data (the
outreach_templates and outreach_settings tables), not code; and the contact log the results
read.

Each store's devices get the templates and the window as one `outreach_templates` feed row
(entity id: the store), so a brand changes a wording without a release and the devices
have it offline (as sync.hub.diary_tags does for the diary's tags). The placeholders and
the defaults are sync.rules.outreach's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import Connection, delete, insert, select

from sync.hub import feed
from sync.hub.storage import schema
from sync.rules.attribution import DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS
from sync.rules.outreach import DEFAULT_TEMPLATES, Template, TemplateError, check_template

ENTITY = "outreach_templates"


def brand_templates(conn: Connection, brand_id: str) -> list[Template]:
    t = schema.outreach_templates
    rows = conn.execute(select(t).where(t.c.brand_id == brand_id).order_by(t.c.position)).all()
    return [Template(r.id, r.occasion, r.lang, r.title, r.text) for r in rows]


def attribution_days(conn: Connection, brand_id: str) -> int:
    s = schema.outreach_settings
    found = conn.execute(select(s.c.attribution_days).where(s.c.brand_id == brand_id)).scalar()
    return DEFAULT_WINDOW_DAYS if found is None else int(found)


def set_templates(conn: Connection, brand_id: str, templates: Sequence[Template]) -> list[Template]:
    """Replace the brand's templates (each checked; an id once) and publish them."""
    clean = [check_template(x) for x in templates]
    ids = [x.id for x in clean]
    if len(set(ids)) != len(ids):
        raise TemplateError("each template id once")
    t = schema.outreach_templates
    conn.execute(delete(t).where(t.c.brand_id == brand_id))
    if clean:
        conn.execute(insert(t), [{"brand_id": brand_id, "position": n, **x.to_data()} for n, x in enumerate(clean)])
    publish(conn, brand_id)
    return clean


def put_template(conn: Connection, brand_id: str, template: Template) -> list[Template]:
    """Add or replace one template (by id), keeping the others' order."""
    current = brand_templates(conn, brand_id)
    if any(x.id == template.id for x in current):
        return set_templates(conn, brand_id, [template if x.id == template.id else x for x in current])
    return set_templates(conn, brand_id, [*current, template])


def set_attribution_days(conn: Connection, brand_id: str, days: int) -> int:
    if not 1 <= days <= MAX_WINDOW_DAYS:
        raise TemplateError(f"the attribution window is 1-{MAX_WINDOW_DAYS} days")
    s = schema.outreach_settings
    conn.execute(delete(s).where(s.c.brand_id == brand_id))
    conn.execute(insert(s).values(brand_id=brand_id, attribution_days=days))
    publish(conn, brand_id)
    return days


def start_brand(conn: Connection, brand_id: str) -> None:
    """A new brand's defaults (the demo seed's, and what migration 0014 gives existing brands)."""
    set_templates(conn, brand_id, DEFAULT_TEMPLATES)


def publish(conn: Connection, brand_id: str) -> None:
    """The templates and window, as a feed row for each of the brand's stores (seen by that store only)."""
    data = {
        "brand_id": brand_id,
        "templates": [x.to_data() for x in brand_templates(conn, brand_id)],
        "attribution_days": attribution_days(conn, brand_id),
    }
    stores = conn.execute(select(schema.stores.c.id).where(schema.stores.c.brand_id == brand_id)).all()
    feed.publish_many(conn, [(ENTITY, s.id, s.id, {"id": s.id, **data}, False) for s in stores])


# --- the contact log ---------------------------------------------------------------------------


def utc_key(at: dt.datetime) -> str:
    """The UTC key receipts.at and the reports use ("YYYY-MM-DDTHH:MM:SS")."""
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def log_contact(conn: Connection, contact: dict, store_id: str) -> None:
    """A contact.log as the results count it (called with the contact record as stored)."""
    conn.execute(
        insert(schema.contact_log).values(
            id=contact["id"],
            client_id=contact["client_id"],
            store_id=store_id,
            author_id=contact.get("author_id"),
            at=utc_key(dt.datetime.fromisoformat(contact["at"])),
            channel=contact["channel"],
            template=contact.get("template"),
        )
    )


# --- the admin commands (python -m sync.hub outreach ...) -----------------------------------------


def add_parser(sub) -> None:
    o = sub.add_parser("outreach", help="a brand's message templates and attribution window (published to devices)")
    acts = o.add_subparsers(dest="action", required=True)
    show = acts.add_parser("show", help="print the brand's templates and window as JSON")
    put = acts.add_parser("put", help="add or replace one template")
    put.add_argument("--id", required=True, help="e.g. birthday.ru")
    put.add_argument("--occasion", required=True)
    put.add_argument("--lang", required=True, choices=("ru", "en"))
    put.add_argument("--title", required=True)
    put.add_argument("--text", required=True, help="with {name}, {points}, {expiry_date}... ([...]: optional part)")
    set_ = acts.add_parser("set", help="replace every template from a JSON file (a list, as `show` prints)")
    set_.add_argument("file", type=Path)
    reset = acts.add_parser("reset", help="back to the default templates")
    window = acts.add_parser("window", help="set the attribution window (days after a contact)")
    window.add_argument("days", type=int)
    for p in (show, put, set_, reset, window):
        p.add_argument("--db", default="var/hub.sqlite")
        p.add_argument("--brand", help="brand id or name (may be left out when the hub has one brand)")


def run_command(conn: Connection, args: argparse.Namespace, brand_of: Callable[[Connection, str | None], str]) -> str:
    """What the command prints; TemplateError for a template or window the brand may not have."""
    brand_id = brand_of(conn, args.brand)
    if args.action == "show":
        data = {
            "attribution_days": attribution_days(conn, brand_id),
            "templates": [x.to_data() for x in brand_templates(conn, brand_id)],
        }
        return json.dumps(data, ensure_ascii=False, indent=2)
    if args.action == "put":
        done = put_template(conn, brand_id, Template(args.id, args.occasion, args.lang, args.title, args.text))
        return f"{len(done)} template(s)"
    if args.action == "set":
        try:
            raw = json.loads(args.file.read_text(encoding="utf-8"))
            items = raw["templates"] if isinstance(raw, dict) else raw
            templates = [Template.from_data(x) for x in items]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise TemplateError(f"not a template list: {e}") from None
        return f"{len(set_templates(conn, brand_id, templates))} template(s)"
    if args.action == "reset":
        return f"{len(set_templates(conn, brand_id, DEFAULT_TEMPLATES))} template(s)"
    return f"attribution window: {set_attribution_days(conn, brand_id, args.days)} day(s)"
