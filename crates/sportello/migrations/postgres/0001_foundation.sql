-- Foundation schema. The SQLite file of the same name must describe the same tables and
-- columns (a test compares them). Instants are BIGINT milliseconds since the Unix epoch in
-- both databases: portable, sortable, and free of time-zone surprises.

CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    codice_fiscale  TEXT UNIQUE,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('cittadino', 'operatore', 'amministratore')),
    created_at      BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash      TEXT PRIMARY KEY,   -- SHA-256 of the cookie value; the value itself is never stored
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    last_seen_at    BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL     -- absolute expiry; idle expiry is last_seen_at + idle
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE jobs (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts        INTEGER NOT NULL,
    max_attempts    INTEGER NOT NULL,
    run_at          BIGINT NOT NULL,
    locked_by       TEXT,
    locked_until    BIGINT,
    last_error      TEXT,
    dedupe_key      TEXT UNIQUE,        -- enqueueing the same key twice is a no-op
    created_at      BIGINT NOT NULL,
    finished_at     BIGINT
);
CREATE INDEX jobs_due ON jobs (state, run_at);

CREATE TABLE leases (
    name            TEXT PRIMARY KEY,
    holder          TEXT NOT NULL,
    expires_at      BIGINT NOT NULL
);
