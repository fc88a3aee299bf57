"""The example apps' commands in docs/browser.md and the README are the ones tests/browser/examples.py runs.

test_doc_recipes.py cannot run that doc block (``npm ci`` needs the registry, ``next build`` a minute); the example
tests run the same commands on a copy of each app in the cache, configured by the same variables as
`clerkmock env`.  These checks keep the two from drifting apart; they need neither Node nor a browser.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from clerkmock import ClerkMock
from clerkmock.cli import main
from tests.browser import examples

ROOT = Path(__file__).resolve().parent.parent


def doc_block() -> str:
    """The ``sh`` block of docs/browser.md under "What the tests run"."""
    text = (ROOT / "docs" / "browser.md").read_text()
    start = text.index("```sh", text.index("What the tests run"))
    return text[start : text.index("\n```", start + 5)]


def readme_row(name: str) -> str:
    return next(line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith(f"| {name}"))


def test_the_documented_commands_are_the_ones_the_tests_run() -> None:
    block, port = doc_block(), examples.DEFAULT_PORT
    assert f"clerkmock serve --port {port} &" in block
    assert f'eval "$(clerkmock env --next --port {port})"' in block
    assert f'eval "$(clerkmock env --port {port})"' in block  # the Express app's
    assert "\n" + " ".join(examples.NPM_CI) + "\n" in block
    assert "\nnpx next " + " ".join(examples.NEXT_BUILD) + " " in block
    assert "\nnpx next " + " ".join(examples.NEXT_START) + " 3000 " in block
    assert "npm ci --no-audit --no-fund && PORT=3001 " + " ".join(examples.EXPRESS_START) in block


def test_the_readme_rows_name_the_same_commands() -> None:
    nextjs, express = readme_row("full-stack Next.js app"), readme_row("full-stack Express app")
    assert 'eval "$(clerkmock env --next)"' in nextjs and 'eval "$(clerkmock env)"' in express
    assert "npx next " + " ".join(examples.NEXT_BUILD) in nextjs
    assert "npx next " + " ".join(examples.NEXT_START[:-1]) in nextjs
    assert " ".join(examples.EXPRESS_START) in express
    for row in (nextjs, express):
        assert "npm ci" in row and "docs/browser.md#full-stack-example-apps-nextjs-and-express" in row


def test_the_apps_get_what_clerkmock_env_prints(mock_server: ClerkMock) -> None:
    """`examples.app_env` (what the example tests give the apps) is `clerkmock env [--next]` for the same server."""
    for framework, flags in ((None, []), ("next", ["--next"])):
        printed = CliRunner().invoke(main, ["env", "--url", mock_server.url, "--format", "json", *flags])
        assert printed.exit_code == 0, printed.output
        assert examples.app_env(mock_server, mock_server.url, framework) == json.loads(printed.output)
