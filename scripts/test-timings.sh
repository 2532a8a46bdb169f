#!/usr/bin/env bash
# The whole suite through cargo-nextest (the same test binaries `cargo test` builds, one
# process per test), then the slowest tests with their times: where the suite's time goes.
# Needs cargo-nextest (`cargo install cargo-nextest --locked` where the machine lacks it).
set -euo pipefail
cd "$(dirname "$0")/.."
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo nextest run --locked --workspace --no-fail-fast 2>&1 | tee "$log"
echo
echo "Slowest tests:"
sed -nE 's/.*PASS \[ *([0-9.]+)s\] \([0-9]+\/[0-9]+\) (.*)/\1 s  \2/p' "$log" | sort -rn | head -"${TOP:-15}"
