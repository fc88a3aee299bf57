"""Waitlist Entries: ListWaitlistEntries, CreateWaitlistEntry, CreateBulkWaitlistEntries, DeleteWaitlistEntry,
InviteWaitlistEntry, RejectWaitlistEntry.  Webhook events: ``waitlistEntry.created`` and
``waitlistEntry.updated`` (the webhook spec has no deleted event).

- One entry per email address (case-insensitive): creating an address already on the waitlist returns the
  existing entry and creates nothing (the bulk description; the single create is taken to behave the same).
  A bulk request holds 1..50 items; the same address twice in one request is a 422 ``form_param_duplicate``
  (inferred code), checked before anything is written.
- Inviting creates an instance invitation (``POST /invitations`` rules: ``ignore_existing`` lets a second
  pending invitation through, else 400 ``duplicate_record``; an address a user already holds is a 422
  ``form_identifier_exists``) and sets status ``invited``; the entry shows its invitation.  Once that
  invitation is accepted the entry is ``completed``.
- Rejecting sets ``rejected`` and revokes a pending invitation of the entry; rejecting again is a no-op.
- A completed entry cannot be invited, rejected or deleted, and only pending entries can be deleted
  (the description: "Delete a pending waitlist entry"): 409 ``conflict`` (inferred code).
- GET lists ``{data, total_count}``: ``query`` matches the email address, ``status`` filters, ``order_by``
  is ``±created_at`` (default ``-created_at``), ``±email_address`` or ``±updated_at``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.errors import ClerkError
from clerkmock.engine.pagination import limit_offset, paginated, parse_order_by, sort_records
from clerkmock.engine.records.instance import WaitlistEntry
from clerkmock.engine.resources import identifications as idns
from clerkmock.engine.resources.orgs import invitations
from clerkmock.engine.resources.orgs.common import contains
from clerkmock.engine.resources.orgs.serializers import invitation_status
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("waitlist_entries")
MAX_BULK = 50
ORDER_FIELDS = ["created_at", "email_address", "updated_at"]

# -- serializers --------------------------------------------------------------------------------------------------


def entry_status(st: State, e: WaitlistEntry) -> str:
    inv = st.orgs.invitations.get(e.invitation_id) if e.invitation_id else None
    if e.status == "invited" and inv is not None and inv.status == "accepted":
        return "completed"
    return e.status


def entry_json(st: State, e: WaitlistEntry, now: int) -> dict[str, Any]:
    inv = st.orgs.invitations.get(e.invitation_id) if e.invitation_id else None
    return {
        "object": "waitlist_entry",
        "id": e.id,
        "email_address": e.email_address,
        "status": entry_status(st, e),
        "is_locked": False,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
        "invitation": invitations.invitation_json(inv, now) if inv is not None else None,
    }


# -- operations ---------------------------------------------------------------------------------------------------


def conflict(long_message: str) -> ClerkError:
    return errors.conflict("conflict", "conflict", long_message)


def require_entry(st: State, entry_id: str) -> WaitlistEntry:
    e = st.instance_config.waitlist.get(entry_id)
    if e is None:
        raise errors.resource_not_found(f"No waitlist entry was found with id {entry_id}")
    return e


def add_entries(ctx: Ctx, items: list[dict[str, Any]]) -> list[WaitlistEntry]:
    """Validate every item, then create the new entries; an address already on the waitlist gives its entry."""
    st, now, tables = ctx.state, ctx.now, ctx.state.instance_config
    emails: list[str] = []
    for item in items:
        email = idns.check_format("email_address", item["email_address"], "email_address")
        if email.lower() in (e.lower() for e in emails):
            raise errors.form_param_duplicate("email_address")
        emails.append(email)
    out = []
    for email in emails:
        existing = tables.waitlist_index.get(email.lower())
        if existing is not None:
            out.append(tables.waitlist[existing])
            continue
        e = WaitlistEntry(st.ids.new("wle"), email, "pending", now, now)
        tables.waitlist[e.id] = e
        tables.waitlist_index[email.lower()] = e.id
        out.append(e)
        ctx.emit("waitlistEntry.created", partial(entry_json, st, e, now))
    return out


def _check_not_completed(st: State, e: WaitlistEntry, action: str) -> None:
    if entry_status(st, e) == "completed":
        raise conflict(f"The waitlist entry {e.id} is completed and cannot be {action}.")


# -- handlers -----------------------------------------------------------------------------------------------------


@ROUTES.op("ListWaitlistEntries", "list")
def list_waitlist_entries(ctx: Ctx) -> Json:
    st, q = ctx.state, ctx.query
    limit, offset = limit_offset(q)
    entries = list(st.instance_config.waitlist.values())
    if q.get("status"):
        entries = [e for e in entries if entry_status(st, e) == q["status"]]
    if q.get("query"):
        entries = [e for e in entries if contains(q["query"], e.email_address)]
    field, descending = parse_order_by(q.get("order_by"), ORDER_FIELDS)
    key: Any = (lambda e: e.email_address.lower()) if field == "email_address" else (lambda e: getattr(e, field))
    entries = sort_records(entries, key, descending, tiebreak=lambda e: e.id)
    return paginated([entry_json(st, e, ctx.now) for e in entries[offset: offset + limit]], len(entries))


@ROUTES.op("CreateWaitlistEntry", "create")
def create_waitlist_entry(ctx: Ctx) -> Json:
    (e,) = add_entries(ctx, [ctx.body])
    return entry_json(ctx.state, e, ctx.now)


@ROUTES.op("CreateBulkWaitlistEntries", "create_bulk")
def create_bulk_waitlist_entries(ctx: Ctx) -> Json:
    items: Any = ctx.body
    if not isinstance(items, list) or not items:
        raise errors.request_body_invalid("(the body must be a non-empty JSON array of waitlist entries)")
    if len(items) > MAX_BULK:
        raise errors.bulk_size_exceeded(MAX_BULK)
    return [entry_json(ctx.state, e, ctx.now) for e in add_entries(ctx, items)]


@ROUTES.op("DeleteWaitlistEntry", "delete")
def delete_waitlist_entry(ctx: Ctx) -> Json:
    st = ctx.state
    e = require_entry(st, ctx.path["waitlist_entry_id"])
    if entry_status(st, e) != "pending":
        raise conflict(f"Only pending waitlist entries can be deleted; {e.id} is {entry_status(st, e)}.")
    del st.instance_config.waitlist[e.id]
    st.instance_config.waitlist_index.pop(e.email_address.lower(), None)
    return {"object": "waitlist_entry", "id": e.id, "deleted": True}


@ROUTES.op("InviteWaitlistEntry", "invite")
def invite_waitlist_entry(ctx: Ctx) -> Json:
    st, now = ctx.state, ctx.now
    e = require_entry(st, ctx.path["waitlist_entry_id"])
    _check_not_completed(st, e, "invited")
    item = {"email_address": e.email_address, "ignore_existing": bool(ctx.body.get("ignore_existing"))}
    (inv,) = invitations.add_invitations(st, [item], now)
    e.invitation_id, e.status, e.updated_at = inv.id, "invited", now
    ctx.emit("waitlistEntry.updated", partial(entry_json, st, e, now))
    return entry_json(st, e, now)


@ROUTES.op("RejectWaitlistEntry", "reject")
def reject_waitlist_entry(ctx: Ctx) -> Json:
    st, now = ctx.state, ctx.now
    e = require_entry(st, ctx.path["waitlist_entry_id"])
    _check_not_completed(st, e, "rejected")
    if e.status != "rejected":
        inv = st.orgs.invitations.get(e.invitation_id) if e.invitation_id else None
        if inv is not None and invitation_status(inv, now) == "pending":
            inv.status, inv.updated_at = "revoked", now
        e.status, e.updated_at = "rejected", now
        ctx.emit("waitlistEntry.updated", partial(entry_json, st, e, now))
    return entry_json(st, e, now)
