"""The Frontend API (what clerk-js calls from the browser) on the engine's one `State`: the same users,
sessions, organizations, token signer, clock and events as the Backend API.  One module per FAPI group; each
exposes ``ROUTES`` (a `FapiRoutes`, routes declared by the FAPI spec's operationIds).  `surface.FapiSurface`
dispatches ``/__clerk/v1/…`` requests to them."""

from clerkmock.engine.fapi import (
    clients,
    environment,
    handshake,
    identifications,
    me,
    mfa,
    organizations,
    sessions,
    sign_ins,
    sign_ups,
    social,
    wellknown,
)

ROUTE_SETS = [
    clients.ROUTES,
    environment.ROUTES,
    sign_ins.ROUTES,
    sign_ups.ROUTES,
    sessions.ROUTES,
    me.ROUTES,
    identifications.ROUTES,
    mfa.ROUTES,
    organizations.ROUTES,
    social.ROUTES,
    wellknown.ROUTES,
    handshake.ROUTES,
]
