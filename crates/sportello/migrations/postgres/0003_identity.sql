-- Identity and access. The SQLite file of the same name must describe the same tables and
-- columns (a test compares them).

ALTER TABLE accounts DROP CONSTRAINT accounts_role_check;
UPDATE accounts SET role = 'operatore_sede' WHERE role = 'operatore';
ALTER TABLE accounts ADD CONSTRAINT accounts_role_check CHECK (role IN ('cittadino', 'intermediario',
    'operatore_contact_center', 'operatore_sede', 'operatore_pue', 'redattore', 'amministratore'));
ALTER TABLE accounts ADD COLUMN sede_id TEXT;
ALTER TABLE accounts ADD COLUMN disabled_at BIGINT;

ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'browser' CHECK (kind IN ('browser', 'app'));
ALTER TABLE sessions ADD COLUMN label TEXT;
ALTER TABLE sessions ADD COLUMN auth_method TEXT NOT NULL DEFAULT 'pin';
ALTER TABLE sessions ADD COLUMN auth_level TEXT NOT NULL DEFAULT 'ordinario';
ALTER TABLE sessions ADD COLUMN acting_for TEXT;
ALTER TABLE sessions ADD COLUMN acting_basis TEXT;

CREATE TABLE sedi (
    id              TEXT PRIMARY KEY,
    codice          TEXT NOT NULL UNIQUE,
    nome            TEXT NOT NULL,
    comune          TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);

-- What a citizen told us at registration. The codice fiscale stays on `accounts`.
CREATE TABLE citizen_profiles (
    account_id          TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    given_name          TEXT NOT NULL,
    surname             TEXT NOT NULL,
    birth_date          TEXT NOT NULL,      -- ISO 8601 date
    birthplace_code     TEXT NOT NULL,      -- Belfiore code
    email               TEXT,
    mobile              TEXT,               -- E.164
    address_street      TEXT NOT NULL,
    address_cap         TEXT NOT NULL,
    address_comune      TEXT NOT NULL,
    address_provincia   TEXT NOT NULL,
    updated_at          BIGINT NOT NULL
);

-- A PIN: 16 machine-generated characters, issued in two halves. Only a keyed hash is kept.
CREATE TABLE pins (
    id                  TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    secret_hash         TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('da_attivare', 'attivo', 'revocato')),
    level               TEXT NOT NULL CHECK (level IN ('ordinario', 'dispositivo')),
    channel             TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'telefono')),
    requested_by        TEXT,               -- operator or procuratore who asked for it; NULL: the citizen
    issued_at           BIGINT NOT NULL,
    activate_by         BIGINT NOT NULL,    -- the halves are void after this instant
    activated_at        BIGINT,
    expires_at          BIGINT,             -- set at activation
    revoked_at          BIGINT,
    failed_attempts     BIGINT NOT NULL DEFAULT 0,
    locked_until        BIGINT,
    upgraded_at         BIGINT,
    upgraded_by         TEXT
);
-- At most one PIN in use (or waiting for activation) per person.
CREATE UNIQUE INDEX pins_one_live ON pins (account_id) WHERE state IN ('da_attivare', 'attivo');

-- Staff log in with a username, a password (argon2id) and a TOTP code.
CREATE TABLE staff_credentials (
    account_id          TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    username            TEXT NOT NULL UNIQUE,
    password_hash       TEXT NOT NULL,
    totp_secret         TEXT NOT NULL,      -- base32
    totp_last_step      BIGINT NOT NULL DEFAULT 0,  -- a code is accepted once
    failed_attempts     BIGINT NOT NULL DEFAULT 0,
    locked_until        BIGINT
);

-- Delega dell'identità digitale: one trusted adult acts for a citizen within a window.
CREATE TABLE deleghe (
    id                  TEXT PRIMARY KEY,
    citizen_id          TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    delegate_id         TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    starts_at           BIGINT NOT NULL,
    ends_at             BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    created_by          TEXT NOT NULL,      -- the citizen, or the desk operator who recorded consent
    consent_note        TEXT,
    revoked_at          BIGINT,
    revoked_by          TEXT
);
CREATE INDEX deleghe_citizen ON deleghe (citizen_id);
CREATE INDEX deleghe_delegate ON deleghe (delegate_id);

-- An intermediary's mandate (patronato, professional): per citizen, per service, with expiry.
CREATE TABLE mandati (
    id                  TEXT PRIMARY KEY,
    citizen_id          TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    intermediary_id     TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    service             TEXT NOT NULL,      -- a service code, or '*' for every service
    starts_at           BIGINT NOT NULL,
    ends_at             BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    created_by          TEXT NOT NULL,
    revoked_at          BIGINT,
    revoked_by          TEXT
);
CREATE INDEX mandati_citizen ON mandati (citizen_id);
CREATE INDEX mandati_intermediary ON mandati (intermediary_id);

-- Append-only, hash-chained audit log: each entry carries the hash of the one before.
CREATE TABLE audit_log (
    seq                 BIGINT PRIMARY KEY,
    at                  BIGINT NOT NULL,
    actor_id            TEXT,               -- who did it (NULL: anonymous or the system)
    subject_id          TEXT,               -- whose data it touched
    action              TEXT NOT NULL,
    detail              TEXT NOT NULL,      -- JSON object
    prev_hash           TEXT NOT NULL,
    hash                TEXT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject_id, seq);
CREATE INDEX audit_log_actor ON audit_log (actor_id, seq);

-- The chain's head: one row, locked by each append so that entries form a single line.
CREATE TABLE audit_head (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    seq                 BIGINT NOT NULL,
    hash                TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Fixed-window counters shared by every node (abuse limits).
CREATE TABLE rate_limits (
    key                 TEXT PRIMARY KEY,
    window_start        BIGINT NOT NULL,
    hits                BIGINT NOT NULL
);

-- Secrets every node must share (the PIN hashing key when none is configured).
CREATE TABLE server_secrets (
    name                TEXT PRIMARY KEY,
    value               TEXT NOT NULL,
    created_at          BIGINT NOT NULL
);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
