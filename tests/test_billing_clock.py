"""Billing from a test's point of view: plans and a subscription seeded from a scenario document (the ``billing``
key), the clock moved with the fixture's ``advance()`` and the control plane's ``POST /__clerkmock/clock``, and
every step seen through the Backend API (statements, payment attempts, the subscription's status)."""

from __future__ import annotations

from typing import Any

DAY_S = 86_400
SCENARIO = {
    "users": [{"email_address": ["alice@example.com"], "first_name": "Alice"},
              {"email_address": ["bob@example.com"]}],
    "billing": {
        "plans": [{"slug": "free_user", "name": "Free", "is_default": True},
                  {"slug": "pro", "name": "Pro", "amount": 2000, "free_trial_days": 14, "features": ["dashboard"]}],
        "subscriptions": [{"user": "alice@example.com", "plan": "pro"},
                          {"user": "bob@example.com", "plan": "pro", "free_trial": False}],
        "cards": [{"user": "bob@example.com", "declines": True}],
    },
}


def _get(client: Any, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


def _subscription(client: Any, email: str) -> dict[str, Any]:
    user = _get(client, f"/v1/users?email_address={email}")[0]
    return _get(client, f"/v1/users/{user['id']}/billing/subscription")


def test_the_fixture_clock_drives_seeded_subscriptions(clerkmock: Any) -> None:
    created = clerkmock.seed(SCENARIO)
    assert len(created["billing.plans"]) == 2
    with clerkmock.client(headers={"Authorization": f"Bearer {clerkmock.secret_key}"}) as client:
        assert _subscription(client, "alice@example.com")["subscription_items"][0]["is_free_trial"] is True
        assert _get(client, "/v1/billing/statements")["total_count"] == 1  # Bob paid at checkout
        clerkmock.advance(15 * DAY_S)  # Alice's trial ends: charged
        statements = _get(client, "/v1/billing/statements")["data"]
        assert [(s["status"], s["totals"]["grand_total"]["amount"]) for s in statements] == [("closed", 2000),
                                                                                              ("closed", 2000)]
        clerkmock.advance(17 * DAY_S)  # Bob's renewal: his card declines
        bob = _subscription(client, "bob@example.com")
        assert (bob["status"], bob["subscription_items"][0]["status"]) == ("past_due", "past_due")
        newest = _get(client, "/v1/billing/statements")["data"][0]
        attempts = _get(client, f"/v1/billing/statements/{newest['id']}/payment_attempts")["data"]
        assert (newest["status"], attempts[0]["status"]) == ("open", "failed")
        # the control plane's clock does the same: Alice renews, Bob's second failure ends his item
        response = client.post("/__clerkmock/clock", json={"seconds": 31 * DAY_S})
        assert response.status_code == 200
        assert _subscription(client, "alice@example.com")["subscription_items"][0]["lifetime_paid"]["amount"] == 4000
        bob = _subscription(client, "bob@example.com")
        assert [(i["plan"]["slug"], i["status"]) for i in bob["subscription_items"]] == [("free_user", "active"),
                                                                                        ("pro", "ended")]


def test_the_scim_endpoint_is_journaled_and_faultable(clerkmock: Any) -> None:
    """A directory's SCIM endpoint goes through the same pipeline: route names ``scim.<resource>.<action>`` in
    the journal and in fault rules (docs/directories.md)."""
    auth = {"Authorization": f"Bearer {clerkmock.secret_key}"}
    with clerkmock.client(headers=auth) as client:
        conn = client.post("/v1/enterprise_connections", json={"name": "SSO", "provider": "saml_okta",
                                                                 "domains": ["acme.com"]}).json()
        d = client.post("/v1/directories", json={"enterprise_connection_id": conn["id"], "provider": "okta"}).json()
    rule = clerkmock.fail("scim.users.create", status=503, times=1)
    scim = {"Authorization": f"Bearer {d['api_key']}", "Content-Type": "application/scim+json"}
    with clerkmock.client(headers=scim) as idp:
        base = f"/scim/v2/{d['id']}"
        assert idp.post(f"{base}/Users", json={"userName": "eve@acme.com"}).status_code == 503
        assert idp.post(f"{base}/Users", json={"userName": "eve@acme.com"}).status_code == 201
        assert idp.get(f"{base}/Users").json()["totalResults"] == 1
    routes = [c.route for c in clerkmock.requests if c.path.startswith("/scim/")]
    assert routes == ["scim.users.create", "scim.users.create", "scim.users.list"]
    assert rule.fired == 1
