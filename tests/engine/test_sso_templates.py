"""Email & SMS templates at engine level: seeded standard templates with fixed ids, bare-array and paginated
lists, upsert (an override with its own id), required variables, revert, preview, delivery toggle."""

from __future__ import annotations

from sdk import spec_check  # tests/ is on sys.path: one module copy, whose findings the session reports

from .helpers import T0, call
from .orgs_helpers import Api

TEMPLATE = "/components/schemas/Template"


def test_standard_templates_are_seeded_with_fixed_ids() -> None:
    api = Api()
    emails = api("GET", "/v1/templates/email")
    slugs = [t["slug"] for t in emails]
    assert {"verification_code", "reset_password_code", "invitation", "magic_link_sign_in"} <= set(slugs)
    assert [t["position"] for t in emails] == list(range(len(emails)))
    t = emails[0]
    assert (t["object"], t["resource_type"], t["template_type"], t["can_revert"], t["instance_id"]) == (
        "template", "system", "email", False, None)
    assert "otp_code" in t["required_variables"] and "{{otp_code}}" in t["body"] and t["created_at"] == T0
    assert Api()("GET", "/v1/templates/email") == emails  # same ids on another engine
    sms = api("GET", "/v1/templates/sms")
    assert all(s["subject"] is None and s["template_type"] == "sms" for s in sms)
    assert {s["slug"] for s in sms if s["can_toggle"]} >= {"password_changed"}
    assert api("GET", "/v1/templates/sms/verification_code")["id"] != api(
        "GET", "/v1/templates/email/verification_code")["id"]
    api("GET", "/v1/templates/email/nope", status=404, code="resource_not_found")
    api("GET", "/v1/templates/fax", status=400, code="bad_request")
    api("GET", "/v1/templates/fax/verification_code", status=400, code="bad_request")


def test_paginated_list() -> None:
    api = Api()
    everything = api("GET", "/v1/templates/email")
    # the shared helper checks paginated pages against the invitation schema: check this one here
    response = call(api.engine, "GET", "/v1/templates/email?paginated=true&limit=2&offset=1")
    data = response.json()
    assert response.status == 200 and set(data) == {"data", "total_count"}
    assert data["total_count"] == len(everything) and data["data"] == everything[1:3]
    for item in data["data"]:
        spec_check.validate_schema(TEMPLATE, item)


def test_upsert_revert() -> None:
    api = Api()
    system = api("GET", "/v1/templates/email/verification_code")
    api.tick()
    up = api("PUT", "/v1/templates/email/verification_code",
             {"name": "Code", "subject": "Your code {{otp_code}}", "body": "<p>{{otp_code}}</p>",
              "from_email_name": "hello", "reply_to_email_name": "support", "markup": "<mjml/>"})
    assert up["resource_type"] == "user" and up["can_revert"] is True and up["id"] != system["id"]
    assert (up["name"], up["subject"], up["body"], up["from_email_name"], up["reply_to_email_name"]) == (
        "Code", "Your code {{otp_code}}", "<p>{{otp_code}}</p>", "hello", "support")
    assert up["position"] == system["position"] and up["updated_at"] == T0 + 1000
    assert up["instance_id"] is not None
    assert api("GET", "/v1/templates/email/verification_code") == up
    # required variables stay in the body; a blank subject is refused; nothing is written
    api("PUT", "/v1/templates/email/verification_code", {"body": "no code"}, status=422,
        code="form_param_value_invalid")
    api("PUT", "/v1/templates/email/verification_code", {"subject": " "}, status=422, code="form_param_missing")
    api("PUT", "/v1/templates/email/nope", {"body": "x"}, status=404)
    assert api("GET", "/v1/templates/email/verification_code") == up
    again = api("PUT", "/v1/templates/email/verification_code", {"name": "Code 2"})
    assert again["id"] == up["id"] and again["body"] == up["body"]
    reverted = api("POST", "/v1/templates/email/verification_code/revert")
    assert reverted["id"] == system["id"] and reverted["resource_type"] == "system"
    assert reverted["body"] == system["body"]
    assert api("POST", "/v1/templates/email/verification_code/revert")["id"] == system["id"]
    # SMS: email-only fields are not kept
    sms = api("PUT", "/v1/templates/sms/verification_code", {"body": "Code: {{otp_code}}", "subject": "x",
                                                             "from_email_name": "x"})
    assert sms["subject"] is None and sms["from_email_name"] == "" and sms["body"] == "Code: {{otp_code}}"


def test_preview_and_toggle_delivery() -> None:
    api = Api()
    p = api("POST", "/v1/templates/email/verification_code/preview", {"subject": "Hi {{app.name}} {{otp_code}}"})
    assert p["subject"] == "Hi My App 123456" and "123456" in p["body"] and "{{" not in p["body"]
    assert p["from_email_address"].startswith("notifications@")
    sms = api("POST", "/v1/templates/sms/verification_code/preview", {"body": "{{otp_code}}!"})
    assert sms["body"] == "123456!"
    api("POST", "/v1/templates/sms/nope/preview", {}, status=404)
    off = api("POST", "/v1/templates/sms/verification_code/toggle_delivery", {"delivered_by_clerk": False})
    assert off["delivered_by_clerk"] is False
    assert api("GET", "/v1/templates/sms/verification_code")["delivered_by_clerk"] is False
    assert api("POST", "/v1/templates/sms/verification_code/toggle_delivery", {})["delivered_by_clerk"] is True
