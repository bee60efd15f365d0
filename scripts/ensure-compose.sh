#!/usr/bin/env bash
# Print the path of a Docker Compose v2+ binary, building one if none is available.
#
#   COMPOSE_BIN="$(bash scripts/ensure-compose.sh)"
#   "$COMPOSE_BIN" -f docker-compose.yml config --quiet
#
# Looks, in order, at:
#   1. $COMPOSE_BIN (must be an executable file; an error if it is set but is not)
#   2. `docker-compose` on $PATH (Compose v2 or later only; v1 lacks `config --format json`)
#   3. the Docker CLI plugin directories (the plugin binary also runs standalone)
#   4. the Steward tool cache: ${STEWARD_CACHE_DIR:-~/.cache/steward}/bin/docker-compose
# and otherwise builds Compose from the Go module proxy into (4), showing progress on stderr.
# Only the path goes to stdout. Needs `go` for the build (about 1-2 minutes on 2 cores with a
# cold Go cache, plus module downloads; later runs reuse the cached binary).
#
# Why not `go install github.com/docker/compose/v5/cmd@VERSION`: compose's go.mod carries an
# `exclude` directive, which `go install pkg@version` refuses. So the module is downloaded
# with `go mod download` and built from inside its own directory, where go.mod (with its
# exclude and go.sum) applies normally.
set -euo pipefail

COMPOSE_MODULE="github.com/docker/compose/v5"
# v5.6.0: the newest release whose go.mod needs no newer Go than this machine's 1.26.8.
COMPOSE_VERSION="${STEWARD_COMPOSE_VERSION:-v5.6.0}"

log() { printf '[ensure-compose] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# True if "$1" is an executable Compose v2+ binary.
is_compose_v2() {
  local bin="$1" ver
  [[ -f "$bin" && -x "$bin" ]] || return 1
  ver="$("$bin" version --short 2>/dev/null)" || return 1
  ver="${ver#v}"
  [[ "${ver%%.*}" =~ ^[0-9]+$ ]] && (( ${ver%%.*} >= 2 ))
}

cache_dir="${STEWARD_CACHE_DIR:-}"
[[ -n "${cache_dir// /}" ]] || cache_dir="$HOME/.cache/steward"
mkdir -p "$cache_dir"
cache_dir="$(cd "$cache_dir" && pwd -P)"
cached_bin="$cache_dir/bin/docker-compose"

# 1. Explicit override.
if [[ -n "${COMPOSE_BIN:-}" ]]; then
  is_compose_v2 "$COMPOSE_BIN" || die "COMPOSE_BIN=$COMPOSE_BIN is not an executable Docker Compose v2+ binary; fix or unset it"
  printf '%s\n' "$COMPOSE_BIN"
  exit 0
fi

# 2. docker-compose on PATH.
if on_path="$(command -v docker-compose 2>/dev/null)" && is_compose_v2 "$on_path"; then
  printf '%s\n' "$on_path"
  exit 0
fi

# 3. Docker CLI plugin (what `docker compose` runs).
for dir in "${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins" \
           /usr/local/lib/docker/cli-plugins /usr/local/libexec/docker/cli-plugins \
           /usr/lib/docker/cli-plugins /usr/libexec/docker/cli-plugins; do
  if is_compose_v2 "$dir/docker-compose"; then
    printf '%s\n' "$dir/docker-compose"
    exit 0
  fi
done

# 4. Cache.
if is_compose_v2 "$cached_bin"; then
  printf '%s\n' "$cached_bin"
  exit 0
fi

# 5. Build into the cache.
command -v go >/dev/null 2>&1 || die "no Docker Compose v2 found (docker-compose on PATH, docker CLI plugin, $cached_bin) and no 'go' to build one; install Go or set COMPOSE_BIN"

mkdir -p "$cache_dir/bin" "$cache_dir/locks"
build() {
  # Re-check: whoever held the lock before us was most likely building this very binary.
  if is_compose_v2 "$cached_bin"; then return 0; fi

  local started=$SECONDS tmp dir heartbeat rc
  log "building Docker Compose $COMPOSE_VERSION from the Go module proxy into $cached_bin (first time only; ~1-2 min on a cold Go cache)"
  log "go mod download $COMPOSE_MODULE@$COMPOSE_VERSION"
  dir="$(cd "$cache_dir" && go mod download -json "$COMPOSE_MODULE@$COMPOSE_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')"
  [[ -n "$dir" && -f "$dir/go.mod" ]] || die "go mod download $COMPOSE_MODULE@$COMPOSE_VERSION did not produce a module directory"

  tmp="$(mktemp "$cache_dir/bin/.docker-compose.tmp-XXXXXX")"
  # Heartbeat so a multi-minute compile does not look hung.
  ( while sleep 15; do log "still building... $((SECONDS - started))s"; done ) &
  heartbeat=$!
  trap 'kill "$heartbeat" 2>/dev/null || true; rm -f "$tmp"' EXIT
  rc=0
  (
    cd "$dir"
    CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=readonly" go build -trimpath \
      -ldflags "-s -w -X $COMPOSE_MODULE/internal.Version=$COMPOSE_VERSION" \
      -o "$tmp" ./cmd
  ) >&2 || rc=$?
  kill "$heartbeat" 2>/dev/null || true
  wait "$heartbeat" 2>/dev/null || true
  if (( rc != 0 )); then
    rm -f "$tmp"
    die "go build of $COMPOSE_MODULE@$COMPOSE_VERSION failed (exit $rc) after $((SECONDS - started))s"
  fi
  chmod 0755 "$tmp"
  mv -f "$tmp" "$cached_bin" # same directory: atomic
  trap - EXIT
  log "built $("$cached_bin" version --short 2>/dev/null || echo '?') in $((SECONDS - started))s"
}

if command -v flock >/dev/null 2>&1; then
  # Serialise concurrent callers (parallel CI steps, two shells) on one lock file.
  exec 9>"$cache_dir/locks/docker-compose.flock"
  if ! flock -n 9; then
    log "another process is building docker-compose; waiting for it..."
    flock 9
  fi
  build
  flock -u 9
else
  build
fi

is_compose_v2 "$cached_bin" || die "$cached_bin was built but does not run as Docker Compose v2+"
printf '%s\n' "$cached_bin"
