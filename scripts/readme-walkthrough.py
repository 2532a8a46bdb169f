#!/usr/bin/env python3
"""Follows the README from top to bottom as a newcomer would, in a fresh shell and an empty
directory: installs nothing itself (run `cargo install --locked --path .` first, or put an
awsemu on PATH), starts `awsemu start` as the first set-up command does, then runs every shell
and Python example in order and stops at the first that fails.

Skipped, and why: the set-up commands themselves (the server is started here, the tests are
not re-run), blocks that start a second server or move state (they need the server stopped),
the benchmark, and the container and test-framework snippets (they need tools installed).
"""
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

readme = open(os.path.join(os.path.dirname(__file__), "..", "README.md")).read()
blocks = re.findall(r"```(sh|python)\n(.*?)```", readme, re.S)
skip = ("cargo install", "cargo test", "cargo bench", "awsemu start", "awsemu state", "curl -X POST",
        # Need a container engine, testcontainers or pytest, which the walkthrough does not install.
        "scripts/container.sh", "testcontainers", "pytest.fixture",
        # Development commands run in the repository, not in a fresh directory.
        "cargo codegen")
work = tempfile.mkdtemp(prefix="readme-")
# The README's examples name files under examples/, as a checkout has them.
import shutil
shutil.copytree(os.path.join(os.path.dirname(__file__), "..", "examples", "cloudformation"),
                os.path.join(work, "examples", "cloudformation"))
env = {
    "HOME": os.environ["HOME"],
    "PATH": os.environ["PATH"],
    "LANG": "C.UTF-8",
}
server = subprocess.Popen(["awsemu", "start"], cwd=work, env=env, stdout=subprocess.PIPE,
                          stderr=open(os.path.join(work, "emu.log"), "w"))
for line in server.stdout:
    if line.strip() == b"Ready.":
        break
failed = 0
try:
    for n, (kind, text) in enumerate(blocks, 1):
        if any(s in text for s in skip):
            print("-- block %d skipped" % n)
            continue
        if kind == "python":
            cmd = ["python3", "-c", text]
        else:
            cmd = ["bash", "-e", "-o", "pipefail", "-c", text]
        r = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=120)
        status = "ok" if r.returncode == 0 else "FAILED (%d)" % r.returncode
        print("-- block %d (%s): %s" % (n, kind, status))
        if os.environ.get("VERBOSE"):
            print(r.stdout)
        if r.returncode != 0:
            print(text)
            print(r.stdout[-2000:], r.stderr[-2000:])
            failed += 1
            break
        if kind == "sh" and "export " in text:
            # Later blocks run in the same shell session a reader would have.
            for k, v in re.findall(r"(\w+)=(\S+)", " ".join(l for l in text.splitlines() if l.startswith("export "))):
                env[k] = v
finally:
    server.terminate()
    server.wait()
print("readme-walkthrough:", "passed" if not failed else "FAILED")
sys.exit(1 if failed else 0)
