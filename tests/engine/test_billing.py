"""Billing at engine level: a subscription driven through trial -> active -> renewal -> past due -> canceled ->
ended by the engine clock, with each statement, payment attempt and webhook event checked (events against the
vendored webhook spec, Backend API bodies against the Backend API spec); plans and prices, credits, discounts,
free-trial extension, price transitions, the session token's plan and feature claims."""

from __future__ import annotations

from typing import Any

import jwt as pyjwt

from clerkmock.engine.resources.billing import setup
from tests.webhooks import webhook_spec

from .orgs_helpers import Api

DAY_S = 86_400


def _api() -> Api:
    api = Api()
    api.engine.outbox.enabled = True
    return api


def _events(api: Api) -> list[dict[str, Any]]:
    payloads = [e.json() for e in api.engine.outbox.drain()]
    for p in payloads:
        webhook_spec.validate(p)
    return payloads


def _plans(api: Api) -> None:
    now = api.engine.clock.now_ms()
    setup.define_plan(api.state, {"slug": "free_user", "name": "Free", "is_default": True}, now)
    setup.define_plan(api.state, {"slug": "pro", "name": "Pro", "amount": 2000, "annual_monthly_amount": 1600,
                                  "free_trial_days": 14, "features": ["dashboard", {"slug": "export"}]}, now)
    setup.define_plan(api.state, {"slug": "team", "name": "Team", "payer_type": "org", "amount": 9900}, now)


def _advance(api: Api, days: float) -> None:
    api.engine.clock.advance(seconds=days * DAY_S)
    api.engine.settle()


def test_a_subscription_lives_on_the_clock() -> None:
    api = _api()
    _plans(api)
    alice = api.user("alice@acme.com", first_name="Alice")
    _events(api)
    start = api.engine.clock.now_ms()
    setup.subscribe(api.state, {"user_id": alice["id"], "plan": "pro"}, start)
    sub = api("GET", f"/v1/users/{alice['id']}/billing/subscription")
    item = sub["subscription_items"][0]
    assert (sub["status"], item["status"], item["is_free_trial"], item["plan"]["slug"]) == ("active", "active",
                                                                                          True, "pro")
    assert item["period_end"] == start + 14 * DAY_S * 1000
    assert [e["type"] for e in _events(api)] == ["subscription.created", "subscriptionItem.active",
                                                 "subscription.updated", "subscription.active"]
    assert api("GET", "/v1/billing/statements")["total_count"] == 0  # a trial is not charged
    # three days before the trial ends: the notice
    _advance(api, 11)
    assert [e["type"] for e in _events(api)] == ["subscriptionItem.freeTrialEnding"]
    # the trial ends: the first charge, the item is paid for a month
    _advance(api, 3)
    events = _events(api)
    assert [e["type"] for e in events] == ["paymentAttempt.created", "paymentAttempt.updated",
                                           "subscriptionItem.active"]
    assert events[1]["data"]["status"] == "paid" and events[1]["data"]["charge_type"] == "recurring"
    assert events[1]["data"]["totals"]["grand_total"]["amount"] == 2000
    trial_end = start + 14 * DAY_S * 1000
    assert events[0]["timestamp"] == trial_end  # stamped when it happened, not when the clock was read
    statements = api("GET", "/v1/billing/statements")["data"]
    assert [(s["status"], s["totals"]["grand_total"]["amount"], s["timestamp"]) for s in statements] == [
        ("closed", 2000, trial_end)]
    attempts = api("GET", f"/v1/billing/statements/{statements[0]['id']}/payment_attempts")["data"]
    assert [(a["status"], a["amount"]["amount"]) for a in attempts] == [("paid", 2000)]
    item = api("GET", f"/v1/users/{alice['id']}/billing/subscription")["subscription_items"][0]
    assert (item["is_free_trial"], item["lifetime_paid"]["amount"]) == (False, 2000)
    # a month later: renewal
    _advance(api, 31)
    assert [e["type"] for e in _events(api)] == ["paymentAttempt.created", "paymentAttempt.updated",
                                                 "subscriptionItem.updated"]
    assert api("GET", "/v1/billing/statements")["total_count"] == 2
    # the card declines: past due
    setup.set_card(api.state, {"user_id": alice["id"], "declines": True}, api.engine.clock.now_ms())
    _advance(api, 31)
    events = _events(api)
    assert [e["type"] for e in events] == ["paymentAttempt.created", "paymentAttempt.updated",
                                           "subscriptionItem.pastDue", "subscription.updated",
                                           "subscription.pastDue"]
    assert events[1]["data"]["status"] == "failed" and events[1]["data"]["failed_reason"]["code"] == "card_declined"
    sub = api("GET", f"/v1/users/{alice['id']}/billing/subscription")
    assert (sub["status"], sub["subscription_items"][0]["status"]) == ("past_due", "past_due")
    newest = api("GET", "/v1/billing/statements")["data"][0]
    assert newest["status"] == "open"
    assert api("GET", "/v1/billing/subscription_items?status=past_due")["total_count"] == 1
    # canceled: usable until the period end, then it ends and the default free plan takes over
    item_id = sub["subscription_items"][0]["id"]
    canceled = api("DELETE", f"/v1/billing/subscription_items/{item_id}")
    assert canceled["status"] == "canceled" and canceled["canceled_at"] is not None
    assert [e["type"] for e in _events(api)] == ["subscriptionItem.canceled", "subscription.updated",
                                                 "subscription.active"]
    _advance(api, 31)
    assert [e["type"] for e in _events(api)] == ["subscriptionItem.ended", "subscriptionItem.active"]
    sub = api("GET", f"/v1/users/{alice['id']}/billing/subscription")
    assert [(i["plan"]["slug"], i["status"]) for i in sub["subscription_items"]] == [("free_user", "active"),
                                                                                    ("pro", "ended")]
    assert api("GET", "/v1/billing/statements")["total_count"] == 3  # nothing charged after the cancel


def test_a_second_failure_ends_a_past_due_item_and_recovery_reactivates() -> None:
    api = _api()
    _plans(api)
    bob, carol = api.user("bob@acme.com"), api.user("carol@acme.com")
    now = api.engine.clock.now_ms()
    setup.subscribe(api.state, {"user_id": bob["id"], "plan": "pro", "free_trial": False}, now)
    setup.subscribe(api.state, {"user_id": carol["id"], "plan": "pro", "free_trial": False}, now)
    for who in (bob, carol):
        setup.set_card(api.state, {"user_id": who["id"], "declines": True}, now)
    _advance(api, 31)
    setup.set_card(api.state, {"user_id": carol["id"], "declines": False}, api.engine.clock.now_ms())
    _events(api)
    _advance(api, 31)
    types = [e["type"] for e in _events(api)]
    assert "subscriptionItem.ended" in types and "subscription.active" in types
    assert api("GET", f"/v1/users/{bob['id']}/billing/subscription")["subscription_items"][0]["plan"]["slug"] == \
        "free_user"
    carol_item = api("GET", f"/v1/users/{carol['id']}/billing/subscription")["subscription_items"][0]
    assert (carol_item["status"], carol_item["lifetime_paid"]["amount"]) == ("active", 4000)


def test_plans_prices_and_subscription_items() -> None:
    api = _api()
    _plans(api)
    plans = api("GET", "/v1/billing/plans")
    assert [p["slug"] for p in plans["data"]] == ["team", "pro", "free_user"]
    assert [p["slug"] for p in api("GET", "/v1/billing/plans?payer_type=org")["data"]] == ["team"]
    pro = next(p for p in plans["data"] if p["slug"] == "pro")
    assert pro["fee"]["amount"] == 2000 and pro["annual_fee"]["amount"] == 19200 and pro["free_trial_days"] == 14
    assert [f["slug"] for f in pro["features"]] == ["dashboard", "export"]
    custom = api("POST", "/v1/billing/prices", {"plan_id": pro["id"], "amount": 1500, "description": "Friends"})
    assert custom["is_default"] is False and custom["fee"]["amount_formatted"] == "15.00"
    prices = api("GET", f"/v1/billing/prices?plan_id={pro['id']}")["data"]
    assert [p["fee"]["amount"] for p in prices] == [1500, 2000]
    api("GET", "/v1/billing/prices?plan_id=cplan_missing", status=404)
    api("POST", "/v1/billing/prices", {"plan_id": "cplan_missing", "amount": 1}, status=404)
    api("POST", "/v1/billing/prices", {"plan_id": pro["id"], "amount": 1, "currency": "EUR"}, status=422,
        code="form_param_value_invalid")
    org = api.org("Acme")
    alice = api.user("alice@acme.com")
    now = api.engine.clock.now_ms()
    setup.subscribe(api.state, {"organization_id": org["id"], "plan": "team"}, now)
    setup.subscribe(api.state, {"user_id": alice["id"], "plan": "pro", "price_id": custom["id"]}, now)
    items = api("GET", "/v1/billing/subscription_items")
    assert items["total_count"] == 2
    assert api("GET", "/v1/billing/subscription_items?status=free_trial")["data"][0]["payer"]["email"] == \
        "alice@acme.com"
    assert api("GET", "/v1/billing/subscription_items?payer_type=org")["data"][0]["plan"]["slug"] == "team"
    assert api("GET", "/v1/billing/subscription_items?query=acme")["total_count"] == 2
    assert api("GET", f"/v1/organizations/{org['id']}/billing/subscription")["status"] == "active"
    api("GET", f"/v1/users/{api.user()['id']}/billing/subscription", status=404, code="resource_not_found")
    api("GET", "/v1/users/user_missing/billing/subscription", status=404)


def test_credits_pay_part_of_a_charge() -> None:
    api = _api()
    _plans(api)
    alice = api.user("alice@acme.com")
    base = f"/v1/users/{alice['id']}/billing/credits"
    assert api("GET", base)["balance"]["amount"] == 0
    body = {"amount": 500, "action": "increase", "idempotency_key": "k1", "note": "welcome"}
    entry = api("POST", base, body)
    assert entry["amount"]["amount"] == 500 and entry["note"] == "welcome"
    assert api("POST", base, body) == entry  # idempotent
    api("POST", base, {**body, "amount": 600}, status=409, code="idempotency_key_conflict")
    api("POST", base, {"amount": 900, "action": "decrease", "idempotency_key": "k2"}, status=422,
        code="form_param_value_invalid")
    setup.subscribe(api.state, {"user_id": alice["id"], "plan": "pro", "free_trial": False},
                    api.engine.clock.now_ms())
    statement = api("GET", "/v1/billing/statements")["data"][0]
    assert (statement["totals"]["subtotal"]["amount"], statement["totals"]["grand_total"]["amount"]) == (2000, 1500)
    assert api("GET", base)["balance"]["amount"] == 0
    org = api.org("Acme")
    obase = f"/v1/organizations/{org['id']}/billing/credits"
    api("POST", obase, {"amount": 100, "action": "increase", "idempotency_key": "o1"})
    assert api("GET", obase)["balance"]["amount"] == 100


def test_discounts_trial_extension_and_price_transitions() -> None:
    api = _api()
    _plans(api)
    alice = api.user("alice@acme.com")
    now = api.engine.clock.now_ms()
    half = setup.define_discount(api.state, {"name": "Half", "percent_off": 50, "cycles": 1}, now)
    five = setup.define_discount(api.state, {"name": "Five off", "amount_off": 500}, now)
    item = setup.subscribe(api.state, {"user_id": alice["id"], "plan": "pro"}, now)
    url = f"/v1/billing/subscription_items/{item.id}"
    red = api("POST", f"{url}/discounts", {"discount_id": half.id})
    assert (red["status"], red["percent_off"], red["cycles_remaining"]) == ("active", 50.0, 1)
    api("POST", f"{url}/discounts", {"discount_id": half.id}, status=409, code="discount_already_applied")
    api("POST", f"{url}/discounts", {"discount_id": "cdisc_missing"}, status=404)
    # the trial: extended (idempotently), within a year
    new_end = item.period_end + 7 * DAY_S * 1000
    iso = __import__("datetime").datetime.fromtimestamp(new_end / 1000, __import__("datetime").UTC).isoformat()
    extended = api("POST", f"{url}/extend_free_trial", {"extend_to": iso})
    assert extended["period_end"] == new_end
    assert api("POST", f"{url}/extend_free_trial", {"extend_to": iso})["period_end"] == new_end
    api("POST", f"{url}/extend_free_trial", {"extend_to": "2000-01-01T00:00:00Z"}, status=422)
    _advance(api, 21)
    statement = api("GET", "/v1/billing/statements")["data"][0]
    assert statement["totals"]["grand_total"]["amount"] == 1000  # half off, once
    api("POST", f"{url}/extend_free_trial", {"extend_to": iso}, status=400, code="billing_not_in_free_trial")
    swapped = api("POST", f"{url}/discounts", {"discount_id": five.id})
    api("DELETE", f"{url}/discounts/{half.id}", status=404)
    assert api("DELETE", f"{url}/discounts/{five.id}")["status"] == "removed"
    assert swapped["effect"] == "fixed_amount"
    # a dearer price applies at once; a cheaper one at the period end
    pro_id = item.plan_id
    dear = api("POST", "/v1/billing/prices", {"plan_id": pro_id, "amount": 3000})
    cheap = api("POST", "/v1/billing/prices", {"plan_id": pro_id, "amount": 1000})
    api("POST", f"{url}/price_transition", {"from_price_id": cheap["id"], "to_price_id": dear["id"]}, status=422)
    up = api("POST", f"{url}/price_transition", {"from_price_id": item.price_id, "to_price_id": dear["id"]})
    assert (up["transition"]["effective_mode"], up["transition"]["charged_immediately"],
            up["transition"]["previous_subscription_item_status"]) == (
        "immediate", True, "ended")
    new_url = f"/v1/billing/subscription_items/{up['subscription_item']['id']}"
    down = api("POST", f"{new_url}/price_transition", {"from_price_id": dear["id"], "to_price_id": cheap["id"]})
    assert (down["transition"]["effective_mode"], down["subscription_item"]["status"]) == ("end_of_period",
                                                                                          "upcoming")
    api("POST", f"{new_url}/price_transition", {"from_price_id": dear["id"], "to_price_id": dear["id"]},
        status=409)
    _advance(api, 31)
    sub = api("GET", f"/v1/users/{alice['id']}/billing/subscription")
    assert [(i["price_id"], i["status"]) for i in sub["subscription_items"][:2]] == [
        (cheap["id"], "active"), (dear["id"], "ended")]


def test_session_tokens_carry_the_plan_and_its_features() -> None:
    api = _api()
    _plans(api)
    alice = api.user("alice@acme.com")
    sess = api("POST", "/v1/sessions", {"user_id": alice["id"]})

    def claims() -> dict[str, Any]:
        token = api("POST", f"/v1/sessions/{sess['id']}/tokens", version="2026-05-12")["jwt"]
        return pyjwt.decode(token, options={"verify_signature": False})

    assert claims()["pla"] == "u:free_user" and "fea" not in claims()
    setup.subscribe(api.state, {"user_id": alice["id"], "plan": "pro"}, api.engine.clock.now_ms())
    got = claims()
    assert (got["pla"], got["fea"]) == ("u:pro", "u:dashboard,u:export")


def test_setup_refuses_what_it_cannot_do() -> None:
    api = _api()
    _plans(api)
    now = api.engine.clock.now_ms()
    alice = api.user("alice@acme.com")
    for body, param in (({"slug": "pro", "name": "Again"}, "slug"), ({"name": "No slug"}, "slug"),
                        ({"slug": "x", "name": "X", "amount": -1}, "amount"),
                        ({"slug": "y", "name": "Y", "is_default": True}, "is_default")):
        try:
            setup.define_plan(api.state, body, now)
        except Exception as exc:  # noqa: BLE001 - a ClerkError naming the field
            assert exc.meta["param_name"] == param, (body, exc)  # type: ignore[attr-defined]
        else:
            raise AssertionError(body)
    for body, param in (({"user_id": alice["id"], "plan": "team"}, "plan"),
                        ({"user_id": "user_missing", "plan": "pro"}, "user_id"),
                        ({"user_id": alice["id"], "plan": "nope"}, "plan")):
        try:
            setup.subscribe(api.state, body, now)
        except Exception as exc:  # noqa: BLE001
            assert exc.meta["param_name"] == param, (body, exc)  # type: ignore[attr-defined]
        else:
            raise AssertionError(body)
