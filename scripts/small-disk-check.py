#!/usr/bin/env python3
"""Fills a small real file system under a running LocalEmu and checks that every acknowledged
write survives a kill -9, that refused writes are not kept, and that writes work again once
space comes back.

Usage (as root, for the mount): mount -t tmpfs -o size=16m tmpfs /mnt/small
                                scripts/small-disk-check.py /mnt/small [path/to/awsemu]
"""
import concurrent.futures
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

mount = sys.argv[1]
binary = sys.argv[2] if len(sys.argv) > 2 else "target/release/awsemu"
data = os.path.join(mount, "data")
ballast = os.path.join(mount, "ballast")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def start(port):
    p = subprocess.Popen([binary, "start", "--persist", "--data-dir", data, "--port", str(port)],
                         stdout=subprocess.PIPE, stderr=open(os.path.join("/tmp", "small-disk.log"), "a"))
    assert p.stdout.readline().strip() == b"Ready."
    return p


def call(port, op, body):
    req = urllib.request.Request("http://127.0.0.1:%d/" % port, data=json.dumps(body).encode(),
                                 method="POST", headers={"X-Amz-Target": "secretsmanager." + op,
                                                         "Content-Type": "application/x-amz-json-1.1"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def health(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/_awsemu/health" % port) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


with open(ballast, "wb") as f:
    f.write(b"\0" * (6 * 1024 * 1024))
port = free_port()
emu = start(port)
value = "v" * 60_000


def create(i):
    status, body = call(port, "CreateSecret", {"Name": "fill/%d" % i, "SecretString": "%d:%s" % (i, value), "ClientRequestToken": str(uuid.uuid4())})
    return i, status, body.get("__type")


with concurrent.futures.ThreadPoolExecutor(8) as ex:
    results = list(ex.map(create, range(400)))
acked = [i for i, s, _ in results if s == 200]
refused = [(i, t) for i, s, t in results if s != 200]
print("acknowledged %d, refused %d (%s)" % (len(acked), len(refused), sorted({t for _, t in refused})))
print("health while full:", health(port))
in_memory = [i for i, _ in refused if call(port, "DescribeSecret", {"SecretId": "fill/%d" % i})[0] == 200]
print("refused writes readable from memory: %d" % len(in_memory))

os.remove(ballast)
time.sleep(2.5)
print("health after space came back:", health(port))
status, _ = call(port, "CreateSecret", {"Name": "after-space", "SecretString": "ok", "ClientRequestToken": str(uuid.uuid4())})
print("a write after space came back: HTTP %d" % status)

emu.send_signal(signal.SIGKILL)
emu.wait()
emu = start(port)
lost = [i for i in acked if call(port, "GetSecretValue", {"SecretId": "fill/%d" % i})[1].get("SecretString", "")[:8].split(":")[0] != str(i)]
kept = [i for i, _ in refused if call(port, "DescribeSecret", {"SecretId": "fill/%d" % i})[0] == 200]
after = call(port, "GetSecretValue", {"SecretId": "after-space"})[0]
print("after kill -9 and restart: %d of %d acknowledged writes lost, %d refused writes present, the later write %s"
      % (len(lost), len(acked), len(kept), "present" if after == 200 else "MISSING"))
emu.terminate()
emu.wait()
ok = not lost and not kept and not in_memory and status == 200 and after == 200
print("small-disk-check:", "passed" if ok else "FAILED")
sys.exit(0 if ok else 1)
