"""A queued operation named for the consultant: which thing, and what became of it."""

from __future__ import annotations

from app.cache.queries import Operation, ReceiptRef
from app.ui import operations

NBSP = "\u00a0"


def words(text: str) -> str:
    return text.replace(NBSP, " ")


def test_a_refused_receipt_link_names_the_receipt_number_sum_and_date():
    op = Operation(
        "m1",
        "receipt.link",
        "rejected",
        "This receipt is already linked to another client.",
        "receipt_taken",
        "c1",
        "Иванова Анна",
        ReceiptRef("18280", 1_234_500, "2026-03-21T14:05:00"),
    )
    assert (
        words(operations.line(op, "ru"))
        == "Привязка чека № 18280 на 12 345 ₽ от 21.03.2026 — чек уже привязан к другому клиенту"
    )
    assert (
        words(operations.line(op, "en")) == "Linking receipt No. 18280 for 12,345 ₽ dated Mar 21, 2026 — "
        "this receipt is already linked to another client"
    )


def test_queued_operations_say_saved_here_and_waiting_never_done():
    update = Operation("m2", "client.update", "pending", client_id="c1", client_name="Иванова Анна")
    note = Operation(
        "m3",
        "diary.add",
        "waiting",
        client_id="c1",
        client_name="Иванова Анна",
        text="Ищет пальто   к осени,\nразмер 44, любит верблюжий цвет и Max Mara",
    )
    assert (
        operations.line(update, "ru")
        == "Изменение профиля: Иванова Анна — сохранено на устройстве, ждёт отправки на сервер"
    )
    assert operations.line(note, "ru") == (
        "Запись в дневнике: Иванова Анна, «Ищет пальто к осени, размер 44, любит…» — отправлено, ждёт ответа сервера"
    )
    refused = Operation("m4", "client.register", "rejected", "Some new hub rule", "new_rule", "c2", "Петрова Ольга")
    assert operations.line(refused, "en") == "Client registration: Петрова Ольга — some new hub rule"
