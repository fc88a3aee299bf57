"""Email addresses: CreateEmailAddress, GetEmailAddress, DeleteEmailAddress, UpdateEmailAddress,
PrepareEmailAddressVerification, AttemptEmailAddressVerification, ReplaceUserEmailAddress.

Phone numbers have the same operations; both are thin bindings of ``contact_points.py`` for their kind.
"""

from clerkmock.engine.resources.contact_points import bind_routes

ROUTES = bind_routes("email_address", "email_addresses")
