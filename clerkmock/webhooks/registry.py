"""The webhook endpoints configured: add (or replace), update, remove, and their baseline snapshot.  Pure
bookkeeping: the dispatcher holds its lock around every call and starts or wakes delivery threads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from clerkmock.engine.ids import IdGenerator
from clerkmock.webhooks.config import EndpointSpec, WebhookConfigError, compile_endpoint
from clerkmock.webhooks.records import CANCELLED, Endpoint, wall_ms

type Snapshot = tuple[tuple[EndpointSpec, str], ...]


def spec_of(
    url: str | dict[str, Any] | EndpointSpec,
    *,
    events: Iterable[str] | None = None,
    secret: str | None = None,
    retry_schedule: Sequence[float] | None = None,
    faults: Iterable[dict[str, Any]] | None = None,
    id: str | None = None,  # noqa: A002 - the key's name in every other shape
) -> EndpointSpec:
    """A compiled endpoint from a URL, the config mapping or a spec; keyword arguments override the mapping."""
    if isinstance(url, EndpointSpec):
        return url
    raw: dict[str, Any] = dict(url) if isinstance(url, dict) else {"url": url}
    for key, value in (("events", events), ("secret", secret), ("retry_schedule", retry_schedule),
                       ("faults", faults), ("id", id)):
        if value is not None:
            raw[key] = list(value) if key in ("events", "faults", "retry_schedule") else value
    return compile_endpoint(raw)


class EndpointRegistry:
    def __init__(self, ids: IdGenerator, default_secret: str) -> None:
        self._ids = ids
        self.default_secret = default_secret  # what endpoints without their own secret sign with
        self._endpoints: dict[str, Endpoint] = {}

    def put(self, spec: EndpointSpec, source: str) -> tuple[Endpoint, Endpoint | None]:
        """Install ``spec``; an endpoint with its id (or, without one, its URL) is replaced and keeps its
        pending deliveries -- so applying the same scenario twice does not deliver everything twice.
        Returns the new endpoint and the one it replaced."""
        existing = self._endpoints.get(spec.id) if spec.id else next(
            (e for e in self._endpoints.values() if e.url == spec.url), None)
        endpoint = Endpoint(
            id=spec.id or (existing.id if existing else self._ids.new("ep")),
            url=spec.url,
            secret=spec.secret or self.default_secret,
            events=spec.events,
            retry_schedule=spec.retry_schedule,
            faults=list(spec.faults),
            description=spec.description,
            source=source,
            created_at_ms=existing.created_at_ms if existing else wall_ms(),
        )
        if existing is not None:
            endpoint.pending = existing.pending
            existing.removed = True
            self._endpoints.pop(existing.id)
            for d in endpoint.pending:
                d.endpoint_id, d.url = endpoint.id, endpoint.url
        self._endpoints[endpoint.id] = endpoint
        return endpoint, existing

    def changed(self, endpoint_id: str, changes: dict[str, Any]) -> tuple[EndpointSpec, str]:
        """The spec of an endpoint with ``changes`` applied (the control plane's PATCH), and its source."""
        current = self._endpoints.get(endpoint_id)
        if current is None:
            raise KeyError(endpoint_id)
        raw: dict[str, Any] = {"url": current.url, "id": current.id, "events": list(current.events),
                               "secret": current.secret, "faults": [f.to_json() for f in current.faults]}
        if current.retry_schedule is not None:
            raw["retry_schedule"] = list(current.retry_schedule)
        if current.description is not None:
            raw["description"] = current.description
        for key, value in changes.items():
            if key == "id" and value != current.id:
                raise WebhookConfigError("an endpoint's id cannot change", ("id",))
            raw[key] = value
        return compile_endpoint({k: v for k, v in raw.items() if v is not None}), current.source

    def remove(self, endpoint_id: str) -> bool:
        """Remove an endpoint; what it had pending is cancelled."""
        endpoint = self._endpoints.pop(endpoint_id, None)
        if endpoint is None:
            return False
        endpoint.removed = True
        for d in endpoint.pending:
            d.status = CANCELLED
        endpoint.pending.clear()
        return True

    def get(self, endpoint_id: str) -> Endpoint | None:
        return self._endpoints.get(endpoint_id)

    def __iter__(self) -> Any:
        return iter(list(self._endpoints.values()))

    def __len__(self) -> int:
        return len(self._endpoints)

    def ids(self) -> list[str]:
        return list(self._endpoints)

    @property
    def signing_secret(self) -> str:
        """What an app verifies with: the first endpoint's secret, else the default one."""
        first = next(iter(self._endpoints.values()), None)
        return first.secret if first is not None else self.default_secret

    def snapshot(self) -> Snapshot:
        """The endpoints as configured (not their deliveries), with their sources."""
        return tuple((EndpointSpec(e.url, e.events, e.secret, e.id, e.retry_schedule, list(e.faults),
                                   e.description), e.source) for e in self._endpoints.values())
