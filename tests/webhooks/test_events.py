"""The engine's side of webhooks (clerkmock/engine/events.py): which operation records which event, with what
payload (validated against the vendored webhook spec), and the outbox's rules -- off unless someone listens,
nothing from a refused request, frozen payloads, no influence on resource ids, not part of snapshots."""

from __future__ import annotations

from typing import Any

import pytest

from clerkmock.engine import Engine, Request, State
from clerkmock.engine.events import EMITTED_EVENT_TYPES, SPEC_EVENT_TYPES, Event
from engine.helpers import call, ok  # tests/ is on sys.path: one module copy
from tests.webhooks import webhook_spec


def listening_engine(**kwargs: Any) -> Engine:
    engine = Engine(**kwargs)
    engine.outbox.enabled = True  # what the dispatcher does while an endpoint exists
    return engine


def drain(engine: Engine) -> list[dict[str, Any]]:
    events = engine.outbox.drain()
    payloads = [e.json() for e in events]
    for event, payload in zip(events, payloads, strict=True):
        webhook_spec.validate(payload)
        assert payload["type"] == event.type and payload["timestamp"] == event.timestamp
        assert payload["instance_id"] == "ins_2clerkmockDevInstance000000"
        assert set(payload) == {"data", "event_attributes", "instance_id", "object", "timestamp", "type"}
    return payloads


def types(payloads: list[dict[str, Any]]) -> list[str]:
    return [p["type"] for p in payloads]


def everything(e: Engine) -> dict[str, Any]:
    """One pass over every operation that emits; returns the ids it created."""
    alice = ok(e, "POST", "/v1/users", {"email_address": ["alice@acme.test"], "first_name": "Alice",
                                        "external_id": "ext_alice"})
    bob = ok(e, "POST", "/v1/users", {"email_address": ["bob@acme.test"], "first_name": "Bob"})
    ok(e, "PATCH", f"/v1/users/{alice['id']}", {"last_name": "Liddell"})
    ok(e, "PATCH", f"/v1/users/{alice['id']}/metadata", {"public_metadata": {"plan": "pro"}})
    phone = ok(e, "POST", "/v1/phone_numbers", {"user_id": bob["id"], "phone_number": "+15555550123"})
    ok(e, "POST", f"/v1/phone_numbers/{phone['id']}/prepare_verification")
    email = ok(e, "POST", "/v1/email_addresses", {"user_id": bob["id"], "email_address": "bob2@acme.test"})
    ok(e, "POST", f"/v1/email_addresses/{email['id']}/prepare_verification")
    ok(e, "POST", "/v1/invitations", {"email_address": "carol@acme.test"})
    perm = ok(e, "POST", "/v1/organization_permissions", {"name": "Read invoices", "key": "org:invoices:read",
                                                          "description": "read"})
    ok(e, "PATCH", f"/v1/organization_permissions/{perm['id']}", {"name": "Read all invoices"})
    role = ok(e, "POST", "/v1/organization_roles", {"name": "Billing", "key": "org:billing",
                                                    "description": "billing", "permissions": [perm["id"]],
                                                    "include_in_initial_role_set": True})
    ok(e, "PATCH", f"/v1/organization_roles/{role['id']}", {"description": "the billing team"})
    org = ok(e, "POST", "/v1/organizations", {"name": "Acme", "created_by": alice["id"]})
    ok(e, "PATCH", f"/v1/organizations/{org['id']}", {"name": "Acme Inc"})
    inv = ok(e, "POST", f"/v1/organizations/{org['id']}/invitations",
             {"email_address": "bob@acme.test", "role": "org:member", "inviter_user_id": alice["id"]})
    revoked = ok(e, "POST", f"/v1/organizations/{org['id']}/invitations",
                 {"email_address": "dave@acme.test", "role": "org:member"})
    ok(e, "POST", f"/v1/organizations/{org['id']}/invitations/{revoked['id']}/revoke")
    ok(e, "POST", f"/v1/organizations/{org['id']}/memberships", {"user_id": bob["id"], "role": "org:member"})
    ok(e, "PATCH", f"/v1/organizations/{org['id']}/memberships/{bob['id']}", {"role": "org:billing"})
    dom = ok(e, "POST", f"/v1/organizations/{org['id']}/domains", {"name": "acme.test",
                                                                   "enrollment_mode": "manual_invitation"})
    ok(e, "PATCH", f"/v1/organizations/{org['id']}/domains/{dom['id']}", {"enrollment_mode": "automatic_invitation"})
    session = ok(e, "POST", "/v1/sessions", {"user_id": alice["id"]})
    ok(e, "POST", f"/v1/sessions/{session['id']}/revoke")
    ok(e, "POST", "/v1/sessions", {"user_id": bob["id"]})
    ok(e, "DELETE", f"/v1/organizations/{org['id']}/memberships/{bob['id']}")
    ok(e, "DELETE", f"/v1/organizations/{org['id']}/domains/{dom['id']}")
    ok(e, "DELETE", f"/v1/organization_roles/{role['id']}")
    ok(e, "DELETE", f"/v1/organization_permissions/{perm['id']}")
    ok(e, "DELETE", f"/v1/users/{bob['id']}")
    ok(e, "DELETE", f"/v1/organizations/{org['id']}")
    # organization selection forced: a new session without one is pending (session.pending)
    ok(e, "PATCH", "/v1/instance/organization_settings", {"force_organization_selection": True})
    ok(e, "POST", "/v1/sessions", {"user_id": alice["id"]})
    ok(e, "PATCH", "/v1/instance/organization_settings", {"force_organization_selection": False})
    waiting = ok(e, "POST", "/v1/waitlist_entries", {"email_address": "wait@acme.test"})
    ok(e, "POST", f"/v1/waitlist_entries/{waiting['id']}/reject")
    _billing(e, alice["id"])
    return {"alice": alice, "bob": bob, "org": org, "invitation": inv, "session": session}


def _billing(e: Engine, user_id: str) -> None:
    """Billing's events: a trial that ends paid, a declined renewal, a price transition down and its abandon, a
    checkout that fails, a cancellation that ends (docs/billing.md)."""
    from clerkmock.engine.resources.billing import setup

    now = e.clock.now_ms()
    setup.define_plan(e.state, {"slug": "free_user", "name": "Free", "is_default": True}, now)
    pro = setup.define_plan(e.state, {"slug": "pro", "name": "Pro", "amount": 2000, "free_trial_days": 7}, now)
    item = setup.subscribe(e.state, {"user_id": user_id, "plan": "pro"}, now)  # trial
    e.clock.advance(seconds=8 * 86400)
    e.settle()  # freeTrialEnding, then the first charge
    setup.set_card(e.state, {"user_id": user_id, "declines": True}, e.clock.now_ms())
    e.clock.advance(seconds=31 * 86400)
    e.settle()  # past due
    setup.set_card(e.state, {"user_id": user_id, "declines": False}, e.clock.now_ms())
    e.clock.advance(seconds=31 * 86400)
    e.settle()  # active again
    e.clock.advance(seconds=31 * 86400)
    e.settle()  # a plain renewal: subscriptionItem.updated
    cheap = ok(e, "POST", "/v1/billing/prices", {"plan_id": pro.id, "amount": 1000})
    down = ok(e, "POST", f"/v1/billing/subscription_items/{item.id}/price_transition",
              {"from_price_id": item.price_id, "to_price_id": cheap["id"]})  # canceled + upcoming
    ok(e, "DELETE", f"/v1/billing/subscription_items/{down['subscription_item']['id']}")  # abandoned
    ok(e, "DELETE", f"/v1/billing/subscription_items/{item.id}?end_now=true")  # ended, the free plan active
    setup.set_card(e.state, {"user_id": user_id, "declines": True}, e.clock.now_ms())
    setup.subscribe(e.state, {"user_id": user_id, "plan": "pro", "free_trial": False}, e.clock.now_ms())  # incomplete


def test_every_event_type_the_engine_produces_is_emitted_and_matches_the_spec() -> None:
    e = listening_engine()
    everything(e)
    payloads = drain(e)  # each validated against the webhook spec
    assert set(types(payloads)) == set(EMITTED_EVENT_TYPES)
    assert set(EMITTED_EVENT_TYPES) <= set(SPEC_EVENT_TYPES) == set(webhook_spec.event_types())


def test_the_sequence_and_payloads_follow_the_operations() -> None:
    e = listening_engine()
    ids = everything(e)
    payloads = drain(e)
    seq = types(payloads)
    # the creator's membership comes right after the organization it belongs to, counted in it
    i = seq.index("organization.created")
    assert seq[i + 1] == "organizationMembership.created"
    assert payloads[i]["data"]["members_count"] == 1
    assert payloads[i + 1]["data"]["public_user_data"]["user_id"] == ids["alice"]["id"]
    # adding bob accepts the invitation to his address: the membership, then the acceptance with his id
    accepted = payloads[seq.index("organizationInvitation.accepted")]["data"]
    assert accepted["id"] == ids["invitation"]["id"] and accepted["status"] == "accepted"
    assert accepted["user_id"] == ids["bob"]["id"]
    assert seq[seq.index("organizationInvitation.accepted") - 1] == "organizationMembership.created"
    # deleting bob: his live session ends before he goes; deleting the org: its memberships go first
    deleted_bob = next(i for i, p in enumerate(payloads) if p["type"] == "user.deleted"
                       and p["data"]["id"] == ids["bob"]["id"])
    assert seq[deleted_bob - 1] == "session.ended"
    assert payloads[deleted_bob - 1]["data"]["user"]["id"] == ids["bob"]["id"]
    assert payloads[deleted_bob]["data"] == {"object": "user", "id": ids["bob"]["id"], "deleted": True}
    org_deleted = seq.index("organization.deleted")
    assert seq[org_deleted - 1] == "organizationMembership.deleted"
    assert payloads[org_deleted]["data"] == {"object": "organization", "id": ids["org"]["id"],
                                             "slug": "acme", "deleted": True}
    revoked = payloads[seq.index("session.revoked")]["data"]
    assert revoked["id"] == ids["session"]["id"] and revoked["status"] == "revoked"
    assert revoked["user"]["id"] == ids["alice"]["id"] and "tasks" not in revoked
    # the permission's deletion also changes the roles that granted it (none left: the role went first)
    assert seq.count("role.updated") == 1


def test_user_deleted_carries_the_external_id_when_there_was_one() -> None:
    e = listening_engine()
    user = ok(e, "POST", "/v1/users", {"email_address": ["x@acme.test"], "external_id": "crm-42"})
    ok(e, "DELETE", f"/v1/users/{user['id']}")
    deleted = drain(e)[-1]
    assert deleted["type"] == "user.deleted"
    assert deleted["data"] == {"object": "user", "id": user["id"], "deleted": True, "external_id": "crm-42"}


def test_user_payloads_are_the_backend_api_user() -> None:
    e = listening_engine()
    created = ok(e, "POST", "/v1/users", {"email_address": ["x@acme.test"], "first_name": "X"})
    updated = ok(e, "PATCH", f"/v1/users/{created['id']}", {"first_name": "Y"})
    events = drain(e)
    assert [p["data"] for p in events] == [created, updated]


def test_verification_emails_and_sms_carry_the_code_that_verifies() -> None:
    e = listening_engine()
    user = ok(e, "POST", "/v1/users", {"username": "xavier"})
    idn = ok(e, "POST", "/v1/email_addresses", {"user_id": user["id"], "email_address": "x@acme.test",
                                                "verified": False})["id"]
    phone = ok(e, "POST", "/v1/phone_numbers", {"user_id": user["id"], "phone_number": "+15555550123",
                                                "verified": False})["id"]
    drain(e)
    ver = ok(e, "POST", f"/v1/email_addresses/{idn}/prepare_verification")
    ok(e, "POST", f"/v1/phone_numbers/{phone}/prepare_verification")
    email, sms = drain(e)
    assert email["type"] == "email.created" and sms["type"] == "sms.created"
    assert email["data"]["to_email_address"] == "x@acme.test" and email["data"]["email_address_id"] == idn
    assert email["data"]["slug"] == "verification_code" and email["data"]["user_id"] == user["id"]
    code = email["data"]["data"]["otp_code"]
    assert code in email["data"]["subject"] and code in email["data"]["body"]
    assert sms["data"]["to_phone_number"] == "+15555550123"
    assert sms["data"]["data"]["otp_code"] in sms["data"]["message"]
    result = ok(e, "POST", f"/v1/email_addresses/{idn}/attempt_verification",
                {"verification_id": ver["id"], "code": code})
    assert result["status"] == "verified"
    (updated,) = drain(e)  # verifying changed the user
    assert updated["type"] == "user.updated"
    assert updated["data"]["email_addresses"][0]["verification"]["status"] == "verified"
    assert updated["data"]["email_addresses"][0]["id"] == idn


def test_invitation_emails() -> None:
    e = listening_engine()
    ok(e, "POST", "/v1/invitations", {"email_address": "a@acme.test"})
    ok(e, "POST", "/v1/invitations", {"email_address": "b@acme.test", "notify": False})
    (email,) = drain(e)
    assert email["data"]["slug"] == "invitation" and email["data"]["to_email_address"] == "a@acme.test"
    assert email["data"]["data"]["action_url"].startswith("https://")


def test_nothing_is_recorded_while_nobody_listens() -> None:
    e = Engine()
    everything(e)
    assert e.outbox.pending == []


def test_resource_ids_do_not_depend_on_whether_someone_listens() -> None:
    from clerkmock.engine import Clock

    quiet = Engine(clock=Clock(frozen_at_ms=1_700_000_000_000))
    loud = listening_engine(clock=Clock(frozen_at_ms=1_700_000_000_000))
    assert everything(quiet) == everything(loud)
    assert quiet.state.ids.counter == loud.state.ids.counter


def test_a_refused_request_records_no_event() -> None:
    e = listening_engine()
    ok(e, "POST", "/v1/users", {"email_address": ["x@acme.test"]})
    drain(e)
    assert call(e, "POST", "/v1/users", {"email_address": ["x@acme.test"]}).status == 422
    assert call(e, "PATCH", "/v1/users/user_nope", {"first_name": "Y"}).status == 404
    assert e.outbox.pending == []


def test_a_payload_is_frozen_when_the_change_happens() -> None:
    e = listening_engine()
    user = ok(e, "POST", "/v1/users", {"email_address": ["x@acme.test"], "public_metadata": {"n": 1}})
    ok(e, "PATCH", f"/v1/users/{user['id']}/metadata", {"public_metadata": {"n": 2}})
    ok(e, "PATCH", f"/v1/users/{user['id']}/metadata", {"public_metadata": {"n": 3}})
    assert [p["data"]["public_metadata"]["n"] for p in drain(e)] == [1, 2, 3]


def test_event_attributes_name_the_caller() -> None:
    e = listening_engine()
    e.handle(Request.make("POST", "/v1/users", json={"email_address": ["x@acme.test"]},
                          headers={"authorization": "Bearer sk_test_x", "user-agent": "my-app/1.0",
                                   "x-forwarded-for": "203.0.113.7, 10.0.0.1"}))
    (payload,) = drain(e)
    assert payload["event_attributes"] == {"http_request": {"client_ip": "203.0.113.7", "user_agent": "my-app/1.0"}}


def test_event_ids_are_deterministic_unique_and_not_rewound_by_a_restore() -> None:
    a, b = listening_engine(), listening_engine()
    everything(a)
    everything(b)
    ids_a = [ev.id for ev in a.outbox.drain()]
    assert ids_a == [ev.id for ev in b.outbox.drain()]
    assert len(set(ids_a)) == len(ids_a) and all(i.startswith("msg_") for i in ids_a)
    snapshot = a.state.snapshot()
    ok(a, "POST", "/v1/users", {"email_address": ["x@acme.test"]})
    first = a.outbox.drain()[0].id
    a.state = State.restore(snapshot)  # the same user again: the same user id, a new event id
    ok(a, "POST", "/v1/users", {"email_address": ["x@acme.test"]})
    second = a.outbox.drain()[0]
    assert second.id != first and second.id not in ids_a
    assert second.json()["data"]["id"] == ok(a, "GET", "/v1/users")[0]["id"]


def test_events_are_not_state() -> None:
    e = listening_engine()
    ok(e, "POST", "/v1/users", {"email_address": ["x@acme.test"]})
    assert len(e.outbox.pending) == 1
    restored = State.restore(e.state.snapshot())
    assert restored.events is None  # a snapshot carries no events, nor the link
    e.state = restored  # installing a state links it to the engine's outbox
    assert e.state.events is e.outbox and len(e.outbox.pending) == 1
    assert "events" not in e.state.tables()  # what snapshots, state documents and id rewrites walk
    assert b"Outbox" not in e.state.snapshot()


def test_outbox_rename_rewrites_undelivered_payloads() -> None:
    e = listening_engine()
    user = ok(e, "POST", "/v1/users", {"email_address": ["x@acme.test"]})
    e.outbox.rename(user["id"], "user_pinned")
    (payload,) = drain(e)
    assert payload["data"]["id"] == "user_pinned"


@pytest.mark.parametrize("asked", [False, True])
def test_scenario_seeding_emits_only_when_asked(asked: bool) -> None:
    from clerkmock.scenario import parse_text

    pinned = "user_" + "Alice" * 5 + "00"
    doc = f"""
webhooks_on_seed: {str(asked).lower()}
users:
  - id: {pinned}
    email_address: alice@acme.test
organizations:
  - name: Acme
    created_by: alice@acme.test
"""
    e = listening_engine()
    parse_text(doc).apply(e)
    payloads = drain(e)
    assert e.outbox.enabled  # restored after seeding
    if not asked:
        assert payloads == []
        return
    assert types(payloads) == ["user.created", "organization.created", "organizationMembership.created"]
    assert payloads[0]["data"]["id"] == pinned  # the pinned id, not the one first generated
    assert payloads[2]["data"]["public_user_data"]["user_id"] == pinned


def test_events_record_the_engine_clock() -> None:
    from clerkmock.engine import Clock

    e = listening_engine(clock=Clock(frozen_at_ms=1_700_000_000_000))
    ok(e, "POST", "/v1/users", {"email_address": ["x@acme.test"]})
    (event,) = e.outbox.drain()
    assert isinstance(event, Event) and event.timestamp == 1_700_000_000_000
    assert event.json()["data"]["created_at"] == 1_700_000_000_000


def test_the_scenario_json_schema_describes_webhooks() -> None:
    import jsonschema

    from clerkmock.scenario import json_schema

    schema = json_schema()
    good = {"webhooks": ["http://127.0.0.1:8000/hook", {
        "url": "http://127.0.0.1:8000/hook", "events": ["user.*"], "secret": "whsec_QUJD", "id": "ep_app",
        "retry_schedule": [0.1, 1], "faults": [{"drop": True, "times": 1}, {"delay": {"ms": 5}},
                                               {"duplicate": {"copies": 2}, "probability": 0.5}]}],
        "webhooks_on_seed": True}
    jsonschema.validate(good, schema)
    for bad in ({"webhooks": [{"events": ["user.*"]}]}, {"webhooks": [{"url": "x", "retry": 1}]},
                {"webhooks": [{"url": "x", "faults": [{"drop": True, "delay": 1}]}]}, {"webhooks_on_seed": "yes"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
