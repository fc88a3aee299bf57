"""Stored records, one module per API group: plain slotted dataclasses with times in Unix ms.

Each group module also defines the *tables* class that `State` holds for it (``State.orgs``,
``State.auth``), so a group owns its storage while `State` still declares every table up front.
"""

from clerkmock.engine.records.users import (
    ExternalAccount,
    Identification,
    Passkey,
    TrustedDevice,
    User,
    Verification,
)

__all__ = ["ExternalAccount", "Identification", "Passkey", "TrustedDevice", "User", "Verification"]
