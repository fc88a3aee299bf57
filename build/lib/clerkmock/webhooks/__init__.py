"""Webhooks: Svix-signed events for every state change, delivered to the app the way Clerk delivers them.

The engine records events (``clerkmock/engine/events.py``); this package delivers them:

    from clerkmock import ClerkMock
    mock = ClerkMock(webhooks=["http://127.0.0.1:8000/webhooks/clerk"], webhook_retry_schedule=[0.05, 0.2])
    ...                                   # create users through the SDK
    mock.webhooks.flush()                 # wait until every delivery is done
    mock.webhooks.deliveries()            # the log: attempts, status codes, next retry

See docs/webhooks.md.
"""

from clerkmock.webhooks.config import (
    SVIX_RETRY_SCHEDULE,
    DeliveryFault,
    EndpointSpec,
    WebhookConfigError,
    compile_endpoint,
    compile_fault,
)
from clerkmock.webhooks.dispatcher import Attempt, Delivery, Endpoint, WebhookDispatcher
from clerkmock.webhooks.signing import generated_secret, signature

__all__ = [
    "SVIX_RETRY_SCHEDULE", "Attempt", "Delivery", "DeliveryFault", "Endpoint", "EndpointSpec",
    "WebhookConfigError", "WebhookDispatcher", "compile_endpoint", "compile_fault", "generated_secret",
    "signature",
]
