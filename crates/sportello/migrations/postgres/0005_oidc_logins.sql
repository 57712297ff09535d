-- SPID / CIE id logins in progress (OpenID Connect). The browser leaves for the identity
-- provider and comes back to any node, so what the callback must check lives here, not in a
-- node's memory. A row is used once (the callback marks it atomically) and is worthless after
-- `expires_at`; a periodic job deletes old rows.

CREATE TABLE oidc_logins (
    state_hash      TEXT PRIMARY KEY,   -- SHA-256 of `state`; the value itself is never stored
    browser_hash    TEXT NOT NULL,      -- SHA-256 of the login cookie: ties the callback to the browser that started
    provider        TEXT NOT NULL,      -- `spid` or `cie`
    nonce           TEXT NOT NULL,
    code_verifier   TEXT NOT NULL,      -- PKCE
    acr             TEXT NOT NULL,      -- level asked for (https://www.spid.gov.it/SpidL2 …)
    return_to       TEXT NOT NULL,      -- path on this site to go back to
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT              -- set by the callback: a second use is refused
);
CREATE INDEX oidc_logins_expires ON oidc_logins (expires_at);
