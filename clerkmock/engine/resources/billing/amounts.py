"""Amounts every billing module computes (a price for a period, a payer's credit balance); below both the
lifecycle and the serializers, which use each other's results only through these."""

from __future__ import annotations

from clerkmock.engine.records.billing import Price
from clerkmock.engine.state import State


def price_amount(price: Price, plan_period: str) -> int:
    return price.annual_monthly_amount * 12 if plan_period == "annual" else price.amount


def balance(st: State, payer_id: str) -> int:
    return sum(e.amount for e in st.billing.ledger if e.payer_id == payer_id)
