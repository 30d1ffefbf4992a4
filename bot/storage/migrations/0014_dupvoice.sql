-- Duplicates and voice notes (issue 13, items 4 and 6).
--
-- duplicate_scans is the queue of stories to compare with their commune's recent stories: a
-- trigger queues every story filed, a worker (bot.duplicates) scores it in the background and
-- writes what it found to duplicate_candidates, one row per pair (the later story first).
CREATE TABLE duplicate_scans (
    story_id   INTEGER PRIMARY KEY REFERENCES stories (id) ON DELETE CASCADE,
    state      TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
    queued_at  TEXT    NOT NULL,
    scanned_at TEXT
);
CREATE INDEX duplicate_scans_due ON duplicate_scans (state, story_id);

CREATE TABLE duplicate_candidates (
    story_id     INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    candidate_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    score        REAL    NOT NULL,
    PRIMARY KEY (story_id, candidate_id)
);
CREATE INDEX duplicate_candidates_back ON duplicate_candidates (candidate_id);

-- A commune's stories of the last weeks, read for every scan.
CREATE INDEX stories_commune_filed ON stories (commune_code, created_at);

CREATE TRIGGER stories_duplicate_scan AFTER INSERT ON stories BEGIN
    INSERT OR IGNORE INTO duplicate_scans (story_id, queued_at)
    VALUES (NEW.id, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'));
END;

-- A story told by voice: the channel's reference to the note and its length in seconds (NULL:
-- the channel did not say). The note is archived like a photo (archived_media kind 'voice',
-- position 0), queued by the triggers below whenever a story gets a note or changes it.
ALTER TABLE stories ADD COLUMN voice_ref TEXT;
ALTER TABLE stories ADD COLUMN voice_seconds INTEGER;

CREATE TRIGGER stories_voice_archive AFTER INSERT ON stories
WHEN NEW.voice_ref IS NOT NULL BEGIN
    INSERT OR IGNORE INTO archived_media (story_id, kind, position, channel, file_ref,
                                          next_attempt_at)
    VALUES (NEW.id, 'voice', 0, NEW.channel, NEW.voice_ref,
            strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'));
END;

CREATE TRIGGER stories_voice_change AFTER UPDATE OF voice_ref ON stories
WHEN NEW.voice_ref IS NOT OLD.voice_ref BEGIN
    DELETE FROM archived_media WHERE story_id = NEW.id AND kind = 'voice';
    INSERT INTO archived_media (story_id, kind, position, channel, file_ref, next_attempt_at)
    SELECT NEW.id, 'voice', 0, NEW.channel, NEW.voice_ref,
           strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
    WHERE NEW.voice_ref IS NOT NULL;
END;

-- A photo moved to another story (a duplicate's photos given to the story kept) keeps what the
-- archive already holds for it, and is fetched through the channel it came from.
CREATE INDEX archived_media_ref ON archived_media (file_ref);

DROP TRIGGER story_photos_archive;
CREATE TRIGGER story_photos_archive AFTER INSERT ON story_photos BEGIN
    INSERT OR IGNORE INTO archived_media (story_id, kind, position, channel, file_ref,
                                          next_attempt_at)
    SELECT NEW.story_id, 'photo', NEW.position, s.channel, NEW.file_ref,
           strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
    FROM stories s WHERE s.id = NEW.story_id;
    UPDATE archived_media SET
        (channel, state, digest, width, height, error, archived_at) = (
            SELECT k.channel, k.state, k.digest, k.width, k.height, k.error, k.archived_at
            FROM archived_media k
            WHERE k.file_ref = NEW.file_ref AND k.kind = 'photo' AND k.story_id <> NEW.story_id
            ORDER BY k.state = 'archived' DESC LIMIT 1)
    WHERE story_id = NEW.story_id AND kind = 'photo' AND position = NEW.position
      AND EXISTS (SELECT 1 FROM archived_media k WHERE k.file_ref = NEW.file_ref
                  AND k.kind = 'photo' AND k.story_id <> NEW.story_id);
END;
