#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
#
# A throwaway OpenID Provider for the SPID/CIE login tests: panva's `oidc-provider` (npm),
# configured like a SPID OP in tests/oidc-op/server.js, on a free loopback port.
#
# Sourced (by scripts/test):
#     oidc_provider_start     # npm ci in tests/oidc-op if needed, starts it, exports the issuer
#     trap oidc_provider_stop EXIT
# Exports after oidc_provider_start:
#     SPORTELLO_TEST_OIDC_ISSUER=http://127.0.0.1:<port>

# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

OIDC_PROVIDER_PID="${OIDC_PROVIDER_PID:-}"

oidc_provider_start() {
    local root dir port deadline log
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    dir="$root/tests/oidc-op"
    log="$root/target/oidc-provider.log"
    mkdir -p "$root/target"
    command -v node >/dev/null 2>&1 || die "node not found: the SPID/CIE tests need Node.js 20+ (Debian: apt-get install nodejs npm)"
    command -v npm >/dev/null 2>&1 || die "npm not found: the SPID/CIE tests need it (Debian: apt-get install npm)"
    # Reinstall only when the lock file changed.
    if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
        ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.sportello-lock"; then
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) ||
            die "npm ci in tests/oidc-op failed (the SPID/CIE tests need oidc-provider)"
        cp "$dir/package-lock.json" "$dir/node_modules/.sportello-lock"
    fi
    port="$(free_port)"
    PORT="$port" node "$dir/server.js" >"$log" 2>&1 &
    OIDC_PROVIDER_PID=$!
    deadline=$((SECONDS + 30))
    until curl -sf -o /dev/null "http://127.0.0.1:$port/.well-known/openid-configuration"; do
        kill -0 "$OIDC_PROVIDER_PID" 2>/dev/null || die "the test OIDC provider exited; see target/oidc-provider.log"
        [ "$SECONDS" -lt "$deadline" ] || die "the test OIDC provider did not answer within 30 s; see target/oidc-provider.log"
        sleep 0.2
    done
    export SPORTELLO_TEST_OIDC_ISSUER="http://127.0.0.1:$port"
    echo "    OIDC provider (oidc-provider, SPID-like) ready: $SPORTELLO_TEST_OIDC_ISSUER"
}

oidc_provider_stop() {
    if [ -n "$OIDC_PROVIDER_PID" ]; then
        kill "$OIDC_PROVIDER_PID" 2>/dev/null || true
        wait "$OIDC_PROVIDER_PID" 2>/dev/null || true
        OIDC_PROVIDER_PID=""
    fi
    unset SPORTELLO_TEST_OIDC_ISSUER
}

# Run directly: start the provider, run the given command with it, stop it.
#     scripts/lib/oidc-provider.sh cargo nextest run -p sportello --test it oidc
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    trap oidc_provider_stop EXIT
    oidc_provider_start
    "$@"
fi
