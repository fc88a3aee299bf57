"""Waitlist entries at engine level: one entry per address, bulk creation, invitation and rejection (with the
instance invitation they create or revoke), completion, deletion rules, list filters, webhook events."""

from __future__ import annotations

from tests.webhooks import webhook_spec

from .helpers import T0
from .orgs_helpers import Api


def _entry(api: Api, email: str, **body: object) -> dict:
    return api("POST", "/v1/waitlist_entries", {"email_address": email, **body})


def test_create_is_one_entry_per_address() -> None:
    api = Api()
    e = _entry(api, "Ann@Example.com")
    assert e["object"] == "waitlist_entry" and e["id"].startswith("wle_")
    assert (e["email_address"], e["status"], e["is_locked"], e["invitation"]) == ("Ann@Example.com", "pending",
                                                                                 False, None)
    assert e["created_at"] == e["updated_at"] == T0
    assert _entry(api, "ann@example.COM", notify=False) == e
    api("POST", "/v1/waitlist_entries", {"email_address": "not-an-email"}, status=422,
        code="form_param_format_invalid")
    api("POST", "/v1/waitlist_entries", {}, status=422, code="form_param_missing")
    assert api("GET", "/v1/waitlist_entries")["total_count"] == 1


def test_bulk_create() -> None:
    api = Api()
    ann = _entry(api, "ann@example.com")
    out = api("POST", "/v1/waitlist_entries/bulk", [{"email_address": "ann@example.com"},
                                                    {"email_address": "bob@example.com", "notify": False}])
    assert out[0] == ann and out[1]["email_address"] == "bob@example.com" and out[1]["status"] == "pending"
    api("POST", "/v1/waitlist_entries/bulk", [{"email_address": "c@example.com"}, {"email_address": "C@example.com"}],
        status=422, code="form_param_duplicate")
    api("POST", "/v1/waitlist_entries/bulk", [{"email_address": "d@example.com"}, {"email_address": "bad"}],
        status=422, code="form_param_format_invalid")
    assert api("GET", "/v1/waitlist_entries")["total_count"] == 2  # the refused requests wrote nothing
    too_many = [{"email_address": f"u{i}@example.com"} for i in range(51)]
    api("POST", "/v1/waitlist_entries/bulk", too_many, status=400, code="bulk_size_exceeded")
    api("POST", "/v1/waitlist_entries/bulk", [], status=400, code="request_body_invalid")


def test_invite_reject_complete_and_delete() -> None:
    api = Api()
    ann, bob, cat = (_entry(api, f"{n}@example.com") for n in ("ann", "bob", "cat"))
    invited = api("POST", f"/v1/waitlist_entries/{ann['id']}/invite", {})
    assert invited["status"] == "invited" and invited["invitation"]["email_address"] == "ann@example.com"
    assert invited["invitation"]["status"] == "pending"
    assert [i["id"] for i in api("GET", "/v1/invitations")] == [invited["invitation"]["id"]]
    # a second invitation needs ignore_existing
    api("POST", f"/v1/waitlist_entries/{ann['id']}/invite", {}, status=400, code="duplicate_record")
    again = api("POST", f"/v1/waitlist_entries/{ann['id']}/invite", {"ignore_existing": True})
    assert again["invitation"]["id"] != invited["invitation"]["id"]
    # deleting is for pending entries only
    api("DELETE", f"/v1/waitlist_entries/{ann['id']}", status=409, code="conflict")
    # rejecting revokes the pending invitation
    rejected = api("POST", f"/v1/waitlist_entries/{ann['id']}/reject")
    assert rejected["status"] == "rejected" and rejected["invitation"]["status"] == "revoked"
    assert api("POST", f"/v1/waitlist_entries/{ann['id']}/reject") == rejected
    # bob's invitation is accepted when he signs up with it: his entry is completed
    api("POST", f"/v1/waitlist_entries/{bob['id']}/invite")
    api.state.orgs.invitations[api("GET", "/v1/invitations?status=pending")[0]["id"]].status = "accepted"
    done = api("GET", "/v1/waitlist_entries?status=completed")
    assert done["total_count"] == 1 and done["data"][0]["id"] == bob["id"]
    for action in ("invite", "reject"):
        api("POST", f"/v1/waitlist_entries/{bob['id']}/{action}", status=409, code="conflict")
    # a user already holds cat's address: no invitation
    api.user("cat@example.com")
    api("POST", f"/v1/waitlist_entries/{cat['id']}/invite", status=422, code="form_identifier_exists")
    assert api("GET", "/v1/waitlist_entries?status=pending")["data"][0]["id"] == cat["id"]
    assert api("DELETE", f"/v1/waitlist_entries/{cat['id']}") == {"object": "waitlist_entry", "id": cat["id"],
                                                                  "deleted": True}
    for method, suffix in (("DELETE", ""), ("POST", "/invite"), ("POST", "/reject")):
        api(method, f"/v1/waitlist_entries/{cat['id']}{suffix}", status=404, code="resource_not_found")
    # the address can join again
    assert _entry(api, "cat@example.com")["id"] != cat["id"]


def test_list_filters_and_order() -> None:
    api = Api()
    for i, name in enumerate(("carol", "alice", "bob")):
        api.engine.clock.set(T0 + i)
        _entry(api, f"{name}@example.com")
    listed = api("GET", "/v1/waitlist_entries")
    assert listed["total_count"] == 3 and [e["email_address"][0] for e in listed["data"]] == ["b", "a", "c"]
    assert [e["email_address"][0] for e in api("GET", "/v1/waitlist_entries?order_by=email_address")["data"]] == \
        ["a", "b", "c"]
    assert [e["email_address"][0] for e in api("GET", "/v1/waitlist_entries?order_by=%2Bcreated_at&limit=2")["data"]] \
        == ["c", "a"]
    page = api("GET", "/v1/waitlist_entries?query=ALI")
    assert page["total_count"] == 1 and page["data"][0]["email_address"] == "alice@example.com"
    assert api("GET", "/v1/waitlist_entries?status=invited")["total_count"] == 0
    api("GET", "/v1/waitlist_entries?status=maybe", status=400)


def test_webhook_events() -> None:
    api = Api()
    api.engine.outbox.enabled = True
    ann = _entry(api, "ann@example.com")
    _entry(api, "ann@example.com")  # already there: no event
    api("POST", "/v1/waitlist_entries/bulk", [{"email_address": "bob@example.com"}])
    api("POST", f"/v1/waitlist_entries/{ann['id']}/invite")
    api("POST", f"/v1/waitlist_entries/{ann['id']}/reject")
    api("POST", f"/v1/waitlist_entries/{ann['id']}/reject")  # no change: no event
    payloads = [e.json() for e in api.engine.outbox.drain()]
    for p in payloads:
        webhook_spec.validate(p)
    waitlist = [p for p in payloads if p["type"].startswith("waitlistEntry.")]
    assert [p["type"] for p in waitlist] == ["waitlistEntry.created", "waitlistEntry.created",
                                            "waitlistEntry.updated", "waitlistEntry.updated"]
    assert waitlist[0]["data"]["id"] == ann["id"] and waitlist[2]["data"]["status"] == "invited"
    assert waitlist[3]["data"]["status"] == "rejected"
