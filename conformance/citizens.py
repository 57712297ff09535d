#!/usr/bin/env python3
"""Logs two demo citizens in through the API, for the authenticated conformance run.

    citizens.py BASE_URL SERVER_LOG OUT_JSON

Reads Mario Rossi's and Anna Bianchi's codice fiscale and PIN from the demo banner in
SERVER_LOG (what `sportello serve --demo` prints), logs each in with
`POST /api/v1/auth/pin`, and writes their bearer tokens to OUT_JSON:

    {"mario": {"codice_fiscale": ..., "name": ..., "pin": ..., "pin_level": "dispositivo",
               "tokens": {"schemathesis": ..., "logout": ..., "probes": ...}},
     "anna":  {"codice_fiscale": ..., "name": ..., "pin": ..., "pin_level": "ordinario",
               "tokens": {"schemathesis": ..., "probes": ...}}}

Every login happens here, before schemathesis fuzzes `POST /api/v1/auth/pin`: the fuzzing
sends wrong PINs for the document's example codice fiscale (Mario's), which locks his PIN,
and more than 60 login attempts a minute, which the per-client limit answers with 429. A
token obtained before stays valid through both. Mario's tokens: `schemathesis` for the main
run, `logout` for the run of `DELETE /api/v1/sessione` (which ends it), `probes` for
check_responses.py. Anna's `schemathesis` token is the peer identity schemathesis' own
`object_level_authorization` check replays Mario's reads with; her `probes` token is for the
cross-citizen probes of check_responses.py. `pin_level` (from the banner: `dispositivo` or
`ordinario`) says whether the citizen may file applications (only a PIN dispositivo may).

Standard library only.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.request

TOKENS = {"mario": ("schemathesis", "logout", "probes"), "anna": ("schemathesis", "probes")}
BANNER_LINE = re.compile(r"^\s+([A-Z0-9]{16})\s{2,}(.+?)\s{2,}PIN ([A-Z0-9]{16}) \((\w+)\)", re.M)


def demo_citizens(banner: str) -> dict[str, dict[str, str]]:
    """Name -> {codice_fiscale, name, pin, pin_level} for the citizens with an active PIN."""
    return {
        m[2]: {"codice_fiscale": m[1], "name": m[2], "pin": m[3], "pin_level": m[4]}
        for m in BANNER_LINE.finditer(banner)
    }


def login(base: str, codice_fiscale: str, pin: str, device: str) -> str:
    body = json.dumps({"codice_fiscale": codice_fiscale, "pin": pin, "dispositivo": device}).encode()
    req = urllib.request.Request(
        base + "/api/v1/auth/pin", data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, text = resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read().decode("utf-8", "replace")
    if status != 201:
        raise SystemExit(f"login of {codice_fiscale} ({device}) failed: {status} {text}")
    token = json.loads(text).get("token")
    if not isinstance(token, str) or not token:
        raise SystemExit(f"login of {codice_fiscale} answered 201 without a token: {text}")
    return token


def load(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    base, log_path, out_path = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    with open(log_path, encoding="utf-8", errors="replace") as f:
        demo = demo_citizens(f.read())
    wanted = {"mario": "Mario Rossi", "anna": "Anna Bianchi"}
    out = {}
    for key, name in wanted.items():
        if name not in demo:
            raise SystemExit(f"{name} with an active PIN is not in the demo banner ({log_path}): {sorted(demo)}")
        citizen = demo[name]
        tokens = {
            purpose: login(base, citizen["codice_fiscale"], citizen["pin"], f"conformance {purpose}")
            for purpose in TOKENS[key]
        }
        out[key] = {
            "codice_fiscale": citizen["codice_fiscale"],
            "name": name,
            "pin": citizen["pin"],
            "pin_level": citizen["pin_level"],
            "tokens": tokens,
        }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2)
    print(
        "logged in: "
        + ", ".join(f"{c['name']} ({c['codice_fiscale']}, {len(c['tokens'])} token(s))" for c in out.values()),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
