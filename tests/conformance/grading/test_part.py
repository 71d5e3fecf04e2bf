"""conformance.grading.part: findings shown able to pass and to fail."""

from __future__ import annotations
