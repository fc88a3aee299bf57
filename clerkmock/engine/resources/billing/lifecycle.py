"""The life of a subscription on the engine clock: subscribing, charging (statements and payment attempts),
renewals, free trials ending, past due, cancellation, price transitions; and `settle`, which the engine runs
before every request and after every clock change, so advancing the clock past a date does what that date
does, in date order, with the webhook events of each step stamped with the date it happened.

Rules (docs/billing.md; inferred where Clerk documents no detail):

- One subscription per payer; it holds items.  The payer's *current* item is the one not ended/abandoned/upcoming.
- A paid item is charged at checkout (``charge_type: checkout``) and at each period end (``recurring``); a free
  trial is not charged until it ends.  Each charge writes a statement and a payment attempt.  The amount is the
  price (monthly, or 12 x the annual monthly amount), less an active discount, less the payer's credits.
- A charge fails when the payer's card declines (the control plane's switch): the item and the subscription go
  ``past_due``.  The next period end charges again: success makes them active again, a second failure ends
  the item.
- A canceled item stays usable until its period end, then ends; ``end_now`` ends it at once.
- When a payer's paid item ends, a default plan of its payer type (``is_default``) takes over, if there is one.
- ``subscriptionItem.freeTrialEnding`` fires 3 days before a trial ends.
"""

from __future__ import annotations

from typing import Any

from clerkmock.engine import errors, events
from clerkmock.engine.records.billing import Item, Payer, PaymentAttempt, Plan, Price, Statement, Subscription
from clerkmock.engine.state import State

DAY_MS = 86_400_000
TRIAL_ENDING_NOTICE_MS = 3 * DAY_MS
CURRENT = ("active", "past_due", "canceled", "incomplete")


def add_months(ms: int, months: int) -> int:
    """Calendar months (UTC), clamping the day (Jan 31 + 1 month = Feb 28/29), like card billing."""
    from datetime import UTC, datetime

    dt = datetime.fromtimestamp(ms / 1000, UTC)
    month0 = dt.month - 1 + months
    year, month = dt.year + month0 // 12, month0 % 12 + 1
    import calendar

    day = min(dt.day, calendar.monthrange(year, month)[1])
    return int(dt.replace(year=year, month=month, day=day).timestamp() * 1000)


def period_end(start: int, plan_period: str) -> int:
    return add_months(start, 12 if plan_period == "annual" else 1)


def price_amount(price: Price, plan_period: str) -> int:
    return price.annual_monthly_amount * 12 if plan_period == "annual" else price.amount


# -- payers ---------------------------------------------------------------------------------------------------


def payer_for(st: State, owner_id: str, now: int) -> Payer:
    """The payer of a user or an organization, created on first use."""
    b = st.billing
    pid = b.payer_by_owner.get(owner_id)
    if pid is not None:
        return b.payers[pid]
    is_org = owner_id.startswith("org_")
    payer = Payer(st.ids.new("cpayer"), now, user_id=None if is_org else owner_id,
                  organization_id=owner_id if is_org else None)
    b.payers[payer.id] = payer
    b.payer_by_owner[owner_id] = payer.id
    return payer


def payer_type(payer: Payer) -> str:
    return "org" if payer.organization_id else "user"


def balance(st: State, payer_id: str) -> int:
    return sum(e.amount for e in st.billing.ledger if e.payer_id == payer_id)


def current_item(st: State, payer_id: str) -> Item | None:
    sid = st.billing.subscription_by_payer.get(payer_id)
    if sid is None:
        return None
    items = [st.billing.items[i] for i in st.billing.subscriptions[sid].item_ids]
    live = [i for i in items if i.status in CURRENT]
    return live[-1] if live else None


# -- events ---------------------------------------------------------------------------------------------------


def _emit_item(st: State, type_: str, item: Item, at: int) -> None:
    from clerkmock.engine.resources.billing import serializers

    events.emit(st, type_, lambda: serializers.item_event(st, item), at)


def _emit_subscription(st: State, type_: str, sub: Subscription, at: int) -> None:
    from clerkmock.engine.resources.billing import serializers

    events.emit(st, type_, lambda: serializers.subscription_event(st, sub), at)


def refresh_subscription(st: State, sub: Subscription, at: int, *, quiet: bool = False) -> None:
    """The subscription's status follows its items; a change is ``subscription.updated`` plus ``.active`` or
    ``.pastDue``."""
    statuses = {st.billing.items[i].status for i in sub.item_ids}
    if "past_due" in statuses:
        status = "past_due"
    elif statuses & {"active", "canceled", "upcoming"}:
        status = "active"
    elif "incomplete" in statuses:
        status = "incomplete"
    else:
        status = "ended"
    if status == sub.status:
        return
    sub.status, sub.updated_at = status, at
    if status == "active":
        sub.active_at, sub.past_due_at = sub.active_at or at, None
    elif status == "past_due":
        sub.past_due_at = at
    if quiet:
        return
    _emit_subscription(st, "subscription.updated", sub, at)
    if status == "active":
        _emit_subscription(st, "subscription.active", sub, at)
    elif status == "past_due":
        _emit_subscription(st, "subscription.pastDue", sub, at)


# -- charging -------------------------------------------------------------------------------------------------


def _discount_off(st: State, item: Item, amount: int) -> int:
    rid = item.discount_redemption_id
    red = st.billing.redemptions.get(rid) if rid else None
    if red is None or red.status != "active":
        return 0
    d = st.billing.discounts[red.discount_id]
    off = round(amount * d.percent_off / 100) if d.percent_off is not None else (d.amount_off or 0)
    return min(amount, off)


def _spend_discount(st: State, item: Item) -> None:
    rid = item.discount_redemption_id
    red = st.billing.redemptions.get(rid) if rid else None
    if red is None or red.status != "active":
        return
    red.cycles_applied += 1
    cycles = st.billing.discounts[red.discount_id].cycles
    if cycles is not None and red.cycles_applied >= cycles:
        red.status = "exhausted"


def charge(st: State, item: Item, at: int, charge_type: str) -> PaymentAttempt | None:
    """Charge the item's price for the period starting at ``at``: a statement and a payment attempt, paid or
    failed.  None for a free price (nothing to charge)."""
    from clerkmock.engine.records.billing import LedgerEntry

    b = st.billing
    price = b.prices[item.price_id]
    subtotal = price_amount(price, item.plan_period)
    if subtotal <= 0:
        return None
    payer = b.payers[item.payer_id]
    discount = _discount_off(st, item, subtotal)
    credits = min(max(0, balance(st, payer.id)), subtotal - discount)
    amount = subtotal - discount - credits
    failed = payer.card_declines and amount > 0
    stmt = Statement(st.ids.new("stmt"), payer.id, at, "open" if failed else "closed", subtotal, amount)
    attempt = PaymentAttempt(st.ids.new("pa"), st.ids.new("cpa"), stmt.id, payer.id, item.id, charge_type, subtotal,
                             credits, discount, amount, "pending", at, at, at)
    stmt.attempt_ids.append(attempt.id)
    b.statements[stmt.id] = stmt
    b.attempts[attempt.id] = attempt
    _emit_attempt(st, "paymentAttempt.created", attempt, at)
    attempt.updated_at = at
    if failed:
        attempt.status, attempt.failed_at = "failed", at
    else:
        attempt.status, attempt.paid_at = "paid", at
        item.lifetime_paid += amount
        if credits:
            b.ledger.append(LedgerEntry(st.ids.new("ccl"), payer.id, -credits, "payment", attempt.id, at))
        if discount:
            _spend_discount(st, item)
    sub = b.subscriptions[item.subscription_id]
    sub.latest_payment_id = attempt.id
    _emit_attempt(st, "paymentAttempt.updated", attempt, at)
    return attempt


def _emit_attempt(st: State, type_: str, attempt: PaymentAttempt, at: int) -> None:
    from clerkmock.engine.resources.billing import serializers

    body = serializers.attempt_event(st, attempt)  # frozen now: the attempt changes right after
    events.emit(st, type_, body, at)


# -- items ----------------------------------------------------------------------------------------------------


def new_item(st: State, sub: Subscription, plan: Plan, price: Price, plan_period: str, start: int, at: int, *,
             trial: bool = False, status: str = "active") -> Item:
    b = st.billing
    free = price_amount(price, plan_period) <= 0 and not trial
    end = None if free else (start + plan.free_trial_days * DAY_MS if trial and plan.free_trial_days
                             else period_end(start, plan_period))
    item = Item(st.ids.new("csubi"), sub.id, sub.payer_id, plan.id, price.id, plan_period, status, at, at, start,
                end, is_free_trial=trial)
    b.items[item.id] = item
    sub.item_ids.append(item.id)
    return item


def end_item(st: State, item: Item, at: int, *, fallback: bool = True) -> None:
    item.status, item.ended_at, item.updated_at = "ended", at, at
    _emit_item(st, "subscriptionItem.ended", item, at)
    if fallback:
        _fall_back_to_default(st, item, at)


def _fall_back_to_default(st: State, ended: Item, at: int) -> None:
    """A payer whose paid item ended goes to its payer type's default (free) plan, if there is one."""
    b = st.billing
    payer = b.payers[ended.payer_id]
    plan = default_plan(st, payer_type(payer))
    if plan is None or plan.id == ended.plan_id or current_item(st, payer.id) is not None:
        return
    sub = b.subscriptions[ended.subscription_id]
    item = new_item(st, sub, plan, b.prices[plan.default_price_id], "month", at, at)
    _emit_item(st, "subscriptionItem.active", item, at)


def default_plan(st: State, ptype: str) -> Plan | None:
    return next((p for p in st.billing.plans.values() if p.is_default and p.payer_type == ptype), None)


def activate_or_charge(st: State, item: Item, at: int, charge_type: str) -> None:
    """Start ``item`` at ``at``: charge it (unless free or on trial) and set its status from the outcome."""
    attempt = None if item.is_free_trial else charge(st, item, at, charge_type)
    if attempt is not None and attempt.status == "failed":
        item.status, item.updated_at = "incomplete", at
        _emit_item(st, "subscriptionItem.incomplete", item, at)
    else:
        item.status, item.updated_at = "active", at
        _emit_item(st, "subscriptionItem.active", item, at)


def subscribe(st: State, payer: Payer, plan: Plan, price: Price, plan_period: str, trial: bool, now: int) -> Item:
    """Put ``payer`` on ``plan`` from ``now`` (what a checkout does): the current item ends."""
    b = st.billing
    sid = b.subscription_by_payer.get(payer.id)
    if sid is None:
        sub = Subscription(st.ids.new("csub"), payer.id, "incomplete", now, now)
        b.subscriptions[sub.id] = sub
        b.subscription_by_payer[payer.id] = sub.id
        _emit_subscription(st, "subscription.created", sub, now)
    else:
        sub = b.subscriptions[sid]
    previous = current_item(st, payer.id)
    if previous is not None:
        if previous.plan_id == plan.id and previous.price_id == price.id:
            raise errors.bad_request("already subscribed", "The payer is already subscribed to this plan.",
                                     "billing_already_subscribed")
        end_item(st, previous, now, fallback=False)
    item = new_item(st, sub, plan, price, plan_period, now, now, trial=trial, status="incomplete")
    activate_or_charge(st, item, now, "checkout")
    refresh_subscription(st, sub, now)
    return item


# -- the clock ------------------------------------------------------------------------------------------------


def _next_step(st: State, now: int) -> tuple[int, int, Item] | None:
    """The earliest due step (time, kind, item): kind 0 = trial ending notice, 1 = an upcoming item starts,
    2 = a period ends."""
    best: tuple[int, int, Item] | None = None
    for item in st.billing.items.values():
        steps = []
        if item.status == "upcoming":
            steps.append((item.period_start, 1))
        elif item.status in ("active", "canceled", "past_due") and item.period_end is not None:
            if item.is_free_trial and not item.trial_ending_notified:
                steps.append((item.period_end - TRIAL_ENDING_NOTICE_MS, 0))
            steps.append((item.period_end, 2))
        for at, kind in steps:
            if at <= now and (best is None or (at, kind, item.id) < (best[0], best[1], best[2].id)):
                best = (at, kind, item)
    return best


def settle(st: State, now: int) -> None:
    """Carry out every step due by ``now``, earliest first."""
    if not st.billing.items:
        return
    while (step := _next_step(st, now)) is not None:
        at, kind, item = step
        sub = st.billing.subscriptions[item.subscription_id]
        if kind == 0:
            item.trial_ending_notified = True
            _emit_item(st, "subscriptionItem.freeTrialEnding", item, at)
            continue
        if kind == 1:
            activate_or_charge(st, item, at, "recurring")
        elif item.status == "canceled":
            end_item(st, item, at)
        else:
            _renew(st, item, at)
        refresh_subscription(st, sub, at)


def _renew(st: State, item: Item, at: int) -> None:
    was_past_due, was_trial = item.status == "past_due", item.is_free_trial
    item.period_start, item.period_end = at, period_end(at, item.plan_period)
    item.is_free_trial, item.updated_at = False, at
    attempt = charge(st, item, at, "recurring")
    if attempt is not None and attempt.status == "failed":
        if was_past_due:  # the second failure in a row: the item ends
            end_item(st, item, at)
            return
        item.status, item.past_due_at = "past_due", at
        _emit_item(st, "subscriptionItem.pastDue", item, at)
        return
    item.status, item.past_due_at = "active", None
    _emit_item(st, "subscriptionItem.active" if was_past_due or was_trial else "subscriptionItem.updated", item, at)


def cancel(st: State, item: Item, end_now: bool, now: int) -> None:
    if item.status in ("ended", "abandoned"):
        raise errors.bad_request("subscription item ended", "This subscription item has already ended.",
                                 "billing_subscription_item_ended")
    plan = st.billing.plans[item.plan_id]
    if plan.is_default:
        raise errors.bad_request("default plan", "The default plan cannot be canceled.",
                                 "billing_default_plan_not_cancelable")
    sub = st.billing.subscriptions[item.subscription_id]
    if item.status == "upcoming":
        item.status, item.updated_at = "abandoned", now
        _emit_item(st, "subscriptionItem.abandoned", item, now)
    else:
        if item.status != "canceled":
            item.status, item.canceled_at, item.updated_at = "canceled", now, now
            _emit_item(st, "subscriptionItem.canceled", item, now)
        if end_now:
            end_item(st, item, now)
    refresh_subscription(st, sub, now)


