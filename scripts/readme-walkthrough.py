#!/usr/bin/env python3
"""Follows the README and then the book (docs/, in SUMMARY.md's order) as a newcomer would, in
a fresh shell, an empty directory and an empty HOME, from outside the repository: installs
nothing itself (run `cargo install --locked --path .` first, or put an awsemu on PATH), starts
`awsemu start` as the first set-up command does, then runs every shell and Python block in
order and stops at the first that fails.

A block that starts a server (`awsemu start ...` on a line of its own) runs it in the
background, as a reader runs it in another terminal, and goes on once it prints `Ready.`; it
keeps running for the blocks after it until another block starts a server or moves state
(`awsemu state` needs it stopped). A server on the default port first stops the one the
walkthrough started, which comes back afterwards.

Skipped, and why: the set-up and development commands (the server is started here, the tests
are not re-run, `cargo` works in the repository), the benchmark, and blocks that need what the
walkthrough does not install (a container engine, testcontainers, pytest, a PostgreSQL server
named `db`).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

root = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
pages = ["README.md"] + [
    os.path.join("docs", m)
    for m in re.findall(r"\]\(([^)]+\.md)\)", open(os.path.join(root, "docs", "SUMMARY.md")).read())
    if not m.startswith("..")
]
blocks = []
for page in pages:
    for kind, text in re.findall(r"```(sh|python)\n(.*?)```", open(os.path.join(root, page)).read(), re.S):
        blocks.append((page, kind, text))
skip = ("cargo install", "cargo test", "cargo bench", "cargo codegen", "cargo run",
        # Need a container engine, testcontainers, pytest or a database server.
        "scripts/", "podman ", "docker run", "docker compose", "docker-compose", "testcontainers",
        "pytest.fixture", "@db:")
work = tempfile.mkdtemp(prefix="walkthrough-")
home = os.path.join(work, "home")
os.makedirs(home)
# The examples name files under examples/, as a checkout has them.
shutil.copytree(os.path.join(root, "examples", "cloudformation"),
                os.path.join(work, "examples", "cloudformation"))
env = {"HOME": home, "PATH": os.environ["PATH"], "LANG": "C.UTF-8"}
for keep in ("PYENV_ROOT", "RUSTUP_HOME", "CARGO_HOME"):
    if keep in os.environ:
        env[keep] = os.environ[keep]
env.setdefault("CARGO_HOME", os.path.join(os.environ.get("HOME", "/"), ".cargo"))
env.setdefault("RUSTUP_HOME", os.path.join(os.environ.get("HOME", "/"), ".rustup"))

logs = []


def start(command):
    """Runs a server command in the background; returns it once it printed `Ready.`."""
    log = open(os.path.join(work, "server-%d.log" % len(logs)), "w+")
    logs.append(log)
    p = subprocess.Popen(["bash", "-c", "exec env " + command], cwd=work, env=env,
                         stdout=subprocess.PIPE, stderr=log, text=True)
    deadline = time.time() + 60
    for line in p.stdout:
        if line.strip() == "Ready.":
            return p
        if time.time() > deadline:
            break
    log.seek(0)
    raise RuntimeError("`%s` did not get ready:\n%s" % (command, log.read()[-3000:]))


def stop(p):
    if p and p.poll() is None:
        p.terminate()
        p.wait(timeout=30)


main = start("awsemu start")
servers = []
failed = 0


def run_script(kind, text):
    cmd = ["python3", "-c", text] if kind == "python" else ["bash", "-e", "-o", "pipefail", "-c", text]
    r = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=180)
    if os.environ.get("VERBOSE"):
        print(r.stdout)
    return r


def stop_servers(servers, main):
    """Stops the servers blocks started; the first server comes back if one took its port."""
    for p in servers:
        stop(p)
    if main is None:
        main = start("awsemu start")
    return [], main


server_line = re.compile(r"^\s*(?:\w+=\S+\s+)*awsemu start\b[^#]*")
try:
    for n, (page, kind, text) in enumerate(blocks, 1):
        if any(s in text for s in skip):
            print("-- %s block %d skipped" % (page, n))
            continue
        if "awsemu state" in text:
            servers, main = stop_servers(servers, main)
        chunk = []
        ok = True
        for line in text.splitlines() + [None]:
            m = server_line.match(line) if line is not None else None
            if line is not None and not m:
                chunk.append(line)
                continue
            if chunk and "".join(chunk).strip():
                r = run_script(kind, "\n".join(chunk))
                if r.returncode != 0:
                    print("\n".join(chunk))
                    print(r.stdout[-2000:], r.stderr[-2000:])
                    ok = False
                    break
            chunk = []
            if m:
                servers, main = stop_servers(servers, main)
                command = m.group(0).strip()
                if "--port" not in command and main is not None:
                    stop(main)
                    main = None
                servers.append(start(command))
        print("-- %s block %d (%s): %s" % (page, n, kind, "ok" if ok else "FAILED"))
        if not ok:
            failed += 1
            break
        if kind == "sh" and "export " in text:
            # Later blocks run in the same shell session a reader would have.
            for k, v in re.findall(r"(\w+)=(\S+)", " ".join(l for l in text.splitlines() if l.startswith("export "))):
                env[k] = v
finally:
    for p in servers + [main]:
        stop(p)
print("readme-walkthrough:", "passed" if not failed else "FAILED")
sys.exit(1 if failed else 0)
