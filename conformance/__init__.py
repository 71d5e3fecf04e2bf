"""range-conformance: does a URL handle HTTP byte ranges the way RFC 9110 requires?

The engine is pure apart from `client` (the network) and `target` (what it learned); the pytest
plugin and the CLI are thin front-ends over `runner.run_case`.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
