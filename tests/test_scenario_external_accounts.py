"""The scenario key ``external_accounts`` (a user's accounts at OAuth providers, what the fake provider's consent
page lists: engine/fapi/social.py): seeding, every refusal at its file:line, the JSON Schema, and the export round
trip."""

from __future__ import annotations

import pytest

from clerkmock.engine import Engine
from clerkmock.scenario import ScenarioError, json_schema, parse_text
from clerkmock.scenario.export import export_scenario, to_yaml

GOOD = """users:
  - email_address: alice@example.com
    external_accounts:
      - {provider: google, provider_user_id: "1001", first_name: Alice}
      - provider: oauth_github
        email: alice@users.github.example
"""


def accounts(engine: Engine) -> list[tuple[str, str, str, str]]:
    return sorted((u.id, a.provider, a.provider_user_id, a.email_address)
                  for u in engine.state.users.values() for a in u.external_accounts)


def test_seeded_accounts_are_the_users_external_accounts() -> None:
    engine = Engine()
    parse_text(GOOD, "good.yaml").apply(engine)
    (alice,) = engine.state.users.values()
    assert [(a.provider, a.email_address, a.first_name) for a in alice.external_accounts] == [
        ("oauth_google", "alice@example.com", "Alice"), ("oauth_github", "alice@users.github.example", "")]
    assert engine.state.provider_index[("oauth_google", "1001")] == alice.id
    generated = alice.external_accounts[1].provider_user_id
    assert generated.isdigit()  # generated, deterministic: the same on every run
    again = Engine()
    parse_text(GOOD, "good.yaml").apply(again)
    assert accounts(again) == accounts(engine)


@pytest.mark.parametrize(("entry", "line", "said"), [
    ("      - {provider: myspace}", 4, "'myspace': an OAuth provider"),
    ("      - {email: a@example.com}", 4, "provider: missing"),
    ("      - provider: google\n        colour: blue", 5, "unknown key 'colour'"),
    ("      - provider: google\n        email: not-an-email", 5, "is not an email address"),
    ("      - provider: google\n        first_name: 7", 5, "first_name: must be a string"),
    ("      - provider: google\n        id: eac_short", 5, "a pinned id must be eac_"),
    ("      - just a string", 4, "must be a mapping"),
])
def test_refusals_name_the_line(entry: str, line: int, said: str) -> None:
    text = f"users:\n  - email_address: alice@example.com\n    external_accounts:\n{entry}\n"
    with pytest.raises(ScenarioError) as exc:
        parse_text(text, "bad.yaml").apply(Engine())
    assert exc.value.line == line and said in str(exc.value), str(exc.value)
    assert str(exc.value).startswith(f"bad.yaml:{line}: users[0].external_accounts[0]")


def test_one_provider_account_belongs_to_one_user() -> None:
    text = GOOD + """  - email_address: bob@example.com
    external_accounts:
      - {provider: google, provider_user_id: "1001"}
"""
    with pytest.raises(ScenarioError) as exc:
        parse_text(text, "dup.yaml").apply(Engine())
    assert exc.value.line == 9 and "belongs to another user" in str(exc.value)


def test_not_a_list_and_no_email_to_default_to() -> None:
    with pytest.raises(ScenarioError, match="must be a list"):
        parse_text("users:\n  - email_address: a@example.com\n    external_accounts: google\n", "x.yaml").apply(
            Engine())
    text = "users:\n  - username: alice1\n    skip_password_requirement: true\n    external_accounts:\n" \
           "      - {provider: google}\n"
    with pytest.raises(ScenarioError, match="has none to default to"):
        parse_text(text, "x.yaml").apply(Engine())


def test_the_schema_describes_the_key() -> None:
    item = json_schema()["properties"]["users"]["items"]["properties"]["external_accounts"]["items"]
    assert item["required"] == ["provider"] and item["additionalProperties"] is False
    assert set(item["properties"]) == {"provider", "email", "provider_user_id", "first_name", "last_name",
                                       "username", "id"}


def test_export_writes_them_back() -> None:
    engine = Engine()
    parse_text(GOOD, "good.yaml").apply(engine)
    text = to_yaml(export_scenario(engine))
    assert "external_accounts:" in text
    served = Engine()
    parse_text(text, "export.yaml").apply(served)
    assert accounts(served) == accounts(engine)
    ours = {a.id for u in engine.state.users.values() for a in u.external_accounts}
    assert {a.id for u in served.state.users.values() for a in u.external_accounts} == ours  # pinned ids
