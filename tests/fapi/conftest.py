from __future__ import annotations

import pytest

from clerkmock.engine import Engine
from clerkmock.engine.clock import Clock
from tests.fapi.helpers import Browser


@pytest.fixture()
def engine() -> Engine:
    return Engine(clock=Clock(frozen_at_ms=1_780_000_000_000))


@pytest.fixture()
def browser(engine: Engine) -> Browser:
    return Browser(engine)
