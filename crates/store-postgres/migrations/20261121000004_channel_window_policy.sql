-- What a channel does with a free-form message outside the 24-hour window: `fail` (accept,
-- then fail with 131047, as Meta does) or `reject` (refuse at the API).
ALTER TABLE channels ADD COLUMN window_policy TEXT NOT NULL DEFAULT 'fail';
