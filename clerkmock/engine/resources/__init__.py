"""One module per Clerk API group; each exposes ``ROUTES`` (a `RouteSet`).  Larger families are packages
(``orgs``, ``auth``) exposing ``ROUTE_SETS``.  The engine takes its routes and the cascades between groups
from here: nothing is wired at import time."""

from clerkmock.engine.resources import apps
from clerkmock.engine.resources import auth, email_addresses, instance, orgs, phone_numbers, user_security, users
from clerkmock.engine.resources import billing, directories, sso
from clerkmock.engine.resources.auth import sessions
from clerkmock.engine.resources.directories import provisioning
from clerkmock.engine.resources.orgs import memberships
from clerkmock.engine.state import Cascades

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

CASCADES = Cascades(
    # a deleted user's sessions end, it leaves every organization and its directory (their webhook payloads
    # embed the user's data, so these run before the user is removed)
    user_deleted=(sessions.end_user_sessions, memberships.remove_user_memberships, provisioning.user_deleted),
)
