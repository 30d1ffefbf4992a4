-- One story model: named system actors and details on story events, the reporter's original
-- values, every message of a channel post, duplicates, nomination outcomes, an audit log of
-- people and broadcasts, and what erasure keeps so the daily report limit still holds.
ALTER TABLE story_events ADD COLUMN system_actor TEXT;
ALTER TABLE story_events ADD COLUMN details TEXT;
UPDATE story_events SET system_actor = 'publisher' WHERE action = 'publish' AND actor_id IS NULL;
CREATE INDEX story_events_actor ON story_events (actor_id, id);

-- The first value of every field a reviewer corrected, as a JSON object; the two columns that
-- held the original title and description are folded into it and no longer written.
ALTER TABLE stories ADD COLUMN original TEXT;
UPDATE stories SET original = json_patch(
        CASE WHEN original_title IS NULL THEN '{}' ELSE json_object('title', original_title) END,
        CASE WHEN original_description IS NULL THEN '{}'
             ELSE json_object('description', original_description) END),
    original_title = NULL, original_description = NULL
WHERE original_title IS NOT NULL OR original_description IS NOT NULL;
ALTER TABLE stories ADD COLUMN duplicate_of INTEGER REFERENCES stories (id) ON DELETE SET NULL;

-- Every message of a story's post (album photos and text), so an unpublished post can be removed.
CREATE TABLE story_posts (
    story_id   INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    chat_id    TEXT    NOT NULL,
    message_id TEXT    NOT NULL,
    part       TEXT    NOT NULL CHECK (part IN ('photo', 'text')),
    posted_at  TEXT    NOT NULL,
    removed    TEXT    CHECK (removed IN ('deleted', 'replaced')),
    removed_at TEXT,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX story_posts_story ON story_posts (story_id);
INSERT OR IGNORE INTO story_posts (story_id, chat_id, message_id, part, posted_at)
SELECT s.id, o.chat_id, s.published_message_id, 'text', COALESCE(s.published_at, s.updated_at)
FROM stories s JOIN outbox o ON o.id = (
    SELECT max(id) FROM outbox WHERE kind = 'publish' AND story_id = s.id AND status = 'sent')
WHERE s.status = 'published' AND COALESCE(s.published_message_id, '') != '';

ALTER TABLE nominations ADD COLUMN state TEXT NOT NULL DEFAULT 'proposed';
ALTER TABLE nominations ADD COLUMN decided_by INTEGER REFERENCES people (id) ON DELETE SET NULL;
ALTER TABLE nominations ADD COLUMN decided_at TEXT;

-- Grants, revocations, bans, erasures and broadcasts: who (a person or a named system actor),
-- whom or which broadcast, when, and the details as JSON.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    actor_id     INTEGER REFERENCES people (id) ON DELETE SET NULL,
    system_actor TEXT,
    action       TEXT    NOT NULL,
    person_id    INTEGER REFERENCES people (id) ON DELETE SET NULL,
    broadcast_id INTEGER REFERENCES broadcasts (id) ON DELETE SET NULL,
    details      TEXT    NOT NULL DEFAULT '{}',
    created_at   TEXT    NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_person ON audit_log (person_id, id);

-- When an erased account filed in its last day: a keyed hash of (channel, account), never the
-- account itself, kept one day so erasing does not reset the daily report limit.
CREATE TABLE filing_marks (
    account  TEXT NOT NULL,
    filed_at TEXT NOT NULL
);
CREATE INDEX filing_marks_account ON filing_marks (account, filed_at);
-- The key of those hashes: random, made at the first erasure.
CREATE TABLE hash_keys (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- People erased before this version lose their platform id, their role, and whatever still
-- named their chat.
DELETE FROM dialogs WHERE person_id IN (SELECT id FROM people WHERE erased_at IS NOT NULL);
DELETE FROM outbox WHERE status = 'pending'
    AND person_id IN (SELECT id FROM people WHERE erased_at IS NOT NULL);
UPDATE outbox SET chat_id = '', params = '{}'
    WHERE person_id IN (SELECT id FROM people WHERE erased_at IS NOT NULL);
DELETE FROM reviewer_scopes WHERE person_id IN (SELECT id FROM people WHERE erased_at IS NOT NULL);
UPDATE people SET external_id = 'erased:' || lower(hex(randomblob(16))), stopped_at = NULL,
    role = 'citizen'
    WHERE erased_at IS NOT NULL;
