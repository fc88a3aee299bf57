"""Billing: plans and their prices, payers (a user or an organization), subscriptions and their items, statements
and payment attempts, credit ledgers, discounts.  Amounts are integers in the smallest currency unit (cents);
times are Unix ms on the engine clock."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Feature:
    id: str
    slug: str
    name: str
    description: str | None = None


@dataclass(slots=True)
class Plan:
    id: str
    slug: str
    name: str
    payer_type: str  # user | org
    product_id: str
    created_at: int
    description: str | None = None
    is_default: bool = False  # the free plan every payer of its type is on unless subscribed to another
    publicly_visible: bool = True
    free_trial_days: int | None = None  # None: no free trial
    features: list[Feature] = field(default_factory=list)
    default_price_id: str = ""


@dataclass(slots=True)
class Price:
    id: str
    plan_id: str
    amount: int  # per month
    annual_monthly_amount: int  # per month when paid annually (0: no annual billing)
    created_at: int
    is_default: bool = False
    description: str | None = None
    supported_billing_periods: str = "month"  # month | annual | both


@dataclass(slots=True)
class Payer:
    id: str  # cpayer_…
    created_at: int
    user_id: str | None = None
    organization_id: str | None = None
    card_declines: bool = False  # the control plane's "test card that declines" switch


@dataclass(slots=True)
class Item:
    """A subscription item: one plan at one price for one payer, over billing periods."""

    id: str
    subscription_id: str
    payer_id: str
    plan_id: str
    price_id: str
    plan_period: str  # month | annual
    status: str  # active | canceled | ended | past_due | upcoming | incomplete | abandoned
    created_at: int
    updated_at: int
    period_start: int
    period_end: int | None  # None for a free plan (no periods)
    is_free_trial: bool = False
    trial_ending_notified: bool = False
    canceled_at: int | None = None
    past_due_at: int | None = None
    ended_at: int | None = None
    lifetime_paid: int = 0
    discount_redemption_id: str | None = None


@dataclass(slots=True)
class Subscription:
    id: str
    payer_id: str
    status: str  # active | past_due | canceled | ended | abandoned | incomplete
    created_at: int
    updated_at: int
    active_at: int | None = None
    past_due_at: int | None = None
    item_ids: list[str] = field(default_factory=list)
    latest_payment_id: str | None = None


@dataclass(slots=True)
class Statement:
    id: str
    payer_id: str
    timestamp: int  # the billing date
    status: str  # open (something due) | closed (settled)
    subtotal: int = 0
    grand_total: int = 0
    attempt_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PaymentAttempt:
    id: str
    payment_id: str
    statement_id: str
    payer_id: str
    item_id: str
    charge_type: str  # checkout | recurring
    subtotal: int
    credits_applied: int
    discount: int
    amount: int  # what the card is charged
    status: str  # pending | paid | failed
    created_at: int
    updated_at: int
    billing_date: int
    paid_at: int | None = None
    failed_at: int | None = None


@dataclass(slots=True)
class LedgerEntry:
    id: str
    payer_id: str
    amount: int  # signed: + increase, - decrease or spent
    source_type: str  # manual_adjustment | payment
    source_id: str
    created_at: int
    note: str | None = None
    idempotency_key: str | None = None


@dataclass(slots=True)
class Discount:
    id: str
    name: str
    created_at: int
    percent_off: float | None = None
    amount_off: int | None = None
    cycles: int | None = None  # None: forever


@dataclass(slots=True)
class Redemption:
    id: str
    discount_id: str
    item_id: str
    redeemed_at: int
    cycles_applied: int = 0
    status: str = "active"  # active | exhausted | removed


class BillingTables:
    def __init__(self) -> None:
        self.plans: dict[str, Plan] = {}
        self.prices: dict[str, Price] = {}
        self.payers: dict[str, Payer] = {}
        self.payer_by_owner: dict[str, str] = {}  # user or organization id -> payer id
        self.subscriptions: dict[str, Subscription] = {}
        self.subscription_by_payer: dict[str, str] = {}
        self.items: dict[str, Item] = {}
        self.statements: dict[str, Statement] = {}
        self.attempts: dict[str, PaymentAttempt] = {}
        self.ledger: list[LedgerEntry] = []
        self.discounts: dict[str, Discount] = {}
        self.redemptions: dict[str, Redemption] = {}
