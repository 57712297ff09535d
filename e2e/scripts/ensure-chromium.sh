#!/usr/bin/env bash
# Make sure Debian's chromium is installed and can start headless; fail otherwise.
#
# The journeys drive /usr/bin/chromium (Playwright's own browser download needs the open
# internet, which CI does not have). Installs the Debian package when it is missing
# (apt-get, with sudo when not root; apt-get update only when an install is needed).
# Never skips: if chromium cannot be installed or started, this exits non-zero.
#
# Environment:
#     CHROMIUM_BIN=PATH   browser to check (default /usr/bin/chromium); nothing is installed
#                         when it is set to something other than the default
set -euo pipefail

DEFAULT_BIN=/usr/bin/chromium
CHROMIUM_BIN="${CHROMIUM_BIN:-$DEFAULT_BIN}"

die() {
    printf 'ensure-chromium: %s\n' "$*" >&2
    exit 1
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        if [ "${CI:-}" = true ]; then
            sudo -n "$@"
        else
            sudo "$@"
        fi
    else
        die "need root (or sudo) to run: $*"
    fi
}

if [ ! -x "$CHROMIUM_BIN" ]; then
    [ "$CHROMIUM_BIN" = "$DEFAULT_BIN" ] || die "CHROMIUM_BIN=$CHROMIUM_BIN is not an executable file"
    command -v apt-get >/dev/null 2>&1 ||
        die "$CHROMIUM_BIN is missing and apt-get is not available: install Chromium and set CHROMIUM_BIN"
    printf 'ensure-chromium: %s missing, installing the Debian chromium package\n' "$CHROMIUM_BIN"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -q || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends chromium || die "apt-get install chromium failed"
    [ -x "$CHROMIUM_BIN" ] || die "chromium installed but $CHROMIUM_BIN is still missing"
fi

# Smoke test: the browser must start headless and print its version.
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
# (Debian's /usr/bin/chromium wrapper may print a harmless shell warning on stderr about
# /dev/shm; keep stderr out of the version string and show it only on failure.)
version="$("$CHROMIUM_BIN" --headless --no-sandbox --disable-gpu --version 2>"$profile/stderr.log")" || {
    cat "$profile/stderr.log" >&2 || true
    die "$CHROMIUM_BIN does not start"
}
if ! timeout 60 "$CHROMIUM_BIN" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --dump-dom 'data:text/html,<p>ok</p>' 2>"$profile/stderr.log" |
    grep -q '<p>ok</p>'; then
    cat "$profile/stderr.log" >&2 || true
    die "$CHROMIUM_BIN could not render a page headless"
fi
printf 'ensure-chromium: %s\n' "$version"
