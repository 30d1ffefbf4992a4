-- Filing a story queues a message to the commune's reviewers and every admin, found by role: this
-- index finds them among all the people (citizens by the thousand) without reading every row.
CREATE INDEX people_role ON people (role);
