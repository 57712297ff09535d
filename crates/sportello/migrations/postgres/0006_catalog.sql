-- The catalogue: public pages (service cards, news, calls, scam alerts, video tutorials) with
-- their versions, the search synonyms, searches that found nothing, and page feedback. The
-- PostgreSQL file of the same name must describe the same tables and columns.

-- One public page. What the public sees is `live_version`, or `scheduled_version` from
-- `publish_at` on; nothing from `unpublish_at` on. Every node computes this from the clock,
-- so a scheduled change needs no job.
CREATE TABLE contents (
    id                  TEXT PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('servizio', 'notizia', 'bando', 'avviso', 'video')),
    slug                TEXT NOT NULL,
    live_version        BIGINT,
    scheduled_version   BIGINT,
    publish_at          BIGINT,
    unpublish_at        BIGINT,
    review_by           TEXT,           -- YYYY-MM-DD: when the text must be checked again
    popularity          BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    UNIQUE (kind, slug)
);

-- Every saved text of a page; never changed, so any version can be compared and restored.
CREATE TABLE content_versions (
    content_id          TEXT NOT NULL REFERENCES contents (id),
    number              BIGINT NOT NULL,
    body                TEXT NOT NULL,  -- JSON of the page's content
    author_id           TEXT,           -- staff account; NULL for imported files
    note                TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    PRIMARY KEY (content_id, number)
);

-- One row. `revision` grows with every change to what the public may see; each node polls it
-- and rebuilds its pages and search index when it moves.
CREATE TABLE catalog_state (
    id                  BIGINT PRIMARY KEY CHECK (id = 1),
    revision            BIGINT NOT NULL,
    synonyms            TEXT NOT NULL
);
INSERT INTO catalog_state (id, revision, synonyms) VALUES (1, 1, '');

-- Searches with no results, for editors (never with personal data: see catalog::text).
CREATE TABLE search_misses (
    query               TEXT PRIMARY KEY,
    count               BIGINT NOT NULL,
    first_seen          BIGINT NOT NULL,
    last_seen           BIGINT NOT NULL
);

-- "Aiutaci a migliorare questa pagina": one answer. Ratings are 1–5 or NULL (not given).
CREATE TABLE page_feedback (
    id                  TEXT PRIMARY KEY,
    path                TEXT NOT NULL,
    found               TEXT CHECK (found IN ('si', 'in-parte', 'no')),
    clear               BIGINT CHECK (clear BETWEEN 1 AND 5),
    complete            BIGINT CHECK (complete BETWEEN 1 AND 5),
    up_to_date          BIGINT CHECK (up_to_date BETWEEN 1 AND 5),
    easy_to_find        BIGINT CHECK (easy_to_find BETWEEN 1 AND 5),
    aspect              TEXT,           -- the modello Comuni widget's follow-up answer
    comment             TEXT,           -- with personal data masked
    created_at          BIGINT NOT NULL
);
CREATE INDEX page_feedback_by_time ON page_feedback (created_at);
