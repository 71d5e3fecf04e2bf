#!/usr/bin/env bash
# Regenerate the committed sample reports: bash reports/regenerate.sh (from the project root).
# Ports, dates, durations and multipart boundaries differ from run to run; verdicts do not.
set -uo pipefail
cd "$(dirname "$0")/.."
range-conformance -q --report-dir reports/reference-server
range-conformance -q --targets examples/flask-send-file.targets.yaml --report-dir reports/flask-send-file
range-conformance matrix \
  "reference server=reports/reference-server/range-conformance.json" \
  "flask.send_file=reports/flask-send-file/range-conformance.json" \
  --md reports/matrix.md --html reports/matrix.html
