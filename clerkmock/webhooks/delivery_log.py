"""The delivery log: every delivery, oldest first, in whatever state; finished ones beyond ``LOG_LIMIT`` are
forgotten (pending ones always kept).  The dispatcher holds its lock around every call."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from clerkmock.webhooks.config import matches
from clerkmock.webhooks.records import FINISHED, Delivery

LOG_LIMIT = 2000  # finished deliveries kept


class DeliveryLog:
    def __init__(self) -> None:
        self._items: deque[Delivery] = deque()

    def append(self, d: Delivery) -> None:
        self._items.append(d)

    def trim(self) -> None:
        excess = len(self._items) - LOG_LIMIT
        while excess > 0 and self._items and self._items[0].status in FINISHED:
            self._items.popleft()
            excess -= 1

    def get(self, delivery_id: str) -> Delivery | None:
        return next((d for d in self._items if d.id == delivery_id), None)

    def clear(self) -> None:
        self._items.clear()

    def select(self, *, endpoint_id: str | None = None, event_type: str | None = None,
               status: str | None = None) -> list[Delivery]:
        return [d for d in self._items
                if (endpoint_id is None or d.endpoint_id == endpoint_id)
                and (event_type is None or matches((event_type,), d.event.type))
                and (status is None or d.status == status)]

    def __iter__(self) -> Iterator[Delivery]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
