"""Case files → validated `Case` values.

YAML text is checked against the bundled JSON Schema (draft 2020-12) and a few cross-field rules;
every problem is reported at once as `path:line: $.json.path: message`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from conformance.errors import CaseFileError
from conformance.model import (
    CACHE_CASE_SUFFIX,
    CASE_SUFFIX,
    PROFILES,
    ByteSpan,
    Case,
    Expectation,
    Grade,
    HeaderValue,
    Learned,
    Level,
    OriginPlan,
    OriginStep,
    Position,
    RangeSeries,
    RangeSpec,
    RequestTemplate,
    Requirements,
)

JsonPath = tuple[str | int, ...]


@cache
def case_schema() -> dict[str, Any]:
    """The JSON Schema every case file must satisfy."""
    text = resources.files("conformance.casefile").joinpath("case.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def case_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(case_schema())


# libyaml's loader when PyYAML has it: the same safe subset, several times faster.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """One pass: the node tree (for line numbers) and the plain data built from it."""
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def bundled_cases_dir() -> Path:
    """Where the bundled case files are: in a wheel, an editable install and a checkout alike."""
    package = Path(str(resources.files("conformance")))
    installed = package / "bundled_cases"
    if installed.is_dir():
        return installed
    return package.parent / "cases"


def shown_path(path: Path) -> str:
    """How reports name a case file: `cases/NAME.range.yaml` for a bundled one (whichever
    machine ran it), the path as it was given for any other."""
    bundled = bundled_cases_dir().resolve()
    try:
        inside = path.resolve().relative_to(bundled)
    except ValueError:
        return str(path)
    return (Path("cases") / inside).as_posix()


def find_case_files(paths: Iterable[Path], suffix: str = CASE_SUFFIX) -> list[Path]:
    """Every `*.range.yaml` (or `suffix`) named or found below the given paths, in a stable
    order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(path.rglob(f"*{suffix}")))
        else:
            found.append(path)
    return found


def load_cases(paths: Iterable[Path], suffix: str = CASE_SUFFIX) -> list[Case]:
    """Load every case under `paths` (files ending in `suffix`: the origin catalogue, or the
    cache catalogue's CACHE_CASE_SUFFIX); raise one CaseFileError naming all problems."""
    cases: list[Case] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in find_case_files(paths, suffix):
        try:
            loaded = load_case_file(path)
        except CaseFileError as error:
            problems.extend(error.problems)
            continue
        for case in loaded:
            if case.id in seen:
                problems.append(
                    f"{case.location}: $.cases[?(@.id=='{case.id}')].id: "
                    f"duplicate case id {case.id!r} (first at {seen[case.id]})"
                )
            seen.setdefault(case.id, case.location)
            cases.append(case)
    if problems:
        raise CaseFileError(problems)
    return cases


def load_case_file(path: Path) -> list[Case]:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CaseFileError([f"{path}:1: $: cannot read case file: {error}"]) from None
    return load_cases_text(text, path)


def load_cases_text(text: str, source: Path) -> list[Case]:
    """Parse, validate and build the cases of one file's text."""
    try:
        node, data = _parse(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error)
        raise CaseFileError([f"{source}:{line}: $: invalid YAML: {problem}"]) from None
    lines = _line_index(node) if node is not None else {}
    validator = case_validator()
    errors = sorted(validator.iter_errors(data), key=lambda e: (_line(lines, e.path), e.json_path))
    problems = [
        f"{source}:{_line(lines, error.path)}: {error.json_path}: {_message(error)}"
        for error in errors
    ]
    if problems:
        raise CaseFileError(problems)
    problems = list(_cross_field_problems(data, lines, source))
    if problems:
        raise CaseFileError(problems)
    return [_build_case(data, index, lines, source) for index in range(len(data["cases"]))]


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator == "oneOf" and error.context:
        best = jsonschema.exceptions.best_match(error.context)
        return str(best.message)
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are", "unknown key(s):").replace(
            "Additional properties is", "unknown key:"
        )
    return error.message


def _line_index(root: yaml.Node) -> dict[JsonPath, int]:
    """Map every JSON path in the document to the 1-based line where its value starts."""
    index: dict[JsonPath, int] = {}

    def walk(node: yaml.Node, path: JsonPath) -> None:
        index[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, (*path, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for position, item in enumerate(node.value):
                walk(item, (*path, position))

    walk(root, ())
    return index


def _line(lines: dict[JsonPath, int], path: Iterable[str | int]) -> int:
    """The line of the deepest known prefix of `path` (a missing key points at its parent)."""
    steps = tuple(path)
    while steps not in lines and steps:
        steps = steps[:-1]
    return lines.get(steps, 1)


def _json_path(path: JsonPath) -> str:
    return "$" + "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)


def _cross_field_problems(
    data: dict[str, Any], lines: dict[JsonPath, int], source: Path
) -> Iterator[str]:
    """Rules the schema cannot say: unique ids, first <= last, one way to send Range."""

    def problem(path: JsonPath, message: str) -> str:
        return f"{source}:{_line(lines, path)}: {_json_path(path)}: {message}"

    seen: set[str] = set()
    cache_file = source.name.endswith(CACHE_CASE_SUFFIX)
    for index, case in enumerate(data["cases"]):
        here: JsonPath = ("cases", index)
        if cache_file != ("origin" in case):
            yield problem(
                (*here, "origin"),
                f"a case in a *{CACHE_CASE_SUFFIX} file needs an 'origin' block"
                if cache_file
                else f"'origin' belongs only in a *{CACHE_CASE_SUFFIX} file (cache mode)",
            )
        if case["id"] in seen:
            yield problem((*here, "id"), f"duplicate case id {case['id']!r}")
        seen.add(case["id"])
        request = case["request"]
        named = {name.lower() for name in request.get("headers", {})}
        if ("range" in request or "range_series" in request) and "range" in named:
            yield problem((*here, "request"), "give the Range either as 'range' or as a header")
        branches: set[str] = set()
        for number, outcome in enumerate(case["outcomes"]):
            where: JsonPath = (*here, "outcomes", number)
            if outcome["branch"] in branches:
                yield problem((*where, "branch"), f"duplicate branch {outcome['branch']!r}")
            branches.add(outcome["branch"])
            for span_number, span in enumerate(outcome.get("partial", [])):
                first, last = span["first"], span["last"]
                if isinstance(first, int) and isinstance(last, int) and first > last:
                    yield problem(
                        (*where, "partial", span_number),
                        f"first {first} is after last {last} (positions are inclusive)",
                    )
        for spec_number, spec in enumerate(request.get("range", [])):
            first, last = spec.get("first"), spec.get("last")
            if isinstance(first, int) and isinstance(last, int) and first > last:
                yield problem(
                    (*here, "request", "range", spec_number),
                    f"first {first} is after last {last}; send invalid ranges as a literal header",
                )


def _build_case(data: dict[str, Any], index: int, lines: dict[JsonPath, int], source: Path) -> Case:
    raw = data["cases"][index]
    requires = {**data.get("requires", {}), **raw.get("requires", {})}
    return Case(
        id=raw["id"],
        title=raw["title"],
        group=data["group"],
        rfc=raw["rfc"],
        level=Level(raw["level"]),
        resource=raw.get("resource", data.get("resource", "main")),
        request=_build_request(raw["request"]),
        expectations=tuple(_build_expectation(item) for item in raw["outcomes"]),
        source=source,
        line=_line(lines, ("cases", index)),
        tags=tuple(dict.fromkeys([*data.get("tags", []), *raw.get("tags", [])])),
        requires=Requirements(**requires),
        profiles=tuple(raw.get("profiles", PROFILES)),
        note=raw.get("note", ""),
        slow_after=raw.get("slow_after"),
        then_baseline=raw.get("then_baseline", False),
        on_transport_error=raw.get("on_transport_error", "fail"),
        alone=raw.get("alone", data.get("alone", False)),
        file=shown_path(source),
        origin=_build_origin(raw["origin"]) if "origin" in raw else None,
    )


def _build_origin(raw: dict[str, Any]) -> OriginPlan:
    steps = []
    for step in raw.get("steps", []):
        fault = step.get("fault", {})
        steps.append(
            OriginStep(
                request=_build_request(step["request"]) if "request" in step else None,
                replace=step.get("replace", False),
                fault=fault.get("kind"),
                after=fault.get("after", 0),
                status=fault.get("status", 0),
                count=fault.get("count", 1),
            )
        )
    return OriginPlan(
        size=raw.get("size", 100_000),
        etag=raw.get("etag", "strong"),
        gzip=raw.get("gzip", False),
        vary=raw.get("vary"),
        chunked=raw.get("chunked", False),
        steps=tuple(steps),
        amplification_info=raw.get("amplification_info"),
        must_reach_origin=raw.get("must_reach_origin", False),
    )


def _build_request(raw: dict[str, Any]) -> RequestTemplate:
    headers: list[tuple[str, HeaderValue]] = []
    for name, value in raw.get("headers", {}).items():
        headers.append((name, value if isinstance(value, str) else _build_learned(value)))
    series = raw.get("range_series")
    return RequestTemplate(
        method=raw.get("method", "GET"),
        ranges=tuple(_build_range_spec(spec) for spec in raw.get("range", [])),
        series=RangeSeries(**series) if series is not None else None,
        headers=tuple(headers),
        raw_header_lines=tuple(raw.get("raw_header_lines", [])),
        body=raw.get("body", "").encode("latin-1"),
        prime=tuple(_build_request(item) for item in raw.get("prime", [])),
        parallel=raw.get("parallel", 1),
    )


def _build_learned(raw: dict[str, Any]) -> Learned:
    return Learned(
        source=raw["learned"],
        shift_days=raw.get("shift_days", 0),
        date_format=raw.get("date_format", "imf"),
        transform=raw.get("transform"),
    )


def _build_range_spec(raw: dict[str, Any]) -> RangeSpec:
    if "suffix" in raw:
        return RangeSpec(suffix=Position.parse(raw["suffix"]))
    last = raw.get("last")
    return RangeSpec(
        first=Position.parse(raw["first"]),
        last=None if last is None else Position.parse(last),
    )


def _build_expectation(raw: dict[str, Any]) -> Expectation:
    status = raw["status"]
    length = raw.get("content_length")
    statuses = () if status == "any" else tuple(status) if isinstance(status, list) else (status,)
    return Expectation(
        branch=raw["branch"],
        statuses=statuses,
        grade=Grade(raw.get("grade", "pass")),
        level=Level(raw["level"]) if "level" in raw else None,
        rfc=raw.get("rfc"),
        note=raw.get("note", ""),
        full=raw.get("full", False),
        partial=tuple(
            ByteSpan(Position.parse(span["first"]), Position.parse(span["last"]))
            for span in raw.get("partial", [])
        ),
        exact=raw.get("exact", False),
        allow_subset=raw.get("allow_subset", False),
        unsatisfied=raw.get("unsatisfied", False),
        not_modified=raw.get("not_modified", False),
        no_content=raw.get("no_content", False),
        content_length=None if length is None else Position.parse(length),
        headers_present=tuple(raw.get("headers_present", [])),
        headers_absent=tuple(raw.get("headers_absent", [])),
        representation=raw.get("representation", "identity"),
        via=raw.get("via"),
        etag_distinct=raw.get("etag_distinct", False),
        single_fields=raw.get("single_fields", False),
        header_tokens=tuple(raw.get("header_tokens", {}).items()),
        grade_if_capable=Grade(raw["grade_if_capable"]) if "grade_if_capable" in raw else None,
        profile_grades=tuple((name, Grade(g)) for name, g in raw.get("profiles", {}).items()),
    )
