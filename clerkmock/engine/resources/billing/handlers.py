"""Billing: GetCommercePlanList, GetBillingPriceList, CreateBillingPrice, GetCommerceSubscriptionItemList,
CancelCommerceSubscriptionItem, ExtendBillingSubscriptionItemFreeTrial, CreateBillingPriceTransition,
ApplyBillingSubscriptionItemDiscount, RemoveBillingSubscriptionItemDiscount, GetBillingStatementList,
GetBillingStatement, GetBillingStatementPaymentAttempts; and the payers' reads and credits:
GetUserBillingSubscription, GetUserBillingCreditBalance, AdjustUserBillingCreditBalance and the organization
twins.  Plans, discounts and subscriptions are set up by a scenario or the control plane (``setup.py``): the
Backend API has no operation that creates them.

- Lists are ``{data, total_count}``: plans and subscription items newest first, prices by amount then newest,
  statements and payment attempts newest first.  Subscription items leave out free-plan items unless
  ``include_free``; ``status=free_trial`` selects items on a trial; ``query`` matches the payer's email, name or
  organization name.
- A user or organization without a subscription: 404 ``resource_not_found``.  An unknown user/organization: 404.
- Credits: ``increase`` / ``decrease`` in cents (USD only; decreasing below zero is a 422
  ``form_param_value_invalid``); the ``idempotency_key`` returns the first entry again for the same request,
  and a 409 ``idempotency_key_conflict`` (inferred code) for a different one.
- CreateBillingPrice: a custom (non-default) price for an existing plan (404 otherwise), USD only.
- Cancel: see lifecycle.py; ``end_now`` ends at once.  Extend free trial: the item must be on a trial (400
  ``billing_not_in_free_trial``, inferred code); ``extend_to`` after the current trial end and at most 365 days
  past it (422 ``form_param_value_invalid``); the same date again changes nothing.
- Price transition: ``from_price_id`` must be the item's price (422), ``to_price_id`` a price of a plan for the same
  payer type (404 / 422); the same price is a 409 ``billing_price_transition_noop``.  A dearer price applies at
  once (the old item ends, the new one is charged now); a cheaper or equal one at the period end (the old item is
  canceled, the new one ``upcoming``).
- Discounts: at most one active per item; applying another replaces it, the same one again is a 409
  ``discount_already_applied``; removing needs the active discount's id (404 otherwise).
"""

from __future__ import annotations

from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.pagination import limit_offset, paginated, sort_records
from clerkmock.engine.records.billing import Item, LedgerEntry, Price, Redemption
from clerkmock.engine.resources.billing import lifecycle as life
from clerkmock.engine.resources.billing import serializers as ser
from clerkmock.engine.resources.users import parse_rfc3339
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("billing")
MAX_TRIAL_EXTENSION_MS = 365 * life.DAY_MS


def _page(ctx: Ctx, items: list[Any], render: Any) -> Json:
    limit, offset = limit_offset(ctx.query)
    return paginated([render(x) for x in items[offset: offset + limit]], len(items))


def require_item(st: State, item_id: str) -> Item:
    item = st.billing.items.get(item_id)
    if item is None:
        raise errors.resource_not_found(f"No subscription item was found with id {item_id}")
    return item


def _require_owner(st: State, owner_id: str, kind: str) -> None:
    exists = owner_id in st.users if kind == "user" else st.orgs.find_org(owner_id) is not None
    if not exists:
        raise errors.resource_not_found(f"No {kind} was found with id {owner_id}")


def _owner_id(st: State, value: str, kind: str) -> str:
    _require_owner(st, value, kind)
    if kind == "org":
        org = st.orgs.find_org(value)
        assert org is not None
        return org.id
    return value


def check_currency(value: Any) -> None:
    if value is not None and str(value).upper() != ser.CURRENCY:
        raise errors.form_param_value_invalid("currency", "clerkmock bills in USD only.")


# -- plans and prices -----------------------------------------------------------------------------------------


@ROUTES.get("/billing/plans", "list_plans")
def get_commerce_plan_list(ctx: Ctx) -> Json:
    st = ctx.state
    plans = list(st.billing.plans.values())
    if ctx.query.get("payer_type"):
        plans = [p for p in plans if p.payer_type == ctx.query["payer_type"]]
    plans = sort_records(plans, lambda p: p.created_at, True, tiebreak=lambda p: p.id)
    return _page(ctx, plans, lambda p: ser.plan_json(st, p))


@ROUTES.get("/billing/prices", "list_prices")
def get_billing_price_list(ctx: Ctx) -> Json:
    st = ctx.state
    prices = list(st.billing.prices.values())
    plan_id = ctx.query.get("plan_id")
    if plan_id:
        if plan_id not in st.billing.plans:
            raise errors.resource_not_found(f"No plan was found with id {plan_id}")
        prices = [p for p in prices if p.plan_id == plan_id]
    prices.sort(key=lambda p: (p.amount, -p.created_at, p.id))
    return _page(ctx, prices, lambda p: ser.price_json(st, p))


@ROUTES.post("/billing/prices", "create_price")
def create_billing_price(ctx: Ctx) -> Json:
    st, b = ctx.state, ctx.body
    plan = st.billing.plans.get(b["plan_id"])
    if plan is None:
        raise errors.resource_not_found(f"No plan was found with id {b['plan_id']}")
    check_currency(b.get("currency"))
    amount = b.get("amount")
    if amount is None:
        raise errors.form_param_missing("amount")
    annual = b.get("annual_monthly_amount") or 0
    for param, value in (("amount", amount), ("annual_monthly_amount", annual)):
        if value < 0:
            raise errors.form_param_value_invalid(param, f"{param} must not be negative.")
    periods = b.get("supported_billing_periods") or ("both" if annual else "month")
    if periods in ("annual", "both") and not annual:
        raise errors.form_conditional_param_missing("annual_monthly_amount", "supported_billing_periods")
    price = Price(st.ids.new("cprice"), plan.id, amount, annual, ctx.now, description=b.get("description"),
                  supported_billing_periods=periods)
    st.billing.prices[price.id] = price
    return ser.price_json(st, price)


# -- subscription items ---------------------------------------------------------------------------------------


def _matches_query(st: State, item: Item, needle: str) -> bool:
    owner = ser._owner(st, st.billing.payers[item.payer_id])
    hay = " ".join(str(owner.get(k) or "") for k in ("email", "first_name", "last_name", "organization_name"))
    return needle.lower() in hay.lower()


@ROUTES.get("/billing/subscription_items", "list_subscription_items")
def get_commerce_subscription_item_list(ctx: Ctx) -> Json:
    st, q = ctx.state, ctx.query
    items = list(st.billing.items.values())
    if not q.get("include_free"):
        items = [i for i in items if life.price_amount(st.billing.prices[i.price_id], i.plan_period) > 0]
    status = q.get("status")
    if status == "free_trial":
        items = [i for i in items if i.is_free_trial and i.status in ("active", "canceled")]
    elif status:
        items = [i for i in items if i.status == status]
    if q.get("payer_type"):
        items = [i for i in items if life.payer_type(st.billing.payers[i.payer_id]) == q["payer_type"]]
    if q.get("plan_id"):
        items = [i for i in items if i.plan_id == q["plan_id"]]
    if q.get("query"):
        items = [i for i in items if _matches_query(st, i, q["query"])]
    items = sort_records(items, lambda i: i.created_at, True, tiebreak=lambda i: i.id)
    return _page(ctx, items, lambda i: ser.item_json(st, i))


@ROUTES.delete("/billing/subscription_items/{subscription_item_id}", "cancel_subscription_item")
def cancel_commerce_subscription_item(ctx: Ctx) -> Json:
    item = require_item(ctx.state, ctx.path["subscription_item_id"])
    life.cancel(ctx.state, item, bool(ctx.query.get("end_now")), ctx.now)
    return ser.item_json(ctx.state, item)


@ROUTES.post("/billing/subscription_items/{subscription_item_id}/extend_free_trial", "extend_free_trial")
def extend_billing_subscription_item_free_trial(ctx: Ctx) -> Json:
    st = ctx.state
    item = require_item(st, ctx.path["subscription_item_id"])
    if not item.is_free_trial or item.status not in ("active", "canceled") or item.period_end is None:
        raise errors.bad_request("not in free trial", "This subscription item is not in a free trial period.",
                                 "billing_not_in_free_trial")
    extend_to = parse_rfc3339(ctx.body["extend_to"], "extend_to")
    if extend_to != item.period_end:
        if extend_to < item.period_end or extend_to <= ctx.now:
            raise errors.form_param_value_invalid("extend_to", "extend_to must be after the current trial end.")
        if extend_to > item.period_end + MAX_TRIAL_EXTENSION_MS:
            raise errors.form_param_value_invalid(
                "extend_to", "extend_to must be at most 365 days after the current trial end.")
        item.period_end, item.updated_at = extend_to, ctx.now
        item.trial_ending_notified = extend_to - life.TRIAL_ENDING_NOTICE_MS <= ctx.now and item.trial_ending_notified
        ctx.emit("subscriptionItem.updated", ser.item_event(st, item))
    return ser.item_json_v2(st, item)


@ROUTES.post("/billing/subscription_items/{subscription_item_id}/price_transition", "create_price_transition")
def create_billing_price_transition(ctx: Ctx) -> Json:
    st, b, now = ctx.state, ctx.body, ctx.now
    item = require_item(st, ctx.path["subscription_item_id"])
    if item.status not in ("active", "past_due", "canceled"):
        raise errors.bad_request("subscription item not active", "Only a current subscription item can change price.",
                                 "billing_subscription_item_not_active")
    if b["from_price_id"] != item.price_id:
        raise errors.form_param_value_invalid("from_price_id", "from_price_id must be the item's current price.")
    to = st.billing.prices.get(b["to_price_id"])
    if to is None:
        raise errors.resource_not_found(f"No price was found with id {b['to_price_id']}")
    plan = st.billing.plans[to.plan_id]
    payer = st.billing.payers[item.payer_id]
    if plan.payer_type != life.payer_type(payer):
        raise errors.form_param_value_invalid("to_price_id", "to_price_id belongs to a plan for another payer type.")
    if to.id == item.price_id:
        raise errors.conflict("billing_price_transition_noop", "same price",
                              "The subscription item already has this price.")
    old_price = st.billing.prices[item.price_id]
    sub = st.billing.subscriptions[item.subscription_id]
    immediate = life.price_amount(to, item.plan_period) > life.price_amount(old_price, item.plan_period) \
        or item.period_end is None
    if immediate:
        life.end_item(st, item, now, fallback=False)
        new = life.new_item(st, sub, plan, to, item.plan_period, now, now, status="incomplete")
        life.activate_or_charge(st, new, now, "checkout")
        effective_at = now
        previous_status = "ended"
    else:
        assert item.period_end is not None
        if item.status != "canceled":
            item.status, item.canceled_at, item.updated_at = "canceled", now, now
            ctx.emit("subscriptionItem.canceled", ser.item_event(st, item))
        new = life.new_item(st, sub, plan, to, item.plan_period, item.period_end, now, status="upcoming")
        ctx.emit("subscriptionItem.upcoming", ser.item_event(st, new))
        effective_at = item.period_end
        previous_status = "canceled"
    life.refresh_subscription(st, sub, now)
    charged = immediate and any(a.item_id == new.id for a in st.billing.attempts.values())
    transition: dict[str, Any] = {
        "previous_plan": ser.plan_json_v2(st, st.billing.plans[old_price.plan_id]),
        "previous_price": ser.price_json(st, old_price), "effective_at": effective_at,
        "effective_mode": "immediate" if immediate else "end_of_period", "charged_immediately": charged,
        "previous_subscription_item_status": previous_status, "previous_subscription_item_id": item.id,
    }
    if new.period_end is not None:
        transition["next_billing_date"] = new.period_end
    if charged:
        transition["immediate_charge"] = ser.money(life.price_amount(to, new.plan_period))
    return {"object": "commerce_price_transition", "subscription_item": ser.item_json_v2(st, new),
            "transition": transition}


@ROUTES.post("/billing/subscription_items/{subscription_item_id}/discounts", "apply_discount")
def apply_billing_subscription_item_discount(ctx: Ctx) -> Json:
    st = ctx.state
    item = require_item(st, ctx.path["subscription_item_id"])
    discount = st.billing.discounts.get(ctx.body["discount_id"])
    if discount is None:
        raise errors.resource_not_found(f"No discount was found with id {ctx.body['discount_id']}")
    if item.status in ("ended", "abandoned"):
        raise errors.bad_request("subscription item ended", "This subscription item has already ended.",
                                 "billing_subscription_item_ended")
    current = st.billing.redemptions.get(item.discount_redemption_id or "")
    if current is not None and current.status == "active":
        if current.discount_id == discount.id:
            raise errors.conflict("discount_already_applied", "discount already applied",
                                  "This discount is already active on the subscription item.")
        current.status = "removed"
    red = Redemption(st.ids.new("cdr"), discount.id, item.id, ctx.now)
    st.billing.redemptions[red.id] = red
    item.discount_redemption_id, item.updated_at = red.id, ctx.now
    return ser.redemption_json(st, red, None)


@ROUTES.delete("/billing/subscription_items/{subscription_item_id}/discounts/{discount_id}", "remove_discount")
def remove_billing_subscription_item_discount(ctx: Ctx) -> Json:
    st = ctx.state
    item = require_item(st, ctx.path["subscription_item_id"])
    red = st.billing.redemptions.get(item.discount_redemption_id or "")
    if red is None or red.status != "active" or red.discount_id != ctx.path["discount_id"]:
        raise errors.resource_not_found(f"No active discount {ctx.path['discount_id']} on this subscription item")
    red.status = "removed"
    item.discount_redemption_id, item.updated_at = None, ctx.now
    return ser.redemption_json(st, red, None)


# -- statements -----------------------------------------------------------------------------------------------


def require_statement(st: State, statement_id: str) -> Any:
    s = st.billing.statements.get(statement_id)
    if s is None:
        raise errors.resource_not_found(f"No statement was found with id {statement_id}")
    return s


@ROUTES.get("/billing/statements", "list_statements")
def get_billing_statement_list(ctx: Ctx) -> Json:
    st = ctx.state
    items = sort_records(list(st.billing.statements.values()), lambda s: s.timestamp, True, tiebreak=lambda s: s.id)
    return _page(ctx, items, lambda s: ser.statement_json(st, s))


@ROUTES.get("/billing/statements/{statementID}", "get_statement")
def get_billing_statement(ctx: Ctx) -> Json:
    return ser.statement_json(ctx.state, require_statement(ctx.state, ctx.path["statementID"]))


@ROUTES.get("/billing/statements/{statementID}/payment_attempts", "list_payment_attempts")
def get_billing_statement_payment_attempts(ctx: Ctx) -> Json:
    st = ctx.state
    s = require_statement(st, ctx.path["statementID"])
    attempts = sort_records([st.billing.attempts[a] for a in s.attempt_ids], lambda a: a.created_at, True,
                            tiebreak=lambda a: a.id)
    return _page(ctx, attempts, lambda a: ser.attempt_json(st, a))


# -- a payer's subscription and credits -----------------------------------------------------------------------


def _subscription(ctx: Ctx, owner_id: str, kind: str) -> Json:
    st = ctx.state
    owner_id = _owner_id(st, owner_id, kind)
    pid = st.billing.payer_by_owner.get(owner_id)
    sid = st.billing.subscription_by_payer.get(pid or "")
    if sid is None:
        raise errors.resource_not_found(f"No billing subscription was found for {owner_id}")
    return ser.subscription_json(st, st.billing.subscriptions[sid])


def _balance(ctx: Ctx, owner_id: str, kind: str) -> Json:
    st = ctx.state
    owner_id = _owner_id(st, owner_id, kind)
    pid = st.billing.payer_by_owner.get(owner_id)
    amount = life.balance(st, pid) if pid else 0
    return {"object": "commerce_credit_balance", "balance": ser.money(amount)}


def _adjust(ctx: Ctx, owner_id: str, kind: str) -> Json:
    st, b = ctx.state, ctx.body
    owner_id = _owner_id(st, owner_id, kind)
    check_currency(b.get("currency"))
    if b["amount"] <= 0:
        raise errors.form_param_value_invalid("amount", "amount must be greater than zero.")
    signed = b["amount"] if b["action"] == "increase" else -b["amount"]
    key = b["idempotency_key"]
    pid = st.billing.payer_by_owner.get(owner_id)
    seen = next((e for e in st.billing.ledger if e.idempotency_key == key and e.payer_id == pid), None) if pid \
        else None
    if seen is not None:
        if seen.amount != signed or seen.note != b.get("note"):
            raise errors.conflict("idempotency_key_conflict", "idempotency key reused",
                                  "This idempotency_key was used with different parameters.")
        return ser.ledger_json(seen)
    if signed < 0 and (life.balance(st, pid) if pid else 0) + signed < 0:
        raise errors.form_param_value_invalid("amount", "The credit balance cannot go below zero.")
    payer = life.payer_for(st, owner_id, ctx.now)
    entry = LedgerEntry(st.ids.new("ccl"), payer.id, signed, "manual_adjustment", f"adj_{key}"[:64], ctx.now,
                        b.get("note"), key)
    st.billing.ledger.append(entry)
    return ser.ledger_json(entry)


@ROUTES.get("/users/{user_id}/billing/subscription", "user_subscription")
def get_user_billing_subscription(ctx: Ctx) -> Json:
    return _subscription(ctx, ctx.path["user_id"], "user")


@ROUTES.get("/users/{user_id}/billing/credits", "user_credits")
def get_user_billing_credit_balance(ctx: Ctx) -> Json:
    return _balance(ctx, ctx.path["user_id"], "user")


@ROUTES.post("/users/{user_id}/billing/credits", "adjust_user_credits")
def adjust_user_billing_credit_balance(ctx: Ctx) -> Json:
    return _adjust(ctx, ctx.path["user_id"], "user")


@ROUTES.get("/organizations/{organization_id}/billing/subscription", "organization_subscription")
def get_organization_billing_subscription(ctx: Ctx) -> Json:
    return _subscription(ctx, ctx.path["organization_id"], "org")


@ROUTES.get("/organizations/{organization_id}/billing/credits", "organization_credits")
def get_organization_billing_credit_balance(ctx: Ctx) -> Json:
    return _balance(ctx, ctx.path["organization_id"], "org")


@ROUTES.post("/organizations/{organization_id}/billing/credits", "adjust_organization_credits")
def adjust_organization_billing_credit_balance(ctx: Ctx) -> Json:
    return _adjust(ctx, ctx.path["organization_id"], "org")
