-- Assistance at the desk (Punto Utente Evoluto): an operatore PUE works in a citizen's personal
-- area for them, with the citizen present and their identity document checked, for a bounded
-- time. A session acting on `pue:<id>` holds only while its row is open and in time.
CREATE TABLE assistenze (
    id                  TEXT PRIMARY KEY,
    citizen_id          TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    operator_id         TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    documento           TEXT NOT NULL,      -- the identity document the operator checked
    started_at          BIGINT NOT NULL,
    ends_at             BIGINT NOT NULL,
    ended_at            BIGINT
);
CREATE INDEX assistenze_citizen ON assistenze (citizen_id);
CREATE INDEX assistenze_operator_open ON assistenze (operator_id, ended_at);
