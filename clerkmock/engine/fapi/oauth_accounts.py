"""OAuth providers as the Frontend API sees them (below the sign-in and sign-up modules, which call it): which
``oauth_*`` strategies the environment offers, starting a trip to the fake provider's consent page, the
accounts the provider knows, and linking one to a user as its external account (with the provider's access
token, which ``GET /v1/users/{id}/oauth_access_tokens/{provider}`` returns).  The flow itself is in social.py.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from clerkmock.engine import errors
from clerkmock.engine.fapi import portal
from clerkmock.engine.fapi.routing import FapiCtx
from clerkmock.engine.records import User
from clerkmock.engine.records.fapi import Factor, SignInAttempt, SignUpAttempt
from clerkmock.engine.records.oauth import Authorization, ProviderAccount
from clerkmock.engine.records.users import ExternalAccount
from clerkmock.engine.resources import identifications as idns
from clerkmock.engine.state import State

# The strategies the Frontend API spec knows (UserSettings.Socials); `frontend.social` may enable any of them.
STRATEGIES = (
    "oauth_apple", "oauth_atlassian", "oauth_bitbucket", "oauth_box", "oauth_coinbase", "oauth_custom_mock",
    "oauth_discord", "oauth_dropbox", "oauth_enstall", "oauth_expressen", "oauth_facebook", "oauth_github",
    "oauth_gitlab", "oauth_google", "oauth_hubspot", "oauth_huggingface", "oauth_instagram", "oauth_line",
    "oauth_linear", "oauth_linkedin", "oauth_linkedin_oidc", "oauth_microsoft", "oauth_mock", "oauth_notion",
    "oauth_slack", "oauth_spotify", "oauth_tiktok", "oauth_twitch", "oauth_twitter", "oauth_x", "oauth_xero",
)
NAMES = {"github": "GitHub", "gitlab": "GitLab", "linkedin_oidc": "LinkedIn", "linkedin": "LinkedIn",
         "tiktok": "TikTok", "huggingface": "Hugging Face", "x": "X / Twitter", "custom_mock": "Mock",
         "hubspot": "HubSpot"}
VERIFICATION_MS = 10 * 60 * 1000  # how long the trip to the provider may take (Clerk: 10 minutes)
TOKEN_MS = 60 * 60 * 1000  # the provider's access token lifetime
SCOPES = "email openid profile"


def strategy_of(name: str) -> str | None:
    """``google`` or ``oauth_google`` -> ``oauth_google``; None when the spec knows no such provider."""
    strategy = name if name.startswith("oauth_") else f"oauth_{name}"
    return strategy if strategy in STRATEGIES else None


def display_name(strategy: str) -> str:
    short = strategy.removeprefix("oauth_")
    return NAMES.get(short, short.replace("_", " ").title())


def enabled(st: State) -> list[str]:
    """The strategies the environment offers (scenario key ``frontend.social``, none by default)."""
    return [s for s in (strategy_of(n) for n in st.fapi.settings.get("social") or ()) if s]


def social_json(st: State) -> dict[str, Any]:
    """``user_settings.social``: what <SignIn/> shows a "Continue with …" button for."""
    return {s: {"enabled": True, "required": False, "authenticatable": True, "block_email_subaddresses": False,
                "strategy": s, "not_selectable": False, "deprecated": False, "name": display_name(s),
                "logo_url": None} for s in enabled(st)}


def error_json(code: str, message: str, long_message: str, **meta: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "long_message": long_message, "meta": meta}


def verification_json(f: Factor) -> dict[str, Any]:
    """``verification_oauth`` (the trip to the provider) or ``verification_from_oauth`` (an email it vouched for)."""
    if f.strategy.startswith("from_oauth_"):
        return {"object": "verification_from_oauth", "status": f.status, "strategy": f.strategy, "attempts": None,
                "expire_at": None}
    return {"object": "verification_oauth", "status": f.status, "strategy": f.strategy,
            "external_verification_redirect_url": f.redirect_url if f.status == "unverified" else None,
            "error": f.error, "expire_at": f.expire_at or 0, "attempts": None}


# -- the trip to the provider -------------------------------------------------------------------------------------


def start(ctx: FapiCtx, attempt: SignInAttempt | SignUpAttempt, strategy: str, redirect_url: str | None) -> Factor:
    """``signIn.create`` / ``signUp.create`` with an ``oauth_*`` strategy: the verification whose
    ``external_verification_redirect_url`` is the provider's consent page, carrying a fresh ``state``."""
    st = ctx.state
    if strategy not in enabled(st):
        raise errors.unprocessable("strategy_for_user_invalid", "Invalid verification strategy",
                                   f"{strategy} is not enabled for this instance (scenario key frontend.social).",
                                   param_name="strategy")
    if not redirect_url:
        raise errors.form_param_missing("redirect_url")
    here = portal.where(st, ctx.request)
    base = here.proxy_url or f"https://{st.instance.frontend_host}"  # the provider and the callback live there
    callback = base + "/v1/oauth_callback"
    state = st.ids.token(24)
    assert ctx.client is not None
    st.oauth.authorizations[state] = Authorization(
        state=state, strategy=strategy, attempt="sign_in" if isinstance(attempt, SignInAttempt) else "sign_up",
        attempt_id=attempt.id, client_id=ctx.client.id, redirect_url=redirect_url, callback_url=callback,
        created_at=ctx.now)
    query = urlencode({"client_id": "clerkmock", "redirect_uri": callback, "response_type": "code",
                       "scope": "openid email profile", "state": state})
    return Factor(strategy, expire_at=ctx.now + VERIFICATION_MS,
                  redirect_url=f"{base}/oauth/{strategy.removeprefix('oauth_')}/authorize?{query}")


def authorization_of(st: State, attempt_id: str) -> Authorization | None:
    """The answered authorization of an attempt (what a transfer takes the account from)."""
    found = [a for a in st.oauth.authorizations.values() if a.attempt_id == attempt_id and a.account is not None]
    return found[-1] if found else None


# -- accounts -------------------------------------------------------------------------------------------------------


def account_owner(st: State, account: ProviderAccount) -> User | None:
    """The user this provider account signs in: its external account's, else the holder of its (verified)
    email address, to whom it is then linked (Clerk links accounts by verified email)."""
    user_id = st.provider_index.get((account.provider, account.provider_user_id))
    if user_id and user_id in st.users:
        return st.users[user_id]
    for idn in idns.holders(st, "email_address", account.email_address):
        if idns.is_claimed(idn) and idn.user_id in st.users:
            return st.users[idn.user_id]
    return None


def link(st: State, user: User, account: ProviderAccount, now: int, *, account_id: str | None = None
         ) -> ExternalAccount:
    """The user's external account for ``account`` (created once), with a fresh provider access token."""
    existing = next((ea for ea in user.external_accounts if ea.provider == account.provider
                     and ea.provider_user_id == account.provider_user_id), None)
    if existing is None:
        existing = ExternalAccount(
            id=account_id or st.ids.new("eac"), provider=account.provider,
            provider_user_id=account.provider_user_id, identification_id=st.ids.new("idn"),
            email_address=account.email_address, first_name=account.first_name, last_name=account.last_name,
            created_at=now, updated_at=now, username=account.username, approved_scopes=SCOPES)
        user.external_accounts.append(existing)
        st.provider_index[(account.provider, account.provider_user_id)] = user.id
        st.oauth.accounts.pop((account.provider, account.provider_user_id), None)
    existing.access_token = "oat_" + st.ids.token(24)  # what the provider gave Clerk at this sign-in
    existing.access_token_expires_at = now + TOKEN_MS
    existing.updated_at = now
    return existing


def new_provider_user_id(st: State) -> str:
    """A numeric id as Google's look (deterministic: from the id counter)."""
    return str(10**20 + st.ids.counter)


def provider_accounts(st: State, strategy: str) -> list[ProviderAccount]:
    """Every account the provider knows: the users' external accounts, then the ones typed on its page."""
    out = [ProviderAccount(ea.provider, ea.provider_user_id, ea.email_address, ea.first_name, ea.last_name,
                           ea.username)
           for user in st.users.values() for ea in user.external_accounts if ea.provider == strategy]
    out += [a for (s, _), a in st.oauth.accounts.items() if s == strategy]
    return out
