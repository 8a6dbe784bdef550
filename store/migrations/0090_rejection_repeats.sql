-- Repeats of one rejected webhook within one second share a row: the same
-- hook, reason and remote address count into occurrences rather than
-- filling the ring with copies.
ALTER TABLE webhook_rejections ADD COLUMN occurrences BIGINT NOT NULL DEFAULT 1;
