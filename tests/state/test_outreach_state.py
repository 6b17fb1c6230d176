"""Outreach on a real cache and hub: the brand's templates reach the device, a template fills
her name and patronymic and her expiring points, a channel she did not consent to is
refused with the missing consent (nothing opened, nothing logged), a consented one opens
its link once and logs contact.log with its template, which the hub keeps; the results
screen's model reads the hub's figures and says so offline."""

from __future__ import annotations

from app.cache import queries
from app.state.outreach import brand_templates
from app.state.results import period_days
from tests.state.helpers import engine, shown, signed_in
from tests.state.test_app import logged_in, wait_for


async def test_a_template_filled_refused_without_consent_sent_and_logged_with_its_template(demo_hub, tmp_path):
    ctrl = await logged_in(demo_hub, tmp_path)
    await wait_for(lambda: len(ctrl.clients.rows) > 0)
    await wait_for(lambda: any(t.id == "birthday.ru" for t in ctrl.cache.read_sync(brand_templates)))
    await engine(ctrl).sync_once()
    await engine(ctrl).stop()
    # a client who agreed to messengers and not to SMS, with a phone and a patronymic
    her = None
    for row in ctrl.clients.rows:
        c = ctrl.cache.read_sync(queries.client, row.id)
        granted = {k: v.granted for k, v in c.consents.items()} if c else {}
        if c and c.phone and c.middle_name and not granted.get("sms") and granted.get("messengers"):
            her = c
            break
    assert her is not None, "the demo has a client with messengers and without SMS consent"
    await ctrl.profile.open(her.id)
    o = ctrl.outreach
    await o.start(shown(ctrl), "ru")
    assert o.composing and o.channel in ("email", "whatsapp", "telegram", "call")  # a consented one first
    o.choose_template("welcome.ru")
    assert f"{her.first_name} {her.middle_name}" in o.text and "Петровка" in o.text
    assert signed_in(ctrl).consultant_name in o.text and "{" not in o.text
    o.choose_lang("en")  # the same occasion in English: her first name, no patronymic
    assert o.template_id == "welcome.en" and o.text.startswith(f"Hello {her.first_name}!")
    assert her.middle_name and her.middle_name not in o.text
    o.choose_lang("ru")
    assert o.template_id == "welcome.ru"

    opened: list[str] = []

    async def opener(url: str) -> None:
        opened.append(url)

    o.choose_channel("sms")
    assert o.problem is not None and o.problem.key == "outreach.no_consent_sms"
    assert not await o.send(opener)
    assert opened == [] and o.text  # nothing opened, the text kept
    assert not [x for x in ctrl.diary.communications if x.kind == "contact"]

    async def no_app(url: str) -> bool:
        return False  # what the link opener answers when the platform refuses the link

    o.choose_channel("whatsapp")
    assert o.problem is None
    assert not await o.send(no_app)
    assert o.problem is not None and o.problem.key == "outreach.not_opened"
    assert not [x for x in ctrl.diary.communications if x.kind == "contact"]  # nothing went out: not logged
    o.set_text(o.text + " Жду вас в субботу.")
    assert await o.send(opener)
    assert len(opened) == 1 and opened[0].startswith("https://wa.me/")
    (logged,) = [x for x in ctrl.diary.communications if x.kind == "contact"]
    assert (logged.channel, logged.pending) == ("messengers", True) and logged.text.endswith("Жду вас в субботу.")
    await engine(ctrl).sync_once()
    assert engine(ctrl).status.rejected == 0
    contact = next(x for x in ctrl.cache.read_sync(queries.profile, her.id).contacts)
    assert contact.channel == "messengers"

    # the results model reads the hub's figures: her contact is counted today
    r = ctrl.results
    r.choose("week")
    await r.load()
    assert r.problem is None and r.data is not None
    (mine,) = r.data["consultants"]
    assert mine["contacts_by_channel"].get("messengers", 0) >= 1
    r.choose("custom")
    r.set_day("from", "2026-13-01")
    await r.load()
    assert r.problem is not None and r.problem.key == "results.bad_period"
    demo_hub.stop()
    try:
        r.choose("week")
        await r.load()
        assert r.problem is not None and r.problem.key == "results.offline"
    finally:
        demo_hub.start()
    await ctrl.close()


def test_periods_are_this_week_this_month_or_the_days_typed():
    import datetime as dt

    import pytest

    wed = dt.date(2026, 12, 2)
    assert period_days("week", wed) == (dt.date(2026, 11, 30), wed)
    assert period_days("month", wed) == (dt.date(2026, 12, 1), wed)
    assert period_days("custom", wed, "2026-01-01", "2026-01-31") == (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    for a, b in (("2026-02-01", "2026-01-01"), ("2026-1-1", "2026-01-31"), ("", ""), ("2020-01-01", "2026-01-01")):
        with pytest.raises(ValueError):
            period_days("custom", wed, a, b)
