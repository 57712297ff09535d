#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
#
# A throwaway PostgreSQL cluster for the test suite.
#
# Sourced (by scripts/test):
#     pg_ensure_installed    # finds initdb/pg_ctl, installs Debian `postgresql` if missing
#     pg_cluster_start       # initdb + start on a free loopback port, exports the env below
#     trap pg_cluster_stop EXIT
#
# Run directly, it wraps one command with a cluster (handy for trying things by hand):
#     scripts/lib/pg-cluster.sh sh -c 'psql "$SPORTELLO_TEST_POSTGRES_URL" -c "select version()"'
#
# Exports after pg_cluster_start:
#     SPORTELLO_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:<port>/postgres
#     SPORTELLO_TEST_REQUIRE_POSTGRES=1
# and sets (not exported) PG_BINDIR, PG_CLUSTER_DIR, PG_CLUSTER_PORT.
#
# Knob: SPORTELLO_PG_BINDIR=/path/to/postgres/bin to use a specific PostgreSQL build
# (e.g. Homebrew on macOS); otherwise /usr/lib/postgresql/<newest>/bin, then $PATH.
#
# The cluster is for tests only: trust auth, loopback only, fsync=off and friends.
# Its data lives in a `mktemp -d` directory removed by pg_cluster_stop.

# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PG_BINDIR="${PG_BINDIR:-}"
PG_CLUSTER_DIR="${PG_CLUSTER_DIR:-}"
PG_CLUSTER_PORT="${PG_CLUSTER_PORT:-}"
PG_CLUSTER_USER="${PG_CLUSTER_USER:-}"

# pg_find_bindir: set PG_BINDIR to a directory holding initdb, pg_ctl, postgres and pg_isready.
pg_find_bindir() {
    local candidate tool ok
    local -a candidates=()
    if [ -n "${SPORTELLO_PG_BINDIR:-}" ]; then
        candidates+=("$SPORTELLO_PG_BINDIR")
    fi
    # Debian/Ubuntu keep the server binaries off $PATH, one dir per major version: newest first.
    local -a debian=()
    for candidate in /usr/lib/postgresql/*/bin; do
        [ -d "$candidate" ] && debian+=("$candidate")
    done
    if [ "${#debian[@]}" -gt 0 ]; then
        while IFS= read -r candidate; do
            candidates+=("$candidate")
        done < <(printf '%s\n' "${debian[@]}" | sort -rV)
    fi
    # Elsewhere (Fedora, Homebrew, ...) they are usually on $PATH.
    if command -v pg_ctl >/dev/null 2>&1; then
        candidate="$(command -v pg_ctl)"
        candidates+=("$(dirname "$(readlink -f "$candidate" 2>/dev/null || echo "$candidate")")")
    fi
    for candidate in ${candidates[@]+"${candidates[@]}"}; do
        ok=1
        for tool in initdb pg_ctl postgres pg_isready; do
            [ -x "$candidate/$tool" ] || ok=0
        done
        if [ "$ok" -eq 1 ]; then
            PG_BINDIR="$candidate"
            return 0
        fi
    done
    return 1
}

# pg_ensure_installed: make sure a PostgreSQL server is available, installing it if needed.
# Never "skips": if it cannot be found or installed, it fails with one clear message.
pg_ensure_installed() {
    if pg_find_bindir; then
        return 0
    fi
    log "    PostgreSQL server (initdb/pg_ctl) not found; installing Debian package 'postgresql'"
    if ! apt_install postgresql; then
        if is_ci; then
            die "CI=true and the PostgreSQL server could not be installed (apt-get install postgresql failed); the suite refuses to run without its PostgreSQL backend"
        fi
        die "the PostgreSQL server could not be installed automatically. Install it (Debian/Ubuntu: 'sudo apt-get install postgresql'; elsewhere set SPORTELLO_PG_BINDIR to the directory holding initdb and pg_ctl) and re-run; the suite never skips a backend"
    fi
    pg_find_bindir || die "package 'postgresql' installed but initdb/pg_ctl/postgres/pg_isready not found under /usr/lib/postgresql/*/bin"
}

# pg_as_owner CMD...: run CMD as the cluster owner. PostgreSQL refuses to run as root, so as
# root we switch to the `postgres` system user (created by the Debian package, or here).
# Runs from the cluster dir, which that user can always enter (the caller's cwd may not be).
pg_as_owner() {
    if [ "$(id -u)" -ne 0 ]; then
        (cd "$PG_CLUSTER_DIR" && "$@")
    elif command -v runuser >/dev/null 2>&1; then
        (cd "$PG_CLUSTER_DIR" && runuser -u "$PG_CLUSTER_USER" -- "$@")
    else
        local quoted
        quoted="$(printf '%q ' "$@")"
        (cd "$PG_CLUSTER_DIR" && su -s /bin/sh "$PG_CLUSTER_USER" -c "$quoted")
    fi
}

_pg_ensure_owner_user() {
    if [ "$(id -u)" -ne 0 ]; then
        PG_CLUSTER_USER="$(id -un)"
        return 0
    fi
    PG_CLUSTER_USER=postgres
    if ! id -u "$PG_CLUSTER_USER" >/dev/null 2>&1; then
        log "    creating system user '$PG_CLUSTER_USER' (PostgreSQL refuses to run as root)"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$PG_CLUSTER_USER" ||
            die "could not create the '$PG_CLUSTER_USER' system user to run PostgreSQL as"
    fi
}

_pg_postmaster_running() {
    local pid
    [ -f "$PG_CLUSTER_DIR/data/postmaster.pid" ] || return 1
    pid="$(head -n 1 "$PG_CLUSTER_DIR/data/postmaster.pid" 2>/dev/null)" || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# pg_cluster_start: create and start the cluster; export the test environment.
pg_cluster_start() {
    [ -n "$PG_BINDIR" ] || pg_find_bindir || die "PostgreSQL not found: call pg_ensure_installed first"
    [ -z "$PG_CLUSTER_DIR" ] || die "a PostgreSQL test cluster is already running in $PG_CLUSTER_DIR"
    ensure_cmd python3 python3 # picks the free TCP port
    _pg_ensure_owner_user

    # As root, use /tmp rather than $TMPDIR: the postgres user must be able to reach the dir.
    # The socket lives here too, so keep the path short (Unix socket paths max out at ~107 bytes).
    if [ "$(id -u)" -eq 0 ]; then
        PG_CLUSTER_DIR="$(mktemp -d /tmp/sportello-pg.XXXXXXXX)"
        chown "$PG_CLUSTER_USER:" "$PG_CLUSTER_DIR"
    else
        PG_CLUSTER_DIR="$(mktemp -d "${TMPDIR:-/tmp}/sportello-pg.XXXXXXXX")"
    fi

    if ! pg_as_owner "$PG_BINDIR/initdb" -D "$PG_CLUSTER_DIR/data" -U postgres -A trust \
        -E UTF8 --locale=C --no-sync >"$PG_CLUSTER_DIR/initdb.log" 2>&1; then
        cat "$PG_CLUSTER_DIR/initdb.log" >&2 || true
        die "initdb failed (output above)"
    fi

    local attempt deadline
    for attempt in 1 2 3; do
        # The port is free "a moment ago"; if someone grabs it before the postmaster binds,
        # the start fails with "could not bind" and we retry with a new port.
        PG_CLUSTER_PORT="$(free_port)"
        # Written as a conf include rather than -c options: no quoting issues with paths.
        cat >"$PG_CLUSTER_DIR/data/sportello-test.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_CLUSTER_PORT
unix_socket_directories = '$PG_CLUSTER_DIR'
# Test-only durability trade-offs: a crash loses the cluster, which is thrown away anyway.
fsync = off
synchronous_commit = off
full_page_writes = off
# One database per test, many pools in parallel.
max_connections = 300
EOF
        grep -q "^include = 'sportello-test.conf'" "$PG_CLUSTER_DIR/data/postgresql.conf" ||
            printf "include = 'sportello-test.conf'\n" >>"$PG_CLUSTER_DIR/data/postgresql.conf"

        : >"$PG_CLUSTER_DIR/postgres.log"
        [ "$(id -u)" -ne 0 ] || chown "$PG_CLUSTER_USER:" "$PG_CLUSTER_DIR/postgres.log"
        pg_as_owner "$PG_BINDIR/pg_ctl" -D "$PG_CLUSTER_DIR/data" -l "$PG_CLUSTER_DIR/postgres.log" \
            -W -s start || true

        deadline=$((SECONDS + 30))
        while [ "$SECONDS" -lt "$deadline" ]; do
            if "$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PG_CLUSTER_PORT" -U postgres -d postgres; then
                export SPORTELLO_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_CLUSTER_PORT/postgres"
                export SPORTELLO_TEST_REQUIRE_POSTGRES=1
                return 0
            fi
            # Give the postmaster a moment to write its pid file before deciding it died.
            if [ "$SECONDS" -gt $((deadline - 28)) ] && ! _pg_postmaster_running; then
                break
            fi
            sleep 0.1
        done

        if grep -qiE 'could not bind|address already in use' "$PG_CLUSTER_DIR/postgres.log" &&
            [ "$attempt" -lt 3 ]; then
            log "    port $PG_CLUSTER_PORT was taken meanwhile; retrying with another port"
            pg_as_owner "$PG_BINDIR/pg_ctl" -D "$PG_CLUSTER_DIR/data" -m immediate -s stop >/dev/null 2>&1 || true
            continue
        fi
        break
    done
    log "---- PostgreSQL log ----"
    cat "$PG_CLUSTER_DIR/postgres.log" >&2 || true
    log "------------------------"
    pg_cluster_stop
    die "PostgreSQL did not become ready within 30 s (log above)"
}

# pg_cluster_stop: stop the cluster (immediate: no checkpoint, nothing to keep) and delete it.
# Idempotent and safe to call from an EXIT trap, whatever state start reached.
pg_cluster_stop() {
    [ -n "$PG_CLUSTER_DIR" ] || return 0
    local pid
    if [ -d "$PG_CLUSTER_DIR" ] && _pg_postmaster_running; then
        pid="$(head -n 1 "$PG_CLUSTER_DIR/data/postmaster.pid")"
        if ! pg_as_owner "$PG_BINDIR/pg_ctl" -D "$PG_CLUSTER_DIR/data" -m immediate -s -t 30 stop >/dev/null 2>&1; then
            # Last resort: the postmaster we started ourselves, by its pid.
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf "$PG_CLUSTER_DIR"
    PG_CLUSTER_DIR=""
    PG_CLUSTER_PORT=""
    unset SPORTELLO_TEST_POSTGRES_URL SPORTELLO_TEST_REQUIRE_POSTGRES
}

# Run directly: wrap one command with a throwaway cluster.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    [ "$#" -gt 0 ] || die "usage: $0 COMMAND [ARG...]   (runs COMMAND with SPORTELLO_TEST_POSTGRES_URL set)"
    trap pg_cluster_stop EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    pg_ensure_installed
    pg_cluster_start
    log "PostgreSQL ($PG_BINDIR) ready: $SPORTELLO_TEST_POSTGRES_URL"
    "$@"
fi
