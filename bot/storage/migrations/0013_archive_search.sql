-- The photo archive and full-text search.
--
-- archived_media is both the durable download queue and the record of what is archived: one
-- row per photo of a story (kind 'photo'; a later kind, 'voice', is archived the same way),
-- written by a trigger whenever a photo is stored, so any writer that files a story queues its
-- photos in the same transaction. media_trash lists archived files no longer wanted: a worker
-- deletes each once no row refers to its digest any more.
CREATE TABLE archived_media (
    story_id        INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL DEFAULT 'photo',
    position        INTEGER NOT NULL,
    channel         TEXT    NOT NULL,
    file_ref        TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending'
                            CHECK (state IN ('pending', 'archived', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    error           TEXT,
    digest          TEXT,
    width           INTEGER,
    height          INTEGER,
    archived_at     TEXT,
    PRIMARY KEY (story_id, kind, position)
);
CREATE INDEX archived_media_due ON archived_media (state, next_attempt_at);
CREATE INDEX archived_media_digest ON archived_media (digest);

CREATE TABLE media_trash (
    digest    TEXT PRIMARY KEY,
    queued_at TEXT NOT NULL
);

CREATE TRIGGER story_photos_archive AFTER INSERT ON story_photos BEGIN
    INSERT OR IGNORE INTO archived_media (story_id, kind, position, channel, file_ref,
                                          next_attempt_at)
    SELECT NEW.story_id, 'photo', NEW.position, s.channel, NEW.file_ref,
           strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
    FROM stories s WHERE s.id = NEW.story_id;
END;

CREATE TRIGGER story_photos_forget AFTER DELETE ON story_photos BEGIN
    DELETE FROM archived_media
    WHERE story_id = OLD.story_id AND kind = 'photo' AND position = OLD.position;
END;

CREATE TRIGGER archived_media_trash AFTER DELETE ON archived_media
WHEN OLD.digest IS NOT NULL BEGIN
    INSERT OR IGNORE INTO media_trash (digest, queued_at)
    VALUES (OLD.digest, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'));
END;

INSERT INTO archived_media (story_id, kind, position, channel, file_ref, next_attempt_at)
SELECT p.story_id, 'photo', p.position, s.channel, p.file_ref,
       strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
FROM story_photos p JOIN stories s ON s.id = p.story_id;

-- Search. The commune names come from the localities package; the bot writes them here at
-- start (bot.storage.search.Search.use_communes) and the triggers below carry them into the
-- index. story_search holds a folded copy of each story's words: the unicode61 tokenizer
-- folds case and every Vietnamese mark but 'đ', which has no decomposition and is replaced
-- here; a query is folded the same way by bot.content.fold. Triggers on stories keep the index
-- in step with every writer.
CREATE TABLE commune_names (
    code INTEGER PRIMARY KEY,
    name TEXT    NOT NULL
);

CREATE VIRTUAL TABLE story_search USING fts5 (
    title, description, honoree, commune,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER story_search_insert AFTER INSERT ON stories BEGIN
    INSERT INTO story_search (rowid, title, description, honoree, commune) VALUES (
        NEW.id,
        replace(replace(NEW.title, 'đ', 'd'), 'Đ', 'D'),
        replace(replace(NEW.description, 'đ', 'd'), 'Đ', 'D'),
        replace(replace(NEW.honoree_name || ' ' || NEW.honoree_role, 'đ', 'd'), 'Đ', 'D'),
        replace(replace(COALESCE(
            (SELECT name FROM commune_names WHERE code = NEW.commune_code), ''),
            'đ', 'd'), 'Đ', 'D')
    );
END;

CREATE TRIGGER story_search_update
AFTER UPDATE OF title, description, honoree_name, honoree_role, commune_code ON stories BEGIN
    UPDATE story_search SET
        title = replace(replace(NEW.title, 'đ', 'd'), 'Đ', 'D'),
        description = replace(replace(NEW.description, 'đ', 'd'), 'Đ', 'D'),
        honoree = replace(replace(NEW.honoree_name || ' ' || NEW.honoree_role, 'đ', 'd'),
                          'Đ', 'D'),
        commune = replace(replace(COALESCE(
            (SELECT name FROM commune_names WHERE code = NEW.commune_code), ''),
            'đ', 'd'), 'Đ', 'D')
    WHERE rowid = NEW.id;
END;

CREATE TRIGGER story_search_delete AFTER DELETE ON stories BEGIN
    DELETE FROM story_search WHERE rowid = OLD.id;
END;

CREATE TRIGGER commune_names_insert AFTER INSERT ON commune_names BEGIN
    UPDATE story_search SET commune = replace(replace(NEW.name, 'đ', 'd'), 'Đ', 'D')
    WHERE rowid IN (SELECT id FROM stories WHERE commune_code = NEW.code);
END;

CREATE TRIGGER commune_names_update AFTER UPDATE OF name ON commune_names BEGIN
    UPDATE story_search SET commune = replace(replace(NEW.name, 'đ', 'd'), 'Đ', 'D')
    WHERE rowid IN (SELECT id FROM stories WHERE commune_code = NEW.code);
END;

INSERT INTO story_search (rowid, title, description, honoree, commune)
SELECT id,
       replace(replace(title, 'đ', 'd'), 'Đ', 'D'),
       replace(replace(description, 'đ', 'd'), 'Đ', 'D'),
       replace(replace(honoree_name || ' ' || honoree_role, 'đ', 'd'), 'Đ', 'D'),
       ''
FROM stories;

CREATE TRIGGER commune_names_delete AFTER DELETE ON commune_names BEGIN
    UPDATE story_search SET commune = ''
    WHERE rowid IN (SELECT id FROM stories WHERE commune_code = OLD.code);
END;

-- The gallery lists published stories newest first.
CREATE INDEX stories_published ON stories (published_at DESC, id DESC)
WHERE status = 'published';
