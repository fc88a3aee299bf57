"""Cassettes: record Backend API traffic as scrubbed, human-readable YAML; replay it; compare the emulator with it.

* `format` - the file (``version: 1``), its reader and its crash-safe, append-only writer;
* `scrub` - secret and PII scrubbing (also the normalisation replay matches with);
* `replay` - answering requests from cassettes (`Replayer`) and its in-process httpx transports;
* `compare` - `clerkmock verify`: the emulator's answers against a recording, with a score.

Pure: no sockets and no mitmproxy (the proxy addons in `clerkmock.proxy` drive these).
"""

from clerkmock.cassette.format import (
    VERSION,
    Cassette,
    CassetteError,
    CassetteWriter,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    load_cassette,
)
from clerkmock.cassette.replay import Replayer, load_replayer
from clerkmock.cassette.scrub import Scrubber

__all__ = [
    "VERSION",
    "Cassette",
    "CassetteError",
    "CassetteWriter",
    "Interaction",
    "RecordedRequest",
    "RecordedResponse",
    "Replayer",
    "Scrubber",
    "load_cassette",
    "load_replayer",
]
