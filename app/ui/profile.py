"""The client's whole picture on one screen: loyalty, contacts, sizes, tastes, history."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from app.cache.queries import ClientDetail, ProfileData, ReceiptLink
from app.services import phones
from app.state.context import AppModel
from app.state.profile import ProfileModel
from app.ui import formatting, operations, theme
from app.ui.common import day, points, rub, tier_badge
from app.ui.profile_form import ProfileForm
from app.ui.strings import t
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


def loyalty_card(p: ProfileData, lang: str) -> ft.Control:
    acc = p.account
    rows: list[ft.Control] = [
        ft.Row([tier_badge(p.tier), ft.Text(t(lang, "profile.balance"), color=theme.MUTED)]),
        ft.Text(points(p.balance), size=34, weight=ft.FontWeight.BOLD, color=theme.INK),
    ]
    if acc is None:
        return card(t(lang, "profile.loyalty"), *rows, key="loyalty")
    if acc.pending:
        rows.append(muted(t(lang, "profile.pending_points")))
        rows += [ft.Text(t(lang, "profile.unlock", x.points, day(x.at))) for x in acc.pending[:4]]
    if acc.expiring:
        rows.append(muted(t(lang, "profile.expiring")))
        rows += [ft.Text(t(lang, "profile.expire_item", x.points, day(x.at)), color=theme.WARN)
                 for x in acc.expiring[:4]]
    if acc.next_tier:
        rows.append(ft.ProgressBar(value=acc.progress, color=theme.ACCENT, bgcolor="#EFE7DC",
                                   bar_height=8, border_radius=4, semantics_label="tier-progress"))
        rows.append(ft.Text(t(lang, "profile.next_tier", acc.next_tier, rub(acc.to_next_tier), day(acc.next_tier_by))))
    else:
        rows.append(muted(t(lang, "profile.top_tier")))
    if acc.spend_12m is not None:
        rows.append(muted(t(lang, "profile.spend_12m", rub(acc.spend_12m))))
    if acc.max_redeem_percent is not None:
        rows.append(muted(t(lang, "profile.max_redeem", acc.max_redeem_percent)))
    return card(t(lang, "profile.loyalty"), *rows, key="loyalty")


def contacts_card(c: ClientDetail, lang: str, consultant: str | None) -> ft.Control:
    return card(
        t(lang, "profile.contacts"),
        kv(t(lang, "profile.phone"), phones.format_phone(c.phone)),
        kv(t(lang, "profile.email"), c.email or ""),
        kv(t(lang, "profile.birthday"), day(c.birthday)),
        kv(t(lang, "profile.card"), c.card_number or ""),
        kv(t(lang, "profile.consultant"), consultant or ""),
        kv(t(lang, "profile.notes"), c.notes or ""),
    )


def sizes_card(c: ClientDetail, lang: str) -> ft.Control:
    return card(t(lang, "profile.sizes"), ft.Row(wrap=True, spacing=16, controls=[
        ft.Column([muted(t(lang, f"profile.size_{k}")), ft.Text(c.sizes.get(k, "—"), size=18)], spacing=0)
        for k in SIZE_FIELDS
    ]))


def preferences_card(c: ClientDetail, lang: str) -> ft.Control:
    def chips(items: tuple[str, ...]) -> ft.Control:
        return ft.Row(wrap=True, spacing=6, controls=[
            ft.Container(ft.Text(x, size=13), bgcolor="#F3ECE2", border_radius=12,
                         padding=ft.Padding.symmetric(horizontal=10, vertical=4)) for x in items
        ] or [muted("—")])

    return card(t(lang, "profile.preferences"),
                muted(t(lang, "profile.brands")), chips(c.preferred_brands),
                muted(t(lang, "profile.styles")), chips(c.styles),
                muted(t(lang, "profile.colours")), chips(c.colours))


def consents_card(c: ClientDetail, lang: str) -> ft.Control:
    rows = []
    for ch in CHANNELS:
        x = c.consents.get(ch)
        value = t(lang, "profile.consent_yes", day(x.date)) if x and x.granted else t(lang, "profile.consent_no")
        rows.append(kv(t(lang, f"profile.consent_{ch}"), value))
    return card(t(lang, "profile.consents"), *rows)


def link_text(link: ReceiptLink, lang: str) -> str:
    """A receipt link not (yet) a purchase: its number, sum and date, and where it stands."""
    ref = operations.receipt_ref(link.receipt, lang)
    if link.state == "pending":
        return t(lang, "profile.link_pending", ref)
    if link.state == "rejected":
        return t(lang, "profile.link_rejected", ref, operations.lower_first(operations.rejection(link, lang)))
    return t(lang, "profile.link_waiting", ref)


def purchases_card(p: ProfileData, lang: str) -> ft.Control:
    rows: list[ft.Control] = [
        ft.Text(link_text(link, lang), color=theme.ERROR if link.state == "rejected" else theme.WARN)
        for link in p.links if link.state != "matched"
    ]
    for r in p.receipts[:30]:
        items = ", ".join(x.name + (f" ({t(lang, 'profile.sale')})" if x.sale else "") for x in r.items)
        earned = " ".join(x for x in (
            t(lang, "profile.points_earned", formatting.number(r.points_earned, lang)) if r.points_earned > 0 else "",
            t(lang, "profile.points_spent", formatting.number(r.points_spent, lang)) if r.points_spent else "") if x)
        rows.append(ft.Column(spacing=0, controls=[
            ft.Row([ft.Text(formatting.date(r.at, lang), weight=ft.FontWeight.W_600),
                    ft.Text(formatting.money(r.total, lang), weight=ft.FontWeight.W_600),
                    ft.Text(t(lang, "receipt.ref", r.i), color=theme.MUTED),
                    ft.Text(earned, color=theme.OK)], spacing=12),
            muted(items),
        ]))
    if not rows:
        rows = [muted(t(lang, "profile.no_purchases"))]
    return card(t(lang, "profile.purchases"), *rows, key="purchases")


def diary_card(profile: ProfileModel, p: ProfileData, lang: str) -> ft.Control:
    def typed(e):
        profile.note = e.control.value

    def pin(e):
        profile.note_pinned = e.control.value

    async def add(_):
        await profile.add_note()

    editor = ft.Column(spacing=4, controls=[
        ft.TextField(label=t(lang, "profile.note"), value=profile.note, on_change=typed, multiline=True,
                     min_lines=1, max_lines=4),
        ft.Row([ft.Checkbox(label=t(lang, "profile.pin"), value=profile.note_pinned, on_change=pin),
                ft.TextButton(t(lang, "profile.add_note"), icon=ft.Icons.ADD_COMMENT, on_click=add)],
               alignment=ft.MainAxisAlignment.SPACE_BETWEEN),
    ])
    rows = [
        ft.Column(spacing=0, controls=[
            ft.Row([ft.Text(day(d.updated_at), color=theme.MUTED, size=12),
                    ft.Text(t(lang, "profile.pending_badge"), size=12, color=theme.WARN, visible=d.pending),
                    ft.Text(d.author_name or "", color=theme.MUTED, size=12),
                    ft.Text("📌 " + t(lang, "profile.pinned"), size=12, visible=d.pinned)]),
            ft.Text(d.text),
        ])
        for d in p.diary[:20]
    ] or [muted(t(lang, "profile.no_diary"))]
    return card(t(lang, "profile.diary"), editor, *rows)


def communications_card(p: ProfileData, lang: str) -> ft.Control:
    rows = [
        ft.Column(spacing=0, controls=[
            muted(f"{day(x.at)} · {x.channel} · {x.author_name or ''}"),
            ft.Text(x.text),
        ])
        for x in p.contacts[:20]
    ] or [muted(t(lang, "profile.no_communications"))]
    return card(t(lang, "profile.communications"), *rows)


def ledger_text(p: ProfileData, kind: str | None, receipt_id: str | None, lang: str) -> str:
    """The hub's own reason is English; the consultant reads the kind in her language."""
    text = t(lang, f"ledger.{kind}")
    r = p.receipt(receipt_id)
    if r:
        text += ", " + t(lang, "ledger.receipt", r.i)
    return text


def ledger_card(p: ProfileData, lang: str) -> ft.Control:
    rows = [
        ft.Row([ft.Text(day(e.at), width=90, color=theme.MUTED),
                ft.Text(f"{e.points:+d}", width=70, color=theme.OK if e.points > 0 else theme.ERROR),
                ft.Text(ledger_text(p, e.kind, e.receipt_id, lang), expand=True, tooltip=e.reason)])
        for e in p.ledger[:30] if e.points  # 0-point entries only mark a receipt as processed
    ]
    return card(t(lang, "profile.ledger"), *(rows or [muted("—")]))


def history_card(p: ProfileData, lang: str) -> ft.Control | None:
    if not p.history:
        return None
    rows = [muted(t(lang, "profile.history_item", h.field, _short(h.old_value), _short(h.new_value)))
            for h in p.history[:20]]
    return card(t(lang, "profile.history"), *rows)


def pending_card(p: ProfileData, lang: str) -> ft.Control | None:
    """What this device queued for her: saved here and waiting for the hub, or refused (and what)."""
    if not p.pending:
        return None
    rows = [ft.Text(operations.line(x, lang), color=theme.ERROR if x.rejected else theme.WARN) for x in p.pending]
    return card(t(lang, "profile.local_pending"), *rows)


def _short(v: object) -> str:
    s = "" if v is None else str(v)
    return s if len(s) <= 40 else s[:39] + "…"


@ft.component
def ProfileScreen(profile: ProfileModel, ui: AppModel, scan_for: Callable[[str, str], None]) -> ft.Control:
    lang = ui.lang
    p = profile.data
    back = ft.TextButton(t(lang, "profile.back"), icon=ft.Icons.ARROW_BACK, on_click=lambda _: profile.close())
    if p is None:
        return ft.Column([back])
    c = p.client
    header = ft.Row([
        back,
        ft.Text(c.full_name, size=24, weight=ft.FontWeight.BOLD, expand=True),
        ft.Container(ft.Text(t(lang, "profile.pending_badge"), size=12, color=theme.WARN), visible=c.pending),
        tier_badge(p.tier),
        ft.OutlinedButton(t(lang, "scan.from_profile"), icon=ft.Icons.QR_CODE_SCANNER, visible=not profile.editing,
                          on_click=lambda _: scan_for(c.id, c.full_name)),
        ft.FilledButton(t(lang, "profile.edit"), icon=ft.Icons.EDIT, on_click=lambda _: profile.start_edit(),
                        visible=not profile.editing),
    ])
    if profile.editing:
        return ft.Column([header, ProfileForm(profile, ui, profile.save, profile.cancel_edit)], expand=True)
    left = [loyalty_card(p, lang), contacts_card(c, lang, p.consultant_name), sizes_card(c, lang),
            preferences_card(c, lang), consents_card(c, lang)]
    right = [x for x in (pending_card(p, lang), purchases_card(p, lang), diary_card(profile, p, lang),
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
