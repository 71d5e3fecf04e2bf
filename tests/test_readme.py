"""The README is true to the letter where it states a number or lists the options: each is
checked here against the code, the catalogue or the tests that make it true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.casefile.catalogue import catalogue_ids, left_out
from conformance.casefile.loader import bundled_cases_dir, load_cases
from conformance.cli import build_parser
from conformance.engine import runner, target
from conformance.model import MEDIA_TAG
from conformance.options import DEFAULT_WORKERS
from conformance.report import text as render
from tests.helpers.lengths import LENGTHS, MINIMAL_LENGTHS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
CASES = load_cases([bundled_cases_dir()])
MEDIA = [case for case in CASES if MEDIA_TAG in case.tags]
KiB = 1024


def says(text: str) -> None:
    """The README contains `text`, line breaks and indentation aside."""
    flat = " ".join(README.split())
    assert " ".join(text.split()) in flat, text


def test_case_counts_come_from_the_catalogue() -> None:
    catalogue = set(catalogue_ids())
    implemented = {case.id for case in CASES} & catalogue
    extra = sorted({case.id for case in CASES} - catalogue)
    rfc = sum(1 for case in CASES if "rfc" in case.profiles)
    says(f"One command answers it: {len(CASES)} cases")
    says(f"(13 groups, {len(catalogue)} ids)")
    says(f"the case that implements it ({len(implemented)})")
    says(f"left out ({len(left_out(bundled_cases_dir()))}, in")
    says(f"The {len(CASES)} bundled cases are those {len(implemented)} and {len(extra)} more")
    assert extra == ["BAS-05", "MED-01", "MED-02", "MED-03", "MED-04", "MED-05"]
    says(f"the rfc and strict profiles run {rfc} of them")
    says(f"media runs all {len(CASES)}")


def test_the_media_question_and_its_cases() -> None:
    says(f"Its headline and exit code rest on the {len(MEDIA)} cases tagged `media`")
    listed = set(re.findall(r"\b(?:SGL|MED|BAS|IFR|RES)-\d\d\b", _section("The media profile")))
    assert {case.id for case in MEDIA} <= listed
    says(f"outside the media question, RFC 9110 ({len(CASES) - len(MEDIA)} cases)")
    says(f"{len(MEDIA)} cases decide it): {len(MEDIA)} pass")


def test_limits_and_defaults_are_the_codes() -> None:
    says(f"The main resource is any file of at least {target.MIN_LENGTH} octets")
    says(f"{DEFAULT_WORKERS} cases run at a time by default")
    says(f"reads a body of up to {runner.WHOLE_BODY // KiB} KiB whole")
    says(f"of a longer one it reads the first {runner.WINDOW // KiB} KiB")
    says(f"to {target.IN_MEMORY_LIMIT // KiB // KiB} MiB is learned whole, of a larger one its "
         f"first {target.PREFIX // KiB} KiB")  # fmt: skip
    says(f"A result keeps a {runner.EXCERPT // KiB} KiB excerpt of its body")
    says(f"a value longer than {render.LONG_VALUE} characters")


def test_the_lengths_tested_are_the_ones_named() -> None:
    section = _section("Testing the tester")
    for length in LENGTHS[1:-2]:
        assert f"{length:,}".replace(",", " ") in section or str(length) in section, length
    assert "3 MiB + 17" in section
    assert "sparse 5 GiB + 123" in section
    assert f"at {MINIMAL_LENGTHS[0]} octets" in " ".join(section.split())


def test_the_options_synopsis_is_the_parsers() -> None:
    synopsis = README.split("## Options", 1)[1].split("```text", 1)[1].split("```", 1)[0]
    first = synopsis.split("range-conformance matrix", 1)[0]
    written = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", first))
    parsed = {
        flag
        for action in build_parser()._actions  # the parser's own list of what it accepts
        for flag in action.option_strings
        if flag not in ("-h", "--help")
    }
    # Each option once, by one of its names (-j for --workers, -q for --quiet, -v, -H, -k).
    named = {action.dest: set(action.option_strings) for action in build_parser()._actions}
    missing = [dest for dest, flags in named.items() if flags and not flags & written
               and dest != "help"]  # fmt: skip
    assert missing == []
    assert written - parsed == set()


@pytest.mark.parametrize("kind", ["json", "junit", "md", "html"])
def test_each_report_kind_is_described(kind: str) -> None:
    assert f"--{kind} P" in README


def _section(title: str) -> str:
    return README.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
