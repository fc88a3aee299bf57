"""Enterprise SSO and message templates: Enterprise Connections (and their test runs), SAML Connections (the SAML
side of the same records), Email & SMS Templates.  Tables: ``state.sso`` (records/sso.py)."""

from clerkmock.engine.resources.sso import connections, templates

ROUTE_SETS = [
    connections.ROUTES,
    connections.SAML_ROUTES,
    templates.ROUTES,
]
