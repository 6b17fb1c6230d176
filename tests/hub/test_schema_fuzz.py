"""Schemathesis against the hub's own OpenAPI: no 500s, no response that breaks the schema.

Driven through its Python API with Hypothesis directly (its pytest plugin does not
support this pytest version), one test per operation.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import positive_data_acceptance

from sync.hub.api import create_app
from sync.hub.seed import seed
from sync.hub.storage import HubDB


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory):
    db = HubDB(str(tmp_path_factory.mktemp("fuzz") / "hub.sqlite"))
    db.migrate()
    seed(db, n_clients=40, log=None)
    app = create_app(db)
    with TestClient(app) as c:
        tokens = {
            (who, op): c.post("/v1/auth/login", json={"login": who, "password": password}).json()["access_token"]
            for who, password in LOGINS.items()
            for op in ("any", LOGOUT)  # logout ends its session: one of its own, so the others stay
        }
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    ops = {}
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # an operation schemathesis cannot read: say which, not AttributeError
        op = result.ok()
        ops[f"{op.method.upper()} {op.path}"] = op
    yield ops, tokens
    db.dispose()


# One account of every role (sync.hub.auth.ROLES), so a refusal by role is fuzzed too.
LOGINS = {"demo": "vitrine-demo", "manager1": "vitrine", "till1": "vitrine", "admin": "vitrine"}


LOGOUT = "POST /v1/auth/logout"
REPORT = "GET /v1/reports/identified"
RESULTS = "GET /v1/reports/results"
QUOTE = "POST /v1/clients/{client_id}/counter-quote"
OPERATIONS = [
    "GET /healthz",
    "POST /v1/auth/login",
    "POST /v1/auth/refresh",
    LOGOUT,
    "GET /v1/me",
    "GET /v1/devices",
    "POST /v1/devices/{device_id}/revoke",
    "GET /v1/changes",
    "GET /v1/changes.sqlite",
    "POST /v1/mutations",
    "PUT /v1/blobs/{sha256}",
    "GET /v1/blobs/{sha256}",
    "POST /v1/pos/receipts",
    "GET /v1/reports/identified",
    RESULTS,
    "GET /v1/clients/{client_id}/audit",
    "GET /v1/loyalty/referral-code",
    "POST /v1/clients/lookup",
    "POST /v1/clients/{client_id}/share",
    "GET /v1/duplicates",
    "POST /v1/duplicates/{pair_id}/merge",
    "POST /v1/duplicates/{pair_id}/dismiss",
    "POST /v1/clients/{client_id}/counter-quote",
]


def test_every_operation_is_fuzzed(fuzz):
    ops, _ = fuzz
    assert set(ops) == set(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
@pytest.mark.parametrize("who", [*LOGINS, None])
def test_no_server_errors_and_schema_conformance(fuzz, label, who):
    ops, tokens = fuzz
    headers = {"Authorization": f"Bearer {tokens[(who, LOGOUT if label == LOGOUT else 'any')]}"} if who else {}

    # A blob's body must hash to its address, a report period's `from` must not pass its `to`,
    # a basket line's discount must not pass its price x qty, a consultant asks for her own
    # results only; a schema cannot say any of them:
    # random values are rightly refused there, so "valid data accepted" is not checked for those.
    cross_field = label.startswith("PUT /v1/blobs") or label in (REPORT, RESULTS, QUOTE)
    excluded = [positive_data_acceptance] if cross_field else []

    @given(case=ops[label].as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    check()
