"""The client's whole picture on one screen: loyalty, contacts, sizes, tastes, history."""

from __future__ import annotations

import flet as ft

from app.services import phones
from app.state.controller import Controller
from app.state.views import AppView, ProfileView
from app.ui import theme
from app.ui.common import day, full_name, points, rub, tier_badge
from app.ui.strings import kind_label, t
from sync.models import CHANNELS, SIZE_FIELDS


def card(title: str, *controls: ft.Control, key: str | None = None) -> ft.Control:
    return ft.Container(
        key=key,
        bgcolor=ft.Colors.WHITE,
        border_radius=12,
        padding=16,
        border=ft.Border.all(1, "#E6DED3"),
        content=ft.Column([ft.Text(title, size=15, weight=ft.FontWeight.W_600, color=theme.ACCENT), *controls],
                          spacing=6),
    )


def kv(label: str, value: str) -> ft.Control:
    return ft.Row([ft.Text(label, color=theme.MUTED, width=130), ft.Text(value or "—", expand=True, selectable=True)])


def muted(text: str) -> ft.Control:
    return ft.Text(text, color=theme.MUTED, size=13)


def loyalty_card(p: ProfileView, lang: str) -> ft.Control:
    c = p.client or {}
    acc = p.account or {}
    tier = acc.get("tier") or c.get("tier")
    balance = acc.get("balance", c.get("points_balance", 0))
    rows: list[ft.Control] = [
        ft.Row([tier_badge(tier), ft.Text(t(lang, "profile.balance"), color=theme.MUTED)]),
        ft.Text(points(balance), size=34, weight=ft.FontWeight.BOLD, color=theme.INK),
    ]
    pending = acc.get("pending") or []
    if pending:
        rows.append(muted(t(lang, "profile.pending_points")))
        rows += [ft.Text(t(lang, "profile.unlock", x["points"], day(x["at"]))) for x in pending[:4]]
    expiring = acc.get("expiring") or []
    if expiring:
        rows.append(muted(t(lang, "profile.expiring")))
        rows += [ft.Text(t(lang, "profile.expire_item", x["points"], day(x["at"])), color=theme.WARN)
                 for x in expiring[:4]]
    if acc.get("next_tier"):
        rows.append(ft.ProgressBar(value=acc.get("progress", 0.0), color=theme.ACCENT, bgcolor="#EFE7DC",
                                   bar_height=8, border_radius=4, semantics_label="tier-progress"))
        rows.append(ft.Text(t(lang, "profile.next_tier", acc["next_tier"], rub(acc.get("to_next_tier", 0)),
                              day(acc.get("next_tier_by")))))
    elif acc:
        rows.append(muted(t(lang, "profile.top_tier")))
    if acc.get("spend_12m") is not None:
        rows.append(muted(t(lang, "profile.spend_12m", rub(acc["spend_12m"]))))
    if acc.get("max_redeem_percent") is not None:
        rows.append(muted(t(lang, "profile.max_redeem", acc["max_redeem_percent"])))
    return card(t(lang, "profile.loyalty"), *rows, key="loyalty")


def contacts_card(c: dict, lang: str, consultant: str | None) -> ft.Control:
    return card(
        t(lang, "profile.contacts"),
        kv(t(lang, "profile.phone"), phones.format_phone(c.get("phone"))),
        kv(t(lang, "profile.email"), c.get("email") or ""),
        kv(t(lang, "profile.birthday"), day(c.get("birthday"))),
        kv(t(lang, "profile.card"), c.get("card_number") or ""),
        kv(t(lang, "profile.consultant"), consultant or ""),
        kv(t(lang, "profile.notes"), c.get("notes") or ""),
    )


def sizes_card(c: dict, lang: str) -> ft.Control:
    sizes = c.get("sizes") or {}
    return card(t(lang, "profile.sizes"), ft.Row(wrap=True, spacing=16, controls=[
        ft.Column([muted(t(lang, f"profile.size_{k}")), ft.Text(sizes.get(k, "—"), size=18)], spacing=0)
        for k in SIZE_FIELDS
    ]))


def preferences_card(c: dict, lang: str) -> ft.Control:
    def chips(items: list[str]) -> ft.Control:
        return ft.Row(wrap=True, spacing=6, controls=[
            ft.Container(ft.Text(x, size=13), bgcolor="#F3ECE2", border_radius=12,
                         padding=ft.Padding.symmetric(horizontal=10, vertical=4)) for x in items
        ] or [muted("—")])

    return card(t(lang, "profile.preferences"),
                muted(t(lang, "profile.brands")), chips(c.get("preferred_brands") or []),
                muted(t(lang, "profile.styles")), chips(c.get("styles") or []),
                muted(t(lang, "profile.colours")), chips(c.get("colours") or []))


def consents_card(c: dict, lang: str) -> ft.Control:
    consents = c.get("consents") or {}
    rows = []
    for ch in CHANNELS:
        x = consents.get(ch) or {}
        value = t(lang, "profile.consent_yes", day(x.get("date"))) if x.get("granted") else t(lang, "profile.consent_no")
        rows.append(kv(t(lang, f"profile.consent_{ch}"), value))
    return card(t(lang, "profile.consents"), *rows)


def purchases_card(p: ProfileView, lang: str) -> ft.Control:
    rows: list[ft.Control] = []
    for link in p.links:
        state = link.get("state", "waiting")
        if state == "matched":
            continue
        if state == "pending":
            text = t(lang, "profile.link_pending", link.get("i", ""), rub(link.get("s")))
        elif state == "rejected":
            text = t(lang, "profile.link_rejected", link.get("i", "")) + ": " + rejection(link, lang)
        else:
            text = t(lang, "profile.link_waiting", link.get("i", ""))
        rows.append(ft.Text(text, color=theme.ERROR if state == "rejected" else theme.WARN))
    for r in p.receipts[:30]:
        items = ", ".join(line["name"] + (f" ({t(lang, 'profile.sale')})" if line.get("sale") else "")
                          for line in r.get("lines", []))
        pts = r.get("points_earned") or 0
        spent = r.get("points_spent") or r.get("redeem_points") or 0
        points = " ".join(x for x in (
            t(lang, "profile.points_earned", pts) if pts > 0 else "",
            t(lang, "profile.points_spent", spent) if spent else "") if x)
        rows.append(ft.Column(spacing=0, controls=[
            ft.Row([ft.Text(day(r.get("at")), weight=ft.FontWeight.W_600),
                    ft.Text(f"{rub(r.get('total', 0))} ₽", weight=ft.FontWeight.W_600),
                    ft.Text(points, color=theme.OK)], spacing=12),
            muted(items),
        ]))
    if not rows:
        rows = [muted(t(lang, "profile.no_purchases"))]
    return card(t(lang, "profile.purchases"), *rows, key="purchases")


def diary_card(ctrl: Controller, p: ProfileView, lang: str) -> ft.Control:
    def typed(e):
        p.note = e.control.value

    def pin(e):
        p.note_pinned = e.control.value

    async def add(_):
        await ctrl.add_note()

    editor = ft.Column(spacing=4, controls=[
        ft.TextField(label=t(lang, "profile.note"), value=p.note, on_change=typed, multiline=True,
                     min_lines=1, max_lines=4),
        ft.Row([ft.Checkbox(label=t(lang, "profile.pin"), value=p.note_pinned, on_change=pin),
                ft.TextButton(t(lang, "profile.add_note"), icon=ft.Icons.ADD_COMMENT, on_click=add)],
               alignment=ft.MainAxisAlignment.SPACE_BETWEEN),
    ])
    rows = [
        ft.Column(spacing=0, controls=[
            ft.Row([ft.Text(day(d.get("updated_at")), color=theme.MUTED, size=12),
                    ft.Text(t(lang, "profile.pending_badge"), size=12, color=theme.WARN, visible=bool(d.get("pending"))),
                    ft.Text(d.get("author_name") or "", color=theme.MUTED, size=12),
                    ft.Text("📌 " + t(lang, "profile.pinned"), size=12, visible=bool(d.get("pinned")))]),
            ft.Text(d.get("text") or ""),
        ])
        for d in p.diary[:20]
    ] or [muted(t(lang, "profile.no_diary"))]
    return card(t(lang, "profile.diary"), editor, *rows)


def communications_card(p: ProfileView, lang: str) -> ft.Control:
    rows = [
        ft.Column(spacing=0, controls=[
            muted(f"{day(x.get('at'))} · {x.get('channel')} · {x.get('author_name') or ''}"),
            ft.Text(x.get("text") or ""),
        ])
        for x in p.contacts[:20]
    ] or [muted(t(lang, "profile.no_communications"))]
    return card(t(lang, "profile.communications"), *rows)


def ledger_text(e: dict, receipts: dict[str, dict], lang: str) -> str:
    """The hub's own reason is English; the consultant reads the kind in her language."""
    text = t(lang, f"ledger.{e.get('kind')}")
    r = receipts.get(e.get("receipt_id") or "")
    if r:
        text += ", " + t(lang, "ledger.receipt", r.get("i"))
    return text


def ledger_card(p: ProfileView, lang: str) -> ft.Control:
    receipts = {r["id"]: r for r in p.receipts}
    rows = [
        ft.Row([ft.Text(day(e.get("at")), width=90, color=theme.MUTED),
                ft.Text(f"{e['points']:+d}", width=70, color=theme.OK if e["points"] > 0 else theme.ERROR),
                ft.Text(ledger_text(e, receipts, lang), expand=True, tooltip=e.get("reason"))])
        for e in p.ledger[:30] if e.get("points")  # 0-point entries only mark a receipt as processed
    ]
    return card(t(lang, "profile.ledger"), *(rows or [muted("—")]))


def history_card(p: ProfileView, lang: str) -> ft.Control | None:
    if not p.history:
        return None
    rows = [muted(t(lang, "profile.history_item", h.get("field"), _short(h.get("old_value")), _short(h.get("new_value"))))
            for h in p.history[:20]]
    return card(t(lang, "profile.history"), *rows)


def rejection(x: dict, lang: str) -> str:
    """Why the hub refused: in the consultant's language when the code is known."""
    code = x.get("code")
    known = t(lang, f"reject.{code}") if code else ""
    return known if code and known != f"reject.{code}" else (x.get("reason") or "")


def pending_card(p: ProfileView, lang: str) -> ft.Control | None:
    if not p.pending:
        return None
    rows = [ft.Text(kind_label(lang, x["kind"]) + " — "
                    + (rejection(x, lang) if x["status"] == "rejected" else t(lang, "kind.waiting")),
                    color=theme.ERROR if x["status"] == "rejected" else theme.WARN) for x in p.pending]
    return card(t(lang, "profile.local_pending"), *rows)


def _short(v: object) -> str:
    s = "" if v is None else str(v)
    return s if len(s) <= 40 else s[:39] + "…"


@ft.component
def ProfileScreen(ctrl: Controller, p: ProfileView, app: AppView) -> ft.Control:
    from app.ui.profile_form import ProfileForm

    lang = app.lang
    c = p.client
    if c is None:
        return ft.Column([ft.TextButton(t(lang, "profile.back"), icon=ft.Icons.ARROW_BACK,
                                        on_click=lambda _: ctrl.back_to_list())])
    header = ft.Row([
        ft.TextButton(t(lang, "profile.back"), icon=ft.Icons.ARROW_BACK, on_click=lambda _: ctrl.back_to_list()),
        ft.Text(full_name(c), size=24, weight=ft.FontWeight.BOLD, expand=True),
        ft.Container(ft.Text(t(lang, "profile.pending_badge"), size=12, color=theme.WARN),
                     visible=bool(c.get("_pending"))),
        tier_badge((p.account or {}).get("tier") or c.get("tier")),
        ft.OutlinedButton(t(lang, "scan.from_profile"), icon=ft.Icons.QR_CODE_SCANNER, visible=not p.editing,
                          on_click=lambda _: ctrl.start_scan(c["id"], full_name(c))),
        ft.FilledButton(t(lang, "profile.edit"), icon=ft.Icons.EDIT, on_click=lambda _: ctrl.start_edit(),
                        visible=not p.editing),
    ])
    if p.editing:
        return ft.Column([header, ProfileForm(p, app, ctrl.save_profile, ctrl.cancel_edit)], expand=True)
    consultant = ctrl.consultant_name(c.get("consultant_id"))
    left = [loyalty_card(p, lang), contacts_card(c, lang, consultant), sizes_card(c, lang),
            preferences_card(c, lang), consents_card(c, lang)]
    right = [x for x in (pending_card(p, lang), purchases_card(p, lang), diary_card(ctrl, p, lang),
                         communications_card(p, lang), ledger_card(p, lang), history_card(p, lang)) if x]
    return ft.Column(
        expand=True,
        controls=[
            header,
            ft.ResponsiveRow(
                expand=True,
                controls=[
                    ft.Column(left, col={"xs": 12, "md": 5}, scroll=ft.ScrollMode.AUTO, spacing=12,
                              horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
                    ft.Column(right, col={"xs": 12, "md": 7}, scroll=ft.ScrollMode.AUTO, spacing=12,
                              horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
                ],
            ),
        ],
    )
