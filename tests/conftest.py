"""Shared fixtures: the bundled fixtures on disk, a live reference server, and a way to run the
bundled cases against any WSGI app (the reference server, a mutant of it, or a peer)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from conformance.casefile.loader import bundled_cases_dir, load_cases
from conformance.engine.runner import run_case
from conformance.engine.target import Target
from conformance.model import Case, Result
from conformance.transport.client import Client, ClientSettings
from reference_server import build_fixtures, create_app, serve_in_thread
from tests.helpers.targets import oracle_files, role_urls

settings.register_profile("ci", max_examples=200, deadline=None)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci")

SuiteRunner = Callable[..., dict[str, Result]]


@pytest.fixture(autouse=True)
def _clean_proxy_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback traffic must never go through a proxy from the environment."""
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def fixtures_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference server's fixture files, built once per test session."""
    return build_fixtures(tmp_path_factory.mktemp("fixtures"))


@pytest.fixture(scope="session")
def bundled_cases() -> list[Case]:
    return load_cases([bundled_cases_dir()])


@pytest.fixture(scope="session")
def reference_base_url(fixtures_dir: Path) -> Iterator[str]:
    """A live reference server on a free loopback port for the whole session."""
    with serve_in_thread(create_app(fixtures_dir)) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def run_suite_against(fixtures_dir: Path, bundled_cases: list[Case]) -> SuiteRunner:
    """Serve a WSGI app on loopback, run the bundled cases against it, return results by case id."""

    def run(app: object, *, profile: str = "rfc", ids: set[str] | None = None) -> dict[str, Result]:
        cases = [case for case in bundled_cases if ids is None or case.id in ids]
        with serve_in_thread(app) as base_url, Client(ClientSettings(read_timeout=5)) as client:  # type: ignore[arg-type]
            target = Target(role_urls(base_url), client, oracle_files(fixtures_dir))
            return {case.id: run_case(case, target, profile=profile) for case in cases}

    return run
