-- Messages held until the person writes again (a Zalo OA interaction window closed): each
-- incoming message looks for that person's held items, so the look-up is an index probe.
CREATE INDEX outbox_held ON outbox (person_id) WHERE status = 'held';
