"""An entry's ``restore`` mapping: record fields a create body cannot set, written onto the record the seeder
just created through the API.  `clerkmock scenario export` writes them so a served export answers exactly as
the exported server did (``updated_at``, a ban, the ``idn_`` ids and verifications of email addresses ...).

Only the fields named in `schema.RESTORE_FIELDS` are accepted, each with the type the record holds, so a
restore can change when and how a record came to be, never what the API would refuse (the create body was
validated; a primary email must be one of the user's own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from clerkmock.engine.ids import ID_LENGTH, well_formed
from clerkmock.engine.records import Verification
from clerkmock.scenario.rekey import rekey
from clerkmock.scenario.schema import RESTORE_FIELDS

if TYPE_CHECKING:
    from clerkmock.scenario.source import Document, Path

VERIFICATION_KEYS = ("status", "strategy", "attempts", "expire_at")
_PRIMARY = {"primary_email_address_id": "email_ids", "primary_phone_number_id": "phone_ids",
            "primary_web3_wallet_id": "web3_ids"}


class Seeding(Protocol):
    """What a restore needs of the seeder (seeding.py's `Seeder`; a protocol so neither module imports the
    other both ways)."""

    @property
    def doc(self) -> Document: ...

    @property
    def st(self) -> Any: ...


class Restorer:
    def __init__(self, seeder: Seeding) -> None:
        self.seeder = seeder
        self.repinned: set[str] = set()  # address ids this document pinned: a second claim on one is an error

    def apply(self, section: str, record: Any, raw: Any, where: Path) -> None:
        if raw is None:
            return
        here = (*where, "restore")
        doc = self.seeder.doc
        if not isinstance(raw, dict):
            raise doc.error(here, f"{_name(here)} must be a mapping of record fields")
        allowed = RESTORE_FIELDS[section] + (RESTORE_FIELDS["users.secrets"] if section == "users" else ()) \
            + (("created_by",) if section == "organizations" else ())
        idns = raw.get("identifications") if section == "users" else None
        if idns is not None:  # first: the primary_*_id fields name the restored ids
            self._identifications(record, idns, (*here, "identifications"))
        for key, value in raw.items():
            if key == "identifications" and section == "users":
                continue
            if key not in allowed:
                raise doc.error((*here, key), f"{_name(here)}: {key!r} cannot be restored (known: "
                                              f"{', '.join(allowed)})")
            self._check(record, key, value, (*here, key))
            if key in _PRIMARY and value is not None and value not in getattr(record, _PRIMARY[key]):
                raise doc.error((*here, key), f"{_name(here)}.{key}: {value!r} is not one of the user's own")
            if key == "created_by" and value is not None and value not in self.seeder.st.users:
                raise doc.error((*here, key), f"{_name(here)}.created_by: no user {value!r}")
            setattr(record, key, list(value) if isinstance(value, list) else value)

    def _check(self, record: Any, key: str, value: Any, where: Path) -> None:
        current = getattr(record, key)
        ok = (value is None and (current is None or key.endswith("_at") or key.endswith("_id")
                                 or key in ("image_url", "password_hash", "totp_secret", "created_by"))) \
            or (isinstance(current, bool) and isinstance(value, bool)) \
            or (not isinstance(current, bool) and isinstance(current, int) and isinstance(value, int)
                and not isinstance(value, bool)) \
            or (key.endswith("_at") and isinstance(value, int) and not isinstance(value, bool)) \
            or (isinstance(current, (str, type(None))) and isinstance(value, str) and not key.endswith("_at")) \
            or (isinstance(current, list) and isinstance(value, list)
                and all(isinstance(v, (str, dict)) for v in value))
        if not ok:
            raise self.seeder.doc.error(where, f"{_name(where)}: {value!r} is not a valid {key} "
                                               f"(times are Unix milliseconds)")

    def _identifications(self, user: Any, raw: Any, where: Path) -> None:
        from clerkmock.engine.resources import identifications as idn_mod

        st, doc = self.seeder.st, self.seeder.doc
        if not isinstance(raw, dict):
            raise doc.error(where, f"{_name(where)} must map each address to its id and fields")
        own = {}
        for idn_id in (*user.email_ids, *user.phone_ids, *user.web3_ids):
            idn = st.identifications[idn_id]
            own[idn_mod.normalize(idn.kind, idn.value)] = idn
        for value, fields in raw.items():
            here = (*where, value)
            idn = None
            for kind in ("email_address", "phone_number", "web3_wallet"):
                idn = idn or own.get(idn_mod.normalize(kind, str(value)))
            if idn is None or not isinstance(fields, dict):
                raise doc.error(here, f"{_name(where)}: {value!r} is not one of the user's addresses "
                                      "(or its entry is not a mapping)")
            for key, item in fields.items():
                if key == "id":
                    self._repin(idn, item, (*here, key))
                elif key == "verification":
                    idn.verification = self._verification(item, (*here, key))
                elif key in RESTORE_FIELDS["identifications"]:
                    self._check(idn, key, item, (*here, key))
                    setattr(idn, key, list(item) if isinstance(item, list) else item)
                else:
                    raise doc.error((*here, key), f"{_name(where)}: {key!r} cannot be restored on an address")

    def _repin(self, idn: Any, new_id: Any, where: Path) -> None:
        st = self.seeder.st
        if not well_formed(new_id, "idn"):
            raise self.seeder.doc.error(where, f"{_name(where)}: an address id is idn_ followed by {ID_LENGTH} "
                                               f"letters and digits (got {new_id!r})")
        if new_id == idn.id:  # the seeder had the generator hand it out (or it was generated so)
            st.ids.claim(new_id)
            self.repinned.add(new_id)
            return
        if new_id in self.repinned:
            raise self.seeder.doc.error(where, f"{_name(where)}: {new_id} is already another address's id")
        if new_id in st.identifications:
            # An address created earlier in this load was *generated* this id (the exported instance handed out
            # its ids in another order): move it aside; its own restore entry, if any, pins it afterwards.
            rekey(st, new_id, st.ids.new("idn"))
        rekey(st, idn.id, new_id)
        st.ids.claim(new_id)
        self.repinned.add(new_id)

    def _verification(self, raw: Any, where: Path) -> Verification | None:
        if raw is None:
            return None
        if not isinstance(raw, dict) or not isinstance(raw.get("status"), str) \
                or not isinstance(raw.get("strategy"), str) or set(raw) - set(VERIFICATION_KEYS) \
                or any(raw.get(k) is not None and (not isinstance(raw[k], int) or isinstance(raw[k], bool))
                       for k in ("attempts", "expire_at")):
            raise self.seeder.doc.error(where, f"{_name(where)}: a verification is {{status, strategy, "
                                               "attempts, expire_at}}")
        return Verification(raw["status"], raw["strategy"], raw.get("attempts"), raw.get("expire_at"))


def _name(where: Path) -> str:
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
