"""The catalogue is right for every length a main resource may have, not only for 1000 octets.

A case whose positions only fit one length (a suffix "as long as the representation" written as
`-1000`) gives a correct server a warning or a failure on any other file. Here the whole
catalogue runs, in every profile, against main resources from the documented minimum to a sparse
5 GiB file, through the default path a user takes (concurrent cases, the windows oracle): a
correct server must come out with no warn, no fail and no error, every time. It runs against the
reference server, and against a minimal server of the test suite's own that shares no code with
it, so the two cannot agree on a mistake.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.engine.runner import run_cases
from conformance.engine.target import Target
from conformance.model import PROFILES, Case, Grade, Result
from conformance.options import DEFAULT_WORKERS
from conformance.report.text import render_failure
from conformance.transport.client import Client, ClientSettings
from reference_server import FIXTURE_ROLES, build_fixtures, create_app, serve_in_thread
from tests.helpers.lengths import LENGTHS, MINIMAL_LENGTHS, MiB
from tests.helpers.minimal_server import (
    FIXED_MTIME,
    serve_minimal,
    write_counter_file,
    write_sparse_file,
)

BAD = (Grade.WARN, Grade.FAIL, Grade.ERROR)


def write_main(directory: Path, length: int) -> Path:
    """A main resource of `length` octets: distinct octets, or sparse islands when huge."""
    writer = write_sparse_file if length > MiB * 1024 else write_counter_file
    return writer(directory / f"main-{length}.bin", length)


def problems(results: list[Result]) -> str:
    """Every warn, fail and error in full, or '' when there is none."""
    return "\n\n".join(render_failure(r) for r in results if r.verdict.grade in BAD)


def run_catalogue(cases: list[Case], urls: dict[str, str], profile: str) -> list[Result]:
    with Client(ClientSettings(read_timeout=5)) as client:
        target = Target(urls, client)
        return list(run_cases(cases, target, profile=profile, workers=DEFAULT_WORKERS))


@pytest.fixture(scope="module")
def served_lengths(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The reference server over the bundled fixtures plus one main resource per length."""
    directory = build_fixtures(tmp_path_factory.mktemp("lengths"))
    for length in LENGTHS:
        write_main(directory, length)
    with serve_in_thread(create_app(directory)) as base_url:
        yield base_url


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("length", LENGTHS, ids=[f"L={length}" for length in LENGTHS])
def test_the_reference_server_passes_every_case_at_every_length(
    length: int, profile: str, served_lengths: str, bundled_cases: list[Case]
) -> None:
    urls = {role: served_lengths + path for role, path in FIXTURE_ROLES.items()}
    urls["main"] = f"{served_lengths}/files/main-{length}.bin"
    results = run_catalogue(bundled_cases, urls, profile)
    assert problems(results) == ""
    judged = [r for r in results if r.verdict.grade is not Grade.SKIP]
    assert len(judged) > 150  # not a run of skips


@pytest.fixture(scope="module")
def minimal_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The suite's own minimal server with a main resource of each length and every role it
    can play: (base URL, role → path)."""
    directory = tmp_path_factory.mktemp("minimal")
    files = {f"/main-{length}.bin": write_main(directory, length) for length in MINIMAL_LENGTHS}
    text = directory / "text.txt"
    text.write_text("hello, world\n" * 100, "ascii")
    os.utime(text, (FIXED_MTIME, FIXED_MTIME))  # long before Date: a strong Last-Modified
    files.update(
        {
            "/one.bin": write_counter_file(directory / "one.bin", 1),
            "/empty.bin": write_counter_file(directory / "empty.bin", 0),
            "/r10000.bin": write_counter_file(directory / "r10000.bin", 10_000),
            "/text.txt": text,
            "/weak.bin": write_counter_file(directory / "weak.bin", 2000),
            "/dynamic.bin": write_counter_file(directory / "dynamic.bin", 2000),
            "/large.bin": write_sparse_file(directory / "large.bin", 5 * 1024**3),
        }
    )
    roles = {
        "one": "/one.bin", "empty": "/empty.bin", "r10000": "/r10000.bin", "text": "/text.txt",
        "weak": "/weak.bin", "dynamic": "/dynamic.bin", "large": "/large.bin",
        "missing": "/no-such.bin", "redirect": "/redirect",
    }  # fmt: skip
    with serve_minimal(
        files, weak={"/weak.bin"}, dynamic={"/dynamic.bin"}, redirects={"/redirect": "/one.bin"}
    ) as base_url:
        yield base_url, roles


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("length", MINIMAL_LENGTHS, ids=[f"L={n}" for n in MINIMAL_LENGTHS])
def test_a_minimal_server_of_our_own_passes_every_case_too(
    length: int,
    profile: str,
    minimal_site: tuple[str, dict[str, str]],
    bundled_cases: list[Case],
) -> None:
    base_url, roles = minimal_site
    urls = {role: base_url + path for role, path in roles.items()}
    urls["main"] = f"{base_url}/main-{length}.bin"
    results = run_catalogue(bundled_cases, urls, profile)
    assert problems(results) == ""
    judged = [r for r in results if r.verdict.grade is not Grade.SKIP]
    assert len(judged) > 150
