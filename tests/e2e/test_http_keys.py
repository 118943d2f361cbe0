"""POST/GET /keys, rotate, revoke: tokens shown once, never a secret or hash listed, bad
input refused with nothing recorded, and `keys:admin` needed for all of it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.bootstrap import Container
from domain.access.api_key import secret_hash
from tests.access_builders import a_token, bearer


def key_id_of(token: str) -> str:
    return token.split("_")[1]


def test_a_key_is_created_shown_once_and_listed_without_secrets(client: TestClient):
    created = client.post("/keys", json={"kind": "channel", "owner": "webshop"})
    assert created.status_code == 201, created.text
    body = created.json()
    token = body["token"]
    assert token.startswith(f"dom_{body['key_id']}_")
    assert body["scopes"] == ["inventory:read", "orders:read", "orders:write"]
    assert (body["kind"], body["owner"], body["status"]) == ("channel", "webshop", "active")
    assert body["issued_by"].startswith("key ")
    listed = client.get("/keys")
    assert listed.status_code == 200
    text = listed.text
    secret = token.split("_", 2)[2]
    assert secret not in text and secret_hash(secret) not in text and "token" not in text
    assert body["key_id"] in [item["key_id"] for item in listed.json()["items"]]
    assert client.get("/orders", headers=bearer(token)).status_code == 200


def test_a_key_may_be_given_fewer_scopes_than_its_kind_never_others(client: TestClient):
    narrow = client.post(
        "/keys", json={"kind": "location", "owner": "wh1", "scopes": ["warehouse"]}
    )
    assert narrow.status_code == 201 and narrow.json()["scopes"] == ["warehouse"]
    assert narrow.json()["owner"] == "WH1"
    before = client.get("/keys").json()["items"]
    for body in (
        {"kind": "channel", "owner": "webshop", "scopes": ["keys:admin"]},
        {"kind": "staff", "owner": "Ann", "scopes": ["orders:write"]},
        {"kind": "location", "owner": "WH1", "scopes": []},
        {"kind": "robot", "owner": "x"},
        {"kind": "channel", "owner": "Web Shop"},
        {"kind": "staff", "owner": "Ann", "scopes": ["everything"]},
        {"kind": "admin", "owner": "Ann", "colour": "red"},
    ):
        refused = client.post("/keys", json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["error"] == "validation_error" and refused.json()["fields"]
    assert client.get("/keys").json()["items"] == before  # nothing recorded


def test_rotating_shows_the_new_token_once_and_keeps_the_old_for_the_grace(client: TestClient):
    token = client.post("/keys", json={"kind": "staff", "owner": "Ann"}).json()["token"]
    rotated = client.post(f"/keys/{key_id_of(token)}/rotate", json={"grace_hours": 1})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["token"]
    assert new != token and key_id_of(new) == key_id_of(token)
    assert rotated.json()["previous_secret_valid_until"] is not None
    assert client.get("/orders", headers=bearer(token)).status_code == 200  # within the grace
    assert client.get("/orders", headers=bearer(new)).status_code == 200
    now_over = client.post(f"/keys/{key_id_of(new)}/rotate", json={"grace_hours": 0})
    assert client.get("/orders", headers=bearer(new)).status_code == 401
    assert client.get("/orders", headers=bearer(now_over.json()["token"])).status_code == 200
    assert (
        client.post(f"/keys/{key_id_of(new)}/rotate", json={"grace_hours": 721}).status_code == 422
    )


def test_revoking_refuses_the_key_and_again_records_nothing(client: TestClient, dom: Container):
    token = a_token(dom, "channel", "webshop")
    revoked = client.post(f"/keys/{key_id_of(token)}/revoke", json={"reason": "leaked"})
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert revoked.json()["revoked"]["reason"] == "leaked"
    version = revoked.json()["version"]
    again = client.post(f"/keys/{key_id_of(token)}/revoke")
    assert again.status_code == 200 and again.json()["version"] == version
    assert client.get("/orders", headers=bearer(token)).status_code == 401
    rotate = client.post(f"/keys/{key_id_of(token)}/rotate")
    assert rotate.status_code == 409 and rotate.json()["error"] == "invalid_transition"


def test_unknown_keys_are_404(client: TestClient):
    unknown = "0" * 32
    assert client.post(f"/keys/{unknown}/revoke").status_code == 404
    assert client.post(f"/keys/{unknown}/rotate").status_code == 404


def test_keys_need_keys_admin(client: TestClient, dom: Container):
    staff = bearer(a_token(dom, "staff", "Ann"))
    assert client.get("/keys", headers=staff).status_code == 403
    assert (
        client.post("/keys", json={"kind": "admin", "owner": "Me"}, headers=staff).status_code
        == 403
    )
