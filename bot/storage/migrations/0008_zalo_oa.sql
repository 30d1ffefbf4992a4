-- Zalo Official Account: the OAuth token pair (the refresh token is single-use and changes at
-- every refresh), the PKCE verifier of `python -m bot zalo-oa authorize`, each OA user's last
-- message (their interaction window), and the webhook events received: de-duplicated across
-- restarts, and replayed after a crash until handled (the body is dropped once handled).
CREATE TABLE zalo_oa_tokens (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    access_token  TEXT    NOT NULL DEFAULT '',
    refresh_token TEXT    NOT NULL,
    expires_at    TEXT    NOT NULL,
    seed_hash     TEXT,
    state         TEXT    NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'needs_reauth')),
    error         TEXT,
    lease_until   TEXT,
    updated_at    TEXT    NOT NULL
);

CREATE TABLE zalo_oa_pkce (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    code_verifier TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    created_at    TEXT    NOT NULL
);

CREATE TABLE zalo_oa_users (
    user_id         TEXT PRIMARY KEY,
    last_inbound_at TEXT,
    unfollowed_at   TEXT
);

CREATE TABLE zalo_oa_events (
    key         TEXT PRIMARY KEY,
    body        TEXT,
    received_at TEXT NOT NULL
);
CREATE INDEX zalo_oa_events_open ON zalo_oa_events (received_at) WHERE body IS NOT NULL;
