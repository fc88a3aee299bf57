"""Billing: the Backend API's Billing operations and the billing reads and credits of users and organizations
(``handlers.py``), the life of subscriptions on the engine clock (``lifecycle.py``), their shapes and webhook
payloads (``serializers.py``), and what a scenario or the control plane sets up (``setup.py``: plans,
discounts, subscriptions, a declining card).  Tables: ``state.billing`` (records/billing.py)."""

from clerkmock.engine.resources.billing import handlers

ROUTE_SETS = [handlers.ROUTES]
