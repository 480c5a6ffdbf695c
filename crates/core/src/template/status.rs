//! Where a template is in its life (reference §5.6, §7): [`TemplateStatus`], why review
//! rejected it ([`RejectionReason`]) and how users rate it ([`QualityScore`]).

use super::wire::wire_enum;

wire_enum!(
    /// A template's status, as in `GET` answers and `message_template_status_update.event`
    /// (the webhook list of §5.6 is the superset used here).
    TemplateStatus, "status" {
        /// In review.
        Pending => "PENDING",
        /// Can be sent.
        Approved => "APPROVED",
        /// Failed review; see [`RejectionReason`]. May be edited and re-submitted.
        Rejected => "REJECTED",
        /// Paused for low quality; sending answers 132015.
        Paused => "PAUSED",
        /// Paused too often; sending answers 132016.
        Disabled => "DISABLED",
        /// The business appealed a rejection.
        InAppeal => "IN_APPEAL",
        /// Deleted while messages were in flight; delivery is still attempted for 30 days.
        PendingDeletion => "PENDING_DELETION",
        Deleted => "DELETED",
        /// No longer flagged or disabled.
        Reinstated => "REINSTATED",
        /// Negative feedback; at risk of being disabled.
        Flagged => "FLAGGED",
        /// The WABA is at its template count limit.
        LimitExceeded => "LIMIT_EXCEEDED",
        /// Inactive for 12 months; deleted 28 days later unless unarchived.
        Archived => "ARCHIVED",
        Unarchived => "UNARCHIVED",
        /// Cannot be edited.
        Locked => "LOCKED",
    }
);

impl TemplateStatus {
    /// Whether a template in this status can be sent (only `APPROVED`, reference §6.5).
    pub fn is_sendable(self) -> bool {
        self == TemplateStatus::Approved
    }

    /// Whether a template in this status can be edited (`APPROVED`, `REJECTED`, `PAUSED`).
    pub fn is_editable(self) -> bool {
        matches!(
            self,
            TemplateStatus::Approved | TemplateStatus::Rejected | TemplateStatus::Paused
        )
    }
}

wire_enum!(
    /// Why review rejected a template (`rejected_reason`, the webhook's `reason`).
    RejectionReason, "rejected_reason" {
        InvalidFormat => "INVALID_FORMAT",
        /// Promotional content in a non-marketing template.
        Promotional => "PROMOTIONAL",
        /// The content does not match the category.
        IncorrectCategory => "INCORRECT_CATEGORY",
        TagContentMismatch => "TAG_CONTENT_MISMATCH",
        AbusiveContent => "ABUSIVE_CONTENT",
        Scam => "SCAM",
        /// Not rejected (Meta sends `NONE` with pauses and approvals).
        None => "NONE",
        /// Deprecated by Meta; still parsed so old webhooks from Meta can be read.
        CategoryNotAvailable => "CATEGORY_NOT_AVAILABLE",
    }
);

wire_enum!(
    /// `quality_score.score`, and the webhook's `new_quality_score`.
    QualityScore, "quality_score" {
        Green => "GREEN",
        Yellow => "YELLOW",
        Red => "RED",
        /// Not rated yet.
        Unknown => "UNKNOWN",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips() {
        assert_eq!(TemplateStatus::ALL.len(), 14);
        for s in TemplateStatus::ALL {
            assert_eq!(TemplateStatus::parse(s.as_str()).unwrap(), *s);
            let v = serde_json::to_value(s).unwrap();
            assert_eq!(v, s.as_str());
            assert_eq!(serde_json::from_value::<TemplateStatus>(v).unwrap(), *s);
        }
        assert_eq!(
            TemplateStatus::parse("pending_deletion").unwrap(),
            TemplateStatus::PendingDeletion
        );
        assert_eq!(TemplateStatus::parse("GONE").unwrap_err().field, "status");
    }

    #[test]
    fn only_approved_is_sendable_and_three_are_editable() {
        let sendable: Vec<_> = TemplateStatus::ALL
            .iter()
            .filter(|s| s.is_sendable())
            .collect();
        assert_eq!(sendable, [&TemplateStatus::Approved]);
        let editable: Vec<_> = TemplateStatus::ALL
            .iter()
            .filter(|s| s.is_editable())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(editable, ["APPROVED", "REJECTED", "PAUSED"]);
    }

    #[test]
    fn rejection_reasons() {
        for wire in [
            "INVALID_FORMAT",
            "PROMOTIONAL",
            "INCORRECT_CATEGORY",
            "TAG_CONTENT_MISMATCH",
            "ABUSIVE_CONTENT",
            "SCAM",
            "NONE",
        ] {
            assert_eq!(RejectionReason::parse(wire).unwrap().as_str(), wire);
        }
        assert_eq!(
            RejectionReason::parse("category_not_available").unwrap(),
            RejectionReason::CategoryNotAvailable
        );
        assert_eq!(
            RejectionReason::parse("SPAM").unwrap_err().field,
            "rejected_reason"
        );
    }

    #[test]
    fn quality_scores() {
        assert_eq!(QualityScore::parse("yellow").unwrap(), QualityScore::Yellow);
        assert_eq!(
            serde_json::to_value(QualityScore::Unknown).unwrap(),
            "UNKNOWN"
        );
        assert!(QualityScore::parse("BLUE").is_err());
    }
}
