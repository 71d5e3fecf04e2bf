"""A case's request resolved against a resource: cache mode's `previous-etag`."""

from __future__ import annotations

import pytest

from conformance.engine.plan import NotApplicable, plan_request
from conformance.engine.target import Resource
from conformance.model import Learned, RequestTemplate


def _version(etag: str) -> Resource:
    return Resource("cache", "http://c/o/x", 200, (("ETag", etag),), 1000)


def test_previous_etag_names_the_version_before_the_last_replace() -> None:
    template = RequestTemplate(headers=(("If-Range", Learned("previous-etag")),))
    planned = plan_request(template, _version('"v2"'), earlier=_version('"v1"'))
    assert planned.headers == (("If-Range", '"v1"'),)
    current = RequestTemplate(headers=(("If-Range", Learned("etag")),))
    assert plan_request(current, _version('"v2"'), earlier=_version('"v1"')).headers == (
        ("If-Range", '"v2"'),
    )


def test_previous_etag_without_an_earlier_version_is_not_applicable() -> None:
    template = RequestTemplate(headers=(("If-Range", Learned("previous-etag")),))
    with pytest.raises(NotApplicable, match="no earlier version"):
        plan_request(template, _version('"v2"'))
    without_tag = Resource("cache", "http://c/o/x", 200, (), 1000)
    with pytest.raises(NotApplicable, match="no earlier version"):
        plan_request(template, _version('"v2"'), earlier=without_tag)
