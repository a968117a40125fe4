#!/usr/bin/env bash
# The vCenter simulator test fixture (Tests/VcSim): govmomi's simulator with CBT, real disk content and a control API.
#   scripts/vcsim.sh build        builds .tmp/vcsim-bin/vcsim when its sources changed; prints the binary's path
#   scripts/vcsim.sh run [ARGS]   builds, then starts it: the first line printed is the SDK URL (see Tests/VcSim/README.md)
# Needs Debian's golang-go and golang-github-vmware-govmomi-dev (scripts/servers.sh installs them).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$REPO/Tests/VcSim"
OUT="$REPO/.tmp/vcsim-bin"
BIN="$OUT/vcsim"

vcsim_build() {
  mkdir -p "$OUT"
  local stamp
  stamp="$(cat "$SRC"/*.go | sha256sum | cut -d' ' -f1)"
  if [ -x "$BIN" ] && [ "$(cat "$OUT/sources.sha256" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  (cd "$SRC" && GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE="$REPO/.tmp/go-cache" go build -o "$BIN.new" .)
  mv "$BIN.new" "$BIN"
  echo "$stamp" > "$OUT/sources.sha256"
}

case "${1:-}" in
  build) vcsim_build >&2; echo "$BIN" ;;
  run) shift; vcsim_build >&2; exec "$BIN" "$@" ;;
  *) echo "usage: scripts/vcsim.sh build | run [-listen ADDR] [-vms N] [-disk-sizes 8MiB,4MiB] [-max-areas N] [-username U] [-password P]" >&2; exit 2 ;;
esac
