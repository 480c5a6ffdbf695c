-- The review workflow's later steps. A RED quality rating pauses an approved template (3 h,
-- then 6 h) and disables it the third time: pause_count counts those steps and paused_until
-- is when the current pause ends. allow_category_change is the create request's flag: review
-- may re-categorise the template instead of rejecting it.
ALTER TABLE templates ADD COLUMN pause_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE templates ADD COLUMN paused_until INTEGER;
ALTER TABLE templates ADD COLUMN allow_category_change INTEGER NOT NULL DEFAULT 0;

-- The pauses that end next (what the sandbox unpauses).
CREATE INDEX templates_paused ON templates (paused_until)
    WHERE deleted_at IS NULL AND status = 'PAUSED';
