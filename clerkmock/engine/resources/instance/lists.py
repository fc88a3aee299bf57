"""Allow-list / Block-list and Redirect URLs: ListAllowlistIdentifiers, CreateAllowlistIdentifier,
DeleteAllowlistIdentifier, ListBlocklistIdentifiers, CreateBlocklistIdentifier, DeleteBlocklistIdentifier,
ListRedirectURLs, CreateRedirectURL, GetRedirectURL, DeleteRedirectURL.

- ``identifier_type`` is inferred from the value: a web3 wallet (``0x`` + 40 hex), an E.164 phone number, an
  email address, or an email domain written ``*@example.com`` (typed ``email_address``).  Anything else is a
  422 ``form_param_format_invalid`` (inferred).  Emails and wallets are stored lower-cased.
- A duplicate identifier (per list, case-insensitive) is a 400 ``duplicate_record``.
- An allow-list email created with ``notify: true`` gets an instance invitation (``invitation_id``); a phone
  number only gets an SMS in Clerk, which the emulator does not model.
- GET /allowlist_identifiers and /redirect_urls return bare arrays (``{data, total_count}`` with
  ``paginated=true``), newest first; GET /blocklist_identifiers returns ``{data, total_count}``.
- Redirect URLs need a scheme (``https://…`` or a custom one such as ``my-app://callback``); a duplicate URL is
  a 400 ``duplicate_record`` (inferred).
"""

from __future__ import annotations

import re
from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.errors import ClerkError
from clerkmock.engine.pagination import limit_offset, paginated
from clerkmock.engine.records.instance import ListIdentifier, RedirectUrl
from clerkmock.engine.resources.identifications import E164_RE, EMAIL_RE, WEB3_RE
from clerkmock.engine.resources.orgs import invitations
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ALLOWLIST_ROUTES = RouteSet("allowlist_identifiers")
BLOCKLIST_ROUTES = RouteSet("blocklist_identifiers")
REDIRECT_ROUTES = RouteSet("redirect_urls")
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
DOMAIN_WILDCARD_RE = re.compile(rf"^\*@{LABEL}(?:\.{LABEL})+$")  # an email domain: *@example.com
URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")

# -- serializers --------------------------------------------------------------------------------------------------


def identifier_json(st: State, item: ListIdentifier, obj: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "object": obj,
        "id": item.id,
        "identifier": item.identifier,
        "identifier_type": item.identifier_type,
        "instance_id": st.instance.id,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }
    if obj == "allowlist_identifier" and item.invitation_id:
        out["invitation_id"] = item.invitation_id
    return out


def redirect_url_json(r: RedirectUrl) -> dict[str, Any]:
    return {"object": "redirect_url", "id": r.id, "url": r.url, "created_at": r.created_at,
            "updated_at": r.updated_at}


def deleted_json(obj: str, id_: str) -> dict[str, Any]:
    return {"object": obj, "id": id_, "deleted": True}


# -- operations ---------------------------------------------------------------------------------------------------


def classify(value: str) -> tuple[str, str]:
    """(normalized identifier, identifier_type), or a 422 when the value is none of the supported kinds."""
    value = value.strip()
    if WEB3_RE.match(value):
        return value.lower(), "web3_wallet"
    if E164_RE.match(value):
        return value, "phone_number"
    if (len(value) <= 320 and EMAIL_RE.match(value)) or DOMAIN_WILDCARD_RE.match(value):
        return value.lower(), "email_address"
    raise errors.form_param_format_invalid(
        "identifier", "identifier must be a valid email address, email domain (*@example.com), phone number "
        "in E.164 format or web3 wallet.")


def duplicate_record(what: str) -> ClerkError:
    return errors.bad_request("duplicate record", f"the {what} already exists", code="duplicate_record")


def _add_identifier(table: dict[str, ListIdentifier], index: dict[str, str], item: ListIdentifier) -> None:
    table[item.id] = item
    index[item.identifier] = item.id


def _remove_identifier(table: dict[str, ListIdentifier], index: dict[str, str], item_id: str,
                       which: str) -> ListIdentifier:
    """Take an identifier off the allow- or block-list (``which``), or 404."""
    item = table.pop(item_id, None)
    if item is None:
        raise errors.resource_not_found(f"No {which} identifier was found with id {item_id}")
    index.pop(item.identifier, None)
    return item


def _ordered(items: dict[str, Any]) -> list[Any]:
    return sorted(items.values(), key=lambda i: (i.created_at, i.id), reverse=True)


def _listed(ctx: Ctx, items: list[Any], to_json: Any) -> Json:
    limit, offset = limit_offset(ctx.query)
    data = [to_json(i) for i in items[offset: offset + limit]]
    return paginated(data, len(items)) if ctx.query.get("paginated") else data


# -- handlers: allow-list -----------------------------------------------------------------------------------------


@ALLOWLIST_ROUTES.op("ListAllowlistIdentifiers", "list")
def list_allowlist_identifiers(ctx: Ctx) -> Json:
    st = ctx.state
    return _listed(ctx, _ordered(st.instance_config.allowlist),
                   lambda i: identifier_json(st, i, "allowlist_identifier"))


@ALLOWLIST_ROUTES.op("CreateAllowlistIdentifier", "create")
def create_allowlist_identifier(ctx: Ctx) -> Json:
    st, now, tables = ctx.state, ctx.now, ctx.state.instance_config
    value, kind = classify(ctx.body["identifier"])
    if value in tables.allowlist_index:
        raise duplicate_record(f"identifier {value}")
    invitation_id = None
    if ctx.body.get("notify") and kind == "email_address" and not value.startswith("*@"):
        (inv,) = invitations.add_invitations(st, [{"email_address": value, "ignore_existing": True}], now)
        invitation_id = inv.id
    item = ListIdentifier(st.ids.new("alid"), value, kind, now, now, invitation_id)
    _add_identifier(tables.allowlist, tables.allowlist_index, item)
    return identifier_json(st, item, "allowlist_identifier")


@ALLOWLIST_ROUTES.op("DeleteAllowlistIdentifier", "delete")
def delete_allowlist_identifier(ctx: Ctx) -> Json:
    tables = ctx.state.instance_config
    item = _remove_identifier(tables.allowlist, tables.allowlist_index, ctx.path["identifier_id"], "allowlist")
    return deleted_json("allowlist_identifier", item.id)


# -- handlers: block-list -----------------------------------------------------------------------------------------


@BLOCKLIST_ROUTES.op("ListBlocklistIdentifiers", "list")
def list_blocklist_identifiers(ctx: Ctx) -> Json:
    st = ctx.state
    items = _ordered(st.instance_config.blocklist)
    return paginated([identifier_json(st, i, "blocklist_identifier") for i in items], len(items))


@BLOCKLIST_ROUTES.op("CreateBlocklistIdentifier", "create")
def create_blocklist_identifier(ctx: Ctx) -> Json:
    st, now, tables = ctx.state, ctx.now, ctx.state.instance_config
    value, kind = classify(ctx.body["identifier"])
    if value in tables.blocklist_index:
        raise duplicate_record(f"identifier {value}")
    item = ListIdentifier(st.ids.new("blid"), value, kind, now, now)
    _add_identifier(tables.blocklist, tables.blocklist_index, item)
    return identifier_json(st, item, "blocklist_identifier")


@BLOCKLIST_ROUTES.op("DeleteBlocklistIdentifier", "delete")
def delete_blocklist_identifier(ctx: Ctx) -> Json:
    tables = ctx.state.instance_config
    item = _remove_identifier(tables.blocklist, tables.blocklist_index, ctx.path["identifier_id"], "blocklist")
    return deleted_json("blocklist_identifier", item.id)


# -- handlers: redirect URLs --------------------------------------------------------------------------------------


def require_redirect_url(st: State, id_: str) -> RedirectUrl:
    r = st.instance_config.redirect_urls.get(id_)
    if r is None:
        raise errors.resource_not_found(f"No redirect URL was found with id {id_}")
    return r


@REDIRECT_ROUTES.op("ListRedirectURLs", "list")
def list_redirect_urls(ctx: Ctx) -> Json:
    return _listed(ctx, _ordered(ctx.state.instance_config.redirect_urls), redirect_url_json)


@REDIRECT_ROUTES.op("CreateRedirectURL", "create")
def create_redirect_url(ctx: Ctx) -> Json:
    st, now, tables = ctx.state, ctx.now, ctx.state.instance_config
    url = ctx.body["url"].strip()
    if not URL_RE.match(url):
        raise errors.form_param_format_invalid(
            "url", "url must be a full URL prefixed with https:// or a custom scheme (my-app://callback).")
    if url in tables.redirect_url_index:
        raise duplicate_record(f"redirect URL {url}")
    r = RedirectUrl(st.ids.new("ru"), url, now, now)
    tables.redirect_urls[r.id] = r
    tables.redirect_url_index[url] = r.id
    return redirect_url_json(r)


@REDIRECT_ROUTES.op("GetRedirectURL", "get")
def get_redirect_url(ctx: Ctx) -> Json:
    return redirect_url_json(require_redirect_url(ctx.state, ctx.path["id"]))


@REDIRECT_ROUTES.op("DeleteRedirectURL", "delete")
def delete_redirect_url(ctx: Ctx) -> Json:
    tables = ctx.state.instance_config
    r = require_redirect_url(ctx.state, ctx.path["id"])
    del tables.redirect_urls[r.id]
    tables.redirect_url_index.pop(r.url, None)
    return deleted_json("redirect_url", r.id)
