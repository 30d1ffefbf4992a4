-- Stories filed through /report, and their photos.
CREATE TABLE stories (
    id              INTEGER PRIMARY KEY,
    reporter_id     INTEGER REFERENCES people (id) ON DELETE SET NULL,
    submission_key  TEXT    NOT NULL UNIQUE,
    channel         TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    content         INTEGER NOT NULL,
    movement        INTEGER,
    commune_code    INTEGER NOT NULL,
    honoree_name    TEXT    NOT NULL,
    honoree_role    TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    event_date      TEXT    NOT NULL,
    latitude        REAL,
    longitude       REAL,
    reporter_phone  TEXT,
    show_name       INTEGER NOT NULL DEFAULT 0 CHECK (show_name IN (0, 1)),
    status          TEXT    NOT NULL DEFAULT 'pending',
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);
CREATE INDEX stories_reporter ON stories (reporter_id, id);
CREATE INDEX stories_status ON stories (status, commune_code, id);

CREATE TABLE story_photos (
    story_id  INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    file_ref  TEXT    NOT NULL,
    PRIMARY KEY (story_id, position)
);
