"""Deterministic Clerk-style ids: ``prefix + "_" + 27 base62 characters`` (KSUID-sized).

A KSUID is 20 bytes (4 bytes of time + 16 random) in base62.  We keep the size and the sort property but
not the randomness: the first 4 bytes are a per-state sequence number and the rest a SHA-256 of
(seed, prefix, sequence).  So the same seed and the same request sequence give the same ids on every run,
ids sort by creation, and no wall clock or unseeded randomness is involved.
"""

from __future__ import annotations

import hashlib
from typing import Any

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
assert len(set(ALPHABET)) == 62  # stripe-mock's generator once repeated a character; guard against that here
ID_LENGTH = 27


try:
    # GMP's digits for bases 37..62 are ALPHABET (0-9, A-Z, a-z): a 160-bit id in one C call, where the Python
    # loop below takes 14 big-int divisions -- 4.9k instead of 22k instructions, and every create makes two ids
    from gmpy2 import digits as _gmp_digits
except ImportError:  # pragma: no cover - a dependency; without its wheel ids come out the same, slower
    _gmp_digits = None

_PAIRS = [a + b for a in ALPHABET for b in ALPHABET]  # two digits per division: half the big-int divmods


def base62_python(number: int, width: int = ID_LENGTH) -> str:
    """The reference `base62` (tests check that GMP's agrees)."""
    out: list[str] = []
    append = out.append
    while number:
        number, rem = divmod(number, 3844)
        append(_PAIRS[rem])
    out.reverse()
    return "".join(out).lstrip("0").rjust(width, "0")


def base62(number: int, width: int = ID_LENGTH) -> str:
    """``number`` (>= 0) in base 62, left-padded with ``0`` to ``width``; zero is ``width`` zeros."""
    if _gmp_digits is None or number <= 0:
        return base62_python(number, width)
    return str(_gmp_digits(number, 62)).rjust(width, "0")


def well_formed(record_id: object, prefix: str) -> bool:
    """``<prefix>_`` and `ID_LENGTH` ASCII letters and digits: the shape of a Clerk id of that kind."""
    if not isinstance(record_id, str) or not record_id.startswith(prefix + "_"):
        return False
    rest = record_id[len(prefix) + 1:]
    return len(rest) == ID_LENGTH and rest.isascii() and rest.isalnum()


def decode62(text: str) -> int:
    number = 0
    for char in text:
        index = ALPHABET.find(char)
        if index < 0:
            raise ValueError(f"not a base62 digit: {char!r}")
        number = number * 62 + index
    return number


def _digest_at(seed: str, prefix: str, counter: int) -> bytes:
    """What the ``counter``-th id (key, token) of a generator is made from: `new` makes it, `claim` recognises it."""
    return hashlib.sha256(f"{seed}\x00{prefix}\x00{counter}".encode()).digest()


class IdGenerator:
    """Seeded, counter-based id source; lives in `State` so snapshots and resets rewind it too."""

    __slots__ = ("seed", "counter", "pinned")

    def __init__(self, seed: str = "clerkmock", counter: int = 0) -> None:
        self.seed = seed
        self.counter = counter
        # prefix -> ids the next `new(prefix)` calls hand out instead of generated ones: how scenario seeding
        # creates a record with its pinned id directly (re-keying it afterwards walks the whole state).
        # Transient: not part of a snapshot.
        self.pinned: dict[str, list[str]] = {}

    def __getstate__(self) -> tuple[str, int]:
        return self.seed, self.counter

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], dict):  # before `pinned`
            state = (state[1]["seed"], state[1]["counter"])
        self.seed, self.counter = state
        self.pinned = {}

    def _digest(self, prefix: str) -> bytes:
        self.counter += 1
        return _digest_at(self.seed, prefix, self.counter)

    def new(self, prefix: str) -> str:
        self.counter = counter = self.counter + 1  # a pinned id still advances the counter: later ids stay the same
        if self.pinned:
            queue = self.pinned.get(prefix)
            if queue:
                return queue.pop(0)  # (no digest computed for it: nothing reads one)
        digest = _digest_at(self.seed, prefix, counter)
        # 2**32 ids before the sort order wraps; base62 of 160 bits always fits 27 characters.
        number = (counter & 0xFFFFFFFF) << 128 | int.from_bytes(digest[:16], "big")
        return f"{prefix}_{base62(number)}"

    def claim(self, record_id: str) -> None:
        """A record was given ``record_id`` from outside (a pinned id in a scenario, an exported state): if this
        generator would produce it later, move past it, so a later ``new`` can never hand it out again."""
        prefix, _, rest = record_id.rpartition("_")
        if len(rest) != ID_LENGTH or not prefix:
            return
        try:
            number = decode62(rest)
        except ValueError:
            return
        counter = number >> 128
        if counter <= self.counter or counter > 0xFFFFFFFF:
            return
        digest = _digest_at(self.seed, prefix, counter)
        if number & ((1 << 128) - 1) == int.from_bytes(digest[:16], "big"):
            self.counter = counter

    def hex(self, prefix: str, length: int = 32) -> str:
        """``prefix_`` + lowercase hex, the shape of API-key and M2M-token ids."""
        return f"{prefix}_{self._digest(prefix).hex()[:length]}"

    def token(self, nbytes: int = 24) -> str:
        """A deterministic secret-looking string (base62) for tokens and codes."""
        digest = self._digest("token")
        while len(digest) < nbytes:
            digest += hashlib.sha256(digest).digest()
        return base62(int.from_bytes(digest[:nbytes], "big"), 0)
