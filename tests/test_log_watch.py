"""The session-wide watch for personal data in logs (tests/conftest.py): what it catches."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import HUB_LOGS, LOG_WATCH, PersonalDataInLogs, log_file_findings, personal_data


@pytest.mark.parametrize(
    "text",
    [
        "+79161234567",
        "call +7 916 123-45-67 now",
        "+7 (916) 123-45-67",
        "8 916 123 45 67",
        "89161234567",
        "8(916)1234567",
        "mail anna.petrova+vip@example.ru",
        "ANNA@MAIL.RU",
    ],
)
def test_a_phone_or_an_email_is_found(text):
    assert personal_data(text)


@pytest.mark.parametrize(
    "text",
    [
        "+7 916 ***-**-67",
        "client 01a233ef-0fca-7438-8c58-cb8812345678",
        "fiscal 9999078900001234",
        "receipt total 2500000 kopecks",
        "2026-12-01T23:27:14.860981+00:00",
        "postgresql://postgres@127.0.0.1:5432/t_abc",
        "x81234567890",
    ],
)
def test_masked_phones_ids_and_figures_are_not(text):
    assert personal_data(text) == []


def test_a_record_with_a_phone_in_its_arguments_or_its_traceback_is_kept():
    watch = PersonalDataInLogs()
    log = logging.getLogger("vitrine.test.watch")
    log.addHandler(watch)
    log.propagate = False
    try:
        log.info("client %s found", "+79161234567")
        try:
            raise ValueError("bad e-mail anna@example.ru")
        except ValueError:
            log.exception("failed")
        log.info("client %s found", "+7 916 ***-**-67")
    finally:
        log.removeHandler(watch)
        log.propagate = True
    assert [sorted(set(what)) for _, _, what in watch.offenders] == [["+79161234567"], ["anna@example.ru"]]


def test_the_watch_sees_every_logger_of_the_run():
    seen = LOG_WATCH.seen
    logging.getLogger("some.library.deep.down").debug("a debug record")
    assert LOG_WATCH.seen == seen + 1


def test_a_hub_subprocess_log_is_read_line_by_line(tmp_path):
    log = tmp_path / "hub.log"
    log.write_text('INFO: "GET /v1/changes?cursor=0 HTTP/1.1" 200\nlookup of 8 (916) 123-45-67 failed\n')
    assert log_file_findings([log, tmp_path / "missing.log"]) == [("hub subprocess", f"{log}:2", ["8 (916) 123-45-67"])]


def test_every_hub_the_suite_starts_has_its_log_watched(demo_hub):
    assert demo_hub.db_path.with_suffix(f".{demo_hub.url.rsplit(':', 1)[1]}.log") in HUB_LOGS
