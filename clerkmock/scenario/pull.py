"""``clerkmock scenario pull``: read a Clerk instance through the Backend API and write it as a scenario, so a
team can start from a copy of its own development instance.

Same document as an export (clerkmock/scenario/export.py): create bodies with pinned ids and ``restore``
mappings, built here from the API's JSON instead of from records.  Every list is paged (``limit`` 500, Clerk's
maximum); a 429 waits for its ``Retry-After`` (and a 5xx backs off exponentially) before the same request is
sent again.  Passwords cannot be read from Clerk: pulled users have none (``skip_password_requirement``).

The HTTP client, the sleep and the progress report are injected, so tests run it against a clerkmock
upstream without waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from clerkmock.scenario.export import _rfc3339

PAGE = 500  # Clerk's maximum limit
MAX_ATTEMPTS = 8  # per request, 429s and 5xx included
MAX_WAIT_S = 60.0
DEFAULT_ROLE_KEYS = ("org:admin", "org:member")
IDENTIFICATION_KINDS = (("email_addresses", "email_address", "email_address"),
                        ("phone_numbers", "phone_number", "phone_number"),
                        ("web3_wallets", "web3_wallet", "web3_wallet"))


class PullError(Exception):
    """The upstream refused or could not be reached; the message names the request."""


@dataclass
class Puller:
    base_url: str
    secret_key: str
    limit: int | None = None  # at most this many users (and organizations)
    scrub_pii: bool = False
    sleep: Callable[[float], None] = field(default=lambda s: None)
    progress: Callable[[str, int, int | None], None] = field(default=lambda what, done, total: None)
    client: httpx.Client | None = None
    waits: list[float] = field(default_factory=list)  # every backoff taken (seconds), for the summary

    def __post_init__(self) -> None:
        from clerkmock.cassette.scrub import Scrubber

        self._scrubber = Scrubber(pii=True)
        self.base_url = self.base_url.rstrip("/")
        if not self.base_url.endswith("/v1"):
            self.base_url += "/v1"

    # -- HTTP -----------------------------------------------------------------------------------------------

    def get(self, path: str, **params: Any) -> Any:
        client = self.client or httpx.Client(timeout=30.0, trust_env=False)
        try:
            for attempt in range(1, MAX_ATTEMPTS + 1):
                try:
                    response = client.get(self.base_url + path, params=params,
                                          headers={"Authorization": f"Bearer {self.secret_key}"})
                except httpx.HTTPError as exc:
                    raise PullError(f"cannot reach {self.base_url}: {exc}") from None
                if response.status_code == 429 or response.status_code >= 500:
                    if attempt == MAX_ATTEMPTS:
                        break
                    wait = _retry_after(response) if response.status_code == 429 else min(2.0 ** attempt, MAX_WAIT_S)
                    self.waits.append(wait)
                    self.sleep(wait)
                    continue
                if response.status_code != 200:
                    raise PullError(f"GET {path}: {response.status_code} {_message(response)}")
                return response.json()
            raise PullError(f"GET {path}: still {response.status_code} after {MAX_ATTEMPTS} attempts")
        finally:
            if self.client is None:
                client.close()

    def pages(self, path: str, what: str, total: int | None, cap: int | None = None,
              **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a list endpoint, page by page (bare arrays and {data, total_count} alike)."""
        offset = 0
        while True:
            size = PAGE if cap is None else min(PAGE, cap - offset)
            if size <= 0:
                return
            body = self.get(path, limit=size, offset=offset, **params)
            items = body["data"] if isinstance(body, dict) else body
            if total is None and isinstance(body, dict):
                total = body.get("total_count")
            yield from items
            offset += len(items)
            self.progress(what, offset, total if cap is None or total is None else min(total, cap))
            if len(items) < size:
                return

    # -- the document ---------------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        instance = self.get("/instance")
        env = instance.get("environment_type")
        doc: dict[str, Any] = {"instance": {"environment": env if env in ("development", "production")
                                            else "development"}}
        perms = [p for p in self.pages("/organization_permissions", "permissions", None)
                 if p.get("type") != "system"]
        doc["permissions"] = [self._permission(p) for p in perms]
        roles = [r for r in self.pages("/organization_roles", "roles", None) if r["key"] not in DEFAULT_ROLE_KEYS]
        doc["roles"] = [self._role(r) for r in roles]
        total = self.get("/users/count").get("total_count")
        users = list(self.pages("/users", "users", total, self.limit, order_by="+created_at"))
        doc["users"] = [self._user(u) for u in users]
        pulled = {u["id"] for u in users}
        doc["organizations"] = []
        for org in list(self.pages("/organizations", "organizations", None, self.limit, order_by="+created_at")):
            entry = self._organization(org, pulled)
            if entry is not None:
                doc["organizations"].append(entry)
        doc["invitations"] = [self._invitation(i) for i in self.pages("/invitations", "invitations", None,
                                                                     status="pending")]
        doc["jwt_templates"] = [self._jwt_template(t) for t in self.pages("/jwt_templates", "JWT templates", None)]
        return {k: v for k, v in doc.items() if v != []}

    def _pii(self, kind: str, value: Any) -> Any:
        if not self.scrub_pii or not isinstance(value, str) or not value:
            return value
        if kind == "email":
            return self._scrubber.placeholder("email", value.lower())
        if kind == "web3":
            import hashlib

            return "0x" + hashlib.sha256(value.lower().encode()).hexdigest()[:40]
        return self._scrubber.placeholder(kind, value)

    def _permission(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"id": p["id"], "key": p["key"], "name": p["name"], "description": p.get("description") or "",
                "restore": _times(p)}

    def _role(self, r: dict[str, Any]) -> dict[str, Any]:
        entry = {"id": r["id"], "key": r["key"], "name": r["name"],
                 "permissions": [p["key"] for p in r.get("permissions") or []],
                 # the API does not say which role set holds a role: offer every custom role to new organizations
                 "include_in_initial_role_set": True}
        if r.get("description") is not None:
            entry["description"] = r["description"]
        entry["restore"] = _times(r)
        return entry

    def _user(self, u: dict[str, Any]) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": u["id"]}
        identifications: dict[str, Any] = {}
        scrub_kind = {"email_address": "email", "phone_number": "phone", "web3_wallet": "web3"}
        for list_key, value_key, body_key in IDENTIFICATION_KINDS:
            values = []
            for item in u.get(list_key) or []:
                value = self._pii(scrub_kind[value_key], item[value_key])
                values.append(value)
                restored = {"id": item["id"], **_times(item)}
                v = item.get("verification")
                restored["verification"] = None if v is None else {
                    k: v.get(k) for k in ("status", "strategy", "attempts", "expire_at")}
                for flag in ("reserved", "reserved_for_second_factor", "default_second_factor"):
                    if flag in item:
                        restored[flag] = bool(item[flag])
                if item.get("linked_to"):
                    restored["linked_to"] = [{"type": link["type"], "id": link["id"]} for link in item["linked_to"]]
                identifications[value] = restored
            if values:
                entry[body_key] = values
        for name, kind in (("username", "username"), ("first_name", "first_name"), ("last_name", "last_name")):
            if u.get(name) is not None:
                entry[name] = self._pii(kind, u[name])
        for name in ("external_id", "locale"):
            if u.get(name) is not None:
                entry[name] = u[name]
        for name in ("public_metadata", "private_metadata", "unsafe_metadata"):
            if u.get(name):
                entry[name] = u[name]
        entry["created_at"] = _rfc3339(u["created_at"])
        if u.get("legal_accepted_at") is not None:
            entry["legal_accepted_at"] = _rfc3339(u["legal_accepted_at"])
        if u.get("create_organizations_limit") is not None:
            entry["create_organizations_limit"] = u["create_organizations_limit"]
        for name in ("delete_self_enabled", "create_organization_enabled", "bypass_client_trust"):
            if isinstance(u.get(name), bool):
                entry[name] = u[name]
        if not identifications and u.get("username") is None:
            entry["skip_user_requirement"] = True
        entry["skip_password_requirement"] = True  # Clerk never returns a password or its hash
        entry["skip_legal_checks"] = True
        restore: dict[str, Any] = {
            k: u.get(k) for k in ("updated_at", "last_sign_in_at", "last_active_at", "lockout_expires_at",
                                  "mfa_enabled_at", "mfa_disabled_at")}
        restore["banned"], restore["locked"] = bool(u.get("banned")), bool(u.get("locked"))
        if u.get("has_image") and u.get("image_url"):
            restore["image_url"] = u["image_url"]
        for name in ("primary_email_address_id", "primary_phone_number_id", "primary_web3_wallet_id"):
            restore[name] = u.get(name)
        restore["identifications"] = identifications
        entry["restore"] = restore
        return entry

    def _organization(self, org: dict[str, Any], pulled: set[str]) -> dict[str, Any] | None:
        members = [m for m in self.pages(f"/organizations/{org['id']}/memberships", f"members of {org['slug']}",
                                         None, order_by="+created_at")
                   if (m.get("public_user_data") or {}).get("user_id") in pulled]
        if not members and self.limit is not None:
            return None  # --limit: an organization none of whose members was pulled
        entry: dict[str, Any] = {"id": org["id"], "name": org["name"], "slug": org["slug"]}
        creator = org.get("created_by")
        member_ids = [m["public_user_data"]["user_id"] for m in members]
        if creator in member_ids:
            entry["created_by"] = creator
            members.sort(key=lambda m: m["public_user_data"]["user_id"] != creator)
        entry["max_allowed_memberships"] = org.get("max_allowed_memberships") or 0
        for name in ("public_metadata", "private_metadata"):
            if org.get(name):
                entry[name] = org[name]
        entry["created_at"] = _rfc3339(org["created_at"])
        restore = {"updated_at": org["updated_at"]}
        if isinstance(org.get("admin_delete_enabled"), bool):
            restore["admin_delete_enabled"] = org["admin_delete_enabled"]
        if org.get("has_image") and org.get("image_url"):
            restore["image_url"] = org["image_url"]
        if creator is not None and creator not in member_ids and creator in pulled:
            restore["created_by"] = creator
        entry["restore"] = restore
        entry["members"] = []
        for m in members:
            member = {"id": m["id"], "user": m["public_user_data"]["user_id"], "role": m["role"]}
            for name in ("public_metadata", "private_metadata"):
                if m.get(name):
                    member[name] = m[name]
            member["restore"] = _times(m)
            entry["members"].append(member)
        invitations = []
        for inv in self.pages(f"/organizations/{org['id']}/invitations", f"invitations of {org['slug']}", None,
                              status="pending"):
            item = {"id": inv["id"], "email_address": self._pii("email", inv["email_address"]), "role": inv["role"]}
            if inv.get("inviter_id") in pulled:
                item["inviter"] = inv["inviter_id"]
            for name in ("public_metadata", "private_metadata"):
                if inv.get(name):
                    item[name] = inv[name]
            item["notify"] = False
            item["restore"] = {**_times(inv), "expires_at": inv.get("expires_at"), "role_name": inv.get("role_name")}
            if inv.get("url"):
                item["restore"]["url"] = inv["url"]
            invitations.append(item)
        if invitations:
            entry["invitations"] = invitations
        return entry

    def _invitation(self, inv: dict[str, Any]) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": inv["id"], "email_address": self._pii("email", inv["email_address"])}
        if inv.get("public_metadata"):
            entry["public_metadata"] = inv["public_metadata"]
        entry["notify"] = False
        entry["ignore_existing"] = True
        entry["restore"] = {**_times(inv), "expires_at": inv.get("expires_at")}
        if inv.get("url"):
            entry["restore"]["url"] = inv["url"]
        return entry

    def _jwt_template(self, t: dict[str, Any]) -> dict[str, Any]:
        # a custom signing key cannot be read back: the copy signs with the instance key
        return {"id": t["id"], "name": t["name"], "claims": t.get("claims") or {}, "lifetime": t["lifetime"],
                "allowed_clock_skew": t["allowed_clock_skew"], "restore": _times(t)}


def pull(base_url: str, secret_key: str, **kwargs: Any) -> dict[str, Any]:
    return Puller(base_url, secret_key, **kwargs).run()


def _times(item: dict[str, Any]) -> dict[str, Any]:
    return {"created_at": item["created_at"], "updated_at": item["updated_at"]}


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(max(float(response.headers.get("Retry-After", "1")), 0.0), MAX_WAIT_S)
    except ValueError:
        return 1.0


def _message(response: httpx.Response) -> str:
    try:
        error = response.json()["errors"][0]
        return str(error.get("long_message") or error.get("message"))
    except (ValueError, KeyError, IndexError, TypeError):
        return response.text[:200]

