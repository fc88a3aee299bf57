"""Clerk's error envelope and one constructor per Clerk error code (reference/clerk-bapi.md §6).

Resource code raises `ClerkError`; only `Engine.handle` renders it into
``{"errors":[{message,long_message,code,meta}],"clerk_trace_id"}``.
"""

from __future__ import annotations

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


def authentication_invalid() -> ClerkError:
    return ClerkError(
        401,
        "authentication_invalid",
        "Invalid authentication",
        "Unable to authenticate the request, you need to supply an active session",
    )


def clerk_key_invalid() -> ClerkError:
    msg = "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct."
    return ClerkError(401, "clerk_key_invalid", msg, msg)


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


# -- 422: form errors (all carry meta.param_name) --------------------------------------------------------------

def _form(code: str, message: str, long_message: str, param: str, **meta: Any) -> ClerkError:
    return ClerkError(422, code, message, long_message, {"param_name": param, **meta})


def form_param_missing(param: str) -> ClerkError:
    return _form("form_param_missing", "is missing", f"{param} must be included.", param)


def form_param_unknown(param: str) -> ClerkError:
    return _form("form_param_unknown", "is unknown", f"{param} is not a valid parameter for this request.", param)


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
