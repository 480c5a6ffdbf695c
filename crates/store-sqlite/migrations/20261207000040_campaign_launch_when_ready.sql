-- A draft launched by the campaigns worker as soon as its audience has loaded (an upload
-- answered at once, as a provider's "bulk broadcast from a sheet" is): the intent is kept on
-- the row, so a restart between the load's end and the launch still launches it.
ALTER TABLE campaigns ADD COLUMN launch_when_ready INTEGER NOT NULL DEFAULT 0;
