"""Map a URL path segment to a regular file inside the served directory, or to nothing.

Shared by the Flask app and the plain WSGI app so both refuse the same names.
"""

from __future__ import annotations

import functools
import os
import re
import stat

from werkzeug.security import safe_join

__all__ = ["plain_path", "resolve_file"]

# One path segment of ordinary characters that does not start with a dot: it cannot climb out
# of the directory, so an lstat() that finds a regular file (not a symlink) settles it.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*", re.ASCII)


@functools.lru_cache(maxsize=64)
def _real_root(files_dir: str) -> str:
    """The served directory with its symlinks resolved (it does not move while serving)."""
    return os.path.realpath(files_dir)


def plain_path(files_dir: str, name: str) -> str | None:
    """`files_dir/name` when `name` is one plain segment that cannot leave the directory, else
    None. The file may still be missing, a directory or a symlink: open it without following
    symlinks and check what it is (`answer_file(..., follow_symlinks=False)` does)."""
    return f"{files_dir}/{name}" if _PLAIN_NAME.fullmatch(name) is not None else None


def resolve_file(files_dir: str, name: str) -> str | None:
    """The path of the regular file `name` names inside `files_dir`, or None (answer 404)."""
    candidate = plain_path(files_dir, name)
    if candidate is not None:
        try:
            mode = os.lstat(candidate).st_mode
        except OSError:
            return None
        if stat.S_ISREG(mode):
            return candidate
        if not stat.S_ISLNK(mode):
            return None  # a directory, a socket, ...
        # a symlink: the general check below decides where it leads
    if "\x00" in name or "\\" in name:
        return None  # never handed to the OS: NUL raises there, backslash is a Windows separator
    if name.endswith("/"):
        return None  # "r1000.bin/" names a directory, which a regular file is not (POSIX)
    joined = safe_join(files_dir, name)
    if joined is None:
        return None
    root = _real_root(files_dir)
    real = os.path.realpath(joined)
    # safe_join stops "..", but not a symlink that points out of the directory.
    if os.path.commonpath([root, real]) != root or not os.path.isfile(real):
        return None
    return joined
