-- Questions ("Risponde", "Scrivi alla sede"): the questions, their messages, attachments,
-- ratings and timeline, the canned answers of the knowledge base. The PostgreSQL file of the
-- same name must describe the same tables and columns.

-- Which sede serves which province (residence routing); NULL: matched by comune only.
ALTER TABLE sedi ADD COLUMN provincia TEXT;

-- Question numbers are gap-free per year: the counter moves in the transaction that inserts.
CREATE TABLE question_counters (
    year                BIGINT PRIMARY KEY,
    last                BIGINT NOT NULL
);

CREATE TABLE questions (
    id                  TEXT PRIMARY KEY,
    number              TEXT NOT NULL UNIQUE,      -- Q-2026-000123
    account_id          TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE, -- the citizen
    asked_by            TEXT NOT NULL,             -- who typed it: the citizen, a delegate, an intermediary
    topic               TEXT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('risponde', 'sede')),
    subject             TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('inviata', 'presa-in-carico', 'inoltrata',
                            'risposta', 'chiusa', 'riaperta')),
    sede_id             TEXT REFERENCES sedi (id), -- the competent sede (the working one when team = 'sede')
    team                TEXT NOT NULL CHECK (team IN ('contact-center', 'sede')),
    assigned_to         TEXT,
    application_ref     TEXT,
    due_at              BIGINT NOT NULL,
    answered_at         BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    merged_into         TEXT
);
CREATE INDEX questions_account ON questions (account_id, created_at);
CREATE INDEX questions_queue ON questions (team, sede_id, state, due_at);

CREATE TABLE question_messages (
    id                  TEXT PRIMARY KEY,
    question_id         TEXT NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    author_id           TEXT NOT NULL,
    author_role         TEXT NOT NULL,             -- cittadino, delegato, intermediario, contact-center, sede
    body                TEXT NOT NULL,
    internal            BIGINT NOT NULL DEFAULT 0, -- 1: staff note, never shown to the citizen
    created_at          BIGINT NOT NULL
);
CREATE INDEX question_messages_question ON question_messages (question_id, created_at);

CREATE TABLE question_attachments (
    id                  TEXT PRIMARY KEY,
    message_id          TEXT NOT NULL REFERENCES question_messages (id) ON DELETE CASCADE,
    file_key            TEXT NOT NULL,
    name                TEXT NOT NULL,
    mime                TEXT NOT NULL,
    size                BIGINT NOT NULL
);
CREATE INDEX question_attachments_message ON question_attachments (message_id);

-- One rating per question, after an answer.
CREATE TABLE question_ratings (
    question_id         TEXT PRIMARY KEY REFERENCES questions (id) ON DELETE CASCADE,
    velocita            BIGINT NOT NULL CHECK (velocita BETWEEN 1 AND 5),
    completezza         BIGINT NOT NULL CHECK (completezza BETWEEN 1 AND 5),
    chiarezza           BIGINT NOT NULL CHECK (chiarezza BETWEEN 1 AND 5),
    utilita             BIGINT NOT NULL CHECK (utilita BETWEEN 1 AND 5),
    risolto             BIGINT NOT NULL CHECK (risolto IN (0, 1)),
    created_at          BIGINT NOT NULL
);

-- The knowledge base: reusable answers per topic.
CREATE TABLE canned_answers (
    id                  TEXT PRIMARY KEY,
    topic               TEXT NOT NULL,
    title               TEXT NOT NULL,
    body                TEXT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX canned_answers_topic ON canned_answers (topic, title);

-- The timeline the citizen sees (internal notes are not in it).
CREATE TABLE question_events (
    id                  TEXT PRIMARY KEY,
    question_id         TEXT NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    at                  BIGINT NOT NULL,
    kind                TEXT NOT NULL,
    detail              TEXT NOT NULL
);
CREATE INDEX question_events_question ON question_events (question_id, at);
