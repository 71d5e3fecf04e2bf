"""One table of options for the CLI and the plugin: `resolve()` into Settings, the target file.

Offline: these tests only parse and resolve. What each option does on the wire is in
test_cli_options.py.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.casefile.loader import bundled_cases_dir
from conformance.cli import build_parser, main
from conformance.errors import TargetError
from conformance.options import (
    OPTIONS,
    RUN_OPTIONS,
    Settings,
    add_plugin_options,
    load_target_file,
    resolve,
)
from conformance.transport.settings import USER_AGENT

SINGLE = bundled_cases_dir() / "single.range.yaml"

# Every option in the table, with a command line that sets it and what Settings then holds.
# A new option without a row here fails test_every_option_has_a_row.
NAMES = {option.name for option in RUN_OPTIONS}
ROWS: dict[str, tuple[list[str], object]] = {
    "target_app": (["--target-app", "pkg.mod:app"], lambda s: s.target_app == "pkg.mod:app"),
    "profile": (["--profile", "media"], lambda s: s.profile == "media"),
    "resource": (
        ["--resource", "one=http://h/one", "--resource", "empty=http://h/e"],
        lambda s: s.urls == {"main": "http://h/m", "one": "http://h/one", "empty": "http://h/e"},
    ),
    "targets": ([], None),  # a file: see the target-file tests below
    "oracle_file": (
        ["--oracle-file", "/o/main.bin", "--oracle-file", "one=/o/one.bin"],
        lambda s: s.oracle_files == {"main": Path("/o/main.bin"), "one": Path("/o/one.bin")},
    ),
    "oracle": (["--oracle", "full"], lambda s: s.oracle_mode == "full"),
    "header": (
        ["-H", "X-A: 1", "--header", "X-B:two words "],
        lambda s: s.client.extra_headers == (("X-A", "1"), ("X-B", "two words")),
    ),
    "timeout": (["--timeout", "2.5"], lambda s: s.client.read_timeout == 2.5),
    "connect_timeout": (["--connect-timeout", "0.5"], lambda s: s.client.connect_timeout == 0.5),
    "insecure": (["--insecure"], lambda s: s.client.verify is False),
    "ca_bundle": (["--ca-bundle", "/ca.pem"], lambda s: s.client.verify == "/ca.pem"),
    "client_cert": (
        ["--client-cert", "/c.pem,/k.pem"],
        lambda s: s.client.cert == ("/c.pem", "/k.pem"),
    ),
    "proxy": (["--proxy", "http://p:3128"], lambda s: s.client.proxy == "http://p:3128"),
    "proxy_from_env": (["--proxy-from-env"], lambda s: s.client.proxy_from_env is True),
    "user_agent": (["--user-agent", "UA/1"], lambda s: s.client.user_agent == "UA/1"),
    "id": (["--id", "SGL-*", "--id", "BAS-01"], lambda s: s.ids == ("SGL-*", "BAS-01")),
    "tag": (["--tag", "multiple"], lambda s: s.tags == ("multiple",)),
    "level": (["--level", "MUST", "--level", "MAY"], lambda s: s.levels == ("MUST", "MAY")),
    "section": (["--section", "14.1"], lambda s: s.sections == ("14.1",)),
    "fail_on": (["--fail-on", "warn"], lambda s: s.fail_on == "warn"),
    "report_dir": (
        ["--report-dir", "/out"],
        lambda s: (
            s.reports
            == {
                "json": Path("/out/range-conformance.json"),
                "junit": Path("/out/range-conformance.junit.xml"),
                "md": Path("/out/range-conformance.md"),
                "html": Path("/out/range-conformance.html"),
            }
        ),
    ),
    "json": (["--json", "/r.json"], lambda s: s.reports == {"json": Path("/r.json")}),
    "junit": (["--junit", "/r.xml"], lambda s: s.reports == {"junit": Path("/r.xml")}),
    "md": (["--md", "/r.md"], lambda s: s.reports == {"md": Path("/r.md")}),
    "html": (["--html", "/r.html"], lambda s: s.reports == {"html": Path("/r.html")}),
    "workers": (["-j", "3"], lambda s: s.workers == 3),
}


def settings_for(*argv: str, url: str | None = "http://h/m") -> Settings:
    args = build_parser().parse_args([*([url] if url else []), *argv])
    return resolve(vars(args), args.url)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_every_option_has_a_row() -> None:
    assert NAMES - set(ROWS) == set()


def test_every_flag_of_either_front_end_is_declared_in_the_one_table() -> None:
    """No option added beside the table: the CLI's flags and the plugin's are the table's."""
    table_cli = {
        flag
        for option in OPTIONS
        if "cli" in option.fronts
        for flag in ([option.cli_short] if option.cli_short else [])
        + ([] if option.cli_only_long else [option.cli_flag])
    }
    parsed = {f for a in build_parser()._actions for f in a.option_strings} - {"-h", "--help"}
    assert parsed == table_cli
    group = _RecordingGroup()
    add_plugin_options(group, group.addini)
    assert set(group.flags) == {o.plugin_flag for o in OPTIONS if "plugin" in o.fronts}
    assert "--target" in group.flags
    assert "range_target" in group.inis


class _RecordingGroup:
    def __init__(self) -> None:
        self.flags: list[str] = []
        self.inis: list[str] = []

    def addoption(self, flag: str, **_: object) -> None:
        self.flags.append(flag)

    def addini(self, name: str, *_: object, **__: object) -> None:
        self.inis.append(name)


@pytest.mark.parametrize(
    "name", [name for name, (argv, _) in ROWS.items() if argv and name in NAMES]
)
def test_each_cli_option_lands_in_settings(name: str) -> None:
    argv, holds = ROWS[name]
    assert callable(holds)
    assert holds(settings_for(*argv))


def test_defaults() -> None:
    settings = settings_for()
    assert settings.urls == {"main": "http://h/m"}
    assert settings.profile == "rfc"
    assert settings.fail_on == "fail"
    assert settings.reports == {}
    assert settings.oracle_files == {}
    assert (settings.ids, settings.tags, settings.levels, settings.sections) == ((), (), (), ())
    client = settings.client
    assert (client.connect_timeout, client.read_timeout) == (5.0, 10.0)
    assert client.verify is True
    assert client.cert is None
    assert client.proxy is None
    assert client.proxy_from_env is False
    assert client.user_agent == USER_AGENT
    assert client.extra_headers == ()


def test_one_report_path_overrides_the_report_dir_for_its_kind() -> None:
    reports = settings_for("--report-dir", "/out", "--json", "/elsewhere.json").reports
    assert reports["json"] == Path("/elsewhere.json")
    assert reports["md"] == Path("/out/range-conformance.md")


def test_a_client_cert_without_a_key_is_one_path() -> None:
    assert settings_for("--client-cert", "/both.pem").client.cert == ("/both.pem",)


def test_ca_bundle_wins_over_insecure() -> None:
    assert settings_for("--insecure", "--ca-bundle", "/ca.pem").client.verify == "/ca.pem"


def test_oracle_path_with_an_equals_sign_but_no_role_is_for_main() -> None:
    settings = settings_for("--oracle-file", "/data/a=b.bin")
    assert settings.oracle_files == {"main": Path("/data/a=b.bin")}


def test_every_option_has_a_plugin_twin_and_ini_key() -> None:
    flags = [option.plugin_flag for option in OPTIONS]
    assert len(set(flags)) == len(flags)
    for option in OPTIONS:
        assert option.plugin_flag.startswith("--")
        assert option.ini == "range_" + option.name
    assert {"--target-app"} <= set(flags)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--resource", "nosuchrole=http://h/x"], "write ROLE=VALUE"),
        (["--resource", "http://h/x"], "write ROLE=VALUE"),
        (["-H", "no colon"], "write headers as 'Name: value'"),
        (["-H", ": empty name"], "write headers as 'Name: value'"),
    ],
)
def test_bad_option_values_raise_target_error(argv: list[str], message: str) -> None:
    with pytest.raises(TargetError, match=message):
        settings_for(*argv)


@pytest.mark.parametrize(
    ("given", "holds"),
    [
        (["--level", "must"], lambda s: s.levels == ("MUST",)),
        (["--profile", "MEDIA"], lambda s: s.profile == "media"),
        (["--oracle", "Full"], lambda s: s.oracle_mode == "full"),
        (["--fail-on", "WARN"], lambda s: s.fail_on == "warn"),
    ],
)
def test_choices_are_taken_in_any_letter_case(
    given: list[str], holds: Callable[[Settings], bool]
) -> None:
    assert holds(settings_for(*given))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--timeout", "-1"], "--timeout -1.0: must be a positive number of seconds"),
        (["--timeout", "0"], "--timeout 0.0: must be a positive number of seconds"),
        (["--connect-timeout", "nan"], "--connect-timeout nan: must be a positive number"),
        (["-j", "0"], "--workers 0: run at least one case at a time"),
        (["-H", "Caf\u00e9: x"], "'Café' is not a field name"),
        (["-H", "Bad Name: x"], "'Bad Name' is not a field name"),
        (["-H", "X-Name: caf\u00e9"], "the value must be visible ASCII"),
        (["-H", "X-Name: a\x00b"], "the value must be visible ASCII"),
        (["-H", "X-Name: \u20ac"], "the value must be visible ASCII"),
    ],
)
def test_bad_values_are_refused_before_any_request(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(TargetError, match=re.escape(message)):
        settings_for(*argv)
    # through the command line: exit 2, one line, and no request (the URL is never contacted)
    code, out = run("http://127.0.0.1:1/never-contacted", *argv)
    assert (code, out) == (2, "")
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err


@pytest.mark.parametrize(
    "argv",
    [
        ["--profile", "loose"],
        ["--level", "sometimes"],
        ["--fail-on", "info"],
        ["--timeout", "soon"],
        ["--no-such-option"],
    ],
)
def test_argparse_rejects_bad_usage_with_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run(*argv, "--list")
    assert exited.value.code == 2


# --- the target file -------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def test_target_file_keys(tmp_path: Path) -> None:
    (tmp_path / "copies").mkdir()
    targets = write(
        tmp_path / "targets.yaml",
        "url: http://h/main.bin\n"
        "resources: {one: 'http://h/one.bin', empty: 'http://h/empty.bin'}\n"
        "headers: {Authorization: 'Bearer t', X-Two: 2}\n"
        "oracle_files: {main: copies/main.bin, one: /abs/one.bin}\n"
        "profile: media\n"
        "timeout: 3\n"
        "insecure: true\n"
        "user_agent: from-file/1\n"
        "fail_on: warn\n",
    )
    settings = settings_for("--targets", str(targets), url=None)
    assert settings.urls == {
        "main": "http://h/main.bin",
        "one": "http://h/one.bin",
        "empty": "http://h/empty.bin",
    }
    assert settings.client.extra_headers == (("Authorization", "Bearer t"), ("X-Two", "2"))
    # relative oracle paths are relative to the target file, not to the working directory
    assert settings.oracle_files == {
        "main": tmp_path / "copies" / "main.bin",
        "one": Path("/abs/one.bin"),
    }
    assert settings.profile == "media"
    assert settings.client.read_timeout == 3.0
    assert settings.client.verify is False
    assert settings.client.user_agent == "from-file/1"
    assert settings.fail_on == "warn"


def test_command_line_wins_over_the_target_file(tmp_path: Path) -> None:
    targets = write(
        tmp_path / "t.yaml",
        "url: http://h/file-main\nprofile: media\nresources: {one: 'http://h/file-one'}\n"
        "headers: {X-From: file}\ntimeout: 3\n",
    )
    settings = settings_for(
        "--targets",
        str(targets),
        "--profile",
        "strict",
        "--resource",
        "one=http://h/cli-one",
        "-H",
        "X-Cli: yes",
        "--timeout",
        "1",
        url="http://h/cli-main",
    )
    assert settings.urls == {"main": "http://h/cli-main", "one": "http://h/cli-one"}
    assert settings.profile == "strict"
    assert settings.client.read_timeout == 1.0
    # headers add up: the file's first, then the command line's
    assert settings.client.extra_headers == (("X-From", "file"), ("X-Cli", "yes"))


def test_an_empty_target_file_is_no_options(tmp_path: Path) -> None:
    assert load_target_file(write(tmp_path / "t.yaml", "")) == {
        "resource": [],
        "header": [],
        "oracle_file": [],
    }


URL = "http://127.0.0.1:1/x"


@pytest.mark.parametrize(
    ("text", "before", "message"),
    [
        pytest.param(
            "- just\n- a list\n",
            [URL],
            "target file {path}: expected a mapping at the top level",
            id="not-a-mapping",
        ),
        pytest.param(
            "url: [unclosed\n", [URL], "cannot read target file {path}: while parsing", id="yaml"
        ),
        pytest.param(
            "resources: {nosuchrole: 'http://h/x'}\n",
            [URL],
            "resource 'nosuchrole=http://h/x': write ROLE=VALUE with a role among main, ",
            id="unknown-role",
        ),
        pytest.param(
            f"url: {URL}\nprofiel: media\n",
            [],
            "target file {path}: unknown key(s) profiel",
            id="unknown-key",
        ),
        pytest.param(
            None,
            [],
            "cannot read target file {path}: [Errno 2] No such file or directory",
            id="missing",
        ),
        pytest.param(
            "url: ftp://h/x\n",
            [],
            "'ftp://h/x' is not an http:// or https:// URL with a host",
            id="not-http",
        ),
        pytest.param(
            f"url: {URL}\nprofile: bogus\n",
            [],
            "target file {path}: profile: 'bogus' is not one of rfc, strict, media",
            id="bad-profile",
        ),
        pytest.param(
            f"url: {URL}\nfail_on: warnings\n",
            [],
            "target file {path}: fail_on: 'warnings' is not one of fail, warn",
            id="bad-fail-on",
        ),
    ],
)
def test_a_bad_target_file_exits_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str | None,
    before: list[str],
    message: str,
) -> None:
    """`text` None: no file at all. `message` names the file where it says {path}."""
    targets = tmp_path / "t.yaml"
    if text is not None:
        write(targets, text)
    code, out = run(*before, "--targets", str(targets), "--list", "--cases", str(SINGLE))
    assert code == 2
    assert out == ""
    err = capsys.readouterr().err
    assert err.startswith("range-conformance: ")
    assert message.format(path=targets) in err
    assert "Traceback" not in err


def listed(out: str) -> list[str]:
    return [line.split()[0] for line in out.splitlines()]


def test_target_file_selection_options_as_lists_select_cases(tmp_path: Path) -> None:
    targets = write(tmp_path / "t.yaml", f"url: {URL}\nid: ['SGL-0[1-3]']\n")
    code, out = run("--targets", str(targets), "--list", "--cases", str(SINGLE))
    assert code == 0
    assert listed(out) == ["SGL-01", "SGL-02", "SGL-03"]


@pytest.mark.parametrize(
    ("line", "flag", "expected"),
    [
        ("level: MUST", ["--level", "MUST"], "SGL-01"),
        ("id: SGL-04", ["--id", "SGL-04"], "SGL-04"),
        ("section: '14.1.2'", ["--section", "14.1.2"], "SGL-01"),
    ],
)
def test_target_file_scalar_for_a_list_option(
    tmp_path: Path, line: str, flag: list[str], expected: str
) -> None:
    """A scalar where a list is expected is a list of one: it selects as the flag would."""
    targets = write(tmp_path / "t.yaml", f"url: {URL}\n{line}\n")
    code, out = run("--targets", str(targets), "--list", "--cases", str(SINGLE))
    assert code == 0
    assert expected in listed(out)
    flag_code, flag_out = run(URL, *flag, "--list", "--cases", str(SINGLE))
    assert flag_code == 0
    assert listed(out) == listed(flag_out)


@pytest.mark.parametrize(
    ("line", "field", "expected"),
    [
        ("header: ['X-From-File: 1']", "client.extra_headers", (("X-From-File", "1"),)),
        ("resource: ['one=http://h/one']", "urls", {"main": "http://h/m", "one": "http://h/one"}),
        ("oracle_file: [/o/x.bin]", "oracle_files", {"main": Path("/o/x.bin")}),
    ],
)
def test_target_file_option_named_list_keys_are_honoured(
    tmp_path: Path, line: str, field: str, expected: object
) -> None:
    """The option's own name works as a key too, as a list, like the plural key."""
    targets = write(tmp_path / "t.yaml", f"url: http://h/m\n{line}\n")
    value: object = settings_for("--targets", str(targets), url=None)
    for name in field.split("."):
        value = getattr(value, name)
    assert value == expected


def test_target_file_oracle_paths_with_a_role_are_beside_the_file(tmp_path: Path) -> None:
    targets = write(
        tmp_path / "t.yaml", "url: http://h/m\noracle_file: [one=copies/one.bin, copies/m.bin]\n"
    )
    settings = settings_for("--targets", str(targets), url=None)
    assert settings.oracle_files == {
        "one": tmp_path / "copies" / "one.bin",
        "main": tmp_path / "copies" / "m.bin",
    }
