"""Seeding: turn scenario entries into the engine's own create requests (``trusted=True``: no auth), so a
scenario can never hold what the API would refuse.  References by email/username/slug are resolved first;
a pinned id is handed out by the id generator to the record the create makes (``IdGenerator.pinned``), and
re-keyed through the state afterwards (`rekey`) only where that could not be arranged.  A failure is a
`ScenarioError` at the entry's line, carrying the Clerk error; the caller restores the state it had before.

Like a linter, a run reports every independent problem: an entry that fails is recorded and seeding goes on
with the next one.  What only fails *because* of an earlier failure (a member who refers to a user whose
entry failed, a role whose permission failed ...) is left out rather than reported as a second problem.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import quote

from clerkmock.engine import Engine, Request
from clerkmock.engine.ids import ID_LENGTH, well_formed
from clerkmock.scenario.errors import ScenarioError
from clerkmock.scenario.rekey import rekey
from clerkmock.scenario.restore import Restorer
from clerkmock.scenario.schema import ID_PREFIXES
from clerkmock.scenario.source import Document, Path, jsonable

type Summary = dict[str, list[str]]
type Progress = Callable[[str, int, int], None]  # (section, entries done, entries in the section)
EXTERNAL_ACCOUNT_KEYS = ("provider", "email", "provider_user_id", "first_name", "last_name", "username", "id")


class _Consequence(Exception):
    """An entry that cannot be seeded because an entry it refers to failed: not a problem of its own."""


# what other entries may call an entry by (lower-cased), per section
_REFERENCE_KEYS = {"users": ("email_address", "username", "external_id", "phone_number"),
                   "organizations": ("slug", "name"), "roles": ("key",), "permissions": ("key",)}


class Seeder:
    def __init__(self, engine: Engine, doc: Document, progress: Progress | None = None) -> None:
        self.engine = engine
        self.doc = doc
        self.progress = progress
        self.summary: Summary = {}
        self.problems: list[ScenarioError] = []
        self._failed: set[str] = set()  # names (emails, usernames, slugs, keys ...) of entries that failed
        self.restorer = Restorer(self)
        self._made: dict[str, str] = {}  # membership id -> org id: made with its pinned id by the org's create

    @property
    def st(self) -> Any:
        return self.engine.state

    def run(self) -> Summary:
        """Seed every entry; raise one `ScenarioError` holding every independent problem."""
        data = self.doc.data
        for section, seed in (
            ("permissions", self._permission), ("roles", self._role), ("users", self._user),
            ("organizations", self._organization), ("invitations", self._invitation),
            ("jwt_templates", self._jwt_template), ("sessions", self._session),
        ):
            entries = data.get(section) or []
            for i, entry in enumerate(entries):
                self._each(section, entry, (section, i), partial(seed, dict(entry), (section, i)))
                if self.progress is not None:
                    self.progress(section, i + 1, len(entries))
        self._billing(data.get("billing") or {})
        if self.problems:
            raise ScenarioError.collect(sorted(self.problems, key=lambda p: p.line or 0))
        return self.summary

    def _each(self, section: str, entry: Any, where: Path, seed: Callable[[], None]) -> None:
        try:
            seed()
        except _Consequence:
            self._remember_failed(section, entry)
        except ScenarioError as exc:
            self.problems.extend(exc.problems)
            self._remember_failed(section, entry)

    def _remember_failed(self, section: str, entry: Any) -> None:
        if not isinstance(entry, dict):
            return
        for key in (*_REFERENCE_KEYS.get(section, ()), "id"):
            values = entry.get(key)
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, str):
                    self._failed.add(value.lower())

    def _check_failed(self, value: Any) -> None:
        if isinstance(value, str) and value.lower() in self._failed:
            raise _Consequence(value)

    # -- one create request ----------------------------------------------------------------------------------

    def _call(self, method: str, url: str, body: dict[str, Any], where: Path, what: str) -> dict[str, Any]:
        response = self.engine.handle(Request.make(method, "/v1" + url, json=jsonable(body)), trusted=True)
        if response.status == 200:
            result: dict[str, Any] = response.json()
            return result
        err = (response.json() or {}).get("errors", [{}])[0]
        param = (err.get("meta") or {}).get("param_name")
        key_path = (*where, param) if param and (*where, param) in self.doc.lines else where
        raise self.doc.error(key_path, f"{what}: {err.get('code')}: {err.get('long_message') or err.get('message')}")

    def _pinned(self, section: str, entry: dict[str, Any], where: Path, table: dict[str, Any]) -> str | None | bool:
        """The pinned id (checked), True if it already exists (skip the entry), None if none is pinned."""
        pinned = entry.pop("id", None)
        if pinned is None:
            return None
        prefix = ID_PREFIXES[section]
        if not well_formed(pinned, prefix):
            raise self.doc.error((*where, "id"), f"{_name(where)}: a pinned id must be {prefix}_ followed by "
                                                 f"{ID_LENGTH} letters and digits, like Clerk's (got {pinned!r})")
        if pinned in table:
            return True
        return pinned

    def _create(self, section: str, url: str, entry: dict[str, Any], where: Path, pinned: str | None | bool,
                also: dict[str, list[str]] | None = None) -> str:
        """POST a create body; the record gets its pinned id straight from the id generator (and ``also``:
        prefix -> ids of records the same create makes, in the order it makes them).  Re-keying instead walks
        the whole state once per id: minutes for an export of a few thousand users."""
        prefix = ID_PREFIXES[section]
        pins = {k: list(v) for k, v in (also or {}).items() if v}
        if isinstance(pinned, str):
            pins[prefix] = [pinned]
        ids = self.st.ids
        ids.pinned = pins
        try:
            created = str(self._call("POST", url, entry, where, _name(where))["id"])
        finally:
            unused = ids.pinned.get(prefix, [])
            ids.pinned = {}
        if isinstance(pinned, str) and created != pinned and pinned not in unused:
            raise RuntimeError(f"{_name(where)}: the pinned id {pinned} went to another record than {created}")
        return self._pin(created, pinned)

    def _pin(self, created: str, pinned: str | None | bool) -> str:
        if isinstance(pinned, str):
            if pinned != created:
                rekey(self.st, created, pinned)
            self.st.ids.claim(pinned)  # the generator never hands it out again
            return pinned
        return created

    def _note(self, section: str, record_id: str) -> None:
        self.summary.setdefault(section, []).append(record_id)

    # -- references -----------------------------------------------------------------------------------------

    def user_id(self, value: Any, where: Path) -> str:
        st = self.st
        if isinstance(value, str):
            if value in st.users:
                return value
            lowered = value.lower()
            if "@" in value:
                for idn_id in st.email_index.get(lowered, ()):
                    idn = st.identifications.get(idn_id)
                    if idn is not None and idn.user_id is not None:
                        return str(idn.user_id)
            if lowered in st.username_index:
                return str(st.username_index[lowered])
            if value in st.external_id_index:
                return str(st.external_id_index[value])
        self._check_failed(value)
        raise self.doc.error(where, f"{_name(where)}: no user {value!r} (refer to a user by id, email address, "
                                    "username or external_id; users are seeded before organizations and sessions)")

    def org_id(self, value: Any, where: Path) -> str:
        org = self.st.orgs.find_org(value) if isinstance(value, str) else None
        if org is None:
            self._check_failed(value)
            raise self.doc.error(where, f"{_name(where)}: no organization {value!r} (refer to one by id or slug)")
        return str(org.id)

    def _alias(self, entry: dict[str, Any], alias: str, field: str, where: Path,
               resolve: Callable[[Any, Path], str]) -> None:
        """``user: alice@example.com`` or ``user_id: alice@example.com`` -> ``user_id: user_...``."""
        if alias in entry and field in entry:
            raise self.doc.error((*where, alias), f"{_name(where)}: give {alias} or {field}, not both")
        key = alias if alias in entry else field
        if key in entry and entry[key] is not None:
            entry[field] = resolve(entry.pop(key), (*where, key))

    # -- sections -------------------------------------------------------------------------------------------

    def _user(self, entry: dict[str, Any], where: Path) -> None:
        restore = entry.pop("restore", None)
        accounts = entry.pop("external_accounts", None)
        pinned = self._pinned("users", entry, where, self.st.users)
        if pinned is True:
            return
        for key in ("email_address", "phone_number", "web3_wallet"):  # a single value for convenience
            if isinstance(entry.get(key), str):
                entry[key] = [entry[key]]
        user_id = self._create("users", "/users", entry, where, pinned,
                               {"idn": self._address_pins(entry, restore)})
        self.restorer.apply("users", self.st.users[user_id], restore, where)
        self._external_accounts(user_id, accounts, (*where, "external_accounts"))
        self._note("users", user_id)

    def _address_pins(self, entry: dict[str, Any], restore: Any) -> list[str]:
        """The pinned ids of the user's addresses (its restore mapping), in the order the create makes them;
        up to the first that cannot be handed out as it is (that one and the rest are re-keyed)."""
        restored = restore.get("identifications") if isinstance(restore, dict) else None
        if not isinstance(restored, dict):
            return []
        out: list[str] = []
        for kind in ("email_address", "phone_number", "web3_wallet"):
            for value in entry.get(kind) or ():
                fields = restored.get(value)
                pin = fields.get("id") if isinstance(fields, dict) else None
                if not (isinstance(pin, str) and well_formed(pin, "idn")) or pin in out \
                        or pin in self.st.identifications or pin in self.restorer.repinned:
                    return out
                out.append(pin)
        return out

    def _external_accounts(self, user_id: str, accounts: Any, where: Path) -> None:
        """``external_accounts: [{provider: google, email: …, provider_user_id: …}]``: the user's accounts at
        OAuth providers (what the fake provider's consent page lists, fapi/social.py)."""
        from clerkmock.engine.errors import ClerkError
        from clerkmock.engine.fapi import oauth_accounts
        from clerkmock.engine.records.oauth import ProviderAccount
        from clerkmock.engine.resources import identifications as idns

        if accounts is None:
            return
        if not isinstance(accounts, list):
            raise self.doc.error(where, f"{_name(where)}: must be a list of {{provider, email, provider_user_id}} "
                                        "mappings")
        st, user = self.st, self.st.users[user_id]
        for i, raw in enumerate(accounts):
            at = (*where, i)
            if not isinstance(raw, dict):
                raise self.doc.error(at, f"{_name(at)}: must be a mapping with provider, email, provider_user_id")
            for key in raw:
                if key not in EXTERNAL_ACCOUNT_KEYS:
                    raise self.doc.error((*at, key), f"{_name(at)}: unknown key {key!r} (known: "
                                                     f"{', '.join(EXTERNAL_ACCOUNT_KEYS)})")
            provider = raw.get("provider")
            strategy = oauth_accounts.strategy_of(provider) if isinstance(provider, str) else None
            if strategy is None:
                raise self.doc.error((*at, "provider") if "provider" in raw else at,
                                     f"{_name(at)}.provider: {'missing' if provider is None else repr(provider)}: "
                                     "an OAuth provider such as google, github, microsoft (the Frontend API "
                                     "spec's oauth_* strategies)")
            primary = st.identifications.get(user.primary_email_address_id or "")
            email = raw.get("email", primary.value if primary is not None else None)
            try:
                email = idns.check_format("email_address", email, "email")
            except ClerkError:
                raise self.doc.error((*at, "email") if "email" in raw else at,
                                     f"{_name(at)}.email: {email!r} is not an email address (the user has none "
                                     "to default to)" if email is None else
                                     f"{_name(at)}.email: {email!r} is not an email address") from None
            pid = str(raw.get("provider_user_id") or oauth_accounts.new_provider_user_id(st))
            if (strategy, pid) in st.provider_index:
                raise self.doc.error((*at, "provider_user_id") if "provider_user_id" in raw else at,
                                     f"{_name(at)}: {strategy} account {pid} belongs to another user already")
            names = {k: raw.get(k) for k in ("first_name", "last_name", "username")}
            for key, value in (*names.items(), ("id", raw.get("id"))):
                if value is not None and not isinstance(value, str):
                    raise self.doc.error((*at, key), f"{_name(at)}.{key}: must be a string")
            pinned = raw.get("id")
            if pinned is not None and not (pinned.startswith("eac_") and len(pinned) == 4 + ID_LENGTH
                                           and pinned[4:].isalnum()):
                raise self.doc.error((*at, "id"), f"{_name(at)}.id: a pinned id must be eac_ followed by "
                                                  f"{ID_LENGTH} letters and digits (got {pinned!r})")
            account = ProviderAccount(strategy, pid, email, names["first_name"] or "", names["last_name"] or "",
                                      names["username"])
            oauth_accounts.link(st, user, account, self.engine.clock.now_ms(), account_id=pinned)

    def _permission(self, entry: dict[str, Any], where: Path) -> None:
        pinned = self._pinned("permissions", entry, where, self.st.orgs.permissions)
        if pinned is True:
            return
        restore = entry.pop("restore", None)
        perm_id = self._create("permissions", "/organization_permissions", entry, where, pinned)
        self.restorer.apply("permissions", self.st.orgs.permissions[perm_id], restore, where)
        self._note("permissions", perm_id)

    def _role(self, entry: dict[str, Any], where: Path) -> None:
        pinned = self._pinned("roles", entry, where, self.st.orgs.roles)
        if pinned is True:
            return
        perms = entry.get("permissions")
        if isinstance(perms, list):  # keys (org:invoices:read) are friendlier than perm_ ids
            keys = self.st.orgs.permission_keys
            for p in perms:
                if p not in keys:
                    self._check_failed(p)
            entry["permissions"] = [keys.get(p, p) if isinstance(p, str) else p for p in perms]
        restore = entry.pop("restore", None)
        role_id = self._create("roles", "/organization_roles", entry, where, pinned)
        self.restorer.apply("roles", self.st.orgs.roles[role_id], restore, where)
        self._note("roles", role_id)

    def _organization(self, entry: dict[str, Any], where: Path) -> None:
        pinned = self._pinned("organizations", entry, where, self.st.orgs.orgs)
        if pinned is True:
            return
        restore = entry.pop("restore", None)
        members = entry.pop("members", None) or []
        invitations = entry.pop("invitations", None) or []
        creator = entry.get("created_by")
        creator_pin: list[str] = []
        if creator is not None:
            entry["created_by"] = self.user_id(creator, (*where, "created_by"))
            # the creator's membership (an export lists it first, with its id): made by this create
            first = members[0] if members and isinstance(members[0], dict) else {}
            pin = first.get("id")
            if (first.get("user", first.get("user_id")) in (creator, entry["created_by"]) and isinstance(pin, str)
                    and well_formed(pin, "orgmem") and pin not in self.st.orgs.memberships):
                creator_pin = [pin]
        org_id = self._create("organizations", "/organizations", entry, where, pinned, {"orgmem": creator_pin})
        if creator_pin and creator_pin[0] in self.st.orgs.memberships:  # the creator's entry below restores it
            self.st.ids.claim(creator_pin[0])
            self._made[creator_pin[0]] = org_id
        self._note("organizations", org_id)
        for j, member in enumerate(members):
            self._each("memberships", member, (*where, "members", j),
                       partial(self._member, org_id, dict(member), (*where, "members", j)))
        for j, invitation in enumerate(invitations):
            self._each("organizations.invitations", invitation, (*where, "invitations", j),
                       partial(self._org_invitation, org_id, dict(invitation), (*where, "invitations", j)))
        # last: adding members touches the organization's updated_at
        self.restorer.apply("organizations", self.st.orgs.orgs[org_id], restore, where)

    def _member(self, org_id: str, entry: dict[str, Any], where: Path) -> None:
        self._check_failed(entry.get("role"))
        restore = entry.pop("restore", None)
        if self._made.get(str(entry.get("id"))) == org_id:  # the creator's: made by the organization's create
            del entry["id"]
            pinned: str | bool | None = None
        else:
            pinned = self._pinned("organizations.members", entry, where, self.st.orgs.memberships)
        if pinned is True:
            return
        self._alias(entry, "user", "user_id", where, self.user_id)
        user_id = entry.get("user_id")
        existing = self.st.orgs.membership(org_id, user_id) if isinstance(user_id, str) else None
        if existing is not None:  # e.g. the creator, an admin already: set the role the scenario asks for
            role = entry.get("role")
            if role is not None and role != self.st.orgs.role_key(existing.role_id):
                self._call("PATCH", f"/organizations/{org_id}/memberships/{quote(str(user_id))}", {"role": role},
                           where, _name(where))
            mem_id = self._pin(existing.id, pinned)
        else:
            mem_id = self._create("organizations.members", f"/organizations/{org_id}/memberships", entry, where,
                                  pinned)
        self.restorer.apply("organizations.members", self.st.orgs.memberships[mem_id], restore, where)
        self._note("memberships", mem_id)

    def _org_invitation(self, org_id: str, entry: dict[str, Any], where: Path) -> None:
        pinned = self._pinned("organizations.invitations", entry, where, self.st.orgs.org_invitations)
        if pinned is True:
            return
        self._check_failed(entry.get("role"))
        restore = entry.pop("restore", None)
        self._alias(entry, "inviter", "inviter_user_id", where, self.user_id)
        inv_id = self._create("organizations.invitations", f"/organizations/{org_id}/invitations", entry, where,
                              pinned)
        self.restorer.apply("organizations.invitations", self.st.orgs.org_invitations[inv_id], restore, where)
        self._note("organization_invitations", inv_id)

    def _invitation(self, entry: dict[str, Any], where: Path) -> None:
        pinned = self._pinned("invitations", entry, where, self.st.orgs.invitations)
        if pinned is True:
            return
        restore = entry.pop("restore", None)
        inv_id = self._create("invitations", "/invitations", entry, where, pinned)
        self.restorer.apply("invitations", self.st.orgs.invitations[inv_id], restore, where)
        self._note("invitations", inv_id)

    def _jwt_template(self, entry: dict[str, Any], where: Path) -> None:
        pinned = self._pinned("jwt_templates", entry, where, self.st.auth.jwt_templates)
        if pinned is True:
            return
        restore = entry.pop("restore", None)
        tmpl_id = self._create("jwt_templates", "/jwt_templates", entry, where, pinned)
        self.restorer.apply("jwt_templates", self.st.auth.jwt_templates[tmpl_id], restore, where)
        self._note("jwt_templates", tmpl_id)

    def _session(self, entry: dict[str, Any], where: Path) -> None:
        pinned = self._pinned("sessions", entry, where, self.st.auth.sessions)
        if pinned is True:
            return
        self._alias(entry, "user", "user_id", where, self.user_id)
        self._alias(entry, "active_organization", "active_organization_id", where, self.org_id)
        self._note("sessions", self._create("sessions", "/sessions", entry, where, pinned))


    def _billing(self, billing: dict[str, Any]) -> None:
        """Plans, discounts, subscriptions, cards: no Backend API operation creates them, so they go through the
        billing setup functions (the control plane's), which check them as strictly."""
        from clerkmock.engine.resources.billing import setup

        steps = (("plans", setup.define_plan, "cplan"), ("discounts", setup.define_discount, "cdisc"),
                 ("subscriptions", setup.subscribe, None), ("cards", setup.set_card, None))
        for key, define, _ in steps:
            for i, raw in enumerate(billing.get(key) or []):
                where = ("billing", key, i)
                self._each(f"billing.{key}", raw, where, partial(self._billing_entry, raw, where, key, define, i))

    def _billing_entry(self, raw: Any, where: Path, key: str, define: Callable[..., Any], i: int) -> None:
        from clerkmock.engine.errors import ClerkError

        entry = dict(raw) if isinstance(raw, dict) else {}
        if not isinstance(raw, dict):
            raise self.doc.error(where, f"billing.{key}[{i}]: an entry is a mapping")
        self._alias(entry, "user", "user_id", where, self.user_id)
        self._alias(entry, "organization", "organization_id", where, self.org_id)
        try:
            created = define(self.st, jsonable(entry), self.engine.clock.now_ms())
        except ClerkError as exc:
            param = (exc.meta or {}).get("param_name")
            path = (*where, param) if param and (*where, param) in self.doc.lines else where
            raise self.doc.error(path, f"billing.{key}[{i}]: {exc.code}: {exc.long_message}") from None
        if hasattr(created, "id"):
            self._note(f"billing.{key}", created.id)


def _name(where: Path) -> str:
    """("organizations", 0, "members", 1) -> organizations[0].members[1]"""
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
