#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
#
# A throwaway S3-compatible object store for the test suite: moto's server (PyPI `moto`),
# a real S3 wire implementation, on a free loopback port. The file-store tests talk to it
# through the same object_store client a multi-node deployment uses.
#
# Sourced (by scripts/test):
#     s3_server_start     # installs moto into target/venv-s3 if needed, starts it, exports the URL
#     trap s3_server_stop EXIT
# Exports after s3_server_start:
#     SPORTELLO_TEST_S3_ENDPOINT=http://127.0.0.1:<port>

# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

MOTO_VERSION="5.2.5"
S3_SERVER_PID="${S3_SERVER_PID:-}"

s3_server_start() {
    local root venv port deadline
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    venv="$root/target/venv-s3"
    ensure_cmd python3 python3
    ensure_cmd curl curl
    if [ ! -x "$venv/bin/moto_server" ]; then
        if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
            apt_install python3-venv || die "python3 cannot create virtual environments and python3-venv could not be installed"
        fi
        python3 -m venv "$venv" || die "cannot create $venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" ||
            die "cannot install moto[server]==$MOTO_VERSION from PyPI (the S3 tests need it)"
    fi
    port="$(free_port)"
    "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$root/target/moto.log" 2>&1 &
    S3_SERVER_PID=$!
    deadline=$((SECONDS + 30))
    until curl -s -o /dev/null "http://127.0.0.1:$port/"; do
        kill -0 "$S3_SERVER_PID" 2>/dev/null || die "moto_server exited; see target/moto.log"
        [ "$SECONDS" -lt "$deadline" ] || die "moto_server did not answer within 30 s; see target/moto.log"
        sleep 0.2
    done
    export SPORTELLO_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
    echo "    S3 (moto $MOTO_VERSION) ready: $SPORTELLO_TEST_S3_ENDPOINT"
}

s3_server_stop() {
    if [ -n "$S3_SERVER_PID" ]; then
        kill "$S3_SERVER_PID" 2>/dev/null || true
        wait "$S3_SERVER_PID" 2>/dev/null || true
        S3_SERVER_PID=""
    fi
    unset SPORTELLO_TEST_S3_ENDPOINT
}
