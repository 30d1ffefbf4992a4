-- People (one row per channel account) and the open dialog of each chat.
CREATE TABLE people (
    id           INTEGER PRIMARY KEY,
    channel      TEXT    NOT NULL,
    external_id  TEXT    NOT NULL,
    display_name TEXT,
    username     TEXT,
    language     TEXT    NOT NULL DEFAULT 'vi',
    consent      INTEGER CHECK (consent IN (0, 1)),
    consent_at   TEXT,
    role         TEXT    NOT NULL DEFAULT 'citizen',
    created_at   TEXT    NOT NULL,
    erased_at    TEXT,
    UNIQUE (channel, external_id)
);

CREATE TABLE dialogs (
    channel    TEXT    NOT NULL,
    chat_id    TEXT    NOT NULL,
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    flow       TEXT    NOT NULL DEFAULT '',
    step       TEXT    NOT NULL DEFAULT '',
    data       TEXT    NOT NULL DEFAULT '{}',
    prompt     TEXT    NOT NULL DEFAULT '{}',
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (channel, chat_id)
);
