"""Directories through the official Python SDK (``scim_directories``: clerk-backend-api 7 has no ``/directories``
group, and @clerk/backend has neither) and, for the ``/directories`` family, through plain httpx; both on the two
transports, every response validated against the spec.  Then a real SCIM client (PyPI ``scim2-client``) acts as
the identity provider against a directory's SCIM endpoint, and ``scim2-tester`` checks that endpoint against
RFC 7643/7644."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from clerk_backend_api import Clerk

from .conftest import SdkHandle, SpecHook, make_client
from .helpers import raises_api_error

scim2_client = pytest.importorskip("scim2_client")
httpx2 = pytest.importorskip("httpx2")

from scim2_client.engines.httpx2 import SyncSCIMClient  # noqa: E402
from scim2_models import PatchOp, PatchOperation  # noqa: E402



def _connection(sdk: Clerk, with_org: bool = True) -> tuple[str, str | None]:
    org = sdk.organizations.create(request={"name": "Acme"}) if with_org else None
    conn = sdk.enterprise_connections.create(request={
        "name": "Acme SSO", "provider": "saml_okta", "domains": ["acme.com"],
        **({"organization_id": org.id} if org else {})})
    return conn.id, org.id if org else None


def _role_ids(sdk: Clerk) -> dict[str, str]:
    return {r.key: r.id for r in sdk.organization_roles.list().data}


@pytest.fixture
def bapi(sdk_handle: SdkHandle) -> Iterator[httpx.Client]:
    """Plain httpx on the same transport as ``sdk`` (for the operations no SDK has), spec-checked the same way."""
    hook = SpecHook(sdk_handle.transport)
    client = make_client(sdk_handle.transport, sdk_handle.mock, hook)
    client.base_url = httpx.URL(sdk_handle.mock.api_url + "/")
    client.headers.update({"Authorization": f"Bearer {sdk_handle.mock.secret_key}",
                           "Clerk-API-Version": "2026-05-12"})
    try:
        yield client
    finally:
        client.close()
    if hook.violations:
        pytest.fail("spec violations in responses:\n" + "\n\n".join(hook.violations), pytrace=False)


def test_scim_directories(sdk: Clerk) -> None:
    conn_id, _ = _connection(sdk)
    roles = _role_ids(sdk)
    d = sdk.scim_directories.create(request={"enterprise_connection_id": conn_id, "provider": "okta",
                                             "name": "Okta"})
    assert d.id.startswith("dir_") and d.api_key and d.enabled is True and d.endpoint_url.endswith(d.id)
    assert sdk.scim_directories.get(scim_directory_id=d.id).api_key is None
    assert [x.id for x in sdk.scim_directories.list().data] == [d.id]
    up = sdk.scim_directories.update(scim_directory_id=d.id, group_role_mapping_enabled=True,
                                     attribute_mapping={"first_name": None})
    assert up.group_role_mapping_enabled is True and "first_name" not in up.attribute_mapping
    rotated = sdk.scim_directories.rotate_api_key(scim_directory_id=d.id)
    assert rotated.api_key and rotated.api_key != d.api_key
    m = sdk.scim_directories.create_group_role_mapping(scim_directory_id=d.id, scim_group_id="eng",
                                                       role_id=roles["org:member"])
    assert (m.scim_group_id, m.precedence) == ("eng", 1)
    listed = sdk.scim_directories.list_group_role_mappings(scim_directory_id=d.id)
    assert listed.total_count == 1 and listed.data[0].id == m.id
    replaced = sdk.scim_directories.replace_group_role_mappings(scim_directory_id=d.id, mappings=[
        {"scim_group_id": "admins", "role_id": roles["org:admin"]}, {"scim_group_id": "eng", "role_id": roles["org:member"]}])
    assert [(x.scim_group_id, x.precedence) for x in replaced.data] == [("admins", 1), ("eng", 2)]
    gone = sdk.scim_directories.delete_group_role_mapping(scim_directory_id=d.id, mapping_id=m.id)
    assert gone.id == m.id  # (the SDK names the field DELETED)
    with raises_api_error(422, "form_resource_not_found", param="role_id"):
        sdk.scim_directories.create_group_role_mapping(scim_directory_id=d.id, scim_group_id="x", role_id="role_no")
    assert sdk.scim_directories.delete(scim_directory_id=d.id).deleted is True
    with raises_api_error(404, "resource_not_found"):
        sdk.scim_directories.get(scim_directory_id=d.id)


def test_directories(sdk: Clerk, bapi: httpx.Client) -> None:
    conn_id, _ = _connection(sdk)
    roles = _role_ids(sdk)
    r = bapi.post("directories", json={"enterprise_connection_id": conn_id, "provider": "entra",
                                       "group_role_mappings": [{"directory_group_id": "g", "role_id": roles["org:admin"]}]})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["object"] == "directory" and d["group_role_mapping_enabled"] is True and d["api_key"]
    assert bapi.get(f"directories/{d['id']}").json()["api_key"] is None
    assert bapi.get("directories").json()["total_count"] == 1
    assert bapi.patch(f"directories/{d['id']}", json={"name": "Entra"}).json()["name"] == "Entra"
    assert bapi.post(f"directories/{d['id']}/rotate_api_key").json()["api_key"] != d["api_key"]
    base = f"directories/{d['id']}/group_role_mappings"
    m = bapi.post(base, json={"directory_group_id": "h", "role_id": roles["org:member"], "precedence": 1}).json()
    assert m["object"] == "directory_group_role_mapping" and m["precedence"] == 1
    assert [x["directory_group_id"] for x in bapi.get(base).json()["data"]] == ["h", "g"]
    assert bapi.put(base, json={"mappings": [{"directory_group_id": "h", "role_id": roles["org:member"]}]}).json()[
        "total_count"] == 1
    assert bapi.delete(f"{base}/{m['id']}").json()["deleted"] is True
    assert bapi.post("directories", json={"enterprise_connection_id": "entc_x", "provider": "x"}).status_code == 422
    assert bapi.delete(f"directories/{d['id']}").json() == {"object": "directory", "id": d["id"], "deleted": True}
    assert bapi.get(f"directories/{d['id']}").status_code == 404


def _scim_client(handle: SdkHandle, directory: Any) -> SyncSCIMClient:
    """An identity provider's SCIM client, over real HTTP to the directory's endpoint on the live server."""
    url = f"{handle.mock.url}/scim/v2/{directory.id}"
    http = httpx2.Client(base_url=url, headers={"Authorization": f"Bearer {directory.api_key}"}, trust_env=False)
    client = SyncSCIMClient(http)
    client.discover()
    return client


def test_scim_client_provisions_a_user_and_a_group(sdk_handle: SdkHandle) -> None:
    sdk = sdk_handle.clerk
    conn_id, org_id = _connection(sdk)
    roles = _role_ids(sdk)
    d = sdk.scim_directories.create(request={"enterprise_connection_id": conn_id, "provider": "okta",
                                             "group_role_mappings": [{"scim_group_id": "eng",
                                                                      "role_id": roles["org:admin"]}]})
    idp = _scim_client(sdk_handle, d)
    UserModel, GroupModel = idp.get_resource_model("User"), idp.get_resource_model("Group")
    alice = idp.create(UserModel(user_name="alice@acme.com", external_id="00u-alice",
                                 name={"given_name": "Alice", "family_name": "Doe"},
                                 emails=[{"value": "alice@acme.com", "primary": True}]))
    found = idp.query(UserModel, query_parameters={"filter": 'userName eq "alice@acme.com"'})
    assert found.total_results == 1 and found.resources[0].id == alice.id
    user = sdk.users.get(user_id=alice.id)
    assert (user.first_name, user.last_name) == ("Alice", "Doe")
    assert user.email_addresses[0].email_address == "alice@acme.com"
    assert user.scim is not None and user.scim.directory_id == d.id and user.scim.external_id == "00u-alice"
    group = idp.create(GroupModel(display_name="Engineering", external_id="eng",
                                  members=[{"value": alice.id, "type": "User"}]))
    assert [m.value for m in group.members] == [alice.id]
    listed = sdk.organization_memberships.list(organization_id=org_id)
    assert [(m.public_user_data.user_id, m.role) for m in listed.data] == [(alice.id, "org:admin")]
    # the identity provider deactivates Alice: she is banned; removing her from the group ends the membership
    idp.modify(UserModel, alice.id, PatchOp[UserModel](operations=[
        PatchOperation[UserModel](op="replace", path="active", value=False)]))
    assert sdk.users.get(user_id=alice.id).banned is True
    idp.modify(GroupModel, group.id, PatchOp[GroupModel](operations=[
        PatchOperation[GroupModel](op="remove", path=f'members[value eq "{alice.id}"]')]))
    assert sdk.organization_memberships.list(organization_id=org_id).total_count == 0
    idp.delete(UserModel, alice.id)
    with raises_api_error(404, "resource_not_found"):
        sdk.users.get(user_id=alice.id)


def test_scim_endpoint_passes_scim2_tester(sdk_handle: SdkHandle) -> None:
    from scim2_tester import Status, check_server

    if sdk_handle.transport != "http":
        pytest.skip("the SCIM endpoint is served over HTTP; one run is enough")
    conn_id, _ = _connection(sdk_handle.clerk)
    d = sdk_handle.clerk.scim_directories.create(request={"enterprise_connection_id": conn_id, "provider": "okta"})
    results = check_server(_scim_client(sdk_handle, d), raise_exceptions=False)
    failed = [f"{r.title}: {r.reason}" for r in results if r.status not in (Status.SUCCESS, Status.SKIPPED)]
    assert not failed, failed
    # the two skipped checks are POST /.search, which the ServiceProviderConfig does not offer
    assert sum(r.status == Status.SUCCESS for r in results) >= 60
