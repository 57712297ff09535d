# shellcheck shell=bash
# Helpers shared by scripts/test and scripts/bench-home. Source it; do not run it.

# log / die: messages go to stderr so they never mix with parsed output.
log() { printf '%s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# is_ci: true when running under CI (CI=true, as GitHub/GitLab/our .ci/run set it; 1 also accepted).
is_ci() {
    case "${CI:-}" in
    true | TRUE | True | 1) return 0 ;;
    *) return 1 ;;
    esac
}

# as_root CMD...: run CMD as root (directly, or through sudo when we are not root).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        if is_ci; then
            # Never hang on a password prompt in CI.
            sudo -n "$@"
        else
            sudo "$@"
        fi
    else
        log "not root and sudo is not available: cannot run '$*'"
        return 1
    fi
}

# apt_install PKG...: install Debian packages quietly. Runs apt-get update first
# (apt-get update only happens here, i.e. only when something is actually missing).
# Output is kept in a log and shown only on failure. Returns non-zero on failure.
apt_install() {
    command -v apt-get >/dev/null 2>&1 || {
        log "apt-get not found: this is not a Debian-like system"
        return 1
    }
    local aptlog rc=0
    aptlog="$(mktemp)"
    log "    installing Debian package(s): $* (apt-get, quiet)"
    # DPkg::Lock::Timeout: a fresh VM may still be running unattended-upgrades.
    if as_root env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update >"$aptlog" 2>&1 &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 \
            install --no-install-recommends "$@" >>"$aptlog" 2>&1; then
        rc=0
    else
        rc=1
        log "---- apt-get output (last 30 lines) ----"
        tail -n 30 "$aptlog" >&2 || true
        log "----------------------------------------"
    fi
    rm -f "$aptlog"
    return "$rc"
}

# ensure_cmd CMD PKG...: make sure CMD is on $PATH, installing the Debian package(s) PKG if not.
# Fails (never skips) with one clear message when that is impossible.
ensure_cmd() {
    local cmd="$1"
    shift
    command -v "$cmd" >/dev/null 2>&1 && return 0
    log "    '$cmd' not found; installing Debian package(s): $*"
    if ! apt_install "$@" || ! command -v "$cmd" >/dev/null 2>&1; then
        if is_ci; then
            die "CI=true and '$cmd' could not be installed (apt-get install $*)"
        fi
        die "'$cmd' is required and could not be installed automatically; install it (Debian/Ubuntu: sudo apt-get install $*) and re-run"
    fi
}

# free_port: print a TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}
