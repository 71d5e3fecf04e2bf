"""`range-conformance matrix [LABEL=]RUN.json … [--md PATH] [--html PATH]`: runs side by side."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from conformance.report.matrix import load_matrix, render_matrix_html, render_matrix_markdown


def main(argv: Sequence[str], stream: TextIO) -> int:
    parser = argparse.ArgumentParser(
        prog="range-conformance matrix",
        description="Set several JSON reports side by side: servers as columns, cases as rows.",
    )
    parser.add_argument("reports", nargs="+", metavar="[LABEL=]RUN.json")
    parser.add_argument("--md", type=Path, metavar="PATH", help="write Markdown here")
    parser.add_argument("--html", type=Path, metavar="PATH", help="write HTML here")
    args = parser.parse_args(list(argv))
    try:
        matrix = load_matrix(args.reports)
    except (OSError, ValueError) as error:
        print(f"range-conformance matrix: {error}", file=sys.stderr)
        return 2
    markdown = render_matrix_markdown(matrix)
    if args.md:
        args.md.write_text(markdown, "utf-8")
    if args.html:
        args.html.write_text(render_matrix_html(matrix), "utf-8")
    if not args.md and not args.html:
        print(markdown, file=stream, end="")
    return 0
