-- Online applications (domande telematiche): the forms they are filled in on, every version
-- kept; the applications with their answers, state, protocol number and who filed them; the
-- timeline, the office's internal notes, the attached files. The PostgreSQL file of the same
-- name must describe the same tables and columns.

-- Every version of every form definition ever loaded: an application always shows the form
-- it was filed with. A file whose content changes must raise its version.
CREATE TABLE form_versions (
    code                TEXT NOT NULL,
    version             BIGINT NOT NULL,
    file_name           TEXT NOT NULL,
    source              TEXT NOT NULL,             -- the TOML file as loaded
    digest              TEXT NOT NULL,             -- SHA-256 of source
    loaded_at           BIGINT NOT NULL,
    loaded_by           TEXT,                      -- account of who loaded it; NULL: the command line
    PRIMARY KEY (code, version)
);

-- Bumped by every load, so each node knows when to reload its forms.
CREATE TABLE forms_state (
    id                  BIGINT PRIMARY KEY CHECK (id = 1),
    revision            BIGINT NOT NULL
);
INSERT INTO forms_state (id, revision) VALUES (1, 0);

-- Protocol numbers are gap-free per institution and year across every node: the counter
-- moves in the transaction that files the application.
CREATE TABLE protocol_counters (
    ente                TEXT NOT NULL,
    year                BIGINT NOT NULL,
    last                BIGINT NOT NULL,
    PRIMARY KEY (ente, year)
);

CREATE TABLE domande (
    id                  TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE, -- the citizen
    form_code           TEXT NOT NULL,
    form_version        BIGINT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('bozza', 'presentata', 'in-istruttoria',
                            'richiesta-integrazione', 'integrata', 'accolta', 'respinta', 'ritirata')),
    answers             TEXT NOT NULL,             -- JSON object: field id -> canonical value
    step                BIGINT NOT NULL,           -- the furthest step saved (0-based)
    created_by          TEXT NOT NULL,             -- account that opened the draft (citizen or acting person)
    create_key          TEXT,                      -- the client's idempotency key for the creation
    protocol            TEXT UNIQUE,               -- INPS.RM-001.2026.00000042, once filed
    verify_code         TEXT,                      -- printed in the receipt's QR code; proves a receipt genuine
    sede_id             TEXT REFERENCES sedi (id), -- the competent sede, once filed
    submitted_at        BIGINT,
    submitted_by        TEXT,                      -- account that filed it
    submitted_as        TEXT CHECK (submitted_as IN ('cittadino', 'delegato', 'intermediario', 'operatore-pue')),
    submitted_by_name   TEXT,
    appeal_of           TEXT REFERENCES domande (id), -- a ricorso: the rejected application it contests
    assigned_to         TEXT,                      -- staff account handling it
    decision_reason     TEXT,
    decided_at          BIGINT,
    integration_due     TEXT,                      -- ISO date: deadline of the open request for documents
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    revision            BIGINT NOT NULL            -- +1 on every change: a stale write is a conflict
);
-- NULL keys are distinct in both databases: only keyed creations are deduplicated.
CREATE UNIQUE INDEX domande_create_key ON domande (account_id, create_key);
CREATE INDEX domande_account ON domande (account_id, created_at);
CREATE INDEX domande_queue ON domande (sede_id, state, submitted_at);
CREATE INDEX domande_appeal ON domande (appeal_of);

-- The timeline the citizen sees ("stato domanda"): one row per state reached.
CREATE TABLE domanda_events (
    id                  TEXT PRIMARY KEY,
    domanda_id          TEXT NOT NULL REFERENCES domande (id) ON DELETE CASCADE,
    at                  BIGINT NOT NULL,
    state               TEXT NOT NULL,
    actor_id            TEXT,
    actor_role          TEXT NOT NULL,             -- cittadino, delegato, intermediario, operatore-pue, sede
    note                TEXT                       -- what the citizen is told: a reason, what to send
);
CREATE INDEX domanda_events_domanda ON domanda_events (domanda_id, at);

-- The office's notes: never shown to the citizen.
CREATE TABLE domanda_notes (
    id                  TEXT PRIMARY KEY,
    domanda_id          TEXT NOT NULL REFERENCES domande (id) ON DELETE CASCADE,
    author_id           TEXT NOT NULL,
    body                TEXT NOT NULL,
    created_at          BIGINT NOT NULL
);
CREATE INDEX domanda_notes_domanda ON domanda_notes (domanda_id, created_at);

-- Files attached to an application (answers of `allegato` fields, documents sent on request).
CREATE TABLE domanda_attachments (
    id                  TEXT PRIMARY KEY,
    domanda_id          TEXT NOT NULL REFERENCES domande (id) ON DELETE CASCADE,
    field               TEXT NOT NULL,             -- the form field, or 'integrazione'
    file_key            TEXT NOT NULL,
    name                TEXT NOT NULL,
    mime                TEXT NOT NULL,
    size                BIGINT NOT NULL,
    sha256              TEXT NOT NULL,
    uploaded_by         TEXT NOT NULL,
    created_at          BIGINT NOT NULL
);
CREATE INDEX domanda_attachments_domanda ON domanda_attachments (domanda_id);
