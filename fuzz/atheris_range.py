"""Coverage-guided fuzzing of the reference server's header parsers with atheris (libFuzzer).

Not part of CI. Run a bounded number of iterations, for example:

    pip install atheris
    python fuzz/atheris_range.py -runs=200000 -max_len=4096

Any exception, or a Satisfiable result that breaks the engine's invariants, is a crash.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

with atheris.instrument_imports():
    from reference_server.conditions import (
        Conditionals,
        Validators,
        evaluate_preconditions,
        range_applies,
    )
    from reference_server.dates import parse_http_date
    from reference_server.etags import EntityTag, parse_entity_tag_list
    from reference_server.negotiation import accepts_gzip
    from reference_server.ranges import MAX_RANGES, Satisfiable, evaluate_range

VALIDATORS = Validators(EntityTag("3e8-abc"), datetime(2020, 1, 1, tzinfo=timezone.utc))


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    length = provider.ConsumeIntInRange(0, 10**13)
    text = provider.ConsumeBytes(provider.remaining_bytes()).decode("latin-1")
    result = evaluate_range(text, length)
    if isinstance(result, Satisfiable):
        assert 1 <= len(result.ranges) <= MAX_RANGES
        assert all(0 <= r.first <= r.last < length for r in result.ranges)
        assert sum(r.length for r in result.ranges) <= length
    parse_http_date(text)
    parse_entity_tag_list(text)
    accepts_gzip(text)
    conditionals = Conditionals(text, text, text, text, text)
    evaluate_preconditions("GET", conditionals, VALIDATORS)
    range_applies("GET", text, conditionals, VALIDATORS)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
