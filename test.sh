#!/usr/bin/env bash
# Installs (Debian packages) and starts the real servers the tests need, runs every test of Migration.sln against
# them, stops the servers and exits with dotnet test's code. Safe to run twice in a row or after a killed run.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$REPO"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
CONFIGURATION=Debug

# shellcheck source=scripts/servers.sh
source "$REPO/scripts/servers.sh"

started=$SECONDS
stamp() { printf '[test.sh] %-34s %4ss\n' "$1" "$2"; }

phase=$SECONDS
servers_install
stamp "install (packages when missing)" $((SECONDS - phase))

trap 'phase=$SECONDS; servers_stop; stamp "stop servers" $((SECONDS - phase)); stamp "total" $((SECONDS - started))' EXIT
phase=$SECONDS
servers_start
servers_env
stamp "start servers" $((SECONDS - phase))

phase=$SECONDS
# The vCenter simulator fixture (Go, built only when its sources changed); the VSphere suites start it per test.
VCSIM_BIN="$("$REPO/scripts/vcsim.sh" build)"
export VCSIM_BIN
stamp "build vCenter simulator" $((SECONDS - phase))

phase=$SECONDS
log="$SERVERS_DIR/dotnet-test.log"
set +e
# The minimal console logger prints each failing test with its message and stack, and one summary per assembly.
# Built once, then one test assembly at a time: the suites that run real servers and processes share two cores, and
# their compressed timeouts must not be measured against each other's load.
dotnet build Migration.sln -c "$CONFIGURATION" 2>&1 | tee "$log"
code=${PIPESTATUS[0]}
if [ "$code" -eq 0 ]; then
  dotnet test Migration.sln -c "$CONFIGURATION" --no-build -m:1 --logger "console;verbosity=minimal" --blame-hang-timeout 15m 2>&1 | tee -a "$log"
  code=${PIPESTATUS[0]}
fi
set -e
stamp "dotnet test" $((SECONDS - phase))

# One closing line for every assembly together, in the plain "N passed, N failed" form.
awk '/(Passed|Failed)! +- +Failed:/ {
       for (i = 1; i <= NF; i++) { v = $(i + 1); gsub(/,/, "", v);
         if ($i == "Failed:") f += v; else if ($i == "Passed:") p += v; else if ($i == "Skipped:") s += v }
       n++ }
     END { if (n == 0) print "no test assembly reported results"; printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$code"
