"""Opening a profile is reported to the hub's audit log, also when it happened offline."""

from __future__ import annotations

import httpx

from tests.state.helpers import engine, signed_in
from tests.state.test_app import logged_in, wait_for


async def test_a_profile_opened_offline_reaches_the_audit_log_and_is_no_pending_change(demo_hub, tmp_path):
    ctrl = await logged_in(demo_hub, tmp_path)
    await wait_for(lambda: len(ctrl.clients.rows) > 0)
    await engine(ctrl).stop()  # offline from here on
    client_id = ctrl.clients.rows[0].id
    await ctrl.profile.open(client_id)
    await engine(ctrl).refresh_counts()
    assert engine(ctrl).status.pending == 0  # a view is not a change waiting to sync
    assert ctrl.profile.data is not None and ctrl.profile.data.pending == ()
    await engine(ctrl).sync_once()
    me = signed_in(ctrl)
    token = httpx.post(demo_hub.url + "/v1/auth/login", json={"login": "manager1", "password": "vitrine"}).json()
    r = httpx.get(
        f"{demo_hub.url}/v1/clients/{client_id}/audit", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert r.status_code == 200, r.text
    views = [x for x in r.json() if x["action"] == "view"]
    assert [(x["kind"], x["account_id"]) for x in views][-1:] == [("client.viewed", me.consultant_id)]
    assert views[-1]["device_id"] and views[-1]["device_time"] <= views[-1]["at"]
    await ctrl.close()
