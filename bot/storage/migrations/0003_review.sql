-- Review: roles with commune scopes, bans, the audit log, the outbox, publishing fields.
ALTER TABLE people ADD COLUMN banned_at TEXT;
ALTER TABLE people ADD COLUMN ban_reason TEXT;
CREATE INDEX people_username ON people (lower(username));

-- commune_code 0 means the whole province.
CREATE TABLE reviewer_scopes (
    person_id    INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    commune_code INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (person_id, commune_code)
);

ALTER TABLE stories ADD COLUMN original_title TEXT;
ALTER TABLE stories ADD COLUMN original_description TEXT;
ALTER TABLE stories ADD COLUMN review_note TEXT;
ALTER TABLE stories ADD COLUMN published_message_id TEXT;
ALTER TABLE stories ADD COLUMN published_at TEXT;
ALTER TABLE stories ADD COLUMN publish_error TEXT;

CREATE TABLE story_events (
    id          INTEGER PRIMARY KEY,
    story_id    INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    actor_id    INTEGER REFERENCES people (id) ON DELETE SET NULL,
    action      TEXT    NOT NULL,
    from_status TEXT,
    to_status   TEXT    NOT NULL,
    note        TEXT,
    created_at  TEXT    NOT NULL
);
CREATE INDEX story_events_story ON story_events (story_id, id);

-- Messages to anyone but the person speaking, written in the transaction that caused them.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL DEFAULT 'message',
    person_id       INTEGER REFERENCES people (id) ON DELETE CASCADE,
    channel         TEXT    NOT NULL,
    chat_id         TEXT    NOT NULL,
    template        TEXT    NOT NULL,
    params          TEXT    NOT NULL DEFAULT '{}',
    story_id        INTEGER REFERENCES stories (id) ON DELETE CASCADE,
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    last_error      TEXT,
    created_at      TEXT    NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
