"""Email & SMS Templates (deprecated, served): GetTemplateList, GetTemplate, UpsertTemplate, RevertTemplate,
PreviewTemplate, ToggleTemplateDelivery.

- Every instance starts with Clerk's standard templates per type (``system`` resource type), seeded on first use
  with ids fixed by (type, slug), so they repeat across runs and resets.  An unknown slug is a 404
  ``resource_not_found``: templates cannot be created, only overridden.
- Upserting overrides a system template: the template becomes a ``user`` template (a new ``tmpl_`` id, position
  and slug kept) and ``can_revert`` turns true; reverting restores the system default and its id (reverting a
  system template returns it unchanged).  ``subject``, ``from_email_name`` and ``reply_to_email_name`` apply to
  email templates only (ignored for SMS).  A body must keep the template's ``required_variables``
  (``{{name}}`` placeholders): 422 ``form_param_value_invalid`` on ``body``; an email subject cannot be blank.
- Preview interpolates the given (or stored) subject and body with sample values and answers
  ``{subject, body, from_email_address, reply_to_email_address}``.
- Toggle delivery sets ``delivered_by_clerk`` (without it: flips it) on either kind of template.
- A template type other than ``email``/``sms`` is a 400 ``bad_request`` (the path parameter's enum; inferred).
- GET lists a bare array by ``position``; ``paginated=true`` gives ``{data, total_count}`` with
  ``limit``/``offset``.
"""

from __future__ import annotations

import re
from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.pagination import limit_offset, paginated
from clerkmock.engine.records.organizations import fixed_id
from clerkmock.engine.records.sso import Template
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("templates")

_COMMON = ["app.name", "app.url", "app.domain_name", "app.logo_url", "theme.primary_color"]
# (slug, name, subject, body, required variables, extra available variables)
EMAIL_TEMPLATES: list[tuple[str, str, str, str, list[str], list[str]]] = [
    ("verification_code", "Verification code", "{{otp_code}} is your verification code",
     "<p>Enter this verification code in {{app.name}}: <strong>{{otp_code}}</strong></p>", ["otp_code"],
     ["requested_at", "requested_by", "requested_from"]),
    ("reset_password_code", "Reset password code", "{{otp_code}} is your password reset code",
     "<p>Use this code to reset your {{app.name}} password: <strong>{{otp_code}}</strong></p>", ["otp_code"],
     ["requested_at", "requested_by", "requested_from"]),
    ("magic_link_sign_in", "Magic link sign in", "Sign in to {{app.name}}",
     "<p><a href=\"{{magic_link}}\">Sign in to {{app.name}}</a></p>", ["magic_link"],
     ["ttl_minutes", "requested_at", "requested_by", "requested_from"]),
    ("magic_link_sign_up", "Magic link sign up", "Sign up to {{app.name}}",
     "<p><a href=\"{{magic_link}}\">Sign up to {{app.name}}</a></p>", ["magic_link"],
     ["ttl_minutes", "requested_at", "requested_by", "requested_from"]),
    ("magic_link_user_profile", "Magic link user profile", "Verify your email",
     "<p><a href=\"{{magic_link}}\">Verify your email for {{app.name}}</a></p>", ["magic_link"],
     ["ttl_minutes", "requested_at", "requested_by", "requested_from"]),
    ("invitation", "Invitation", "You have been invited to join {{app.name}}",
     "<p><a href=\"{{action_url}}\">Accept the invitation to {{app.name}}</a></p>", ["action_url"],
     ["inviter_name"]),
    ("organization_invitation", "Organization invitation", "{{inviter_name}} invited you to {{org.name}}",
     "<p>{{inviter_name}} invited you to join {{org.name}}. <a href=\"{{action_url}}\">Accept</a></p>",
     ["action_url"], ["inviter_name", "org.name"]),
    ("password_changed", "Password changed", "Your password has been changed",
     "<p>The password of your {{app.name}} account {{primary_email_address}} was changed.</p>", [],
     ["primary_email_address", "greeting_name"]),
    ("password_removed", "Password removed", "Your password has been removed",
     "<p>The password of your {{app.name}} account {{primary_email_address}} was removed.</p>", [],
     ["primary_email_address", "greeting_name"]),
    ("primary_email_address_changed", "Primary email address changed", "Your primary email address has been changed",
     "<p>Your primary email address for {{app.name}} is now {{new_email_address}}.</p>", [],
     ["new_email_address", "greeting_name"]),
    ("new_device_sign_in", "New device sign in", "New sign in to your {{app.name}} account",
     "<p>A new device signed in to your account: {{device_type}}, {{browser_name}}, {{location}}.</p>", [],
     ["sign_in_method", "device_type", "browser_name", "operating_system", "location", "ip_address",
      "session_created_at", "support_email"]),
    ("passkey_added", "Passkey added", "A passkey has been added to your account",
     "<p>The passkey {{passkey_name}} was added to your {{app.name}} account.</p>", [], ["passkey_name"]),
    ("passkey_removed", "Passkey removed", "A passkey has been removed from your account",
     "<p>The passkey {{passkey_name}} was removed from your {{app.name}} account.</p>", [], ["passkey_name"]),
    ("waitlist_confirmation", "Waitlist confirmation", "You're on the waitlist for {{app.name}}",
     "<p>Thanks for joining the {{app.name}} waitlist.</p>", [], []),
    ("waitlist_invitation", "Waitlist invitation", "You're invited to join {{app.name}}",
     "<p><a href=\"{{action_url}}\">Join {{app.name}}</a></p>", ["action_url"], []),
]
SMS_TEMPLATES: list[tuple[str, str, str, str, list[str], list[str]]] = [
    ("verification_code", "Verification code", "", "{{otp_code}} is your verification code for {{app.name}}.",
     ["otp_code"], []),
    ("reset_password_code", "Reset password code", "", "{{otp_code}} is your password reset code for {{app.name}}.",
     ["otp_code"], []),
    ("invitation", "Invitation", "", "You have been invited to join {{app.name}}: {{action_url}}", ["action_url"],
     ["inviter_name"]),
    ("password_changed", "Password changed", "", "The password of your {{app.name}} account was changed.", [], []),
    ("password_removed", "Password removed", "", "The password of your {{app.name}} account was removed.", [], []),
    ("primary_phone_number_changed", "Primary phone number changed", "",
     "Your {{app.name}} primary phone number is now {{new_phone_number}}.", [], ["new_phone_number"]),
    ("new_device_sign_in", "New device sign in", "",
     "New sign in to your {{app.name}} account from {{device_type}}, {{location}}.", [], ["device_type", "location"]),
]
CATALOGUE = {"email": EMAIL_TEMPLATES, "sms": SMS_TEMPLATES}
# notification SMS templates can be switched off (the spec's can_toggle note); codes and invitations cannot
TOGGLEABLE_SMS = {"password_changed", "password_removed", "primary_phone_number_changed", "new_device_sign_in"}
SAMPLE = {
    "app.name": "My App", "app.url": "https://example.com", "app.domain_name": "example.com",
    "app.logo_url": "https://img.clerk.com/logo.png", "theme.primary_color": "#6C47FF", "otp_code": "123456",
    "magic_link": "https://example.com/magic-link", "action_url": "https://example.com/accept",
    "inviter_name": "Jane Doe", "org.name": "Acme Inc", "ttl_minutes": "10", "requested_at": "January 1, 2026",
    "requested_by": "Chrome, macOS", "requested_from": "203.0.113.1", "primary_email_address": "user@example.com",
    "new_email_address": "new@example.com", "new_phone_number": "+15555550100", "greeting_name": "Jane",
    "passkey_name": "My passkey", "device_type": "Desktop", "browser_name": "Chrome", "operating_system": "macOS",
    "location": "Berlin, DE", "ip_address": "203.0.113.1", "session_created_at": "January 1, 2026",
    "sign_in_method": "password", "support_email": "support@example.com",
}
VAR_RE = re.compile(r"{{{?\s*([\w.]+)\s*}?}}")

# -- serializers --------------------------------------------------------------------------------------------------


def template_json(st: State, t: Template) -> dict[str, Any]:
    email = t.template_type == "email"
    return {
        "object": "template",
        "id": t.id,
        "instance_id": st.instance.id if t.resource_type == "user" else None,
        "resource_type": t.resource_type,
        "template_type": t.template_type,
        "name": t.name,
        "slug": t.slug,
        "position": t.position,
        "can_revert": t.resource_type == "user",
        "can_delete": False,
        "can_edit_body": True,
        "can_toggle": t.can_toggle,
        "subject": t.subject if email else None,
        "markup": t.markup,
        "body": t.body,
        "available_variables": list(t.available_variables),
        "required_variables": list(t.required_variables),
        "from_email_name": t.from_email_name if email else "",
        "reply_to_email_name": t.reply_to_email_name if email else "",
        "delivered_by_clerk": t.delivered_by_clerk,
        "enabled": t.enabled,
        "flagged_as_suspicious": False,
        "updated_at": t.updated_at,
        "created_at": t.created_at,
    }


# -- operations ---------------------------------------------------------------------------------------------------


def system_template(template_type: str, position: int, now: int) -> Template:
    slug, name, subject, body, required, extra = CATALOGUE[template_type][position]
    return Template(
        fixed_id("tmpl", f"{template_type}/{slug}"), template_type, slug, name, position, body, "",
        subject if template_type == "email" else None, list(required), [*_COMMON, *required, *extra], now, now,
        can_toggle=template_type == "sms" and slug in TOGGLEABLE_SMS,
    )


def check_type(template_type: str) -> str:
    if template_type not in CATALOGUE:
        raise errors.bad_request("template_type is invalid",
                                 f"template_type must be one of {', '.join(CATALOGUE)}, not {template_type!r}.")
    return template_type


def templates_of(st: State, template_type: str, now: int) -> list[Template]:
    check_type(template_type)
    table = st.sso.templates
    for position in range(len(CATALOGUE[template_type])):
        slug = CATALOGUE[template_type][position][0]
        if (template_type, slug) not in table:
            table[(template_type, slug)] = system_template(template_type, position, now)
    return sorted((t for (kind, _), t in table.items() if kind == template_type), key=lambda t: t.position)


def require_template(ctx: Ctx) -> Template:
    template_type, slug = ctx.path["template_type"], ctx.path["slug"]
    templates_of(ctx.state, template_type, ctx.now)
    t = ctx.state.sso.templates.get((template_type, slug))
    if t is None:
        raise errors.resource_not_found(f"No {template_type} template was found with slug {slug}")
    return t


def variables(text: str | None) -> set[str]:
    return set(VAR_RE.findall(text or ""))


def render(text: str | None) -> str | None:
    if text is None:
        return None
    return VAR_RE.sub(lambda m: SAMPLE.get(m.group(1), ""), text)


# -- handlers -----------------------------------------------------------------------------------------------------


@ROUTES.get("/templates/{template_type}", "list")
def get_template_list(ctx: Ctx) -> Json:
    st = ctx.state
    templates = templates_of(st, ctx.path["template_type"], ctx.now)
    if ctx.query.get("paginated"):
        limit, offset = limit_offset(ctx.query)
        return paginated([template_json(st, t) for t in templates[offset: offset + limit]], len(templates))
    return [template_json(st, t) for t in templates]


@ROUTES.get("/templates/{template_type}/{slug}", "get")
def get_template(ctx: Ctx) -> Json:
    return template_json(ctx.state, require_template(ctx))


@ROUTES.put("/templates/{template_type}/{slug}", "upsert")
def upsert_template(ctx: Ctx) -> Json:
    st, b, now = ctx.state, ctx.body, ctx.now
    t = require_template(ctx)
    email = t.template_type == "email"
    name = b.get("name", t.name)
    if not isinstance(name, str) or not name.strip():
        raise errors.form_param_missing("name")
    body = b.get("body", t.body)
    missing = [v for v in t.required_variables if v not in variables(body)]
    if missing:
        raise errors.form_param_value_invalid(
            "body", f"body must contain the required variables: {', '.join('{{' + v + '}}' for v in missing)}.")
    subject = t.subject
    if email and "subject" in b:
        subject = b["subject"]
        if subject is None or not subject.strip():
            raise errors.form_param_missing("subject")
    if t.resource_type == "system":
        t.id, t.resource_type, t.created_at = st.ids.new("tmpl"), "user", now
    t.name, t.body, t.subject = name.strip(), body, subject
    if "markup" in b:
        t.markup = b["markup"] or ""
    if email:
        for key in ("from_email_name", "reply_to_email_name"):
            if key in b:
                setattr(t, key, b[key])
    if b.get("delivered_by_clerk") is not None:
        t.delivered_by_clerk = bool(b["delivered_by_clerk"])
    t.updated_at = now
    return template_json(st, t)


@ROUTES.post("/templates/{template_type}/{slug}/revert", "revert")
def revert_template(ctx: Ctx) -> Json:
    st = ctx.state
    t = require_template(ctx)
    if t.resource_type == "user":
        t = system_template(t.template_type, t.position, ctx.now)
        st.sso.templates[(t.template_type, t.slug)] = t
    return template_json(st, t)


@ROUTES.post("/templates/{template_type}/{slug}/preview", "preview")
def preview_template(ctx: Ctx) -> Json:
    b = ctx.body
    t = require_template(ctx)
    email = t.template_type == "email"
    host = "example.com"
    from_name = b.get("from_email_name") or t.from_email_name
    reply_name = b.get("reply_to_email_name") or t.reply_to_email_name
    out: dict[str, Any] = {
        "subject": render(b.get("subject", t.subject)) if email else None,
        "body": render(b.get("body", t.body)),
    }
    if email:
        out["from_email_address"] = f"{from_name}@{host}"
        out["reply_to_email_address"] = f"{reply_name}@{host}" if reply_name else ""
    return out


@ROUTES.post("/templates/{template_type}/{slug}/toggle_delivery", "toggle_delivery")
def toggle_template_delivery(ctx: Ctx) -> Json:
    t = require_template(ctx)
    value = ctx.body.get("delivered_by_clerk") if isinstance(ctx.body, dict) else None
    t.delivered_by_clerk = (not t.delivered_by_clerk) if value is None else bool(value)
    t.updated_at = ctx.now
    return template_json(ctx.state, t)
