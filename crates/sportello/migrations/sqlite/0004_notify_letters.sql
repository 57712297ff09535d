-- Delivery channels: outgoing emails and SMS (an outbox the jobs work through) and printed
-- letters gathered in print batches. The PostgreSQL file of the same name must describe the
-- same tables and columns.

-- One outgoing email or SMS. `content` (JSON: subject, text) is cleared once the message is
-- sent or has failed for good, so secrets such as half a PIN do not linger in the database.
CREATE TABLE notify_outbox (
    id              TEXT PRIMARY KEY,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       TEXT NOT NULL,
    content         TEXT,
    state           TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    finished_at     BIGINT
);

-- Letters are printed in batches: there is at most one open batch, which every new letter
-- joins; staff close it and download one merged PDF.
CREATE TABLE print_batches (
    id              TEXT PRIMARY KEY,
    state           TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    letter_count    INTEGER NOT NULL,
    created_at      BIGINT NOT NULL,
    closed_at       BIGINT,
    closed_by       TEXT,               -- account id, or 'cli' for `sportello letters export`
    pdf_key         TEXT,               -- merged PDF in the file store, set when closed
    manifest_key    TEXT,               -- CSV manifest in the file store, set when closed
    downloaded_at   BIGINT,             -- last download
    downloaded_by   TEXT,               -- account id (or 'cli') of the last download
    download_count  INTEGER NOT NULL
);
CREATE UNIQUE INDEX print_batches_one_open ON print_batches (state) WHERE state = 'open';

CREATE TABLE letters (
    id              TEXT PRIMARY KEY,
    batch_id        TEXT NOT NULL REFERENCES print_batches (id),
    account_id      TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    kind            TEXT NOT NULL,
    reference       TEXT NOT NULL,
    recipient_name  TEXT NOT NULL,
    recipient_cap   TEXT NOT NULL,
    recipient_comune TEXT NOT NULL,
    recipient_provincia TEXT NOT NULL,
    pdf_key         TEXT NOT NULL,      -- this letter alone, as a PDF
    content_key     TEXT NOT NULL,      -- its content (JSON), to render the batch's merged PDF
    created_at      BIGINT NOT NULL
);
CREATE INDEX letters_batch ON letters (batch_id, created_at);
