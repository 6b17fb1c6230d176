"""The profile's change history as the consultant reads it (app.ui.history: pure functions)."""

from __future__ import annotations

import datetime as dt

from app.cache.queries import FieldChange
from app.ui import history

NBSP = "\u00a0"


def lines(field, old, new, lang="ru", **kw):
    return [x.replace(NBSP, " ") for x in history.describe_change(field, old, new, lang, **kw)]


def test_a_changed_size_is_one_line_with_its_label_and_the_number_as_the_language_writes_it():
    old = {"clothing": "42", "shoe": "40", "chest": "88"}
    new = {"clothing": "42", "shoe": "38.5", "chest": "88"}
    assert lines("sizes", old, new) == ["Обувь: 40 → 38,5"]
    assert lines("sizes", old, new, "en") == ["Shoes: 40 → 38.5"]


def test_sizes_added_and_removed_read_with_a_dash_for_the_missing_side():
    assert lines("sizes", {"clothing": "42", "shoe": "40"}, {"shoe": "38.5", "waist": "M"}) == [
        "Талия: — → M",
        "Обувь: 40 → 38,5",
        "Одежда: 42 → —",
    ]
    assert lines("sizes", None, {"hips": "96"}) == ["Бёдра: — → 96"]


def test_nothing_is_cut_however_long_the_values():
    note = "Предпочитает шёлк и кашемир; не любит яркие принты; просила позвонить, когда придёт новая коллекция"
    (line,) = lines("notes", "коротко", note)
    assert line == f"Заметки: коротко → {note}"


def test_brands_read_one_line_per_brand_added_or_removed():
    assert lines("preferred_brands", ["Max Mara", "Brunello Cucinelli"], ["Brunello Cucinelli", "Loro Piana"]) == [
        "Бренды: убран «Max Mara»",
        "Бренды: добавлен «Loro Piana»",
    ]
    assert lines("colours", [], ["чёрный"], "en") == ["Colours: added “чёрный”"]


def test_consents_read_one_line_per_channel_as_the_consents_card_shows_them():
    old = {"sms": {"granted": False, "date": None}, "email": {"granted": True, "date": "2025-01-10"}}
    new = {
        "sms": {"granted": True, "date": "2026-03-21"},
        "email": {"granted": True, "date": "2025-01-10"},
        "calls": {"granted": True, "date": None},
    }
    assert lines("consents", old, new) == ["Согласие — SMS: нет → да, с 21.03.2026", "Согласие — Звонки: нет → да"]
    assert lines("consents", new, old, "en")[0] == "Consent — SMS: yes, since Mar 21, 2026 → no"


def test_phone_birthday_gender_and_consultant_as_the_profile_shows_them():
    assert lines("phone", "+79161234567", "+79031112233") == ["Телефон: +7 916 123-45-67 → +7 903 111-22-33"]
    assert lines("birthday", None, "1990-05-01") == ["День рождения: — → 01.05.1990"]
    assert lines("birthday", "1990-05-01", "1990-05-02", "en") == ["Birthday: May 1, 1990 → May 2, 1990"]
    assert lines("gender", None, "f") == ["Пол: — → женский"]
    assert lines("consultant_id", "c1", "c2", consultants={"c1": "Анна Петрова", "c2": "Ольга Смирнова"}) == [
        "Консультант: Анна Петрова → Ольга Смирнова"
    ]


def test_a_change_nobody_would_see_gives_no_line():
    assert lines("sizes", {"shoe": "40"}, {"shoe": "40"}) == []
    assert lines("email", None, "") == []
    assert lines("preferred_brands", ["A"], ["A"]) == []


def test_an_unknown_field_still_reads_with_its_values():
    assert lines("favourite_scent", "ваниль", "жасмин") == ["favourite_scent: ваниль → жасмин"]


def test_changes_group_by_save_with_when_and_who_and_pending_first():
    at = "2026-03-21T11:05:00+00:00"
    changes = [
        FieldChange(at=at, field="sizes", old_value={"shoe": "40"}, new_value={"shoe": "38.5"}, pending=True),
        FieldChange(at=at, field="styles", old_value=[], new_value=["классика"], pending=True),
        FieldChange(
            at=at, field="phone", old_value=None, new_value="+79161234567", author="Анна Петрова", change_id="m2"
        ),
        FieldChange(at=at, field="email", old_value=None, new_value="a@b.ru", author="Анна Петрова", change_id="m2"),
        FieldChange(at="2026-03-20T09:00:00+00:00", field="notes", old_value=None, new_value="VIP", change_id="m1"),
    ]
    entries = history.describe(changes, "ru")
    assert [len(e.lines) for e in entries] == [2, 2, 1]
    assert entries[0].pending and entries[0].heading.endswith("ожидает отправки")
    local = dt.datetime.fromisoformat(at).astimezone()
    assert entries[1].heading.startswith(local.strftime("%d.%m.%Y")) and entries[1].heading.endswith("Анна Петрова")
    assert entries[1].lines == ("Телефон: — → +7 916 123-45-67", "Email: — → a@b.ru")
    assert not entries[2].pending and "·" not in entries[2].heading  # an older entry names no one: time alone
