#!/usr/bin/env bash
# Reproduces Tests/Benchmarks/results: starts PRIVATE PostgreSQL and RabbitMQ (own ports and directory, so a ./test.sh
# run beside it is not disturbed), turns on PostgreSQL's commit timestamps (the latency figure reads them), builds
# Release, runs the pipeline driver, stops the servers.
#   Tests/Benchmarks/run-pipeline.sh                      # N = 500 1000 2000 4000 on RabbitMQ, then InMemory N = 1000
#   Tests/Benchmarks/run-pipeline.sh --jobs 1000 --seconds 60 [--no-throttle] [--poll-batch 50] [--transport InMemory]   # one run
#   Tests/Benchmarks/run-pipeline.sh --jobs 1000 --wave    # only the start-up wave: N starts at once, seconds until all stream
#   Tests/Benchmarks/run-pipeline.sh --ready-to-run ...     # the hosts published ReadyToRun into data/bench-hosts (the images are not)
# BENCH_JOBS="500 1000" and BENCH_SECONDS=90 change the default set.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

export SERVERS_DIR="${SERVERS_DIR:-/tmp/bench-servers}"
export MIGRATION_PG_PORT="${MIGRATION_PG_PORT:-57440}" MIGRATION_RABBIT_PORT="${MIGRATION_RABBIT_PORT:-57672}"
export MIGRATION_RABBIT_MANAGEMENT_PORT="${MIGRATION_RABBIT_MANAGEMENT_PORT:-57673}"
export MIGRATION_RABBIT_DIST_PORT="${MIGRATION_RABBIT_DIST_PORT:-57674}" MIGRATION_RABBIT_EPMD_PORT="${MIGRATION_RABBIT_EPMD_PORT:-57675}"
# shellcheck source=../../scripts/servers.sh
source scripts/servers.sh

trap servers_stop EXIT
servers_install
servers_start
servers_env

# pg_xact_commit_timestamp() needs track_commit_timestamp, which only a restart applies (pg_ctl keeps the other options).
pg_dir="$(_pg_dir)"; pg_bin="$(_pg_bin)"
_pg_run "$pg_bin/psql" -h "$pg_dir" -p "$PG_PORT" -U postgres -qc "ALTER SYSTEM SET track_commit_timestamp = on"
_pg_run "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -m fast restart >/dev/null

dotnet build -c Release Migration.sln -v q -nologo
# deploy/images/*.Dockerfile's publish (framework-dependent), precompiled ReadyToRun for linux-x64.
publish_host() {
  dotnet publish "$1/$1.csproj" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$2" -v q -nologo
}
hosts=()
args=()
for arg in "$@"; do
  if [ "$arg" = --ready-to-run ]; then
    for host in VmaAgent OmaWorkers Scheduler; do
      publish_host "$host" "$repo/data/bench-hosts/$host"
    done
    hosts=(--hosts "$repo/data/bench-hosts")
  else
    args+=("$arg")
  fi
done
set -- "${args[@]}"
bench() { dotnet run -c Release --no-build --project Tests/Benchmarks -- pipeline "${hosts[@]}" "$@"; }

if [ $# -gt 0 ]; then
  bench "$@"
  exit
fi

mkdir -p Tests/Benchmarks/results
for n in ${BENCH_JOBS:-500 1000 2000 4000}; do
  bench --jobs "$n" --seconds "${BENCH_SECONDS:-60}" --out "Tests/Benchmarks/results/pipeline-$n.txt" \
    || echo "pipeline --jobs $n failed (exit $?)" >&2
done
bench --transport InMemory --jobs 1000 --seconds "${BENCH_SECONDS:-60}" --out Tests/Benchmarks/results/pipeline-inmemory.txt
