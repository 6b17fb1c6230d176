"""Messages are stored typed and rendered in the consultant's language; scanned codes are ranked by type."""

from __future__ import annotations

from app.services.scanning.codes import classify
from app.state.messages import Message
from app.state.scan import best_code
from app.ui.strings import t


def test_a_message_renders_with_its_arguments_in_either_language():
    msg = Message.of("scan.card_unknown", "2000010002108")
    assert t("ru", msg) == "Карта 2000010002108 не найдена в клиентской книге"
    assert t("en", msg) == "Card 2000010002108 is not in the client book"
    assert t("en", Message("login.empty")) == "Enter your login and password."
    assert t("en", None) == "" and t("en", "no.such.key") == "no.such.key"


def test_a_receipt_wins_over_a_card_and_a_card_over_the_rest():
    receipt = classify("t=20240105T1530&s=12345.00&fn=9287440300090728&i=12345&fp=1234567890&n=1")
    card = classify("2000010002108")
    other = classify("hello")
    assert best_code([other, card, receipt]) is receipt
    assert best_code([other, card]) is card
    assert best_code([other]) is other and best_code([]) is None
