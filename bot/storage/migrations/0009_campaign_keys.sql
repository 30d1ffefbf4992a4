-- A story keeps its content and movement as stable keys of its campaign, not as positions in
-- whatever campaign file is loaded: existing stories of the shipped 2025 campaign are moved to
-- that file's keys. The content may be unknown (NULL): the officer chooses it later.
ALTER TABLE stories ADD COLUMN content_key TEXT;
ALTER TABLE stories ADD COLUMN movement_key TEXT;

UPDATE stories SET
    content_key = CASE WHEN campaign <> 'an-giang-2025' THEN CAST(content AS TEXT)
        WHEN content = 1 THEN 'policy_law'
        WHEN content = 2 THEN 'key_movements'
        WHEN content = 3 THEN 'exceed_targets'
        WHEN content = 4 THEN 'political_security'
        WHEN content = 5 THEN 'celebrations'
        ELSE CAST(content AS TEXT) END,
    movement_key = CASE WHEN movement IS NULL THEN NULL
        WHEN campaign <> 'an-giang-2025' THEN CAST(movement AS TEXT)
        WHEN content = 2 AND movement = 0 THEN 'new_rural_areas'
        WHEN content = 2 AND movement = 1 THEN 'for_the_poor'
        WHEN content = 2 AND movement = 2 THEN 'workplace_culture'
        WHEN content = 2 AND movement = 3 THEN 'infrastructure_thrift'
        WHEN content = 2 AND movement = 4 THEN 'learning_society'
        WHEN content = 2 AND movement = 5 THEN 'makeshift_houses_2025'
        WHEN content = 2 AND movement = 6 THEN 'expressway_3000km'
        WHEN content = 4 AND movement = 0 THEN 'fatherland_security'
        WHEN content = 4 AND movement = 1 THEN 'all_people_security'
        ELSE CAST(movement AS TEXT) END;

DROP INDEX stories_counts;
ALTER TABLE stories DROP COLUMN content;
ALTER TABLE stories DROP COLUMN movement;
ALTER TABLE stories RENAME COLUMN content_key TO content;
ALTER TABLE stories RENAME COLUMN movement_key TO movement;

-- Counts and lists by campaign; the keys stories use, checked against the files at start.
CREATE INDEX stories_counts ON stories (campaign, status, kind, content, commune_code);
CREATE INDEX stories_keys ON stories (campaign, content, movement);

-- A report being written keeps its answers: its content and movement become keys too.
UPDATE dialogs SET data = json_set(data,
    '$.content', CASE json_extract(data, '$.content')
        WHEN 1 THEN 'policy_law' WHEN 2 THEN 'key_movements' WHEN 3 THEN 'exceed_targets'
        WHEN 4 THEN 'political_security' WHEN 5 THEN 'celebrations' END)
WHERE flow = 'report' AND json_valid(data) AND json_type(data, '$.content') = 'integer';
UPDATE dialogs SET data = json_set(data,
    '$.movement', CASE json_extract(data, '$.content') || ':' || json_extract(data, '$.movement')
        WHEN 'key_movements:0' THEN 'new_rural_areas'
        WHEN 'key_movements:1' THEN 'for_the_poor'
        WHEN 'key_movements:2' THEN 'workplace_culture'
        WHEN 'key_movements:3' THEN 'infrastructure_thrift'
        WHEN 'key_movements:4' THEN 'learning_society'
        WHEN 'key_movements:5' THEN 'makeshift_houses_2025'
        WHEN 'key_movements:6' THEN 'expressway_3000km'
        WHEN 'political_security:0' THEN 'fatherland_security'
        WHEN 'political_security:1' THEN 'all_people_security' END)
WHERE flow = 'report' AND json_valid(data) AND json_type(data, '$.movement') = 'integer';
