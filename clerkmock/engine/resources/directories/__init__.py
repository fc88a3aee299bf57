"""Directories (user provisioning): the Backend API's ``/directories`` and ``/scim_directories`` families
(``admin.py``, one store), and the SCIM 2.0 endpoint each directory serves to its identity provider
(``scim.py``, with ``scim_filter.py`` and ``scim_schemas.py``), whose effects on Clerk's users and organization
memberships are ``provisioning.py``.  Tables: ``state.directories`` (records/directories.py)."""

from clerkmock.engine.resources.directories import admin

ROUTE_SETS = [admin.ROUTES, admin.SCIM_ROUTES]
