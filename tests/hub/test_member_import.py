"""import-members: another loyalty system's members come in without loss, on SQLite and
PostgreSQL. A dry run keeps nothing and reports what the import will do; the import
brings clients, cards, available and pending points with their dates, tiers and consents;
rejected rows say why; a re-run adds nothing; the point totals reconcile."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest

from sync.hub import demo, member_import
from sync.hub import loyalty as rules
from sync.hub.storage import sql

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)

MAPPING = """
source = "loymax"
store = "Петровка"
[columns]
external_id = "ID"
last_name = "Фамилия"
first_name = "Имя"
phone = "Телефон"
email = "Email"
birthday = "ДР"
card_number = "Карта"
tier = "Уровень"
points = "Баллы"
points_expire = "Сгорают"
pending_points = "Ожидают"
pending_unlock = "Начисление"
[tiers]
"Серебро" = "Silver"
"Золото" = "Gold"
[consents]
processing = "ПДн"
sms = "SMS"
"""
HEADER = ["ID", "Фамилия", "Имя", "Телефон", "Email", "ДР", "Карта", "Уровень", "Баллы", "Сгорают", "Ожидают",
          "Начисление", "ПДн", "SMS"]  # fmt: skip
ROWS = [
    ["IMP-1", "Иванова", "Анна", "+79161110001", "anna@mail.ru", "01.02.1990", "9900001", "Золото", "1 500",
     "01.06.2027", "200", "10.12.2026", "да", "нет"],
    ["IMP-2", "Петрова", "Мария", "89161110002", "", "", "9900002", "Серебро", "300", "", "", "", "1", "1"],
    ["IMP-3", "Сидорова", "Ольга", "не телефон", "", "", "", "Серебро", "50", "", "", "", "", ""],
    ["IMP-4", "Кузнецова", "Ирина", "", "", "", "9900001", "Серебро", "70", "", "", "", "", ""],
    ["IMP-1", "Иванова", "Анна", "", "", "", "", "", "999", "", "", "", "", ""],
    ["IMP-5", "Смирнова", "Екатерина", "", "", "", "", "Бронза", "10", "", "", "", "", ""],
    ["IMP-6", "Волкова", "Дарья", "", "", "", "", "", "40", "01.01.2020", "", "", "", ""],
    ["IMP-7", "Орлова", "Вера", "", "", "", "9900007", "", "0", "", "25", "", "", ""],
    ["IMP-8", "Зайцева", "Нина", "", "", "31.12.1985", "9900008", "", "", "", "", "", "нет", ""],
]  # fmt: skip
REASONS = {
    "phone is not a phone number": 1,
    "card number already belongs to another client": 1,
    "external id repeated in the file": 1,
    "unknown tier": 1,
    "the points' expiry date has passed": 1,
    "pending points without their unlock date": 1,
}


def write_csv(path: Path, rows=ROWS) -> Path:
    path.write_text("\n".join(";".join(r) for r in [HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def mapping(tmp_path: Path, text: str = MAPPING) -> member_import.Mapping:
    p = tmp_path / "map.toml"
    p.write_text(text, encoding="utf-8")
    return member_import.load_mapping(p)


def counts(db) -> dict[str, int]:
    with db.read() as conn:
        return {
            t: sql(conn, f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("clients", "ledger", "consents", "member_imports", "feed")
        }


def test_dry_run_then_import_then_rerun(hub_db, tmp_path):
    db = hub_db
    m = mapping(tmp_path)
    export = write_csv(tmp_path / "members.csv")
    before = counts(db)

    dry = member_import.run(db, export, m, dry_run=True, now=NOW)
    assert counts(db) == before  # nothing kept
    assert (dry.rows_read, dry.imported, dry.already, dry.rejected) == (9, 3, 0, 6)
    assert dict(dry.reasons) == REASONS
    assert {(row, ext) for row, ext, _ in dry.rejects} == {
        (4, "IMP-3"), (5, "IMP-4"), (6, "IMP-1"), (7, "IMP-5"), (8, "IMP-6"), (9, "IMP-7")
    }  # fmt: skip
    assert dry.points_in_file == 1500 + 200 + 300 + 50 + 70 + 999 + 10 + 40 + 25
    assert dry.points_expected == dry.points_in_hub == 2000 and dry.balanced

    rejects = io.StringIO()
    real = member_import.run(db, export, m, rejects_to=rejects, now=NOW)
    assert real.as_dict() | {"seconds": 0, "dry_run": True} == dry.as_dict() | {"seconds": 0}
    assert len(rejects.getvalue().strip().splitlines()) == 1 + 6  # header + every rejected row
    assert "не телефон" not in rejects.getvalue()  # reasons name the field, never the value
    after = counts(db)
    assert after["clients"] == before["clients"] + 3 and after["member_imports"] == before["member_imports"] + 3

    with db.read() as conn:
        (cid,) = sql(
            conn, "SELECT client_id FROM member_imports WHERE source = 'loymax' AND external_id = 'IMP-1'"
        ).fetchone()
        anna = json.loads(sql(conn, "SELECT data FROM clients WHERE id = ?", (cid,)).fetchone()[0])
        ledger = [
            rules.LedgerEntry.model_validate_json(r[0])
            for r in sql(conn, "SELECT data FROM ledger WHERE client_id = ?", (cid,))
        ]
        account = json.loads(
            sql(conn, "SELECT data FROM feed WHERE entity = 'account' AND entity_id = ?", (cid,)).fetchone()[0]
        )
        consents = {
            r[0]: bool(r[1]) for r in sql(conn, "SELECT purpose, granted FROM consents WHERE client_id = ?", (cid,))
        }
    assert anna["store_id"] == demo.stores(1)[0]["id"] and anna["card_number"] == "9900001"
    assert anna["phone"] == "+79161110001" and anna["birthday"] == "1990-02-01"
    assert (anna["tier"], anna["points_balance"], anna["pending_points"]) == ("Gold", 1500, 200)
    assert account["tier"] == "Gold" and account["balance"] == 1500 and account["pending_total"] == 200
    by_points = {e.points: e for e in ledger}
    assert by_points[1500].expires_at == dt.datetime(2027, 5, 31, 21, tzinfo=dt.UTC)  # 1 June, Moscow
    assert by_points[200].available_at == dt.datetime(2026, 12, 9, 21, tzinfo=dt.UTC)  # 10 Dec, Moscow
    assert rules.balance(ledger) == 1700 and rules.check_ledger(ledger) == []
    assert consents == {"processing": True, "sms": False} and anna["consents"]["processing"]["granted"]

    again = member_import.run(db, export, m, now=NOW)
    assert counts(db) == after  # nothing added, nothing republished
    assert (again.imported, again.already, again.rejected) == (0, 3, 6) and again.balanced
    assert again.points_in_hub == 2000


def test_an_xlsx_export_reads_the_same(hub_db, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for k, r in enumerate(ROWS):
        r = list(r)
        r[0] = f"X-{k}"  # another source's members
        r[6] = f"88{k:05d}" if r[6] else ""
        ws.append([int(r[8].replace(" ", "")) if c == 8 and r[8] else v for c, v in enumerate(r)])
    path = tmp_path / "members.xlsx"
    wb.save(path)
    m = mapping(tmp_path, MAPPING.replace('source = "loymax"', 'source = "excel"'))
    rep = member_import.run(db := hub_db, path, m, now=NOW)
    # no repeat of an id here, and no card clash; the other reasons stand
    assert (rep.rows_read, rep.rejected) == (9, 4) and rep.balanced, rep.lines()
    assert rep.imported == 5 and rep.points_in_hub == 1500 + 200 + 300 + 70 + 999
    assert member_import.run(db, path, m, now=NOW).imported == 0


def test_a_mapping_that_cannot_work_is_refused_before_anything_is_read(hub_db, tmp_path):
    with pytest.raises(member_import.MappingError, match="external_id"):
        mapping(tmp_path, "source = 'x'\nstore = 'Петровка'\n[columns]\nlast_name = 'A'\nfirst_name = 'B'\n")
    with pytest.raises(member_import.MappingError, match="unknown fields"):
        mapping(tmp_path, MAPPING.replace('points = "Баллы"', 'pointz = "Баллы"'))
    m = mapping(tmp_path, MAPPING.replace('"Телефон"', '"Мобильный"'))
    before = counts(hub_db)
    with pytest.raises(member_import.MappingError, match="Мобильный"):
        member_import.run(hub_db, write_csv(tmp_path / "m.csv"), m, now=NOW)
    assert counts(hub_db) == before
