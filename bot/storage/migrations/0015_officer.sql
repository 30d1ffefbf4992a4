-- Stories an officer or a reviewer filed on behalf of a resident (issue 13, item 5): the
-- resident's name, how to reach them (a phone or an address), when the filer recorded that the
-- resident agreed, whether the resident is the honoree or the one who told the story, and whether
-- their name may be published. The filer stays the reporter. Without the resident's consent
-- there is no such story.
ALTER TABLE stories ADD COLUMN resident_name TEXT;
ALTER TABLE stories ADD COLUMN resident_contact TEXT;
ALTER TABLE stories ADD COLUMN resident_consent_at TEXT
    CHECK (resident_name IS NULL OR resident_consent_at IS NOT NULL);
ALTER TABLE stories ADD COLUMN resident_is TEXT
    CHECK (resident_is IS NULL OR resident_is IN ('honoree', 'teller'));
ALTER TABLE stories ADD COLUMN resident_shown INTEGER NOT NULL DEFAULT 0
    CHECK (resident_shown IN (0, 1));
