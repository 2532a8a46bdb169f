#!/usr/bin/env bash
# The console check: a real headless Chromium (Debian's, driven by playwright-core) opens the
# console of a running LocalEmu, finds a secret created through the SDK (boto3), rotates it
# with a real rotation function, and sees the rotation and the labels move. Screenshots go to
# docs/console-*.png. Exit 0 when every check passes.
#
# Needs Chromium (Debian: apt-get install chromium; or set CHROMIUM), node with npm, and
# python3 with boto3.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
if [ -z "$chromium" ]; then
  echo "console-check: Chromium not found (apt-get install chromium, or set CHROMIUM)" >&2
  exit 2
fi
cargo build --quiet --bin awsemu
tools=target/console-check
mkdir -p "$tools"
if [ ! -d "$tools/node_modules/playwright-core" ]; then
  (cd "$tools" && echo '{"private": true}' > package.json && npm install --silent --no-audit --no-fund playwright-core@1)
fi

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
target/debug/awsemu start --port "$port" >"$work/emu.log" 2>&1 &
emu=$!
trap 'kill $emu 2>/dev/null || true; rm -rf "$work"' EXIT
until target/debug/awsemu health --endpoint-url "http://127.0.0.1:$port" >/dev/null 2>&1; do sleep 0.1; done

# A secret and its rotation function, through the SDK.
ENDPOINT="http://127.0.0.1:$port" python3 - <<'PY'
import io, os, zipfile, boto3
kw = dict(endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
          aws_access_key_id="test", aws_secret_access_key="test")
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.write("tests/it/fixtures/rotation.py", "rotation.py")
lam = boto3.client("lambda", **kw)
lam.create_function(FunctionName="console-rotator", Runtime="python3.12", Handler="rotation.handler",
                    Role="arn:aws:iam::000000000000:role/rotator", Code={"ZipFile": buf.getvalue()}, Timeout=30)
lam.add_permission(FunctionName="console-rotator", StatementId="sm", Action="lambda:InvokeFunction",
                   Principal="secretsmanager.amazonaws.com")
sm = boto3.client("secretsmanager", **kw)
sm.create_secret(Name="console/db", SecretString='{"user": "app", "password": "first"}',
                 Description="seen in the console", Tags=[{"Key": "team", "Value": "core"}])
# A function that fails, with a long line in its log, for the Functions panel.
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("fails.py", "def handler(e, c):\n    print('x' * 3000)\n    raise ValueError('the database refused')\n")
lam.create_function(FunctionName="console-fails", Runtime="python3.12", Handler="fails.handler",
                    Role="arn:aws:iam::000000000000:role/r", Code={"ZipFile": buf.getvalue()}, Timeout=30)
lam.invoke(FunctionName="console-fails")
sm.put_resource_policy(SecretId="console/db", ResourcePolicy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}')
sm.replicate_secret_to_regions(SecretId="console/db", AddReplicaRegions=[{"Region": "eu-west-1"}])
sm.rotate_secret(SecretId="console/db", RotationLambdaARN="arn:aws:lambda:us-east-1:000000000000:function:console-rotator",
                 RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
PY

CHROMIUM="$chromium" PORT="$port" NODE_PATH="$tools/node_modules" node scripts/console-check.cjs
