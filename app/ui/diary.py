"""The diary and communications on a client's profile: quick entry, tags, follow-ups, photos,
edit and delete with history, contacts (a call, a message, a visit).

One component (`DiarySection`) the profile places in its right column; its state is
app.state.diary.DiaryModel.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import flet as ft
from flet.components.hooks.use_ref import MutableRef

from app.cache.queries import DiaryEntry
from app.services import photos
from app.state.context import AppModel
from app.state.diary import TEMPLATES, DiaryModel
from app.ui import formatting as fmt
from app.ui import theme
from app.ui.strings import t

CONTACT_CHANNELS: tuple[tuple[str, str, ft.IconData], ...] = (
    ("calls", "diary.log_call", ft.Icons.CALL),
    ("messengers", "diary.log_message", ft.Icons.CHAT),
    ("visit", "diary.log_visit", ft.Icons.STOREFRONT),
)


def _card(title: str, *controls: ft.Control, key: str | None = None) -> ft.Control:
    return theme.panel(
        key=key,
        content=ft.Column(
            [ft.Text(title, size=15, weight=ft.FontWeight.W_600, color=theme.ACCENT), *controls], spacing=6
        ),
    )


def _muted(text: str) -> ft.Control:
    return ft.Text(text, color=theme.MUTED, size=13)


def _chip(label: str, selected: bool, on_click, key: str | None = None) -> ft.Control:
    return ft.Chip(
        key=key,
        label=ft.Text(label, size=13),
        selected=selected,
        selected_color="#E9DCC9",
        bgcolor="#F6F1EA",
        on_select=on_click,
    )


def _thumb(d: DiaryModel, sha: str, lang: str) -> ft.Control:
    src = d.thumbs.get(sha)

    async def open_full(_):
        await d.open_photo(sha)

    if not src:
        return ft.Container(width=72, height=72, bgcolor="#EFE7DC", border_radius=6, tooltip=t(lang, "diary.photo"))
    return ft.Container(
        content=ft.Image(src=src, width=72, height=72, fit=ft.BoxFit.COVER, border_radius=6),
        on_click=open_full,
        tooltip=t(lang, "diary.photo_open"),
    )


def composer(d: DiaryModel, lang: str, picker: ft.FilePicker) -> ft.Control:
    f = d.form

    def typed(e):
        d.set("text", e.control.value)

    def due(e):
        d.set("follow_up", e.control.value)

    def pin(e):
        d.set("pinned", bool(e.control.value))

    async def save(_):
        await d.save()

    async def cancel(_):
        await d.cancel()

    tags = (
        ft.Row(
            wrap=True,
            spacing=6,
            controls=[
                _chip(x, x in (f.get("tags") or ()), lambda _, x=x: d.toggle_tag(x), key=f"tag-{x}")
                for x in d.brand_tags
            ],
        )
        if d.brand_tags
        else _muted(t(lang, "diary.no_tags"))
    )
    shots: list[ft.Control] = [
        ft.Stack(
            [
                _thumb(d, sha, lang),
                ft.IconButton(
                    ft.Icons.CLOSE,
                    icon_size=14,
                    right=-8,
                    top=-8,
                    tooltip=t(lang, "diary.photo_remove"),
                    on_click=lambda _, s=sha: d.remove_photo(s),
                ),
            ],
            width=76,
            height=76,
        )
        for sha in f.get("photos") or ()
    ]
    return ft.Column(
        spacing=6,
        controls=[
            ft.TextField(
                label=t(lang, "diary.text"),
                value=f.get("text") or "",
                on_change=typed,
                multiline=True,
                min_lines=2,
                max_lines=6,
                autofocus=True,
            ),
            _muted(t(lang, "diary.tags")),
            tags,
            ft.Row(
                [
                    ft.TextField(
                        label=t(lang, "diary.follow_up"),
                        value=f.get("follow_up") or "",
                        on_change=due,
                        width=330,
                        prefix_icon=ft.Icons.EVENT,
                    ),
                    ft.Checkbox(label=t(lang, "diary.pin"), value=bool(f.get("pinned")), on_change=pin),
                    ft.OutlinedButton(
                        t(lang, "diary.photo"),
                        icon=ft.Icons.ADD_A_PHOTO,
                        action=ft.PickFiles(picker, file_type=ft.FilePickerFileType.ANY),
                    ),
                ],
                wrap=True,
            ),
            ft.Row(shots, wrap=True, visible=bool(shots)),
            ft.Text(t(lang, d.error), color=theme.ERROR, visible=d.error is not None),
            ft.Row(
                [
                    ft.FilledButton(t(lang, "diary.save"), icon=ft.Icons.SAVE, on_click=save),
                    ft.TextButton(t(lang, "diary.cancel"), on_click=cancel),
                ]
            ),
        ],
    )


def entry_row(d: DiaryModel, e: DiaryEntry, lang: str) -> ft.Control:
    head: list[ft.Control] = [ft.Text(fmt.date_time(e.created_at or e.updated_at, lang), color=theme.MUTED, size=12)]
    head.append(ft.Text(e.author_name or "", color=theme.MUTED, size=12))
    if e.edited_by and e.edited_by != e.author_name:
        head.append(ft.Text(t(lang, "diary.edited_by", e.edited_by), color=theme.MUTED, size=12))
    if e.pinned:
        head.append(ft.Text("📌 " + t(lang, "diary.pinned"), size=12))
    if e.pending:
        head.append(ft.Text(t(lang, "diary.pending"), size=12, color=theme.WARN))
    body: list[ft.Control] = [ft.Row(head, wrap=True, spacing=8), ft.Text(e.text)]
    if e.tags:
        body.append(ft.Row([_muted("#" + x) for x in e.tags], wrap=True, spacing=6))
    if e.follow_up:
        body.append(follow_up_line(d, e, lang))
    if e.photos:
        body.append(ft.Row([_thumb(d, s, lang) for s in e.photos], wrap=True, spacing=6))

    async def history(_):
        await d.show_history(None if d.history_of == e.id else e.id)

    async def delete(_):
        await d.delete(e.id)

    actions: list[ft.Control] = [ft.TextButton(t(lang, "diary.history"), icon=ft.Icons.HISTORY, on_click=history)]
    if d.may_change(e):
        actions.insert(0, ft.TextButton(t(lang, "diary.edit"), icon=ft.Icons.EDIT, on_click=lambda _: d.edit(e)))
        actions.append(ft.TextButton(t(lang, "diary.delete"), icon=ft.Icons.DELETE_OUTLINE, on_click=delete))
    body.append(ft.Row(actions, spacing=0))
    if d.history_of == e.id:
        body.append(history_panel(d, lang))
    return ft.Container(
        content=ft.Column(body, spacing=2),
        padding=ft.Padding.only(bottom=6),
        border=ft.Border.only(bottom=ft.BorderSide(1, "#F0E9DF")),
    )


def follow_up_line(d: DiaryModel, e: DiaryEntry, lang: str) -> ft.Control:
    async def done(_):
        await d.follow_up_done(e.id)

    async def move(ev):
        await d.move_follow_up(e.id, ev.control.value)

    when = t(lang, "diary.follow_up_on", fmt.date(e.follow_up, lang))
    if e.follow_up_done:
        return _muted(f"✓ {when}")
    return ft.Row(
        [
            ft.Icon(ft.Icons.EVENT, size=16, color=theme.WARN),
            ft.Text(when, color=theme.WARN),
            ft.TextButton(t(lang, "diary.follow_up_done_label"), on_click=done),
            ft.TextField(
                label=t(lang, "diary.follow_up_move"), width=170, dense=True, on_submit=move, visible=d.may_change(e)
            ),
        ],
        wrap=True,
    )


def history_panel(d: DiaryModel, lang: str) -> ft.Control:
    rows = [
        ft.Column(
            spacing=0,
            controls=[
                _muted(
                    f"{fmt.date_time(r.at, lang)} · {r.author_name or ''} · {t(lang, 'diary.rev_' + r.kind)}"
                    + (f" · {t(lang, 'diary.pending')}" if r.pending else "")
                ),
                ft.Text(r.text or "—"),
            ],
        )
        for r in d.history
    ]
    return ft.Container(
        bgcolor="#FAF7F2",
        border_radius=8,
        padding=10,
        content=ft.Column([ft.Text(t(lang, "diary.history_title"), weight=ft.FontWeight.W_600), *rows], spacing=4),
    )


def diary_card(d: DiaryModel, lang: str, picker: ft.FilePicker) -> ft.Control:
    async def more(_):
        await d.more()

    controls: list[ft.Control] = []
    if d.full_photo:

        async def close(_):
            await d.open_photo(None)

        controls.append(
            ft.Column(
                [
                    ft.Image(src=d.full_photo, fit=ft.BoxFit.CONTAIN, width=560),
                    ft.TextButton(t(lang, "diary.close"), icon=ft.Icons.CLOSE, on_click=close),
                ]
            )
        )
    if d.composing:
        controls.append(composer(d, lang, picker))
    else:
        controls.append(
            ft.Row(
                wrap=True,
                spacing=6,
                controls=[
                    ft.FilledButton(t(lang, "diary.new"), icon=ft.Icons.ADD_COMMENT, on_click=lambda _: d.start()),
                    *(
                        ft.OutlinedButton(t(lang, key + "_label"), on_click=lambda _, k=key: d.start(k, t(lang, k)))
                        for key in TEMPLATES
                    ),
                ],
            )
        )
    if d.client_tags:

        async def pick(_, tag: str | None):
            await d.filter_tag(tag)

        controls.append(
            ft.Row(
                wrap=True,
                spacing=6,
                controls=[
                    _chip(t(lang, "diary.all_tags"), d.tag is None, lambda e: pick(e, None)),
                    *(_chip("#" + x, d.tag == x, lambda e, x=x: pick(e, x)) for x in d.client_tags),
                ],
            )
        )
    rows = [entry_row(d, e, lang) for e in d.entries]
    if not rows:
        rows = [_muted(t(lang, "diary.no_entries_tag" if d.tag else "diary.no_entries"))]
    controls += rows
    if d.cursor is not None:
        controls.append(ft.TextButton(t(lang, "diary.more"), icon=ft.Icons.EXPAND_MORE, on_click=more))
    return _card(t(lang, "profile.diary"), *controls, key="diary")


def follow_ups_card(d: DiaryModel, lang: str) -> ft.Control | None:
    if not d.follow_ups:
        return None
    return _card(
        t(lang, "diary.follow_ups"),
        *(
            ft.Row([ft.Text(fmt.date(x.due, lang), color=theme.WARN, width=100), ft.Text(x.text, expand=True)])
            for x in d.follow_ups
        ),
        key="follow-ups",
    )


def communications_card(d: DiaryModel, lang: str) -> ft.Control:
    def channel(e):
        d.set_contact("channel", e.control.value)

    def typed(e):
        d.set_contact("text", e.control.value)

    def due(e):
        d.set_contact("follow_up", e.control.value)

    async def log(_):
        await d.log_contact()

    controls: list[ft.Control] = [
        ft.Row(
            wrap=True,
            spacing=6,
            controls=[
                ft.OutlinedButton(t(lang, key), icon=icon, on_click=lambda _, c=c: d.open_contact(c))
                for c, key, icon in CONTACT_CHANNELS
            ],
        )
    ]
    if d.contact_open:
        controls.append(
            ft.Column(
                spacing=6,
                controls=[
                    ft.RadioGroup(
                        value=d.contact.get("channel"),
                        on_change=channel,
                        content=ft.Row(
                            [ft.Radio(value=c, label=t(lang, f"diary.channel.{c}")) for c, _, _ in CONTACT_CHANNELS]
                        ),
                    ),
                    ft.TextField(
                        label=t(lang, "diary.contact_text"),
                        value=d.contact.get("text") or "",
                        on_change=typed,
                        multiline=True,
                        min_lines=1,
                        max_lines=4,
                        autofocus=True,
                    ),
                    ft.TextField(
                        label=t(lang, "diary.follow_up"),
                        value=d.contact.get("follow_up") or "",
                        on_change=due,
                        width=330,
                        prefix_icon=ft.Icons.EVENT,
                    ),
                    ft.Text(t(lang, d.contact_error), color=theme.ERROR, visible=d.contact_error is not None),
                    ft.FilledButton(t(lang, "diary.contact_save"), icon=ft.Icons.SAVE, on_click=log),
                ],
            )
        )
    rows: list[ft.Control] = [
        ft.Column(
            spacing=0,
            controls=[
                _muted(
                    f"{fmt.date_time(x.at, lang)} · {t(lang, f'diary.channel.{x.channel or x.kind}')}"
                    f" · {x.author_name or ''}" + (f" · {t(lang, 'diary.pending')}" if x.pending else "")
                ),
                ft.Text(x.text),
            ],
        )
        for x in d.communications
    ] or [_muted(t(lang, "diary.no_communications"))]
    return _card(t(lang, "diary.communications"), *controls, *rows, key="communications")


@ft.component
def DiarySection(d: DiaryModel, ui: AppModel) -> ft.Control:
    lang = ui.lang
    upload: MutableRef[Path | None] = ft.use_ref(None)  # where the browser is sending a picked photo

    async def picked(e: ft.FilePickerResultEvent):
        """A file picked: its size checked first (a 30 MB file is never read); on the desktop
        read from its path, in a browser sent to the upload folder (not the page's socket)."""
        if not e.files:
            return
        f = e.files[0]
        if f.size > photos.MAX_FILE_BYTES:
            await d.add_photo(None, f.size)
        elif f.bytes is not None:
            await d.add_photo(f.bytes, f.size)
        elif f.path:
            await d.add_photo(await asyncio.to_thread(Path(f.path).read_bytes), f.size)
        elif (folder := d.upload_dir) is not None:
            name = f"{uuid.uuid4().hex}.upload"
            upload.current = folder / name
            url = e.control.page.get_upload_url(name, 300)
            await e.control.upload([ft.FilePickerUploadFile(upload_url=url, id=f.id)])
        else:
            await d.add_photo(None)

    async def uploaded(e: ft.FilePickerUploadEvent):
        target = upload.current
        if target is None or (e.error is None and (e.progress or 0) < 1):
            return
        upload.current = None
        content = None if e.error else await asyncio.to_thread(_take, target)
        await d.add_photo(content)

    # One picker for the section's life (its result arrives on it), as the scan screen keeps one.
    kept: MutableRef[ft.FilePicker] = ft.use_ref(None)
    if kept.current is None:
        kept.current = ft.FilePicker(on_result=picked, on_upload=uploaded)
    picker = kept.current
    cards = [follow_ups_card(d, lang), diary_card(d, lang, picker), communications_card(d, lang)]
    return ft.Column(
        [c for c in cards if c is not None], spacing=12, horizontal_alignment=ft.CrossAxisAlignment.STRETCH
    )


def _take(path: Path) -> bytes | None:
    """An uploaded file's bytes, and the file gone (it is not encrypted: it must not stay)."""
    try:
        return path.read_bytes()
    except OSError:
        return None
    finally:
        path.unlink(missing_ok=True)
