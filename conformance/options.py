"""Every user-facing option, declared once for both front-ends.

The CLI gets `--NAME`; the pytest plugin gets `--range-NAME` (or a listed alias such as
`--target`) plus an ini twin `range_NAME`. Both resolve into the same frozen `Settings`, with
the precedence command line > ini > target file > default.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from conformance import __version__
from conformance.engine.target import ROLES
from conformance.errors import TargetError
from conformance.model import PROFILES
from conformance.transport.client import ClientSettings


@dataclass(frozen=True)
class Option:
    name: str  # dest, and the CLI flag --name-with-dashes
    help: str
    kind: str = "str"  # str | float | int | flag | list | path-list | version
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    cli_short: str | None = None
    pytest_flag: str | None = None  # default: --range-<name>
    fronts: tuple[str, ...] = ("cli", "plugin")  # where it is offered
    cli_only_long: bool = False  # the CLI offers only the short flag (-k: pytest has its own)

    @property
    def cli_flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def plugin_flag(self) -> str:
        return self.pytest_flag or "--range-" + self.name.replace("_", "-")

    @property
    def ini(self) -> str:
        return "range_" + self.name


# Cases in flight at once: a remote target costs round trips, not octets, and a dozen
# connections for a second or two is what a download manager or a page of media opens.
DEFAULT_WORKERS = 12

OPTIONS: tuple[Option, ...] = (
    Option("target_app", "serve this WSGI app (MODULE:APP or MODULE:factory()) on a free "
           "loopback port for the run; the target and --resource values are then paths",
           metavar="MODULE:APP", pytest_flag="--target-app"),
    Option("profile", "rfc: RFC 9110 as written (default); strict: SHOULD fails too; "
           "media: what browsers and players need to seek", choices=PROFILES),
    Option("resource", f"URL for another resource role ({', '.join(ROLES[1:])}); repeatable",
           kind="list", metavar="ROLE=URL"),
    Option("targets", "YAML file naming the target URL, other roles' URLs, headers and "
           "oracle files", metavar="FILE"),
    Option("oracle_file", "local copy of a resource's octets to compare against; repeatable",
           kind="list", metavar="[ROLE=]PATH"),
    Option("oracle", "where large representations' octets come from: auto (in memory when small, "
           "else cross-checked windows) or full (download once to a temporary file)",
           choices=("auto", "full")),
    Option("header", "extra request header for every request; repeatable", kind="list",
           metavar="'NAME: VALUE'", cli_short="-H"),
    Option("timeout", "read timeout per request, seconds (default 10)", kind="float"),
    Option("connect_timeout", "connect timeout, seconds (default 5)", kind="float"),
    Option("insecure", "do not verify TLS certificates", kind="flag"),
    Option("ca_bundle", "CA bundle to verify TLS certificates with", metavar="PATH"),
    Option("client_cert", "client certificate (PEM; 'CERT,KEY' for a separate key)",
           metavar="PATH"),
    Option("proxy", "proxy URL for every request (default: none; see --proxy-from-env)",
           metavar="URL"),
    Option("proxy_from_env", "use HTTP(S)_PROXY / NO_PROXY from the environment", kind="flag"),
    Option("user_agent", "User-Agent to send (default range-conformance/VERSION)"),
    Option("id", "only cases whose id matches this glob (e.g. 'SGL-*'); repeatable",
           kind="list", metavar="GLOB"),
    Option("tag", "only cases with this tag (e.g. multipart); repeatable", kind="list"),
    Option("level", "only cases of this level; repeatable", kind="list",
           choices=("MUST", "SHOULD", "MAY")),
    Option("section", "only cases citing this RFC 9110 section or a subsection of it "
           "(e.g. 14.1); repeatable", kind="list"),
    Option("fail_on", "which outcomes make the run fail: 'fail' (default: fail and error) or "
           "'warn' (warn too)", choices=("fail", "warn")),
    Option("report_dir", "write every report (JSON, JUnit, Markdown, HTML) into DIR",
           metavar="DIR"),
    Option("json", "write the JSON report here", metavar="PATH"),
    Option("junit", "write a JUnit XML report here", metavar="PATH"),
    Option("md", "write a Markdown report here (e.g. $GITHUB_STEP_SUMMARY)", metavar="PATH"),
    Option("html", "write a self-contained HTML report here", metavar="PATH"),
    Option("workers", f"run N cases at a time (default {DEFAULT_WORKERS}; 1: one at a time); "
           "verdicts and report order do not change", kind="int", metavar="N", cli_short="-j"),
    # The plugin's own: pytest takes case files as paths, -k, -q and -v of its own.
    Option("target", "resource to check (a path with --target-app); with no paths given, "
           "runs the bundled cases", metavar="URL|/PATH", pytest_flag="--target",
           fronts=("plugin",)),
    # The command line's own.
    Option("keyword", "only cases matching EXPR (words in id/title/group/tags; and/or/not)",
           metavar="EXPR", cli_short="-k", fronts=("cli",), cli_only_long=True),
    Option("cases", "case files or folders (default: the bundled cases)", kind="path-list",
           metavar="PATH", fronts=("cli",)),
    Option("list", "list the selected cases and exit", kind="flag", fronts=("cli",)),
    Option("explain", "show what a case sends and accepts", metavar="ID", fronts=("cli",)),
    Option("quiet", "print the verdict line alone (and reports)", kind="flag", cli_short="-q",
           fronts=("cli",)),
    Option("verbose", "a line for every case, passes too, and the counts by RFC section",
           kind="flag", cli_short="-v", fronts=("cli",)),
    Option("version", "print the version and exit", kind="version", fronts=("cli",)),
    # `range-conformance cache`'s own.
    Option("cache", "base URL of the cache under test, set to forward to the tool's origin",
           metavar="URL", fronts=("cache",)),
    Option("origin_port", "port the tool's own origin listens on (the cache's upstream)",
           kind="int", metavar="P", fronts=("cache", "origin")),
    Option("origin_host", "address the origin listens on (default 127.0.0.1)", metavar="HOST",
           fronts=("cache", "origin")),
    Option("origin", "URL of the tool's origin already running (`range-conformance origin`), "
           "instead of starting one", metavar="URL", fronts=("cache",)),
    Option("no_catalogue", "run only the cache cases, not the whole catalogue through the cache",
           kind="flag", fronts=("cache",)),
)  # fmt: skip

# What `range-conformance cache` offers besides its own options.
CACHE_SHARED = (
    "profile", "header", "timeout", "connect_timeout", "user_agent", "id", "tag", "level",
    "section", "fail_on", "report_dir", "json", "junit", "md", "html", "workers", "keyword",
    "cases", "list", "quiet", "verbose",
)  # fmt: skip


# The options of a run, offered by both front ends (and allowed in a target file).
RUN_OPTIONS = tuple(option for option in OPTIONS if option.fronts == ("cli", "plugin"))


@dataclass(frozen=True)
class Settings:
    """One run's resolved options."""

    urls: dict[str, str] = field(default_factory=dict)
    oracle_files: dict[str, Path] = field(default_factory=dict)
    profile: str = "rfc"
    client: ClientSettings = field(default_factory=ClientSettings)
    ids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    fail_on: str = "fail"
    reports: dict[str, Path] = field(default_factory=dict)  # kind → path
    target_app: str | None = None
    oracle_mode: str = "auto"
    workers: int = DEFAULT_WORKERS


def add_cli_options(parser: argparse.ArgumentParser, front: str = "cli") -> None:
    """Every option of the table the command line (`front` "cli") or its `cache` command
    offers, as argparse arguments."""
    for option in OPTIONS:
        if front not in option.fronts and not (front == "cache" and option.name in CACHE_SHARED):
            continue
        long = [] if option.cli_only_long else [option.cli_flag]
        flags = long + ([option.cli_short] if option.cli_short else [])
        if option.kind == "version":
            parser.add_argument(*flags, action="version", version=f"%(prog)s {__version__}",
                                help=option.help)  # fmt: skip
            continue
        parser.add_argument(*flags, dest=option.name, **_argparse_kwargs(option))


def add_plugin_options(group: Any, addini: Callable[..., None]) -> None:
    """Every option of the table the pytest plugin offers, each with its ini twin."""
    for option in OPTIONS:
        if "plugin" not in option.fronts:
            continue
        group.addoption(option.plugin_flag, dest="range_" + option.name,
                        **_argparse_kwargs(option))  # fmt: skip
        ini_type = (
            "linelist" if option.kind == "list" else "bool" if option.kind == "flag" else None
        )
        addini(option.ini, f"default for {option.plugin_flag}", type=ini_type)


def _argparse_kwargs(option: Option) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"help": option.help}
    if option.metavar:
        kwargs["metavar"] = option.metavar
    if option.choices:
        kwargs["choices"] = option.choices
        # Choices are matched whatever the case people type them in (--level must, MEDIA).
        kwargs["type"] = str.upper if all(c.isupper() for c in option.choices) else str.lower
    if option.kind == "flag":
        kwargs["action"] = "store_true"
        kwargs["default"] = None
    elif option.kind == "list":
        kwargs["action"] = "append"
    elif option.kind == "path-list":
        kwargs.update(action="append", type=Path, default=[])
    elif option.kind == "float":
        kwargs["type"] = float
    elif option.kind == "int":
        kwargs["type"] = int
    return kwargs


def resolve(values: dict[str, Any], target: str | None) -> Settings:
    """Option values (None where not given) + the main URL → Settings. Raises TargetError."""
    file_values = load_target_file(Path(values["targets"])) if values.get("targets") else {}

    def pick(name: str, default: Any = None) -> Any:
        value = values.get(name)
        if value in (None, []):
            value = file_values.get(name)
        return default if value in (None, []) else value

    urls: dict[str, str] = {}
    main = target or file_values.get("url") or ("/" if pick("target_app") else None)
    if main:
        urls["main"] = str(main)
    urls.update(_pairs(file_values.get("resource", []), "resource", default_role=None))
    urls.update(_pairs(values.get("resource") or [], "--resource", default_role=None))
    oracle = {
        role: Path(path)
        for role, path in _pairs(
            pick("oracle_file", []), "--oracle-file", default_role="main"
        ).items()
    }
    headers = tuple(
        _header(text) for text in [*file_values.get("header", []), *(values.get("header") or [])]
    )
    verify: bool | str = not pick("insecure", False)
    if pick("ca_bundle"):
        verify = str(pick("ca_bundle"))
    cert = pick("client_cert")
    client = ClientSettings(
        connect_timeout=_seconds(pick("connect_timeout", 5.0), "--connect-timeout"),
        read_timeout=_seconds(pick("timeout", 10.0), "--timeout"),
        verify=verify,
        extra_headers=headers,
        user_agent=str(pick("user_agent", ClientSettings().user_agent)),
        cert=tuple(str(cert).split(",", 1)) if cert else None,  # type: ignore[arg-type]
        proxy=pick("proxy"),
        proxy_from_env=bool(pick("proxy_from_env", False)),
    )
    reports: dict[str, Path] = {}
    if pick("report_dir"):
        directory = Path(pick("report_dir"))
        reports = {
            kind: directory / f"range-conformance.{ext}"
            for kind, ext in (
                ("json", "json"),
                ("junit", "junit.xml"),
                ("md", "md"),
                ("html", "html"),
            )
        }
    for kind in ("json", "junit", "md", "html"):
        if pick(kind):
            reports[kind] = Path(pick(kind))
    return Settings(
        urls=urls,
        oracle_files=oracle,
        profile=str(pick("profile", "rfc")),
        client=client,
        ids=tuple(pick("id", [])),
        tags=tuple(pick("tag", [])),
        levels=tuple(level.upper() for level in pick("level", [])),
        sections=tuple(pick("section", [])),
        fail_on=str(pick("fail_on", "fail")),
        reports=reports,
        target_app=pick("target_app"),
        oracle_mode=str(pick("oracle", "auto")),
        workers=_workers(pick("workers", DEFAULT_WORKERS)),
    )


def load_target_file(path: Path) -> dict[str, Any]:
    """A small YAML file: url, resources: {role: url}, headers: {name: value}, oracle_files,
    and any option by name (profile, timeout, insecure, …)."""
    try:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise TargetError(f"cannot read target file {path}: {error}") from None
    if not isinstance(data, dict):
        raise TargetError(f"target file {path}: expected a mapping at the top level")
    known = {option.name for option in RUN_OPTIONS} | {
        "url",
        "resources",
        "headers",
        "oracle_files",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise TargetError(f"target file {path}: unknown key(s) {', '.join(unknown)}")
    by_name = {option.name: option for option in RUN_OPTIONS}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("resources", "headers", "oracle_files"):
            continue
        option = by_name.get(key)
        if option is not None and option.kind == "list" and not isinstance(value, list):
            value = [value]  # `level: MUST` means the one-element list
        if option is not None and option.choices and value is not None:
            fold = str.upper if all(c.isupper() for c in option.choices) else str.lower
            items = [fold(str(item)) for item in (value if isinstance(value, list) else [value])]
            for item in items:
                if item not in option.choices:
                    raise TargetError(
                        f"target file {path}: {key}: {item!r} is not one of "
                        f"{', '.join(option.choices)}"
                    )
            value = items if isinstance(value, list) else items[0]
        values[key] = value
    base = path.parent
    values["resource"] = [
        *values.get("resource", []),
        *(f"{role}={url}" for role, url in (data.get("resources") or {}).items()),
    ]
    values["header"] = [
        *values.get("header", []),
        *(f"{name}: {value}" for name, value in (data.get("headers") or {}).items()),
    ]
    values["oracle_file"] = [_beside(base, str(item)) for item in values.get("oracle_file", [])] + [
        f"{role}={os.path.join(base, p)}" for role, p in (data.get("oracle_files") or {}).items()
    ]
    return values


def _beside(base: Path, item: str) -> str:
    """An `[ROLE=]PATH` from a target file, its path taken relative to the file's folder."""
    role, equals, path = item.partition("=")
    if equals and role in ROLES:
        return f"{role}={os.path.join(base, path)}"
    return os.path.join(base, item)


def _pairs(items: Sequence[str], option: str, default_role: str | None) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        role, equals, value = str(item).partition("=")
        if not equals or role not in ROLES:
            if default_role is None:
                raise TargetError(
                    f"{option} {item!r}: write ROLE=VALUE with a role among {', '.join(ROLES)}"
                )
            role, value = default_role, str(item)
        pairs[role] = value
    return pairs


TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 §5.1 field-name
VISIBLE = re.compile(r"[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?")  # §5.5, without obs-text


def _header(text: str) -> tuple[str, str]:
    """'Name: value' → (name, value), refused unless both are valid field syntax."""
    name, colon, value = str(text).partition(":")
    if not colon or not name.strip():
        raise TargetError(f"header {text!r}: write headers as 'Name: value'")
    name, value = name.strip(), value.strip(" \t")
    if not TOKEN.fullmatch(name):
        raise TargetError(
            f"header {text!r}: {name!r} is not a field name (letters, digits and "
            "!#$%&'*+.^_`|~- only, RFC 9110 §5.1)"
        )
    if value and not VISIBLE.fullmatch(value):
        raise TargetError(
            f"header {text!r}: the value must be visible ASCII, spaces and tabs (RFC 9110 §5.5); "
            "percent-encode or base64 anything else"
        )
    return name, value


def _workers(value: Any) -> int:
    try:
        workers = int(value)
    except (TypeError, ValueError):
        raise TargetError(f"--workers {value!r}: not a whole number") from None
    if workers < 1:
        raise TargetError(f"--workers {value!r}: run at least one case at a time")
    return workers


def _seconds(value: Any, flag: str) -> float:
    """A timeout: a positive, finite number of seconds, or TargetError naming the option."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise TargetError(f"{flag} {value!r}: not a number of seconds") from None
    if not 0 < seconds < float("inf"):
        raise TargetError(f"{flag} {value!r}: must be a positive number of seconds")
    return seconds


def rooted(settings: Settings, base_url: str) -> Settings:
    """The settings with every URL that is only a path put under `base_url` (--target-app)."""
    urls = {
        role: url if url.startswith(("http://", "https://")) else f"{base_url}/{url.lstrip('/')}"
        for role, url in settings.urls.items()
    }
    return replace(settings, urls=urls)
