"""Spec-driven fuzzing of every implemented operation, shared by ``tests/test_fuzz.py`` (small, in the suite) and
``bench/fuzz.py`` (larger, ``make fuzz``).

Requests come from schemathesis (v4) generating from the vendored ``clerkmock/spec/2026-05-12.yml``: for each
operation a mix of *positive* cases (valid per the spec), positive cases whose path ids exist (a few seeded
users, an organization, a session ... so handlers run past the 404), and *negative* cases (wrong types,
out-of-range values, missing required fields, extra keys, malformed bodies, odd path segments).  They are sent
over real HTTP to a live ``ClerkMock`` (the lean base-URL listener), with a valid secret key and the spec's API
version, and the state is reset to the seeded baseline before every case, so a run is reproducible.

Every response must hold three properties:

* status < 500 (no fault is scripted here);
* the body validates against the spec's schema for that operation and status (``tests/sdk/spec_check.py``):
  errors against ``ClerkErrors`` even where the spec lists an error status without a body schema;
  ``paginated=true`` lists as ``{data, total_count}`` around the spec's array;
* the server still answers ``/__clerkmock/health`` after each operation's batch.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from clerkmock import ClerkMock
from clerkmock.engine import Engine

try:  # tests/ is on sys.path under pytest (and bench/fuzz.py puts it there)
    from sdk import spec_check
except ImportError:  # pragma: no cover - imported as tests.fuzzing
    from tests.sdk import spec_check

SPEC_VERSION = spec_check.SPEC_VERSION  # generate from, send and validate against one spec version
SECRET_KEY = "sk_test_fuzz"
HEADERS = {"Authorization": f"Bearer {SECRET_KEY}", "Clerk-API-Version": SPEC_VERSION}


@cache
def implemented_operations() -> tuple[tuple[str, str, str], ...]:
    """(operationId, method, template) of every route the engine serves, in route order; not the operations of
    spec/undocumented.yml, which the vendored spec (what schemathesis generates from) does not have."""
    from clerkmock.engine.spec import undocumented_operations

    undocumented = {op.operation_id for op in undocumented_operations().values()}
    return tuple((r.operation_id or "", r.method, r.template) for r in Engine().router.routes
                 if r.operation_id not in undocumented)


@cache
def load_schema() -> Any:
    """The vendored spec as a schemathesis schema, filtered to the implemented operations."""
    import schemathesis

    ids = [op_id for op_id, _, _ in implemented_operations()]
    return schemathesis.openapi.from_path(str(spec_check.SPEC_PATH)).include(operation_id=ids)


@cache
def api_operations() -> dict[str, Any]:
    """operationId -> schemathesis ``APIOperation`` (loaded once; ~0.6 s)."""
    out: dict[str, Any] = {}
    for result in load_schema().get_all_operations():
        op = result.ok()  # an operation schemathesis cannot load is a failure of the run, not skipped
        out[op.definition.raw["operationId"]] = op
    return out


# -- seeding -------------------------------------------------------------------------------------------------


def seed(client: httpx.Client) -> dict[str, str]:
    """Create one of each resource a path can name; return path-parameter name -> an existing id.

    Best effort per resource: a creation the engine refuses just leaves that parameter generated (404s)."""
    ids: dict[str, str] = {}

    def post(url: str, body: Any, **kw: Any) -> dict[str, Any] | None:
        response = client.post(url, json=body, **kw)
        return response.json() if response.status_code == 200 else None

    user = post("/v1/users", {
        "email_address": ["fuzz.owner@example.com"], "phone_number": ["+15555550100"],
        "username": "fuzz_owner", "password": "correct-horse-battery", "external_id": "fuzz-ext-1",
        "web3_wallet": ["0x0123456789abcdef0123456789abcdef01234567"],
    }) or post("/v1/users", {"email_address": ["fuzz.owner@example.com"]})
    other = post("/v1/users", {"email_address": ["fuzz.other@example.com"]})
    spare = post("/v1/users", {"email_address": ["fuzz.spare@example.com"]})  # in no organization
    if other:
        ids["other_user_id"] = other["id"]
    if spare:
        ids["spare_user_id"] = spare["id"]
    if user:
        ids["user_id"] = user["id"]
        if user.get("email_addresses"):
            ids["email_address_id"] = user["email_addresses"][0]["id"]
        if user.get("phone_numbers"):
            ids["phone_number_id"] = user["phone_numbers"][0]["id"]
        if user.get("web3_wallets"):
            ids["web3_wallet_identification_id"] = user["web3_wallets"][0]["id"]
    ids["provider"] = "oauth_google"
    org = post("/v1/organizations", {"name": "Fuzz Org", "slug": "fuzz-org",
                                     **({"created_by": user["id"]} if user else {})})
    if org:
        ids["organization_id"] = org["id"]
        if other:
            post(f"/v1/organizations/{org['id']}/memberships", {"user_id": other["id"], "role": "org:member"})
        inv = post(f"/v1/organizations/{org['id']}/invitations",
                   {"email_address": "fuzz.invitee@example.com", "role": "org:member"})
        if inv:
            ids["invitation_id"] = inv["id"]
        domain = post(f"/v1/organizations/{org['id']}/domains", {"name": "fuzz.example.com"})
        if domain:
            ids["domain_id"] = domain["id"]
    permission = post("/v1/organization_permissions", {"name": "Fuzz read", "key": "org:fuzz:read"})
    if permission:
        ids["permission_id"] = permission["id"]
    role = post("/v1/organization_roles", {"name": "Fuzzer", "key": "org:fuzzer"})
    if role:
        ids["organization_role_id"] = role["id"]
    role_sets = client.get("/v1/role_sets")
    if role_sets.status_code == 200:
        data = role_sets.json()
        items = data.get("data", []) if isinstance(data, dict) else data
        if items:
            ids["role_set_key_or_id"] = items[0]["id"]
    if user:
        session = post("/v1/sessions", {"user_id": user["id"]})
        if session:
            ids["session_id"] = session["id"]
            ids["client_id"] = session.get("client_id", "")
        sign_in = post("/v1/sign_in_tokens", {"user_id": user["id"]})
        if sign_in:
            ids["sign_in_token_id"] = sign_in["id"]
        if other:
            actor = post("/v1/actor_tokens", {"user_id": user["id"], "actor": {"sub": other["id"]}})
            if actor:
                ids["actor_token_id"] = actor["id"]
        api_key = client.post("/v1/api_keys", json={"name": "fuzz key", "subject": user["id"]})
        if api_key.status_code in (200, 201):
            ids["apiKeyID"] = api_key.json()["id"]
    connection = client.post("/v1/enterprise_connections", json={
        "name": "Fuzz SSO", "provider": "saml_okta", "domains": ["fuzz-sso.example.com"],
        **({"organization_id": org["id"]} if org else {})})
    if connection.status_code in (200, 201):
        ids["enterprise_connection_id"] = connection.json()["id"]
        spare_connection = client.post("/v1/enterprise_connections", json={
            "name": "Fuzz SSO 2", "provider": "oidc_custom", "domains": ["fuzz-sso2.example.com"]})
        if spare_connection.status_code in (200, 201):  # one without a directory, for the creates
            ids["spare_enterprise_connection_id"] = spare_connection.json()["id"]
        directory = post("/v1/directories", {
            "enterprise_connection_id": ids["enterprise_connection_id"], "provider": "okta",
            **({"group_role_mappings": [{"directory_group_id": "fuzz-group", "role_id": role["id"]}]}
               if role else {})})
        if directory:
            ids["directory_id"] = ids["scim_directory_id"] = directory["id"]
            mappings = client.get(f"/v1/directories/{directory['id']}/group_role_mappings")
            if mappings.status_code == 200 and mappings.json()["data"]:
                ids["mapping_id"] = mappings.json()["data"][0]["id"]
    _seed_billing(client, ids, user, other, org)
    template = post("/v1/jwt_templates", {"name": "fuzz", "claims": {"k": "v"}})
    if template:
        ids["template_id"] = template["id"]
        ids["template_name"] = template["name"]
    machine = post("/v1/machines", {"name": "Fuzz machine"})
    peer = post("/v1/machines", {"name": "Fuzz peer"})
    if machine:
        ids["machine_id"] = machine["id"]
        if peer:
            ids["other_machine_id"] = peer["id"]
            post(f"/v1/machines/{machine['id']}/scopes", {"to_machine_id": peer["id"]})
        secret = client.get(f"/v1/machines/{machine['id']}/secret_key")
        if secret.status_code == 200:
            token = post("/v1/m2m_tokens", {}, headers={"Authorization": f"Bearer {secret.json()['secret']}"})
            if token:
                ids["m2m_token_id"] = token["id"]
    return {k: v for k, v in ids.items() if v}


def _seed_billing(client: httpx.Client, ids: dict[str, str], user: Any, other: Any, org: Any) -> None:
    """Plans, a discount, and subscriptions (a trial, a paid one with a statement, an organization's) through
    the control plane: the Backend API cannot create them."""
    def control(path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        response = client.post(f"/__clerkmock/billing/{path}", json=body)
        return response.json() if response.status_code == 200 else None

    control("plans", {"slug": "free_user", "name": "Free", "is_default": True})
    pro = control("plans", {"slug": "pro", "name": "Pro", "amount": 2000, "annual_monthly_amount": 1600,
                            "free_trial_days": 14, "features": ["dashboard"]})
    control("plans", {"slug": "team", "name": "Team", "payer_type": "org", "amount": 9900})
    discount = control("discounts", {"name": "Half", "percent_off": 50})
    other_discount = control("discounts", {"name": "Five off", "amount_off": 500})
    if pro:
        ids["plan_id"] = pro["id"]
        custom = client.post("/v1/billing/prices", json={"plan_id": pro["id"], "amount": 2500})
        if custom.status_code == 200:
            ids["to_price_id"] = custom.json()["id"]
    if other_discount:
        ids["other_discount_id"] = other_discount["id"]
    if user:
        sub = control("subscriptions", {"user_id": user["id"], "plan": "pro"})
        if sub:
            item = sub["subscription_items"][0]
            ids["subscription_item_id"] = item["id"]
            ids["price_id"] = item["price_id"]
            # a trial end a few days later is a valid extend_to
            ids["extend_to"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(item["period_end"] / 1000 + 5 * 86400))
            if discount and client.post(f"/v1/billing/subscription_items/{item['id']}/discounts",
                                        json={"discount_id": discount["id"]}).status_code == 200:
                ids["discount_id"] = discount["id"]  # the active one: what the remove path names
    if other:
        control("subscriptions", {"user_id": other["id"], "plan": "pro", "free_trial": False})
        statements = client.get("/v1/billing/statements")
        if statements.status_code == 200 and statements.json()["data"]:
            ids["statementID"] = statements.json()["data"][0]["id"]
    if org:
        control("subscriptions", {"organization_id": org["id"], "plan": "team"})


def start_mock(config_dir: str) -> tuple[ClerkMock, dict[str, str]]:
    """A live ClerkMock over the lean listener, seeded, with the seeded state as its reset baseline."""
    mock = ClerkMock(port=0, config_dir=config_dir).start()
    with httpx.Client(base_url=mock.url, headers=HEADERS, timeout=10) as client:
        ids = seed(client)
    mock.pipeline.set_baseline()
    return mock, ids


# -- checking one response -------------------------------------------------------------------------------------


# Operations whose success body is a document, not JSON; the spec gives them no content schema.
NON_JSON_DOCUMENTS = {("GET", "/public/interstitial"): "text/html"}


@cache
def _spec_operation(method: str, template: str) -> spec_check.Operation:
    for op in spec_check.operations():
        if op.method == method and op.template == template:
            return op
    raise AssertionError(f"{method} {template} is not in the spec")


def check_response(method: str, template: str, url: str, status: int, headers: httpx.Headers | Any,
                   raw: bytes) -> str | None:
    """None when the response holds the properties in the module docstring; else why not."""
    if status >= 500:
        return f"status {status}"
    op = _spec_operation(method, template)
    try:
        pointer = spec_check.response_pointer(op, status)
    except AssertionError as exc:
        return str(exc)
    if pointer is None:
        expected_type = NON_JSON_DOCUMENTS.get((method, template))
        if expected_type is not None and status < 300:
            ctype = headers.get("content-type", "")
            return None if ctype.split(";")[0].strip() == expected_type and raw else f"content-type {ctype!r}"
        return f"body where the spec declares none: {raw[:200]!r}" if raw else None
    ctype = headers.get("content-type", "")
    if ctype.split(";")[0].strip() != "application/json":
        return f"content-type {ctype!r}"
    try:
        body = json.loads(raw)
    except ValueError as exc:
        return f"body is not JSON ({exc}): {raw[:200]!r}"
    try:
        query = parse_qs(urlsplit(url).query)
        if (status == 200 and isinstance(body, dict) and set(body) == {"data", "total_count"}
                and query.get("paginated", [""])[0].lower() in ("true", "1")
                and spec_check.schema_at(pointer).get("type") == "array"):
            # paginated=true wraps the spec's bare array in {data, total_count} (what both SDKs expect)
            if not isinstance(body["total_count"], int):
                return f"total_count is not an integer: {body['total_count']!r}"
            spec_check.validate_schema(pointer, body["data"])
        else:
            spec_check.validate_schema(pointer, body)
    except AssertionError as exc:
        return str(exc)
    if status >= 400 and not (body.get("errors") and {"code", "message"} <= set(body["errors"][0])):
        return f"error without a code: {raw[:200]!r}"
    return None


# -- the run -------------------------------------------------------------------------------------------------------


@dataclass
class Failure:
    operation_id: str
    why: str
    request: str  # a curl-like reproduction

    def __str__(self) -> str:
        return f"{self.operation_id}: {self.why}\n    {self.request}"


@dataclass
class Report:
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    per_operation: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0

    def merge(self, other: Report) -> None:
        self.cases += other.cases
        self.statuses.update(other.statuses)
        self.per_operation.update(other.per_operation)
        self.failures.extend(other.failures)
        self.seconds += other.seconds


def realistic_values(seeded: dict[str, str]) -> dict[str, list[Any]]:
    """Body key -> plausible values.  Random strings almost never pass semantic checks (an email address, a
    role key, an existing user id), so some positive cases get these swapped in, to reach the success paths
    (fresh values first; the later ones already exist in the seeded state, for the conflicts)."""
    user, other = seeded.get("user_id", "user_x"), seeded.get("other_user_id", "user_y")
    spare = seeded.get("spare_user_id", "user_z")
    org, machine = seeded.get("organization_id", "org_x"), seeded.get("machine_id", "mch_x")
    return {
        "email_address": ["fuzz.new@example.com", "fuzz.owner@example.com", "new+clerk_test@example.com"],
        "phone_number": ["+15555550101", "+447700900123", "+15555550100"],
        "username": ["fuzzer_two", "fuzz_owner"],
        "password": ["correct-horse-battery-staple"],
        "web3_wallet": ["0x89205a3a3b2a69de6dbf7f01ed13b2108b2c43e7"],
        "external_id": ["fuzz-ext-2", "fuzz-ext-1"],
        "user_id": [spare, user, other],
        "organization_id": [org],
        "subject": [user, org, machine],
        "to_machine_id": [seeded.get("other_machine_id", "mch_y")],
        "role": ["org:member", "org:admin", "org:fuzzer"],
        "default_role_key": ["org:member"],
        "creator_role_key": ["org:admin"],
        "key": ["org:fuzz2", "org:fuzz:write", "fuzz2"],
        "slug": ["fuzz-org-2", "fuzz-org"],
        "redirect_url": ["https://example.com/callback"],
        "code": ["424242"],
        "actor": [{"sub": other}],
        "roles": [["org:member", "org:admin"]],
        "email_addresses": [["fuzz.bulk@example.com"]],
        "enterprise_connection_id": [seeded.get("spare_enterprise_connection_id", "entc_x"),
                                     seeded.get("enterprise_connection_id", "entc_y")],
        "role_id": [seeded.get("organization_role_id", "role_x")],
        "plan_id": [seeded.get("plan_id", "cplan_x")],
        "from_price_id": [seeded.get("price_id", "cprice_x")],
        "to_price_id": [seeded.get("to_price_id", "cprice_y")],
        "discount_id": [seeded.get("other_discount_id", "cdisc_x"), seeded.get("discount_id", "cdisc_y")],
        "extend_to": [seeded.get("extend_to", "2099-01-01T00:00:00Z")],
        "action": ["increase"],
    }


class _Swap:
    """Which plausible values go into one case's body; its choices are hypothesis draws (reproducible)."""

    def __init__(self, mode: str, data: Any) -> None:
        self.fill = mode == "plausible"  # every plausible key the schema has, each with its first value
        self.data = data

    def __call__(self, key: str, n: int = 0) -> Any:
        """Swap ``key``? (n == 0) / which of its n values?"""
        from hypothesis import strategies as st

        if self.fill:
            return 0 if n else True
        if n:
            return self.data.draw(st.integers(0, n - 1), label=key)
        return self.data.draw(st.booleans(), label=f"swap {key}")


def _substitute(value: Any, choose: _Swap, table: dict[str, list[Any]]) -> Any:
    """Walk a JSON body, swapping in plausible values for known keys where the generated value's JSON type
    matches (a list of strings takes a one-item list)."""
    if isinstance(value, list):
        return [_substitute(v, choose, table) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        options = table.get(key)
        if options is not None and choose(key):
            new = options[choose(key, len(options))]
            if isinstance(item, list) and not isinstance(new, list):
                item = [new]
            elif type(item) is type(new) or item is None:
                item = new
        out[key] = _substitute(item, choose, table)
    return out


def _describe(kw: dict[str, Any]) -> str:
    url = str(httpx.URL(kw["url"], params=kw.get("params") or None))
    ctype = kw.get("headers", {}).get("Content-Type", "")
    body = kw.get("json", kw.get("data", kw.get("files")))
    shown = json.dumps(body, default=repr, ensure_ascii=True) if "json" in kw else repr(body)
    return f"{kw['method']} {url}" + (f"  [{ctype}] {shown[:400]}" if body is not None else "")


class Fuzzer:
    """Drives schemathesis strategies against one live mock.  ``examples`` cases per operation."""

    def __init__(self, mock: ClerkMock, seeded: dict[str, str], *, timeout: float = 10.0) -> None:
        import requests

        self.mock = mock
        self.seeded = seeded
        self.base_url = mock.url + "/v1"
        self.session = requests.Session()
        self.timeout = timeout
        self.plausible = realistic_values(seeded)

    def close(self) -> None:
        self.session.close()

    def plan(self, operation: Any) -> list[tuple[Any, str]]:
        """(strategy, value mode) pairs, one drawn per case: generated positive and negative cases, with random
        and with seeded (existing) path ids, and positive ones with plausible values swapped in (``plausible``:
        every known key the body schema has, with its fresh value; ``some plausible``: a random subset of the
        generated keys, any of their values)."""
        from schemathesis import GenerationMode

        names = [p.name for p in operation.path_parameters]
        known = {n: self.seeded[n] for n in names if n in self.seeded}
        paths = [{}, known] if known else [{}]
        positive = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=p or None)
                    for p in paths]
        negative = [operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, path_parameters=p or None)
                    for p in paths]
        plan = [(s, "generated") for s in positive + negative]
        if operation.body:
            plan += [(s, mode) for mode in ("plausible", "some plausible") for s in positive]
        return plan

    def _properties(self, case: Any) -> dict[str, Any]:
        from clerkmock.engine import spec

        op = spec.operations(SPEC_VERSION).get((case.operation.method.upper(), case.operation.path))
        body = (op.body or {}).get("schema", {}) if op else {}
        return body.get("properties", {}) if body.get("type") == "object" else {}

    def send(self, case: Any, swap: _Swap | None = None) -> tuple[dict[str, Any], Any]:
        kw = case.as_transport_kwargs(base_url=self.base_url)
        if swap is not None and isinstance(kw.get("json"), (dict, list)):
            body = kw["json"]
            if swap.fill and isinstance(body, dict):
                # every plausible key the schema has (then swapped in), and no keys the schema lacks
                props = self._properties(case)
                body = {**{k: [] if sub.get("type") == "array" else None
                           for k, sub in props.items() if k in self.plausible},
                        **{k: v for k, v in body.items() if k in props}}
            kw["json"] = _substitute(body, swap, self.plausible)
        # Negative cases may drop the Authorization header (a security "negation"); authentication has its own
        # tests, so every fuzz case authenticates and speaks the spec's version.
        hdrs = {k: v for k, v in kw["headers"].items() if k.lower() not in ("authorization", "clerk-api-version")}
        kw["headers"] = {**hdrs, **HEADERS}
        kw.pop("cookies", None)
        response = self.session.request(**kw, timeout=self.timeout, allow_redirects=False)
        return kw, response

    def run_operation(self, operation_id: str, examples: int, *, seed: int | None = None) -> Report:
        from hypothesis import HealthCheck, Phase, given, settings
        from hypothesis import seed as hseed
        from hypothesis import strategies as st

        operation = api_operations()[operation_id]
        method, template = operation.method.upper(), operation.path
        report = Report()
        started = time.perf_counter()
        plan = self.plan(operation)

        @settings(max_examples=examples, derandomize=seed is None, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate],
                  report_multiple_bugs=False)
        @given(data=st.data())
        def fuzz(data: Any) -> None:
            strategy, mode = plan[data.draw(st.integers(0, len(plan) - 1), label="plan")]
            case = data.draw(strategy, label="case")
            self.mock.reset()  # the seeded baseline: every case sees the same state
            kw, response = self.send(case, None if mode == "generated" else _Swap(mode, data))
            report.cases += 1
            report.per_operation[operation_id] += 1
            report.statuses[response.status_code] += 1
            why = check_response(method, template, response.request.url, response.status_code,
                                 response.headers, response.content)
            if why is not None:
                report.failures.append(Failure(operation_id, why, _describe(kw)))

        if seed is not None:
            fuzz = hseed(seed)(fuzz)
        fuzz()
        health = self.session.get(self.mock.url + "/__clerkmock/health", timeout=self.timeout)
        if health.status_code != 200:
            report.failures.append(Failure(operation_id, f"health answered {health.status_code} afterwards", ""))
        report.seconds = time.perf_counter() - started
        return report

    def run(self, operation_ids: Iterable[str], examples: int, *, seed: int | None = None) -> Report:
        total = Report()
        for operation_id in operation_ids:
            total.merge(self.run_operation(operation_id, examples, seed=seed))
        return total
