"""The report pages' templates, styles and script: files shipped with the package, read once."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def asset(name: str) -> str:
    """The text of one asset file beside this module."""
    return resources.files(__name__).joinpath(name).read_text("utf-8")
