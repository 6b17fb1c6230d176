"""Client lookup: every query class, normalisation, ranking, duplicates, index plans."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cache import search as search_mod
from app.cache import search_index
from app.cache.clients import CLIENT_COLUMNS
from app.cache.search import SearchHit, search
from app.cache.store import Cache
from sync.hub.demo import iter_clients
from tests.sync.helpers import TEST_KEY as KEY  # encrypted, as the app's cache

COLUMNS = ("id", *CLIENT_COLUMNS)


def _put(db, clients: list[dict]) -> None:
    """What the cache's write path does: the rows, then the index, in one transaction."""
    marks = ",".join("?" * (len(COLUMNS) + 1))
    db.conn.executemany(
        f"INSERT OR REPLACE INTO clients ({', '.join(COLUMNS)}, data) VALUES ({marks})",
        [[c.get(k) for k in COLUMNS] + [json.dumps(c, ensure_ascii=False)] for c in clients],
    )
    search_index.index_clients(db, clients)


def _delete(db, ids: list[str]) -> None:
    db.execute(f"DELETE FROM clients WHERE id IN ({','.join('?' * len(ids))})", ids)
    search_index.unindex_clients(db, ids)


def client(
    cid: str,
    last: str,
    first: str,
    middle: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    birthday: str | None = None,
    card: str | None = None,
    tier: str = "Gold",
    last_visit: str | None = "2026-10-01",
    store: str = "store-1",
) -> dict:
    return {
        "id": cid,
        "last_name": last,
        "first_name": first,
        "middle_name": middle,
        "phone": phone,
        "email": email,
        "birthday": birthday,
        "card_number": card,
        "store_id": store,
        "tier": tier,
        "points_balance": 1200,
        "last_visit": last_visit,
        "created_at": "2025-01-01T00:00:00+00:00",
    }


CRAFTED = [
    client(
        "ivanova",
        "Иванова",
        "Анна",
        "Петровна",
        "+79161234567",
        "anna.ivanova@mail.ru",
        "1985-03-04",
        "4600000000017",
        tier="Platinum",
        last_visit="2026-10-20",
        store="store-msk",
    ),
    client("ivanov", "Иванов", "Пётр", None, "+79035550011", "p.ivanov@yandex.ru", "1979-07-07", "4600000000024"),
    client("ivanovskaya", "Ивановская", "Мария", None, "+79035550022"),
    client("fedorova", "Фёдорова", "Юлия", "Сергеевна", "+79031112233", "yulia.f@gmail.com"),
    client("semenov", "Семенов", "Олег", None, "+79031112244"),
    client("shchukina", "Щукина", "Юлия", None, "+79265556677"),
    client("smith", "Smith", "John", None, "+442079460958", "john@smith.co.uk"),
    # Same phone twice: the second is a duplicate registration.
    client("dup-phone-1", "Смирнова", "Ольга", None, "+79998887766"),
    client("dup-phone-2", "Смирнова", "Ольга", "Игоревна", "+79998887766"),
    # Same name and birthday, different phones.
    client("dup-name-1", "Кузнецова", "Мария", None, "+79031230001", birthday="1990-01-01"),
    client("dup-name-2", "кузнецова", "МАРИЯ", None, "+79031230002", birthday="1990-01-01"),
    # Same name, different birthday: namesakes, not duplicates.
    client("namesake", "Кузнецова", "Мария", None, "+79031230003", birthday="1991-05-05"),
    # Exact, prefix and one-typo neighbours of an unusual surname, for ranking.
    client("rank-fuzzy", "Зюзан", "Вера", None, "+79170000003"),
    client("rank-prefix", "Зюзинская", "Вера", None, "+79170000002"),
    client("rank-exact", "Зюзин", "Вера", None, "+79170000001"),
]


GENERATED = list(iter_clients(2000, seed=5))


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """Crafted clients among 2,000 generated ones, in a real cache file."""
    with Cache(tmp_path_factory.mktemp("search") / "cache.db", KEY) as c:
        c.write_sync(_put, GENERATED)
        c.write_sync(_put, CRAFTED)
        yield c


@pytest.fixture
def fresh(tmp_path):
    with Cache(tmp_path / "cache.db", KEY) as c:
        c.write_sync(_put, CRAFTED)
        yield c


def find(cache: Cache, q: str, limit: int = 20) -> list[SearchHit]:
    return cache.read_sync(search, q, limit)


def ids(hits: list[SearchHit]) -> list[str]:
    return [h.id for h in hits]


# --- phones -------------------------------------------------------------------------


def test_last_four_digits(cache):
    hits = find(cache, "4567")
    assert "ivanova" in ids(hits)
    assert all(h.phone is not None and h.phone.endswith("4567") for h in hits)
    assert all(h.match == "prefix" for h in hits)


def test_phone_suffix_of_any_length(cache):
    for suffix in ("34567", "1234567", "161234567"):
        hits = find(cache, suffix)
        assert "ivanova" in ids(hits)
        assert all(h.phone is not None and h.phone.endswith(suffix) for h in hits)


@pytest.mark.parametrize(
    "typed", ["+7 916 123-45-67", "8-916-123-45-67", "9161234567", "8 (916) 1234567", "+7(916)123 45 67", "79161234567"]
)
def test_full_phone_in_any_format(cache, typed):
    hits = find(cache, typed)
    assert ids(hits) == ["ivanova"]
    assert hits[0].match == "exact"
    assert hits[0].score == search_mod.SCORE_EXACT


def test_foreign_phone(cache):
    assert ids(find(cache, "+44 20 7946 0958")) == ["smith"]
    assert ids(find(cache, "0958"))[:20].count("smith") == 1


def test_too_few_digits_match_nothing(cache):
    assert find(cache, "567") == []
    assert find(cache, "") == []
    assert find(cache, "   ") == []


# --- card, email --------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["4600000000017", "4 600000 000017", "4600-0000-0001-7"])
def test_card_number_typed_or_scanned(cache, typed):
    hits = find(cache, typed)
    assert ids(hits) == ["ivanova"]
    assert hits[0].match == "exact"


def test_card_prefix(cache):
    hits = find(cache, "46000000000")
    assert set(ids(hits)) == {"ivanova", "ivanov"}
    assert {h.match for h in hits} == {"prefix"}


def test_email_exact_and_case(cache):
    for typed in ("anna.ivanova@mail.ru", "Anna.Ivanova@Mail.RU", " anna.ivanova@mail.ru "):
        hits = find(cache, typed)
        assert ids(hits) == ["ivanova"]
        assert hits[0].match == "exact"


def test_email_prefix(cache):
    assert ids(find(cache, "anna.iv")) == ["ivanova"]
    assert ids(find(cache, "yulia.f@")) == ["fedorova"]
    assert find(cache, "anna.iv")[0].match == "prefix"


def test_generated_client_by_email_prefix(cache):
    hits = find(cache, "client1234@")
    assert [(h.email or "").split("@")[0] for h in hits] == ["client1234"]


# --- names --------------------------------------------------------------------------


def test_surname_exact_first_then_prefix(cache):
    hits = find(cache, "Иванов", limit=200)
    assert hits[0].id == "ivanov" and hits[0].match == "exact"
    assert {"ivanova", "ivanovskaya"} <= set(ids(hits))
    assert all(h.match == "prefix" for h in hits if h.id in ("ivanova", "ivanovskaya"))


def test_surname_prefix(cache):
    hits = find(cache, "Зюзи")
    assert set(ids(hits)) == {"rank-exact", "rank-prefix"}
    assert {h.match for h in hits} == {"prefix"}


@pytest.mark.parametrize("prefix", ["Зюзинс", "Ивановс", "ivanovs", "Петровн"])
def test_long_prefix_expanded_through_vocabulary_finds_what_fts_prefix_finds(cache, prefix):
    """Prefixes past the FTS5 prefix indexes go through search_vocab: nothing may be lost."""
    from app.services import translit

    word = translit.words(prefix)[0]
    key = translit.latin_prefix_key(word) if word.isascii() else word
    assert len(key) > search_index.PREFIX_INDEXED
    native = set(
        cache.read_sync(
            lambda db: [
                r[0]
                for r in db.execute(
                    "SELECT d.client_id FROM search_names JOIN search_doc d ON d.doc = search_names.rowid "
                    "WHERE search_names MATCH ?",
                    [f'"{key}"*'],
                )
            ]
        )
    )
    assert native
    hits = find(cache, prefix, limit=len(native) + 50)
    assert native <= set(ids(hits))


def test_long_prefix_with_too_many_words_falls_back_to_fts(cache, monkeypatch):
    monkeypatch.setattr(search_mod._Prefixes, "MAX_TERMS", 1)
    hits = find(cache, "Ивановс", limit=100)
    assert "ivanovskaya" in ids(hits)


def test_prefix_matching_no_word_runs_no_name_query(cache, monkeypatch):
    seen: list[tuple[str, list]] = []
    real = search_mod._rows

    def spy(db, sql, p):
        seen.append((sql, p))
        return real(db, sql, p)

    monkeypatch.setattr(search_mod, "_rows", spy)
    assert find(cache, "Щщщщщщ") == []
    matches = [p[0] for sql, p in seen if "search_names MATCH" in sql]
    assert matches == ['"щщщщщщ"', '"shshshshshsh"']  # the whole word, in each script; no prefix


def test_case_never_matters(cache):
    for typed in ("иванова", "ИВАНОВА", "иВаНоВа"):
        assert "ivanova" in ids(find(cache, typed))


@pytest.mark.parametrize("typed", ["Федорова", "Фёдорова", "ФЁДОРОВА", "федорова"])
def test_yo_is_ye_in_stored_names(cache, typed):
    hits = find(cache, typed, limit=500)
    assert "fedorova" in ids(hits)
    exact = [h for h in hits if h.match == "exact"]
    assert "fedorova" in ids(exact)
    assert {h.last_name.replace("ё", "е").lower() for h in exact} == {"федорова"}


@pytest.mark.parametrize("typed", ["Семенов", "Семёнов"])
def test_yo_is_ye_in_queries(cache, typed):
    hits = find(cache, typed + " Олег", limit=500)
    assert "semenov" in ids(hits)
    assert next(h for h in hits if h.id == "semenov").match == "exact"


def test_first_name_and_initial(cache):
    hits = find(cache, "Анна И", limit=500)
    assert "ivanova" in ids(hits)
    for h in hits:
        assert h.match in ("exact", "prefix", "fuzzy")
    exactish = [h for h in hits if h.match != "fuzzy"]
    assert exactish and all(
        "анна" in f"{h.last_name} {h.first_name} {h.middle_name or ''}".lower().split() for h in exactish
    )


def test_full_name_any_order(cache):
    assert ids(find(cache, "Иванова Анна Петровна")) == ["ivanova"]
    assert ids(find(cache, "Анна Петровна Иванова")) == ["ivanova"]
    assert ids(find(cache, "иванова анна п")) == ["ivanova"]


def test_name_and_phone_digits(cache):
    assert ids(find(cache, "Смирнова 7766")) == ["dup-phone-1", "dup-phone-2"]
    assert find(cache, "Смирнова 1111") == []
    assert ids(find(cache, "Анна 8-916-123-45-67")) == ["ivanova"]
    assert find(cache, "Анна 8-916-123-45-68") == []


@pytest.mark.parametrize(
    "odd", ["\U0010ffff", "a\ud7ff", '"', "'; DROP TABLE clients; --", "AND OR NOT", "*", "@", "+", "(", "ё" * 300]
)
def test_odd_input_never_raises(cache, odd):
    assert isinstance(find(cache, odd), list)


@pytest.mark.parametrize("typed", ["Ivanova", "ivanova", "Iwanowa", "IVANOVA"])
def test_latin_surname_finds_cyrillic(cache, typed):
    hits = find(cache, typed, limit=200)
    assert "ivanova" in ids(hits)
    assert next(h for h in hits if h.id == "ivanova").match == "exact"


@pytest.mark.parametrize(
    "typed", ["Shchukina", "Schukina", "Schchukina", "Yulia Shchukina", "Iuliia Schukina", "Julia Shukina"]
)
def test_latin_spelling_variants(cache, typed):
    assert "shchukina" in ids(find(cache, typed, limit=200))


def test_latin_first_name_variants(cache):
    for typed in ("Fyodorova Yulia", "Fedorova Iuliia", "Fedorova Julia"):
        hits = find(cache, typed, limit=500)
        assert "fedorova" in ids(hits), typed
        assert next(h for h in hits if h.id == "fedorova").match == "exact", typed


@pytest.mark.parametrize(
    "cyrillic,latin",
    [
        ("Иванова", "Ivanova"),
        ("Иванова", "Iwanowa"),
        ("Щукина", "Shchukina"),
        ("Щукина", "Schukina"),
        ("Юлия", "Yulia"),
        ("Юлия", "Iuliia"),
        ("Юлия", "Julia"),
        ("Юлия", "Yuliya"),
        ("Фёдорова", "Fyodorova"),
        ("Хабибуллина", "Khabibullina"),
        ("Хабибуллина", "Habibulina"),
        ("Цветаева", "Tsvetaeva"),
        ("Цветаева", "Cvetaeva"),
        ("Евгения", "Yevgeniya"),
        ("Алексей", "Alexey"),
        ("Алексей", "Aleksei"),
        ("Дарья", "Darya"),
        ("Ксения", "Xenia"),
        ("Валерьевна", "Valerievna"),
        ("Сергеевна", "Sergeyevna"),
        ("Дмитрий", "Dmitry"),
        ("Соловьёва", "Solovyova"),
        ("Наталья", "Natalia"),
        ("Николай", "Nikolaj"),
    ],
)
def test_latin_keys_meet(cyrillic, latin):
    from app.services import translit

    assert translit.latin_key(translit.words(cyrillic)[0]) == translit.latin_key(translit.words(latin)[0])


@pytest.mark.parametrize("a,b", [("Лисова", "Ливанова"), ("Иванова", "Петрова"), ("Анна", "Инна")])
def test_latin_keys_keep_different_names_apart(a, b):
    from app.services import translit

    assert translit.latin_key(translit.words(a)[0]) != translit.latin_key(translit.words(b)[0])


@pytest.mark.parametrize(
    "partial,full",
    [("Kh", "Khabibullina"), ("Sc", "Schukina"), ("Shc", "Shchukina"), ("Ye", "Yevgenia"), ("Ch", "Chernova")],
)
def test_latin_prefix_key_of_a_half_typed_digraph(partial, full):
    from app.services import translit

    assert translit.latin_key(full.lower()).startswith(translit.latin_prefix_key(partial.lower()))


def test_cyrillic_finds_name_stored_in_latin(cache):
    hits = find(cache, "Смит")
    assert ids(hits) == ["smith"]
    assert hits[0].match == "fuzzy"  # a transliteration, not the name as written
    assert ids(find(cache, "Smith")) == ["smith"]
    assert find(cache, "Smith")[0].match == "exact"


@pytest.mark.parametrize("typo", ["Ивнова", "Иваонва", "Ивановаа", "Ивамова"])
def test_surname_with_one_typo(cache, typo):
    hits = find(cache, typo, limit=200)
    assert "ivanova" in ids(hits)
    assert next(h for h in hits if h.id == "ivanova").match == "fuzzy"


def test_latin_surname_with_one_typo(cache):
    assert "ivanova" in ids(find(cache, "Ivnova", limit=200))


def test_two_typos_are_not_found(fresh):
    assert "ivanova" not in ids(find(fresh, "Ивнва"))


def test_short_words_never_match_with_a_typo(fresh):
    # "Оег" is one edit from "Олег", but three-letter words would match half the book.
    assert ids(find(fresh, "Олег")) == ["semenov"]
    assert find(fresh, "Оег") == []
    assert ids(find(fresh, "Олаг")) == ["semenov"]


def test_ranking_exact_prefix_fuzzy(cache):
    hits = find(cache, "Зюзин")
    assert ids(hits) == ["rank-exact", "rank-prefix", "rank-fuzzy"]
    assert [h.match for h in hits] == ["exact", "prefix", "fuzzy"]
    assert hits[0].score > hits[1].score > hits[2].score


def test_exact_phone_ranks_before_prefix_matches(fresh):
    # "0001" ends one phone and, as digits, is also no card: only the suffix class.
    hits = find(fresh, "+7 917 000-00-01")
    assert ids(hits) == ["rank-exact"] and hits[0].match == "exact"


def test_limit(cache):
    assert len(find(cache, "а", limit=7)) == 7
    assert find(cache, "Иванова", limit=0) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    i=st.integers(min_value=0, max_value=len(GENERATED) - 1),
    fmt=st.sampled_from(["8-{a}-{b}-{c}-{d}", "+7 {a} {b}{c}{d}", "{a}{b}{c}{d}"]),
)
def test_any_generated_client_is_found_by_what_identifies_it(cache, i, fmt):
    c = GENERATED[i]
    n = c["phone"][2:]
    assert ids(find(cache, fmt.format(a=n[:3], b=n[3:6], c=n[6:8], d=n[8:]))) == [c["id"]]
    assert ids(find(cache, c["card_number"])) == [c["id"]]
    if c["email"]:
        assert ids(find(cache, c["email"].upper())) == [c["id"]]
    assert c["id"] in ids(find(cache, c["phone"][-4:]))
    name = f"{c['last_name']} {c['first_name']} {c['middle_name'] or ''}"
    assert c["id"] in ids(find(cache, name, limit=100))
    assert c["id"] in ids(find(cache, name.replace("е", "ё").upper(), limit=100))


# --- what a row shows ---------------------------------------------------------------


def test_row_tells_namesakes_apart(cache):
    hits = {h.id: h for h in find(cache, "Кузнецова Мария", limit=200)}
    a, b = hits["dup-name-1"], hits["namesake"]
    assert a.masked_phone == "+7 903 ***-00-01" and b.masked_phone == "+7 903 ***-00-03"
    h = find(cache, "+79161234567")[0]
    assert (h.last_name, h.first_name, h.middle_name) == ("Иванова", "Анна", "Петровна")
    assert (h.tier, h.last_visit, h.store_id, h.points_balance) == ("Platinum", "2026-10-20", "store-msk", 1200)
    assert h.masked_phone == "+7 916 ***-45-67"
    assert h.model_dump()["masked_phone"] == "+7 916 ***-45-67"


# --- duplicates ---------------------------------------------------------------------


def test_duplicate_by_phone(cache):
    hits = find(cache, "+7 999 888-77-66")
    assert ids(hits) == ["dup-phone-1", "dup-phone-2"]
    assert all(h.duplicate for h in hits)


def test_duplicate_by_name_and_birthday(cache):
    hits = {h.id: h for h in find(cache, "Кузнецова Мария", limit=200)}
    assert hits["dup-name-1"].duplicate and hits["dup-name-2"].duplicate
    assert not hits["namesake"].duplicate


def test_not_a_duplicate(cache):
    assert find(cache, "+79161234567")[0].duplicate is False


def test_duplicate_flag_follows_edits(fresh):
    assert find(fresh, "+79998887766")[0].duplicate
    moved = dict(CRAFTED[8], phone="+79998887700")
    fresh.write_sync(_put, [moved])
    assert ids(find(fresh, "+79998887766")) == ["dup-phone-1"]
    assert find(fresh, "+79998887766")[0].duplicate is False


# --- keeping the index in step --------------------------------------------------------


def test_update_reindexes_changed_fields(fresh):
    changed = dict(CRAFTED[0], last_name="Петрова", phone="+79160000000", email="anna.p@mail.ru")
    fresh.write_sync(_put, [changed])
    assert "ivanova" not in ids(find(fresh, "Иванова Анна"))
    assert find(fresh, "4567") == []
    assert ids(find(fresh, "Петрова Анна")) == ["ivanova"]
    assert ids(find(fresh, "+7 916 000-00-00")) == ["ivanova"]
    assert ids(find(fresh, "anna.p@mail.ru")) == ["ivanova"]
    assert fresh.read_sync(lambda db: db.execute("SELECT count(*) FROM search_doc").fetchone()[0]) == len(CRAFTED)


def test_unindex(fresh):
    fresh.write_sync(_delete, ["ivanova"])
    assert find(fresh, "+79161234567") == []
    assert "ivanova" not in ids(find(fresh, "Анна"))
    assert (
        fresh.read_sync(
            lambda db: db.execute("SELECT count(*) FROM search_doc WHERE client_id = 'ivanova'").fetchone()[0]
        )
        == 0
    )


def test_index_accepts_model_dump_and_missing_fields(fresh):
    from sync.models import Client

    c = Client(
        id="model",
        last_name="Орлова",
        first_name="Ева",
        store_id="s",
        created_at="2026-01-01T00:00:00Z",
        phone="+79160001122",
        birthday="1990-02-03",
    )
    fresh.write_sync(_put, [c.model_dump(mode="json"), {"id": "bare", "last_name": "Лебедева", "first_name": "Ия"}])
    assert ids(find(fresh, "1122")) == ["model"]
    assert ids(find(fresh, "Лебедева")) == ["bare"]


def test_reindex_all_rebuilds_from_clients(fresh):
    fresh.write_sync(lambda db: db.execute("DELETE FROM search_doc"))
    assert find(fresh, "Иванова") == []
    assert fresh.write_sync(search_index.reindex_all) == len(CRAFTED)
    assert ids(find(fresh, "+79161234567")) == ["ivanova"]
    assert ids(find(fresh, "Иванова Анна")) == ["ivanova"]


# --- no scans ------------------------------------------------------------------------

QUERY_CLASSES = {
    "phone_suffix": "4567",
    "phone_full": "8-916-123-45-67",
    "card": "4600000000017",
    "card_prefix": "46000000000",
    "email": "anna.ivanova@mail.ru",
    "email_prefix": "anna.iv",
    "surname": "Иванова",
    "surname_prefix": "Ива",
    "surname_long_prefix": "Ивановс",
    "first_name_initial": "Анна И",
    "latin": "Iwanowa",
    "fuzzy": "Ивнова",
    "latin_fuzzy": "Ivnova",
    "cyrillic_for_latin": "Смит",
    "name_and_digits": "Смирнова 7766",
}


def scans(db, sql: str, params: list) -> list[str]:
    """Plan lines that read a whole table or index (a virtual table's own lookup is fine)."""
    plan = db.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    return [row[-1] for row in plan if re.match(r"SCAN ", row[-1]) and "VIRTUAL TABLE" not in row[-1]]


def test_scan_check_can_fail(cache):
    assert cache.read_sync(scans, "SELECT id FROM clients WHERE phone = ?", ["+79161234567"])


@pytest.mark.parametrize("cls", sorted(QUERY_CLASSES))
def test_every_query_class_uses_indexes(cache, monkeypatch, cls):
    seen: list[tuple[str, list]] = []
    real = search_mod._rows

    def recording(db, sql, params):
        seen.append((sql, list(params)))
        return real(db, sql, params)

    monkeypatch.setattr(search_mod, "_rows", recording)
    hits = find(cache, QUERY_CLASSES[cls], limit=50)
    assert hits, cls
    assert seen
    for sql, params in seen:
        assert cache.read_sync(scans, sql, params) == [], sql
