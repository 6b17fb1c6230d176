"""Outreach rules both ends apply: message templates and their placeholders, which consent
each channel needs, and the link that opens the device's own channel with the text in it.

Templates are brand data (the hub's `outreach_templates`, published to the devices as the
`outreach_templates` entity); the defaults below are what a new brand and the demo start
with. A text names profile values as `{placeholder}`; a part in square brackets is kept
only when every placeholder in it has a value ("Здравствуйте[, {name}]!" reads
"Здравствуйте!" for a client with no name on file), so a sent text never shows a brace.

A channel is usable only with her consent to its purpose (152-FZ, 38-FZ "On advertising"):
SMS needs `sms`, e-mail `email`, WhatsApp and Telegram `messengers`, a call `calls`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

OCCASIONS = ("birthday", "points_expiring", "private_sale", "after_purchase", "welcome", "free")
LANGS = ("ru", "en")
PLACEHOLDERS = (
    "name",  # how she is addressed: "Анна Сергеевна" (first name and patronymic), "Anna"
    "first_name",
    "points",  # her balance with its word: "4 644 балла"
    "expiring_points",  # the nearest expiry's amount: "1 200 баллов"
    "expiry_date",  # its day: "12 декабря"
    "consultant",
    "store",
)
CHANNELS = ("sms", "email", "whatsapp", "telegram", "call")
PURPOSE = {"sms": "sms", "email": "email", "whatsapp": "messengers", "telegram": "messengers", "call": "calls"}
"""The consent purpose (sync.models.CONSENT_PURPOSES) each channel needs."""
LOG_CHANNEL = PURPOSE
"""The contact.log channel a send is recorded under (the same words as the consents)."""
MAX_TEXT = 4000

_FIELD = re.compile(r"\{([a-z_]+)\}")
_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")


class TemplateError(ValueError):
    """A template a brand may not store: unknown occasion, language or placeholder."""


@dataclass(frozen=True, slots=True)
class Template:
    id: str
    occasion: str
    lang: str
    title: str
    text: str

    @classmethod
    def from_data(cls, d: Mapping) -> Template:
        return cls(str(d["id"]), str(d["occasion"]), str(d["lang"]), str(d.get("title") or ""), str(d["text"]))

    def to_data(self) -> dict[str, str]:
        return {"id": self.id, "occasion": self.occasion, "lang": self.lang, "title": self.title, "text": self.text}


def check_template(t: Template) -> Template:
    """`t` when a brand may store it; TemplateError naming what is wrong."""
    if t.occasion not in OCCASIONS:
        raise TemplateError(f"unknown occasion {t.occasion!r} (one of {', '.join(OCCASIONS)})")
    if t.lang not in LANGS:
        raise TemplateError(f"unknown language {t.lang!r} (ru or en)")
    if not t.id or len(t.id) > 40 or not re.fullmatch(r"[a-z0-9_.-]+", t.id):
        raise TemplateError("a template id is 1-40 of a-z, 0-9, '.', '_', '-'")
    if not 0 < len(t.title) <= 80:
        raise TemplateError("a title is 1-80 characters")
    if len(t.text) > MAX_TEXT:
        raise TemplateError(f"a text is at most {MAX_TEXT} characters")
    unknown = sorted(set(_FIELD.findall(t.text)) - set(PLACEHOLDERS))
    if unknown:
        raise TemplateError(f"unknown placeholder(s) {', '.join(unknown)} (known: {', '.join(PLACEHOLDERS)})")
    return t


def fill(text: str, values: Mapping[str, str | None]) -> str:
    """The text with each `{placeholder}` replaced by its value.

    A bracketed part is dropped when a placeholder in it has no value (kept, without its
    brackets, otherwise); a placeholder outside brackets with no value (or an unknown one)
    becomes nothing, and the space or comma it leaves is tidied. Never a brace in the result.
    """

    def value(m: re.Match) -> str:
        return (values.get(m.group(1)) or "").strip()

    def optional(m: re.Match) -> str:
        part = m.group(1)
        if all((values.get(k) or "").strip() for k in _FIELD.findall(part)):
            return _FIELD.sub(value, part)
        return ""

    out = _OPTIONAL.sub(optional, text)
    out = _FIELD.sub(value, out)
    out = re.sub(r"[ \t]+([,.!?;:])", r"\1", out)  # "Здравствуйте ," -> "Здравствуйте,"
    out = re.sub(r",(\s*[,.!?])", r"\1", out)  # "Здравствуйте, !" -> "Здравствуйте!"
    out = re.sub(r"[ \t]{2,}", " ", out)
    return "\n".join(line.strip() for line in out.split("\n")).strip()


# --- the values a profile gives ----------------------------------------------------------

_MONTHS = {
    "ru": (
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
_POINTS = {"ru": ("балл", "балла", "баллов"), "en": ("point", "points", "points")}


def points_text(n: int, lang: str) -> str:
    """ "1 балл", "4 644 балла", "1 200 баллов"; "1 point", "4,644 points"."""
    one, few, many = _POINTS.get(lang, _POINTS["ru"])
    if lang == "en":
        return f"{n:,} {one if n == 1 else many}"
    word = one if n % 10 == 1 and n % 100 != 11 else few if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else many
    return f"{n:,}".replace(",", "\u00a0") + f" {word}"


def day_text(day: dt.date, lang: str) -> str:
    """ "12 декабря", "12 December" (a message names a day, not a format)."""
    return f"{day.day} {_MONTHS.get(lang, _MONTHS['ru'])[day.month - 1]}"


def address_name(first: str | None, middle: str | None, lang: str) -> str | None:
    """How a message addresses her: first name and patronymic in Russian ("Анна Сергеевна",
    the polite form), the first name in English; None with no first name on file."""
    first = (first or "").strip()
    if not first:
        return None
    middle = (middle or "").strip()
    return f"{first} {middle}" if lang == "ru" and middle else first


def profile_values(
    lang: str,
    *,
    first_name: str | None,
    middle_name: str | None,
    points: int | None,
    expiring: tuple[int, dt.date] | None,
    consultant: str | None,
    store: str | None,
) -> dict[str, str | None]:
    """Every placeholder's value for one client, in `lang` (None where the profile has none)."""
    return {
        "name": address_name(first_name, middle_name, lang),
        "first_name": (first_name or "").strip() or None,
        "points": points_text(points, lang) if points else None,
        "expiring_points": points_text(expiring[0], lang) if expiring else None,
        "expiry_date": day_text(expiring[1], lang) if expiring else None,
        "consultant": (consultant or "").strip() or None,
        "store": (store or "").strip() or None,
    }


# --- consent and links ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a channel cannot be used: `missing_consent` (its purpose) or `missing_contact`."""

    code: str
    purpose: str


def refusal(channel: str, consents: Mapping[str, bool], *, phone: str | None, email: str | None) -> Refusal | None:
    """None when `channel` may be used for her; otherwise why not. Consent first: a client
    who did not agree is not written to, whatever contact details are on file."""
    purpose = PURPOSE[channel]
    if not consents.get(purpose):
        return Refusal("missing_consent", purpose)
    if (email if channel == "email" else phone) is None:
        return Refusal("missing_contact", "email" if channel == "email" else "phone")
    return None


def link(channel: str, text: str, *, phone: str | None, email: str | None, subject: str = "") -> str:
    """The URL that opens the device's own app for `channel` with `text` in it.

    SMS `sms:+7…?body=`, e-mail `mailto:` with subject and body, a call `tel:` (the text is
    her script, logged with the contact), WhatsApp `https://wa.me/<digits>?text=`. Telegram
    cannot address a phone number with a text, so its share link carries the text and the
    consultant picks the chat.
    """
    body = quote(text, safe="")
    digits = "".join(c for c in phone or "" if c.isdigit())
    if channel == "sms":
        return f"sms:+{digits}?body={body}"
    if channel == "email":
        return f"mailto:{email or ''}?subject={quote(subject, safe='')}&body={body}"
    if channel == "call":
        return f"tel:+{digits}"
    if channel == "whatsapp":
        return f"https://wa.me/{digits}?text={body}"
    if channel == "telegram":
        return f"https://t.me/share/url?url=%20&text={body}"
    raise ValueError(f"unknown channel {channel!r}")


# --- the defaults a brand starts with ---------------------------------------------------------

DEFAULT_TEMPLATES: tuple[Template, ...] = (
    Template(
        "birthday.ru",
        "birthday",
        "ru",
        "С днём рождения",
        "С днём рождения[, {name}]! Желаем радости и вдохновения. В бутике[ «{store}»] вас ждёт подарок"
        "[ — и {points} на вашем счёте]. С уважением, {consultant}.",
    ),
    Template(
        "birthday.en",
        "birthday",
        "en",
        "Happy birthday",
        "Happy birthday[, {name}]! A gift is waiting for you[ at {store}][, and {points} on your account]. "
        "Warm regards, {consultant}.",
    ),
    Template(
        "points_expiring.ru",
        "points_expiring",
        "ru",
        "Сгорают баллы",
        "Здравствуйте[, {name}]! [{expiry_date} сгорят {expiring_points}. ]"
        "Будем рады видеть вас в бутике[ «{store}»] — баллами можно оплатить часть покупки. {consultant}",
    ),
    Template(
        "points_expiring.en",
        "points_expiring",
        "en",
        "Points expiring",
        "Hello[ {name}]! [{expiring_points} expire on {expiry_date}. ]We would be glad to see you[ at {store}]: "
        "points pay for part of a purchase. {consultant}",
    ),
    Template(
        "private_sale.ru",
        "private_sale",
        "ru",
        "Закрытая распродажа",
        "Здравствуйте[, {name}]! Приглашаем вас на закрытую распродажу в бутике[ «{store}»] — до открытия для всех. "
        "Отложу для вас вещи вашего размера. {consultant}",
    ),
    Template(
        "private_sale.en",
        "private_sale",
        "en",
        "Private sale",
        "Hello[ {name}]! You are invited to our private sale[ at {store}], before it opens to everyone. "
        "I will set aside pieces in your size. {consultant}",
    ),
    Template(
        "after_purchase.ru",
        "after_purchase",
        "ru",
        "После покупки",
        "Здравствуйте[, {name}]! Спасибо за покупку в бутике[ «{store}»]. Всё ли подошло? "
        "Если нужна подгонка или совет — напишите мне. {consultant}",
    ),
    Template(
        "after_purchase.en",
        "after_purchase",
        "en",
        "After a purchase",
        "Hello[ {name}]! Thank you for shopping[ at {store}]. Does everything fit well? "
        "If you need an alteration or advice, just write to me. {consultant}",
    ),
    Template(
        "welcome.ru",
        "welcome",
        "ru",
        "Добро пожаловать",
        "Здравствуйте[, {name}]! Рады видеть вас среди клиентов бутика[ «{store}»]. Я ваш консультант, {consultant}: "
        "пишите, если что-то понадобится.",
    ),
    Template(
        "welcome.en",
        "welcome",
        "en",
        "Welcome",
        "Hello[ {name}]! Welcome[ to {store}]! I am your consultant, {consultant}: "
        "write to me whenever you need anything.",
    ),
    Template("free.ru", "free", "ru", "Свой текст", "Здравствуйте[, {name}]! "),
    Template("free.en", "free", "en", "Own text", "Hello[ {name}]! "),
)
