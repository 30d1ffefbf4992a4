-- A file for a person on a channel that cannot carry files (Zalo): a workbook, the import template,
-- a chart, a story's photo or voice note, kept here for a day behind an unguessable link on the
-- public site.
-- The same picture or voice note (a card opened again, by anyone) keeps its link; a document
-- (a workbook with personal data) is only ever its own person's.
CREATE TABLE file_links (
    token TEXT PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('photo', 'audio', 'document')),
    data BLOB NOT NULL,
    digest TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX file_links_expiry ON file_links (expires_at);
CREATE INDEX file_links_person ON file_links (person_id);
CREATE INDEX file_links_digest ON file_links (digest);
