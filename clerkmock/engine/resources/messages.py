"""The emails and SMS messages Clerk would send, as the payloads of ``email.created`` / ``sms.created``.

clerkmock sends nothing; it reports what Clerk would have sent, shaped like the webhook spec's
``EmailEventPayload`` and ``SmsEventPayload`` (``delivered_by_clerk: true``, ``status: queued``).  The
interesting parts are in ``data`` -- the one-time code (``otp_code``) of a verification, the ``action_url``
of an invitation -- so a test can complete a flow from the webhook alone.  No routes: the operations that
"send" (PrepareEmailAddressVerification, PreparePhoneNumberVerification, CreateInvitation with ``notify``,
CreateOrganizationInvitation, the Frontend API's codes) emit these, and the one-time codes are also kept in the
state (`keep`) for ``GET /__clerkmock/messages``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from clerkmock.engine import events
from clerkmock.engine.ids import base62
from clerkmock.engine.records.fapi import Message
from clerkmock.engine.state import State

MAX_KEPT = 500  # GET /__clerkmock/messages keeps the newest ones
APP_NAME = "clerkmock"
FROM_EMAIL_NAME = "notifications"
FROM_PHONE_NUMBER = "+15555550100"


def _app(st: State) -> dict[str, Any]:
    host = st.instance.frontend_host
    return {"name": APP_NAME, "domain_name": host, "url": f"https://{host}", "logo_url": None,
            "logo_image_url": ""}


def _when(now: int) -> str:
    return datetime.fromtimestamp(now / 1000, UTC).strftime("%d %B %Y, %H:%M UTC")


def _html(title: str, *lines: str) -> str:
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in lines)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
            f"<body>{paragraphs}</body></html>")


def email_json(st: State, *, slug: str, to: str, subject: str, lines: tuple[str, ...], data: dict[str, Any],
               email_address_id: str | None = None, user_id: str | None = None) -> dict[str, Any]:
    return {
        "object": "email",
        "id": events.new_id(st, "ema"),
        "slug": slug,
        "from_email_name": FROM_EMAIL_NAME,
        "reply_to_email_name": None,
        "to_email_address": to,
        "email_address_id": email_address_id,
        "user_id": user_id,
        "subject": subject,
        "body": _html(subject, *lines),
        "body_plain": "\n\n".join(lines),
        "status": "queued",
        "data": {"app": _app(st), **data},
        "delivered_by_clerk": True,
    }


def verification_email_json(st: State, *, to: str, code: str, email_address_id: str, user_id: str | None,
                            now: int) -> dict[str, Any]:
    requested = _when(now)
    return email_json(
        st, slug="verification_code", to=to, subject=f"{code} is your verification code",
        lines=(f"{code} is your verification code for {APP_NAME}.", "Do not share this with anyone.",
               f"It was requested at {requested}. If you did not request this, please ignore this email."),
        data={"otp_code": code, "requested_at": requested, "requested_by": "clerkmock",
              "user": {"public_metadata": {}, "public_metadata_fallback": ""}},
        email_address_id=email_address_id, user_id=user_id,
    )


def invitation_email_json(st: State, *, to: str, url: str, slug: str = "invitation",
                          organization_name: str | None = None, inviter_name: str | None = None) -> dict[str, Any]:
    """Instance invitations (slug ``invitation``) and organization invitations (``organization_invitation``)."""
    target = f"join {organization_name} on {APP_NAME}" if organization_name else f"join {APP_NAME}"
    subject = f"{inviter_name} invited you to {target}" if inviter_name else f"You're invited to {target}"
    data: dict[str, Any] = {"action_url": url, "inviter_name": inviter_name or ""}
    if organization_name is not None:
        data["org_name"] = organization_name
    return email_json(st, slug=slug, to=to, subject=subject,
                      lines=(f"{subject}.", f"Accept the invitation: {url}"), data=data)


def verification_sms_json(st: State, *, to: str, code: str, phone_number_id: str, user_id: str | None,
                          now: int) -> dict[str, Any]:
    return {
        "object": "sms_message",
        "id": events.new_id(st, "sms"),
        "slug": "verification_code",
        "from_phone_number": FROM_PHONE_NUMBER,
        "to_phone_number": to,
        "phone_number_id": phone_number_id,
        "user_id": user_id,
        "message": f"{code} is your verification code for {APP_NAME}.",
        "status": "queued",
        "data": {"otp_code": code, "app_name": APP_NAME},
        "delivered_by_clerk": True,
        "created_at": now,
        "created_at_ms": now,  # the spec's schema requires this name; its example uses created_at
    }


def keep(st: State, message: Message) -> None:
    """Remember a message "sent" (``GET /__clerkmock/messages``, `clerkmock.messages`): the newest MAX_KEPT."""
    st.fapi.messages.append(message)
    if len(st.fapi.messages) > MAX_KEPT:
        del st.fapi.messages[: len(st.fapi.messages) - MAX_KEPT]


def _message_id(st: State) -> str:
    """Its own counter, not the state's id generator: remembering a message must not shift the ids of the
    records that follow (the same scenario and requests give the same ids with or without this store)."""
    st.fapi.message_seq += 1
    return f"msg_{base62(st.fapi.message_seq, 27)}"


def keep_email(st: State, payload: dict[str, Any], now: int, code: str | None = None) -> None:
    keep(st, Message(id=_message_id(st), kind="email", to=payload["to_email_address"], subject=payload["subject"],
                     body=payload["body_plain"], created_at=now, code=code, slug=payload["slug"],
                     user_id=payload.get("user_id"), links=[payload["data"]["action_url"]]
                     if payload["data"].get("action_url") else []))


def keep_sms(st: State, payload: dict[str, Any], now: int, code: str | None = None) -> None:
    keep(st, Message(id=_message_id(st), kind="sms", to=payload["to_phone_number"], subject="",
                     body=payload["message"], created_at=now, code=code, slug=payload["slug"],
                     user_id=payload.get("user_id")))
