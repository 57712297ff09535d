#!/usr/bin/env python3
"""Rules schemathesis does not know about, checked on every API response of the run.

    check_responses.py BASE_URL CITIZENS_JSON HAR_FILE...

1. Every response that schemathesis recorded in the HAR_FILEs (all of them: every phase).
2. Requests of its own (probes), for what generated requests rarely or never hit:
   unknown paths, wrong methods, unreadable bodies, a body over the size limit, forged
   session cookies, the language of error titles, known regressions, and calls as each of
   the two logged-in citizens (CITIZENS_JSON, written by citizens.py).

The rules, for every response under /api/:
  - `Cache-Control: no-store` (API answers are personal or live; no cache may keep them);
  - every 4xx/5xx is RFC 9457 `application/problem+json` whose JSON body has `type`,
    `title`, `status` and `code`, with `status` equal to the HTTP status and `request_id`
    (when present) equal to the `X-Request-Id` header;
  - every 429 has a `Retry-After` in seconds (the app must know when to try again).
For every authenticated response (a request with one citizen's bearer token), whatever the
path and status:
  - `Cache-Control: no-store`;
  - neither the body nor any header contains the OTHER citizen's codice fiscale or name
    (Mario's token never shows Anna's data, and the other way round).
And so that these rules cannot hold just because nothing was tested: schemathesis must have
read Mario's own data with his token (a 200 from GET /api/v1/sessione naming him), its
logout run must have ended its token (204) and that token must be refused afterwards, and
each citizen's own token must read their own data in the probes.
Plus: GET /api/v1/openapi.json declares `openapi: 3.1.0`.

Standard library only. Exit status 1 if any rule is broken; each failure names the
request, the response (status, headers, body) and the rule.
"""

from __future__ import annotations

import base64
import http.client
import json
import select
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

# The server's default `max_body_bytes` (1 MiB); conformance/run does not change it.
SESSION = "/api/v1/sessione"
PIN_LOGIN = "/api/v1/auth/pin"
MAX_BODY_BYTES = 1_048_576
REPORTS = "/api/v1/segnalazioni-accessibilita"


@dataclass
class Exchange:
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int
    headers: dict[str, str]  # lower-case names
    body: str
    origin: str  # "schemathesis" or "probe: <what it tests>"


@dataclass
class Citizen:
    key: str  # "mario", "anna"
    name: str
    codice_fiscale: str
    pin: str
    tokens: dict[str, str]  # purpose -> bearer token


def load_citizens(path: str) -> list[Citizen]:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return [
        Citizen(key=key, name=c["name"], codice_fiscale=c["codice_fiscale"], pin=c["pin"], tokens=dict(c["tokens"]))
        for key, c in data.items()
    ]


def bearer(ex: Exchange) -> str | None:
    for name, value in ex.request_headers.items():
        if name.lower() == "authorization":
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer":
                return token.strip()
    return None


def identity(ex: Exchange, citizens: list[Citizen]) -> tuple[Citizen, str] | None:
    """The citizen (and the token's purpose) whose bearer token the request carried."""
    token = bearer(ex)
    if not token:
        return None
    for citizen in citizens:
        for purpose, t in citizen.tokens.items():
            if t == token:
                return citizen, purpose
    return None


def mentions(text: str, citizen: Citizen) -> list[str]:
    """What of `citizen` (codice fiscale, name) appears in `text`, case-insensitively."""
    low = text.lower()
    return [what for what in (citizen.codice_fiscale, citizen.name) if what.lower() in low]


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)
    checked: int = 0

    def fail(self, ex: Exchange, rule: str) -> None:
        shown_headers = "\n".join(f"    {k}: {v}" for k, v in sorted(ex.headers.items()))
        body = ex.body if len(ex.body) <= 1000 else ex.body[:1000] + "…"
        request_body = ex.request_body if len(ex.request_body) <= 300 else ex.request_body[:300] + "…"
        self.failures.append(
            f"FAIL [{ex.origin}] {rule}\n"
            f"  request:  {ex.method} {ex.url}\n"
            + (f"  request body: {request_body}\n" if request_body else "")
            + f"  response: {ex.status}\n{shown_headers}\n  body: {body}\n"
        )


def path_of(url: str) -> str:
    return urllib.parse.urlparse(url).path


def check_common(ex: Exchange, report: Report) -> None:
    """The rules every /api/ response must follow."""
    if not path_of(ex.url).startswith("/api/"):
        return
    report.checked += 1
    cache_control = ex.headers.get("cache-control", "")
    if "no-store" not in [d.strip().lower() for d in cache_control.split(",")]:
        report.fail(ex, f"Cache-Control must contain no-store, got {cache_control!r}")
    if ex.status == 429 and not ex.headers.get("retry-after", "").strip().isdigit():
        report.fail(ex, f"a 429 needs Retry-After in seconds, got {ex.headers.get('retry-after')!r}")
    if ex.status < 400 or ex.method == "HEAD":
        return
    content_type = ex.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/problem+json":
        report.fail(ex, f"an error must be application/problem+json, got {content_type!r}")
        return
    try:
        problem = json.loads(ex.body)
    except ValueError as err:
        report.fail(ex, f"problem+json body is not JSON: {err}")
        return
    if not isinstance(problem, dict):
        report.fail(ex, "problem+json body is not a JSON object")
        return
    for member, kind in (("type", str), ("title", str), ("status", int), ("code", str)):
        if not isinstance(problem.get(member), kind) or isinstance(problem.get(member), bool):
            report.fail(ex, f"problem member {member!r} missing or not a {kind.__name__}")
    if isinstance(problem.get("status"), int) and problem["status"] != ex.status:
        report.fail(ex, f"problem status {problem['status']} differs from the HTTP status {ex.status}")
    request_id = problem.get("request_id")
    if request_id is not None and request_id != ex.headers.get("x-request-id"):
        report.fail(ex, "problem request_id differs from the X-Request-Id header")


@dataclass
class Seen:
    """What the authenticated responses showed, to prove the rules were really exercised."""

    by_citizen: dict[str, int] = field(default_factory=dict)
    own_data_read: dict[str, int] = field(default_factory=dict)  # key -> 200s of GET /sessione naming them
    logouts: int = 0  # 204s of DELETE /sessione with Mario's logout token


def check_authenticated(ex: Exchange, citizens: list[Citizen], seen: Seen, report: Report) -> None:
    """Rules for a response to a request made with one citizen's token."""
    who = identity(ex, citizens)
    if who is None:
        return
    citizen, purpose = who
    seen.by_citizen[citizen.key] = seen.by_citizen.get(citizen.key, 0) + 1
    cache_control = ex.headers.get("cache-control", "")
    if "no-store" not in [d.strip().lower() for d in cache_control.split(",")]:
        report.fail(ex, f"an authenticated response (as {citizen.name}) must have Cache-Control: no-store, got {cache_control!r}")
    everything = ex.body + "\n" + "\n".join(ex.headers.values())
    for other in citizens:
        if other.key == citizen.key:
            continue
        leaked = mentions(everything, other)
        if leaked:
            report.fail(ex, f"a response to {citizen.name}'s token contains {other.name}'s data: {leaked}")
    path = path_of(ex.url)
    if ex.method == "GET" and path == SESSION and ex.status == 200 and len(mentions(ex.body, citizen)) == 2:
        seen.own_data_read[citizen.key] = seen.own_data_read.get(citizen.key, 0) + 1
    if ex.method == "DELETE" and path == SESSION and ex.status == 204 and purpose == "logout":
        seen.logouts += 1


def from_har(path: str) -> list[Exchange]:
    with open(path, encoding="utf-8") as f:
        har = json.load(f)
    out = []
    for entry in har["log"]["entries"]:
        req, resp = entry["request"], entry["response"]
        content = resp.get("content") or {}
        text = content.get("text") or ""
        if content.get("encoding") == "base64":
            text = base64.b64decode(text).decode("utf-8", "replace")
        out.append(
            Exchange(
                method=req["method"],
                url=req["url"],
                request_headers={h["name"]: h["value"] for h in req.get("headers", [])},
                request_body=(req.get("postData") or {}).get("text", ""),
                status=resp["status"],
                headers={h["name"].lower(): h["value"] for h in resp.get("headers", [])},
                body=text,
                origin="schemathesis",
            )
        )
    return out


def send(base: str, what: str, method: str, path: str, body: bytes | None = None, **headers: str) -> Exchange:
    """One probe request; HTTP errors are answers too, not exceptions."""
    request_headers = {k.replace("_", "-"): v for k, v in headers.items()}
    req = urllib.request.Request(base + path, data=body, method=method, headers=request_headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, resp_headers, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        status, resp_headers, raw = err.code, err.headers, err.read()
    return Exchange(
        method=method,
        url=base + path,
        request_headers=request_headers,
        request_body=(body or b"")[:300].decode("utf-8", "replace"),
        status=status,
        headers={k.lower(): v for k, v in resp_headers.items()},
        body=raw.decode("utf-8", "replace"),
        origin=f"probe: {what}",
    )


def send_expecting_continue(base: str, what: str, method: str, path: str, body: bytes, **headers: str) -> Exchange:
    """A probe with a large body, sent the way clients send one: headers first with
    `Expect: 100-continue`, the body only once the server asks for it. A server that refuses
    the body from its Content-Length answers at once and closes the connection; sending the
    body regardless (as urllib does) then races that close and fails with a broken pipe
    whenever the machine is busy."""
    request_headers = {k.replace("_", "-"): v for k, v in headers.items()}
    target = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in request_headers.items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.putheader("Expect", "100-continue")
        conn.endheaders()
        sock = conn.sock
        readable, _, _ = select.select([sock], [], [], 5)
        if not readable or sock.recv(12, socket.MSG_PEEK).startswith(b"HTTP/1.1 100"):
            if readable:
                interim = b""
                while not interim.endswith(b"\r\n\r\n"):
                    interim += sock.recv(1)
            conn.send(body)
        resp = conn.getresponse()
        status, resp_headers, raw = resp.status, resp.headers, resp.read()
    finally:
        conn.close()
    return Exchange(
        method=method,
        url=base + path,
        request_headers=request_headers,
        request_body=body[:300].decode("utf-8", "replace"),
        status=status,
        headers={k.lower(): v for k, v in resp_headers.items()},
        body=raw.decode("utf-8", "replace"),
        origin=f"probe: {what}",
    )


def expect_status(ex: Exchange, wanted: set[int] | range, report: Report) -> None:
    if ex.status not in wanted:
        shown = f"{wanted.start}-{wanted.stop - 1}" if isinstance(wanted, range) else sorted(wanted)
        report.fail(ex, f"expected status {shown}, got {ex.status}")


def probes(base: str, citizens: list[Citizen], report: Report) -> list[Exchange]:
    json_ct = {"Content_Type": "application/json"}
    done: list[Exchange] = []

    def probe(wanted: set[int] | range, what: str, method: str, path: str, body: bytes | None = None, **headers: str) -> Exchange:
        ex = send(base, what, method, path, body, **headers)
        expect_status(ex, wanted, report)
        done.append(ex)
        return ex

    doc = probe({200}, "the OpenAPI document", "GET", "/api/v1/openapi.json")
    try:
        version = json.loads(doc.body).get("openapi")
    except ValueError:
        version = None
    if version != "3.1.0":
        report.fail(doc, f"the document must declare openapi: 3.1.0, got {version!r}")

    probe({404}, "unknown API path", "GET", "/api/v1/non-esiste")
    probe({404}, "unknown API version", "GET", "/api/v2/stato")
    probe({405}, "undeclared method", "PUT", "/api/v1/stato")
    probe({405}, "undeclared method", "DELETE", REPORTS)
    probe({401}, "forged session cookie (demo name)", "GET", "/api/v1/sessione", Cookie="sportello=forged")
    probe({401}, "forged session cookie (secure name)", "GET", "/api/v1/sessione", Cookie="__Host-sportello=forged")
    probe({401}, "logout without a session", "DELETE", "/api/v1/sessione", Cookie="sportello=forged")
    probe({415}, "body that is not JSON", "POST", REPORTS, b"descrizione=ciao", Content_Type="text/plain")
    probe({400}, "malformed JSON", "POST", REPORTS, b'{"descrizione":', **json_ct)
    probe({422}, "JSON of the wrong type", "POST", REPORTS, b'{"descrizione": 42}', **json_ct)
    big = b'{"descrizione":"' + b"x" * MAX_BODY_BYTES + b'"}'
    ex = send_expecting_continue(base, "body over max_body_bytes", "POST", REPORTS, big, **json_ct)
    expect_status(ex, {413}, report)
    done.append(ex)

    # The document says the body is an object. serde's derived Deserialize also takes a
    # struct written as a JSON array (fields in declaration order), so this was stored (201).
    probe(range(400, 500), "JSON array instead of the documented object", "POST", REPORTS,
          b'["Il pulsante Invia non si raggiunge con la tastiera.", null, null]', **json_ct)
    # U+0000 is valid JSON, and SQLite stores it, but PostgreSQL text cannot hold it: this
    # was a 500 there. Any non-5xx answer is fine here (201, or a 422 that names the field).
    probe(range(200, 500), "U+0000 in the description", "POST", REPORTS,
          b'{"descrizione": "Il pulsante Invia\\u0000 non funziona."}', **json_ct)

    # Error titles follow Accept-Language (the document promises Italian or English).
    it = probe({404}, "error title in Italian", "GET", "/api/v1/non-esiste", Accept_Language="it")
    en = probe({404}, "error title in English", "GET", "/api/v1/non-esiste", Accept_Language="en")
    try:
        same = json.loads(it.body).get("title") == json.loads(en.body).get("title")
    except (ValueError, AttributeError):
        same = False  # already reported by check_common
    if same:
        report.fail(en, "the title with Accept-Language: en is the same as the Italian one")

    # As each citizen, with a token schemathesis never used: their own data, and only theirs
    # (the cross-citizen rule in check_authenticated applies to these too).
    for citizen in citizens:
        own = probe({200}, f"{citizen.name} reads the session", "GET", SESSION,
                    Authorization=f"Bearer {citizen.tokens['probes']}")
        missing = [what for what in (citizen.codice_fiscale, citizen.name) if what not in mentions(own.body, citizen)]
        if own.status == 200 and missing:
            report.fail(own, f"{citizen.name}'s own session does not show their {missing}")
        # A token is a credential of the app scheme only: the same value as a session cookie is nothing.
        probe({401}, f"{citizen.name}'s bearer token sent as a cookie", "GET", SESSION,
              Cookie=f"sportello={citizen.tokens['probes']}")
    mario = next(c for c in citizens if c.key == "mario")
    # The logout run ended this token: it must be refused now, everywhere.
    probe({401}, "Mario's token after DELETE /api/v1/sessione", "GET", SESSION,
          Authorization=f"Bearer {mario.tokens['logout']}")
    probe({401}, "Mario's token after DELETE /api/v1/sessione, logout again", "DELETE", SESSION,
          Authorization=f"Bearer {mario.tokens['logout']}")
    # After the fuzzing of POST /api/v1/auth/pin (wrong PINs for Mario's codice fiscale, more
    # than 60 attempts a minute) his right PIN gets in or gets a documented 429 with
    # Retry-After (checked for every 429), never anything else.
    probe({201, 429}, "Mario's right PIN after the fuzzing", "POST", PIN_LOGIN,
          json.dumps({"codice_fiscale": mario.codice_fiscale, "pin": mario.pin}).encode(), **json_ct)
    return done




def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    base, citizens_path, har_paths = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3:]
    citizens = load_citizens(citizens_path)
    report = Report()
    seen = Seen()
    recorded = [ex for path in har_paths for ex in from_har(path)]
    # Everything schemathesis recorded, before the probes add more authenticated answers.
    for ex in recorded:
        check_common(ex, report)
        check_authenticated(ex, citizens, seen, report)
    recorded_seen = Seen(dict(seen.by_citizen), dict(seen.own_data_read), seen.logouts)
    probed = probes(base, citizens, report)
    for ex in probed:
        check_common(ex, report)
        check_authenticated(ex, citizens, seen, report)

    # The rules above hold trivially if nothing authenticated was tested: demand that it was.
    mario = next(c for c in citizens if c.key == "mario")
    if recorded_seen.own_data_read.get("mario", 0) == 0:
        report.failures.append(
            f"FAIL schemathesis never read {mario.name}'s own data with his token (no 200 from GET {SESSION} "
            "naming him): the authenticated run tested nothing behind the login (is the bearer token in "
            "schemathesis.toml [auth.openapi.app] still applied?)\n"
        )
    if recorded_seen.logouts != 1:
        report.failures.append(
            f"FAIL the logout run ended Mario's logout token {recorded_seen.logouts} times (expected exactly once: "
            f"204 from DELETE {SESSION}, then 401)\n"
        )
    for citizen in citizens:
        if seen.own_data_read.get(citizen.key, 0) == 0:
            report.failures.append(f"FAIL {citizen.name}'s token never read their own data\n")

    for failure in report.failures:
        print(failure)
    auth_statuses: dict[int, int] = {}
    for ex in recorded:
        if path_of(ex.url) == PIN_LOGIN:
            auth_statuses[ex.status] = auth_statuses.get(ex.status, 0) + 1
    print(
        f"check_responses: {report.checked} API responses checked "
        f"({len(recorded)} recorded by schemathesis, {len(probed)} probes); authenticated: "
        + ", ".join(f"{c.name} {seen.by_citizen.get(c.key, 0)}" for c in citizens)
        + f"; POST {PIN_LOGIN} statuses {dict(sorted(auth_statuses.items()))}: "
        + (f"{len(report.failures)} FAILURE(S)" if report.failures else "all rules hold")
    )
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
