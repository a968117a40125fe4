# shellcheck shell=bash
# Private test servers on loopback: PostgreSQL 15 and RabbitMQ (with management), installed from Debian packages
# when missing and run from a run directory, never as system services. Sourced by test.sh; usable by hand:
#   source scripts/servers.sh && servers_install && servers_start && servers_env; ...; servers_stop
# Every function leaves alone what it did not start: stale servers of an earlier, killed run are found through the
# pid files in the run directory, never by process name.

SERVERS_REPO="${SERVERS_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
SERVERS_DIR="${SERVERS_DIR:-$SERVERS_REPO/.tmp/servers}"

PG_PORT="${MIGRATION_PG_PORT:-55440}"
RABBIT_PORT="${MIGRATION_RABBIT_PORT:-55672}"
RABBIT_MANAGEMENT_PORT="${MIGRATION_RABBIT_MANAGEMENT_PORT:-55673}"
RABBIT_DIST_PORT="${MIGRATION_RABBIT_DIST_PORT:-55674}"
RABBIT_EPMD_PORT="${MIGRATION_RABBIT_EPMD_PORT:-55675}"
# rabbitmq_prometheus (queue depths, the _error queues) for the Prometheus tests.
RABBIT_PROMETHEUS_PORT="${MIGRATION_RABBIT_PROMETHEUS_PORT:-$((RABBIT_MANAGEMENT_PORT + 4))}"
RABBIT_NODE="migration-test@localhost"
RABBIT_USER="migration"

_servers_log() { printf '[servers] %s\n' "$*" >&2; }

_servers_as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    _servers_log "need root to run: $*"; return 1; fi
}

# Installs the named Debian packages that are not installed yet (apt-get update first), without letting their
# maintainer scripts start system services.
servers_ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  _servers_log "installing ${missing[*]}"
  local policy=/usr/sbin/policy-rc.d created_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | _servers_as_root tee "$policy" >/dev/null
    _servers_as_root chmod +x "$policy"
    created_policy=1
  fi
  local rc=0
  _servers_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || rc=$?
  if [ $rc -eq 0 ]; then
    _servers_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null || rc=$?
  fi
  [ -n "$created_policy" ] && _servers_as_root rm -f "$policy"
  return $rc
}

# prometheus brings promtool and the server the alert-rule and dashboard tests run; kubectl (Debian's
# kubernetes-client, unless a kubectl is already installed) renders the Kubernetes overlays; golang-go and
# golang-github-vmware-govmomi-dev build the vCenter simulator fixture (scripts/vcsim.sh); nbdkit, libnbd-bin
# (nbdcopy, nbdinfo) and qemu-utils (qemu-nbd) are the NBD servers and tools of Tests/Nbd.Tests and the nbd benchmark;
# chromium is the headless browser Tests/Web.Tests drives (Playwright over its executable path, no browser download).
servers_install() {
  local packages=(postgresql rabbitmq-server prometheus golang-go golang-github-vmware-govmomi-dev nbdkit libnbd-bin qemu-utils chromium)
  command -v kubectl >/dev/null || packages+=(kubernetes-client)
  servers_ensure_packages "${packages[@]}"
}

# ---------------------------------------------------------------- PostgreSQL

_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# The data directory must be reachable by the postgres account when we run as root; a checkout under /root is
# not, so the cluster then lives under /tmp, named after the run directory.
_pg_dir() {
  if [ "$(id -u)" != 0 ] || runuser -u postgres -- test -x "$SERVERS_DIR" 2>/dev/null; then
    echo "$SERVERS_DIR/postgres"
  else
    echo "/tmp/migration-test-pg-$(printf '%s' "$SERVERS_DIR" | md5sum | cut -c1-8)"
  fi
}

_pg_run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

_pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

servers_stop_postgres() {
  local dir bin pid
  dir="$(_pg_dir)"; bin="$(_pg_bin)"
  pid="$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)"
  if _pid_alive "$pid"; then
    _pg_run "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
  fi
}

servers_start_postgres() {
  local dir bin
  dir="$(_pg_dir)"; bin="$(_pg_bin)"
  [ -x "$bin/initdb" ] || { _servers_log "PostgreSQL binaries not found under /usr/lib/postgresql"; return 1; }
  servers_stop_postgres
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  _pg_run "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-instructions >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  servers_resume_postgres
}

# Starts the existing cluster again with its data (after servers_stop_postgres); the fault tests use it.
servers_resume_postgres() {
  local dir bin
  dir="$(_pg_dir)"; bin="$(_pg_bin)"
  [ -d "$dir/data" ] || { _servers_log "no PostgreSQL cluster at $dir/data: run servers_start_postgres"; return 1; }
  # fsync off: a test cluster is thrown away after the run, and a synced commit costs the tests time.
  _pg_run "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off" \
    start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  _servers_log "PostgreSQL on 127.0.0.1:$PG_PORT (data $dir/data)"
}

# ---------------------------------------------------------------- RabbitMQ

_rabbit_dir() { echo "$SERVERS_DIR/rabbitmq"; }

# Everything rabbitmq-server and rabbitmqctl read, pointed into the run directory. The scripts under
# /usr/lib/rabbitmq/bin run as the calling user (the /usr/sbin wrappers would switch to the rabbitmq account).
_rabbit_env() {
  local dir; dir="$(_rabbit_dir)"
  env HOME="$dir/home" \
    ERL_EPMD_PORT="$RABBIT_EPMD_PORT" \
    RABBITMQ_NODENAME="$RABBIT_NODE" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$RABBIT_PORT" \
    RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT" \
    RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" \
    RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_PID_FILE="$dir/rabbitmq.pid" \
    "$@"
}

servers_stop_rabbitmq() {
  local dir pid
  dir="$(_rabbit_dir)"
  pid="$(cat "$dir/rabbitmq.pid" 2>/dev/null || true)"
  if _pid_alive "$pid"; then
    # SIGTERM is the Erlang VM's orderly stop (init:stop: the broker closes its connections and flushes its queues).
    # rabbitmqctl stop does the same through a second Erlang VM, which on a loaded machine took 40 s just to begin.
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 600); do _pid_alive "$pid" || break; sleep 0.1; done
    if _pid_alive "$pid"; then
      _servers_log "RabbitMQ did not stop within 60 s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do _pid_alive "$pid" || break; sleep 0.1; done
    fi
  fi
  # The private epmd (on its own port) was started by our node; nothing else uses that port.
  if [ -d "$dir" ] && command -v epmd >/dev/null; then
    ERL_EPMD_PORT="$RABBIT_EPMD_PORT" epmd -kill >/dev/null 2>&1 || true
  fi
}

_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

servers_start_rabbitmq() {
  local dir password
  dir="$(_rabbit_dir)"
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || { _servers_log "rabbitmq-server is not installed"; return 1; }
  servers_stop_rabbitmq
  rm -rf "$dir"
  mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  password="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s' "$password" >"$dir/password"
  : >"$dir/rabbitmq-env.conf"
  echo '[rabbitmq_management,rabbitmq_prometheus].' >"$dir/enabled_plugins"
  echo '[].' >"$dir/advanced.config"
  cat >"$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$RABBIT_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RABBIT_MANAGEMENT_PORT
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = $RABBIT_PROMETHEUS_PORT
prometheus.return_per_object_metrics = true
default_user = $RABBIT_USER
default_pass = $password
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
loopback_users = none
disk_free_limit.absolute = 50MB
log.console = false
log.file.level = warning
CONF
  chmod 600 "$dir/rabbitmq.conf" "$dir/password"
  servers_resume_rabbitmq
}

# Starts the node again on its existing data directory (after servers_stop_rabbitmq): users, virtual hosts,
# durable queues and their persistent messages survive. The fault tests use it.
servers_resume_rabbitmq() {
  local dir
  dir="$(_rabbit_dir)"
  [ -s "$dir/rabbitmq.conf" ] || { _servers_log "no RabbitMQ node at $dir: run servers_start_rabbitmq"; return 1; }
  rm -f "$dir/rabbitmq.pid"
  _rabbit_env setsid /usr/lib/rabbitmq/bin/rabbitmq-server >"$dir/log/stdout.log" 2>&1 </dev/null &
  local launcher=$!
  # The pid file appears once the Erlang VM runs; await_startup then waits for the broker and its plugins.
  for _ in $(seq 1 600); do
    [ -s "$dir/rabbitmq.pid" ] && break
    _pid_alive "$launcher" || { cat "$dir/log/stdout.log" >&2; return 1; }
    sleep 0.1
  done
  if ! _rabbit_env timeout 120 /usr/lib/rabbitmq/bin/rabbitmqctl -n "$RABBIT_NODE" -q await_startup --timeout 110 >/dev/null; then
    _servers_log "RabbitMQ did not start"; tail -n 50 "$dir/log/stdout.log" >&2; return 1
  fi
  for _ in $(seq 1 300); do _port_open "$RABBIT_MANAGEMENT_PORT" && break; sleep 0.1; done
  _port_open "$RABBIT_MANAGEMENT_PORT" || { _servers_log "RabbitMQ management did not open"; return 1; }
  _servers_log "RabbitMQ on 127.0.0.1:$RABBIT_PORT, management http://127.0.0.1:$RABBIT_MANAGEMENT_PORT (node $RABBIT_NODE)"
}

# ---------------------------------------------------------------- all together

servers_start() { mkdir -p "$SERVERS_DIR"; servers_start_postgres && servers_start_rabbitmq; }

servers_stop() { servers_stop_rabbitmq; servers_stop_postgres; }

# Admin connection info for the tests; each test run creates its own databases and virtual hosts.
servers_env() {
  local password; password="$(cat "$(_rabbit_dir)/password")"
  export MIGRATION_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres"
  export MIGRATION_TEST_RABBITMQ="amqp://$RABBIT_USER:$password@127.0.0.1:$RABBIT_PORT"
  export MIGRATION_TEST_RABBITMQ_MANAGEMENT="http://127.0.0.1:$RABBIT_MANAGEMENT_PORT"
  export MIGRATION_TEST_RABBITMQ_PROMETHEUS="http://127.0.0.1:$RABBIT_PROMETHEUS_PORT"
  export MIGRATION_TEST_RABBITMQ_USER="$RABBIT_USER"
  export MIGRATION_TEST_RABBITMQ_PASSWORD="$password"
  # What a test needs to stop and start these very servers: source the script with the same run directory and ports.
  export MIGRATION_TEST_SERVERS_SCRIPT="$SERVERS_REPO/scripts/servers.sh"
  export SERVERS_DIR MIGRATION_PG_PORT="$PG_PORT" MIGRATION_RABBIT_PORT="$RABBIT_PORT"
  export MIGRATION_RABBIT_MANAGEMENT_PORT="$RABBIT_MANAGEMENT_PORT" MIGRATION_RABBIT_DIST_PORT="$RABBIT_DIST_PORT"
  export MIGRATION_RABBIT_EPMD_PORT="$RABBIT_EPMD_PORT" MIGRATION_RABBIT_PROMETHEUS_PORT="$RABBIT_PROMETHEUS_PORT"
}
