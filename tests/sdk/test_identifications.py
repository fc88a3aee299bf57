"""Email addresses and phone numbers through the SDK: create, get, update (verified, primary), delete,
prepare/attempt verification with Clerk's test identifiers, and the PUT /users/{id}/… replacements."""

from __future__ import annotations

import pytest
from clerk_backend_api import Clerk, models

from .conftest import SdkHandle
from .helpers import TEST_CODE, new_user, raises_api_error

TEST_EMAIL = "jane+clerk_test@example.com"
TEST_PHONE = "+15555550100"


# -- email addresses --------------------------------------------------------------------------------------------


def test_create_email_address(sdk: Clerk) -> None:
    user = new_user(sdk, email_address=["main@example.com"])
    email = sdk.email_addresses.create(request={"user_id": user.id, "email_address": "extra@example.com",
                                                "verified": True})
    assert email.object == "email_address" and email.id.startswith("idn_")
    assert email.email_address == "extra@example.com"
    assert email.verification.status == "verified"
    assert email.reserved is False and email.linked_to == []
    after = sdk.users.get(user_id=user.id)
    assert [e.email_address for e in after.email_addresses] == ["main@example.com", "extra@example.com"]
    assert after.primary_email_address_id == user.email_addresses[0].id  # not primary unless asked
    assert sdk.email_addresses.get(email_address_id=email.id) == email


def test_create_email_address_primary(sdk: Clerk) -> None:
    user = new_user(sdk, email_address=["main@example.com"])
    email = sdk.email_addresses.create(request={"user_id": user.id, "email_address": "new-primary@example.com",
                                                "verified": True, "primary": True})
    assert sdk.users.get(user_id=user.id).primary_email_address_id == email.id


def test_first_email_address_becomes_primary(sdk: Clerk) -> None:
    user = new_user(sdk, username="no_email_yet")
    assert user.primary_email_address_id is None
    email = sdk.email_addresses.create(request={"user_id": user.id, "email_address": "first@example.com",
                                                "verified": True})
    assert sdk.users.get(user_id=user.id).primary_email_address_id == email.id


def test_create_unverified_email_address(sdk: Clerk) -> None:
    user = new_user(sdk, email_address=["main@example.com"])
    email = sdk.email_addresses.create(request={"user_id": user.id, "email_address": "later@example.com",
                                                "verified": False})
    assert email.verification is None or email.verification.status != "verified"
    assert sdk.users.get(user_id=user.id).primary_email_address_id == user.email_addresses[0].id


def test_create_email_address_errors(sdk: Clerk) -> None:
    owner = new_user(sdk, email_address=["owned@example.com"])
    other = new_user(sdk)
    with raises_api_error(422, "form_identifier_exists", param="email_address"):
        sdk.email_addresses.create(request={"user_id": other.id, "email_address": "owned@example.com",
                                            "verified": True})
    with raises_api_error(422, "form_identifier_exists", param="email_address"):  # the owner, twice
        sdk.email_addresses.create(request={"user_id": owner.id, "email_address": "OWNED@example.com"})
    with raises_api_error(422, "form_param_format_invalid", param="email_address"):
        sdk.email_addresses.create(request={"user_id": other.id, "email_address": "no-at-sign.example.com"})
    with raises_api_error(404, "resource_not_found"):
        sdk.email_addresses.create(request={"user_id": "user_missing", "email_address": "x@example.com"})


def test_get_missing_email_address_is_404(sdk: Clerk) -> None:
    with raises_api_error(404, "resource_not_found"):
        sdk.email_addresses.get(email_address_id="idn_missing")


def test_email_address_ids_are_not_phone_ids(sdk: Clerk) -> None:
    user = new_user(sdk, phone_number=["+15555550190"])
    with raises_api_error(404, "resource_not_found"):
        sdk.email_addresses.get(email_address_id=user.phone_numbers[0].id)


def test_update_email_address_verified_and_primary(sdk: Clerk) -> None:
    user = new_user(sdk, email_address=["main@example.com"])
    email = sdk.email_addresses.create(request={"user_id": user.id, "email_address": "second@example.com",
                                                "verified": False})
    verified = sdk.email_addresses.update(email_address_id=email.id, verified=True)
    assert verified.verification.status == "verified"
    primary = sdk.email_addresses.update(email_address_id=email.id, primary=True)
    assert primary.id == email.id
    assert sdk.users.get(user_id=user.id).primary_email_address_id == email.id
    with raises_api_error(404, "resource_not_found"):
        sdk.email_addresses.update(email_address_id="idn_missing", verified=True)


def test_primary_email_address_cannot_be_unverified(sdk: Clerk) -> None:
    user = new_user(sdk, email_address=["primary@example.com"])
    primary = user.email_addresses[0]
    with pytest.raises(models.ClerkBaseError) as info:
        sdk.email_addresses.update(email_address_id=primary.id, verified=False)
    assert info.value.status_code in (400, 409, 422)
    # a rejected request changes nothing
    assert sdk.email_addresses.get(email_address_id=primary.id).verification.status == "verified"
    assert sdk.users.get(user_id=user.id).email_addresses[0].verification.status == "verified"


def test_delete_email_address(sdk: Clerk) -> None:
    user = new_user(sdk, email_address=["keep@example.com", "drop@example.com"])
    drop = user.email_addresses[1]
    deleted = sdk.email_addresses.delete(email_address_id=drop.id)
    assert (deleted.object, deleted.id, deleted.deleted) == ("email_address", drop.id, True)
    with raises_api_error(404, "resource_not_found"):
        sdk.email_addresses.get(email_address_id=drop.id)
    with raises_api_error(404, "resource_not_found"):
        sdk.email_addresses.delete(email_address_id=drop.id)
    after = sdk.users.get(user_id=user.id)
    assert [e.email_address for e in after.email_addresses] == ["keep@example.com"]
    assert sdk.users.list(request={"email_address": ["drop@example.com"]}) == []
    # the address is free for someone else now
    new_user(sdk, email_address=["drop@example.com"])


def test_email_verification_flow(sdk: Clerk) -> None:
    user = new_user(sdk, username="verifier")
    email = sdk.email_addresses.create(request={"user_id": user.id, "email_address": TEST_EMAIL,
                                                "verified": False})
    prepared = sdk.email_addresses.prepare_verification(email_address_id=email.id)
    assert prepared.id and prepared.status == "unverified" and prepared.strategy == "email_code"
    assert isinstance(prepared.expire_at, int)
    done = sdk.email_addresses.attempt_verification(email_address_id=email.id, verification_id=prepared.id,
                                                    code=TEST_CODE)
    assert done.status == "verified" and done.id == prepared.id
    fetched = sdk.email_addresses.get(email_address_id=email.id)
    assert fetched.verification.status == "verified"
    # resubmitting an accepted verification is rejected
    with raises_api_error(400, "verification_already_verified"):
        sdk.email_addresses.attempt_verification(email_address_id=email.id, verification_id=prepared.id,
                                                 code=TEST_CODE)


def test_email_verification_wrong_code_is_reported_in_status(sdk: Clerk) -> None:
    # AttemptEmailAddressVerification: "an incorrect or expired code is reported through the status, not as an
    # error" -- a 200 with the attempt counted, and the address stays unverified.
    user = new_user(sdk, username="verifier")
    email = sdk.email_addresses.create(request={"user_id": user.id, "email_address": TEST_EMAIL,
                                                "verified": False})
    prepared = sdk.email_addresses.prepare_verification(email_address_id=email.id)
    wrong = sdk.email_addresses.attempt_verification(email_address_id=email.id, verification_id=prepared.id,
                                                     code="000000")
    assert wrong.status == "unverified" and wrong.attempts == 1
    assert sdk.email_addresses.get(email_address_id=email.id).verification.status != "verified"
    right = sdk.email_addresses.attempt_verification(email_address_id=email.id, verification_id=prepared.id,
                                                     code=TEST_CODE)
    assert right.status == "verified" and right.attempts == 2


def test_email_verification_expired_code_is_reported_in_status(sdk_handle: SdkHandle) -> None:
    sdk = sdk_handle.clerk
    user = new_user(sdk, username="verifier")
    email = sdk.email_addresses.create(request={"user_id": user.id, "email_address": TEST_EMAIL,
                                                "verified": False})
    prepared = sdk.email_addresses.prepare_verification(email_address_id=email.id)
    assert prepared.expire_at is not None
    sdk_handle.mock.engine.clock.set(prepared.expire_at + 1000)
    late = sdk.email_addresses.attempt_verification(email_address_id=email.id, verification_id=prepared.id,
                                                    code=TEST_CODE)
    assert late.status == "expired"
    assert sdk.email_addresses.get(email_address_id=email.id).verification.status != "verified"


def test_email_verification_unknown_verification_is_404(sdk: Clerk) -> None:
    user = new_user(sdk, email_address=[TEST_EMAIL])
    with raises_api_error(404, "resource_not_found"):
        sdk.email_addresses.attempt_verification(email_address_id=user.email_addresses[0].id,
                                                 verification_id="ver_missing", code=TEST_CODE)
    with raises_api_error(404, "resource_not_found"):
        sdk.email_addresses.prepare_verification(email_address_id="idn_missing")


def test_replace_user_email_address(sdk: Clerk) -> None:
    user = new_user(sdk, email_address=["old1@example.com", "old2@example.com"])
    email = sdk.email_addresses.replace_for_user(user_id=user.id, email_address="only@example.com")
    assert email.email_address == "only@example.com" and email.verification.status == "verified"
    after = sdk.users.get(user_id=user.id)
    assert [e.id for e in after.email_addresses] == [email.id]
    assert after.primary_email_address_id == email.id
    for old in user.email_addresses:
        with raises_api_error(404, "resource_not_found"):
            sdk.email_addresses.get(email_address_id=old.id)
    # the old addresses are free again
    new_user(sdk, email_address=["old1@example.com"])


def test_replace_user_email_address_keeps_same_value(sdk: Clerk) -> None:
    user = new_user(sdk, email_address=["same@example.com", "other@example.com"])
    email = sdk.email_addresses.replace_for_user(user_id=user.id, email_address="same@example.com")
    after = sdk.users.get(user_id=user.id)
    assert [e.email_address for e in after.email_addresses] == ["same@example.com"]
    assert after.primary_email_address_id == email.id


def test_replace_user_email_address_reserved_is_the_single_primary(sdk: Clerk) -> None:
    # "Replaces all of the user's email addresses with a single primary email address."
    user = new_user(sdk, email_address=["old@example.com"])
    email = sdk.email_addresses.replace_for_user(user_id=user.id, email_address="reserved@example.com",
                                                 identification_status="reserved")
    assert email.reserved is True
    assert sdk.users.get(user_id=user.id).primary_email_address_id == email.id
    # reserved: locked so no other user can claim it
    with raises_api_error(422, "form_identifier_exists", param="email_address"):
        new_user(sdk, email_address=["reserved@example.com"])


def test_replace_user_email_address_conflicts(sdk: Clerk) -> None:
    new_user(sdk, email_address=["claimed@example.com"])
    user = new_user(sdk, email_address=["mine@example.com"])
    with raises_api_error(422, "form_identifier_exists"):
        sdk.email_addresses.replace_for_user(user_id=user.id, email_address="claimed@example.com")
    with raises_api_error(422, "form_param_format_invalid"):
        sdk.email_addresses.replace_for_user(user_id=user.id, email_address="bad address")
    with raises_api_error(404, "resource_not_found"):
        sdk.email_addresses.replace_for_user(user_id="user_missing", email_address="x@example.com")
    # nothing changed for the user
    assert [e.email_address for e in sdk.users.get(user_id=user.id).email_addresses] == ["mine@example.com"]


def test_unverified_email_address_can_be_held_by_two_users(sdk: Clerk) -> None:
    a = new_user(sdk, username="holder_a")
    b = new_user(sdk, username="holder_b")
    sdk.email_addresses.replace_for_user(user_id=a.id, email_address="shared@example.com",
                                         identification_status="unverified")
    email_b = sdk.email_addresses.replace_for_user(user_id=b.id, email_address="shared@example.com",
                                                   identification_status="unverified")
    assert email_b.verification is None or email_b.verification.status != "verified"


# -- phone numbers -----------------------------------------------------------------------------------------------


def test_create_phone_number(sdk: Clerk) -> None:
    user = new_user(sdk)
    phone = sdk.phone_numbers.create(request={"user_id": user.id, "phone_number": "+15555550120",
                                              "verified": True})
    assert phone.object == "phone_number" and phone.id.startswith("idn_")
    assert phone.phone_number == "+15555550120" and phone.verification.status == "verified"
    assert phone.reserved_for_second_factor is False
    after = sdk.users.get(user_id=user.id)
    assert after.primary_phone_number_id == phone.id  # the first phone number becomes primary
    assert sdk.phone_numbers.get(phone_number_id=phone.id) == phone
    second = sdk.phone_numbers.create(request={"user_id": user.id, "phone_number": "+15555550121",
                                               "verified": True})
    assert sdk.users.get(user_id=user.id).primary_phone_number_id == phone.id
    third = sdk.phone_numbers.create(request={"user_id": user.id, "phone_number": "+15555550122",
                                              "verified": True, "primary": True})
    assert sdk.users.get(user_id=user.id).primary_phone_number_id == third.id
    assert second.id not in (phone.id, third.id)


def test_create_phone_number_errors(sdk: Clerk) -> None:
    new_user(sdk, phone_number=["+15555550123"])
    other = new_user(sdk)
    with raises_api_error(422, "form_identifier_exists", param="phone_number"):
        sdk.phone_numbers.create(request={"user_id": other.id, "phone_number": "+15555550123", "verified": True})
    with raises_api_error(422, "form_param_format_invalid", param="phone_number"):
        sdk.phone_numbers.create(request={"user_id": other.id, "phone_number": "555-0123"})
    with raises_api_error(404, "resource_not_found"):
        sdk.phone_numbers.create(request={"user_id": "user_missing", "phone_number": "+15555550124"})


def test_phone_number_reserved_for_second_factor(sdk: Clerk) -> None:
    user = new_user(sdk)
    phone = sdk.phone_numbers.create(request={"user_id": user.id, "phone_number": "+15555550125",
                                              "verified": True, "reserved_for_second_factor": True})
    assert phone.reserved_for_second_factor is True and phone.default_second_factor is True
    assert sdk.users.get(user_id=user.id).two_factor_enabled is True
    released = sdk.phone_numbers.update(phone_number_id=phone.id, reserved_for_second_factor=False)
    assert released.reserved_for_second_factor is False
    assert sdk.users.get(user_id=user.id).two_factor_enabled is False


def test_phone_number_second_factor_must_be_verified(sdk: Clerk) -> None:
    # "Create this phone number as reserved for multi-factor authentication. The phone number must also be verified."
    user = new_user(sdk)
    with raises_api_error(422, sdk_type=None):
        sdk.phone_numbers.create(request={"user_id": user.id, "phone_number": "+15555550126",
                                          "verified": False, "reserved_for_second_factor": True})


def test_update_phone_number_verified_and_primary(sdk: Clerk) -> None:
    user = new_user(sdk, phone_number=["+15555550127"])
    phone = sdk.phone_numbers.create(request={"user_id": user.id, "phone_number": "+15555550128",
                                              "verified": False})
    assert sdk.users.get(user_id=user.id).primary_phone_number_id == user.phone_numbers[0].id
    verified = sdk.phone_numbers.update(phone_number_id=phone.id, verified=True)
    assert verified.verification.status == "verified"
    sdk.phone_numbers.update(phone_number_id=phone.id, primary=True)
    assert sdk.users.get(user_id=user.id).primary_phone_number_id == phone.id
    with raises_api_error(404, "resource_not_found"):
        sdk.phone_numbers.update(phone_number_id="idn_missing", verified=True)


def test_delete_phone_number(sdk: Clerk) -> None:
    user = new_user(sdk, phone_number=["+15555550130", "+15555550131"])
    drop = user.phone_numbers[1]
    deleted = sdk.phone_numbers.delete(phone_number_id=drop.id)
    assert (deleted.object, deleted.id, deleted.deleted) == ("phone_number", drop.id, True)
    with raises_api_error(404, "resource_not_found"):
        sdk.phone_numbers.get(phone_number_id=drop.id)
    with raises_api_error(404, "resource_not_found"):
        sdk.phone_numbers.delete(phone_number_id=drop.id)
    assert [p.phone_number for p in sdk.users.get(user_id=user.id).phone_numbers] == ["+15555550130"]
    assert sdk.users.list(request={"phone_number": ["+15555550131"]}) == []


def test_phone_verification_flow(sdk: Clerk) -> None:
    user = new_user(sdk)
    phone = sdk.phone_numbers.create(request={"user_id": user.id, "phone_number": TEST_PHONE, "verified": False})
    prepared = sdk.phone_numbers.prepare_verification(phone_number_id=phone.id)
    assert prepared.status == "unverified" and prepared.strategy == "phone_code"
    done = sdk.phone_numbers.attempt_verification(phone_number_id=phone.id, verification_id=prepared.id,
                                                  code=TEST_CODE)
    assert done.status == "verified"
    assert sdk.phone_numbers.get(phone_number_id=phone.id).verification.status == "verified"
    with raises_api_error(400, "verification_already_verified"):
        sdk.phone_numbers.attempt_verification(phone_number_id=phone.id, verification_id=prepared.id,
                                               code=TEST_CODE)


def test_phone_verification_wrong_code_is_reported_in_status(sdk: Clerk) -> None:
    user = new_user(sdk)
    phone = sdk.phone_numbers.create(request={"user_id": user.id, "phone_number": TEST_PHONE, "verified": False})
    prepared = sdk.phone_numbers.prepare_verification(phone_number_id=phone.id)
    wrong = sdk.phone_numbers.attempt_verification(phone_number_id=phone.id, verification_id=prepared.id,
                                                   code="111111")
    assert wrong.status == "unverified" and wrong.attempts == 1
    assert sdk.phone_numbers.get(phone_number_id=phone.id).verification.status != "verified"


def test_verification_of_claimed_value_is_refused(sdk: Clerk) -> None:
    # two users may hold the same unverified number; once one verifies it, the other cannot
    a = new_user(sdk, username="first_holder")
    b = new_user(sdk, username="second_holder")
    pa = sdk.phone_numbers.create(request={"user_id": a.id, "phone_number": TEST_PHONE, "verified": False})
    pb = sdk.phone_numbers.create(request={"user_id": b.id, "phone_number": TEST_PHONE, "verified": False})
    va = sdk.phone_numbers.prepare_verification(phone_number_id=pa.id)
    assert sdk.phone_numbers.attempt_verification(phone_number_id=pa.id, verification_id=va.id,
                                                  code=TEST_CODE).status == "verified"
    with raises_api_error(422, "form_identifier_exists", sdk_type=None):
        sdk.phone_numbers.update(phone_number_id=pb.id, verified=True)


def test_replace_user_phone_number(sdk: Clerk) -> None:
    user = new_user(sdk, phone_number=["+15555550132", "+15555550133"])
    phone = sdk.phone_numbers.replace_for_user(user_id=user.id, phone_number="+15555550134")
    assert phone.phone_number == "+15555550134" and phone.verification.status == "verified"
    assert phone.reserved_for_second_factor is False
    after = sdk.users.get(user_id=user.id)
    assert [p.id for p in after.phone_numbers] == [phone.id] and after.primary_phone_number_id == phone.id
    for old in user.phone_numbers:
        with raises_api_error(404, "resource_not_found"):
            sdk.phone_numbers.get(phone_number_id=old.id)
    with raises_api_error(422, "form_param_format_invalid"):
        sdk.phone_numbers.replace_for_user(user_id=user.id, phone_number="not a phone")
    with raises_api_error(404, "resource_not_found"):
        sdk.phone_numbers.replace_for_user(user_id="user_missing", phone_number="+15555550135")


def test_replace_second_factor_phone_disables_mfa(sdk: Clerk) -> None:
    user = new_user(sdk)
    sdk.phone_numbers.create(request={"user_id": user.id, "phone_number": "+15555550136", "verified": True,
                                      "reserved_for_second_factor": True})
    assert sdk.users.get(user_id=user.id).two_factor_enabled is True
    sdk.phone_numbers.replace_for_user(user_id=user.id, phone_number="+15555550137")
    after = sdk.users.get(user_id=user.id)
    assert after.two_factor_enabled is False
    assert after.phone_numbers[0].reserved_for_second_factor is False


@pytest.mark.parametrize("kind", ["email_addresses", "phone_numbers"])
def test_get_and_delete_missing_is_404(sdk: Clerk, kind: str) -> None:
    api = getattr(sdk, kind)
    key = "email_address_id" if kind == "email_addresses" else "phone_number_id"
    with raises_api_error(404, "resource_not_found"):
        api.get(**{key: "idn_2xhFjEI5X2qWRvtV13BzSj8H6Dk"})
    with raises_api_error(404, "resource_not_found"):
        api.delete(**{key: "idn_2xhFjEI5X2qWRvtV13BzSj8H6Dk"})
    with raises_api_error(404, "resource_not_found"):
        api.prepare_verification(**{key: "idn_2xhFjEI5X2qWRvtV13BzSj8H6Dk"})


def test_user_models_parse(sdk: Clerk) -> None:
    """The SDK's own models accept a user with every nested identification type."""
    user = new_user(sdk, email_address=["m@example.com"], phone_number=["+15555550138"],
                    web3_wallet=["0x" + "e5" * 20])
    assert isinstance(user, models.User)
    assert isinstance(user.email_addresses[0], models.EmailAddress)
    assert isinstance(user.phone_numbers[0], models.PhoneNumber)
    assert isinstance(user.web3_wallets[0], models.Web3Wallet)
