"""Instance Settings, Beta Features and the Svix app: GetInstance, UpdateInstance, UpdateInstanceRestrictions,
GetInstanceProtect, UpdateInstanceProtect, GetInstanceCommunication, UpdateInstanceCommunication,
GetInstanceOAuthApplicationSettings, UpdateInstanceOAuthApplicationSettings, GetInstanceOrganizationSettings,
UpdateInstanceOrganizationSettings, ChangeProductionInstanceDomain, UpdateInstanceAuthConfig,
UpdateProductionInstanceDomain, CreateSvixApp, GenerateSvixAuthURL, DeleteSvixApp.

- GET /instance reflects ``state.instance`` (id, environment) and the ``allowed_origins`` PATCH /instance
  set; PATCH /instance answers 204 with no body.  ``workspace_id`` is null (inferred).
- PATCH bodies are partial: an omitted or null field keeps its value, except ``default_scopes: null``, which
  resets the OAuth scopes to Clerk's defaults (the spec).
- Organization settings: ``max_allowed_memberships`` is the default limit for new organizations
  (``state.orgs.default_max_allowed_memberships``, 0 = unlimited), ``max_allowed_domains`` the per-organization
  domain quota; ``creator_role_id`` sets the creator role of the initial role set (the role must hold the
  creator permissions); unknown role ids are a 404 ``resource_not_found``.  ``force_organization_selection``
  (Clerk's "Allow personal accounts" off: new sessions without an organization are pending with the
  ``choose-organization`` task) is accepted beside the spec's fields: Clerk's endpoint takes it (its CLI's
  ``config pull`` shows it there) though the published spec leaves it out, so it is set aside before the body is
  validated (``prepare``); the answer keeps the spec's shape, and the Frontend API's environment shows it.
- ``restricted_to_allowlist`` (beta instance settings) is the same switch as the restrictions' ``allowlist``
  (inferred).
- Changing the production domain (POST /instance/change_domain, PUT /beta_features/domain) answers 202 with
  no body and renames the primary domain; on a development instance it is a 400
  ``request_invalid_for_environment``.
- Svix: POST /webhooks/svix creates the app (again: the same app) and returns ``{svix_url}``; the dashboard
  URL and DELETE need an app, else 400 ``svix_app_missing``; DELETE answers 204.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import SplitResult, urlsplit

from clerkmock.engine import errors
from clerkmock.engine.records.organizations import INITIAL_ROLE_SET_KEY
from clerkmock.engine.resources.identifications import EMAIL_RE
from clerkmock.engine.resources.instance.domains import change_primary_domain
from clerkmock.engine.resources.orgs.role_sets import creator_eligible, member_of_set
from clerkmock.engine.routing import Ctx, Reply, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.jsonio import dumps, loads
from clerkmock.engine.types import Json, Request

ROUTES = RouteSet("instance")
BETA_ROUTES = RouteSet("beta_features")
SVIX_ROUTES = RouteSet("webhooks")
DEFAULT_OAUTH_SCOPES = ["email", "profile"]
ENROLLMENT_MODES = ("automatic_invitation", "automatic_suggestion")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
ALNUM_RE = re.compile(r"^[A-Za-z0-9]+$")
MAX_ALLOWED_ROLES = 10
MAX_ROLE_SETS = 5


def _split(value: str) -> SplitResult:
    try:
        return urlsplit(value)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return urlsplit("")


# -- serializers --------------------------------------------------------------------------------------------------


def instance_json(st: State) -> dict[str, Any]:
    return {
        "object": "instance",
        "id": st.instance.id,
        "environment_type": st.instance.environment,
        "allowed_origins": st.instance_config.settings["allowed_origins"],
        "workspace_id": None,
    }


def restrictions_json(st: State) -> dict[str, Any]:
    return {"object": "instance_restrictions", **st.instance_config.restrictions}


def protect_json(st: State) -> dict[str, Any]:
    return {"object": "instance_protect", **st.instance_config.protect, "checks_bypassed": False}


def communication_json(st: State) -> dict[str, Any]:
    return {"object": "instance_communication", "blocked_country_codes": list(st.instance_config.blocked_country_codes)}


def oauth_settings_json(st: State) -> dict[str, Any]:
    s = dict(st.instance_config.oauth_application_settings)
    s["default_scopes"] = list(s["default_scopes"] if s["default_scopes"] is not None else DEFAULT_OAUTH_SCOPES)
    return {"object": "oauth_application_settings", **s}


def _initial_role_set(st: State) -> Any:
    return st.orgs.role_sets[st.orgs.role_set_keys[INITIAL_ROLE_SET_KEY]]


def organization_settings_json(st: State) -> dict[str, Any]:
    s = st.instance_config.organization_settings
    rs = _initial_role_set(st)
    return {
        "object": "organization_settings",
        "enabled": s["enabled"],
        "max_allowed_memberships": st.orgs.default_max_allowed_memberships,
        "max_allowed_roles": MAX_ALLOWED_ROLES,
        "max_role_sets_allowed": MAX_ROLE_SETS,
        "max_allowed_domains": st.orgs.max_allowed_domains,
        "creator_role": st.orgs.roles[rs.creator_role_id].key if rs.creator_role_id else "org:admin",
        "admin_delete_enabled": s["admin_delete_enabled"],
        "domains_enabled": s["domains_enabled"],
        "slug_disabled": s["slug_disabled"],
        "domains_enrollment_modes": list(s["domains_enrollment_modes"]),
        "domains_default_role": st.instance_config.domains_default_role_key,
        "initial_role_set_key": rs.key,
    }


def auth_config_json(st: State) -> dict[str, Any]:
    c = st.instance_config.auth_config
    return {
        "object": "instance_settings",
        "id": st.instance.id,
        "restricted_to_allowlist": st.instance_config.restrictions["allowlist"],
        "from_email_address": c["from_email_address"],
        "progressive_sign_up": c["progressive_sign_up"],
        "enhanced_email_deliverability": c["enhanced_email_deliverability"],
    }


def svix_json(st: State) -> dict[str, Any]:
    digest = hashlib.sha256(f"svix\x00{st.instance.id}".encode()).hexdigest()
    return {"svix_url": f"https://app.svix.com/login?app_id=app_{digest[:27]}#key={digest[27:59]}"}


# -- operations ---------------------------------------------------------------------------------------------------


def _given(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


def _check_origin(param: str, value: str) -> str:
    parts = _split(value.strip())
    if not parts.scheme or not parts.netloc or parts.path not in ("", "/"):
        raise errors.form_param_format_invalid(param, f"{param} must be a valid origin, e.g. https://example.com.")
    return value.strip().rstrip("/")


def _check_instance_update(body: dict[str, Any]) -> dict[str, Any]:
    fields = _given(body)
    if fields.get("support_email") and not EMAIL_RE.match(fields["support_email"]):
        raise errors.form_param_format_invalid("support_email", "support_email must be a valid email address.")
    if fields.get("development_origin"):
        fields["development_origin"] = _check_origin("development_origin", fields["development_origin"])
    if "allowed_origins" in fields:
        fields["allowed_origins"] = [_check_origin("allowed_origins", o) for o in fields["allowed_origins"]]
    if fields.get("clerk_js_version") and not re.match(r"^\d+(\.\d+){0,2}(-[0-9A-Za-z.-]+)?$",
                                                          fields["clerk_js_version"]):
        raise errors.form_param_format_invalid("clerk_js_version", "clerk_js_version must be a valid version.")
    if "cookieless_dev" in fields:  # deprecated alias
        fields.setdefault("url_based_session_syncing", fields.pop("cookieless_dev"))
    return fields


def _role(st: State, role_id: str, param: str) -> Any:
    role = st.orgs.roles.get(role_id)
    if role is None:
        raise errors.organization_role_not_found(param)
    return role


# -- handlers: instance -------------------------------------------------------------------------------------------


@ROUTES.op("GetInstance", "get")
def get_instance(ctx: Ctx) -> Json:
    return instance_json(ctx.state)


@ROUTES.op("UpdateInstance", "update")
def update_instance(ctx: Ctx) -> Json | Reply:
    fields = _check_instance_update(ctx.body)
    ctx.state.instance_config.settings.update(fields)
    return Reply(204)


@ROUTES.op("UpdateInstanceRestrictions", "update_restrictions")
def update_instance_restrictions(ctx: Ctx) -> Json:
    ctx.state.instance_config.restrictions.update(_given(ctx.body))
    return restrictions_json(ctx.state)


@ROUTES.op("GetInstanceProtect", "get_protect")
def get_instance_protect(ctx: Ctx) -> Json:
    return protect_json(ctx.state)


@ROUTES.op("UpdateInstanceProtect", "update_protect")
def update_instance_protect(ctx: Ctx) -> Json:
    ctx.state.instance_config.protect.update(_given(ctx.body))
    return protect_json(ctx.state)


@ROUTES.op("GetInstanceCommunication", "get_communication")
def get_instance_communication(ctx: Ctx) -> Json:
    return communication_json(ctx.state)


@ROUTES.op("UpdateInstanceCommunication", "update_communication")
def update_instance_communication(ctx: Ctx) -> Json:
    codes = ctx.body.get("blocked_country_codes")
    if codes is not None:
        if len(codes) > 250:
            raise errors.form_param_max_length_exceeded("blocked_country_codes", 250)
        for code in codes:
            if not COUNTRY_RE.match(code):
                raise errors.form_param_format_invalid(
                    "blocked_country_codes", "blocked_country_codes must hold uppercase ISO 3166-1 alpha-2 codes.")
        if len(set(codes)) != len(codes):
            raise errors.form_param_duplicate("blocked_country_codes")
        ctx.state.instance_config.blocked_country_codes = list(codes)
    return communication_json(ctx.state)


@ROUTES.op("GetInstanceOAuthApplicationSettings", "get_oauth_application_settings")
def get_instance_oauth_application_settings(ctx: Ctx) -> Json:
    return oauth_settings_json(ctx.state)


@ROUTES.op("UpdateInstanceOAuthApplicationSettings", "update_oauth_application_settings")
def update_instance_oauth_application_settings(ctx: Ctx) -> Json:
    settings = ctx.state.instance_config.oauth_application_settings
    fields = _given(ctx.body)
    if "default_scopes" in ctx.body:  # null resets to Clerk's defaults
        scopes = ctx.body["default_scopes"]
        if scopes is not None and any(not s.strip() or " " in s for s in scopes):
            raise errors.form_param_format_invalid("default_scopes", "default_scopes must be scope names.")
        fields["default_scopes"] = list(dict.fromkeys(scopes)) if scopes is not None else None
    settings.update(fields)
    return oauth_settings_json(ctx.state)


@ROUTES.op("GetInstanceOrganizationSettings", "get_organization_settings")
def get_instance_organization_settings(ctx: Ctx) -> Json:
    return organization_settings_json(ctx.state)


FORCE_ORGANIZATION_SELECTION = "force_organization_selection"


def _set_aside_force_selection(request: Request) -> Request:
    """The route's ``prepare``: take ``force_organization_selection`` out of a JSON body (the spec's schema has
    no such field) into ``request.aside``; a malformed body is left for validation to refuse."""
    try:
        body = loads(request.body) if request.body.strip() else None
    except ValueError:
        return request
    if isinstance(body, dict) and FORCE_ORGANIZATION_SELECTION in body:
        value = body.pop(FORCE_ORGANIZATION_SELECTION)
        if value is not None and not isinstance(value, bool):
            raise errors.form_param_type_invalid(FORCE_ORGANIZATION_SELECTION, "boolean")
        request.aside[FORCE_ORGANIZATION_SELECTION] = value
        request.body = dumps(body)
    return request


@ROUTES.op("UpdateInstanceOrganizationSettings", "update_organization_settings",
           prepare=_set_aside_force_selection)
def update_instance_organization_settings(ctx: Ctx) -> Json:
    st = ctx.state
    fields = _given(ctx.body)
    limit = fields.pop("max_allowed_memberships", None)
    if limit is not None and limit < 0:
        raise errors.form_param_value_invalid("max_allowed_memberships",
                                              "max_allowed_memberships must be 0 (unlimited) or more.")
    modes = fields.get("domains_enrollment_modes")
    for mode in modes or ():
        if mode not in ENROLLMENT_MODES:
            raise errors.form_param_value_invalid(
                "domains_enrollment_modes", "Supported modes are 'automatic_invitation' & 'automatic_suggestion'.")
    rs = _initial_role_set(st)
    creator = None
    if "creator_role_id" in fields:
        param = "creator_role_id"
        creator = creator_eligible(st, member_of_set(rs, _role(st, fields.pop(param), param), param))
    default_role = _role(st, fields.pop("domains_default_role_id"), "domains_default_role_id") \
        if "domains_default_role_id" in fields else None
    # validated: write
    if modes is not None:
        fields["domains_enrollment_modes"] = list(dict.fromkeys(modes))
    st.instance_config.organization_settings.update(fields)
    if limit is not None:
        st.orgs.default_max_allowed_memberships = limit
    if creator is not None:
        rs.creator_role_id = creator.id
    if default_role is not None:
        st.instance_config.domains_default_role_key = default_role.key
    force = ctx.request.aside.get(FORCE_ORGANIZATION_SELECTION)
    if force is not None:  # kept with the Frontend API's settings, which clerk-js and session_tasks read
        st.fapi.settings[FORCE_ORGANIZATION_SELECTION] = force
    return organization_settings_json(st)


@ROUTES.op("ChangeProductionInstanceDomain", "change_domain")
def change_production_instance_domain(ctx: Ctx) -> Json | Reply:
    if not ctx.body.get("home_url"):
        raise errors.form_param_missing("home_url")
    change_primary_domain(ctx.state, ctx.body["home_url"], bool(ctx.body.get("is_secondary")))
    return Reply(202)


# -- handlers: beta features --------------------------------------------------------------------------------------


@BETA_ROUTES.op("UpdateInstanceAuthConfig", "update_instance_settings")
def update_instance_auth_config(ctx: Ctx) -> Json:
    tables = ctx.state.instance_config
    fields = _given(ctx.body)
    address = fields.get("from_email_address")
    if address is not None and not ALNUM_RE.match(address):
        raise errors.form_param_format_invalid(
            "from_email_address", "from_email_address must contain only alphanumeric characters.")
    if "restricted_to_allowlist" in fields:
        tables.restrictions["allowlist"] = fields.pop("restricted_to_allowlist")
    if "test_mode" in fields:
        tables.settings["test_mode"] = fields.pop("test_mode")
    tables.auth_config.update(fields)
    return auth_config_json(ctx.state)


@BETA_ROUTES.op("UpdateProductionInstanceDomain", "update_production_domain")
def update_production_instance_domain(ctx: Ctx) -> Json | Reply:
    return change_production_instance_domain(ctx)


# -- handlers: Svix app -------------------------------------------------------------------------------------------


def _require_svix(st: State) -> None:
    if not st.instance_config.svix_app:
        raise errors.bad_request("Svix app missing", "No Svix app is associated with the current instance.",
                                 code="svix_app_missing")


@SVIX_ROUTES.op("CreateSvixApp", "create_svix_app")
def create_svix_app(ctx: Ctx) -> Json:
    ctx.state.instance_config.svix_app = True
    return svix_json(ctx.state)


@SVIX_ROUTES.op("GenerateSvixAuthURL", "generate_svix_auth_url")
def generate_svix_auth_url(ctx: Ctx) -> Json:
    _require_svix(ctx.state)
    return svix_json(ctx.state)


@SVIX_ROUTES.op("DeleteSvixApp", "delete_svix_app")
def delete_svix_app(ctx: Ctx) -> Json | Reply:
    _require_svix(ctx.state)
    ctx.state.instance_config.svix_app = False
    return Reply(204)
