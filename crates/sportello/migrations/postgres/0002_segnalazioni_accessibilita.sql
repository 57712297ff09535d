-- Reports of accessibility problems (the feedback mechanism of the accessibility statement).
CREATE TABLE segnalazioni_accessibilita (
    id              TEXT PRIMARY KEY,
    descrizione     TEXT NOT NULL,
    pagina          TEXT,
    email           TEXT,
    lingua          TEXT NOT NULL,
    stato           TEXT NOT NULL CHECK (stato IN ('nuova', 'in-esame', 'chiusa')),
    ricevuta_il     BIGINT NOT NULL
);
CREATE INDEX segnalazioni_accessibilita_stato ON segnalazioni_accessibilita (stato, ricevuta_il);
