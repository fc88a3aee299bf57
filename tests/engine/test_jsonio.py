"""engine/jsonio.py: what the journal, the read cache and the outbox keep is the JSON's size, not orjson's buffer."""

from __future__ import annotations

import tracemalloc

from clerkmock.engine.jsonio import dumps, loads


def test_dumps_is_right_sized() -> None:
    user = {"id": "user_x", "first_name": "A" * 1800}
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        kept = [dumps(user) for _ in range(200)]
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    per_answer = sum(stat.size_diff for stat in after.compare_to(before, "filename")) / len(kept)
    assert loads(kept[0]) == user
    assert per_answer < 2 * len(kept[0]), per_answer  # orjson's own result held 16 KiB for this 1.8 kB
