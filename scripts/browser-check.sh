#!/usr/bin/env bash
# The browser check: a real headless Chromium loads a hostile page (scripts/browser-check/
# hostile.html, served from another origin) that attacks a running LocalEmu with fetch, XHR,
# form posts, sendBeacon and subresource loads on every kind of route, by loopback name, IP
# and a rebinding-style host name. Then, speaking as a normal client, it checks that nothing
# changed on the server and that the page read nothing. Exit 0 when every check passes.
#
# Needs Chromium (Debian: apt-get install chromium; or set CHROMIUM=/path/to/chrome).
set -euo pipefail
cd "$(dirname "$0")/.."

chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
if [ -z "$chromium" ]; then
  echo "browser-check: Chromium not found (apt-get install chromium, or set CHROMIUM)" >&2
  exit 2
fi
# AWSEMU_BIN checks another build (an older one, to see the check fail).
if [ -z "${AWSEMU_BIN:-}" ]; then
  cargo build --quiet --bin awsemu
fi
awsemu=${AWSEMU_BIN:-target/debug/awsemu}

work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
emu_port=$(free_port)
page_port=$(free_port)
marker="$work/pwned"

"$awsemu" start --port "$emu_port" >"$work/emu.log" 2>&1 &
emu=$!
python3 -m http.server "$page_port" --bind 127.0.0.1 --directory scripts/browser-check >"$work/page.log" 2>&1 &
page=$!
cleanup() { kill "$emu" "$page" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

emu_url="http://127.0.0.1:$emu_port"
for _ in $(seq 100); do
  curl -fs "$emu_url/_awsemu/health" >/dev/null && break
  sleep 0.1
done

clock_offset() {
  python3 - "$emu_url" <<'PY'
import json, sys, time, urllib.request
now = json.load(urllib.request.urlopen(sys.argv[1] + "/_awsemu/clock"))["now"]
print(round(now - time.time()))
PY
}
offset_before=$(clock_offset)

# A function whose bootstrap would prove that code ran, if it ever did.
zip=$(python3 - "$marker" <<'PY'
import base64, io, sys, urllib.parse, zipfile
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    info = zipfile.ZipInfo("bootstrap")
    info.external_attr = 0o755 << 16
    z.writestr(info, "#!/bin/sh\ntouch %s\n" % sys.argv[1])
print(urllib.parse.quote(base64.b64encode(buf.getvalue()).decode()))
PY
)

"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" \
  --host-resolver-rules="MAP evil.test 127.0.0.1, MAP rebind.test 127.0.0.1" \
  --virtual-time-budget=30000 \
  --dump-dom "http://evil.test:$page_port/hostile.html?port=$emu_port&zip=$zip" \
  >"$work/dom.html" 2>"$work/chromium.log" || true

failures=0
check() {
  if eval "$2"; then echo "ok    $1"; else echo "FAIL  $1"; failures=$((failures + 1)); fi
}
sm() {
  curl -s "$emu_url/" -H "X-Amz-Target: secretsmanager.$1" \
    -H "Content-Type: application/x-amz-json-1.1" -d "${2:-{\}}"
}

attempts=$(grep -c -E '^(fetch|xhr|form|beacon|read)' "$work/dom.html" || true)
refused=$(grep -c 'refused a request' "$work/emu.log" || true)
echo "page made $attempts attempts; LocalEmu refused $refused requests"
check "the page ran to the end" "grep -q '^DONE' '$work/dom.html'"
check "the attacks reached LocalEmu and were refused" "[ '$refused' -gt 0 ]"
check "no secret was created" "sm ListSecrets | python3 -c 'import json,sys; sys.exit(len(json.load(sys.stdin)[\"SecretList\"]))'"
check "no function was created" "curl -s '$emu_url/2015-03-31/functions' | python3 -c 'import json,sys; sys.exit(len(json.load(sys.stdin)[\"Functions\"]))'"
check "no code ran" "[ ! -e '$marker' ]"
check "the clock did not move" "[ \"\$(clock_offset)\" = '$offset_before' ]"
check "the page read nothing" "! grep -q '^READ' '$work/dom.html'"
check "LocalEmu is still serving" "curl -fs '$emu_url/_awsemu/health' >/dev/null"

if [ "$failures" -ne 0 ]; then
  echo "--- page log"; sed -n '/<pre id="log">/,/DONE/p' "$work/dom.html" | head -80
  echo "browser-check: $failures check(s) failed"
  exit 1
fi
echo "browser-check: passed"
