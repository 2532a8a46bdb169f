#!/usr/bin/env bash
# The history check of tests/it/history.rs for longer than CI runs it, on both stores:
#
#   scripts/soak.sh [SECONDS]      (300 by default)
#
# Same workload, same faults (spread over the longer run), same checks; a release build, so
# that more calls are made in the same time.
set -euo pipefail
cd "$(dirname "$0")/.."
HISTORY_SECONDS=${1:-300} cargo test --release --locked --test it history -- --nocapture --test-threads 1
