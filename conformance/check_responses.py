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
Cross-citizen probes, both ways (Mario's objects against Anna's token, Anna's against
Mario's): for every kind of object a citizen owns in the API (applications, a draft and, for
a citizen with a PIN dispositivo, a filed one with its receipt; questions; letters in the
mailbox; registered phones) the owner creates or picks one, then every operation on its id
with the other's token (read, change, file, withdraw, delete, receipt, reply, rate, PDF)
answers 404 exactly as for a random id that names nothing (same status, same problem
apart from `request_id`), the other's lists do not show it, and the owner's object is the
same afterwards (an unread letter stays unread). A setup that fails (the object could not
be created or read by its owner) fails the run: the attacks are never vacuous.
And so that these rules cannot hold just because nothing was tested: schemathesis must have
read Mario's own data with his token (a 200 from GET /api/v1/sessione naming him), must have
replayed some of Mario's reads with Anna's token (its object_level_authorization check), its
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
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
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
    pin_level: str = ""  # "dispositivo" (may file applications) or "ordinario"


def load_citizens(path: str) -> list[Citizen]:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return [
        Citizen(
            key=key,
            name=c["name"],
            codice_fiscale=c["codice_fiscale"],
            pin=c["pin"],
            tokens=dict(c["tokens"]),
            pin_level=c.get("pin_level", ""),
        )
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
    cross_citizen_probes(probe, citizens, report)
    return done

# ---------------------------------------------------------------------------------------------
# Cross-citizen probes: every object a citizen owns in the API is out of the other's reach.

# A one-step form with no attachment, so a complete application can be filed in one call.
FORM = "certificato-residenza"
FORM_ANSWERS = {"intestatario": "se-stesso", "uso": "esente", "motivo_esenzione": "Uso scolastico",
                "copie": 1, "email": "prova@example.org"}
# What the other citizen tries to save in step 1: complete and valid, so only the ownership check
# stands between it and a 200.
FORM_ATTACK_ANSWERS = {**FORM_ANSWERS, "copie": 5, "motivo_esenzione": "Cambiato da un altro cittadino"}
REPLY = {"testo": "Messaggio scritto con le credenziali di un altro cittadino."}
RATING = {"velocita": 1, "completezza": 1, "chiarezza": 1, "utilita": 1, "risolto": True}
LETTER_WAIT_S = 10.0  # the acknowledgement of a question reaches the mailbox through a job


def json_of(ex: Exchange) -> object:
    try:
        return json.loads(ex.body)
    except ValueError:
        return None


def problem_shape(ex: Exchange) -> tuple[str, object]:
    """What a refusal says, without what differs on every request (`request_id`)."""
    body = json_of(ex)
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "request_id"}
    return ex.headers.get("content-type", "").split(";")[0].strip().lower(), body


def ids_in(body: object) -> set[str]:
    """Every `id` in a list answer (a JSON array of objects, or `{"messaggi": [...]}`)."""
    if isinstance(body, dict):
        body = body.get("messaggi")
    return {item["id"] for item in body or [] if isinstance(item, dict) and "id" in item} if isinstance(body, list) else set()


def entry_with(body: object, object_id: str) -> dict | None:
    if isinstance(body, dict):
        body = body.get("messaggi")
    if isinstance(body, list):
        for item in body:
            if isinstance(item, dict) and item.get("id") == object_id:
                return item
    return None


def random_id() -> str:
    """A well-formed id that names nothing (the server's ids are UUIDs)."""
    return str(uuid.uuid4())


@dataclass
class CrossCitizen:
    """The probes of one owner's objects against the other citizen's token."""

    probe: Callable[..., Exchange]
    report: Report
    owner: Citizen
    other: Citizen
    attacks: int = 0  # attack requests sent (each also sent with a random id)

    def as_owner(self, wanted: set[int] | range, what: str, method: str, path: str, body: object = None) -> Exchange:
        return self._send(self.owner, wanted, f"{self.owner.name} {what}", method, path, body)

    def as_other(self, wanted: set[int] | range, what: str, method: str, path: str, body: object = None) -> Exchange:
        return self._send(self.other, wanted, f"{self.other.name} {what}", method, path, body)

    def _send(self, who: Citizen, wanted: set[int] | range, what: str, method: str, path: str, body: object) -> Exchange:
        headers = {"Authorization": f"Bearer {who.tokens['probes']}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content_Type"] = "application/json"
        return self.probe(wanted, what, method, path, data, **headers)

    def attack(self, what: str, method: str, template: str, object_id: str, body: object = None) -> None:
        """The other citizen's request on the owner's object: 404, exactly like a nonexistent id."""
        self.attacks += 1
        ex = self.as_other({404}, f"{what} of {self.owner.name}'s", method, template.format(id=object_id), body)
        control = self.as_other({404}, f"{what} of a nonexistent id", method, template.format(id=random_id()), body)
        # A status other than 404 has already failed above; this catches a 404 that says more.
        if ex.status == control.status == 404 and problem_shape(ex) != problem_shape(control):
            self.report.fail(
                ex,
                f"{self.owner.name}'s object must be answered to {self.other.name} exactly like an id that does not "
                f"exist (the server never confirms that someone else's object exists); a random id got "
                f"{control.status} {problem_shape(control)}",
            )

    def not_listed(self, what: str, path: str, object_id: str) -> None:
        ex = self.as_other({200}, f"lists {what}", "GET", path)
        if ex.status == 200 and (object_id in ids_in(json_of(ex)) or object_id in ex.body):
            self.report.fail(ex, f"{self.other.name}'s list shows {self.owner.name}'s {what} {object_id}")

    def unchanged(self, what: str, after: Exchange, old: object, new: object) -> None:
        if old == new:
            return
        if new is None:
            change = "is gone"
        elif isinstance(old, dict) and isinstance(new, dict):
            change = f"changed: {sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))}"
        else:
            change = "changed"
        self.report.fail(
            after,
            f"{self.owner.name}'s {what} {change} after only {self.other.name} touched it; before: "
            f"{json.dumps(old, ensure_ascii=False)[:500]}",
        )

    def setup_failed(self, ex: Exchange, what: str) -> None:
        """A precondition the attacks need; its failure fails the run instead of leaving them vacuous."""
        self.report.fail(ex, f"precondition of the cross-citizen probes: {what}")

    # -- domande ------------------------------------------------------------------------------

    def domande(self) -> int:
        """Returns how many filed applications (with a receipt) were attacked."""
        targets = []
        draft = self.as_owner({201}, "opens a draft", "POST", "/api/v1/domande",
                              {"modulo": FORM, "risposte": FORM_ANSWERS})
        draft_body = json_of(draft)
        if draft.status == 201 and isinstance(draft_body, dict) and draft_body.get("stato") == "bozza":
            targets.append(draft_body["id"])
        else:
            self.setup_failed(draft, f"{self.owner.name} could not open a draft of {FORM} (no attacks on it)")
        filing = {"modulo": FORM, "risposte": FORM_ANSWERS, "invia": True}
        filed_id = None
        if self.owner.pin_level == "dispositivo":
            filed = self.as_owner({201}, "files an application", "POST", "/api/v1/domande", filing)
            filed_body = json_of(filed)
            if filed.status == 201 and isinstance(filed_body, dict) and filed_body.get("stato") == "presentata":
                filed_id = filed_body["id"]
                targets.append(filed_id)
                receipt = self.as_owner({200}, "downloads the receipt", "GET", f"/api/v1/domande/{filed_id}/ricevuta")
                if receipt.headers.get("content-type", "").split(";")[0].strip() != "application/pdf":
                    self.setup_failed(receipt, "the owner's receipt is not application/pdf")
            else:
                self.setup_failed(filed, f"{self.owner.name} (PIN dispositivo) could not file {FORM} (no attacks on it)")
        else:
            # An ordinary PIN reads but does not file: this citizen's side has drafts only.
            refused = self.as_owner({403}, "(ordinary PIN) tries to file", "POST", "/api/v1/domande", filing)
            code = body.get("code") if isinstance(body := json_of(refused), dict) else None
            if refused.status == 403 and code != "pin-dispositivo-richiesto":
                self.report.fail(refused, f"filing with an ordinary PIN must be refused as pin-dispositivo-richiesto, got {code!r}")

        for object_id in targets:
            path = f"/api/v1/domande/{object_id}"
            before = self.as_owner({200}, "reads the application", "GET", path)
            if before.status != 200:
                self.setup_failed(before, f"{self.owner.name} cannot read their own application {object_id} (no attacks on it)")
                continue
            self.attack("GET", "GET", "/api/v1/domande/{id}", object_id)
            self.attack("PUT step 1", "PUT", "/api/v1/domande/{id}/passi/1", object_id, {"risposte": FORM_ATTACK_ANSWERS})
            self.attack("filing", "POST", "/api/v1/domande/{id}/invio", object_id)
            self.attack("withdrawal", "POST", "/api/v1/domande/{id}/ritiro", object_id)
            self.attack("DELETE", "DELETE", "/api/v1/domande/{id}", object_id)
            self.attack("receipt", "GET", "/api/v1/domande/{id}/ricevuta", object_id)
            self.not_listed("application", "/api/v1/domande", object_id)
            after = self.as_owner({200}, "reads the application again", "GET", path)
            self.unchanged("application", after, json_of(before), json_of(after))
        if targets and targets[0] != filed_id:
            # The draft is the owner's to delete: the DELETE refused above was not refused for being impossible.
            self.as_owner({204}, "deletes the draft", "DELETE", f"/api/v1/domande/{targets[0]}")
        return 1 if filed_id else 0

    # -- quesiti ------------------------------------------------------------------------------

    def quesiti(self) -> None:
        asked = self.as_owner({201}, "asks a question", "POST", "/api/v1/quesiti", {
            "argomento": "pensioni",
            "oggetto": "Prova di conformità",
            "testo": "Domanda di prova scritta dai controlli di conformità dell'API.",
        })
        asked_body = json_of(asked)
        if asked.status != 201 or not isinstance(asked_body, dict) or "id" not in asked_body:
            self.setup_failed(asked, f"{self.owner.name} could not ask a question (no attacks on questions)")
            return
        targets = [asked_body["id"]]
        # An answered question too, if the owner has one (the demo gives Anna one): there a
        # rating would be accepted (201) if the ownership check were missing.
        mine = self.as_owner({200}, "lists their questions", "GET", "/api/v1/quesiti")
        answered = [q["id"] for q in json_of(mine) or [] if isinstance(q, dict) and q.get("stato") == "risposta"]
        targets += answered[:1]
        for object_id in targets:
            path = f"/api/v1/quesiti/{object_id}"
            before = self.as_owner({200}, "reads the question", "GET", path)
            if before.status != 200:
                self.setup_failed(before, f"{self.owner.name} cannot read their own question {object_id} (no attacks on it)")
                continue
            self.attack("GET", "GET", "/api/v1/quesiti/{id}", object_id)
            self.attack("reply", "POST", "/api/v1/quesiti/{id}/messaggi", object_id, REPLY)
            self.attack("rating", "POST", "/api/v1/quesiti/{id}/valutazione", object_id, RATING)
            self.not_listed("question", "/api/v1/quesiti", object_id)
            after = self.as_owner({200}, "reads the question again", "GET", path)
            self.unchanged("question", after, json_of(before), json_of(after))

    # -- cassetta -----------------------------------------------------------------------------

    def cassetta(self) -> None:
        # An unread letter, so that "reading it does not mark it read" can be seen. Asking a
        # question (above) puts an unread acknowledgement in the owner's mailbox, through a job.
        deadline = time.monotonic() + LETTER_WAIT_S
        while True:
            unread = self.as_owner({200}, "lists their unread letters", "GET", "/api/v1/cassetta?stato=da-leggere")
            body = json_of(unread)
            letters = body.get("messaggi") if isinstance(body, dict) else None
            if letters or unread.status != 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if not letters:
            self.setup_failed(unread, f"no unread letter in {self.owner.name}'s mailbox within {LETTER_WAIT_S:.0f} s (no attacks on letters)")
            return
        letter = letters[0]
        object_id = letter["id"]
        self.attack("GET", "GET", "/api/v1/cassetta/{id}", object_id)
        self.attack("PDF", "GET", "/api/v1/cassetta/{id}/pdf", object_id)
        # The other's search for the letter's reference (or subject) finds nothing; the owner's finds it.
        words = letter.get("riferimento") or letter.get("oggetto") or ""
        search = "/api/v1/cassetta?q=" + urllib.parse.quote(words[:100])
        self.not_listed("letter", search, object_id)
        found = self.as_owner({200}, "searches their mailbox", "GET", search)
        if object_id not in ids_in(json_of(found)):
            self.setup_failed(found, f"the owner's own search for {words!r} does not find the letter")
        after = self.as_owner({200}, "lists their unread letters again", "GET", "/api/v1/cassetta?stato=da-leggere")
        self.unchanged("unread letter (in the unread list)", after, letter, entry_with(json_of(after), object_id))
        # The id is real and the owner's: the PDF downloads and opening it works (and marks it read).
        pdf = self.as_owner({200}, "downloads the letter", "GET", f"/api/v1/cassetta/{object_id}/pdf")
        if pdf.status == 200 and pdf.headers.get("content-type", "").split(";")[0].strip() != "application/pdf":
            self.setup_failed(pdf, "the owner's letter PDF is not application/pdf")
        opened = self.as_owner({200}, "opens the letter", "GET", f"/api/v1/cassetta/{object_id}")
        if opened.status == 200 and (json_of(opened) or {}).get("letto") is not True:
            self.report.fail(opened, "a letter its owner opened must be letto: true")

    # -- dispositivi --------------------------------------------------------------------------

    def dispositivi(self) -> None:
        registered = self.as_owner({201}, "registers a phone", "POST", "/api/v1/dispositivi", {
            "token": f"conformance-{self.owner.key}-{random_id()}",
            "piattaforma": "android",
            "etichetta": f"Telefono di prova ({self.owner.key})",
        })
        body = json_of(registered)
        if registered.status != 201 or not isinstance(body, dict) or "id" not in body:
            self.setup_failed(registered, f"{self.owner.name} could not register a phone (no attacks on phones)")
            return
        object_id = body["id"]
        before = self.as_owner({200}, "lists their phones", "GET", "/api/v1/dispositivi")
        old = entry_with(json_of(before), object_id)
        if old is None:
            self.setup_failed(before, f"the phone {object_id} just registered is not in {self.owner.name}'s list (no attacks on it)")
            return
        self.attack("DELETE", "DELETE", "/api/v1/dispositivi/{id}", object_id)
        self.not_listed("phone", "/api/v1/dispositivi", object_id)
        after = self.as_owner({200}, "lists their phones again", "GET", "/api/v1/dispositivi")
        self.unchanged("phone", after, old, entry_with(json_of(after), object_id))
        # The owner may remove it: the refused DELETE was refused for being someone else's.
        self.as_owner({204}, "removes the phone", "DELETE", f"/api/v1/dispositivi/{object_id}")


def cross_citizen_probes(probe: Callable[..., Exchange], citizens: list[Citizen], report: Report) -> None:
    """Each citizen's objects (applications, questions, letters, phones) against the other's token."""
    filed = 0
    attacks = 0
    for owner in citizens:
        for other in citizens:
            if other.key == owner.key:
                continue
            cross = CrossCitizen(probe, report, owner, other)
            filed += cross.domande()
            cross.quesiti()
            cross.cassetta()
            cross.dispositivi()
            attacks += cross.attacks
    if filed == 0:
        report.failures.append(
            "FAIL no citizen with a PIN dispositivo filed an application in the cross-citizen probes, so no "
            "receipt was attacked (is one of the demo citizens still on a PIN dispositivo?)\n"
        )
    print(f"cross-citizen probes: {attacks} attacks on the other citizen's objects, each compared with a "
          f"nonexistent id; {filed} filed application(s) among the targets", file=sys.stderr)


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
    # object_level_authorization replays Mario's reads with Anna's token (the only way her token
    # gets into schemathesis' requests): none means the check did not run.
    anna = next(c for c in citizens if c.key == "anna")
    if recorded_seen.by_citizen.get("anna", 0) == 0:
        report.failures.append(
            f"FAIL schemathesis never sent a request with {anna.name}'s token: object_level_authorization did not "
            "replay any of Mario's reads as her (are `peers` still set under [auth.wfc] in schemathesis.toml, and "
            "does the fuzzing still read objects Mario created?)\n"
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
