"""Shared fixtures: one fixture directory per session (the sparse 5 GB file costs no disk)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from reference_server import build_fixtures, create_app


@pytest.fixture(scope="session")
def files_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixtures(tmp_path_factory.mktemp("fixtures"))


@pytest.fixture(scope="session")
def app(files_dir: Path) -> Flask:
    return create_app(files_dir)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
