"""All emulator state in one object: tables, indexes, the id generator.  Reset = a new State; a snapshot is a
pickle of it (C-speed: ~20 µs for an empty state, well under 1 ms for a small scenario).

Every table is declared here, in the constructor, so a reset is complete by construction (moto's lesson).
Unique look-ups (email, phone, username, external id, web3 wallet) go through indexes, never scans.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sortedcontainers import SortedList

from clerkmock.engine.events import Outbox
from clerkmock.engine.ids import IdGenerator
from clerkmock.engine.records import Identification, User, Verification
from clerkmock.engine.records.apps import AppTables
from clerkmock.engine.records.fapi import FapiTables
from clerkmock.engine.records.billing import BillingTables
from clerkmock.engine.records.directories import DirectoryTables
from clerkmock.engine.records.instance import InstanceTables
from clerkmock.engine.records.oauth import OAuthTables
from clerkmock.engine.records.organizations import OrganizationTables
from clerkmock.engine.records.sessions import AuthTables
from clerkmock.engine.records.sso import SsoTables


@dataclass(slots=True)
class Instance:
    id: str = "ins_2clerkmockDevInstance000000"
    environment: str = "development"  # development | production (createSession is refused in production)
    frontend_host: str = "clerkmock.clerk.accounts.dev"


type UserCascade = Callable[["State", User], None]


@dataclass(frozen=True, slots=True)
class Cascades:
    """What a deletion takes with it in other API groups, declared where the route sets are assembled
    (``resources/__init__.py``) and installed on the state by the `Engine`, like the outbox."""

    user_deleted: tuple[UserCascade, ...] = ()  # called in order before the user is removed, while it is whole


_NOT_STATE = frozenset({"events", "cascades"})


class State:
    def __init__(self, seed: str = "clerkmock") -> None:
        # The engine's webhook outbox (engine/events.py), installed by the `Engine`, so operations that get a
        # State can emit.  Events are not state: `tables` (what snapshots, state documents and id rewrites walk)
        # leaves it out, and a restored State has none until an engine installs it.
        self.events: Outbox | None = None
        self.cascades: Cascades | None = None  # installed by the `Engine` too (not state: snapshots leave it out)
        self.ids = IdGenerator(seed)
        self.instance = Instance()
        self.users: dict[str, User] = {}
        # (created_at, id) kept sorted, so the default listing (-created_at) pages without sorting every user
        self.users_by_created: SortedList = SortedList()
        self.identifications: dict[str, Identification] = {}
        # identification indexes: normalized value -> idn_ ids holding it (one claimed, maybe unverified copies)
        self.email_index: dict[str, list[str]] = {}  # lower-cased email
        self.phone_index: dict[str, list[str]] = {}  # E.164
        self.web3_index: dict[str, list[str]] = {}  # lower-cased wallet
        self.pending_verifications: dict[str, tuple[str, Verification]] = {}  # ver_ id -> (idn_ id, verification)
        # unique indexes: value -> user id
        self.username_index: dict[str, str] = {}  # lower-cased username -> user id
        self.external_id_index: dict[str, str] = {}  # external id -> user id
        self.provider_index: dict[tuple[str, str], str] = {}  # (provider, provider_user_id) -> user id
        # the other API groups own their tables (see records/<group>.py)
        self.orgs = OrganizationTables()
        self.auth = AuthTables()
        self.instance_config = InstanceTables()
        self.apps = AppTables()
        self.sso = SsoTables()
        self.fapi = FapiTables()  # the Frontend API's dev browsers, sign-in/up attempts and sent messages
        self.oauth = OAuthTables()  # the fake OAuth provider: accounts typed on its page, authorizations in flight
        self.directories = DirectoryTables()
        self.billing = BillingTables()

    # -- snapshots ------------------------------------------------------------------------------------------

    def tables(self) -> dict[str, Any]:
        """Every attribute that is state: all but the engine's links (outbox, cascades)."""
        return {k: v for k, v in self.__dict__.items() if k not in _NOT_STATE}

    def snapshot(self) -> bytes:
        return pickle.dumps(self.tables(), protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def restore(cls, blob: bytes) -> State:
        state = cls.__new__(cls)
        state.events = None
        state.cascades = None
        state.__dict__.update(pickle.loads(blob))
        return state

    def copy(self) -> State:
        return State.restore(self.snapshot())
