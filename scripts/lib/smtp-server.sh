#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
#
# A throwaway SMTP server for the test suite: aiosmtpd (PyPI), a real SMTP implementation,
# on a free loopback port, writing each message it accepts into a directory
# (scripts/lib/smtp_sink.py). The same venv holds pypdfium2, the PDF reader the letter
# tests use (scripts/lib/pdf_text.py).
#
# Sourced (by scripts/test):
#     smtp_server_start   # installs scripts/lib/test-requirements.txt into target/venv-mail if needed
#     trap smtp_server_stop EXIT
# Exports after smtp_server_start:
#     SPORTELLO_TEST_SMTP=127.0.0.1:<port>
#     SPORTELLO_TEST_SMTP_DIR=<dir where messages land as .eml and .json>
#     SPORTELLO_TEST_PYTHON=<the venv's python, with pypdfium2>

# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SMTP_SERVER_PID="${SMTP_SERVER_PID:-}"

smtp_server_start() {
    local root lib venv req stamp want port dir deadline
    lib="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    root="$(cd "$lib/../.." && pwd)"
    venv="$root/target/venv-mail"
    req="$lib/test-requirements.txt"
    ensure_cmd python3 python3
    if [ ! -x "$venv/bin/python" ]; then
        if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
            apt_install python3-venv || die "python3 cannot create virtual environments and python3-venv could not be installed"
        fi
        python3 -m venv "$venv" || die "cannot create $venv"
    fi
    # Reinstalled only when the requirements change.
    stamp="$venv/.requirements.sha256"
    want="$(sha256sum "$req" | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" ||
            die "cannot install $req from PyPI (the email and letter tests need it)"
        echo "$want" >"$stamp"
    fi
    port="$(free_port)"
    dir="$(mktemp -d "${TMPDIR:-/tmp}/sportello-smtp.XXXXXX")"
    "$venv/bin/python" "$lib/smtp_sink.py" "$port" "$dir" >"$root/target/smtp-sink.log" 2>&1 &
    SMTP_SERVER_PID=$!
    deadline=$((SECONDS + 30))
    until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 1).close()" 2>/dev/null; do
        kill -0 "$SMTP_SERVER_PID" 2>/dev/null || die "the SMTP sink exited; see target/smtp-sink.log"
        [ "$SECONDS" -lt "$deadline" ] || die "the SMTP sink did not answer within 30 s; see target/smtp-sink.log"
        sleep 0.2
    done
    export SPORTELLO_TEST_SMTP="127.0.0.1:$port"
    export SPORTELLO_TEST_SMTP_DIR="$dir"
    export SPORTELLO_TEST_PYTHON="$venv/bin/python"
    echo "    SMTP (aiosmtpd) ready: $SPORTELLO_TEST_SMTP, messages in $SPORTELLO_TEST_SMTP_DIR"
}

smtp_server_stop() {
    if [ -n "$SMTP_SERVER_PID" ]; then
        kill "$SMTP_SERVER_PID" 2>/dev/null || true
        wait "$SMTP_SERVER_PID" 2>/dev/null || true
        SMTP_SERVER_PID=""
    fi
    if [ -n "${SPORTELLO_TEST_SMTP_DIR:-}" ] && [ -d "$SPORTELLO_TEST_SMTP_DIR" ]; then
        rm -rf "$SPORTELLO_TEST_SMTP_DIR"
    fi
    unset SPORTELLO_TEST_SMTP SPORTELLO_TEST_SMTP_DIR SPORTELLO_TEST_PYTHON
}
