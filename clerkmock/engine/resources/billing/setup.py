"""What the Backend API cannot create and a test needs: plans (with their default price, features and free trial),
discounts, subscriptions (what a checkout in the browser does) and a card that declines.  Called by the control
plane (``/__clerkmock/billing/…``) and by scenarios (the ``billing`` key); bad input is a `ClerkError` naming the
field, and nothing is written before everything is checked.

    plan:         {slug*, name*, payer_type: user|org (user), amount: cents a month (0), annual_monthly_amount (0),
                   description, is_default (false), publicly_visible (true), free_trial_days, features: [slug |
                   {slug*, name, description}], id (a pinned cplan_ id)}
    discount:     {name*, percent_off (0-100] | amount_off (cents), cycles (null: forever), id}
    subscription: {user_id | organization_id*, plan* (id or slug), plan_period: month|annual (month),
                   free_trial (the plan's: true when it has one), price_id (another price of the plan)}
    card:         {user_id | organization_id*, declines*: bool}
"""

from __future__ import annotations

import re
from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.records.billing import Discount, Feature, Item, Plan, Price
from clerkmock.engine.resources.billing import lifecycle as life
from clerkmock.engine.state import State

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PLAN_KEYS = {"id", "slug", "name", "payer_type", "amount", "annual_monthly_amount", "description", "is_default",
             "publicly_visible", "free_trial_days", "features"}
DISCOUNT_KEYS = {"id", "name", "percent_off", "amount_off", "cycles"}
SUBSCRIPTION_KEYS = {"user_id", "organization_id", "plan", "plan_period", "free_trial", "price_id"}
CARD_KEYS = {"user_id", "organization_id", "declines"}


def _check_keys(body: dict[str, Any], allowed: set[str]) -> None:
    for key in body:
        if key not in allowed:
            raise errors.form_param_unknown(key)


def _int(body: dict[str, Any], key: str, default: int | None, minimum: int = 0) -> int | None:
    value = body.get(key, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise errors.form_param_value_invalid(key, f"{key} must be an integer of at least {minimum}.")
    return value


def _str(body: dict[str, Any], key: str, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise errors.form_param_missing(key)
        return None
    if not isinstance(value, str) or not value.strip():
        raise errors.form_param_value_invalid(key, f"{key} must be a non-empty string.")
    return value.strip()


def _pinned(st: State, body: dict[str, Any], prefix: str, table: dict[str, Any]) -> str:
    pinned = body.get("id")
    if pinned is None:
        return st.ids.new(prefix)
    if not isinstance(pinned, str) or not pinned.startswith(prefix + "_") or pinned in table:
        raise errors.form_param_value_invalid("id", f"id must be a new {prefix}_ id.")
    return pinned


def define_plan(st: State, body: dict[str, Any], now: int) -> Plan:
    _check_keys(body, PLAN_KEYS)
    slug = _str(body, "slug", required=True)
    assert slug is not None
    if not SLUG_RE.match(slug):
        raise errors.form_param_format_invalid("slug", "slug must be lower-case letters, digits, - and _.")
    if any(p.slug == slug for p in st.billing.plans.values()):
        raise errors.form_identifier_exists("slug", "plan slug")
    name = _str(body, "name", required=True)
    payer_type = body.get("payer_type", "user")
    if payer_type not in ("user", "org"):
        raise errors.form_param_value_invalid("payer_type", "payer_type must be user or org.")
    amount = _int(body, "amount", 0) or 0
    annual = _int(body, "annual_monthly_amount", 0) or 0
    trial = _int(body, "free_trial_days", None, minimum=1)
    is_default = bool(body.get("is_default", False))
    if is_default and (amount or annual):
        raise errors.form_param_value_invalid("is_default", "A default plan is free (amount 0).")
    if is_default and life.default_plan(st, payer_type) is not None:
        raise errors.form_param_value_invalid("is_default", f"There is already a default {payer_type} plan.")
    features = []
    for i, f in enumerate(body.get("features") or []):
        f = {"slug": f} if isinstance(f, str) else f
        fslug = f.get("slug") if isinstance(f, dict) else None
        if not isinstance(fslug, str) or not SLUG_RE.match(fslug):
            raise errors.form_param_format_invalid(f"features[{i}]", "a feature is a slug or {slug, name}.")
        features.append((fslug, f.get("name") or fslug.replace("_", " ").replace("-", " ").title(),
                         f.get("description")))
    plan = Plan(_pinned(st, body, "cplan", st.billing.plans), slug, name or slug, payer_type, st.ids.new("prod"),
                now, description=_str(body, "description"), is_default=is_default,
                publicly_visible=bool(body.get("publicly_visible", True)), free_trial_days=trial)
    plan.features = [Feature(st.ids.new("feat"), s, n, d) for s, n, d in features]
    price = Price(st.ids.new("cprice"), plan.id, amount, annual, now, is_default=True,
                  supported_billing_periods="both" if annual else "month")
    plan.default_price_id = price.id
    st.billing.plans[plan.id] = plan
    st.billing.prices[price.id] = price
    return plan


def define_discount(st: State, body: dict[str, Any], now: int) -> Discount:
    _check_keys(body, DISCOUNT_KEYS)
    name = _str(body, "name", required=True)
    percent, amount = body.get("percent_off"), body.get("amount_off")
    if (percent is None) == (amount is None):
        raise errors.form_param_missing("percent_off")
    if percent is not None and (isinstance(percent, bool) or not isinstance(percent, (int, float))
                                or not 0 < percent <= 100):
        raise errors.form_param_value_invalid("percent_off", "percent_off must be in (0, 100].")
    if amount is not None:
        _int(body, "amount_off", None, minimum=1)
    cycles = _int(body, "cycles", None, minimum=1)
    d = Discount(_pinned(st, body, "cdisc", st.billing.discounts), name or "", now,
                 float(percent) if percent is not None else None, amount, cycles)
    st.billing.discounts[d.id] = d
    return d


def _owner(st: State, body: dict[str, Any]) -> str:
    user_id, org_id = body.get("user_id"), body.get("organization_id")
    if (user_id is None) == (org_id is None):
        raise errors.form_param_missing("user_id")
    if user_id is not None:
        if user_id not in st.users:
            raise errors.form_resource_not_found("user_id")
        return str(user_id)
    org = st.orgs.find_org(str(org_id))
    if org is None:
        raise errors.form_resource_not_found("organization_id")
    return org.id


def find_plan(st: State, value: Any) -> Plan | None:
    return st.billing.plans.get(value) or next((p for p in st.billing.plans.values() if p.slug == value), None)


def subscribe(st: State, body: dict[str, Any], now: int) -> Item:
    _check_keys(body, SUBSCRIPTION_KEYS)
    owner_id = _owner(st, body)
    plan = find_plan(st, body.get("plan"))
    if plan is None:
        raise errors.form_resource_not_found("plan")
    if plan.payer_type != ("org" if owner_id.startswith("org_") else "user"):
        raise errors.form_param_value_invalid("plan", f"{plan.slug} is a plan for {plan.payer_type} payers.")
    period = body.get("plan_period", "month")
    if period not in ("month", "annual"):
        raise errors.form_param_value_invalid("plan_period", "plan_period must be month or annual.")
    price = st.billing.prices.get(body.get("price_id") or plan.default_price_id)
    if price is None or price.plan_id != plan.id:
        raise errors.form_resource_not_found("price_id")
    if period == "annual" and not price.annual_monthly_amount:
        raise errors.form_param_value_invalid("plan_period", "This price has no annual billing.")
    trial = body.get("free_trial", plan.free_trial_days is not None)
    if not isinstance(trial, bool) or (trial and plan.free_trial_days is None):
        raise errors.form_param_value_invalid("free_trial", "free_trial needs a plan with free_trial_days.")
    payer = life.payer_for(st, owner_id, now)
    return life.subscribe(st, payer, plan, price, period, trial, now)


def set_card(st: State, body: dict[str, Any], now: int) -> dict[str, Any]:
    _check_keys(body, CARD_KEYS)
    owner_id = _owner(st, body)
    declines = body.get("declines")
    if not isinstance(declines, bool):
        raise errors.form_param_type_invalid("declines", "boolean")
    payer = life.payer_for(st, owner_id, now)
    payer.card_declines = declines
    return {"payer_id": payer.id, "declines": declines}
