"""Scenario files: the minimal contract file, the shipped scenarios, line-numbered errors, atomicity,
pinned and stable ids, idempotence, the CLI and the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from clerkmock import ClerkMock
from clerkmock.cli import main
from clerkmock.engine import Engine, Request
from clerkmock.scenario import ScenarioError, json_schema, load, parse_text, validate
from clerkmock.server.pipeline import Pipeline
from clerkmock.server.state_json import dump_state

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))

# The file from issue 5, verbatim: "the contract other tools and docs rely on".
MINIMAL = """\
users:
  - email_address: [alice@example.com]
    first_name: Alice
    password: correct-horse-battery
  - email_address: [bob@example.com]
    first_name: Bob
organizations:
  - name: Acme
    slug: acme
    created_by: alice@example.com
    members:
      - {user: bob@example.com, role: org:member}
faults:
  - match: {method: POST, path: /v1/users}
    respond: {status: 429, error: too_many_requests, headers: {Retry-After: "1"}}
    times: 1
"""
AUTH = {"Authorization": "Bearer sk_test_scenarios"}


def get(engine: Engine, url: str) -> Any:
    r = engine.handle(Request.make("GET", url), trusted=True)
    assert r.status == 200, r.body
    return r.json()


def test_the_minimal_file_works_as_written(tmp_path: Path) -> None:
    path = tmp_path / "minimal.yaml"
    path.write_text(MINIMAL)
    mock = ClerkMock(scenario=path, config_dir=tmp_path)
    engine = mock.engine
    users = {u["first_name"]: u for u in get(engine, "/v1/users")}
    assert set(users) == {"Alice", "Bob"} and users["Alice"]["password_enabled"] is True
    (org,) = get(engine, "/v1/organizations")["data"]
    assert (org["name"], org["slug"], org["created_by"]) == ("Acme", "acme", users["Alice"]["id"])
    roles = {m["public_user_data"]["user_id"]: m["role"]
             for m in get(engine, f"/v1/organizations/{org['id']}/memberships")["data"]}
    assert roles == {users["Alice"]["id"]: "org:admin", users["Bob"]["id"]: "org:member"}
    with httpx.Client(base_url="http://x", transport=mock.transport(), headers=AUTH) as client:
        body = {"email_address": ["carol@example.com"]}
        first = client.post("/v1/users", json=body)
        assert first.status_code == 429 and first.headers["retry-after"] == "1"
        assert first.json()["errors"][0]["code"] == "too_many_requests"
        assert client.post("/v1/users", json=body).status_code == 200  # times: 1
        mock.reset()  # back to the seeded state, fault armed again
        assert client.post("/v1/users", json=body).status_code == 429
        assert len(get(engine, "/v1/users")) == 2


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenarios_validate(path: Path) -> None:
    validate(path)
    result = CliRunner().invoke(main, ["scenario", "validate", str(path)])
    assert result.exit_code == 0 and "ok" in result.output


def test_basic_scenario(tmp_path: Path) -> None:
    mock = ClerkMock(scenario=SCENARIOS / "basic.yaml", config_dir=tmp_path)
    e = mock.engine
    assert len(get(e, "/v1/users")) == 4
    alice = get(e, "/v1/users/user_2basicAlice0000000000000000")
    assert alice["username"] == "alice"
    org = get(e, "/v1/organizations/acme")
    assert org["id"] == "org_2basicAcme00000000000000000"
    members = get(e, f"/v1/organizations/{org['id']}/memberships")["data"]
    assert sorted(m["role"] for m in members) == ["org:admin", "org:member"]
    (session,) = get(e, f"/v1/sessions?user_id={alice['id']}")
    assert session["status"] == "active" and session["last_active_organization_id"] == org["id"]
    token = e.handle(Request.make("POST", f"/v1/sessions/{session['id']}/tokens"), trusted=True).json()["jwt"]
    assert token.count(".") == 2


def test_b2b_scenario(tmp_path: Path) -> None:
    e = ClerkMock(scenario=SCENARIOS / "b2b.yaml", config_dir=tmp_path).engine
    orgs = {o["slug"]: o for o in get(e, "/v1/organizations?limit=100")["data"]}
    assert set(orgs) == {"globex", "initech", "umbrella"}
    assert orgs["globex"]["id"] == "org_2b2bGlobex00000000000000000"
    assert orgs["globex"]["created_at"] == 1748854800000  # instance.clock.start: frozen
    roles = {r["key"] for r in get(e, "/v1/organization_roles?limit=100")["data"]}
    assert {"org:billing", "org:viewer"} <= roles
    globex = orgs["globex"]["id"]
    member_roles = {m["public_user_data"]["identifier"]: m["role"]
                    for m in get(e, f"/v1/organizations/{globex}/memberships")["data"]}
    assert member_roles == {"ada@globex.test": "org:admin", "grace@globex.test": "org:billing",
                            "linus@globex.test": "org:member"}
    pending = get(e, f"/v1/organizations/{globex}/invitations?status=pending")["data"]
    assert {i["email_address"] for i in pending} == {"new.hire@globex.test", "accountant@globex.test"}
    assert {i["email_address"] for i in get(e, "/v1/invitations")} == {"prospect@hooli.test"}
    session = get(e, "/v1/sessions/sess_2b2bAdaGlobex00000000000000")
    assert session["last_active_organization_id"] == globex
    ada_orgs = get(e, "/v1/users/user_2b2bAda00000000000000000000/organization_memberships")["data"]
    assert len(ada_orgs) == 2
    assert [t["name"] for t in get(e, "/v1/jwt_templates")] == ["supabase"]


def test_rate_limited_scenario(tmp_path: Path) -> None:
    mock = ClerkMock(scenario=SCENARIOS / "rate-limited.yaml", config_dir=tmp_path)
    with httpx.Client(base_url="http://x", transport=mock.transport(), headers=AUTH) as client:
        assert [client.get("/v1/users").status_code for _ in range(100)] == [200] * 100
        limited = client.get("/v1/users")
        assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
        assert client.get("/v1/jwks").status_code == 200
        mock.engine.clock.advance(seconds=10)
        assert client.get("/v1/users").status_code == 200


def test_flaky_scenario_is_reproducible(tmp_path: Path) -> None:
    def run() -> list[Any]:
        mock = ClerkMock(scenario=SCENARIOS / "flaky.yaml", config_dir=tmp_path)
        pipeline = mock.pipeline
        out = []
        for i in range(60):
            r = pipeline.handle(Request.make("GET", f"/v1/users/user_{i}", headers=AUTH))
            out.append((r.response.status, r.action, r.delay_ms))
        return out

    first = run()
    assert first == run()
    kinds = {s for s, t, _ in first} | {t for _, t, _ in first}
    assert {503, "reset", 404} <= kinds
    assert all(20 <= d <= 80 for _, _, d in first)


def test_outage_scenario(tmp_path: Path) -> None:
    mock = ClerkMock(scenario=SCENARIOS / "outage.yaml", config_dir=tmp_path)
    with httpx.Client(base_url="http://x", transport=mock.transport(), headers=AUTH) as client:
        for method, url in (("GET", "/v1/users"), ("POST", "/v1/users"), ("GET", "/v1/jwks")):
            r = client.request(method, url)
            assert r.status_code == 503
            assert r.json()["errors"][0]["code"] == "maintenance_mode"
            assert r.json()["errors"][0]["message"] == "System under maintenance"
    assert mock.engine.state.instance.environment == "production"


def test_seeded_ids_are_stable_across_runs() -> None:
    def ids() -> list[str]:
        engine = Engine()
        summary = load(SCENARIOS / "b2b.yaml").apply(engine)
        return [i for section in sorted(summary) for i in summary[section]]

    first = ids()
    assert first == ids() and len(first) == len(set(first)) > 20


def test_seed_changes_generated_ids_but_not_pinned_ones() -> None:
    a = parse_text("instance: {seed: one}\nusers: [{email_address: a@x.test}, "
                   "{id: user_2pinned00000000000000000000, email_address: b@x.test}]").apply(Engine())
    b = parse_text("instance: {seed: two}\nusers: [{email_address: a@x.test}, "
                   "{id: user_2pinned00000000000000000000, email_address: b@x.test}]").apply(Engine())
    assert a["users"][0] != b["users"][0]
    assert a["users"][1] == b["users"][1] == "user_2pinned00000000000000000000"


def test_pinned_ids_are_rekeyed_everywhere() -> None:
    engine = Engine()
    load(SCENARIOS / "basic.yaml").apply(engine)
    st = engine.state
    alice = "user_2basicAlice0000000000000000"
    assert alice in st.users and st.username_index["alice"] == alice
    assert all(st.identifications[i].user_id == alice for i in st.users[alice].email_ids)
    org = st.orgs.orgs["org_2basicAcme00000000000000000"]
    assert org.created_by == alice and st.orgs.membership(org.id, alice) is not None
    dump = json.dumps(json.loads(json.dumps(get(engine, f"/v1/users/{alice}"))))
    assert "user_0000" not in dump


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("users:\n  - first_name: A\n    email_address: [nope]\n", 3, "users[0]: form_param_format_invalid"),
        ("users:\n  - email_address: [a@x.test]\n  - email_address: [a@x.test]\n", 3,
         "users[1]: form_identifier_exists"),
        ("users:\n  - email_address: [a@x.test]\n    frist_name: A\n", 3, "users[0]: form_param_unknown"),
        ("organizations:\n  - name: Acme\n    created_by: ghost@x.test\n", 3, "no user 'ghost@x.test'"),
        ("organizations:\n  - name: Acme\n    members:\n      - {user: nobody}\n", 4, "no user 'nobody'"),
        ("sessions:\n  - user: nobody@x.test\n", 2, "no user"),
        ("instance:\n  environment: staging\n", 2, "development or production"),
        ("istance: {}\n", 1, "unknown top-level key 'istance'"),
        ("users: {}\n", 1, "users must be a list"),
        ("faults:\n  - match: {method: GET}\n    respond: {status: 500}\n    tmes: 2\n", 4,
         "unknown fault rule key 'tmes'"),
        ("users: [\n", 2, "invalid YAML"),
        ("users:\n  - id: user_short\n    email_address: [a@x.test]\n", 2, "a pinned id must be user_"),
        ("billing:\n  plans:\n    - {slug: pro, name: Pro}\n    - slug: pro\n      name: Again\n", 4,
         "billing.plans[1]: form_identifier_exists"),
        ("users: [{email_address: a@x.test}]\nbilling:\n  subscriptions:\n    - user: a@x.test\n"
         "      plan: nope\n", 5, "billing.subscriptions[0]: form_resource_not_found"),
        ("billing:\n  cards:\n    - {user: ghost@x.test, declines: true}\n", 3, "no user 'ghost@x.test'"),
    ],
)
def test_bad_scenarios_report_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        validate(path)
    assert info.value.line == line, str(info.value)
    assert message in str(info.value)
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_cli_validate_prints_every_structural_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("istance: {}\nusers: {}\nrate_limit: sometimes\n")
    result = CliRunner().invoke(main, ["scenario", "validate", str(SCENARIOS / "basic.yaml"), str(bad)])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.startswith(str(bad))]
    assert [ln.split(":")[1] for ln in lines] == ["1", "2", "3"]


def test_validate_reports_every_independent_seeding_problem(tmp_path: Path) -> None:
    """Issue 12.10: only the first seeding error was reported.  Every independent one is, each at its line;
    what fails only because of an earlier failure (Acme's creator, a member, a session) is not."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "users:\n"
        "  - email_address: [not-an-email]\n"                        # 2: bad
        "    username: alice\n"
        "  - email_address: [bob@example.com]\n"
        "  - email_address: [carol@example.com]\n"
        "    password: short\n"                                      # 6: bad
        "organizations:\n"
        "  - {name: Acme, slug: acme, created_by: alice}\n"          # alice failed: not reported
        "  - name: Beta\n"
        "    created_by: bob@example.com\n"
        "    members:\n"
        "      - {user: carol@example.com, role: 'org:member'}\n"   # carol failed: not reported
        "      - {user: dave@example.com, role: 'org:member'}\n"    # 13: no such user
        "sessions:\n"
        "  - {user: bob@example.com, active_organization: acme}\n"  # acme failed: not reported
        "  - {user: erin@example.com}\n")                           # 16: no such user
    result = CliRunner().invoke(main, ["scenario", "validate", str(bad)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert [ln.split(":")[1] for ln in lines] == ["2", "6", "13", "16"], result.output
    assert "valid email" in lines[0] and "8 characters" in lines[1]
    assert "dave@example.com" in lines[2] and "erin@example.com" in lines[3]
    with pytest.raises(ScenarioError) as info:
        validate(bad)
    assert len(info.value.problems) == 4 and str(info.value).endswith("(and 3 more problems)")


def test_a_failing_scenario_leaves_nothing_behind() -> None:
    engine = Engine()
    load(SCENARIOS / "basic.yaml").apply(engine)
    before = dump_state(engine.state)
    clock = engine.clock.state()
    bad = parse_text("instance: {clock: {start: 2030-01-01T00:00:00Z}, api_version: 2024-10-01}\n"
                     "users:\n  - email_address: [new@x.test]\n"
                     "organizations:\n  - name: Org\n    members: [{user: ghost@x.test, role: org:member}]\n")
    with pytest.raises(ScenarioError):
        bad.apply(engine)
    assert dump_state(engine.state) == before
    assert engine.clock.state() == clock and engine.default_version == "2025-11-10"


def test_applying_a_scenario_twice_is_idempotent_for_pinned_entries_and_faults() -> None:
    doc = ("instance: {seed: twice}\n"
           "users: [{id: user_2twice000000000000000000000, email_address: [t@x.test]}]\n"
           "organizations: [{id: org_2twice000000000000000000000, name: T, created_by: t@x.test}]\n"
           "faults: [{id: slow, delay: 5}]\nrate_limit: development\n")
    pipeline = Pipeline(Engine())
    scenario = parse_text(doc)
    first = pipeline.apply_scenario(scenario)
    state = dump_state(pipeline.engine.state)
    second = pipeline.apply_scenario(parse_text(doc))
    assert first["users"] and second == {}
    assert dump_state(pipeline.engine.state) == state
    assert [r.id for r in pipeline.faults.rules] == ["rate_limit", "slow"]


def test_reset_returns_to_the_seeded_state_not_to_empty(tmp_path: Path) -> None:
    mock = ClerkMock(scenario=SCENARIOS / "basic.yaml", config_dir=tmp_path)
    with httpx.Client(base_url="http://x", transport=mock.transport(), headers=AUTH) as client:
        client.delete("/v1/users/user_2basicAlice0000000000000000")
        client.post("/v1/users", json={"email_address": ["zed@example.com"]})
        assert len(client.get("/v1/users").json()) == 4
        assert client.post("/__clerkmock/reset").json()["users"] == 4
        assert client.get("/v1/users/user_2basicAlice0000000000000000").status_code == 200
        assert {u["first_name"] for u in client.get("/v1/users").json()} == {"Alice", "Bob", "Carol", "Mallory"}


def test_json_input_and_yaml_timestamps() -> None:
    doc = json.dumps({"instance": {"clock": {"start": 1700000000000}},
                      "users": [{"email_address": ["j@x.test"], "created_at": "2020-01-02T03:04:05Z"}]})
    engine = Engine()
    parse_text(doc, "doc.json").apply(engine)
    (user,) = get(engine, "/v1/users")
    assert user["created_at"] == 1577934245000 and engine.clock.frozen
    parse_text("users:\n  - email_address: y@x.test\n    created_at: 2021-01-01T00:00:00Z\n").apply(engine)
    assert {u["created_at"] for u in get(engine, "/v1/users")} == {1577934245000, 1609459200000}


def test_instance_settings(tmp_path: Path) -> None:
    doc = tmp_path / "i.yaml"
    doc.write_text("instance:\n  secret_keys: [sk_test_only]\n  api_version: 2026-05-12\n"
                   "  clock: {offset_s: -3600}\n")
    mock = ClerkMock(scenario=doc, config_dir=tmp_path)
    assert mock.engine.secret_keys == {"sk_test_only"} and mock.secret_key == "sk_test_only"
    assert mock.engine.default_version == "2026-05-12" and not mock.engine.clock.frozen
    with httpx.Client(base_url="http://x", transport=mock.transport()) as client:
        assert client.get("/v1/users", headers={"Authorization": "Bearer sk_test_other"}).status_code == 401
        assert client.get("/v1/users", headers={"Authorization": "Bearer sk_test_only"}).status_code == 200


def test_schema_is_valid_and_accepts_the_shipped_scenarios() -> None:
    import jsonschema
    import yaml

    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in [*SHIPPED]:
        data = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
        errors = [e.message for e in validator.iter_errors(data)]
        assert not errors, f"{path.name}: {errors}"
    assert not list(validator.iter_errors(yaml.safe_load(MINIMAL)))
    assert list(validator.iter_errors({"users": [{"frist_name": "x"}]}))
    result = CliRunner().invoke(main, ["scenario", "schema"])
    assert result.exit_code == 0 and json.loads(result.output) == schema


def test_schema_covers_every_key_the_loader_knows() -> None:
    from clerkmock.faults.rules import RULE_KEYS
    from clerkmock.scenario.schema import INSTANCE_KEYS, TOP_LEVEL_KEYS

    schema = json_schema()
    assert set(schema["properties"]) == set(TOP_LEVEL_KEYS)
    assert set(schema["properties"]["instance"]["properties"]) == set(INSTANCE_KEYS)
    assert set(schema["properties"]["faults"]["items"]["properties"]) == set(RULE_KEYS)


@pytest.mark.parametrize("doc", ["docs/scenarios.md", "README.md"])
def test_yaml_examples_in_the_docs_are_valid_scenarios(doc: str) -> None:
    import re

    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / doc).read_text(), re.S)
    assert blocks
    for i, block in enumerate(blocks):
        parse_text(block, f"{doc} block {i}").apply(Engine())


def test_unknown_billing_keys_are_reported_with_their_line() -> None:
    from clerkmock.scenario import ScenarioError

    with pytest.raises(ScenarioError, match=r":3: unknown billing key 'plan'"):
        parse_text("users: []\nbilling:\n  plan: []\n", "typo.yaml")
