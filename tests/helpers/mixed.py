"""What several test modules share: a case file that gives every outcome once, and the command
line that runs it against the reference server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers.rawserver import serving, vanishing
from tests.helpers.targets import role_urls

ONE_OCTET = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx"

# One case per outcome against the reference server's main resource (1000 octets), with the
# role `one` on a server that goes away when TST-06 asks (`X-Vanish`), for the error.
# Sections 14.1, 14.1.2 and 14.10 are there for the --section tests (14.10 is not in 14.1).
MIXED_CASES = """\
group: TST
title: one case per outcome, for the report tests
resource: main
cases:
  - id: TST-01
    title: plain GET passes
    rfc: "15.3.1"
    level: MUST
    tags: [alpha]
    request: {}
    outcomes:
      - {branch: whole, status: 200, full: true}
  - id: TST-02
    title: a first range taken as info
    rfc: "14.1"
    level: MAY
    tags: [alpha, beta]
    request:
      range: [{first: 0, last: 9}]
    outcomes:
      - {branch: partial, status: 206, partial: [{first: 0, last: 9}], grade: info,
         note: "graded info by this test"}
  - id: TST-03
    title: a first range graded warn
    rfc: "14.1.2"
    level: SHOULD
    tags: [beta]
    request:
      range: [{first: 0, last: 9}]
    outcomes:
      - {branch: partial, status: 206, partial: [{first: 0, last: 9}], grade: warn,
         level: SHOULD, rfc: "14.1.2", note: "graded warn by this test"}
  - id: TST-04
    title: a first range where only 416 would do
    rfc: "14.10"
    level: MUST
    request:
      range: [{first: 0, last: 9}]
    outcomes:
      - {branch: rejected, status: 416, unsatisfied: true}
  - id: TST-05
    title: needs a huge representation
    rfc: "14.2"
    level: MUST
    requires: {min_length: 100000000}
    request: {}
    outcomes:
      - {branch: whole, status: 200, full: true}
  - id: TST-06
    title: a one-octet resource whose server went away
    rfc: "14.2"
    level: MUST
    resource: one
    request: {headers: {X-Vanish: "now"}}
    outcomes:
      - {branch: whole, status: 200, full: true}
"""

OUTCOME_OF = {
    "TST-01": "pass",
    "TST-02": "info",
    "TST-03": "warn",
    "TST-04": "fail",
    "TST-05": "skip",
    "TST-06": "error",
}


def write_mixed_cases(directory: Path) -> Path:
    path = directory / "mixed.range.yaml"
    path.write_text(MIXED_CASES, "utf-8")
    return path


@contextmanager
def mixed_argv(base_url: str, directory: Path) -> Iterator[list[str]]:
    """A command line that gives every outcome once (writes the mixed case file in
    `directory`), valid while its `one` server runs."""
    cases = write_mixed_cases(directory)
    with serving(vanishing(ONE_OCTET), path="/one.bin") as one:
        yield [role_urls(base_url)["main"], "--cases", str(cases), "--resource", f"one={one.url}"]
