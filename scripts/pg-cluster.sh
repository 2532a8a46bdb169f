#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and the benchmark.
#
#   scripts/pg-cluster.sh DIR PORT WATCH_PID [fsync]
#   scripts/pg-cluster.sh --install      (only installs PostgreSQL if it is missing)
#
# Installs PostgreSQL from the OS packages if the machine has none (Debian/Ubuntu, as root),
# creates a cluster in DIR, starts it on 127.0.0.1:PORT and prints its URL once it accepts
# connections. The server stops by itself when process WATCH_PID ends. Without `fsync` the
# cluster skips fsync (the tests check LocalEmu, not PostgreSQL's own durability).
set -euo pipefail

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(bindir)" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing PostgreSQL from the OS packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q postgresql >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; }
  else
    echo "PostgreSQL 14 or newer is needed: install your OS's postgresql package" >&2
    exit 1
  fi
fi
[ "${1:-}" = --install ] && exit 0
dir=$1 port=$2 watch=$3 sync=${4:-nofsync}
bin=$(bindir)

# PostgreSQL refuses to run as root: the cluster then belongs to the postgres user.
as=()
if [ "$(id -u)" = 0 ]; then
  as=(runuser -u postgres --)
fi
mkdir -p "$dir"
chmod 0777 "$dir"
data=$dir/data
if [ ${#as[@]} -gt 0 ]; then
  "${as[@]}" mkdir -p "$data"
else
  mkdir -p "$data"
fi
"${as[@]}" "$bin/initdb" -D "$data" -U awsemu -A trust --no-sync >"$dir/initdb.log" 2>&1
opts=(-c listen_addresses=127.0.0.1 -p "$port" -k "$dir" -c max_connections=200)
if [ "$sync" != fsync ]; then
  opts+=(-c fsync=off -c synchronous_commit=off -c full_page_writes=off)
fi
"${as[@]}" "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 -o "${opts[*]}" start >/dev/null
"${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U awsemu localemu
# Stops the cluster when the process that wanted it is gone.
(
  while kill -0 "$watch" 2>/dev/null; do sleep 1; done
  "${as[@]}" "$bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1
  rm -rf "$dir"
) </dev/null >/dev/null 2>&1 &
echo "postgres://awsemu@127.0.0.1:$port/localemu"
