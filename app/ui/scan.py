"""Receipt scanning: a handheld scanner, a photo file or a screenshot; then one tap to link.

A USB/Bluetooth scanner types the code into the focused field and presses Enter. A photo
is decoded on the device, off the event loop. The sum and date show at once from the
QR; items and points follow when the hub has matched the receipt with the till's copy.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft
from flet.components.hooks.use_ref import MutableRef

from app.cache.queries import ReceiptRef
from app.services.scanning.receipt_qr import ReceiptQR
from app.state.camera import CameraModel
from app.state.context import AppModel
from app.state.scan import ScanModel
from app.ui import formatting, theme
from app.ui.camera import CameraView, camera_possible
from app.ui.operations import holder_text, link_day, lower_first, receipt_ref, rejection
from app.ui.strings import t

TYPE_KEYS = {1: "scan.type_sale", 2: "scan.type_return", 3: "scan.type_expense", 4: "scan.type_expense_return"}


def receipt_card(r: ReceiptQR, lang: str) -> ft.Control:
    return theme.panel(
        content=ft.Column(
            spacing=4,
            controls=[
                ft.Text(t(lang, TYPE_KEYS.get(r.n, "scan.type_sale")), color=theme.MUTED),
                ft.Text(formatting.money(r.s, lang, exact=True), size=28, weight=ft.FontWeight.BOLD),
                ft.Text(formatting.date_time(r.t, lang)),
                ft.Text(t(lang, "scan.fiscal", r.fn, r.i, r.fp), color=theme.MUTED, size=12),
            ],
        ),
    )


def link_result(s: ScanModel, lang: str) -> tuple[str, str] | None:
    """What the screen says about the staged receipt's link, and in which colour: refused
    here, queued (saved or sent), then accepted or refused by the hub."""
    if s.receipt is None:
        return None
    ref = receipt_ref(ReceiptRef(s.receipt.i, s.receipt.s, s.receipt.t.isoformat()), lang)
    if s.holder is not None:
        if s.taken:
            return t(lang, "scan.taken", ref, holder_text(s.holder, lang)), theme.ERROR
        since = t(lang, "link.holder_since", link_day(s.holder.link.at, lang)) if s.holder.link.at else ""
        return t(lang, "scan.already_this", ref, since), theme.OK
    out = s.outcome
    if out is None:
        return None
    match out.state:
        case "rejected":
            refused = out.operation or out.link
            why = lower_first(rejection(refused, lang)).rstrip(".") if refused is not None else ""
            text = t(lang, "scan.link_rejected", ref, why)
            if out.holder is not None:
                text += t(lang, "scan.held_by", holder_text(out.holder, lang))
            return text, theme.ERROR
        case "matched":
            return t(lang, "scan.link_matched", ref, s.client_name), theme.OK
        case "waiting":  # the hub took the link; the till's copy is still to come
            return t(lang, "scan.link_waiting", ref, s.client_name), theme.OK
        case _:
            return t(lang, "scan.link_saved" if s.offline else "scan.link_sent", ref), theme.WARN


@ft.component
def ScanScreen(
    s: ScanModel,
    ui: AppModel,
    open_client: Callable[[str], Awaitable[None]],
    focus_requests: int = 0,
    cam: CameraModel | None = None,
) -> ft.Control:
    """The scanner field is always ready for a handheld scanner: focused when the screen opens,
    when a shortcut asks (`focus_requests`), and again after each scan and each action. The
    live camera (`cam`) where Flet has one."""
    lang = ui.lang
    field: ft.Ref[ft.TextField] = ft.Ref()

    async def ready() -> None:
        if field.current is not None:
            await field.current.focus()

    ft.use_effect(ready, [focus_requests])

    async def picked(e: ft.FilePickerResultEvent):
        if e.files and e.files[0].bytes:
            await s.scan_image(e.files[0].bytes)
        await ready()

    # One picker for the screen's life (its result arrives on it); made once, as making one
    # registers it with the page.
    kept: MutableRef[ft.FilePicker] = ft.use_ref(None)
    if kept.current is None:
        kept.current = ft.FilePicker(on_result=picked)
    picker = kept.current

    async def submit(e):
        await s.scan_text(e.control.value)
        await e.control.focus()  # the next receipt may be scanned at once

    def typed(e):
        s.text = e.control.value

    async def find(e):
        await s.find_client(e.control.value)

    async def link(_):
        await s.link()
        await ready()

    async def open_profile(_):
        if s.client_id:
            await open_client(s.client_id)

    controls: list[ft.Control] = [
        ft.Text(t(lang, "scan.title"), size=22, weight=ft.FontWeight.BOLD),
        ft.Text(t(lang, "scan.hint"), color=theme.MUTED),
        # The field and the photo button side by side; on a phone one above the other, so
        # the field's label keeps one line.
        ft.ResponsiveRow(
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[
                ft.TextField(
                    ref=field,
                    label=t(lang, "scan.field"),
                    value=s.text,
                    on_change=typed,
                    on_submit=submit,
                    autofocus=True,
                    prefix_icon=ft.Icons.QR_CODE_2,
                    col={"xs": 12, "sm": 8, "lg": 9},
                ),
                ft.Container(
                    ft.FilledButton(
                        t(lang, "scan.photo"),
                        icon=ft.Icons.PHOTO_CAMERA,
                        action=ft.PickFiles(picker, with_data=True, file_type=ft.FilePickerFileType.IMAGE),
                    ),
                    col={"xs": 12, "sm": 4, "lg": 3},
                ),
                # The live camera where Flet has one (browser, Android, iOS); a desktop window keeps
                # the photo file and the handheld scanner.
                *(
                    [
                        ft.Container(
                            ft.FilledButton(
                                t(lang, "camera.open"), icon=ft.Icons.CAMERA_ALT, on_click=lambda _: cam.show()
                            ),
                            col={"xs": 12, "sm": 4, "lg": 3},
                        )
                    ]
                    if cam is not None and camera_possible() and not cam.shown
                    else []
                ),
            ],
        ),
        *([CameraView(cam, s, lang)] if cam is not None and cam.shown else []),
        ft.ProgressBar(visible=s.busy),
    ]
    if s.message:
        controls.append(ft.Text(t(lang, s.message), color=theme.ERROR if s.error else theme.OK))
    result = link_result(s, lang)
    if result is not None:
        controls.append(ft.Text(result[0], color=result[1], weight=ft.FontWeight.W_600))
    if s.receipt:
        controls.append(receipt_card(s.receipt, lang))
        if s.client_id:
            controls.append(
                ft.Row(
                    [
                        ft.Icon(ft.Icons.PERSON),
                        ft.Text(s.client_name, weight=ft.FontWeight.W_600, expand=True),
                        ft.TextButton(t(lang, "scan.other_client"), on_click=lambda _: s.choose_client(None, "")),
                    ]
                )
            )
            if not s.linked:
                controls.append(ft.FilledButton(t(lang, "scan.link"), icon=ft.Icons.LINK, on_click=link))
            else:
                controls.append(
                    ft.TextButton(t(lang, "scan.open_profile"), icon=ft.Icons.PERSON_SEARCH, on_click=open_profile)
                )
        else:
            controls.append(
                ft.TextField(
                    label=t(lang, "scan.find_client"), value=s.query, on_change=find, prefix_icon=ft.Icons.SEARCH
                )
            )
            for row in s.candidates:
                controls.append(
                    ft.ListTile(
                        title=ft.Text(row.full_name),
                        subtitle=ft.Text(row.masked_phone),
                        on_click=lambda _, cid=row.id, n=row.full_name: s.choose_client(cid, n),
                    )
                )
    return ft.Column(controls, expand=True, scroll=ft.ScrollMode.AUTO, spacing=12)
