"""The bundled reference server's roles as a target: each role's URL under a base URL, and the
local fixture files the engine may compare against."""

from __future__ import annotations

from pathlib import Path

from reference_server import FIXTURE_ROLES


def role_urls(base_url: str) -> dict[str, str]:
    return {role: base_url + path for role, path in FIXTURE_ROLES.items()}


def oracle_files(fixtures_dir: Path) -> dict[str, Path]:
    """Local copies of every file-backed role, so a mutant cannot corrupt what it is compared to."""
    files = {}
    for role, path in FIXTURE_ROLES.items():
        if path.startswith("/files/") and (fixtures_dir / path.removeprefix("/files/")).is_file():
            files[role] = fixtures_dir / path.removeprefix("/files/")
    return files
