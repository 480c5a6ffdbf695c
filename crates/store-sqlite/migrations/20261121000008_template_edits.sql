-- When each template was edited: an approved template may be edited once per 24 hours and
-- ten times per 30 days.
CREATE TABLE template_edits (
    template_id  TEXT NOT NULL REFERENCES templates (id),
    edited_at    INTEGER NOT NULL
);

CREATE INDEX template_edits_by_template ON template_edits (template_id, edited_at);
