-- Covering indexes for /stats: the grouped counts and the per-day series read no table rows.
CREATE INDEX stories_counts ON stories (status, kind, content, commune_code);
CREATE INDEX stories_daily ON stories (created_at, kind);
