-- The online mailbox (cassetta postale): every letter the institute sends a citizen, kept as
-- a PDF in the file store with its subject, date, sender office and read state. The
-- PostgreSQL and SQLite files of the same name must describe the same tables and columns.

CREATE TABLE mailbox_messages (
    id              TEXT PRIMARY KEY,   -- uuid v7
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    kind            TEXT NOT NULL CHECK (kind IN ('decisione', 'richiesta-documenti',
                        'avviso-pagamento', 'pin', 'risposta', 'comunicazione')),
    subject         TEXT NOT NULL,
    sender_office   TEXT NOT NULL,
    reference       TEXT,
    file_key        TEXT NOT NULL,      -- the PDF in the file store
    size_bytes      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    read_at         BIGINT              -- first opened (by the citizen or someone acting for them)
);
-- The list is read newest first, one citizen at a time, with keyset pagination on (created_at, id).
CREATE INDEX mailbox_messages_account_created ON mailbox_messages (account_id, created_at, id);
-- The header's "new" badge counts these on every page a citizen sees.
CREATE INDEX mailbox_messages_unread ON mailbox_messages (account_id) WHERE read_at IS NULL;
