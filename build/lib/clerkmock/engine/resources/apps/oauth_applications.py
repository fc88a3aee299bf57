"""OAuth Applications: ListOAuthApplications, CreateOAuthApplication, GetOAuthApplication, UpdateOAuthApplication,
DeleteOAuthApplication, UploadOAuthApplicationLogo, RotateOAuthApplicationSecret, RevokeOAuthApplicationToken.

- An application has an ``oa_`` id, a 16-character ``client_id`` and a 32-character ``client_secret``.  The secret
  is shown only by create and rotate_secret (``OAuthApplicationWithSecret``); a public client has none (``""``,
  the spec: "Empty if public client").
- ``scopes`` is a space-separated string of ``profile``, ``email``, ``public_metadata``, ``private_metadata``
  (plus ``openid`` and ``offline_access``, which Clerk's provider also accepts); duplicates are dropped, an
  unknown scope is a 422 ``form_param_value_invalid``; null or absent means ``profile email``.
- ``redirect_uris`` must be absolute URLs of any scheme (``myapp://cb`` is fine); the deprecated ``callback_url``
  is the first redirect URI, and setting it alone sets ``redirect_uris`` to it.
- Update: an absent or null field keeps its value.
- The discovery URLs hang off the instance's frontend host (``https://<host>/oauth/authorize`` ...,
  ``/.well-known/oauth-authorization-server``).
- list: ``name_query`` matches names case-insensitively, or a ``client_id`` exactly; ``order_by`` is
  ``±created_at`` (default ``+created_at``, the parameter's default in the spec) or ``±name``.
- Delete and rotate leave issued access tokens alone except that delete revokes them (the application is gone).
- revoke_token revokes an opaque access token of this application; tokens of other applications and unknown
  tokens are ignored (204, as RFC 7009 asks); a JWT is refused with 400 (the spec: "JWT access tokens cannot be
  revoked").
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from clerkmock.engine import errors
from clerkmock.engine.pagination import limit_offset, paginated, parse_order_by, sort_records
from clerkmock.engine.records.apps import OAuthApplication
from clerkmock.engine.routing import Ctx, Reply, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("oauth_applications")
DEFAULT_SCOPES = "profile email"
KNOWN_SCOPES = ("profile", "email", "public_metadata", "private_metadata", "openid", "offline_access")
MAX_NAME = 256
MAX_LOGO_BYTES = 10 * 1024 * 1024
LOGO_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
ORDER_FIELDS = ["created_at", "name"]

# -- serializers --------------------------------------------------------------------------------------------------


def app_json(st: State, a: OAuthApplication) -> dict[str, Any]:
    base = f"https://{st.instance.frontend_host}"
    return {
        "object": "oauth_application",
        "id": a.id,
        "instance_id": st.instance.id,
        "name": a.name,
        "client_id": a.client_id,
        "client_uri": None,
        "client_image_url": a.client_image_url,
        "dynamically_registered": False,
        "consent_screen_enabled": a.consent_screen_enabled,
        "pkce_required": a.pkce_required,
        "public": a.public,
        "scopes": a.scopes,
        "redirect_uris": list(a.redirect_uris),
        "callback_url": a.redirect_uris[0] if a.redirect_uris else "",
        "authorize_url": f"{base}/oauth/authorize",
        "token_fetch_url": f"{base}/oauth/token",
        "user_info_url": f"{base}/oauth/userinfo",
        "discovery_url": f"{base}/.well-known/oauth-authorization-server",
        "token_introspection_url": f"{base}/oauth/token_info",
        "created_at": a.created_at,
        "updated_at": a.updated_at,
    }


def app_with_secret_json(st: State, a: OAuthApplication) -> dict[str, Any]:
    return {**app_json(st, a), "client_secret": a.client_secret}


# -- operations ---------------------------------------------------------------------------------------------------


def require_app(st: State, app_id: str) -> OAuthApplication:
    a = st.apps.oauth_applications.get(app_id)
    if a is None:
        raise errors.resource_not_found(f"No OAuth application was found with id {app_id}")
    return a


def check_name(value: str) -> str:
    name = value.strip()
    if not name:
        raise errors.form_param_missing("name")
    if len(name) > MAX_NAME:
        raise errors.form_param_max_length_exceeded("name", MAX_NAME)
    return name


def check_scopes(value: str) -> str:
    scopes = list(dict.fromkeys(value.split()))
    if not scopes:
        return DEFAULT_SCOPES
    for scope in scopes:
        if scope not in KNOWN_SCOPES:
            raise errors.form_param_value_invalid(
                "scopes", f"{scope} is not a supported scope; supported scopes are {', '.join(KNOWN_SCOPES)}.")
    return " ".join(scopes)


def check_uri(value: str, param: str) -> str:
    uri = value.strip()
    try:
        parts = urlsplit(uri)
    except ValueError:
        parts = None
    if parts is None or not parts.scheme or not (parts.netloc or parts.path) or " " in uri:
        raise errors.form_param_format_invalid(param, f"{param} must be a valid URL.")
    return uri


def redirect_uris_from(body: dict[str, Any]) -> list[str] | None:
    """The redirect URIs a body sets, or None when it sets none (``callback_url`` is the legacy single one)."""
    if body.get("redirect_uris") is not None:
        return list(dict.fromkeys(check_uri(u, "redirect_uris") for u in body["redirect_uris"]))
    if body.get("callback_url") is not None:
        return [check_uri(body["callback_url"], "callback_url")] if body["callback_url"].strip() else []
    return None


def new_client_id(st: State) -> str:
    return st.ids.token(12)[:16].rjust(16, "0")


def new_client_secret(st: State) -> str:
    return st.ids.token(24)[:32].rjust(32, "0")


def create_app(st: State, body: dict[str, Any], now: int) -> OAuthApplication:
    name = check_name(body["name"])
    scopes = check_scopes(body["scopes"]) if body.get("scopes") is not None else DEFAULT_SCOPES
    uris = redirect_uris_from(body) or []
    public = bool(body.get("public"))
    a = OAuthApplication(
        id=st.ids.new("oa"), name=name, client_id=new_client_id(st), client_secret="", created_at=now,
        updated_at=now, scopes=scopes, redirect_uris=uris,
        consent_screen_enabled=body.get("consent_screen_enabled") is not False,
        pkce_required=bool(body.get("pkce_required")), public=public,
    )
    if not public:
        a.client_secret = new_client_secret(st)
    st.apps.oauth_applications[a.id] = a
    st.apps.oauth_client_ids[a.client_id] = a.id
    return a


def _tokens_of(st: State, a: OAuthApplication) -> list[Any]:
    return [t for t in st.auth.oauth_tokens.values() if t.client_id == a.client_id]


# -- handlers -----------------------------------------------------------------------------------------------------


@ROUTES.get("/oauth_applications", "list")
def list_oauth_applications(ctx: Ctx) -> Json:
    st, q = ctx.state, ctx.query
    limit, offset = limit_offset(q)
    apps = list(st.apps.oauth_applications.values())
    if q.get("name_query"):
        needle = q["name_query"]
        apps = [a for a in apps if needle.lower() in a.name.lower() or a.client_id == needle]
    field, descending = parse_order_by(q.get("order_by"), ORDER_FIELDS, default="+created_at")
    key: Any = (lambda a: a.name.lower()) if field == "name" else (lambda a: a.created_at)
    apps = sort_records(apps, key, descending, tiebreak=lambda a: a.id)
    return paginated([app_json(st, a) for a in apps[offset: offset + limit]], len(apps))


@ROUTES.post("/oauth_applications", "create")
def create_oauth_application(ctx: Ctx) -> Json:
    return app_with_secret_json(ctx.state, create_app(ctx.state, ctx.body, ctx.now))


@ROUTES.get("/oauth_applications/{oauth_application_id}", "get")
def get_oauth_application(ctx: Ctx) -> Json:
    return app_json(ctx.state, require_app(ctx.state, ctx.path["oauth_application_id"]))


@ROUTES.patch("/oauth_applications/{oauth_application_id}", "update")
def update_oauth_application(ctx: Ctx) -> Json:
    st, body = ctx.state, ctx.body
    a = require_app(st, ctx.path["oauth_application_id"])
    name = check_name(body["name"]) if body.get("name") is not None else a.name
    scopes = check_scopes(body["scopes"]) if body.get("scopes") is not None else a.scopes
    uris = redirect_uris_from(body)
    a.name, a.scopes = name, scopes
    if uris is not None:
        a.redirect_uris = uris
    for flag in ("consent_screen_enabled", "pkce_required"):
        if body.get(flag) is not None:
            setattr(a, flag, body[flag])
    if body.get("public") is not None and body["public"] != a.public:
        a.public = body["public"]
        a.client_secret = "" if a.public else new_client_secret(st)
    a.updated_at = ctx.now
    return app_json(st, a)


@ROUTES.delete("/oauth_applications/{oauth_application_id}", "delete")
def delete_oauth_application(ctx: Ctx) -> Json:
    st = ctx.state
    a = require_app(st, ctx.path["oauth_application_id"])
    for t in _tokens_of(st, a):
        if not t.revoked:
            t.revoked, t.revocation_reason, t.updated_at = True, "oauth_application_deleted", ctx.now
    del st.apps.oauth_applications[a.id]
    st.apps.oauth_client_ids.pop(a.client_id, None)
    return {"object": "oauth_application", "id": a.id, "deleted": True}


@ROUTES.put("/oauth_applications/{oauth_application_id}/logo", "upload_logo")
def upload_oauth_application_logo(ctx: Ctx) -> Json:
    st = ctx.state
    a = require_app(st, ctx.path["oauth_application_id"])
    upload = ctx.files.get("file")
    if upload is None or not upload.data:
        raise errors.form_param_missing("file")
    if len(upload.data) > MAX_LOGO_BYTES:
        raise errors.request_too_large(MAX_LOGO_BYTES)
    ctype = upload.content_type.split(";")[0].strip().lower()
    if ctype not in LOGO_TYPES and not _sniff_image(upload.data):
        raise errors.form_param_format_invalid(
            "file", "file must be an image of type image/jpeg, image/png, image/gif or image/webp.")
    uploader = ctx.body.get("uploader_user_id")
    if uploader and uploader not in st.users:
        raise errors.form_resource_not_found("uploader_user_id")
    digest = hashlib.sha256(upload.data).hexdigest()[:24]
    a.client_image_url = f"https://img.clerk.com/clerkmock/oauth_applications/{a.id}/{digest}"
    a.updated_at = ctx.now
    return app_json(st, a)


def _sniff_image(data: bytes) -> bool:
    return data.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


@ROUTES.post("/oauth_applications/{oauth_application_id}/rotate_secret", "rotate_secret")
def rotate_oauth_application_secret(ctx: Ctx) -> Json:
    st = ctx.state
    a = require_app(st, ctx.path["oauth_application_id"])
    if not a.public:
        a.client_secret = new_client_secret(st)
    a.updated_at = ctx.now
    return app_with_secret_json(st, a)


@ROUTES.post("/oauth_applications/{oauth_application_id}/revoke_token", "revoke_token")
def revoke_oauth_application_token(ctx: Ctx) -> Reply:
    st, now = ctx.state, ctx.now
    a = require_app(st, ctx.path["oauth_application_id"])
    value = ctx.body["token"].strip()
    if not value:
        raise errors.form_param_missing("token")
    if value.count(".") == 2 and value.startswith("ey"):
        raise errors.bad_request("JWT access tokens cannot be revoked",
                                 "JWT access tokens cannot be revoked; they expire on their own.")
    token_id = st.auth.oauth_secrets.get(value)
    t = st.auth.oauth_tokens.get(token_id) if token_id else None
    if t is not None and t.client_id == a.client_id:
        # the grant: every token this application holds for the same user
        for other in _tokens_of(st, a):
            if other.subject == t.subject and not other.revoked:
                other.revoked, other.revocation_reason, other.updated_at = True, "revoked", now
    return Reply(204)
