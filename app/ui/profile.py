"""The client's whole picture on one screen: loyalty, contacts, sizes, tastes, history."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from app.cache.queries import Account, ClientDetail, LedgerLine, ProfileData, ReceiptLink
from app.services import phones
from app.state import loyalty_view
from app.state.context import AppModel
from app.state.profile import ProfileModel
from app.state.register import RegisterModel
from app.state.signed_forms import SignedFormsModel
from app.state.today import TodayModel
from app.ui import formatting as fmt
from app.ui import history, operations, theme
from app.ui.common import tier_badge
from app.ui.counter import CounterPanel
from app.ui.diary import DiarySection
from app.ui.loyalty_extras import privileges_card
from app.ui.outreach import OutreachButton, OutreachCard
from app.ui.profile_form import ProfileForm
from app.ui.signed_forms import SignedFormsCard
from app.ui.strings import points, t
from app.ui.today import AssignControl
from sync.models import CHANNELS, SIZE_FIELDS, utcnow


def card(title: str, *controls: ft.Control, key: str | None = None) -> ft.Control:
    return theme.panel(
        key=key,
        content=ft.Column(
            [ft.Text(title, size=15, weight=ft.FontWeight.W_600, color=theme.ACCENT), *controls], spacing=6
        ),
    )


def kv(label: str, value: str) -> ft.Control:
    return ft.Row([ft.Text(label, color=theme.MUTED, width=130), ft.Text(value or "—", expand=True, selectable=True)])


def muted(text: str) -> ft.Control:
    return ft.Text(text, color=theme.MUTED, size=13)


def loyalty_card(p: ProfileData, lang: str) -> ft.Control:
    acc = p.account
    # Never a figure known to be past: pending points whose date has come count as available.
    now = loyalty_view.figures(acc, p.balance, utcnow())
    rows: list[ft.Control] = [
        ft.Row([tier_badge(p.tier), ft.Text(t(lang, "profile.balance"), color=theme.MUTED)]),
        ft.Text(fmt.number(now.balance, lang), size=34, weight=ft.FontWeight.BOLD, color=theme.INK, key="balance"),
    ]
    if acc is None:
        return card(t(lang, "profile.loyalty"), *rows, key="loyalty")
    if now.estimated and now.as_of:
        rows.append(muted(t(lang, "profile.as_of", fmt.date_time(now.as_of, lang))))
    if now.pending:
        rows.append(muted(t(lang, "profile.pending_points")))
        rows += [
            ft.Text(t(lang, "profile.unlock", points(lang, x.points), fmt.date(x.at, lang))) for x in now.pending[:4]
        ]
    if now.expiring:
        rows.append(muted(t(lang, "profile.expiring")))
        rows += [
            ft.Text(t(lang, "profile.expire_item", points(lang, x.points), fmt.date(x.at, lang)), color=theme.WARN)
            for x in now.expiring[:4]
        ]
    if acc.next_tier:
        rows.append(
            ft.ProgressBar(
                value=acc.progress,
                color=theme.ACCENT,
                bgcolor="#EFE7DC",
                bar_height=8,
                border_radius=4,
                semantics_label="tier-progress",
            )
        )
        rows.append(ft.Text(next_tier_text(acc, lang)))
    else:
        rows.append(muted(t(lang, "profile.top_tier")))
    if acc.spend_12m is not None:
        rows.append(muted(t(lang, "profile.spend_12m", fmt.money(acc.spend_12m, lang))))
    if acc.max_redeem_percent is not None:
        rows.append(muted(t(lang, "profile.max_redeem", acc.max_redeem_percent)))
    return card(t(lang, "profile.loyalty"), *rows, key="loyalty")


def next_tier_text(acc: Account, lang: str) -> str:
    """What is left to reach the next tier, and by when if the programme sets a date."""
    left = fmt.money(acc.to_next_tier, lang)
    if acc.next_tier_by:
        return t(lang, "profile.next_tier", acc.next_tier, left, fmt.date(acc.next_tier_by, lang))
    return t(lang, "profile.next_tier_open", acc.next_tier, left)


def contacts_card(c: ClientDetail, lang: str, consultant: str | None) -> ft.Control:
    return card(
        t(lang, "profile.contacts"),
        kv(t(lang, "profile.phone"), phones.format_phone(c.phone)),
        kv(t(lang, "profile.email"), c.email or ""),
        kv(t(lang, "profile.birthday"), fmt.date(c.birthday, lang)),
        kv(t(lang, "profile.card"), c.card_number or ""),
        kv(t(lang, "profile.consultant"), consultant or ""),
        kv(t(lang, "profile.notes"), c.notes or ""),
    )


def sizes_card(c: ClientDetail, lang: str) -> ft.Control:
    return card(
        t(lang, "profile.sizes"),
        ft.Row(
            wrap=True,
            spacing=16,
            controls=[
                ft.Column(
                    [muted(t(lang, f"profile.size_{k}")), ft.Text(fmt.size(c.sizes.get(k), lang) or "—", size=18)],
                    spacing=0,
                )
                for k in SIZE_FIELDS
            ],
        ),
    )


def preferences_card(c: ClientDetail, lang: str) -> ft.Control:
    def chips(items: tuple[str, ...]) -> ft.Control:
        return ft.Row(
            wrap=True,
            spacing=6,
            controls=[
                ft.Container(
                    ft.Text(x, size=13),
                    bgcolor="#F3ECE2",
                    border_radius=12,
                    padding=ft.Padding.symmetric(horizontal=10, vertical=4),
                )
                for x in items
            ]
            or [muted("—")],
        )

    return card(
        t(lang, "profile.preferences"),
        muted(t(lang, "profile.brands")),
        chips(c.preferred_brands),
        muted(t(lang, "profile.styles")),
        chips(c.styles),
        muted(t(lang, "profile.colours")),
        chips(c.colours),
    )


def consents_card(c: ClientDetail, lang: str) -> ft.Control:
    rows = []
    for ch in CHANNELS:
        x = c.consents.get(ch)
        value = history.consent_text(bool(x and x.granted), x.date if x else None, lang)
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
        for link in p.links
        if link.state != "matched"
    ]
    for r in p.receipts[:30]:
        items = ", ".join(x.name + (f" ({t(lang, 'profile.sale')})" if x.sale else "") for x in r.items)
        earned = " ".join(
            x
            for x in (
                points(lang, r.points_earned, signed=True) if r.points_earned > 0 else "",
                points(lang, -r.points_spent) if r.points_spent else "",
            )
            if x
        )
        rows.append(
            ft.Column(
                spacing=0,
                controls=[
                    ft.Row(
                        [
                            ft.Text(fmt.date(r.at, lang), weight=ft.FontWeight.W_600),
                            ft.Text(fmt.money(r.total, lang), weight=ft.FontWeight.W_600),
                            ft.Text(t(lang, "receipt.ref", r.i), color=theme.MUTED),
                            ft.Text(earned, color=theme.OK),
                        ],
                        spacing=12,
                        wrap=True,  # the points under the sum where the column is narrow
                    ),
                    muted(items),
                ],
            )
        )
    if not rows:
        rows = [muted(t(lang, "profile.no_purchases"))]
    return card(t(lang, "profile.purchases"), *rows, key="purchases")


def ledger_text(p: ProfileData, e: LedgerLine, lang: str) -> str:
    """The hub's own reason is English; the consultant reads the kind in her language,
    with the points it moved where that tells two lines apart (a purchase's points and
    its campaign bonus expiring on the same receipt)."""
    text = history.ledger_label(e.kind, e.source, e.points, e.campaign_id, e.reason, lang)
    r = p.receipt(e.receipt_id)
    if r:
        text += ", " + t(lang, "ledger.receipt", r.i)
    return text


def ledger_card(p: ProfileData, lang: str) -> ft.Control:
    rows: list[ft.Control] = [
        ft.Row(
            [
                ft.Text(fmt.date(e.at, lang), width=90, color=theme.MUTED),
                ft.Text(
                    fmt.number(e.points, lang, signed=True),
                    width=80,
                    text_align=ft.TextAlign.RIGHT,
                    color=theme.OK if e.points > 0 else theme.ERROR,
                ),
                ft.Text(ledger_text(p, e, lang), expand=True, tooltip=e.reason),
            ]
        )
        for e in p.ledger[:30]
        if e.points  # 0-point entries only mark a receipt as processed
    ]
    return card(t(lang, "profile.ledger"), *(rows or [muted("—")]))


def history_card(p: ProfileData, lang: str) -> ft.Control | None:
    entries = history.describe(p.history, lang, p.consultants)
    if not entries:
        return None
    rows = [
        ft.Column(
            spacing=0,
            controls=[
                ft.Text(e.heading, size=12, color=theme.WARN if e.pending else theme.MUTED),
                *(ft.Text(line) for line in e.lines),  # not selectable: Flet's web build hides those from semantics
            ],
        )
        for e in entries
    ]
    return card(t(lang, "profile.history"), *rows, key="history")


def pending_card(p: ProfileData, lang: str) -> ft.Control | None:
    """What this device queued for her: saved here and waiting for the hub, or refused (and what)."""
    if not p.pending:
        return None
    rows = [ft.Text(operations.line(x, lang), color=theme.ERROR if x.rejected else theme.WARN) for x in p.pending]
    return card(t(lang, "profile.local_pending"), *rows)


@ft.component
def ProfileScreen(
    profile: ProfileModel,
    ui: AppModel,
    scan_for: Callable[[str, str], None],
    forms: SignedFormsModel | None = None,
    register: RegisterModel | None = None,
    today: TodayModel | None = None,
) -> ft.Control:
    lang = ui.lang
    p = profile.data
    back = ft.TextButton(t(lang, "profile.back"), icon=ft.Icons.ARROW_BACK, on_click=lambda _: profile.close())
    if p is None:
        return ft.Column([back])
    c = p.client
    # Two rows: the actions never squeeze the name into a column of letters on a portrait tablet.
    actions = ft.Row(
        [
            ft.OutlinedButton(
                t(lang, "scan.from_profile"),
                icon=ft.Icons.QR_CODE_SCANNER,
                visible=not profile.editing,
                on_click=lambda _: scan_for(c.id, c.full_name),
            ),
            *(
                [OutreachButton(profile.outreach, ui, p, profile.editing)] if profile.outreach else []
            ),  # app.ui.outreach
            ft.FilledButton(
                t(lang, "profile.edit"),
                icon=ft.Icons.EDIT,
                on_click=lambda _: profile.start_edit(),
                visible=not profile.editing,
            ),
        ],
        wrap=True,
        expand=True,  # the room beside "back": on a phone the two buttons wrap within it
        alignment=ft.MainAxisAlignment.END,
    )
    header = ft.Column(
        [
            ft.Row([back, actions], alignment=ft.MainAxisAlignment.SPACE_BETWEEN),
            ft.Row(
                [
                    ft.Text(c.full_name, size=24, weight=ft.FontWeight.BOLD, expand=True),
                    ft.Container(
                        ft.Text(t(lang, "profile.pending_badge"), size=12, color=theme.WARN), visible=c.pending
                    ),
                    tier_badge(p.tier),
                ]
            ),
        ],
        spacing=4,
    )
    if profile.editing:
        return ft.Column([header, ProfileForm(profile, ui, profile.save, profile.cancel_edit)], expand=True)
    # The change history sits under the fields it is about (left), not under the purchases.
    left = [
        x
        for x in (
            loyalty_card(p, lang),
            privileges_card(p, lang),
            CounterPanel(profile.counter, c.id, lang),
            contacts_card(c, lang, p.consultant_name),
            AssignControl(today, ui, c.id, c.consultant_id, profile.load) if today else None,  # app.ui.today
            sizes_card(c, lang),
            preferences_card(c, lang),
            consents_card(c, lang),
            SignedFormsCard(forms, register, c, lang) if forms and register else None,
            history_card(p, lang),
        )
        if x
    ]
    right = [
        x
        for x in (
            pending_card(p, lang),
            OutreachCard(profile.outreach, ui, p) if profile.outreach is not None else None,  # app.ui.outreach
            purchases_card(p, lang),
            DiarySection(profile.diary, ui) if profile.diary is not None else None,  # app.ui.diary
            ledger_card(p, lang),
        )
        if x
    ]
    return ft.Column(
        expand=True,
        controls=[
            header,
            ft.ResponsiveRow(
                expand=True,
                controls=[
                    ft.Column(
                        left,
                        col={"xs": 12, "md": 5},
                        scroll=ft.ScrollMode.AUTO,
                        spacing=12,
                        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                    ),
                    ft.Column(
                        right,
                        col={"xs": 12, "md": 7},
                        scroll=ft.ScrollMode.AUTO,
                        spacing=12,
                        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                    ),
                ],
            ),
        ],
    )
