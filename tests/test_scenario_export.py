"""Scenario export: seed, mutate through the official SDK, export (``GET /__clerkmock/scenario`` and
``clerkmock scenario export``), serve the export, and compare every object through the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from clerk_backend_api import Clerk
from click.testing import CliRunner

from clerkmock import ClerkMock
from clerkmock.cli import main
from clerkmock.engine import Engine, Request
from clerkmock.scenario import ScenarioError, parse_text

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk_test_export"


def _get(http: httpx.Client, path: str, **params: Any) -> Any:
    response = http.get(path, params=params)
    assert response.status_code == 200, (path, response.text)
    return response.json()


def _token(mock: ClerkMock) -> dict[str, str]:
    return {"Authorization": f"Bearer {mock.control_token}"}


def everything(mock: ClerkMock) -> dict[str, Any]:
    """Every object an export promises to restore, as the API answers it."""
    out: dict[str, Any] = {}
    with httpx.Client(base_url=mock.api_url, headers={"Authorization": f"Bearer {KEY}"}) as http:
        users = _get(http, "/users", limit=500, order_by="-created_at")
        out["users"] = users
        for user in users:
            out[f"user {user['id']}"] = _get(http, f"/users/{user['id']}")
            out[f"memberships of {user['id']}"] = _get(http, f"/users/{user['id']}/organization_memberships",
                                                       limit=100)
        orgs = _get(http, "/organizations", limit=500, include_members_count="true")
        out["organizations"] = orgs
        for org in orgs["data"]:
            out[f"org {org['id']}"] = _get(http, f"/organizations/{org['id']}")
            out[f"members of {org['id']}"] = _get(http, f"/organizations/{org['id']}/memberships", limit=500)
            out[f"invitations of {org['id']}"] = _get(http, f"/organizations/{org['id']}/invitations",
                                                      limit=500, status="pending")
        out["invitations"] = _get(http, "/invitations", limit=500, status="pending")
        out["roles"] = _get(http, "/organization_roles", limit=500)
        out["permissions"] = _get(http, "/organization_permissions", limit=500)
        out["jwt_templates"] = _get(http, "/jwt_templates", limit=500)
        out["instance"] = _get(http, "/instance")
    return out


def mutate(mock: ClerkMock) -> dict[str, str]:
    """Changes through the Python SDK, over HTTP: each leaves something a create body alone cannot say."""
    with Clerk(bearer_auth=KEY, server_url=mock.api_url) as clerk:
        ada = clerk.users.list(request={"username": ["ada-lovelace"]})[0]
        eve = clerk.users.create(email_address=["eve@example.test"], first_name="Eve",
                                  password="correct-horse-battery", public_metadata={"tier": 2})
        clerk.email_addresses.create(request={"user_id": eve.id, "email_address": "eve.work@example.test",
                                              "verified": False})
        extra = clerk.email_addresses.create(request={"user_id": eve.id, "email_address": "eve.home@example.test",
                                                      "verified": True, "primary": True})
        clerk.users.update(user_id=ada.id, last_name="King")
        clerk.users.update_metadata(user_id=ada.id, unsafe_metadata={"theme": "dark"})
        clerk.users.ban(user_id=eve.id)
        mallory = clerk.users.create(phone_number=["+15555550100"], username="mallory")
        clerk.users.lock(user_id=mallory.id)
        org = clerk.organizations.create(request={"name": "Hooli", "created_by": ada.id,
                                                  "private_metadata": {"crm": 7}})
        clerk.organization_memberships.create(organization_id=org.id, user_id=eve.id, role="org:member")
        clerk.organization_memberships.update(organization_id=org.id, user_id=eve.id, role="org:admin")
        clerk.organization_memberships.update_metadata(organization_id=org.id, user_id=eve.id,
                                                       public_metadata={"desk": "3F"})
        clerk.organization_invitations.create(organization_id=org.id, email_address="gavin@hooli.test",
                                              role="org:member", inviter_user_id=ada.id)
        clerk.invitations.create(request={"email_address": "richard@piedpiper.test",
                                          "public_metadata": {"src": "export"}})
        clerk.jwt_templates.create(request={"name": "hasura", "claims": {"role": "{{user.public_metadata.tier}}"}})
        clerk.organizations.update(organization_id=org.id, max_allowed_memberships=9)
        return {"eve": eve.id, "extra": extra.id, "org": org.id}


@pytest.fixture
def source(tmp_path: Path) -> ClerkMock:
    with ClerkMock(scenario=ROOT / "scenarios" / "b2b.yaml", config_dir=tmp_path / "src") as mock:
        yield mock


def test_export_serves_back_identical_answers(source: ClerkMock, tmp_path: Path) -> None:
    ids = mutate(source)
    refused = httpx.get(source.url + "/__clerkmock/scenario", params={"secrets": "1"})
    assert refused.status_code == 401  # secrets only with the control token, as GET state?secrets=1
    response = httpx.get(source.url + "/__clerkmock/scenario", params={"secrets": "1"}, headers=_token(source))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/yaml"
    exported = tmp_path / "export.yaml"
    exported.write_text(response.text)
    doc = yaml.safe_load(response.text)
    assert ids["eve"] in [u["id"] for u in doc["users"]]  # pinned ids
    before = everything(source)

    with ClerkMock(scenario=exported, config_dir=tmp_path / "copy") as copy:
        after = everything(copy)
        assert after.keys() == before.keys()
        for key in before:
            assert after[key] == before[key], key
        # the password came along (secrets=1): Eve can still sign in with it
        with Clerk(bearer_auth=KEY, server_url=copy.api_url) as clerk:
            assert clerk.users.verify_password(user_id=ids["eve"], password="correct-horse-battery").verified
            # new ids never collide with the pinned ones
            fresh = clerk.users.create(email_address=["new@example.test"])
            assert fresh.id not in {u["id"] for u in doc["users"]}


def test_export_is_redacted_by_default(source: ClerkMock, tmp_path: Path) -> None:
    ids = mutate(source)
    text = httpx.get(source.url + "/__clerkmock/scenario").text
    assert "password_hash" not in text and "clerkmock$pbkdf2" not in text
    exported = tmp_path / "redacted.yaml"
    exported.write_text(text)
    before = everything(source)
    with ClerkMock(scenario=exported, config_dir=tmp_path / "copy") as copy:
        after = everything(copy)
    # what a redacted export cannot restore: the password (and what it implies)
    for answers in (before, after):
        for key, value in answers.items():
            if key.startswith("user ") or key == "users":
                for user in value if isinstance(value, list) else [value]:
                    user.pop("password_enabled"), user.pop("password_last_updated_at", None)
    assert after == before
    assert ids["eve"] in text


def test_export_json_and_cli_round_trip(source: ClerkMock, tmp_path: Path) -> None:
    mutate(source)
    as_json = httpx.get(source.url + "/__clerkmock/scenario", params={"format": "json", "secrets": "1"},
                        headers=_token(source)).json()
    out = tmp_path / "cli.yaml"
    result = CliRunner(env={"CLERKMOCK_CONTROL_TOKEN": source.control_token}).invoke(
        main, ["scenario", "export", "--url", source.url, "-o", str(out), "--secrets"])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(out.read_text()) == as_json
    import jsonschema

    from clerkmock.scenario import json_schema

    jsonschema.Draft202012Validator(json_schema()).validate(as_json)  # editors accept an export too
    engine = Engine()
    parse_text(out.read_text(), str(out)).apply(engine)
    assert len(engine.state.users) == len(as_json["users"])
    bad = httpx.get(source.url + "/__clerkmock/scenario", params={"format": "xml"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "invalid_query_parameter_value"


def test_cli_export_without_a_server_is_a_clear_message() -> None:
    result = CliRunner().invoke(main, ["scenario", "export", "--url", "http://127.0.0.1:9"])
    assert result.exit_code != 0
    assert "nothing answers at" in result.output and "Traceback" not in result.output


def test_restore_refuses_unknown_fields_and_bad_types() -> None:
    text = "users:\n  - email_address: [a@example.test]\n    restore: {updated_at: soon}\n"
    with pytest.raises(ScenarioError) as exc:
        parse_text(text, "bad.yaml").apply(Engine())
    assert exc.value.line == 3 and "updated_at" in str(exc.value)
    text = "users:\n  - email_address: [a@example.test]\n    restore:\n      first_name: Z\n"
    with pytest.raises(ScenarioError) as exc:
        parse_text(text, "bad.yaml").apply(Engine())
    assert exc.value.line == 4 and "cannot be restored" in str(exc.value)
    text = ("users:\n  - email_address: [a@example.test]\n    restore:\n"
            "      primary_email_address_id: idn_000000000000000000000000000\n")
    with pytest.raises(ScenarioError, match="not one of the user's own"):
        parse_text(text, "bad.yaml").apply(Engine())


# -- pull: a running clerkmock as the upstream Clerk ----------------------------------------------------------

def _without_passwords(answers: dict[str, Any]) -> dict[str, Any]:
    """What a pull cannot read from Clerk: the password (and when it was set)."""
    for key, value in answers.items():
        if key.startswith("user ") or key == "users":
            for user in value if isinstance(value, list) else [value]:
                user.pop("password_enabled"), user.pop("password_last_updated_at", None)
    return answers


def test_pull_copies_an_instance_through_the_backend_api(source: ClerkMock, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from clerkmock.scenario.export import to_yaml
    from clerkmock.scenario.pull import Puller

    mutate(source)
    for i in range(7):  # more users than one page of the small pages below
        httpx.post(source.url + "/v1/users", headers={"Authorization": f"Bearer {KEY}"},
                   json={"email_address": [f"bulk{i}@example.test"]}).raise_for_status()
    # a scripted rate limit in the middle of the user pages: the second GET /v1/users gets a 429
    rule = httpx.post(source.url + "/__clerkmock/faults", json={
        "match": {"method": "GET", "path": "/v1/users"}, "after": 1, "times": 1,
        "respond": {"error": "too_many_requests", "headers": {"Retry-After": "3"}}}).json()
    httpx.delete(source.url + "/__clerkmock/requests")
    waits: list[float] = []
    seen: list[tuple[str, int, int | None]] = []
    monkeypatch.setattr("clerkmock.scenario.pull.PAGE", 4)
    doc = Puller(source.url, KEY, sleep=waits.append, progress=lambda *a: seen.append(a)).run()
    assert waits == [3.0]  # honoured Retry-After
    assert httpx.get(source.url + f"/__clerkmock/faults/{rule['id']}").json()["fired"] == 1
    journal = httpx.get(source.url + "/__clerkmock/requests", params={"path": "/v1/users"}).json()["data"]
    assert [e["status"] for e in journal][:3] == [200, 429, 200]  # the refused page was asked again
    assert ("users", len(doc["users"]), len(doc["users"])) in seen
    pulled = tmp_path / "pulled.yaml"
    pulled.write_text(to_yaml(doc))
    before = _without_passwords(everything(source))
    with ClerkMock(scenario=pulled, config_dir=tmp_path / "copy") as copy:
        # a real Clerk runs on wall time, so a pull carries no clock; this upstream's is frozen in 2025
        now = httpx.get(source.url + "/__clerkmock/clock").json()["now_ms"]
        httpx.post(copy.url + "/__clerkmock/clock", json={"set": now, "frozen": True}).raise_for_status()
        after = _without_passwords(everything(copy))
    assert after.keys() == before.keys()
    for key in before:
        assert after[key] == before[key], key


def test_pull_limit_and_scrub_pii(source: ClerkMock, tmp_path: Path) -> None:
    mutate(source)
    out = tmp_path / "scrubbed.yaml"
    result = CliRunner().invoke(main, ["scenario", "pull", "--from", source.url, "--secret-key", KEY,
                                       "-o", str(out), "--limit", "3", "--scrub-pii"])
    assert result.exit_code == 0, result.output
    assert result.output == ""  # not a terminal: no progress
    text = out.read_text()
    doc = yaml.safe_load(text)
    assert len(doc["users"]) == 3
    for pii in ("ada@globex.test", "Lovelace", "grace", "gavin@hooli.test", "margaret"):
        assert pii.lower() not in text.lower()
    assert "email1@example.com" in text and "Passwords cannot be read" in text
    engine = Engine()
    parse_text(text, str(out)).apply(engine)  # a scrubbed pull still seeds
    members = {m["user"] for org in doc.get("organizations", []) for m in org["members"]}
    assert members <= {u["id"] for u in doc["users"]}


def test_pull_reports_a_refusing_upstream(source: ClerkMock) -> None:
    httpx.post(source.url + "/__clerkmock/faults", json={"match": "GET /v1/instance", "respond": 401})
    result = CliRunner().invoke(main, ["scenario", "pull", "--from", source.url, "--secret-key", KEY])
    assert result.exit_code == 1
    assert "GET /instance: 401" in result.output and "Traceback" not in result.output


def test_a_bundled_scenario_exports_and_serves_back(tmp_path: Path) -> None:
    """basic.yaml's export failed to load ("idn_… is already another address's id"): an address created earlier
    in the load had been generated the id a later entry pins; the generated one must move aside.  basic.yaml
    does not freeze the clock: every object comes back identical all the same, membership lists in the same
    order (their timestamps are restored, ties broken by id)."""
    with ClerkMock(scenario=ROOT / "scenarios" / "basic.yaml", config_dir=tmp_path / "src") as mock:
        exported = tmp_path / "basic-export.yaml"
        response = httpx.get(mock.url + "/__clerkmock/scenario", params={"secrets": "1"}, headers=_token(mock))
        assert response.status_code == 200
        exported.write_text(response.text)
        before = everything(mock)
    with ClerkMock(scenario=exported, config_dir=tmp_path / "copy") as copy:
        after = everything(copy)
    assert after.keys() == before.keys()
    assert any(k.startswith("members of ") for k in before)
    for key in before:
        assert after[key] == before[key], key


def test_loading_an_export_pins_ids_without_walking_the_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-keying walks the whole state once per pinned id: loading an export of 5k users took minutes.  The
    seeder has the id generator hand out the pinned ids (records and their addresses, the creator's
    membership), so a plain export loads with no re-key at all, and the answers are the same."""
    from clerkmock.scenario import restore, seeding
    from clerkmock.scenario.export import export_scenario, to_yaml

    source = Engine()
    parse_text((ROOT / "scenarios" / "b2b.yaml").read_text(), "b2b.yaml").apply(source)
    extra = "\n".join(f"  - {{email_address: [bulk{i}@example.test, alt{i}@example.test], phone_number: "
                      f"['+1555555{i:04d}'], username: bulk_{i}}}" for i in range(60))
    parse_text("users:\n" + extra + "\norganizations:\n  - {name: Bulk, created_by: bulk_0, members: "
               "[{user: bulk_1, role: 'org:member'}]}\n", "bulk.yaml").apply(source)
    text = to_yaml(export_scenario(source))
    walks: list[tuple[str, str]] = []
    for module in (seeding, restore):
        real = module.rekey
        monkeypatch.setattr(module, "rekey", lambda st, old, new, real=real: (walks.append((old, new)),
                                                                              real(st, old, new)))
    copy = Engine()
    parse_text(text, "export.yaml").apply(copy)
    assert walks == []
    assert to_yaml(export_scenario(copy)) == text
    fresh = copy.handle(Request.make("POST", "/v1/users", json={"email_address": ["new@example.test"]}),
                        trusted=True).json()
    assert fresh["id"] not in source.state.users  # pinned ids are claimed: never generated again


def test_seeding_and_writing_report_progress(tmp_path: Path) -> None:
    """serve --scenario and scenario export show a progress line on a terminal: the seeder reports each entry,
    the YAML writer each chunk of a long section (and the chunks make the same text as one dump)."""
    from clerkmock.scenario import export

    users = [{"email_address": [f"p{i}@example.test"], "public_metadata": {"i": i, "tags": ["a", None]}}
             for i in range(export.YAML_CHUNK + 20)]
    scenario = tmp_path / "many.yaml"
    scenario.write_text(yaml.safe_dump({"users": users,
                                        "organizations": [{"name": "P", "created_by": "p0@example.test"}]}))
    seen: list[tuple[str, int, int]] = []
    with ClerkMock(scenario=scenario, config_dir=tmp_path / "cfg", progress=lambda *a: seen.append(a)) as mock:
        doc = export.export_scenario(mock.engine)
    assert seen[0] == ("users", 1, len(users)) and ("users", len(users), len(users)) in seen
    assert seen[-1] == ("organizations", 1, 1)
    written: list[tuple[str, int, int]] = []
    text = export.to_yaml(doc, lambda *a: written.append(a))
    assert written == [("users", export.YAML_CHUNK, len(users)), ("users", len(users), len(users))]
    assert text == export.FORMAT_NOTE + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)


def test_progress_lines_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    import sys

    from clerkmock import cli

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert cli._Status().counter("seeding") is None  # piped or in CI: nothing
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    progress = cli._Status().counter("seeding")
    assert progress is not None
    for i in range(1, 1001):
        progress("users", i, 1000)
    err = capsys.readouterr().err
    assert err.count("\r") == 100  # redrawn ~100 times, not 1000
    assert err.endswith("seeding users: 1000/1000 [########################]")


def test_webhook_endpoints_and_frontend_settings_export_and_load_back(tmp_path: Path) -> None:
    """The scenario keys `webhooks:` and `frontend:` are exported too (an endpoint's signing secret only with
    secrets); endpoints given on the command line are not (serving the export with the same flag adds them)."""
    scenario = tmp_path / "fe.yaml"
    scenario.write_text("frontend: {application_name: Acme, username: required, single_session_mode: false}\n")
    with ClerkMock(scenario=scenario, config_dir=tmp_path / "src", webhooks=["http://127.0.0.1:9/cli"]) as mock:
        created = httpx.post(mock.url + "/__clerkmock/webhooks", json={
            "url": "http://127.0.0.1:9/hooks", "events": ["user.*"], "retry_schedule": [1, 2],
            "description": "the app", "faults": [{"id": "f1", "drop": True, "times": 2}]}).json()
        redacted = yaml.safe_load(httpx.get(mock.url + "/__clerkmock/scenario").text)
        text = httpx.get(mock.url + "/__clerkmock/scenario", params={"secrets": "1"}, headers=_token(mock)).text
        settings = dict(mock.engine.state.fapi.settings)
    assert [e["url"] for e in redacted["webhooks"]] == ["http://127.0.0.1:9/hooks"]
    assert "secret" not in redacted["webhooks"][0]
    assert redacted["frontend"] == {"application_name": "Acme", "username": "required", "single_session_mode": False}
    exported = tmp_path / "export.yaml"
    exported.write_text(text)
    with ClerkMock(scenario=exported, config_dir=tmp_path / "copy") as copy:
        [endpoint] = httpx.get(copy.url + "/__clerkmock/webhooks").json()["endpoints"]
        assert copy.engine.state.fapi.settings == settings
    for key in ("id", "url", "events", "secret", "retry_schedule", "description"):
        assert endpoint[key] == created[key], key
    assert [(f["id"], f.get("drop"), f.get("times")) for f in endpoint["faults"]] == [("f1", True, 2)]
