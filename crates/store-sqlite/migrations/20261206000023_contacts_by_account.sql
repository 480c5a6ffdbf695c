-- The contact book reads each card's activity from the per-channel contacts of its number.
CREATE INDEX contacts_by_account_wa_id ON contacts (account_id, wa_id);
