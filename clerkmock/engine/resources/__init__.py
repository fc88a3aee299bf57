"""One module per Clerk API group; each exposes ``ROUTES`` (a `RouteSet`).  Larger families are packages
(``orgs``, ``auth``) exposing ``ROUTE_SETS``."""

from clerkmock.engine.resources import apps
from clerkmock.engine.resources import auth, email_addresses, instance, orgs, phone_numbers, user_security, users
from clerkmock.engine.resources import billing, directories, sso

ROUTE_SETS = [
    users.ROUTES,
    user_security.ROUTES,
    email_addresses.ROUTES,
    phone_numbers.ROUTES,
    *orgs.ROUTE_SETS,
    *auth.ROUTE_SETS,
    *instance.ROUTE_SETS,
    *apps.ROUTE_SETS,
    *sso.ROUTE_SETS,
    *directories.ROUTE_SETS,
    *billing.ROUTE_SETS,
]
