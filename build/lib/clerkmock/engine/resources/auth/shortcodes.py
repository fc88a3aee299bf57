"""JWT template shortcodes: ``{{user.first_name}}``, ``{{user.public_metadata.plan}}``, ``{{org.role}}`` ...

Rules (Clerk's JWT template docs, with the gaps noted as inferences):

* a string that is exactly one shortcode becomes the shortcode's value with its JSON type (an object for
  ``{{user.public_metadata}}``, a bool for ``{{user.email_verified}}``); an unresolvable one becomes ``null``
  (the docs' example renders a missing last name as ``"surname": null``);
* shortcodes inside a longer string are interpolated (``"{{user.first_name}} {{user.last_name}}"``); a missing
  value interpolates as the empty string (inferred);
* ``a || b || 'literal'`` takes the first alternative that resolves to a non-null value;
* static values (numbers, arrays, objects ...) are kept, and rendered recursively inside arrays and objects.
"""

from __future__ import annotations

import json
import re
from typing import Any

from clerkmock.engine.records import User
from clerkmock.engine.resources.auth.claims import OrgMembership, user_organizations
from clerkmock.engine.state import State

SHORTCODE_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_MISSING = object()


def render(value: Any, scope: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return _render_string(value, scope)
    if isinstance(value, list):
        return [render(v, scope) for v in value]
    if isinstance(value, dict):
        return {k: render(v, scope) for k, v in value.items()}
    return value


def _render_string(text: str, scope: dict[str, Any]) -> Any:
    whole = SHORTCODE_RE.fullmatch(text.strip())
    if whole:
        return _evaluate(whole.group(1), scope)
    if "{{" not in text:
        return text
    return SHORTCODE_RE.sub(lambda m: _as_text(_evaluate(m.group(1), scope)), text)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _evaluate(expression: str, scope: dict[str, Any]) -> Any:
    for alternative in expression.split("||"):
        alternative = alternative.strip()
        value = _literal(alternative)
        if value is _MISSING:
            value = _lookup(alternative, scope)
        if value is not None and value is not _MISSING:
            return value
    return None


def _literal(token: str) -> Any:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        return token[1:-1]
    if token in ("true", "false"):
        return token == "true"
    if re.fullmatch(r"-?\d+(\.\d+)?", token):
        return float(token) if "." in token else int(token)
    return _MISSING


def _lookup(path: str, scope: dict[str, Any]) -> Any:
    node: Any = scope
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


# -- the scope: what the shortcodes can see -----------------------------------------------------------------------


def user_scope(st: State, user: User) -> dict[str, Any]:
    def primary(primary_id: str | None) -> tuple[str | None, bool | None]:
        idn = st.identifications.get(primary_id) if primary_id else None
        if idn is None:
            return None, None
        verified = idn.verification is not None and idn.verification.status == "verified"
        return idn.value, verified

    email, email_verified = primary(user.primary_email_address_id)
    phone, phone_verified = primary(user.primary_phone_number_id)
    wallet, wallet_verified = primary(user.primary_web3_wallet_id)
    full_name = " ".join(n for n in (user.first_name, user.last_name) if n) or None
    from clerkmock.engine.resources.users import default_image_url  # users imports nothing from auth

    image_url = user.image_url or default_image_url(st, user)
    return {
        "id": user.id,
        "external_id": user.external_id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "full_name": full_name,
        "username": user.username,
        "primary_email_address": email,
        "email_verified": email_verified,
        "primary_phone_number": phone,
        "phone_number_verified": phone_verified,
        "primary_web3_wallet": wallet,
        "web3_wallet_verified": wallet_verified,
        "image_url": image_url,
        "profile_image_url": image_url,
        "has_image": user.image_url is not None,
        "public_metadata": user.public_metadata,
        "unsafe_metadata": user.unsafe_metadata,
        "two_factor_enabled": user.totp_secret is not None or bool(user.backup_code_hashes),
        "created_at": user.created_at // 1000,  # JWT-style seconds (inferred)
        "updated_at": user.updated_at // 1000,
        "organizations": user_organizations(st, user.id),
    }


def org_scope(m: OrgMembership | None) -> dict[str, Any]:
    if m is None:
        return {}
    return {
        "id": m.org_id,
        "name": m.name,
        "slug": m.slug,
        "image_url": m.image_url,
        "has_image": m.has_image,
        "role": m.role,
        "public_metadata": m.public_metadata,
        "membership_permissions": list(m.permissions),
    }


def scope_for(st: State, user: User, membership: OrgMembership | None, actor: dict[str, Any] | None,
              session_id: str) -> dict[str, Any]:
    return {
        "user": user_scope(st, user),
        "org": org_scope(membership),
        "org_membership": {"public_metadata": membership.membership_public_metadata} if membership else {},
        "session": {"id": session_id, "actor": actor},
    }
