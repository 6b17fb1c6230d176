"""The client book's model: how many clients match a search, and whether the list shows them all."""

from __future__ import annotations

import pytest

from app.cache import clients
from app.cache.store import Cache
from app.services.secrets import EncryptedFileStore
from app.state import clients as book
from app.state.clients import ClientsModel
from app.state.context import AppModel, Config, Context
from app.ui.clients import count_text
from sync.models import ClientProfile
from tests.sync.helpers import TEST_KEY as KEY  # encrypted, as the app's cache

NBSP = "\u00a0"


@pytest.fixture
def model(tmp_path, monkeypatch):
    monkeypatch.setattr(book, "LIST_LIMIT", 3)
    cache = Cache(tmp_path / "cache.sqlite", KEY)
    for i, (last, first) in enumerate(
        [("Иванова", "Анна"), ("Иванова", "Ольга"), ("Иванова", "Мария"), ("Иванова", "Елена"), ("Петрова", "Анна")]
    ):
        cache.write_sync(
            clients.register_client, ClientProfile(last_name=last, first_name=first, phone=f"+7916123450{i}"), "s1"
        )
    ctx = Context(Config("http://127.0.0.1:9", tmp_path), cache, EncryptedFileStore(tmp_path / "s"), AppModel())
    yield ClientsModel(ctx)
    cache.close()


async def test_the_list_counts_matches_while_searching_and_the_book_otherwise(model):
    await model.refresh()
    assert model.total == 5 and not model.searching
    assert count_text(model, "ru").replace(NBSP, " ") == "Клиентов в книге: 5"

    await model.set_query("Петрова")
    assert model.matches == 1 and not model.more
    assert count_text(model, "ru") == "Найдено: 1 из 5"
    assert count_text(model, "en") == "Found: 1 of 5"

    await model.set_query("Иванова")  # four match; the list shows three of them and says there are more
    assert len(model.rows) == 3 and model.more
    assert count_text(model, "ru") == "Найдено больше 3 из 5 — уточните запрос"

    await model.set_query("Сидорова")
    assert model.matches == 0 and count_text(model, "ru") == "Найдено: 0 из 5"
