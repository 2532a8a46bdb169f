#!/usr/bin/env bash
# Synthesizes the CDK app with aws-cdk-lib (no CDK CLI needed) and keeps its template as
# LocalEmuCdkApp.template.json, the file LocalEmu's tests deploy. Needs Node.js and npm.
set -euo pipefail
cd "$(dirname "$0")"
npm install --no-audit --no-fund --silent
node app.js
cp cdk.out/LocalEmuCdkApp.template.json LocalEmuCdkApp.template.json
rm -rf cdk.out
echo "wrote $(pwd)/LocalEmuCdkApp.template.json"
