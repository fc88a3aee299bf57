"""Instance settings at engine level: GET/PATCH /instance, restrictions, protect, communication, OAuth
application settings, organization settings (wired to the organizations' limits), beta instance settings,
the Svix app and sign-ups."""

from __future__ import annotations

from clerkmock.engine.records.instance import SignUp

from .helpers import T0
from .orgs_helpers import Api


def test_instance_get_and_patch() -> None:
    api = Api()
    inst = api("GET", "/v1/instance")
    assert inst == {"object": "instance", "id": api.state.instance.id, "environment_type": "development",
                    "allowed_origins": None, "workspace_id": None}
    assert api("PATCH", "/v1/instance", {"allowed_origins": ["chrome-extension://abc", "capacitor://localhost/"],
                                         "test_mode": False, "hibp": None}, status=204) is None
    assert api("GET", "/v1/instance")["allowed_origins"] == ["chrome-extension://abc", "capacitor://localhost"]
    assert api.state.instance_config.settings["test_mode"] is False
    assert api.state.instance_config.settings["hibp"] is True  # null keeps the value
    api("PATCH", "/v1/instance", {"development_origin": "http://localhost:3000"}, status=204)
    assert api("GET", "/v1/domains")["data"][0]["development_origin"] == "http://localhost:3000"
    for body in ({"allowed_origins": ["not an origin"]}, {"support_email": "nope"},
                 {"development_origin": "https://x.com/path"}, {"clerk_js_version": "latest!"}):
        api("PATCH", "/v1/instance", body, status=422, code="form_param_format_invalid")
    api("PATCH", "/v1/instance", {"preferred_sign_in_strategy_when_password_required": "sms"}, status=422,
        code="form_param_value_invalid")
    api("PATCH", "/v1/instance", {"unknown": 1}, status=422, code="form_param_unknown")
    api.state.instance.environment = "production"
    assert api("GET", "/v1/instance")["environment_type"] == "production"


def test_restrictions_protect_communication() -> None:
    api = Api()
    r = api("PATCH", "/v1/instance/restrictions", {"allowlist": True, "block_email_subaddresses": None})
    assert r == {"object": "instance_restrictions", "allowlist": True, "blocklist": False,
                 "allowlist_blocklist_disabled_on_sign_in": False, "block_email_subaddresses": False,
                 "block_disposable_email_domains": False}
    assert api("PATCH", "/v1/instance/restrictions", {})["allowlist"] is True
    assert api("GET", "/v1/instance/protect") == {"object": "instance_protect", "rules_enabled": False,
                                                   "specter_enabled": False, "checks_bypassed": False}
    assert api("PATCH", "/v1/instance/protect", {"rules_enabled": True})["rules_enabled"] is True
    assert api("GET", "/v1/instance/protect")["rules_enabled"] is True
    assert api("GET", "/v1/instance/communication") == {"object": "instance_communication",
                                                         "blocked_country_codes": []}
    c = api("PATCH", "/v1/instance/communication", {"blocked_country_codes": ["RU", "KP"]})
    assert c["blocked_country_codes"] == ["RU", "KP"]
    assert api("PATCH", "/v1/instance/communication", {"blocked_country_codes": None})["blocked_country_codes"] == \
        ["RU", "KP"]
    api("PATCH", "/v1/instance/communication", {"blocked_country_codes": ["ru"]}, status=422,
        code="form_param_format_invalid")
    api("PATCH", "/v1/instance/communication", {"blocked_country_codes": ["US", "US"]}, status=422,
        code="form_param_duplicate")
    assert api("PATCH", "/v1/instance/communication", {"blocked_country_codes": []})["blocked_country_codes"] == []


def test_oauth_application_settings() -> None:
    api = Api()
    s = api("GET", "/v1/instance/oauth_application_settings")
    assert s["object"] == "oauth_application_settings" and s["default_scopes"] == ["email", "profile"]
    assert s["dynamic_oauth_client_registration"] is False
    s = api("PATCH", "/v1/instance/oauth_application_settings",
            {"default_scopes": ["openid", "email", "openid"], "oauth_jwt_access_tokens": True})
    assert s["default_scopes"] == ["openid", "email"] and s["oauth_jwt_access_tokens"] is True
    s = api("PATCH", "/v1/instance/oauth_application_settings", {"dynamic_oauth_client_registration": True})
    assert s["default_scopes"] == ["openid", "email"]  # omitted: kept
    s = api("PATCH", "/v1/instance/oauth_application_settings", {"default_scopes": None})
    assert s["default_scopes"] == ["email", "profile"] and s["dynamic_oauth_client_registration"] is True
    api("PATCH", "/v1/instance/oauth_application_settings", {"default_scopes": ["two words"]}, status=422,
        code="form_param_format_invalid")


def test_organization_settings_drive_the_organizations() -> None:
    api = Api()
    s = api("GET", "/v1/instance/organization_settings")
    assert s["object"] == "organization_settings" and s["enabled"] is True
    assert (s["max_allowed_memberships"], s["max_allowed_domains"]) == (0, 10)
    assert (s["creator_role"], s["domains_default_role"]) == ("org:admin", "org:member")
    assert s["initial_role_set_key"] == "role_set:default"
    s = api("PATCH", "/v1/instance/organization_settings",
            {"max_allowed_memberships": 2, "domains_enabled": True,
             "domains_enrollment_modes": ["automatic_invitation", "automatic_suggestion", "automatic_invitation"]})
    assert s["max_allowed_memberships"] == 2 and s["domains_enabled"] is True
    assert s["domains_enrollment_modes"] == ["automatic_invitation", "automatic_suggestion"]
    org = api.org("Acme")
    assert org["max_allowed_memberships"] == 2
    api("PATCH", "/v1/instance/organization_settings", {"max_allowed_memberships": -1}, status=422,
        code="form_param_value_invalid")
    api("PATCH", "/v1/instance/organization_settings", {"domains_enrollment_modes": ["magic"]}, status=422,
        code="form_param_value_invalid")
    api("PATCH", "/v1/instance/organization_settings", {"creator_role_id": "role_missing"}, status=404,
        code="resource_not_found")
    roles = {r["key"]: r["id"] for r in api("GET", "/v1/organization_roles")["data"]}
    # org:member lacks the creator permissions
    api("PATCH", "/v1/instance/organization_settings", {"creator_role_id": roles["org:member"]}, status=422,
        code="organization_missing_creator_role_permissions")
    s = api("PATCH", "/v1/instance/organization_settings", {"domains_default_role_id": roles["org:admin"]})
    assert s["domains_default_role"] == "org:admin" and s["max_allowed_memberships"] == 2
    assert api("PATCH", "/v1/instance/organization_settings",
               {"creator_role_id": roles["org:admin"]})["creator_role"] == "org:admin"


def test_beta_instance_settings() -> None:
    api = Api()
    s = api("PATCH", "/v1/beta_features/instance_settings",
            {"restricted_to_allowlist": True, "from_email_address": "hello", "test_mode": False})
    assert s["object"] == "instance_settings" and s["id"] == api.state.instance.id
    assert s["restricted_to_allowlist"] is True and s["from_email_address"] == "hello"
    assert api("PATCH", "/v1/instance/restrictions", {})["allowlist"] is True  # the same switch
    assert api.state.instance_config.settings["test_mode"] is False
    api("PATCH", "/v1/beta_features/instance_settings", {"from_email_address": "no-reply@x.com"}, status=422,
        code="form_param_format_invalid")


def test_svix_app() -> None:
    api = Api()
    api("POST", "/v1/webhooks/svix_url", status=400, code="svix_app_missing")
    api("DELETE", "/v1/webhooks/svix", status=400, code="svix_app_missing")
    url = api("POST", "/v1/webhooks/svix")["svix_url"]
    assert url.startswith("https://app.svix.com/")
    assert api("POST", "/v1/webhooks/svix_url") == {"svix_url": url}
    assert api("DELETE", "/v1/webhooks/svix", status=204) is None
    api("POST", "/v1/webhooks/svix_url", status=400, code="svix_app_missing")


def test_sign_ups_read_and_update() -> None:
    api = Api()
    api("GET", "/v1/sign_ups/sua_missing", status=404, code="resource_not_found")
    api("PATCH", "/v1/sign_ups/sua_missing", {"external_id": "x"}, status=404, code="resource_not_found")
    api.state.instance_config.sign_ups["sua_1"] = SignUp("sua_1", T0, email_address="ann@example.com",
                                                         missing_fields=["password"],
                                                         unverified_fields=["email_address"])
    s = api("GET", "/v1/sign_ups/sua_1")
    assert s["object"] == "sign_up_attempt" and s["status"] == "missing_requirements"
    assert s["verifications"]["email_address"]["status"] == "unverified" and s["verifications"]["phone_number"] is None
    s = api("PATCH", "/v1/sign_ups/sua_1", {"external_id": "ext-1", "custom_action": True})
    assert (s["external_id"], s["custom_action"]) == ("ext-1", True)
    assert api("PATCH", "/v1/sign_ups/sua_1", {"external_id": None})["external_id"] is None
