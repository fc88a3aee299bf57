"""Applications acting for the instance: OAuth Applications, Agent Tasks, Admin Portal Link Tokens.  Tables:
``state.apps`` (records/apps.py)."""

from clerkmock.engine.resources.apps import admin_portal, agent_tasks, oauth_applications

ROUTE_SETS = [
    oauth_applications.ROUTES,
    agent_tasks.ROUTES,
    admin_portal.ROUTES,
]
