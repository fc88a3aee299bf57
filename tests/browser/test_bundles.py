"""clerk-js and @clerk/ui load in a real Chromium from clerkmock's offline bundle cache (/__clerk/npm/…), on a page
of another origin, with no request leaving the loopback."""

from __future__ import annotations

from typing import Any

from clerkmock.assets import DEFAULT_VERSIONS


def test_clerk_js_and_ui_load_from_the_cache(page: Any, page_server: Any, offsite: list[str]) -> None:
    bundles: list[tuple[str, int, str]] = []
    page.on("response", lambda r: bundles.append((r.url, r.status, r.headers.get("content-type", "")))
            if "/__clerk/npm/" in r.url else None)
    page.goto(page_server.url("clerk.html"))
    page.wait_for_function("() => window.Clerk && window.__internal_ClerkUICtor")
    loaded = page.evaluate("""() => ({
        version: window.Clerk.version, ui: window.__internal_ClerkUICtor.version,
        key: window.Clerk.publishableKey, loaded: window.Clerk.loaded })""")
    assert loaded == {"version": DEFAULT_VERSIONS["@clerk/clerk-js"], "ui": DEFAULT_VERSIONS["@clerk/ui"],
                      "key": page_server.values["publishable_key"], "loaded": False}
    assert {url.rsplit("/", 1)[-1] for url, _, _ in bundles} >= {"clerk.browser.js", "ui.browser.js"}
    assert all(status == 200 and ctype.startswith("text/javascript") for _, status, ctype in bundles), bundles
    assert offsite == []


def test_a_missing_bundle_file_is_a_404_the_page_sees(page: Any, page_server: Any, offsite: list[str]) -> None:
    url = page_server.values["clerkmock_url"] + "/__clerk/npm/@clerk/clerk-js@6/dist/no-such-chunk.js"
    page.goto(page_server.add("missing.html", f'<script src="{url}" onerror="window.failed = true"></script>'))
    page.wait_for_function("() => window.failed === true")
    assert offsite == []
