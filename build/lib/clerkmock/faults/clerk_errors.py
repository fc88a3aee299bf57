"""Clerk error codes a `respond` fault can name, with the status and messages Clerk uses for them
(reference/clerk-bapi.md §6).  ``respond: {error: too_many_requests}`` fills in the rest from here."""

from __future__ import annotations

# code -> (status, message, long_message)
KNOWN_ERRORS: dict[str, tuple[int, str, str]] = {
    "bad_request": (400, "bad request", "The request was invalid."),
    "request_body_invalid": (
        400, "Request body invalid",
        "The request body is invalid. Please consult the API documentation for more information."),
    "authentication_invalid": (
        401, "Invalid authentication", "Unable to authenticate the request, you need to supply an active session"),
    "clerk_key_invalid": (
        401, "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.",
        "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct."),
    "authorization_header_format_invalid": (
        401, "Invalid Authorization header format",
        "Invalid Authorization header format. Must be 'Bearer <YOUR_API_KEY>'"),
    "authorization_invalid": (403, "Unauthorized request", "You are not authorized to perform this request"),
    "user_quota_exceeded": (403, "user quota exceeded", "You have reached your limit of users."),
    "quota_exceeded": (403, "quota exceeded", "You have reached your quota."),
    "feature_not_enabled": (403, "feature not enabled", "This feature is not enabled on this instance."),
    "resource_not_found": (404, "not found", "Resource not found"),
    "operation_deprecated": (410, "operation deprecated", "This operation is deprecated and no longer served."),
    "form_param_missing": (422, "is missing", "A required parameter is missing."),
    "form_param_format_invalid": (422, "is invalid", "A parameter has an invalid format."),
    "form_param_value_invalid": (422, "is invalid", "A parameter has an invalid value."),
    "form_identifier_exists": (
        422, "That email address is taken. Please try another.", "That email address is taken. Please try another."),
    "too_many_requests": (429, "Too many requests", "Too many requests, retry later"),
    "internal_clerk_error": (500, "Oops, an unexpected error occurred", "Oops, an unexpected error occurred"),
    # Not Clerk codes: a gateway in front of Clerk answers these; clerkmock keeps Clerk's envelope for them.
    "bad_gateway": (502, "Bad gateway", "The upstream server returned an invalid response."),
    "service_unavailable": (503, "Service unavailable", "The service is temporarily unavailable."),
    "gateway_timeout": (504, "Gateway timeout", "The upstream server did not answer in time."),
    "maintenance_mode": (
        503, "System under maintenance",
        "We are currently undergoing maintenance and only essential operations are permitted. "
        "We will be back shortly."),
}

_BY_STATUS = {
    400: "bad_request", 401: "authentication_invalid", 403: "authorization_invalid", 404: "resource_not_found",
    410: "operation_deprecated", 422: "form_param_value_invalid", 429: "too_many_requests",
    500: "internal_clerk_error", 502: "bad_gateway", 503: "service_unavailable", 504: "gateway_timeout",
}


def default_code_for_status(status: int) -> str:
    """The code a bare ``respond: {status: N}`` uses."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return "internal_clerk_error" if status >= 500 else "bad_request"
