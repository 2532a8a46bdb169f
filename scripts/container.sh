#!/bin/sh
# Builds the LocalEmu image with podman (or ENGINE=docker), runs it, smoke-tests it from the
# host with the awsemu client, and prints the image size and start time.
set -eu
cd "$(dirname "$0")/.."
ENGINE=${ENGINE:-podman}
# Global engine flags and `run` flags for hosts that need them. Left unset, they are found by
# trying: sandboxes without systemd, with hybrid cgroups or that refuse to set resource limits
# need some of "--runtime runc|crun --cgroup-manager=cgroupfs" and "--ulimit nofile=...
# --ulimit nproc=... --health-cmd none"; the ones that worked are printed to reuse.
ENGINE_FLAGS=${ENGINE_FLAGS-}
PORT=${PORT:-14566}
RUN_FLAGS=${RUN_FLAGS-}
# BUILD=0 reuses a static binary built before.
if [ "${BUILD:-1}" != 0 ]; then
    RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked \
        --target x86_64-unknown-linux-gnu --bin awsemu
fi
BIN=target/x86_64-unknown-linux-gnu/release/awsemu
$ENGINE $ENGINE_FLAGS build --format docker -f Containerfile -t localemu:dev .

# Finds flags this host needs: runs the image once, reads the engine's refusal, adds the flag
# that answers it, and tries again.
probe_log=$(mktemp)
tried=0
until $ENGINE $ENGINE_FLAGS run --rm $RUN_FLAGS localemu:dev help >/dev/null 2>"$probe_log"; do
    tried=$((tried + 1))
    if [ $tried -gt 5 ]; then
        cat "$probe_log" >&2
        echo "container.sh: the engine refuses to run the image; set ENGINE_FLAGS and RUN_FLAGS" >&2
        exit 1
    fi
    if grep -qi "rlimit" "$probe_log" && ! echo "$RUN_FLAGS" | grep -q -- --ulimit; then
        RUN_FLAGS="$RUN_FLAGS --ulimit nofile=20000:20000 --ulimit nproc=1000:1000"
    elif grep -qi "systemd\|cgroup" "$probe_log" && ! echo "$ENGINE_FLAGS" | grep -q cgroup-manager; then
        ENGINE_FLAGS="$ENGINE_FLAGS --cgroup-manager=cgroupfs"
        RUN_FLAGS="$RUN_FLAGS --health-cmd none"
    elif grep -qi "crun\|runc.*not found\|executable file not found" "$probe_log" \
        && ! echo "$ENGINE_FLAGS" | grep -q -- --runtime; then
        if command -v runc >/dev/null; then
            ENGINE_FLAGS="$ENGINE_FLAGS --runtime runc"
        elif command -v crun >/dev/null; then
            ENGINE_FLAGS="$ENGINE_FLAGS --runtime crun"
        else
            echo "container.sh: no OCI runtime found: install runc or crun (apt-get install runc)" >&2
            exit 1
        fi
    else
        cat "$probe_log" >&2
        echo "container.sh: the engine refuses to run the image; set ENGINE_FLAGS and RUN_FLAGS" >&2
        exit 1
    fi
done
rm -f "$probe_log"
# Without systemd, podman cannot schedule the image's health check; the smoke test checks
# health itself.
if [ ! -S /run/systemd/private ] && ! echo "$RUN_FLAGS" | grep -q -- --health-cmd; then
    RUN_FLAGS="$RUN_FLAGS --health-cmd none"
fi
if [ $tried -gt 0 ]; then
    echo "note: this host needs ENGINE_FLAGS=\"${ENGINE_FLAGS# }\" RUN_FLAGS=\"${RUN_FLAGS# }\"" >&2
fi
SIZE=$($ENGINE $ENGINE_FLAGS image inspect localemu:dev --format '{{.Size}}')
$ENGINE $ENGINE_FLAGS rm -f localemu-smoke >/dev/null 2>&1 || true
START=$(date +%s%N)
# shellcheck disable=SC2086
$ENGINE $ENGINE_FLAGS run -d --name localemu-smoke -p "127.0.0.1:$PORT:4566" $RUN_FLAGS localemu:dev >/dev/null
until "$BIN" health --endpoint-url "http://127.0.0.1:$PORT" >/dev/null 2>&1; do
    if [ $(( ($(date +%s%N) - START) / 1000000000 )) -gt 30 ]; then
        $ENGINE $ENGINE_FLAGS logs localemu-smoke; echo "the container did not become healthy" >&2; exit 1
    fi
    sleep 0.05
done
READY_MS=$(( ($(date +%s%N) - START) / 1000000 ))
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
"$BIN" secretsmanager create-secret --name smoke/db --secret-string s3cret >/dev/null
test "$("$BIN" secretsmanager get-secret-value --secret-id smoke/db --query SecretString --output text)" = s3cret
"$BIN" kms create-key --query KeyMetadata.KeyId --output text >/dev/null
"$BIN" ssm put-parameter --name /smoke/p --value v --type SecureString >/dev/null
test "$("$BIN" ssm get-parameter --name /smoke/p --with-decryption --query Parameter.Value --output text)" = v
test "$("$BIN" sts get-caller-identity --query Account --output text)" = 000000000000
$ENGINE $ENGINE_FLAGS rm -f localemu-smoke >/dev/null
echo "image localemu:dev: $((SIZE / 1000000)) MB; healthy $READY_MS ms after run; smoke test passed"
