"""Billing shapes: the Backend API's (commerce_plan, commerce_price, commerce_subscription(_item), commerce_statement,
commerce_payment, credit balance and ledger, discount redemption, price transition) and the webhook payloads
(``subscription.*``, ``subscriptionItem.*``, ``paymentAttempt.*``).  Money is USD, in cents."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from clerkmock.engine.records.billing import (
    Item,
    LedgerEntry,
    Payer,
    PaymentAttempt,
    Plan,
    Price,
    Redemption,
    Statement,
    Subscription,
)
from clerkmock.engine.resources.billing.lifecycle import balance, price_amount
from clerkmock.engine.state import State

CURRENCY, SYMBOL = "USD", "$"
PAYMENT_METHOD_ID = "cpm_clerkmock"  # every payer pays with one emulated test card


def money(cents: int) -> dict[str, Any]:
    sign = "-" if cents < 0 else ""
    return {"amount": cents, "amount_formatted": f"{sign}{abs(cents) / 100:.2f}", "currency": CURRENCY,
            "currency_symbol": SYMBOL}


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# -- plans and prices -----------------------------------------------------------------------------------------


def feature_json(f: Any, strict: bool = False) -> dict[str, Any]:
    return {"object": "feature", "id": f.id, "name": f.name, "description": f.description or ("" if strict else None),
            "slug": f.slug, "avatar_url": "" if strict else None}


def plan_json(st: State, plan: Plan) -> dict[str, Any]:
    price = st.billing.prices[plan.default_price_id]
    return {
        "object": "commerce_plan", "id": plan.id, "name": plan.name,
        "fee": money(price.amount),
        "annual_monthly_fee": money(price.annual_monthly_amount) if price.annual_monthly_amount else None,
        "annual_fee": money(price.annual_monthly_amount * 12) if price.annual_monthly_amount else None,
        "description": plan.description, "product_id": plan.product_id, "is_default": plan.is_default,
        "is_recurring": price.amount > 0, "publicly_visible": plan.publicly_visible,
        "has_base_fee": price.amount > 0, "for_payer_type": plan.payer_type, "slug": plan.slug, "avatar_url": None,
        "features": [feature_json(f) for f in plan.features],
        "free_trial_enabled": plan.free_trial_days is not None, "free_trial_days": plan.free_trial_days,
    }


def plan_json_v2(st: State, plan: Plan) -> dict[str, Any]:
    """The plan inside the ``CommerceSubscriptionItem-2`` shape (extend_free_trial, price transitions)."""
    price = st.billing.prices[plan.default_price_id]
    out = plan_json(st, plan)
    for key in ("fee", "annual_monthly_fee", "annual_fee"):  # nullable beside allOf: shown as 0, not null
        out[key] = out[key] or money(0)
    annual = price.annual_monthly_amount
    out.update({
        "amount": price.amount, "amount_formatted": money(price.amount)["amount_formatted"],
        "annual_monthly_amount": annual, "annual_monthly_amount_formatted": money(annual)["amount_formatted"],
        "annual_amount": annual * 12, "annual_amount_formatted": money(annual * 12)["amount_formatted"],
        "currency": CURRENCY, "currency_symbol": SYMBOL,
        "description": plan.description or "", "avatar_url": "", "payer_type": [plan.payer_type],
        "period": "month", "interval": 1, "features": [feature_json(f, strict=True) for f in plan.features],
    })
    if plan.free_trial_days is None:
        del out["free_trial_days"]
    return out


def price_json(st: State, price: Price) -> dict[str, Any]:
    return {
        "object": "commerce_price", "id": price.id, "plan_id": price.plan_id, "instance_id": st.instance.id,
        "currency": CURRENCY, "currency_symbol": SYMBOL, "amount": price.amount,
        "annual_monthly_amount": price.annual_monthly_amount, "fee": money(price.amount),
        # the spec's nullable-beside-allOf does not validate as null: a price without annual billing shows 0
        "annual_monthly_fee": money(price.annual_monthly_amount),
        "description": price.description, "is_default": price.is_default, "created_at": price.created_at,
        "supported_billing_periods": price.supported_billing_periods,
    }


# -- payers ---------------------------------------------------------------------------------------------------


def _owner(st: State, payer: Payer) -> dict[str, Any]:
    """first/last name, email, image of the user, or the organization's name and image."""
    if payer.user_id:
        user = st.users.get(payer.user_id)
        email = None
        if user is not None and user.primary_email_address_id:
            idn = st.identifications.get(user.primary_email_address_id)
            email = idn.value if idn else None
        return {"user_id": payer.user_id, "first_name": user.first_name if user else None,
                "last_name": user.last_name if user else None, "email": email,
                "image_url": (user.image_url if user else None) or "https://img.clerk.com/default"}
    org = st.orgs.orgs.get(payer.organization_id or "")
    return {"organization_id": payer.organization_id, "organization_name": org.name if org else None,
            "image_url": "https://img.clerk.com/default"}


def payer_json(st: State, payer: Payer, *, v2: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"object": "commerce_payer", "id": payer.id, "instance_id": st.instance.id}
    owner = _owner(st, payer)
    if v2:  # CommercePayerResponse-2 requires the person's fields, as strings, even for an organization
        owner = {"first_name": "", "last_name": "", "email": "", **{k: v for k, v in owner.items() if v}}
    out.update({k: v for k, v in owner.items() if v is not None})
    out.update({"credits_balance": money(max(0, balance(st, payer.id))), "created_at": payer.created_at,
                "updated_at": payer.created_at})
    return out


def payer_event(st: State, payer: Payer) -> dict[str, Any]:
    """The webhook payer: every field a string (empty for what does not apply)."""
    owner = _owner(st, payer)
    keys = ("user_id", "first_name", "last_name", "email", "organization_id", "organization_name", "image_url")
    return {"object": "commerce_payer", "id": payer.id, **{k: owner.get(k) or "" for k in keys},
            "created_at": payer.created_at, "updated_at": payer.created_at}


def payment_method_json(payer: Payer) -> dict[str, Any]:
    return {"object": "commerce_payment_method", "id": PAYMENT_METHOD_ID, "payer_id": payer.id,
            "payment_type": "card", "is_default": True, "gateway": "stripe", "gateway_external_id": "pm_clerkmock",
            "gateway_external_account_id": None, "last4": "0002" if payer.card_declines else "4242",
            "status": "active", "card_type": "visa", "expiry_year": 2034, "expiry_month": 12,
            "created_at": payer.created_at, "updated_at": payer.created_at, "is_removable": False}


# -- subscriptions --------------------------------------------------------------------------------------------


def _next_payment(st: State, item: Item) -> dict[str, Any] | None:
    if item.status not in ("active", "past_due") or item.period_end is None:
        return None
    amount = price_amount(st.billing.prices[item.price_id], item.plan_period)
    return {"amount": money(amount), "date": item.period_end}


def item_json(st: State, item: Item) -> dict[str, Any]:
    b = st.billing
    payer = b.payers[item.payer_id]
    return {
        "object": "commerce_subscription_item", "id": item.id, "instance_id": st.instance.id, "status": item.status,
        "plan_id": item.plan_id, "price_id": item.price_id, "plan": plan_json(st, b.plans[item.plan_id]),
        "plan_period": item.plan_period, "payment_method": payment_method_json(payer),
        "lifetime_paid": money(item.lifetime_paid), "next_payment": _next_payment(st, item),
        "payer_id": payer.id, "payer": payer_json(st, payer), "is_free_trial": item.is_free_trial,
        "period_start": item.period_start, "period_end": item.period_end, "canceled_at": item.canceled_at,
        "past_due_at": item.past_due_at, "ended_at": item.ended_at, "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


def item_json_v2(st: State, item: Item) -> dict[str, Any]:
    """``CommerceSubscriptionItem-2`` (extend_free_trial and price transitions answer this variant)."""
    b = st.billing
    payer = b.payers[item.payer_id]
    out: dict[str, Any] = {
        "object": "commerce_subscription_item", "id": item.id, "instance_id": st.instance.id,
        "status": "active" if item.status == "canceled" else item.status,  # this variant has no "canceled"
        "plan_id": item.plan_id, "price_id": item.price_id, "plan": plan_json_v2(st, b.plans[item.plan_id]),
        "plan_period": item.plan_period, "payment_source_id": PAYMENT_METHOD_ID,
        "lifetime_paid": money(item.lifetime_paid),
        "amount": money(price_amount(b.prices[item.price_id], item.plan_period)),
        "payer_id": payer.id, "payer": payer_json(st, payer, v2=True), "is_free_trial": item.is_free_trial,
        "period_start": item.period_start, "period_end": item.period_end,
        "proration_date": iso(item.period_start), "canceled_at": item.canceled_at,
        "past_due_at": item.past_due_at, "ended_at": item.ended_at, "created_at": item.created_at,
        "updated_at": item.updated_at,
    }
    nxt = _next_payment(st, item)
    if nxt is not None:
        out["next_payment"] = nxt
    return out


def subscription_json(st: State, sub: Subscription) -> dict[str, Any]:
    items = [st.billing.items[i] for i in sub.item_ids]
    return {
        "object": "commerce_subscription", "id": sub.id, "instance_id": st.instance.id, "status": sub.status,
        "payer_id": sub.payer_id, "created_at": sub.created_at, "updated_at": sub.updated_at,
        "active_at": sub.active_at, "past_due_at": sub.past_due_at,
        "subscription_items": [item_json(st, i) for i in reversed(items)],  # newest first
    }


def _plan_event(st: State, plan: Plan, price: Price, plan_period: str) -> dict[str, Any]:
    return {"id": plan.id, "slug": plan.slug, "name": plan.name, "is_recurring": price.amount > 0,
            "amount": price_amount(price, plan_period), "currency": CURRENCY}


def item_event(st: State, item: Item) -> dict[str, Any]:
    b = st.billing
    plan, price = b.plans[item.plan_id], b.prices[item.price_id]
    return {
        "object": "commerce_subscription_item", "id": item.id, "status": item.status,
        "is_free_trial": item.is_free_trial, "created_at": item.created_at, "updated_at": item.updated_at,
        "period_start": item.period_start, "period_end": item.period_end, "interval": item.plan_period,
        "plan_id": plan.id, "plan": {**_plan_event(st, plan, price, item.plan_period), "unit_prices": []},
        "payer": payer_event(st, b.payers[item.payer_id]), "subscription_id": item.subscription_id,
    }


def subscription_event(st: State, sub: Subscription) -> dict[str, Any]:
    b = st.billing
    return {
        "object": "commerce_subscription", "id": sub.id,
        "status": sub.status if sub.status != "upcoming" else "active",
        "active_at": sub.active_at, "canceled_at": None, "created_at": sub.created_at,
        "ended_at": sub.updated_at if sub.status == "ended" else None, "past_due_at": sub.past_due_at,
        "updated_at": sub.updated_at, "latest_payment_id": sub.latest_payment_id, "payer_id": sub.payer_id,
        "payer": payer_event(st, b.payers[sub.payer_id]), "payment_source_id": PAYMENT_METHOD_ID,
        "items": [item_event(st, b.items[i]) for i in sub.item_ids],
    }


# -- statements and payments ----------------------------------------------------------------------------------


def _totals(subtotal: int, grand: int) -> dict[str, Any]:
    return {"subtotal": money(subtotal), "base_fee": money(subtotal), "tax_total": money(0),
            "grand_total": money(grand)}


def attempt_json(st: State, a: PaymentAttempt) -> dict[str, Any]:
    b = st.billing
    payer = b.payers[a.payer_id]
    return {
        "object": "commerce_payment", "id": a.id, "payment_id": a.payment_id, "instance_id": st.instance.id,
        "charge_type": a.charge_type, "payee_id": "cpayee_clerkmock",
        "payee": {"id": "cpayee_clerkmock", "gateway_type": "stripe", "gateway_external_id": "acct_clerkmock",
                  "gateway_status": "active"},
        "payer_id": payer.id, "payer": payer_json(st, payer), "subscription_item_id": a.item_id,
        "subscription_item": item_json(st, b.items[a.item_id]), "amount": money(a.amount),
        "totals": _totals(a.subtotal, a.amount), "payment_method_id": PAYMENT_METHOD_ID,
        "payment_method": payment_method_json(payer), "statement_id": a.statement_id,
        "gateway_external_id": f"pi_{a.payment_id[4:28]}", "gateway_external_url": None, "status": a.status,
        "paid_at": a.paid_at, "failed_at": a.failed_at, "created_at": a.created_at, "updated_at": a.updated_at,
    }


def attempt_event(st: State, a: PaymentAttempt) -> dict[str, Any]:
    b = st.billing
    item = b.items[a.item_id]
    plan = b.plans[item.plan_id]
    return {
        "id": a.id, "instance_id": st.instance.id, "payment_id": a.payment_id, "invoice_id": a.statement_id,
        "statement_id": a.statement_id, "gateway_external_id": f"pi_{a.payment_id[4:28]}", "status": a.status,
        "created_at": a.created_at, "updated_at": a.updated_at, "paid_at": a.paid_at, "failed_at": a.failed_at,
        "failed_reason": {"code": "card_declined", "decline_code": "generic_decline"} if a.status == "failed"
        else None,
        "billing_date": a.billing_date, "charge_type": a.charge_type,
        "payee": {"id": "cpayee_clerkmock", "gateway_type": "stripe", "gateway_external_id": "acct_clerkmock",
                  "gateway_status": "active"},
        "payer": payer_event(st, b.payers[a.payer_id]),
        "totals": {"subtotal": money(a.subtotal), "tax_total": money(0), "grand_total": money(a.amount)},
        "payment_source": {"id": PAYMENT_METHOD_ID, "gateway": "stripe", "gateway_external_id": "pm_clerkmock",
                           "gateway_external_account_id": None, "payment_method": "card", "status": "active",
                           "card_type": "visa", "last4": "0002" if b.payers[a.payer_id].card_declines else "4242"},
        "subscription_items": [{
            "id": item.id, "object": "commerce_subscription_item", "status": item.status,
            "created_at": item.created_at, "updated_at": item.updated_at, "period_start": item.period_start,
            "period_end": item.period_end or item.period_start, "interval": item.plan_period, "plan_id": plan.id,
            "plan": _plan_event(st, plan, b.prices[item.price_id], item.plan_period),
            "payer": payer_event(st, b.payers[item.payer_id]), "subscription_id": item.subscription_id,
        }],
    }


def statement_json(st: State, s: Statement) -> dict[str, Any]:
    b = st.billing
    attempts = [b.attempts[a] for a in s.attempt_ids]
    return {
        "object": "commerce_statement", "id": s.id, "instance_id": st.instance.id, "timestamp": s.timestamp,
        "payer": payer_json(st, b.payers[s.payer_id]), "status": s.status,
        "totals": {"grand_total": money(s.grand_total), "subtotal": money(s.subtotal),
                   "base_fee": money(s.subtotal), "tax_total": money(0)},
        "groups": [{"object": "commerce_statement_group", "timestamp": s.timestamp,
                    "items": [attempt_json(st, a) for a in reversed(attempts)]}],
    }


# -- credits and discounts ------------------------------------------------------------------------------------


def ledger_json(e: LedgerEntry) -> dict[str, Any]:
    out = {"object": "commerce_credit_ledger", "id": e.id, "payer_id": e.payer_id, "amount": money(e.amount),
           "source_type": e.source_type, "source_id": e.source_id, "created_at": iso(e.created_at)}
    if e.note is not None:
        out["note"] = e.note
    return out


def redemption_json(st: State, r: Redemption, redeemed_by: str | None) -> dict[str, Any]:
    d = st.billing.discounts[r.discount_id]
    out: dict[str, Any] = {
        "object": "commerce_discount_redemption", "id": r.id, "subscription_item_id": r.item_id,
        "discount_id": d.id, "name": d.name, "source": "manual",
        "effect": "percentage" if d.percent_off is not None else "fixed_amount",
        "cycles_remaining": None if d.cycles is None else max(0, d.cycles - r.cycles_applied),
        "cycles_applied": r.cycles_applied, "status": r.status, "redeemed_at": r.redeemed_at,
        "redeemed_by": redeemed_by,
    }
    if d.percent_off is not None:
        out["percent_off"] = d.percent_off
    else:
        out["amount_off"] = money(d.amount_off or 0)
    return out

