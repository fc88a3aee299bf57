"""A user's credentials and linked things through the SDK: passwords, TOTP and backup codes, MFA, passkeys,
web3 wallets, external accounts, trusted devices, OAuth tokens and the organization views."""

from __future__ import annotations

import time

import pyotp
import pytest
from clerk_backend_api import Clerk, models

from .conftest import SdkHandle
from .helpers import new_user, raises_api_error

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # base32
BACKUP_CODES = ["alpha12345", "bravo67890"]


# -- passwords ----------------------------------------------------------------------------------------------


def test_verify_password(sdk: Clerk) -> None:
    user = new_user(sdk, password="Correct-Horse-7")
    result = sdk.users.verify_password(user_id=user.id, password="Correct-Horse-7")
    assert result.verified is True
    # VerifyPassword declares its 4xx responses without a body schema: the SDK raises a bare SDKError
    with raises_api_error(422, "incorrect_password", sdk_type=models.SDKError):
        sdk.users.verify_password(user_id=user.id, password="correct-horse-7")  # case matters
    with raises_api_error(404, "resource_not_found", sdk_type=models.SDKError):
        sdk.users.verify_password(user_id="user_missing", password="whatever-123")


def test_remove_password(sdk: Clerk) -> None:
    user = new_user(sdk, password="Correct-Horse-7")
    assert user.password_enabled is True
    removed = sdk.users.remove_password(user_id=user.id)
    assert removed.password_enabled is False
    assert sdk.users.get(user_id=user.id).password_enabled is False
    with raises_api_error(400, "no_password_set", sdk_type=models.SDKError):
        sdk.users.verify_password(user_id=user.id, password="Correct-Horse-7")


def test_remove_password_without_password_returns_user_unchanged(sdk_handle: SdkHandle) -> None:
    # "If the user does not have a password, the user is returned unchanged" (RemoveUserPassword)
    sdk = sdk_handle.clerk
    user = new_user(sdk)
    sdk_handle.mock.engine.clock.advance(seconds=5)
    same = sdk.users.remove_password(user_id=user.id)
    assert same.password_enabled is False
    assert same.updated_at == user.updated_at


def test_remove_password_missing_user_is_404(sdk: Clerk) -> None:
    with raises_api_error(404, "resource_not_found"):
        sdk.users.remove_password(user_id="user_missing")


def test_password_compromised_flags(sdk: Clerk) -> None:
    user = new_user(sdk, password="Correct-Horse-7")
    flagged = sdk.users.set_password_compromised(user_id=user.id)
    assert flagged.id == user.id and flagged.password_enabled is True
    assert sdk.users.set_password_compromised(user_id=user.id, revoke_all_sessions=True).id == user.id
    cleared = sdk.users.unset_password_compromised(user_id=user.id)
    assert cleared.id == user.id and cleared.password_enabled is True
    # the password still works either way
    assert sdk.users.verify_password(user_id=user.id, password="Correct-Horse-7").verified is True


def test_password_compromised_missing_user_is_404(sdk: Clerk) -> None:
    with raises_api_error(404, "resource_not_found"):
        sdk.users.set_password_compromised(user_id="user_missing")
    with raises_api_error(404, "resource_not_found"):
        sdk.users.unset_password_compromised(user_id="user_missing")


# -- TOTP, backup codes, MFA --------------------------------------------------------------------------------


def wrong_totp(secret: str) -> str:
    """A 6-digit code that is not valid in any window around now."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    valid = {totp.at(now + step * 30) for step in range(-2, 3)}
    return next(c for c in ("000000", "123456", "999999", "314159") if c not in valid)


def test_create_with_totp_and_backup_codes(sdk: Clerk) -> None:
    user = new_user(sdk, totp_secret=TOTP_SECRET, backup_codes=BACKUP_CODES)
    assert user.totp_enabled is True and user.backup_code_enabled is True and user.two_factor_enabled is True
    assert isinstance(user.mfa_enabled_at, int)


def test_verify_totp_with_real_code(sdk: Clerk) -> None:
    user = new_user(sdk, totp_secret=TOTP_SECRET)
    result = sdk.users.verify_totp(user_id=user.id, code=pyotp.TOTP(TOTP_SECRET).now())
    assert (result.verified, result.code_type) == (True, "totp")
    with raises_api_error(422, sdk_type=models.SDKError) as err:
        sdk.users.verify_totp(user_id=user.id, code=wrong_totp(TOTP_SECRET))
    assert err.code.startswith("totp_") or err.code == "form_code_incorrect"


def test_backup_code_works_once(sdk: Clerk) -> None:
    user = new_user(sdk, totp_secret=TOTP_SECRET, backup_codes=BACKUP_CODES)
    result = sdk.users.verify_totp(user_id=user.id, code=BACKUP_CODES[0])
    assert (result.verified, result.code_type) == (True, "backup_code")
    with raises_api_error(422, sdk_type=models.SDKError):
        sdk.users.verify_totp(user_id=user.id, code=BACKUP_CODES[0])
    # the other code is still good
    assert sdk.users.verify_totp(user_id=user.id, code=BACKUP_CODES[1]).code_type == "backup_code"


def test_verify_totp_without_totp(sdk: Clerk) -> None:
    user = new_user(sdk)
    with raises_api_error(400, "totp_disabled", sdk_type=models.SDKError):
        sdk.users.verify_totp(user_id=user.id, code="123456")
    with raises_api_error(404, "resource_not_found", sdk_type=models.SDKError):
        sdk.users.verify_totp(user_id="user_missing", code="123456")


def test_update_user_sets_totp(sdk: Clerk) -> None:
    user = new_user(sdk)
    updated = sdk.users.update(user_id=user.id, totp_secret=TOTP_SECRET, backup_codes=["charlie111"])
    assert updated.totp_enabled and updated.backup_code_enabled and updated.two_factor_enabled
    assert sdk.users.verify_totp(user_id=user.id, code=pyotp.TOTP(TOTP_SECRET).now()).verified is True


def test_disable_mfa(sdk: Clerk) -> None:
    user = new_user(sdk, totp_secret=TOTP_SECRET, backup_codes=BACKUP_CODES)
    result = sdk.users.disable_mfa(user_id=user.id)
    assert result.user_id == user.id
    after = sdk.users.get(user_id=user.id)
    assert (after.totp_enabled, after.backup_code_enabled, after.two_factor_enabled) == (False, False, False)
    assert isinstance(after.mfa_disabled_at, int)
    with raises_api_error(400, "totp_disabled", sdk_type=models.SDKError):
        sdk.users.verify_totp(user_id=user.id, code=BACKUP_CODES[0])


def test_disable_mfa_also_releases_second_factor_phones(sdk: Clerk) -> None:
    user = new_user(sdk)
    sdk.phone_numbers.create(request={"user_id": user.id, "phone_number": "+15555550180", "verified": True,
                                      "reserved_for_second_factor": True})
    assert sdk.users.get(user_id=user.id).two_factor_enabled is True
    sdk.users.disable_mfa(user_id=user.id)
    after = sdk.users.get(user_id=user.id)
    assert after.two_factor_enabled is False
    assert after.phone_numbers[0].reserved_for_second_factor is False


def test_delete_totp_keeps_backup_codes(sdk: Clerk) -> None:
    user = new_user(sdk, totp_secret=TOTP_SECRET, backup_codes=BACKUP_CODES)
    assert sdk.users.delete_totp(user_id=user.id).user_id == user.id
    after = sdk.users.get(user_id=user.id)
    assert after.totp_enabled is False and after.backup_code_enabled is True and after.two_factor_enabled is True
    assert sdk.users.verify_totp(user_id=user.id, code=BACKUP_CODES[1]).code_type == "backup_code"


def test_delete_backup_codes_keeps_totp(sdk: Clerk) -> None:
    user = new_user(sdk, totp_secret=TOTP_SECRET, backup_codes=BACKUP_CODES)
    assert sdk.users.delete_backup_codes(user_id=user.id).user_id == user.id
    after = sdk.users.get(user_id=user.id)
    assert after.backup_code_enabled is False and after.totp_enabled is True and after.two_factor_enabled is True
    with raises_api_error(422, sdk_type=models.SDKError):
        sdk.users.verify_totp(user_id=user.id, code=BACKUP_CODES[0])
    both_gone = sdk.users.delete_totp(user_id=user.id)
    assert both_gone.user_id == user.id
    assert sdk.users.get(user_id=user.id).two_factor_enabled is False


@pytest.mark.parametrize("method", ["disable_mfa", "delete_totp", "delete_backup_codes"])
def test_mfa_operations_on_missing_user_are_404(sdk: Clerk, method: str) -> None:
    with raises_api_error(404, "resource_not_found"):
        getattr(sdk.users, method)(user_id="user_missing")


# -- things the Backend API cannot create: delete of a missing one is a 404 ------------------------------------


def test_delete_missing_passkey(sdk: Clerk) -> None:
    user = new_user(sdk)
    with raises_api_error(404, "resource_not_found"):
        sdk.users.delete_passkey(user_id=user.id, passkey_identification_id="idn_passkeymissing")
    with raises_api_error(404, "resource_not_found"):
        sdk.users.delete_passkey(user_id="user_missing", passkey_identification_id="idn_x")


def test_delete_missing_external_account(sdk: Clerk) -> None:
    user = new_user(sdk)
    with raises_api_error(404, "resource_not_found"):
        sdk.users.delete_external_account(user_id=user.id, external_account_id="eac_missing")


def test_trusted_devices(sdk: Clerk) -> None:
    user = new_user(sdk)
    devices = sdk.users.list_trusted_devices(user_id=user.id)
    assert devices.data == [] and devices.total_count == 0
    with raises_api_error(404, "resource_not_found"):
        sdk.users.revoke_trusted_device(user_id=user.id, trusted_device_id="td_missing")
    with raises_api_error(404, "resource_not_found"):
        sdk.users.list_trusted_devices(user_id="user_missing")


def test_delete_web3_wallet(sdk: Clerk) -> None:
    wallets = ["0x" + "a1" * 20, "0x" + "B2" * 20]
    user = new_user(sdk, web3_wallet=wallets)
    first, second = user.web3_wallets
    assert first.object == "web3_wallet" and user.primary_web3_wallet_id == first.id
    deleted = sdk.users.delete_web3_wallet(user_id=user.id, web3_wallet_identification_id=first.id)
    assert (deleted.id, deleted.deleted) == (first.id, True)
    after = sdk.users.get(user_id=user.id)
    assert [w.id for w in after.web3_wallets] == [second.id]
    assert after.primary_web3_wallet_id == second.id  # another verified wallet takes over
    assert sdk.users.list(request={"web3_wallet": [wallets[0]]}) == []
    with raises_api_error(404, "resource_not_found"):
        sdk.users.delete_web3_wallet(user_id=user.id, web3_wallet_identification_id=first.id)
    # the wallet can be claimed again
    assert new_user(sdk, web3_wallet=[wallets[0]]).web3_wallets[0].web3_wallet == wallets[0]


def test_web3_wallet_of_another_user_is_404(sdk: Clerk) -> None:
    owner = new_user(sdk, web3_wallet=["0x" + "c3" * 20])
    other = new_user(sdk)
    with raises_api_error(404, "resource_not_found"):
        sdk.users.delete_web3_wallet(user_id=other.id, web3_wallet_identification_id=owner.web3_wallets[0].id)
    assert len(sdk.users.get(user_id=owner.id).web3_wallets) == 1


def test_web3_wallet_unique(sdk: Clerk) -> None:
    new_user(sdk, web3_wallet=["0x" + "d4" * 20])
    with raises_api_error(422, "form_identifier_exists", param="web3_wallet"):
        new_user(sdk, web3_wallet=["0x" + "d4" * 20])


# -- OAuth tokens and organization views ------------------------------------------------------------------------


def test_oauth_access_tokens_without_accounts(sdk: Clerk) -> None:
    user = new_user(sdk)
    tokens = sdk.users.get_o_auth_access_token(user_id=user.id, provider="oauth_google")
    assert tokens == []  # a bare array, not a page
    with raises_api_error(404, "resource_not_found"):
        sdk.users.get_o_auth_access_token(user_id="user_missing", provider="oauth_google")


def test_organization_memberships_and_invitations_pages(sdk: Clerk) -> None:
    user = new_user(sdk)
    memberships = sdk.users.get_organization_memberships(user_id=user.id, limit=5)
    assert memberships.data == [] and memberships.total_count == 0
    invitations = sdk.users.get_organization_invitations(user_id=user.id, status="pending")
    assert invitations.data == [] and invitations.total_count == 0
    with raises_api_error(404, "resource_not_found"):
        sdk.users.get_organization_invitations(user_id="user_missing")
