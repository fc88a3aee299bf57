"""Billing through the official Python SDK on both transports (every response validated against the spec by the
fixture's hook); the two discount operations, which clerk-backend-api 7 does not have, through plain httpx on the
same transport.  Plans, discounts and subscriptions are set up through the control plane, as a test would; the
clock moves through ``POST /__clerkmock/clock``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from .conftest import SdkHandle, SpecHook, make_client
from .helpers import new_user, raises_api_error

DAY_S = 86_400


@pytest.fixture
def bapi(sdk_handle: SdkHandle) -> Iterator[httpx.Client]:
    hook = SpecHook(sdk_handle.transport)
    client = make_client(sdk_handle.transport, sdk_handle.mock, hook)
    client.base_url = httpx.URL(sdk_handle.mock.api_url + "/")
    client.headers.update({"Authorization": f"Bearer {sdk_handle.mock.secret_key}"})
    try:
        yield client
    finally:
        client.close()
    if hook.violations:
        pytest.fail("spec violations in responses:\n" + "\n\n".join(hook.violations), pytrace=False)


class Control:
    """The control plane on the handle's transport."""

    def __init__(self, handle: SdkHandle) -> None:
        transport = handle.mock.transport() if handle.transport == "inprocess" else None
        self.client = httpx.Client(base_url=handle.mock.url + "/__clerkmock", transport=transport, trust_env=False)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.client.post(path, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def advance(self, days: float) -> None:
        self.post("/clock", {"seconds": days * DAY_S})


@pytest.fixture
def control(sdk_handle: SdkHandle) -> Iterator[Control]:
    c = Control(sdk_handle)
    try:
        yield c
    finally:
        c.client.close()


def _plans(control: Control) -> dict[str, Any]:
    control.post("/billing/plans", {"slug": "free_user", "name": "Free", "is_default": True})
    pro = control.post("/billing/plans", {"slug": "pro", "name": "Pro", "amount": 2000, "free_trial_days": 14,
                                          "features": ["dashboard"]})
    team = control.post("/billing/plans", {"slug": "team", "name": "Team", "payer_type": "org", "amount": 9900})
    return {"pro": pro, "team": team}


def test_plans_prices_and_statements(sdk_handle: SdkHandle, control: Control) -> None:
    sdk = sdk_handle.clerk
    plans = _plans(control)
    listed = sdk.billing.list_plans()
    assert [p.slug for p in listed.data] == ["team", "pro", "free_user"] and listed.total_count == 3
    assert [p.slug for p in sdk.billing.list_plans(payer_type="org").data] == ["team"]
    price = sdk.billing.create_price(plan_id=plans["pro"]["id"], amount=1500, description="Friends")
    assert price.is_default is False and price.amount == 1500
    assert [p.amount for p in sdk.billing.list_prices(plan_id=plans["pro"]["id"]).data] == [1500, 2000]
    with raises_api_error(404, "resource_not_found"):
        sdk.billing.create_price(plan_id="cplan_missing", amount=1)
    user = new_user(sdk)
    control.post("/billing/subscriptions", {"user_id": user.id, "plan": "pro", "free_trial": False})
    statements = sdk.billing.list_statements()
    assert statements.total_count == 1 and statements.data[0].status == "closed"
    one = sdk.billing.get_statement(statement_id=statements.data[0].id)
    assert one.totals.grand_total.amount == 2000
    attempts = sdk.billing.get_statement_payment_attempts(statement_id=one.id)
    assert [a.status for a in attempts.data] == ["paid"]
    with raises_api_error(404, "resource_not_found"):
        sdk.billing.get_statement(statement_id="stmt_missing")


def test_subscription_life_through_the_sdk(sdk_handle: SdkHandle, control: Control) -> None:
    sdk = sdk_handle.clerk
    _plans(control)
    user = new_user(sdk)
    with raises_api_error(404, "resource_not_found"):
        sdk.users.get_billing_subscription(user_id=user.id)
    control.post("/billing/subscriptions", {"user_id": user.id, "plan": "pro"})
    sub = sdk.users.get_billing_subscription(user_id=user.id)
    item = sub.subscription_items[0]
    assert item.is_free_trial is True and item.status == "active"
    extended = sdk.billing.extend_subscription_item_free_trial(
        subscription_item_id=item.id, extend_to=datetime.fromtimestamp(item.period_end / 1000 + 2 * DAY_S, UTC))
    assert extended.period_end == item.period_end + 2 * DAY_S * 1000
    assert [i.id for i in sdk.billing.list_subscription_items(status="free_trial").data] == [item.id]
    control.advance(17)  # the trial ends, the first charge
    assert sdk.users.get_billing_subscription(user_id=user.id).subscription_items[0].is_free_trial is False
    price = sdk.billing.create_price(plan_id=item.plan_id, amount=3000)
    moved = sdk.billing.create_price_transition(subscription_item_id=item.id, from_price_id=item.price_id,
                                                to_price_id=price.id)
    assert moved.transition.effective_mode == "immediate" and moved.subscription_item.price_id == price.id
    canceled = sdk.billing.cancel_subscription_item(subscription_item_id=moved.subscription_item.id)
    assert canceled.status == "canceled"
    ended = sdk.billing.cancel_subscription_item(subscription_item_id=moved.subscription_item.id, end_now=True)
    assert ended.status == "ended"
    assert sdk.users.get_billing_subscription(user_id=user.id).subscription_items[0].plan.slug == "free_user"


def test_credits_and_organizations(sdk_handle: SdkHandle, control: Control) -> None:
    sdk = sdk_handle.clerk
    _plans(control)
    user = new_user(sdk)
    entry = sdk.users.adjust_billing_credit_balance(user_id=user.id, amount=700, action="increase",
                                                    idempotency_key="welcome", note="welcome")
    assert entry.amount.amount == 700
    assert sdk.users.get_billing_credit_balance(user_id=user.id).balance.amount == 700
    with raises_api_error(409, "idempotency_key_conflict"):
        sdk.users.adjust_billing_credit_balance(user_id=user.id, amount=1, action="increase",
                                                idempotency_key="welcome")
    org = sdk.organizations.create(request={"name": "Acme"})
    sdk.organizations.adjust_billing_credit_balance(organization_id=org.id, amount=100, action="increase",
                                                    idempotency_key="o")
    assert sdk.organizations.get_billing_credit_balance(organization_id=org.id).balance.amount == 100
    control.post("/billing/subscriptions", {"organization_id": org.id, "plan": "team"})
    sub = sdk.organizations.get_billing_subscription(organization_id=org.id)
    assert sub.subscription_items[0].plan.slug == "team"
    with raises_api_error(404, "resource_not_found"):
        sdk.users.get_billing_credit_balance(user_id="user_missing")


def test_discounts(sdk_handle: SdkHandle, control: Control, bapi: httpx.Client) -> None:
    _plans(control)
    user = new_user(sdk_handle.clerk)
    discount = control.post("/billing/discounts", {"name": "Half", "percent_off": 50})
    sub = control.post("/billing/subscriptions", {"user_id": user.id, "plan": "pro"})
    item_id = sub["subscription_items"][0]["id"]
    applied = bapi.post(f"billing/subscription_items/{item_id}/discounts", json={"discount_id": discount["id"]})
    assert applied.status_code == 200 and applied.json()["status"] == "active"
    assert bapi.post(f"billing/subscription_items/{item_id}/discounts",
                     json={"discount_id": discount["id"]}).status_code == 409
    removed = bapi.delete(f"billing/subscription_items/{item_id}/discounts/{discount['id']}")
    assert removed.status_code == 200 and removed.json()["status"] == "removed"
