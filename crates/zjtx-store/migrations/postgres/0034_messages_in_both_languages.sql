-- An in-app message in both interface languages: `text` in Chinese, `text_en` in English, each
-- worded when the message is sent, so that the reader sees it in theirs (empty: older messages,
-- shown as written).
ALTER TABLE notifications ADD COLUMN text_en TEXT NOT NULL DEFAULT '';
