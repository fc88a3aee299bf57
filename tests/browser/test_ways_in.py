"""Way 2 of docs/browser.md: the page's own server forwards ``/__clerk/*`` to clerkmock (as a Vite ``server.proxy``
entry or a Next rewrite would), the page uses the relative proxy URL ``/__clerk``, and every request the browser
makes stays on the page's origin.  (Way 1, the absolute proxy URL, is what every other browser test uses.)"""

from __future__ import annotations

from typing import Any

import httpx

from clerkmock import ClerkMock, keys

PASSWORD = "correct-horse-battery"


def test_same_origin_proxy_url(page: Any, page_server: Any, mock_server: ClerkMock, offsite: list[str]) -> None:
    alice = httpx.post(f"{mock_server.url}/v1/users", headers={"authorization": f"Bearer {mock_server.secret_key}"},
                       json={"email_address": ["alice@example.com"], "password": PASSWORD}).json()
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto(page_server.url("same_origin.html"))
    page.wait_for_function("() => window.Clerk?.loaded === true || window.clerkLoadError !== undefined")
    assert page.evaluate("() => window.clerkLoadError ?? null") is None
    done = page.evaluate("""async ([email, password]) => {
        const si = await Clerk.client.signIn.create({ strategy: 'password', identifier: email, password });
        await Clerk.setActive({ session: si.createdSessionId });
        return Clerk.user.id }""", ["alice@example.com", PASSWORD])
    assert done == alice["id"]
    page.reload()
    page.wait_for_function("() => window.Clerk?.loaded === true")
    assert page.evaluate("() => window.Clerk.user?.id") == alice["id"]
    assert [u for u in urls if not u.startswith(page_server.origin + "/")] == []  # all first-party
    assert any("/__clerk/v1/client/sign_ins" in u for u in urls) and offsite == []


def test_the_unmodified_page_through_the_forward_proxy(page: Any, page_server: Any, proxied: ClerkMock,
                                                      offsite: list[str]) -> None:
    """Way 3: the page knows only the publishable key; clerk-js loads itself from and talks to
    ``https://<the key's host>``, which the forward proxy answers (the browser trusts clerkmock's CA; here
    ``ignore_https_errors``).  No proxy URL, no bundle URLs."""
    alice = httpx.post(f"{proxied.url}/v1/users", headers={"authorization": f"Bearer {proxied.secret_key}"},
                       json={"email_address": ["alice@example.com"], "password": PASSWORD}).json()
    host = proxied.engine.state.instance.frontend_host
    url = page_server.add("unmodified.html", f"""<!doctype html><body>
        <script src="https://{host}/npm/@clerk/ui@1/dist/ui.browser.js"></script>
        <script src="https://{host}/npm/@clerk/clerk-js@6/dist/clerk.browser.js"
                data-clerk-publishable-key="{keys.publishable_key(proxied)}"></script>
        <script>Clerk.load({{ ui: {{ ClerkUI: window.__internal_ClerkUICtor }}, telemetry: false }})
                  .catch((err) => {{ window.clerkLoadError = String(err); }})</script></body>""")
    page.goto(url)
    page.wait_for_function("() => window.Clerk?.loaded === true || window.clerkLoadError !== undefined")
    assert page.evaluate("() => window.clerkLoadError ?? null") is None
    done = page.evaluate("""async ([email, password]) => {
        const si = await Clerk.client.signIn.create({ strategy: 'password', identifier: email, password });
        await Clerk.setActive({ session: si.createdSessionId });
        return Clerk.user.id }""", ["alice@example.com", PASSWORD])
    assert done == alice["id"]
    # the proxy answered the Frontend API host as /__clerk (bundles included): one surface, whatever the way in
    paths = {e.path for e in proxied.pipeline.journal.entries()}
    assert {"/__clerk/npm/@clerk/clerk-js@6/dist/clerk.browser.js", "/__clerk/v1/client/sign_ins"} <= paths, paths
    assert offsite == []
