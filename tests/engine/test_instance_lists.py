"""Allow-list / Block-list and Redirect URLs at engine level: identifier types, duplicates, invitations from
``notify``, list shapes, deletion.  Every body is checked against the spec by `Api`."""

from __future__ import annotations

from sdk import spec_check  # tests/ is on sys.path: one module copy, whose findings the session reports

from .helpers import T0, call
from .orgs_helpers import Api

WALLET = "0x" + "Ab" * 20


def test_allowlist_infers_identifier_types_and_normalizes() -> None:
    api = Api()
    cases = [("Ann@Example.COM", "ann@example.com", "email_address"), ("+15555550100", "+15555550100", "phone_number"),
             (WALLET, WALLET.lower(), "web3_wallet"), ("*@Acme.dev", "*@acme.dev", "email_address")]
    for value, stored, kind in cases:
        item = api("POST", "/v1/allowlist_identifiers", {"identifier": value})
        assert item["object"] == "allowlist_identifier" and item["id"].startswith("alid_")
        assert (item["identifier"], item["identifier_type"]) == (stored, kind)
        assert item["instance_id"] == api.state.instance.id and item["created_at"] == item["updated_at"] == T0
        assert "invitation_id" not in item
    listed = api("GET", "/v1/allowlist_identifiers")
    assert [i["identifier"] for i in listed] == ["*@acme.dev", WALLET.lower(), "+15555550100", "ann@example.com"]
    page = call(api.engine, "GET", "/v1/allowlist_identifiers?paginated=true&limit=2&offset=1").json()
    assert page["total_count"] == 4 and [i["identifier"] for i in page["data"]] == [WALLET.lower(), "+15555550100"]
    for item in page["data"]:
        spec_check.validate_schema("/components/schemas/AllowlistIdentifier", item)


def test_allowlist_refusals_and_delete() -> None:
    api = Api()
    item = api("POST", "/v1/allowlist_identifiers", {"identifier": "ann@example.com"})
    err = api.error("POST", "/v1/allowlist_identifiers", {"identifier": "ANN@example.com"}, status=400,
                    code="duplicate_record")
    assert "ann@example.com" in err["long_message"]
    for bad in ("not an identifier", "555-0100", "0x123", "*@", "@example.com"):
        api.error("POST", "/v1/allowlist_identifiers", {"identifier": bad}, status=422,
                  code="form_param_format_invalid")
    api.error("POST", "/v1/allowlist_identifiers", {}, status=422, code="form_param_missing")
    api.error("POST", "/v1/allowlist_identifiers", {"identifier": "x@y.com", "role": "x"}, status=422,
              code="form_param_unknown")
    assert api("DELETE", f"/v1/allowlist_identifiers/{item['id']}") == {
        "object": "allowlist_identifier", "id": item["id"], "deleted": True}
    api("DELETE", f"/v1/allowlist_identifiers/{item['id']}", status=404, code="resource_not_found")
    # deleted: the identifier can be added again
    api("POST", "/v1/allowlist_identifiers", {"identifier": "ann@example.com"})


def test_allowlist_notify_sends_an_invitation_for_emails_only() -> None:
    api = Api()
    item = api("POST", "/v1/allowlist_identifiers", {"identifier": "new@example.com", "notify": True})
    inv = api("GET", "/v1/invitations")
    assert [i["id"] for i in inv] == [item["invitation_id"]] and inv[0]["email_address"] == "new@example.com"
    phone = api("POST", "/v1/allowlist_identifiers", {"identifier": "+15555550101", "notify": True})
    assert "invitation_id" not in phone
    # an address a user already holds cannot be invited: nothing is written
    api.user("taken@example.com")
    api("POST", "/v1/allowlist_identifiers", {"identifier": "taken@example.com", "notify": True}, status=422,
        code="form_identifier_exists")
    assert len(api("GET", "/v1/allowlist_identifiers")) == 2


def test_blocklist_is_a_page_and_separate_from_the_allowlist() -> None:
    api = Api()
    api("POST", "/v1/allowlist_identifiers", {"identifier": "ann@example.com"})
    blocked = api("POST", "/v1/blocklist_identifiers", {"identifier": "ann@example.com"})
    assert blocked["object"] == "blocklist_identifier" and blocked["id"].startswith("blid_")
    assert "invitation_id" not in blocked
    api("POST", "/v1/blocklist_identifiers", {"identifier": "*@spam.example"})
    api("POST", "/v1/blocklist_identifiers", {"identifier": "Ann@Example.com"}, status=400, code="duplicate_record")
    api("POST", "/v1/blocklist_identifiers", {"identifier": "ann@example.com", "notify": True}, status=422,
        code="form_param_unknown")
    page = api("GET", "/v1/blocklist_identifiers")
    assert page["total_count"] == 2 and [i["identifier"] for i in page["data"]] == ["*@spam.example",
                                                                                  "ann@example.com"]
    api("DELETE", f"/v1/blocklist_identifiers/{blocked['id']}")
    api("DELETE", f"/v1/blocklist_identifiers/{blocked['id']}", status=404)
    assert api("GET", "/v1/blocklist_identifiers")["total_count"] == 1


def test_redirect_urls() -> None:
    api = Api()
    first = api("POST", "/v1/redirect_urls", {"url": "https://my-app.com/oauth-callback"})
    assert first["object"] == "redirect_url" and first["id"].startswith("ru_")
    assert first["url"] == "https://my-app.com/oauth-callback" and first["created_at"] == T0
    second = api("POST", "/v1/redirect_urls", {"url": "my-app://oauth-callback"})
    api("POST", "/v1/redirect_urls", {"url": "my-app://oauth-callback"}, status=400, code="duplicate_record")
    for bad in ("my-app.com/callback", "", "https://"):
        api("POST", "/v1/redirect_urls", {"url": bad}, status=422, code="form_param_format_invalid")
    assert api("GET", f"/v1/redirect_urls/{first['id']}") == first
    assert [r["id"] for r in api("GET", "/v1/redirect_urls")] == [second["id"], first["id"]]
    page = call(api.engine, "GET", "/v1/redirect_urls?paginated=true&limit=1").json()
    assert page["total_count"] == 2 and [r["id"] for r in page["data"]] == [second["id"]]
    assert api("DELETE", f"/v1/redirect_urls/{first['id']}")["deleted"] is True
    api("GET", f"/v1/redirect_urls/{first['id']}", status=404, code="resource_not_found")
    api("DELETE", f"/v1/redirect_urls/{first['id']}", status=404)
