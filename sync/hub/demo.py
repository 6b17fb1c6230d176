"""Seeded generator of a realistic Russian boutique: stores, consultants, clients, receipts.

Faker (ru_RU) supplies name pools once; clients are then drawn from the pools with a
seeded `random.Random`, which keeps a million clients fast and every run identical.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from faker import Faker

NS = uuid.UUID("8b0d6c1e-5a3f-4f1e-9a57-6f1f0e6b2a10")

STORES = [
    ("Петровка", "Москва, ул. Петровка, 10"),
    ("Невский", "Санкт-Петербург, Невский пр., 48"),
    ("Махачкала", "Махачкала, пр. Гамидова, 7"),
]
BRANDS = [
    "Brunello Cucinelli",
    "Loro Piana",
    "Max Mara",
    "Prada",
    "Gucci",
    "Saint Laurent",
    "Bottega Veneta",
    "Tod's",
    "Santoni",
    "Jimmy Choo",
    "Valentino",
    "Fendi",
    "Celine",
    "Moncler",
    "Ermanno Scervino",
    "Agnona",
]
STYLES = ["классика", "кэжуал", "вечерний", "минимализм", "спорт-шик", "бохо", "деловой"]
COLOURS = ["чёрный", "белый", "бежевый", "кэмел", "синий", "бордо", "изумрудный", "серый", "пудровый"]
CATEGORIES = [
    ("Пальто", 9_000_000, 35_000_000),
    ("Платье", 4_500_000, 18_000_000),
    ("Туфли", 3_500_000, 12_000_000),
    ("Сумка", 8_000_000, 40_000_000),
    ("Кашемировый джемпер", 4_000_000, 15_000_000),
    ("Жакет", 6_000_000, 20_000_000),
    ("Брюки", 2_500_000, 9_000_000),
    ("Платок", 1_500_000, 5_000_000),
    ("Ремень", 1_800_000, 6_000_000),
    ("Ботильоны", 4_500_000, 14_000_000),
]
# The demo brand's diary tags (sync.hub.diary_tags: a brand's list is data; this is what
# the demo and a hub upgraded to migration 0010 start with).
DIARY_TAGS = [
    "предпочтения",
    "размеры",
    "подарки",
    "семейные даты",
    "жалоба",
    "подгонка",
    "монограмма",
    "лист желаний",
]
CLOTHING = ["40", "42", "44", "46", "48", "50", "52"]
SHOES = ["35", "36", "37", "38", "39", "40", "41", "42", "43", "44"]
TIERS = [("Silver", 0.62), ("Gold", 0.28), ("Platinum", 0.10)]

# Two brands on one hub: the demo boutique's (its three stores above), and a second one with
# a store of its own, so that the brand boundary is exercised by the demo and the tests.
HOUSES = [("Витрина", STORES), ("Maison Nord", [("Кутузовский", "Москва, Кутузовский пр., 31")])]
OTHER_BRAND_PREFIX = "nord."  # logins of the second brand's accounts
OTHER_BRAND_CLIENT_OFFSET = 100_000_000  # its clients' generator indexes (ids, phones, cards apart)

DEMO_LOGIN = "demo"
DEMO_PASSWORD = "vitrine-demo"
CONSULTANT_PASSWORD = "vitrine"  # every generated consultant besides the demo one


def stable_id(*parts: object) -> str:
    """Deterministic UUID for generated rows, so the same seed yields the same ids."""
    return str(uuid.uuid5(NS, "/".join(map(str, parts))))


def ean13(body12: str) -> str:
    digits = [int(c) for c in body12]
    check = (10 - (sum(digits[0::2]) + 3 * sum(digits[1::2])) % 10) % 10
    return body12 + str(check)


@dataclass
class Pools:
    female: list[tuple[str, str, str]]  # first, last, middle
    male: list[tuple[str, str, str]]


def make_pools(seed: int, size: int = 400) -> Pools:
    fake = Faker("ru_RU")
    fake.seed_instance(seed)
    female = [(fake.first_name_female(), fake.last_name_female(), fake.middle_name_female()) for _ in range(size)]
    male = [(fake.first_name_male(), fake.last_name_male(), fake.middle_name_male()) for _ in range(size)]
    return Pools(female, male)


def brands(seed: int = 1) -> list[dict]:
    return [{"id": stable_id("brand", seed, b), "name": name} for b, (name, _) in enumerate(HOUSES)]


def stores(seed: int = 1) -> list[dict]:
    """The demo brand's stores."""
    brand = brands(seed)[0]["id"]
    return [
        {"id": stable_id("store", seed, i), "name": name, "address": addr, "brand_id": brand}
        for i, (name, addr) in enumerate(STORES)
    ]


def other_brand_stores(seed: int = 1) -> list[dict]:
    """The second brand's stores."""
    brand = brands(seed)[1]["id"]
    return [
        {"id": stable_id("store", seed, "nord", i), "name": name, "address": addr, "brand_id": brand}
        for i, (name, addr) in enumerate(HOUSES[1][1])
    ]


def other_brand_consultants(seed: int = 1) -> list[dict]:
    store = other_brand_stores(seed)[0]
    return [
        {
            "id": stable_id("consultant", seed, "nord", n),
            "store_id": store["id"],
            "login": f"{OTHER_BRAND_PREFIX}consultant{n + 1}",
            "name": name,
            "password": CONSULTANT_PASSWORD,
        }
        for n, name in enumerate(["Ирина Полякова", "Дарья Гусева"])
    ]


def consultants(seed: int = 1, per_store: int = 4) -> list[dict]:
    pools = make_pools(seed + 7, 60)
    rnd = random.Random(seed)
    out = []
    for s_i, store in enumerate(stores(seed)):
        for c_i in range(per_store):
            first, last, _ = rnd.choice(pools.female)
            n = s_i * per_store + c_i
            login = DEMO_LOGIN if n == 0 else f"consultant{n:02d}"
            out.append(
                {
                    "id": stable_id("consultant", seed, n),
                    "store_id": store["id"],
                    "login": login,
                    "name": f"{first} {last}",
                    "password": DEMO_PASSWORD if n == 0 else CONSULTANT_PASSWORD,
                }
            )
    return out


def _phone(i: int) -> str:
    # A permutation of 0..10^9-1 (multiplier coprime with 10): unique, random-looking.
    n = (i * 387_420_489 + 12_345_678) % 1_000_000_000
    return f"+79{n:09d}"


def iter_clients(n: int, seed: int = 1, start: datetime | None = None, *, other_brand: bool = False) -> Iterator[dict]:
    """Yield `n` client dicts shaped like sync.models.Client (without hub figures): of the
    demo brand's stores, or of the second brand's (`other_brand`)."""
    pools = make_pools(seed)
    rnd = random.Random(f"{seed}/nord" if other_brand else seed)
    st = other_brand_stores(seed) if other_brand else stores(seed)
    cons = other_brand_consultants(seed) if other_brand else consultants(seed)
    offset = OTHER_BRAND_CLIENT_OFFSET if other_brand else 0
    now = start or datetime(2026, 11, 1, tzinfo=UTC)
    translit_domains = ["mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru"]
    for i in range(offset, offset + n):
        female = rnd.random() < 0.82
        first, last, middle = rnd.choice(pools.female if female else pools.male)
        # Mix last names across pools so namesakes are rare but do happen.
        if rnd.random() < 0.5:
            last = rnd.choice(pools.female if female else pools.male)[1]
        store = st[i % len(st)]
        store_cons = [c for c in cons if c["store_id"] == store["id"]]
        birthday = date(1955, 1, 1) + timedelta(days=rnd.randrange(0, 365 * 50))
        created = now - timedelta(days=rnd.randrange(1, 365 * 6))
        sizes = {
            "clothing": rnd.choice(CLOTHING),
            "shoe": rnd.choice(SHOES[:6] if female else SHOES[4:]),
        }
        if rnd.random() < 0.5:
            base = int(sizes["clothing"]) * 2
            sizes.update(
                chest=str(base + rnd.randrange(-4, 6)),
                waist=str(base - 20 + rnd.randrange(-3, 8)),
                hips=str(base + 4 + rnd.randrange(-3, 6)),
            )
        consent_day = created.date()
        yield {
            "id": stable_id("client", seed, i),
            "last_name": last,
            "first_name": first,
            "middle_name": middle if rnd.random() < 0.7 else None,
            "phone": _phone(i + seed * 7919),
            "email": f"client{i}@{rnd.choice(translit_domains)}" if rnd.random() < 0.8 else None,
            "birthday": birthday.isoformat(),
            "gender": "f" if female else "m",
            "card_number": ean13(f"2{(i + seed * 1_000_003) % 10**11:011d}"),
            "sizes": sizes,
            "preferred_brands": rnd.sample(BRANDS, rnd.randrange(1, 4)),
            "styles": rnd.sample(STYLES, rnd.randrange(1, 3)),
            "colours": rnd.sample(COLOURS, rnd.randrange(1, 4)),
            "consents": {
                ch: {"granted": rnd.random() < p, "date": consent_day.isoformat()}
                for ch, p in (("sms", 0.8), ("email", 0.6), ("messengers", 0.7), ("calls", 0.5))
            },
            "consultant_id": rnd.choice(store_cons)["id"],
            "notes": None,
            "store_id": store["id"],
            "created_at": created.isoformat(),
        }


def iter_receipts(
    client: dict, seed: int, idx: int, count: int | None = None, now: datetime | None = None
) -> Iterator[dict]:
    """A client's purchase history as till receipts with fiscal attributes."""
    rnd = random.Random(f"{seed}/{idx}")
    now = now or datetime(2026, 11, 1, tzinfo=UTC)
    created = datetime.fromisoformat(client["created_at"])
    k = count if count is not None else rnd.choice([0, 1, 1, 2, 2, 3, 4, 6])
    for r in range(k):
        at = created + (now - created) * rnd.random()
        lines: list[dict[str, Any]] = []
        for _ in range(rnd.choice([1, 1, 2, 3])):
            name, lo, hi = rnd.choice(CATEGORIES)
            brand = rnd.choice(client["preferred_brands"])
            price = rnd.randrange(lo // 10_000, hi // 10_000) * 10_000
            sale = rnd.random() < 0.2
            if sale:
                price = price * 6 // 10
            lines.append(
                {
                    "sku": f"{brand[:3].upper()}-{rnd.randrange(10000, 99999)}",
                    "name": f"{name} {brand}",
                    "price": price,
                    "qty": 1,
                    "sale": sale,
                }
            )
        total = sum(line["price"] * line["qty"] for line in lines)
        yield {
            "id": stable_id("receipt", seed, idx, r),
            "store_id": client["store_id"],
            "fn": f"{7380440700000000 + (idx % 50):016d}",
            "i": str(1000 + idx * 10 + r),
            "fp": str(1_000_000_000 + (idx * 7919 + r * 104729) % 3_000_000_000),
            "at": at.replace(microsecond=0).isoformat(),
            "total": total,
            "type": 1,
            "lines": lines,
            "redeem_points": rnd.choice([0, 0, 0, 0, 5_000, 20_000]),
            "client_id": client["id"],
            "consultant_id": client["consultant_id"],
        }


def iter_unidentified(n: int, seed: int = 1, now: datetime | None = None) -> Iterator[dict]:
    """Till receipts nobody has linked to a client yet: what consultants scan and link."""
    rnd = random.Random(f"unidentified/{seed}")
    now = now or datetime(2026, 11, 1, tzinfo=UTC)
    st = stores(seed)
    for k in range(n):
        name, lo, hi = rnd.choice(CATEGORIES)
        brand = rnd.choice(BRANDS)
        price = rnd.randrange(lo // 10_000, hi // 10_000) * 10_000
        at = now - timedelta(days=rnd.randrange(0, 60), minutes=rnd.randrange(0, 600))
        yield {
            "id": stable_id("unidentified", seed, k),
            "store_id": st[k % len(st)]["id"],
            "fn": f"{7380440800000000 + (k % 20):016d}",
            "i": str(50_000 + k),
            "fp": str(2_000_000_000 + (k * 104729) % 1_000_000_000),
            "at": at.replace(microsecond=0).isoformat(),
            "total": price,
            "type": 1,
            "lines": [
                {
                    "sku": f"{brand[:3].upper()}-{rnd.randrange(10000, 99999)}",
                    "name": f"{name} {brand}",
                    "price": price,
                    "qty": 1,
                    "sale": False,
                }
            ],
            "client_id": None,
            "linked_by": None,
        }


# The demo consultant's Today (sync.rules.today) shows a birthday and points about to expire
# whenever the demo is seeded: two of her clients are given such dates relative to the seed's
# "now" (her 6th client a birthday in two days; the next one registered before that purchase,
# one purchase whose points expire in five days). Later clients are untouched.
TODAY_BIRTHDAY_NTH = 5
TODAY_EXPIRY_NTH = 6
MOSCOW = timedelta(hours=3)


def birthday_soon(born: str, now: datetime, days: int = 2) -> str:
    """`born` moved to `days` after the store's today (Moscow), the year kept."""
    target = (now.astimezone(UTC) + MOSCOW).date() + timedelta(days=days)
    year = int(born[:4])
    if (target.month, target.day) == (2, 29) and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        year = 1984
    return date(year, target.month, target.day).isoformat()


def expiring_receipt(client: dict, seed: int, idx: int, at: datetime, now: datetime) -> dict:
    """One purchase at `at` (the seed picks the day whose points expire soon), nothing redeemed."""
    r = next(iter_receipts(client, seed, idx, 1, now))
    return {**r, "at": at.replace(microsecond=0).isoformat(), "redeem_points": 0}
