#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and the benchmark.
#
#   scripts/pg-cluster.sh DIR PORT WATCH_PID [fsync]
#   scripts/pg-cluster.sh --install      (only installs PostgreSQL if it is missing)
#   scripts/pg-cluster.sh --ctl DIR stop|start   (stops or restarts a cluster it made)
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
bin=$(bindir)

# PostgreSQL refuses to run as root: the cluster then belongs to the postgres user.
as=()
if [ "$(id -u)" = 0 ]; then
  as=(runuser -u postgres --)
fi
if [ "${1:-}" = --ctl ]; then
  # Its settings are in its configuration file, so a restart comes back on the same port.
  if [ "$3" = stop ]; then
    "${as[@]}" "$bin/pg_ctl" -D "$2/data" -m fast -w stop >/dev/null
  else
    "${as[@]}" "$bin/pg_ctl" -D "$2/data" -l "$2/server.log" -w -t 60 start >/dev/null
  fi
  exit 0
fi
dir=$1 port=$2 watch=$3 sync=${4:-nofsync}
mkdir -p "$dir"
chmod 0777 "$dir"
data=$dir/data
if [ ${#as[@]} -gt 0 ]; then
  "${as[@]}" mkdir -p "$data"
else
  mkdir -p "$data"
fi
"${as[@]}" "$bin/initdb" -D "$data" -U awsemu -A trust --no-sync >"$dir/initdb.log" 2>&1
# Written into the cluster's own configuration, so that `--ctl DIR start` brings it back alike.
{
  echo "listen_addresses = '127.0.0.1'"
  echo "port = $port"
  echo "unix_socket_directories = '$dir'"
  echo "max_connections = 200"
  if [ "$sync" != fsync ]; then
    echo "fsync = off"
    echo "synchronous_commit = off"
    echo "full_page_writes = off"
  fi
} | "${as[@]}" tee -a "$data/postgresql.conf" >/dev/null
"${as[@]}" "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null
"${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U awsemu localemu
# Stops the cluster when the process that wanted it is gone.
(
  while kill -0 "$watch" 2>/dev/null; do sleep 1; done
  "${as[@]}" "$bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1
  rm -rf "$dir"
) </dev/null >/dev/null 2>&1 &
echo "postgres://awsemu@127.0.0.1:$port/localemu"
