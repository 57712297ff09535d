-- Notifications: each citizen's chosen channels and language, the app's push devices, and
-- the outbox opened to a third channel (push). The PostgreSQL file of the same name must
-- describe the same tables and columns. Booleans are BIGINT 0/1 (the same on both backends).

-- No row: email if an address is on file, messages in Italian (see notify::preferences).
CREATE TABLE notification_preferences (
    account_id      TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    email           BIGINT NOT NULL CHECK (email IN (0, 1)),
    sms             BIGINT NOT NULL CHECK (sms IN (0, 1)),
    push            BIGINT NOT NULL CHECK (push IN (0, 1)),
    lang            TEXT NOT NULL CHECK (lang IN ('it', 'en')),
    updated_at      BIGINT NOT NULL
);

-- A phone with the app: the token its push service gave it. A token belongs to one account
-- (registering it again moves it).
CREATE TABLE push_devices (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token           TEXT NOT NULL UNIQUE,
    platform        TEXT NOT NULL CHECK (platform IN ('android', 'ios')),
    label           TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    last_used_at    BIGINT
);
CREATE INDEX push_devices_account ON push_devices (account_id);

-- The outbox takes push messages too. SQLite cannot change a CHECK constraint: the table is
-- rebuilt (same columns, same order) and its rows copied.
CREATE TABLE notify_outbox_new (
    id              TEXT PRIMARY KEY,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'push')),
    recipient       TEXT NOT NULL,
    content         TEXT,
    state           TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    finished_at     BIGINT
);
INSERT INTO notify_outbox_new (id, channel, recipient, content, state, last_error, created_at, finished_at)
     SELECT id, channel, recipient, content, state, last_error, created_at, finished_at FROM notify_outbox;
DROP TABLE notify_outbox;
ALTER TABLE notify_outbox_new RENAME TO notify_outbox;
-- The staff's dead-letter page lists failed messages, newest first.
CREATE INDEX notify_outbox_state ON notify_outbox (state, created_at);
