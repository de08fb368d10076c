-- Chapter kinds (issue 11): sponsor and ad chapters ("Sponsor: Acme", "Werbung", "Ad break")
-- keep their place in the list and are marked 'ad'; everything else is 'chapter'. Rows
-- written before this migration are chapters until their episode is imported again.
ALTER TABLE chapters ADD COLUMN kind TEXT NOT NULL DEFAULT 'chapter'
    CHECK (kind IN ('chapter', 'ad'));
