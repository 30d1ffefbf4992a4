-- Group chats the bot has told, once, to write to it privately (nothing about their members).
CREATE TABLE group_chats (
    channel  TEXT NOT NULL,
    chat_id  TEXT NOT NULL,
    told_at  TEXT NOT NULL,
    PRIMARY KEY (channel, chat_id)
);

-- 1 when the person's admin role came from ADMIN_IDS (and goes when they leave that list).
ALTER TABLE people ADD COLUMN admin_from_list INTEGER NOT NULL DEFAULT 0
    CHECK (admin_from_list IN (0, 1));
