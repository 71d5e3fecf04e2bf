"""The committed sample reports: a run of the bundled reference server and of a plain
`flask.send_file` app, in every format, and the two side by side.

    python -m scorecard.samples [DIR]     # what reports/regenerate.sh runs; DIR: reports/

Each run writes its JSON report to a temporary file (`range-conformance --json`); the report is
normalised as the scorecard's are (`scorecard.normalise`: ports, dates, durations, multipart
boundaries, Allow order, local fixture paths, oracle order; traffic figures dropped), and the
four formats are written from that one normalised report
(`conformance.report.json_report.write_reports`), then the matrix from the normalised JSON. So a
second run on an unchanged tree writes the same octets, and no report names a local path.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from conformance.report.json_report import read_json
from conformance.report.matrix import load_matrix, write_matrix
from conformance.report.writers import write_reports

from .normalise import normalise_report

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "reports"
STEM = "range-conformance"
# (label in the matrix, folder under DIR, arguments for range-conformance)
SAMPLES = (
    ("reference server", "reference-server", ()),
    ("flask.send_file", "flask-send-file", ("--targets", "examples/flask-send-file.targets.yaml")),
)
KINDS = {"json": ".json", "junit": ".junit.xml", "md": ".md", "html": ".html"}
RUN_TIMEOUT = 300.0


class SampleError(RuntimeError):
    """A sample run that did not produce a report."""


def run_sample(args: tuple[str, ...], json_path: Path) -> None:
    """`range-conformance ARGS --json JSON_PATH`, from the project root (the targets file names
    the Flask app by module). Exit 0 (conformant) and 1 (not) both give a report."""
    cmd = [sys.executable, "-m", "conformance", *args, "-q", "--json", str(json_path)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                          check=False)  # fmt: skip
    if done.returncode not in (0, 1) or not json_path.is_file():
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-4:])
        raise SampleError(f"range-conformance {' '.join(args)} exited {done.returncode}: {tail}")


def regenerate(out: Path = DEFAULT_OUT) -> list[Path]:
    """Write every sample report and the matrix under `out`; return the files written."""
    written: list[Path] = []
    matrix_args = []
    with tempfile.TemporaryDirectory(prefix="range-conformance-samples-") as tmp:
        for label, folder, args in SAMPLES:
            raw = Path(tmp) / f"{folder}.json"
            run_sample(args, raw)
            report = normalise_report(read_json(raw))
            paths = {kind: out / folder / f"{STEM}{suffix}" for kind, suffix in KINDS.items()}
            written += write_reports(report, paths).values()
            matrix_args.append(f"{label}={paths['json']}")
    matrix = load_matrix(matrix_args)
    for name in ("matrix.md", "matrix.html"):
        write_matrix(matrix, out / name)
        written.append(out / name)
    return written


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else DEFAULT_OUT
    try:
        written = regenerate(out)
    except (SampleError, subprocess.TimeoutExpired) as exc:
        print(f"scorecard.samples: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
