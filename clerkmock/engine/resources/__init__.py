"""One module per Clerk API group; each exposes ``ROUTES`` (a `RouteSet`)."""

from clerkmock.engine.resources import email_addresses, phone_numbers, user_security, users

ROUTE_SETS = [users.ROUTES, user_security.ROUTES, email_addresses.ROUTES, phone_numbers.ROUTES]
