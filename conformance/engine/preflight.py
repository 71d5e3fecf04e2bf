"""Before any case runs: is the target what a run needs? One message that says what was found
and what to pass instead, or nothing.

A wrong URL, a server that is down, a login page or a 12-octet file would otherwise come back
as a hundred failures blamed on the server, or as a run of skips that passes a CI gate having
checked nothing.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from conformance.engine.target import LARGE, MIN_LENGTH, ROLE_HELP, Resource, Target

# What a role's own URL must answer to a plain GET, beyond a 200 (the other roles need a 200).
_STATUS_OF = {"missing": (404, 410), "redirect": (301, 302, 303, 307, 308)}


def preflight(target: Target) -> str | None:
    """Learn the main resource and every role named, all at once; the first problem, or None."""
    roles = [role for role in target.urls if role not in ("main", "cache")]
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(roles) + 1))) as pool:
        found = pool.map(target.resource, ["main", *roles])
        learned = dict(zip(["main", *roles], found, strict=True))
    main = learned["main"]
    assert main is not None  # "main" is always named
    problem = main_problem(main)
    if problem is not None:
        return problem
    for role in roles:
        resource = learned[role]
        assert resource is not None
        problem = role_problem(resource)
        if problem is not None:
            return problem
    return None


def main_problem(main: Resource) -> str | None:
    """What keeps the main resource from being checked at all, with what to do about it."""
    url = main.url
    if main.status is None:
        return _sentence(f"{main.error}{_remedy(main.error or '')}") + " No case was run."
    if not 200 <= main.status < 300:
        return f"{url} answers {_status(main)} to a plain GET. {_advice(main)} No case was run."
    if main.status != 200:  # a 206 or 204 to a plain GET is the server's fault: cases say so
        return None
    if main.error is not None:
        return _sentence(f"cannot use {url}: {main.error}") + " No case was run."
    length = main.length or 0
    if length < MIN_LENGTH:
        size = "is empty" if length == 0 else f"has {length} octets"
        return (
            f"{url} {size}; the cases need a representation of at least {MIN_LENGTH} octets: "
            "pass the URL of a larger file (a video, an image, any file of 1000 octets or "
            "more). No case was run."
        )
    return None


def role_problem(resource: Resource) -> str | None:
    """A URL given for another role that does not answer as that role must."""
    role, url = resource.role, resource.url
    given = f"--resource {role}={url}"
    if resource.status is None:
        return _sentence(f"{given}: {resource.error}{_remedy(resource.error or '')}") + (
            " No case was run."
        )
    wanted = _STATUS_OF.get(role, (200,))
    if resource.status not in wanted:
        return (
            f"{given} answers {_status(resource)}; the {role!r} role needs "
            f"{ROLE_HELP[role]}. No case was run."
        )
    if resource.status == 200 and resource.error is not None:
        return _sentence(f"{given}: {resource.error}") + " No case was run."
    unfit = _unfit(resource)
    if unfit is not None:
        return f"{given} {unfit}; the {role!r} role needs {ROLE_HELP[role]}. No case was run."
    return None


def _unfit(resource: Resource) -> str | None:
    length = resource.length
    role = resource.role
    checks = {
        "empty": (length == 0, f"has {length} octets"),
        "one": (length == 1, f"has {length} octets"),
        "r10000": ((length or 0) >= 10_000, f"has {length} octets"),
        "large": ((length or 0) > LARGE, f"has {length} octets"),
        "weak": ((resource.etag or "").startswith("W/"), f"sends ETag {resource.etag}"),
        "dynamic": (
            resource.etag is None and resource.header("Last-Modified") is None,
            "sends validators (ETag or Last-Modified)",
        ),
        "text": (
            (resource.header("Content-Type") or "").lower().startswith("text/plain"),
            f"is {resource.header('Content-Type') or 'of no Content-Type'}",
        ),
    }
    if role not in checks:
        return None
    fits, found = checks[role]
    return None if fits else found


def _status(resource: Resource) -> str:
    reason = {301: "Moved Permanently", 302: "Found", 303: "See Other", 307: "Temporary Redirect",
              308: "Permanent Redirect", 401: "Unauthorized", 403: "Forbidden",
              404: "Not Found", 410: "Gone"}.get(resource.status or 0, "")  # fmt: skip
    return f"{resource.status} {reason}".rstrip()


def _advice(resource: Resource) -> str:
    status = resource.status or 0
    location = resource.header("Location")
    if 300 <= status < 400:
        if location:
            return f"It redirects to {location}: pass that URL (redirects are not followed)."
        return "It is a redirect without a Location: pass the URL of the resource itself."
    if status in (401, 403, 407):
        return (
            "It needs credentials: pass them with -H 'Authorization: …' or -H 'Cookie: …', "
            "or check the URL."
        )
    if status in (404, 410):
        return "Check the URL: it must name a file the server serves."
    if 400 <= status < 500:
        return "The server refuses a plain GET there: check the URL and the headers you pass."
    if status >= 500:
        return "The server is failing: check it, then run again."
    return "The cases need a resource that answers 200."


def _remedy(error: str) -> str:
    if "certificate verify failed" in error.lower():
        return " (pass --ca-bundle PATH for a private certificate authority, or --insecure)"
    if "TLS" in error:
        return " (if the server asks for a client certificate, pass --client-cert CERT[,KEY])"
    return ""


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else text + "."
