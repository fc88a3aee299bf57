"""The larger spec-driven fuzz run (``make fuzz``): every implemented operation, N schemathesis cases each,
against a live clerkmock over the lean base-URL listener.  The suite runs the same thing with 10 cases per
operation (tests/test_fuzz.py); the machinery and the properties checked are in tests/fuzzing.py.

    .venv/bin/python bench/fuzz.py                          # 100 cases per operation, reproducible
    .venv/bin/python bench/fuzz.py --examples 500 --seed 7  # more, and a different (still fixed) seed
    .venv/bin/python bench/fuzz.py --operation CreateUser --operation GetUserList

Exit status 1 if any response broke a property (5xx, body not valid against the spec, health lost after).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

import fuzzing  # tests/fuzzing.py


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=100, help="cases per operation (default 100)")
    parser.add_argument("--seed", type=int, default=None,
                        help="hypothesis seed (default: derandomized, the same cases as every other run)")
    parser.add_argument("--operation", action="append", default=[], metavar="OPERATION_ID",
                        help="only these operationIds (repeatable); default every implemented operation")
    parser.add_argument("--show", type=int, default=20, help="failures to print in full (default 20)")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.CRITICAL)  # the server logs each 500 with a traceback; we count them
    implemented = [op_id for op_id, _, _ in fuzzing.implemented_operations()]
    unknown = sorted(set(args.operation) - set(implemented))
    if unknown:
        parser.error(f"not implemented operations: {', '.join(unknown)}")
    selected = args.operation or implemented

    started = time.perf_counter()
    print(f"loading the spec ({fuzzing.SPEC_VERSION}) ...", flush=True)
    fuzzing.api_operations()
    with tempfile.TemporaryDirectory(prefix="clerkmock-fuzz-") as config:
        mock, seeded = fuzzing.start_mock(config)
        fuzzer = fuzzing.Fuzzer(mock, seeded)
        total = fuzzing.Report()
        statuses: dict[str, Counter[int]] = {}
        try:
            for i, op_id in enumerate(selected, 1):
                report = fuzzer.run_operation(op_id, args.examples, seed=args.seed)
                statuses[op_id] = report.statuses
                total.merge(report)
                mark = f"  {len(report.failures)} FAILED" if report.failures else ""
                print(f"[{i:3}/{len(selected)}] {op_id:45} {report.cases:5} cases {report.seconds:6.1f}s  "
                      + " ".join(f"{s}:{n}" for s, n in sorted(report.statuses.items())) + mark, flush=True)
        finally:
            fuzzer.close()
            mock.stop()

    elapsed = time.perf_counter() - started
    print()
    print(f"{len(selected)} operations, {total.cases} cases in {elapsed:.1f}s "
          f"({total.cases / max(total.seconds, 1e-9):.0f} cases/s)")
    print("statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(total.statuses.items())))
    no_success = [op for op, c in statuses.items() if not any(200 <= s < 300 for s in c)]
    if no_success:
        print(f"operations no case reached a 2xx on ({len(no_success)}): {', '.join(no_success)}")
    if total.failures:
        print(f"\n{len(total.failures)} FAILURES")
        kinds = Counter((f.operation_id, f.why.splitlines()[0][:100]) for f in total.failures)
        for (op_id, why), n in kinds.most_common():
            print(f"  {n:4} x {op_id}: {why}")
        print()
        seen: set[tuple[str, str]] = set()
        shown = 0
        for failure in total.failures:
            key = (failure.operation_id, failure.why.splitlines()[0][:100])
            if key in seen or shown >= args.show:
                continue
            seen.add(key)
            shown += 1
            print(failure, end="\n\n")
        return 1
    print("no failures: 0 responses >= 500, every body valid against the spec, the server stayed up")
    return 0


if __name__ == "__main__":
    sys.exit(main())
