"""The Environment: getEnvironment, updateEnvironment (clerk-js sends PATCH at load; both answer the same).

Built from the instance's settings (organization settings, restrictions, test mode, support email) and the
Frontend API settings a scenario may set under ``frontend:`` (``st.fapi.settings``, docs/scenarios.md).  Bare
body, no envelope.  What `<SignIn/>` needs (reference/clerk-fapi.md §5) is all here; billing is off.
"""

from __future__ import annotations

from typing import Any

from clerkmock.engine.fapi import oauth_accounts, portal
from clerkmock.engine.fapi.routing import FapiCtx, FapiRoutes
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = FapiRoutes("environment")

ATTRIBUTES = ("email_address", "phone_number", "username", "first_name", "last_name", "password")
# What an instance starts with: sign-in by email (password or email code), sign-up with email + password,
# TOTP and backup codes as second factors.
DEFAULTS: dict[str, Any] = {
    "application_name": "clerkmock",
    "single_session_mode": True,
    "email_address": "required",
    "phone_number": "off",
    "username": "off",
    "first_name": "off",
    "last_name": "off",
    "password": "required",
    "email_code": True,  # sign in with a code sent by email
    "phone_code": True,  # ... by SMS, when phone numbers are on
    "second_factors": ["totp", "backup_code"],
    "after_sign_out_url": "",
    "social": [],  # OAuth providers offered (google, github, microsoft ...): the fake provider (social.py)
    # Clerk's "Allow personal accounts" off: a session without an active organization is pending with the
    # choose-organization task (resources/auth/session_tasks.py).  Also PATCH /v1/instance/organization_settings.
    "force_organization_selection": False,
}
SETTING_VALUES = ("on", "off", "required")
BOOLEANS = ("single_session_mode", "email_code", "phone_code", "force_organization_selection")
SECOND_FACTORS = ("totp", "backup_code", "phone_code")


def normalize(raw: dict[str, Any]) -> dict[str, Any]:
    """YAML reads a bare ``on`` / ``off`` as true / false: for the attributes they mean "on" / "off"."""
    return {k: ({True: "on", False: "off"}[v] if k in ATTRIBUTES and isinstance(v, bool) else v)
            for k, v in raw.items()}


def check_settings(raw: object) -> list[tuple[tuple[str, ...], str]]:
    """Problems in a scenario's ``frontend:`` mapping, as (path, message); empty when it is valid."""
    if not isinstance(raw, dict):
        return [((), "frontend must be a mapping")]
    raw = normalize(raw)
    problems: list[tuple[tuple[str, ...], str]] = []
    for key, value in raw.items():
        if key not in DEFAULTS:
            problems.append(((key,), f"unknown frontend key {key!r} (known: {', '.join(DEFAULTS)})"))
        elif key in ATTRIBUTES and value not in SETTING_VALUES:
            problems.append(((key,), f"frontend.{key} must be one of {', '.join(SETTING_VALUES)}"))
        elif key in BOOLEANS and not isinstance(value, bool):
            problems.append(((key,), f"frontend.{key} must be true or false"))
        elif key in ("application_name", "after_sign_out_url") and not isinstance(value, str):
            problems.append(((key,), f"frontend.{key} must be a string"))
        elif key == "social" and (not isinstance(value, list) or not all(
                isinstance(v, str) and oauth_accounts.strategy_of(v) for v in value)):
            problems.append(((key,), "frontend.social must be a list of OAuth providers such as google, github, "
                                     "microsoft (the Frontend API spec's oauth_* strategies, with or without "
                                     "the oauth_ prefix)"))
        elif key == "second_factors" and (not isinstance(value, list) or any(v not in SECOND_FACTORS for v in value)):
            problems.append(((key,), f"frontend.second_factors must be a list of {', '.join(SECOND_FACTORS)}"))
    if not problems and all({**DEFAULTS, **raw}[k] == "off" for k in ("email_address", "phone_number", "username")):
        problems.append(((), "frontend: at least one of email_address, phone_number, username must be on"))
    return problems


def json_schema() -> dict[str, Any]:
    """The ``frontend:`` key of `clerkmock scenario schema`."""
    props: dict[str, Any] = {k: {"enum": [*SETTING_VALUES, True, False]} for k in ATTRIBUTES}
    props.update({k: {"type": "boolean"} for k in BOOLEANS})
    props.update({k: {"type": "string"} for k in ("application_name", "after_sign_out_url")})
    props["second_factors"] = {"type": "array", "items": {"enum": list(SECOND_FACTORS)}}
    props["social"] = {"type": "array", "items": {"enum": sorted(
        {*oauth_accounts.STRATEGIES, *(s.removeprefix("oauth_") for s in oauth_accounts.STRATEGIES)})}}
    return {"type": "object", "additionalProperties": False, "properties": props,
            "description": "What the Frontend API's environment says (engine/fapi/environment.py)"}


def settings(st: State) -> dict[str, Any]:
    return {**DEFAULTS, **st.fapi.settings}


def attribute(st: State, name: str) -> str:
    return str(settings(st)[name])


def identifiers(st: State) -> list[str]:
    s = settings(st)
    return [k for k in ("email_address", "phone_number", "username") if s[k] != "off"]


def required_fields(st: State) -> list[str]:
    return [k for k in ATTRIBUTES if attribute(st, k) == "required"]


def optional_fields(st: State) -> list[str]:
    return [k for k in ATTRIBUTES if attribute(st, k) == "on"]


def _attr(enabled: bool, *, required: bool = False, first: list[str] | None = None, second: list[str] | None = None,
          verifications: list[str] | None = None, verify_at_sign_up: bool = False) -> dict[str, Any]:
    return {"enabled": enabled, "required": required, "used_for_first_factor": bool(first),
            "first_factors": first or [], "used_for_second_factor": bool(second), "second_factors": second or [],
            "verifications": verifications or [], "verify_at_sign_up": verify_at_sign_up, "immutable": False}


def environment_json(ctx: FapiCtx) -> dict[str, Any]:
    st = ctx.state
    s = settings(st)
    inst = st.instance_config
    on = {k: s[k] != "off" for k in ATTRIBUTES}
    req = {k: s[k] == "required" for k in ATTRIBUTES}
    email_first = ["email_code"] if s["email_code"] else []
    phone_first = ["phone_code"] if s["phone_code"] else []
    second = list(s["second_factors"])
    first_factors = (["password"] if on["password"] else []) + (email_first if on["email_address"] else []) + (
        phone_first if on["phone_number"] else [])
    dev = st.instance.environment != "production"
    home = ""
    urls = {name: home for name in (
        "home_url", "sign_in_url", "sign_up_url", "user_profile_url", "waitlist_url", "oauth_consent_url",
        "after_sign_in_url", "after_sign_up_url", "after_sign_out_one_url", "after_sign_out_all_url",
        "after_switch_session_url", "after_join_waitlist_url", "organization_profile_url", "create_organization_url",
        "after_leave_organization_url", "after_create_organization_url", "logo_link_url")}
    urls.update(portal.urls(st, ctx.request))  # the Account Portal pages, on the host this request came in on
    org = inst.organization_settings
    return {
        "auth_config": {
            "object": "auth_config", "id": "aac_" + st.instance.id.removeprefix("ins_"),
            **{k: s[k] for k in ATTRIBUTES},
            "identification_requirements": [[k] for k in identifiers(st)],
            "identification_strategies": identifiers(st),
            "first_factors": first_factors,
            "second_factors": second,
            "email_address_verification_strategies": ["email_code"],
            "single_session_mode": bool(s["single_session_mode"]),
            "enhanced_email_deliverability": bool(inst.auth_config.get("enhanced_email_deliverability")),
            "test_mode": bool(inst.settings.get("test_mode", True)),
            "cookieless_dev": False,
            "url_based_session_syncing": bool(inst.settings.get("url_based_session_syncing", True)),
            "claimed_at": None,
            "reverification": False,
            "native_settings": {"object": "native_settings", "api_enabled": False,
                                "trusted_device_sign_in_enabled": False,
                                "trusted_device_enrollment_prompt_after_sign_in_enabled": False,
                                "trusted_device_enrollment_prompt_after_sign_up_enabled": False},
        },
        "display_config": {
            "object": "display_config", "id": "display_config_" + st.instance.id.removeprefix("ins_"),
            "instance_environment_type": "development" if dev else "production",
            "application_name": s["application_name"],
            "theme": {"buttons": {"font_color": "#ffffff", "font_family": "", "font_weight": ""},
                      "general": {"color": "#6c47ff", "padding": "", "box_shadow": "", "font_color": "#151515",
                                  "font_family": "", "border_radius": "", "background_color": "#ffffff",
                                  "label_font_weight": ""},
                      "accounts": {"background_color": "#ffffff"}},
            "preferred_sign_in_strategy": "password" if on["password"] else "otp",
            "logo_image_url": None, "favicon_image_url": None,
            **urls,
            "support_email": inst.settings.get("support_email"),
            "branded": False,
            "experimental_force_oauth_first": False,
            "clerk_js_version": inst.settings.get("clerk_js_version"),
            "show_devmode_warning": False,
            "google_one_tap_client_id": None,
            "help_url": None, "privacy_policy_url": None, "terms_url": None,
            "logo_url": None, "favicon_url": None, "logo_image": None, "favicon_image": None,
            # null captcha keys: clerk-js shows no Turnstile (nothing to load offline)
            "captcha_public_key": None, "captcha_widget_type": "smart", "captcha_public_key_invisible": None,
            "captcha_provider": "turnstile", "captcha_oauth_bypass": [], "captcha_heartbeat": False,
        },
        "user_settings": {
            "attributes": {
                "email_address": _attr(on["email_address"], required=req["email_address"], first=email_first,
                                       verifications=["email_code"], verify_at_sign_up=True),
                "phone_number": _attr(on["phone_number"], required=req["phone_number"], first=phone_first,
                                      second=["phone_code"] if "phone_code" in second else [],
                                      verifications=["phone_code"], verify_at_sign_up=True),
                "username": _attr(on["username"], required=req["username"], first=["password"] if on["username"]
                                  else []),
                "web3_wallet": _attr(False),
                "first_name": _attr(on["first_name"], required=req["first_name"]),
                "last_name": _attr(on["last_name"], required=req["last_name"]),
                "password": _attr(on["password"], required=req["password"]),
                "authenticator_app": _attr("totp" in second, second=["totp"] if "totp" in second else []),
                "ticket": _attr(True),
                "backup_code": _attr("backup_code" in second,
                                     second=["backup_code"] if "backup_code" in second else []),
                "passkey": _attr(False),
            },
            "social": oauth_accounts.social_json(st),
            "saml": {"enabled": False},
            "enterprise_sso": {"enabled": False},
            "sign_in": {"second_factor": {"required": False}},
            "sign_up": {"captcha_enabled": False, "captcha_widget_type": "smart", "custom_action_required": False,
                        "progressive": True, "mode": "public", "legal_consent_enabled": False},
            "restrictions": {k: {"enabled": bool(v)} for k, v in inst.restrictions.items()},
            "password_settings": {"disable_hibp": not inst.settings.get("hibp", True),
                                  "disable_password_reverification": True, "min_length": 8, "max_length": 72,
                                  "require_special_char": False, "require_numbers": False,
                                  "require_uppercase": False, "require_lowercase": False, "show_zxcvbn": False,
                                  "min_zxcvbn_strength": 0, "enforce_hibp_on_sign_in": False,
                                  "allowed_special_characters": "!\"#$%&'()*+,-./:;<=>?@[]^_`{|}~"},
            "username_settings": {"min_length": 4, "max_length": 64, "allow_extended_special_characters": False,
                                  "allow_numeric_usernames": False},
            "actions": {"delete_self": True, "create_organization": True, "create_organizations_limit": None},
            "attack_protection": {
                "user_lockout": {"enabled": True, "max_attempts": 100, "duration_in_minutes": 60},
                "pii": {"enabled": False}, "email_link": {"require_same_client": False},
                "enumeration_protection": {"enabled": False}},
            "passkey_settings": {"allow_autofill": False, "show_sign_in_button": False,
                                 "satisfies_second_factor": False},
        },
        "organization_settings": {
            "enabled": bool(org.get("enabled", True)),
            "max_allowed_memberships": st.orgs.default_max_allowed_memberships,
            # what clerk-js reads (OrganizationSettings.forceOrganizationSelection); the spec's schema lacks it
            "force_organization_selection": bool(s["force_organization_selection"]),
            "actions": {"admin_delete": bool(org.get("admin_delete_enabled", True))},
            "domains": {"enabled": bool(org.get("domains_enabled")), "enrollment_modes":
                        list(org.get("domains_enrollment_modes") or []), "default_role": "org:member"},
            "slug": {"disabled": bool(org.get("slug_disabled"))},
            "creator_role": "org:admin",
        },
        "fraud_settings": {"object": "fraud_settings", "native": {"device_attestation_mode": "disabled"}},
        "commerce_settings": {"billing": {"stripe_publishable_key": None,
                                          "free_trial_requires_payment_method": False,
                                          "user": {"enabled": False, "has_paid_plans": False},
                                          "organization": {"enabled": False, "has_paid_plans": False}}},
        "api_keys_settings": {"enabled": False, "user_api_keys_enabled": False, "orgs_api_keys_enabled": False},
        "protect_config": {"loaders": []},
        "client_debug_mode": False,
        "maintenance_mode": False,
    }


@ROUTES.op("getEnvironment", bare=True)
def get_environment(ctx: FapiCtx) -> Json:
    return environment_json(ctx)


@ROUTES.op("updateEnvironment", bare=True)
def update_environment(ctx: FapiCtx) -> Json:
    """clerk-js sends ``PATCH /environment`` (with the page's origin) at load; nothing in it changes state."""
    return environment_json(ctx)
