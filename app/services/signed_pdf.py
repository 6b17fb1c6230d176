"""The signed registration as a PDF (fpdf2, DejaVu Sans for Cyrillic).

Page 1 is the questionnaire: the operator, the client's answers, each consent's decision
and text version, the signature, date, store and consultant. Then each consent on a page
of its own (152-FZ wants the consent to processing apart from other documents; 38-FZ's are
per channel): its full text, version, decision and the signature under it. Every page's
foot carries the form's SHA-256 (`signed_form.form_sha256`), so a printout names the
record it came from.

The same input gives the same bytes (the creation date is the signing time; no clock, no
random ids), so the PDF's own hash is stable too.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from pydantic import BaseModel, ConfigDict, Field

from app.services import consent_texts
from app.services.consent_texts import ConsentText, Language
from app.services.phones import format_phone
from app.services.signature import render_png
from app.services.signed_form import ConsentDecision, SignedForm, form_sha256

FONTS_DIR = Path(__file__).resolve().parents[2] / "assets" / "fonts"
FONT = "DejaVu"
INK = (20, 20, 20)
MUTED = (110, 110, 110)
RULE = (200, 200, 200)
SIGNATURE_PX = 1000  # printed 80 mm wide on the form: about 320 dpi


class Operator(BaseModel):
    """Who processes the data (152-FZ's operator): printed at the top of the document."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1)
    address: str = Field(min_length=1)
    inn: str = ""


class SignedPdfInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    form: SignedForm
    operator: Operator
    language: Language = "ru"  # of the labels; each consent's text is in the language she read


class ConsentTextMismatch(ValueError):
    """The stored text of a consent is not the one the form records (its sha256 differs)."""


_LABELS: dict[str, dict[str, str]] = {
    "ru": {
        "title": "Анкета клиента",
        "form": "Анкета",
        "operator": "Оператор персональных данных",
        "inn": "ИНН",
        "client": "Данные клиента",
        "surname": "Фамилия",
        "name": "Имя",
        "patronymic": "Отчество",
        "phone": "Телефон",
        "email": "Эл. почта",
        "birthday": "Дата рождения",
        "gender": "Пол",
        "sizes": "Размеры",
        "preferred_brands": "Предпочитаемые бренды",
        "heard_from": "Откуда узнали о бутике",
        "referral_code": "Реферальный код",
        "consents": "Согласия",
        "version": "версия",
        "granted": "дано",
        "refused": "не дано",
        "decision": "Решение клиента",
        "signature": "Подпись клиента",
        "signed_at": "Дата и время подписания",
        "store": "Бутик",
        "consultant": "Консультант",
        "sha": "SHA-256 анкеты",
        "page": "стр.",
        "female": "женский",
        "male": "мужской",
        "clothing": "одежда",
        "shoes": "обувь",
        "ring": "кольцо",
        "none": "—",
    },
    "en": {
        "title": "Client questionnaire",
        "form": "Form",
        "operator": "Personal data operator",
        "inn": "INN",
        "client": "Client details",
        "surname": "Surname",
        "name": "Name",
        "patronymic": "Patronymic",
        "phone": "Phone",
        "email": "E-mail",
        "birthday": "Date of birth",
        "gender": "Gender",
        "sizes": "Sizes",
        "preferred_brands": "Preferred brands",
        "heard_from": "Heard of the boutique from",
        "referral_code": "Referral code",
        "consents": "Consents",
        "version": "version",
        "granted": "granted",
        "refused": "not granted",
        "decision": "Client's decision",
        "signature": "Client's signature",
        "signed_at": "Signed at",
        "store": "Boutique",
        "consultant": "Consultant",
        "sha": "Form SHA-256",
        "page": "p.",
        "female": "female",
        "male": "male",
        "clothing": "clothing",
        "shoes": "shoes",
        "ring": "ring",
        "none": "—",
    },
}


class _Document(FPDF):
    def __init__(self, labels: dict[str, str], sha: str) -> None:
        super().__init__(format="A4", unit="mm")
        self._labels, self._sha = labels, sha
        self.set_margins(18, 14, 18)
        self.set_auto_page_break(True, margin=18)
        self.add_font(FONT, "", str(FONTS_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS_DIR / "DejaVuSans-Bold.ttf"))
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-14)
        self.set_draw_color(*RULE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1.5)
        self.set_text_color(*MUTED)
        self.set_font(FONT, "", 7)
        self.cell(0, 4, f"{self._labels['sha']}: {self._sha}", new_x=XPos.LMARGIN)
        self.cell(0, 4, f"{self._labels['page']} {self.page_no()}/{{nb}}", align=Align.R)
        self.set_text_color(*INK)


def _texts(form: SignedForm) -> dict[str, ConsentText]:
    """Each decision's text, checked against the sha256 the form recorded."""
    out: dict[str, ConsentText] = {}
    for c in form.consents:
        text = consent_texts.load(c.purpose, c.language, c.version)
        if text.sha256 != c.text_sha256:
            raise ConsentTextMismatch(f"{c.purpose}.v{c.version}.{c.language}: the stored text differs")
        out[c.purpose] = text
    return out


def _value_rows(form: SignedForm, lb: dict[str, str], language: str) -> list[tuple[str, str]]:
    d = form.data
    sizes = ", ".join(f"{lb.get(k, k)} {v}" for k, v in d.sizes.items() if v)
    birthday = ""
    if d.birthday is not None:
        birthday = d.birthday.strftime("%d.%m.%Y") if language == "ru" else d.birthday.isoformat()
    values = {
        "surname": d.surname,
        "name": d.name,
        "patronymic": d.patronymic,
        "phone": format_phone(d.phone) if d.phone else "",
        "email": d.email,
        "birthday": birthday,
        "gender": lb.get(d.gender, "") if d.gender else "",
        "sizes": sizes,
        "preferred_brands": ", ".join(d.preferred_brands),
        "heard_from": d.heard_from,
        "referral_code": d.referral_code,
    }
    return [(lb[k], v or lb["none"]) for k, v in values.items()]


def _when(form: SignedForm) -> str:
    at = form.signed_at
    offset = at.strftime("%z")
    return f"{at.strftime('%d.%m.%Y %H:%M')} (UTC{offset[:3]}:{offset[3:]})"


def _decision(c: ConsentDecision, lb: dict[str, str]) -> str:
    return f"☑ {lb['granted']}" if c.granted else f"☐ {lb['refused']}"


@dataclass(frozen=True, slots=True)
class SignedArtifacts:
    """What a signed registration leaves: the hashes for the record, the blobs to upload."""

    form_sha256: str  # the canonical hash printed on the pages (signed_form)
    pdf: bytes
    pdf_sha256: str
    signature_png: bytes  # the rendering embedded in the PDF
    signature_sha256: str


def build(doc: SignedPdfInput) -> SignedArtifacts:
    png = render_png(doc.form.signature, width_px=SIGNATURE_PX)
    pdf = _render(doc, png)
    return SignedArtifacts(
        form_sha256=form_sha256(doc.form),
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        signature_png=png,
        signature_sha256=hashlib.sha256(png).hexdigest(),
    )


def render(doc: SignedPdfInput) -> bytes:
    """The PDF's bytes."""
    return _render(doc, render_png(doc.form.signature, width_px=SIGNATURE_PX))


def _render(doc: SignedPdfInput, signature_png: bytes) -> bytes:
    form, lb = doc.form, _LABELS[doc.language]
    sha = form_sha256(form)
    texts = _texts(form)
    sig_png = io.BytesIO(signature_png)

    pdf = _Document(lb, sha)
    pdf.set_creation_date(form.signed_at)
    pdf.set_title(f"{lb['title']} {form.form_id}")
    pdf.set_lang(doc.language)
    pdf.set_author(doc.operator.name)
    pdf.set_text_color(*INK)
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def heading(text: str, size: float) -> None:
        pdf.set_font(FONT, "B", size)
        pdf.multi_cell(width, size * 0.5, text, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(size * 0.15)

    def signature_block(box_w: float, box_h: float, decision: str | None = None) -> None:
        """The signature on the right over its line; when, where, with whom (and the decision) left."""
        if pdf.will_page_break(box_h + 9):  # the block is never split from its decision
            pdf.add_page()
        top = pdf.get_y()
        left_w = width - box_w - 6
        if decision is not None:
            pdf.set_font(FONT, "B", 10)
            pdf.cell(left_w, 6, decision, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
        pdf.set_font(FONT, "", 8.5)
        meta = [
            f"{lb['signed_at']}: {_when(form)}",
            f"{lb['store']}: {form.store}",
            f"{lb['consultant']}: {form.consultant}",
        ]
        pdf.multi_cell(left_w, 4.4, "\n".join(meta), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        text_bottom = pdf.get_y()
        x = pdf.l_margin + width - box_w
        pdf.image(sig_png, x=x, y=top, w=box_w, h=box_h, keep_aspect_ratio=True)
        pdf.set_draw_color(*INK)
        pdf.line(x, top + box_h + 1, x + box_w, top + box_h + 1)
        pdf.set_xy(x, top + box_h + 1.5)
        pdf.set_text_color(*MUTED)
        pdf.set_font(FONT, "", 7.5)
        pdf.cell(box_w, 4, lb["signature"], align=Align.C)
        pdf.set_text_color(*INK)
        pdf.set_xy(pdf.l_margin, max(text_bottom, top + box_h + 6) + 2)

    # --- page 1: the questionnaire -------------------------------------------------------
    pdf.add_page()
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(*MUTED)
    op = doc.operator
    op_line = f"{lb['operator']}: {op.name}, {op.address}" + (f", {lb['inn']} {op.inn}" if op.inn else "")
    pdf.multi_cell(width, 4, op_line, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.ln(4)
    heading(lb["title"], 16)
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(*MUTED)
    pdf.cell(width, 5, f"{lb['form']} {form.form_id} · {_when(form)}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.ln(4)

    heading(lb["client"], 11)
    label_w = 52.0
    pdf.set_draw_color(*RULE)
    for label, value in _value_rows(form, lb, doc.language):
        pdf.set_font(FONT, "", 8.5)
        pdf.set_text_color(*MUTED)
        y = pdf.get_y()
        pdf.multi_cell(label_w, 6, label, align=Align.L, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.set_text_color(*INK)
        pdf.set_font(FONT, "", 10)
        pdf.multi_cell(width - label_w, 6, value, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(max(pdf.get_y(), y + 6))
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(6)

    heading(lb["consents"], 11)
    for c in sorted(form.consents, key=lambda c: consent_texts.PURPOSES.index(c.purpose)):
        text = texts[c.purpose]
        pdf.set_font(FONT, "", 9.5)
        pdf.cell(34, 6, _decision(c, lb), new_x=XPos.RIGHT)
        pdf.multi_cell(
            width - 34,
            6,
            f"{text.title} ({lb['version']} {c.version}, {c.language})",
            align=Align.L,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.ln(6)
    signature_block(80, 30)

    # --- the consent texts ----------------------------------------------------------------
    # Each consent is its own document (152-FZ art. 9 wants the processing consent apart from
    # other documents; 38-FZ consents are per channel), each on its own page with the signature.
    for c in sorted(form.consents, key=lambda c: consent_texts.PURPOSES.index(c.purpose)):
        text = texts[c.purpose]
        pdf.add_page()
        _markdown(pdf, text.text, width)
        pdf.set_font(FONT, "", 8)
        pdf.set_text_color(*MUTED)
        pdf.cell(width, 5, f"{lb['version']} {c.version}, {c.language}, SHA-256 {text.sha256[:16]}…")
        pdf.ln(6)
        pdf.set_text_color(*INK)
        signature_block(60, 20, f"{lb['decision']}: {_decision(c, lb)}")

    return bytes(pdf.output())


def _markdown(pdf: FPDF, text: str, width: float) -> None:
    """The consent texts' small Markdown: `#`, `##` headings, `- ` items, paragraphs.

    Ragged right: without hyphenation, justified Russian legal text opens wide gaps."""
    for block in text.split("\n\n"):
        block = block.strip()
        if not block:
            continue
        if block.startswith("# "):
            pdf.set_font(FONT, "B", 13)
            pdf.multi_cell(width, 6.5, block[2:], align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(2)
        elif block.startswith("## "):
            pdf.set_font(FONT, "B", 10)
            if pdf.will_page_break(14):  # not a heading alone at a page's foot
                pdf.add_page()
            pdf.ln(1)
            pdf.multi_cell(width, 5.5, block[3:], align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(0.5)
        else:
            pdf.set_font(FONT, "", 8.5)
            for line in block.split("\n"):
                if line.startswith("- "):
                    pdf.set_x(pdf.l_margin + 2)
                    pdf.cell(4, 4.2, "•")
                    pdf.multi_cell(width - 6, 4.2, line[2:], align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                else:
                    pdf.multi_cell(width, 4.2, line, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1.2)
