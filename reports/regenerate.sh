#!/usr/bin/env bash
# Regenerate the committed sample reports: bash reports/regenerate.sh [DIR] (DIR: reports/).
# Runs the reference server and flask.send_file once each (scorecard/samples.py), normalises the
# JSON as the scorecard does (ports, dates, durations, boundaries, local paths; traffic dropped)
# and writes the four formats and the matrix from it: a second run changes nothing. The hash seed
# is fixed so that nothing rendered in set order can differ from run to run.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHONHASHSEED=0 python -m scorecard.samples "${1:-reports}" >/dev/null
