"""Instance-level groups: Allow-list / Block-list, Redirect URLs, Domains (and Proxy Checks), Instance Settings
(and Beta Features, the Svix app), Waitlist Entries, Sign Ups, the public interstitial page.  Tables: ``state.instance_config``
(records/instance.py)."""

from clerkmock.engine.resources.instance import domains, interstitial, lists, settings, sign_ups, waitlist

ROUTE_SETS = [
    lists.ALLOWLIST_ROUTES,
    lists.BLOCKLIST_ROUTES,
    lists.REDIRECT_ROUTES,
    domains.ROUTES,
    domains.PROXY_ROUTES,
    settings.ROUTES,
    settings.BETA_ROUTES,
    settings.SVIX_ROUTES,
    waitlist.ROUTES,
    sign_ups.ROUTES,
    interstitial.ROUTES,
]
