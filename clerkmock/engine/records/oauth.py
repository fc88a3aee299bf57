"""The fake OAuth provider's records: the accounts it knows and the authorizations in flight between a sign-in
(or sign-up) that chose ``oauth_<provider>`` and the Frontend API's ``/v1/oauth_callback``.

Accounts linked to users are the users' own `ExternalAccount` records (records/users.py); `accounts` holds only
those typed on the consent page that no user has yet.  Plain slotted dataclasses, times in Unix ms.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class ProviderAccount:
    """An account at the provider, as its userinfo would describe it."""

    provider: str  # the strategy: oauth_google, oauth_github ...
    provider_user_id: str
    email_address: str
    first_name: str = ""
    last_name: str = ""
    username: str | None = None


@dataclass(slots=True)
class Authorization:
    """One trip to the consent page and back: ``state`` travels through the provider (the browser carries no
    Frontend API credentials on the way back: the callback is a top-level navigation from the provider)."""

    state: str
    strategy: str  # oauth_google ...
    attempt: str  # sign_in | sign_up: which attempt started it
    attempt_id: str
    client_id: str
    redirect_url: str  # where the callback sends the browser (clerk-js's sso-callback)
    callback_url: str  # the Frontend API's /v1/oauth_callback as the browser reaches it
    created_at: int
    code: str | None = None  # issued by the consent page, redeemed once by the callback
    account: ProviderAccount | None = None  # what the consent page answered with
    done: bool = False


class OAuthTables:
    def __init__(self) -> None:
        self.authorizations: dict[str, Authorization] = {}  # state -> authorization
        self.codes: dict[str, str] = {}  # code -> state
        # typed on the consent page, not linked to a user (yet): (strategy, provider_user_id) -> account
        self.accounts: dict[tuple[str, str], ProviderAccount] = {}
