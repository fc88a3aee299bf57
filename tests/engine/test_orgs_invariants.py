"""Property-style checks: random sequences of organization-family operations (seeded ``random.Random``, so a
failure replays exactly) must never answer 5xx, always answer spec-shaped bodies, and keep the tables'
invariants: no membership without its organization, user and role; indexes agree with the rows; slugs are
unique; counts in responses equal the stored rows; exactly one initial role set."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

import pytest

from .orgs_helpers import Api

SEEDS = [1, 2, 3, 4, 5]
OPS_PER_SEED = 300
EMAILS = [f"{n}@{d}" for n in ("ann", "bob", "cid", "dee", "eve") for d in ("acme.com", "corp.io", "acme.dev", "x.org")]
NAMES = ["Acme", "acme", "Globex Corp", "Initech", "Crème", "x" * 3]
ROLES = ["org:admin", "org:member", "org:custom", "org:nope", "admin"]


def check_invariants(api: Api) -> None:
    o, st = api.state.orgs, api.state
    by_org: dict[str, set[str]] = {}
    by_user: dict[str, set[str]] = {}
    for mem in o.memberships.values():
        assert mem.org_id in o.orgs and mem.user_id in st.users and mem.role_id in o.roles, mem
        assert o.membership_index[(mem.org_id, mem.user_id)] == mem.id
        by_org.setdefault(mem.org_id, set()).add(mem.user_id)
        by_user.setdefault(mem.user_id, set()).add(mem.org_id)
    assert len(o.membership_index) == len(o.memberships)
    assert o.members_by_org == by_org and o.orgs_by_user == by_user
    slugs = Counter(org.slug for org in o.orgs.values())
    assert all(n == 1 for n in slugs.values()), slugs
    assert o.slug_index == {org.slug: org.id for org in o.orgs.values()}
    assert all(org.role_set_id in o.role_sets for org in o.orgs.values())
    assert all(i.org_id in o.orgs for i in o.org_invitations.values())
    assert all(d.org_id in o.orgs for d in o.domains.values())
    assert o.role_keys == {r.key: r.id for r in o.roles.values()}
    assert o.permission_keys == {p.key: p.id for p in o.permissions.values()}
    assert all(p in o.permissions for r in o.roles.values() for p in r.permission_ids)
    assert all(r in o.roles for rs in o.role_sets.values() for r in rs.role_ids)
    assert sum(rs.type == "initial" for rs in o.role_sets.values()) == 1


def check_counts(api: Api) -> None:
    page = api("GET", "/v1/organizations?limit=500&include_members_count=true")
    assert page["total_count"] == len(api.state.orgs.orgs)
    for org in page["data"]:
        members = api("GET", f"/v1/organizations/{org['id']}/memberships?limit=500")
        assert org["members_count"] == members["total_count"] == len(members["data"])
        assert org["members_count"] == sum(m.org_id == org["id"] for m in api.state.orgs.memberships.values())
    assert api("GET", "/v1/organization_memberships?limit=1")["total_count"] == len(api.state.orgs.memberships)


class Runner:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.api = Api()
        self.api("POST", "/v1/organization_roles", {"name": "Custom", "key": "org:custom",
                                                     "include_in_initial_role_set": True})

    def pick(self, table: dict) -> str:
        return self.rng.choice(sorted(table)) if table and self.rng.random() < 0.9 else "missing_id"

    def org_id(self) -> str:
        return self.pick(self.api.state.orgs.orgs)

    def user_id(self) -> str:
        return self.pick(self.api.state.users)

    # -- operations -------------------------------------------------------------------------------------------

    def create_user(self) -> None:
        self.api.any("POST", "/v1/users", {"email_address": [self.rng.choice(EMAILS)],
                                           "first_name": self.rng.choice(["A", "B", None])})

    def delete_user(self) -> None:
        self.api.any("DELETE", f"/v1/users/{self.user_id()}")

    def create_org(self) -> None:
        body: dict = {"name": self.rng.choice(NAMES)}
        if self.rng.random() < 0.3:
            body["slug"] = self.rng.choice(["acme", "globex", "Bad Slug", "init-1"])
        if self.rng.random() < 0.7:
            body["created_by"] = self.user_id()
        if self.rng.random() < 0.3:
            body["max_allowed_memberships"] = self.rng.randint(0, 3)
        self.api.any("POST", "/v1/organizations", body)

    def update_org(self) -> None:
        body = self.rng.choice([{"slug": "acme"}, {"name": "Renamed"}, {"slug": "fresh-slug"},
                                {"max_allowed_memberships": self.rng.randint(0, 2)}])
        self.api.any("PATCH", f"/v1/organizations/{self.org_id()}", body)

    def delete_org(self) -> None:
        if self.rng.random() < 0.4:
            self.api.any("DELETE", f"/v1/organizations/{self.org_id()}")

    def add_member(self) -> None:
        self.api.any("POST", f"/v1/organizations/{self.org_id()}/memberships",
                     {"user_id": self.user_id(), "role": self.rng.choice(ROLES)})

    def update_member(self) -> None:
        self.api.any("PATCH", f"/v1/organizations/{self.org_id()}/memberships/{self.user_id()}",
                     {"role": self.rng.choice(ROLES)})

    def remove_member(self) -> None:
        self.api.any("DELETE", f"/v1/organizations/{self.org_id()}/memberships/{self.user_id()}")

    def invite(self) -> None:
        body = {"email_address": self.rng.choice(EMAILS), "role": self.rng.choice(ROLES),
                "expires_in_days": self.rng.choice([None, 1, 30])}
        if self.rng.random() < 0.3:
            body["inviter_user_id"] = self.user_id()
        self.api.any("POST", f"/v1/organizations/{self.org_id()}/invitations", body)

    def revoke(self) -> None:
        invs = self.api.state.orgs.org_invitations
        if invs:
            inv = invs[self.rng.choice(sorted(invs))]
            self.api.any("POST", f"/v1/organizations/{inv.org_id}/invitations/{inv.id}/revoke", {})

    def instance_invite(self) -> None:
        self.api.any("POST", "/v1/invitations", {"email_address": self.rng.choice(EMAILS),
                                                 "ignore_existing": self.rng.random() < 0.3})

    def domain(self) -> None:
        self.api.any("POST", f"/v1/organizations/{self.org_id()}/domains",
                     {"name": self.rng.choice(["acme.com", "corp.io", "gmail.com"]),
                      "enrollment_mode": "manual_invitation"})

    def delete_custom_role(self) -> None:
        role_id = self.api.state.orgs.role_keys.get("org:custom", "role_missing")
        status, _ = self.api.any("DELETE", f"/v1/organization_roles/{role_id}")
        if status == 200:
            self.api("POST", "/v1/organization_roles", {"name": "Custom", "key": "org:custom",
                                                         "include_in_initial_role_set": True})

    def metadata(self) -> None:
        self.api.any("PATCH", f"/v1/organizations/{self.org_id()}/metadata",
                     {"public_metadata": {"k": self.rng.choice([1, None, {"n": 2}])}})

    def tick(self) -> None:
        self.api.tick(self.rng.choice([1000, 86_400_000]))

    def views(self) -> None:
        self.api.any("GET", f"/v1/users/{self.user_id()}/organization_memberships")
        self.api.any("GET", f"/v1/users/{self.user_id()}/organization_invitations")
        self.api.any("GET", f"/v1/organizations/{self.org_id()}?include_members_count=true"
                            "&include_missing_member_with_elevated_permissions=true")


WEIGHTS: dict[Callable[[Runner], None], int] = {
    Runner.create_user: 6, Runner.delete_user: 1, Runner.create_org: 4, Runner.update_org: 2,
    Runner.delete_org: 1, Runner.add_member: 8, Runner.update_member: 3, Runner.remove_member: 3,
    Runner.invite: 4, Runner.revoke: 2, Runner.instance_invite: 1, Runner.domain: 1,
    Runner.delete_custom_role: 1, Runner.metadata: 1, Runner.tick: 1, Runner.views: 2,
}


@pytest.mark.parametrize("seed", SEEDS)
def test_random_operation_sequences_keep_invariants(seed: int) -> None:
    runner = Runner(seed)
    ops, weights = list(WEIGHTS), list(WEIGHTS.values())
    for step in range(OPS_PER_SEED):
        op = runner.rng.choices(ops, weights)[0]
        op(runner)
        check_invariants(runner.api)
        if step % 100 == 99:
            check_counts(runner.api)
    check_counts(runner.api)
    assert runner.api.state.orgs.memberships, "the sequence should have produced some memberships"


def test_same_seed_same_ids() -> None:
    first, second = Runner(7), Runner(7)
    for runner in (first, second):
        for _ in range(60):
            runner.rng.choices(list(WEIGHTS), list(WEIGHTS.values()))[0](runner)
    assert sorted(first.api.state.orgs.memberships) == sorted(second.api.state.orgs.memberships)
    assert sorted(first.api.state.orgs.orgs) == sorted(second.api.state.orgs.orgs)


ODD_VALUES = [None, "", " ", "x", "org:admin", "Acme", 0, -1, 1.5, True, [], [1], ["org:admin"], {}, {"a": None},
              "a" * 300, "gmail.com", "acme.com", "role_set:default", "-created_at", "<b>",
              [{"email_address": "a@b.co", "role": "org:member"}]]
BODY_KEYS = ["name", "slug", "created_by", "role", "user_id", "email_address", "public_metadata", "private_metadata",
             "max_allowed_memberships", "roles", "default_role_key", "creator_role_key", "key", "permissions",
             "enrollment_mode", "verified", "dest_role_set_key", "reassignment_mappings", "role_keys", "role_key",
             "to_role_key", "inviter_user_id", "requesting_user_id", "expires_in_days", "type", "description",
             "ignore_existing", "role_set_key", "created_at"]
QUERY_KEYS = ["limit", "offset", "order_by", "query", "status", "user_id", "role", "verified", "enrollment_mode",
              "paginated", "include_members_count", "email_address", "organization_id", "domains"]


def test_odd_inputs_on_every_route_get_clerk_shaped_4xx() -> None:
    """Every route of the family, fed random odd bodies, query strings and ids: never a 5xx or an exception,
    always a spec-shaped answer."""
    import re

    from clerkmock.engine.resources import orgs
    from clerkmock.engine.routing import compile_routes

    rng = random.Random(11)
    api = Api()
    ann, bob = api.user("ann@acme.com"), api.user("bob@acme.com")
    org = api.org("Acme", created_by=ann["id"])
    api.member(org["id"], bob["id"])
    inv = api.invite(org["id"], "c@acme.com")
    dom = api("POST", f"/v1/organizations/{org['id']}/domains", {"name": "acme.com",
                                                                 "enrollment_mode": "manual_invitation"})
    perm = api("POST", "/v1/organization_permissions", {"name": "P", "key": "org:p:r"})
    path_ids = {
        "organization_id": [org["id"], "acme", "org_nope"], "user_id": [bob["id"], ann["id"], "user_nope"],
        "invitation_id": [inv["id"], "x"], "domain_id": [dom["id"], "x"], "permission_id": [perm["id"], "x"],
        "organization_role_id": [api.state.orgs.role_keys["org:member"], "x"],
        "role_set_key_or_id": ["role_set:default", "x"],
    }
    seen: Counter[int] = Counter()
    for route in compile_routes(orgs.ROUTE_SETS):
        for _ in range(15):
            path = route.template
            for name in re.findall(r"{(\w+)}", route.template):
                path = path.replace("{" + name + "}", rng.choice(path_ids[name]))
            body = None
            if route.method in ("POST", "PATCH", "PUT"):
                body = {k: rng.choice(ODD_VALUES) for k in rng.sample(BODY_KEYS, rng.randint(0, 5))}
                if rng.random() < 0.1:
                    body = rng.choice(ODD_VALUES)
            query = "&".join(f"{k}={rng.choice(['', 'x', '-1', 'true', 'org:admin', '-name', '%2B', '0'])}"
                             for k in rng.sample(QUERY_KEYS, 3)) if route.method == "GET" else ""
            status, _ = api.any(route.method, f"/v1{path}?{query}", body)
            seen[status] += 1
    assert set(seen) <= {200, 400, 403, 404, 409, 415, 422} and seen[200] > 0
