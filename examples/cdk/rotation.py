# A four-step rotation function with no dependencies: it signs its Secrets Manager calls with
# the function's own credentials (SigV4), as any SDK would, so it works on AWS and LocalEmu.
import datetime, hashlib, hmac, json, os, urllib.parse, urllib.request

def _hmac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()

def sm(op, **body):
    region = os.environ["AWS_REGION"]
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or f"https://secretsmanager.{region}.amazonaws.com"
    host = urllib.parse.urlparse(endpoint).netloc
    payload = json.dumps(body).encode()
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    headers = {"content-type": "application/x-amz-json-1.1", "host": host,
               "x-amz-date": stamp, "x-amz-target": "secretsmanager." + op}
    if os.environ.get("AWS_SESSION_TOKEN"):
        headers["x-amz-security-token"] = os.environ["AWS_SESSION_TOKEN"]
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["POST", "/", "", *[f"{k}:{headers[k]}" for k in sorted(headers)], "",
                           signed, hashlib.sha256(payload).hexdigest()])
    scope = f"{day}/{region}/secretsmanager/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(("AWS4" + os.environ["AWS_SECRET_ACCESS_KEY"]).encode(), day)
    for part in (region, "secretsmanager", "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={os.environ['AWS_ACCESS_KEY_ID']}/{scope}, "
                                f"SignedHeaders={signed}, Signature={signature}")
    req = urllib.request.Request(endpoint.rstrip("/") + "/", data=payload, method="POST",
                                 headers={k: v for k, v in headers.items() if k != "host"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"{}")

def handler(event, context):
    if "Step" not in event:
        return "not a rotation"
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    stages = sm("DescribeSecret", SecretId=arn)["VersionIdsToStages"]
    if "AWSCURRENT" in stages.get(token, []):
        return
    if step == "createSecret":
        current = json.loads(sm("GetSecretValue", SecretId=arn)["SecretString"])
        current["password"] = sm("GetRandomPassword", ExcludePunctuation=True)["RandomPassword"]
        sm("PutSecretValue", SecretId=arn, ClientRequestToken=token,
           SecretString=json.dumps(current), VersionStages=["AWSPENDING"])
    elif step == "finishSecret":
        old = [v for v, s in stages.items() if "AWSCURRENT" in s][0]
        sm("UpdateSecretVersionStage", SecretId=arn, VersionStage="AWSCURRENT",
           MoveToVersionId=token, RemoveFromVersionId=old)
