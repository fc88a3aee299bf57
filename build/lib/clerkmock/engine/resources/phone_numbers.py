"""Phone numbers: CreatePhoneNumber, GetPhoneNumber, DeletePhoneNumber, UpdatePhoneNumber,
PreparePhoneNumberVerification, AttemptPhoneNumberVerification, ReplaceUserPhoneNumber.
"""

from clerkmock.engine.resources.contact_points import bind_routes

ROUTES = bind_routes("phone_number", "phone_numbers")
