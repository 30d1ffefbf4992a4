-- Subscriptions, broadcasts (one delivery row per recipient), recipients who stopped the bot.
ALTER TABLE people ADD COLUMN stopped_at TEXT;

CREATE TABLE subscriptions (
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    topic      TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (person_id, topic)
);
CREATE INDEX subscriptions_topic ON subscriptions (topic, person_id);

-- key is (occasion, year, kind) for reminders, unique so a reminder is never sent twice.
CREATE TABLE broadcasts (
    id          INTEGER PRIMARY KEY,
    key         TEXT UNIQUE,
    topic       TEXT,
    template    TEXT,
    params      TEXT    NOT NULL DEFAULT '{}',
    body        TEXT,
    audience    TEXT    NOT NULL,
    created_by  INTEGER REFERENCES people (id) ON DELETE SET NULL,
    status      TEXT    NOT NULL DEFAULT 'active',
    total       INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL,
    finished_at TEXT
);

CREATE TABLE deliveries (
    broadcast_id    INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    person_id       INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL DEFAULT '',
    sent_at         TEXT,
    error           TEXT,
    PRIMARY KEY (broadcast_id, person_id)
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at, broadcast_id, person_id);
