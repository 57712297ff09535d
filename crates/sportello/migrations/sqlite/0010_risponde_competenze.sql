-- Which topics each sede handles, and for which provinces: questions are routed by topic and
-- the citizen's residence. `*` stands for any topic or any province; a row with both `*` makes
-- that sede the national default. The PostgreSQL file of the same name must match.
CREATE TABLE sede_competenze (
    id                  TEXT PRIMARY KEY,
    sede_id             TEXT NOT NULL REFERENCES sedi (id) ON DELETE CASCADE,
    topic               TEXT NOT NULL,             -- a topic code, or '*'
    provincia           TEXT NOT NULL,             -- two capital letters, or '*'
    created_at          BIGINT NOT NULL,
    UNIQUE (sede_id, topic, provincia)
);

CREATE INDEX sede_competenze_by_topic ON sede_competenze (topic, provincia);
