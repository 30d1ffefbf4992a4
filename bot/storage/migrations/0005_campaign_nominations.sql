-- Every story records the campaign active when it was filed; nominations for awards.
ALTER TABLE stories ADD COLUMN campaign TEXT NOT NULL DEFAULT 'an-giang-2025';
CREATE INDEX stories_created ON stories (created_at);

CREATE TABLE nominations (
    id           INTEGER PRIMARY KEY,
    story_id     INTEGER NOT NULL UNIQUE REFERENCES stories (id) ON DELETE CASCADE,
    award        TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    nominated_by INTEGER REFERENCES people (id) ON DELETE SET NULL,
    created_at   TEXT    NOT NULL
);
