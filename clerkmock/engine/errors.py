"""Clerk's error envelope and one constructor per Clerk error code (reference/clerk-bapi.md §6).

Resource code raises `ClerkError`; only `Engine.handle` renders it into
``{"errors":[{message,long_message,code,meta}],"clerk_trace_id"}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class ClerkError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        long_message: str | None = None,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {long_message or message}")
        self.status = status
        self.code = code
        self.message = message
        self.long_message = long_message or message
        self.meta = meta
        self.headers = headers or {}

    def error_json(self) -> dict[str, Any]:
        item: dict[str, Any] = {"message": self.message, "long_message": self.long_message, "code": self.code}
        if self.meta is not None:
            item["meta"] = self.meta
        return item


# -- 401 / 403: authentication ---------------------------------------------------------------------------

def authorization_header_format_invalid() -> ClerkError:
    return ClerkError(
        401,
        "authorization_header_format_invalid",
        "Invalid Authorization header format",
        "Invalid Authorization header format. Must be 'Bearer <YOUR_API_KEY>'",
    )


def authentication_invalid(
    long_message: str = "Unable to authenticate the request, you need to supply an active session",
) -> ClerkError:
    return ClerkError(401, "authentication_invalid", "Invalid authentication", long_message)


def authorization_invalid() -> ClerkError:
    return ClerkError(403, "authorization_invalid", "Unauthorized request",
                      "You are not authorized to perform this request")


def clerk_key_invalid() -> ClerkError:
    msg = "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct."
    return ClerkError(401, "clerk_key_invalid", msg, msg)


def publishable_key_as_secret() -> ClerkError:
    """A ``pk_…`` key in ``Authorization``: the most common wiring mistake.  Clerk's 401, with a long message
    that says which key is needed."""
    msg = "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct."
    return ClerkError(401, "clerk_key_invalid", msg,
                      f"{msg} This is a publishable key (pk_...): the Backend API needs the secret key (sk_...), "
                      "CLERK_SECRET_KEY.")


# -- 400: request shape -------------------------------------------------------------------------------------

def request_body_invalid(detail: str = "") -> ClerkError:
    long = "The request body is invalid. Please consult the API documentation for more information."
    return ClerkError(400, "request_body_invalid", "Request body invalid", f"{long} {detail}".strip())


def invalid_query_parameter_value(param: str, detail: str) -> ClerkError:
    return ClerkError(
        400,
        "invalid_query_parameter_value",
        "Invalid query parameter value",
        f"Invalid value for query parameter {param}: {detail}",
        {"param_name": param},
    )


def missing_query_parameter(*params: str) -> ClerkError:
    names = ", ".join(params)
    return ClerkError(
        400,
        "missing_query_parameter",
        "Missing query parameter",
        f"Either of the following query parameters must be provided: {names}",
        {"param_names": list(params)},
    )


def invalid_api_version(value: str, known: list[str]) -> ClerkError:
    return ClerkError(
        400,
        "invalid_api_version",
        "Invalid API version",
        f"The API version '{value}' is not supported. Supported versions: {', '.join(known)}. "
        "Send it in the Clerk-API-Version header or the __clerk_api_version query parameter, not both.",
        {"api_version": value},
    )


def bad_request(message: str, long_message: str | None = None, code: str = "bad_request") -> ClerkError:
    return ClerkError(400, code, message, long_message)


def unsupported_content_type(ctype: str, expected: str) -> ClerkError:
    return ClerkError(
        415,
        "unsupported_content_type",
        "Unsupported content type",
        f"Content type '{ctype}' is not supported for this request; send {expected}.",
    )


def request_too_large(limit: int) -> ClerkError:
    return ClerkError(
        413,
        "request_body_too_large",
        "Request body too large",
        f"The request body exceeds the maximum allowed size of {limit} bytes.",
    )


# -- 404 ----------------------------------------------------------------------------------------------------

def resource_not_found(long_message: str = "Resource not found", message: str = "not found") -> ClerkError:
    return ClerkError(404, "resource_not_found", message, long_message)


def route_not_found(method: str, path: str, hint: str = "") -> ClerkError:
    long = f"No route matches {method} {path}." + (f" {hint}" if hint else "")
    return ClerkError(404, "resource_not_found", "not found", long, {"method": method, "path": path})


def method_not_allowed(method: str, path: str, allowed: list[str] | None = None,
                       long_message: str | None = None) -> ClerkError:
    """405; ``allowed`` fills the Allow header."""
    return ClerkError(405, "method_not_allowed", "method not allowed",
                      long_message or f"{method} is not allowed on {path}.",
                      headers={"Allow": ", ".join(sorted(allowed))} if allowed is not None else None)


# -- 422: form errors (all carry meta.param_name) --------------------------------------------------------------

def _form(code: str, message: str, long_message: str, param: str, **meta: Any) -> ClerkError:
    return ClerkError(422, code, message, long_message, {"param_name": param, **meta})


def form_param_missing(param: str) -> ClerkError:
    return _form("form_param_missing", "is missing", f"{param} must be included.", param)


def form_param_unknown(param: str, valid: tuple[str, ...] | list[str] = ()) -> ClerkError:
    """``valid``: the parameters the request takes, named in the long message (clerkmock's control routes)."""
    long = (f"{param} is not a valid parameter (valid: {', '.join(valid)})." if valid else
            f"{param} is not a valid parameter for this request.")
    return _form("form_param_unknown", "is unknown", long, param)


def form_param_nil(param: str) -> ClerkError:
    return _form("form_param_nil", "cannot be null", f"{param} cannot be null.", param)


def form_param_type_invalid(param: str, expected: str) -> ClerkError:
    return _form("form_param_type_invalid", "is invalid", f"{param} must be of type {expected}.", param)


def form_param_format_invalid(param: str, long_message: str | None = None) -> ClerkError:
    return _form("form_param_format_invalid", "is invalid", long_message or f"{param} is invalid.", param)


def form_param_value_invalid(param: str, long_message: str | None = None) -> ClerkError:
    return _form("form_param_value_invalid", "is invalid", long_message or f"{param} has an invalid value.", param)


def form_param_max_length_exceeded(param: str, limit: int) -> ClerkError:
    return _form(
        "form_param_max_length_exceeded", "is too long", f"{param} must not exceed {limit} characters.", param
    )


def form_param_min_length_exceeded(param: str, limit: int) -> ClerkError:
    return _form(
        "form_param_min_length_exceeded", "is too short", f"{param} must be at least {limit} characters.", param
    )


def form_param_duplicate(param: str) -> ClerkError:
    return _form("form_param_duplicate", "is duplicate", f"{param} contains duplicate values.", param)


def form_param_invalid_time(param: str) -> ClerkError:
    return _form(
        "form_param_invalid_time", "is invalid", f"{param} must be a valid RFC3339 timestamp.", param
    )


def form_identifier_exists(param: str, kind: str) -> ClerkError:
    msg = f"That {kind} is taken. Please try another."
    return _form("form_identifier_exists", msg, msg, param)


def form_conditional_param_missing(param: str, requires: str) -> ClerkError:
    return _form(
        "form_conditional_param_missing",
        "is missing",
        f"{param} must be included when {requires} is present.",
        param,
    )


def form_password_length_too_short(param: str = "password", minimum: int = 8) -> ClerkError:
    return _form(
        "form_password_length_too_short",
        f"Passwords must be {minimum} characters or more.",
        f"Passwords must be {minimum} characters or more.",
        param,
    )


def form_password_length_too_long(param: str = "password", maximum: int = 72) -> ClerkError:
    return _form(
        "form_password_length_too_long",
        f"Passwords must be less than {maximum} characters.",
        f"Passwords must be less than {maximum} characters.",
        param,
    )


def form_password_pwned(param: str = "password") -> ClerkError:
    msg = (
        "Password has been found in an online data breach. For account safety, please use a different password."
    )
    return _form("form_password_pwned", msg, msg, param)


def form_password_digest_invalid(param: str = "password_digest") -> ClerkError:
    return _form(
        "form_password_digest_invalid_code",
        "is invalid",
        "The password digest is not valid for the given password hasher.",
        param,
    )


def form_username_invalid_length(param: str = "username") -> ClerkError:
    return _form(
        "form_username_invalid_length",
        "Usernames must be between 4 and 64 characters long.",
        "Usernames must be between 4 and 64 characters long.",
        param,
    )


def form_username_invalid_character(param: str = "username") -> ClerkError:
    return _form(
        "form_username_invalid_character",
        "Usernames can only contain letters, numbers, and '_' or '-'.",
        "Usernames can only contain letters, numbers, and '_' or '-'.",
        param,
    )


def form_file_missing(param: str = "file") -> ClerkError:
    """An upload without its file: Clerk's RequestWithoutImage, a 400 (not a 422) form_param_missing."""
    return ClerkError(400, "form_param_missing", "Image file missing", "There was no image file present in the request",
                      {"param_name": param})


def totp_secret_invalid(param: str = "totp_secret") -> ClerkError:
    return _form("invalid_totp_secret_code", "invalid TOTP secret", f"{param} must be a base32 string.", param)


def form_data_missing(names: list[str]) -> ClerkError:
    return ClerkError(
        422,
        "form_data_missing",
        "missing data",
        f"At least one of {', '.join(names)} must be provided.",
        {"names": names},
    )


def unprocessable(code: str, message: str, long_message: str | None = None, **meta: Any) -> ClerkError:
    return ClerkError(422, code, message, long_message, meta or None)


# -- others ---------------------------------------------------------------------------------------------------

def quota_exceeded(code: str = "quota_exceeded", long_message: str = "You have reached your quota.") -> ClerkError:
    return ClerkError(403, code, code.replace("_", " "), long_message)


def feature_not_enabled() -> ClerkError:
    return ClerkError(403, "feature_not_enabled", "feature not enabled",
                      "This feature is not enabled on this instance.")


def operation_deprecated(what: str) -> ClerkError:
    return ClerkError(410, "operation_deprecated", "operation deprecated", f"{what} is deprecated and no longer served.")


def forbidden(code: str, message: str, long_message: str | None = None) -> ClerkError:
    return ClerkError(403, code, message, long_message)


def too_many_requests(retry_after: int) -> ClerkError:
    return ClerkError(
        429,
        "too_many_requests",
        "Too many requests",
        "Too many requests, retry later",
        headers={"Retry-After": str(retry_after)},
    )


def internal_clerk_error() -> ClerkError:
    return ClerkError(500, "internal_clerk_error", "Oops, an unexpected error occurred")


# -- organizations, memberships, invitations, roles, domains (docs: "Backend API errors", "Frontend API errors") --

def organization_not_found() -> ClerkError:
    return ClerkError(404, "resource_not_found", "not found", "Given organization not found.")


def organization_not_found_in_body(param: str) -> ClerkError:
    """An organization named in a request body that does not exist, where the operation documents 400 (not 404):
    the same code and messages as the 404, plus the parameter."""
    return ClerkError(400, "resource_not_found", "not found", "Given organization not found.", {"param_name": param})


def organization_creator_not_found(user_id: str) -> ClerkError:
    return ClerkError(400, "organization_creator_not_found", "creator not found", f"No users found with id {user_id}.")


def organization_name_invalid(name: str, reason: str) -> ClerkError:
    return _form("form_param_value_invalid", "invalid organization name",
                 f"The organization name {name!r} is invalid: {reason}", "name")


def already_a_member_in_organization(who: str) -> ClerkError:
    return ClerkError(400, "already_a_member_in_organization", "already a member",
                      f"{who} is already a member of the organization.")


def organization_membership_quota_exceeded(limit: int) -> ClerkError:
    return ClerkError(403, "organization_membership_quota_exceeded", "organization membership quota exceeded",
                      f"You have reached your limit of {limit} organization memberships, including outstanding "
                      "invitations.")


def organization_minimum_permissions_needed() -> ClerkError:
    return ClerkError(400, "organization_minimum_permissions_needed", "minimum organization permissions needed",
                      "There has to be at least one organization member with the minimum required permissions")


def not_an_admin_in_organization() -> ClerkError:
    return ClerkError(403, "not_an_admin_in_organization", "not an administrator",
                      "Current user is not an administrator in the organization. Only administrators can perform "
                      "this action.")


def organization_invitation_not_unique() -> ClerkError:
    return ClerkError(400, "organization_invitation_not_unique", "organization invitation not unique",
                      "Organizations cannot have duplicate pending invitations for an email address.")


def duplicate_invitations(emails: list[str]) -> ClerkError:
    return ClerkError(400, "duplicate_record", "duplicate invitations",
                      f"There are already pending invitations for the following email addresses: {', '.join(emails)}",
                      {"email_addresses": emails})


def invitation_already_revoked() -> ClerkError:
    msg = "Invitation is already revoked."
    return ClerkError(400, "invitation_already_revoked", msg, msg)


def invitation_already_accepted() -> ClerkError:
    msg = "Invitation is already accepted, try signing in instead."
    return ClerkError(400, "invitation_already_accepted", msg, msg)


def organization_role_not_found(param: str | None = None) -> ClerkError:
    return ClerkError(404, "resource_not_found", "not found", "Organization role not found",
                      {"param_name": param} if param else None)


def organization_permission_not_found(param: str | None = None) -> ClerkError:
    return ClerkError(404, "resource_not_found", "not found", "Organization permission not found",
                      {"param_name": param} if param else None)


def role_set_not_found(param: str | None = None) -> ClerkError:
    return ClerkError(404, "resource_not_found", "not found", "Role set not found",
                      {"param_name": param} if param else None)


def organization_role_assigned_members() -> ClerkError:
    return ClerkError(422, "organization_role_assigned_members", "role is assigned to organization members",
                      "The organization role is currently assigned to one or more organization members.")


def organization_role_exists_in_invitations() -> ClerkError:
    return ClerkError(422, "organization_role_exists_in_invitations",
                      "role exists in pending organization invitations",
                      "The organization role exists in one or more pending organization invitations. Please revoke "
                      "these invitations to proceed.")


def organization_role_default_creator_role() -> ClerkError:
    return ClerkError(422, "organization_role_default_creator_role", "role is used as the creator role",
                      "The organization role cannot be deleted as it is currently used as the creator role.")


def organization_role_domain_default_role() -> ClerkError:
    return ClerkError(422, "organization_role_domain_default_role", "role is used as the domain default role",
                      "The organization role cannot be deleted as it is currently used as the default domain role.")


def organization_role_permission_association_exists() -> ClerkError:
    return ClerkError(409, "organization_role_permission_association_exists", "permission already assigned to role",
                      "This organization permission is already associated to this organization role.")


def organization_missing_creator_role_permissions(keys: list[str]) -> ClerkError:
    return ClerkError(422, "organization_missing_creator_role_permissions", "missing permissions for creator role",
                      f"The creator role must contain the following permissions: {', '.join(keys)}")


def organization_system_permission_not_modifiable() -> ClerkError:
    return ClerkError(403, "organization_system_permission_not_modifiable",
                      "organization system permission cannot be modified",
                      "This organization permission cannot be modified because it is a system permission.")


def organization_domain_already_exists(param: str = "name") -> ClerkError:
    return _form("organization_domain_already_exists", "organizaton domain already exists",
                 "This domain is already used by another organization.", param)


def organization_domain_common(param: str = "name") -> ClerkError:
    return _form("organization_domain_common", "common email domain",
                 "This is a common email provider domain. Please use a different one.", param)


def organization_domain_quota_exceeded(limit: int) -> ClerkError:
    return ClerkError(403, "organization_domain_quota_exceeded", "organization domains quota exceeded",
                      f"You have reached your limit of {limit} domains per organization.")


def form_resource_not_found(param: str) -> ClerkError:
    return _form("form_resource_not_found", "is missing",
                 f"The resource associated with the supplied {param} was not found.", param)


def bulk_size_exceeded(limit: int) -> ClerkError:
    return ClerkError(400, "bulk_size_exceeded", "bulk size exceeded",
                      f"Parameters exceed the maximum allowed bulk processing size of {limit}.")


# -- sessions, clients and tokens (appended by the auth group) -------------------------------------------------

def request_invalid_for_environment(env_types: str) -> ClerkError:
    return ClerkError(
        400,
        "request_invalid_for_environment",
        "Invalid request for environment",
        f"Request only valid for {env_types} instances.",
    )


# Clerk's "Session Refresh" errors: every one is a 401, which sends the SDKs to the handshake flow.
_SESSION_REFRESH = {
    "session_refresh_session_not_found": ("Session not found", "No session was found with id {sid}"),
    "expired_session_token_invalid": ("Invalid expired_token param",
                                      "The session token provided could not be successfully verified"),
    "expired_session_token_missing_sid": ("missing 'sid' claim",
                                          "No 'sid' claim present in the provided expired session token"),
    "expired_session_token_missing_azp": ("missing 'azp' claim",
                                          "No 'azp' claim present in the provided expired session token"),
    "refresh_sid_mismatch": ("Session ID does not match the 'sid' claim",
                             "The 'sid' claim of the provided expired session token does not match the session ID "
                             "provided in the request path"),
    "refresh_token_not_found": ("Refresh token not found", "The provided refresh token was not found"),
    "refresh_request_origin_invalid": ("Request origin is invalid", "The request_origin parameter could not be parsed"),
    "refresh_request_origin_azp_mismatch": ("Request origin does not match azp claim",
                                            "The request_origin parameter does not match the 'azp' claim of "
                                            "expired_token"),
    "session_refresh_inactive_session": ("session inactive", "The provided session is not active"),
    "session_refresh_user_not_found": ("user not found", "The provided user was not found"),
}


def session_refresh_error(code: str, sid: str = "") -> ClerkError:
    message, long_message = _SESSION_REFRESH[code]
    return ClerkError(401, code, message, long_message.format(sid=sid))


def cookie_invalid(long_message: str) -> ClerkError:
    return ClerkError(400, "cookie_invalid", "invalid cookie", long_message)


def jwt_template_reserved_claim(claim: str) -> ClerkError:
    return ClerkError(400, "jwt_template_reserved_claim", "reserved claim used",
                      f"You can't use the reserved claim: '{claim}'", {"param_name": "claims"})


def machine_token_reserved_claim(claim: str) -> ClerkError:
    return ClerkError(400, "machine_token_reserved_claim", "reserved claim used",
                      f"You can't use the reserved claim: '{claim}'", {"param_name": "claims"})


def sign_in_token_cannot_be_revoked(status: str) -> ClerkError:
    return ClerkError(400, "sign_in_token_cannot_be_revoked_code", "cannot revoke",
                      f"Sign in token cannot be revoked because its status is {status}. "
                      "Only pending tokens can be revoked.")


def actor_token_cannot_be_revoked(status: str) -> ClerkError:
    return ClerkError(400, "actor_token_cannot_be_revoked_code", "cannot revoke",
                      f"Actor token cannot be revoked because its status is {status}. "
                      "Only pending tokens can be revoked.")


def conflict(code: str, message: str, long_message: str | None = None) -> ClerkError:
    return ClerkError(409, code, message, long_message)


def form_param_value_too_large(param: str, limit_bytes: int) -> ClerkError:
    return _form(
        "form_param_value_too_large", "is too large", f"{param} exceeds the maximum allowed size of {limit_bytes} bytes.",
        param,
    )


def agent_task_cannot_be_revoked(status: str) -> ClerkError:
    return ClerkError(400, "agent_task_cannot_be_revoked_code", "cannot revoke",
                      f"Agent task cannot be revoked because its status is {status}. "
                      "Only pending agent tasks can be revoked.")


def admin_portal_link_token_already_revoked() -> ClerkError:
    return ClerkError(400, "admin_portal_link_token_already_revoked", "already revoked",
                      "This admin portal link token has already been revoked.")


# -- Frontend API (what clerk-js shows and reacts to; reference/clerk-fapi.md §1) -------------------------------

def dev_browser_unauthenticated() -> ClerkError:
    """clerk-js answers this 401 by creating a new dev browser and retrying (any other 401 signs it out)."""
    return ClerkError(401, "dev_browser_unauthenticated", "Unauthenticated",
                      "The request could not be authenticated: the dev browser token is missing or unknown.")


def signed_out() -> ClerkError:
    return ClerkError(401, "signed_out", "Signed out", "You are signed out")


def form_identifier_not_found(param: str = "identifier") -> ClerkError:
    return _form("form_identifier_not_found", "Couldn't find your account.", "Couldn't find your account.", param)


def form_password_incorrect() -> ClerkError:
    return _form("form_password_incorrect", "Password is incorrect. Try again, or use another method.",
                 "Password is incorrect. Try again, or use another method.", "password")


def form_code_incorrect() -> ClerkError:
    return _form("form_code_incorrect", "Incorrect code", "Incorrect code", "code")


def verification_failed() -> ClerkError:
    return ClerkError(422, "verification_failed", "Too many failed attempts",
                      "Too many failed attempts. You have to try again with the same or another method.")


def verification_expired() -> ClerkError:
    return ClerkError(422, "verification_expired", "Expired", "This verification has expired. Request a new one.")


def session_exists() -> ClerkError:
    return ClerkError(400, "session_exists", "You're already signed in",
                      "You're currently in single session mode. You can only be signed into one account at a time.")


def strategy_for_user_invalid(strategy: str, param: str = "strategy") -> ClerkError:
    return _form("strategy_for_user_invalid", "Invalid verification strategy",
                 f"The verification strategy {strategy} is not valid for this account.", param)


def verification_strategy_not_valid(strategy: str) -> ClerkError:
    return _form("form_param_value_invalid", "is invalid",
                 f"{strategy} is not a valid strategy for this step.", "strategy")


def user_locked(seconds_left: int) -> ClerkError:
    return ClerkError(403, "user_locked", "Account locked",
                      f"Your account is locked. You will be able to try again in {max(1, seconds_left // 60)} minutes.",
                      {"lockout_expires_in_seconds": seconds_left})


def testing_token_invalid() -> ClerkError:
    return ClerkError(401, "testing_token_invalid", "Invalid testing token",
                      "The __clerk_testing_token is not a testing token of this instance, or it has expired.")


# -- not Clerk's codes: a gateway in front of Clerk answers these (fault rules script them in Clerk's envelope) --

def bad_gateway() -> ClerkError:
    return ClerkError(502, "bad_gateway", "Bad gateway", "The upstream server returned an invalid response.")


def service_unavailable() -> ClerkError:
    return ClerkError(503, "service_unavailable", "Service unavailable", "The service is temporarily unavailable.")


def gateway_timeout() -> ClerkError:
    return ClerkError(504, "gateway_timeout", "Gateway timeout", "The upstream server did not answer in time.")


def maintenance_mode() -> ClerkError:
    msg = ("We are currently undergoing maintenance and only essential operations are permitted. "
           "We will be back shortly.")
    return ClerkError(503, "maintenance_mode", "System under maintenance", msg)


# -- clerkmock's own control plane (/__clerkmock; codes of its own, in Clerk's envelope) -------------------------

CONTROL_REALM = {"WWW-Authenticate": 'Bearer realm="clerkmock control plane"'}


def control_token_required(long_message: str) -> ClerkError:
    return ClerkError(401, "control_token_required", "control token required", long_message, headers=CONTROL_REALM)


def control_host_not_allowed(long_message: str) -> ClerkError:
    return ClerkError(403, "control_host_not_allowed", "host not allowed", long_message)


def control_cross_site_refused(long_message: str) -> ClerkError:
    return ClerkError(403, "control_cross_site_refused", "cross-site request refused", long_message)


def control_request_not_json(long_message: str) -> ClerkError:
    return ClerkError(403, "control_request_not_json", "control request must be JSON", long_message)


def state_document_invalid(detail: str) -> ClerkError:
    return ClerkError(400, "state_document_invalid", "invalid state document", detail)


def env_unknown() -> ClerkError:
    return ClerkError(409, "env_unknown", "no server addresses",
                      "This pipeline is not served by a ClerkMock, so its addresses are unknown.")


def no_forward_proxy(detail: str) -> ClerkError:
    return ClerkError(409, "no_forward_proxy", "no forward proxy", f"This server has {detail}.")


def scenario_invalid(detail: str, line: int | None, problems: list[str]) -> ClerkError:
    return ClerkError(422, "scenario_invalid", "invalid scenario", detail, {"line": line, "errors": problems})


def control_value_invalid(what: str, param: str, long_message: str) -> ClerkError:
    """A fault rule or webhook endpoint the control plane cannot take (``what``: "fault rule" ...)."""
    return ClerkError(422, "form_param_value_invalid", f"invalid {what}", long_message, {"param_name": param})


def protocol_error(status: int, message: str) -> ClerkError:
    """What a listener answers before a request exists (malformed HTTP, headers or body too large)."""
    code = {413: "request_body_too_large", 431: "request_header_too_large"}.get(status, "bad_request")
    return ClerkError(status, code, message)


# -- what a `respond` fault may name (``respond: {error: too_many_requests}``): status and messages come from the
# constructors above, a generic parameter where the code needs one ------------------------------------------------

FAULT_CATALOG: dict[str, Callable[[], ClerkError]] = {
    "bad_request": lambda: bad_request("bad request", "The request was invalid."),
    "request_body_invalid": request_body_invalid,
    "authentication_invalid": authentication_invalid,
    "clerk_key_invalid": clerk_key_invalid,
    "authorization_header_format_invalid": authorization_header_format_invalid,
    "authorization_invalid": authorization_invalid,
    "user_quota_exceeded": lambda: quota_exceeded("user_quota_exceeded", "You have reached your limit of users."),
    "quota_exceeded": quota_exceeded,
    "feature_not_enabled": feature_not_enabled,
    "resource_not_found": resource_not_found,
    "operation_deprecated": lambda: operation_deprecated("This operation"),
    "form_param_missing": lambda: form_param_missing("A required parameter"),
    "form_param_format_invalid": lambda: form_param_format_invalid("A parameter"),
    "form_param_value_invalid": lambda: form_param_value_invalid("A parameter"),
    "form_identifier_exists": lambda: form_identifier_exists("identifier", "email address"),
    "too_many_requests": lambda: too_many_requests(1),
    "internal_clerk_error": internal_clerk_error,
    "bad_gateway": bad_gateway,
    "service_unavailable": service_unavailable,
    "gateway_timeout": gateway_timeout,
    "maintenance_mode": maintenance_mode,
}

_CODE_FOR_STATUS = {
    400: "bad_request", 401: "authentication_invalid", 403: "authorization_invalid", 404: "resource_not_found",
    410: "operation_deprecated", 422: "form_param_value_invalid", 429: "too_many_requests",
    500: "internal_clerk_error", 502: "bad_gateway", 503: "service_unavailable", 504: "gateway_timeout",
}


def code_for_status(status: int) -> str:
    """The code a bare ``respond: {status: N}`` fault uses."""
    return _CODE_FOR_STATUS.get(status) or ("internal_clerk_error" if status >= 500 else "bad_request")
