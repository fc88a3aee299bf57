"""Instance invitations: CreateInvitation, CreateBulkInvitations, ListInvitations, RevokeInvitation.

Rules (the spec's descriptions, Clerk's error index):
- An address that already belongs to a user (a verified or reserved email address) cannot be invited, and
  ``ignore_existing`` does not bypass that (the bulk description): 422 ``form_identifier_exists`` (inferred code).
- A second pending invitation for an address is a 400 ``duplicate_record`` listing the addresses in
  ``meta.email_addresses``, unless that item sets ``ignore_existing``.  A bulk request is checked as a whole
  first (at most 10 items) and creates nothing when any item is refused.
- ``expires_in_days`` defaults to 30; status is pending | accepted | revoked, or expired once a pending
  invitation passes ``expires_at`` by the engine clock.
- GET /invitations returns a bare array, or ``{data, total_count}`` with ``paginated=true``; without a
  ``status`` filter revoked invitations are left out ("Returns all non-revoked invitations").
- Revoking twice is a 400 ``invitation_already_revoked``; an accepted one ``invitation_already_accepted``.
"""

from __future__ import annotations

import copy
from functools import partial
from typing import Any

from clerkmock.engine import errors, events
from clerkmock.engine.pagination import limit_offset, paginated, parse_order_by, sort_records
from clerkmock.engine.records.organizations import Invitation
from clerkmock.engine.resources import identifications as idns
from clerkmock.engine.resources import messages
from clerkmock.engine.resources.orgs.common import contains, ticket_url
from clerkmock.engine.resources.orgs.serializers import invitation_status
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("invitations")
DAY_MS = 86_400_000
DEFAULT_EXPIRES_IN_DAYS = 30
MAX_BULK = 10
ORDER_FIELDS = ["created_at", "email_address", "expires_at"]


def invitation_json(inv: Invitation, now: int) -> dict[str, Any]:
    status = invitation_status(inv, now)
    return {
        "object": "invitation",
        "id": inv.id,
        "email_address": inv.email_address,
        "public_metadata": inv.public_metadata,
        "revoked": status == "revoked",
        "status": status,
        "url": inv.url,
        "expires_at": inv.expires_at,
        "created_at": inv.created_at,
        "updated_at": inv.updated_at,
    }


# -- operations ------------------------------------------------------------------------------------------------


def add_invitations(st: State, items: list[dict[str, Any]], now: int) -> list[Invitation]:
    """Check every item, then create them all (validate first, write after)."""
    pending = {i.email_address.lower() for i in st.orgs.invitations.values() if invitation_status(i, now) == "pending"}
    duplicates: list[str] = []
    emails: list[str] = []
    for item in items:
        email = idns.check_format("email_address", item["email_address"], "email_address")
        if any(idn.user_id is not None and idns.is_claimed(idn) for idn in idns.holders(st, "email_address", email)):
            raise errors.form_identifier_exists("email_address", "email address")
        if email.lower() in pending and not item.get("ignore_existing"):
            duplicates.append(email)
        pending.add(email.lower())
        emails.append(email)
    if duplicates:
        raise errors.duplicate_invitations(duplicates)
    out = []
    for item, email in zip(items, emails, strict=True):
        days = item.get("expires_in_days") or DEFAULT_EXPIRES_IN_DAYS
        inv = Invitation(
            id=st.ids.new("inv"), email_address=email, created_at=now, updated_at=now,
            expires_at=now + days * DAY_MS, url=ticket_url(st, item.get("redirect_url")),
            public_metadata=copy.deepcopy(item.get("public_metadata") or {}),
            redirect_url=item.get("redirect_url"),
            notify=item.get("notify") is not False,
            template_slug=item.get("template_slug") or "invitation",
        )
        st.orgs.invitations[inv.id] = inv
        out.append(inv)
        if inv.notify:  # the invitation email Clerk sends (there is no invitation.* webhook event)
            events.emit(st, "email.created", partial(messages.invitation_email_json, st, to=inv.email_address,
                                                     url=inv.url, slug=inv.template_slug), now)
    return out


def list_invitations_of(st: State, q: dict[str, Any], now: int) -> list[Invitation]:
    invs = list(st.orgs.invitations.values())
    if q.get("status"):
        invs = [i for i in invs if invitation_status(i, now) == q["status"]]
    else:
        invs = [i for i in invs if i.status != "revoked"]
    if q.get("query"):
        invs = [i for i in invs if contains(q["query"], i.email_address, i.id)]
    field, descending = parse_order_by(q.get("order_by"), ORDER_FIELDS)
    key: Any = (lambda i: i.email_address.lower()) if field == "email_address" else (lambda i: getattr(i, field))
    return sort_records(invs, key, descending, tiebreak=lambda i: i.id)


# -- handlers ---------------------------------------------------------------------------------------------------


@ROUTES.post("/invitations", "create")
def create_invitation(ctx: Ctx) -> Json:
    (inv,) = add_invitations(ctx.state, [ctx.body], ctx.now)
    return invitation_json(inv, ctx.now)


@ROUTES.post("/invitations/bulk", "create_bulk")
def create_bulk_invitations(ctx: Ctx) -> Json:
    items: Any = ctx.body
    if not isinstance(items, list) or not items:
        raise errors.request_body_invalid("(the body must be a non-empty JSON array of invitations)")
    if len(items) > MAX_BULK:
        raise errors.bulk_size_exceeded(MAX_BULK)
    return [invitation_json(i, ctx.now) for i in add_invitations(ctx.state, items, ctx.now)]


@ROUTES.get("/invitations", "list")
def list_invitations(ctx: Ctx) -> Json:
    limit, offset = limit_offset(ctx.query)
    invs = list_invitations_of(ctx.state, ctx.query, ctx.now)
    shown = [invitation_json(i, ctx.now) for i in invs[offset: offset + limit]]
    return paginated(shown, len(invs)) if ctx.query.get("paginated") else shown


@ROUTES.post("/invitations/{invitation_id}/revoke", "revoke")
def revoke_invitation(ctx: Ctx) -> Json:
    inv_id = ctx.path["invitation_id"]
    inv = ctx.state.orgs.invitations.get(inv_id)
    if inv is None:
        raise errors.resource_not_found(f"No invitation was found with id {inv_id}.")
    if inv.status == "revoked":
        raise errors.invitation_already_revoked()
    if inv.status == "accepted":
        raise errors.invitation_already_accepted()
    inv.status = "revoked"  # an expired invitation can still be revoked: only revoked ones are final
    inv.updated_at = ctx.now
    return invitation_json(inv, ctx.now)
