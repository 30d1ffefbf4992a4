-- /stats counts each commune's stories of a kind in each week by seeking this index, covered
-- (status to leave out rejected and withdrawn stories, campaign for /stats <campaign>); it
-- replaces the (created_at, kind) index, which made the weekly series sort every row of the
-- period.
DROP INDEX stories_daily;
CREATE INDEX stories_weekly ON stories (commune_code, kind, created_at, status, campaign);
