#!/usr/bin/env bash
# The browser check: a real headless Chromium loads a hostile page (scripts/browser-check/
# hostile.html), served from another origin over http and opened as a file://, that attacks a
# running LocalEmu with fetch (cors and no-cors), XHR, form GETs and POSTs, sendBeacon and
# img/script/link loads on every kind of route, by loopback name, IP, a rebinding-style name
# and every name LocalEmu accepts (localhost.localstack.cloud and its subdomains,
# host.docker.internal, localstack), including GETs of a CreateStack whose function would run
# at once. curl then sends the same GETs and HEADs to every host name and to IP addresses.
# Then, speaking as a normal client, it checks that nothing changed on the server and that
# the pages read nothing. Exit 0 when every check passes.
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

# A stack that would run code at once (a function rotating a secret, whose code touches the
# marker), for the GETs: `<img src="http://x.localhost.localstack.cloud:4566/?Action=CreateStack...">`.
stack=$(python3 - "$marker" <<'PY'
import json, sys, urllib.parse
code = "import os\nopen(%r, 'w').close()\ndef handler(e, c):\n    return None\n" % sys.argv[1]
template = {"Resources": {
    "S": {"Type": "AWS::SecretsManager::Secret", "Properties": {"SecretString": "x"}},
    "F": {"Type": "AWS::Lambda::Function", "Properties": {
        "Runtime": "python3.12", "Handler": "index.handler",
        "Role": "arn:aws:iam::000000000000:role/r", "Code": {"ZipFile": code}}},
    "P": {"Type": "AWS::Lambda::Permission", "Properties": {
        "FunctionName": {"Ref": "F"}, "Action": "lambda:InvokeFunction",
        "Principal": "secretsmanager.amazonaws.com"}},
    "R": {"Type": "AWS::SecretsManager::RotationSchedule", "DependsOn": "P", "Properties": {
        "SecretId": {"Ref": "S"}, "RotationLambdaARN": {"Fn::GetAtt": ["F", "Arn"]},
        "RotationRules": {"AutomaticallyAfterDays": 30}}}}}
once = urllib.parse.quote(json.dumps(template), safe="")
# For curl as it is; for the page quoted again, once for the page's own URL.
print(once, urllib.parse.quote(once, safe=""))
PY
)
stack_once=${stack% *}
stack=${stack#* }

# Every name LocalEmu accepts, each mapped to this machine as a DNS name would be.
names="localhost.localstack.cloud,sub.localhost.localstack.cloud,host.docker.internal,localstack"
hosts="127.0.0.1,localhost,rebind.test,[::1],$names"
rules="MAP evil.test 127.0.0.1, MAP rebind.test 127.0.0.1"
for n in ${names//,/ }; do rules="$rules, MAP $n 127.0.0.1"; done
query="port=$emu_port&zip=$zip&hosts=$hosts&stack=$stack"

run_page() {  # $1: the page's URL, $2: where its DOM goes
  "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile-$(basename "$2")" \
    --host-resolver-rules="$rules" \
    --virtual-time-budget=30000 \
    --dump-dom "$1" >"$2" 2>>"$work/chromium.log" || true
}
# From a page served over http on another port, and from a file on disk.
run_page "http://evil.test:$page_port/hostile.html?$query" "$work/dom.html"
cp scripts/browser-check/hostile.html "$work/hostile.html"
run_page "file://$work/hostile.html?$query" "$work/dom-file.html"

failures=0
check() {
  if eval "$2"; then echo "ok    $1"; else echo "FAIL  $1"; failures=$((failures + 1)); fi
}
sm() {
  curl -s "$emu_url/" -H "X-Amz-Target: secretsmanager.$1" \
    -H "Content-Type: application/x-amz-json-1.1" -d "${2:-{\}}"
}

stacks() {
  curl -s "$emu_url/" -H 'Content-Type: application/x-www-form-urlencoded' \
    -d 'Action=DescribeStacks&Version=2010-05-15' | grep -c '<StackName>' || true
}
# The same GETs at the HTTP level, to every accepted host name and to IP addresses.
curl_writes=0
for h in localhost localhost.localstack.cloud sub.localhost.localstack.cloud host.docker.internal \
  localstack 127.0.0.1 10.1.2.3 192.168.1.10 '[::1]'; do
  for method in --get --head; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$method" -H "Host: $h:$emu_port" \
      "$emu_url/?Action=CreateStack&Version=2010-05-15&StackName=curl&TemplateBody=$stack_once" \
      || true)
    [ "$code" = 200 ] && curl_writes=$((curl_writes + 1))
  done
done

attempts=$(cat "$work/dom.html" "$work/dom-file.html" | grep -c -E '^(fetch|xhr|form|beacon|read)' || true)
refused=$(grep -c 'refused a request' "$work/emu.log" || true)
echo "page made $attempts attempts; LocalEmu refused $refused requests"
check "the page ran to the end" "grep -q '^DONE' '$work/dom.html'"
check "the file:// page ran to the end" "grep -q '^DONE' '$work/dom-file.html'"
check "no GET created a stack" "[ \"\$(stacks)\" = 0 ]"
check "curl's GETs and HEADs on every host name changed nothing" "[ $curl_writes = 0 ]"
check "the attacks reached LocalEmu and were refused" "[ '$refused' -gt 0 ]"
check "no secret was created" "sm ListSecrets | python3 -c 'import json,sys; sys.exit(len(json.load(sys.stdin)[\"SecretList\"]))'"
check "no function was created" "curl -s '$emu_url/2015-03-31/functions' | python3 -c 'import json,sys; sys.exit(len(json.load(sys.stdin)[\"Functions\"]))'"
check "no code ran" "[ ! -e '$marker' ]"
check "the clock did not move" "[ \"\$(clock_offset)\" = '$offset_before' ]"
check "the pages read nothing" "! grep -q '^READ' '$work/dom.html' '$work/dom-file.html'"
check "LocalEmu is still serving" "curl -fs '$emu_url/_awsemu/health' >/dev/null"

if [ "$failures" -ne 0 ]; then
  echo "--- page log"; sed -n '/<pre id="log">/,/DONE/p' "$work/dom.html" | head -80
  echo "browser-check: $failures check(s) failed"
  exit 1
fi
echo "browser-check: passed"
