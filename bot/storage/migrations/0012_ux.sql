-- A person who stopped everything (/unsubscribe all) gets no general message from the board:
-- no broadcast to everyone, a commune or the reviewers, and no morning review digest.
ALTER TABLE people ADD COLUMN opted_out_at TEXT;

-- The reviewers' morning digest: one row per person and day it was queued, so a restart or a
-- retried job never sends a second one that day.
CREATE TABLE review_digests (
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    day       TEXT    NOT NULL,
    PRIMARY KEY (person_id, day)
);

-- Command menus queued for one person wait in the outbox; a role change looks for a pending one.
CREATE INDEX outbox_menus ON outbox (person_id) WHERE kind = 'menu' AND status = 'pending';
