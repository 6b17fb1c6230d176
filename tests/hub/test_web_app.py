"""`serve --web-app`: what the hub checks of the web UI it mounts, and the headers its pages get."""

from __future__ import annotations

import pytest

from sync.hub import web_app
from sync.hub.__main__ import main
from sync.hub.http_guard import SecurityHeaders


def csp(headers: list[tuple[bytes, bytes]]) -> str:
    return dict(headers)[b"content-security-policy"].decode()


def test_a_mounted_ui_gets_a_page_policy_and_the_api_keeps_its_own():
    h = SecurityHeaders()
    ui = ("/app/",)
    assert csp(h.for_scope({"path": "/app/main.dart.js"}, ui)) == "frame-ancestors 'none'"
    assert dict(h.for_scope({"path": "/app/"}, ui))[b"x-frame-options"] == b"DENY"
    assert "default-src 'none'" in csp(h.for_scope({"path": "/app/"}))  # no UI mounted: nothing runs
    assert "default-src 'none'" in csp(h.for_scope({"path": "/v1/clients"}, ui))
    assert "default-src 'none'" in csp(h.for_scope({"path": "/application"}, ui))


@pytest.mark.parametrize("spec", ["app.web", "no_such_module:make", "sync.hub.web_app:nothing", "sync.hub:__name__"])
def test_a_bad_factory_is_refused_with_a_message(spec):
    with pytest.raises(web_app.WebAppSpecError):
        web_app.load(spec)


def test_serve_refuses_a_web_app_with_workers_or_tls_without_its_name(tmp_path, capsys):
    db = str(tmp_path / "hub.sqlite")
    with pytest.raises(SystemExit):
        main(["serve", "--db", db, "--workers", "2", "--web-app", "app.web:hub_mount"])
    assert "one worker" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["serve", "--db", db, "--certfile", "c.pem", "--keyfile", "k.pem", "--web-app", "app.web:hub_mount"])
    assert "--web-app-hub" in capsys.readouterr().err
