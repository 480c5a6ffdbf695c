//! The one error-code table. Every error any surface can answer is one [`ErrorCode`]; the
//! table gives its stable snake_case name (API contract: never rename one), its HTTP status on
//! the management plane, and how it appears on the Cloud (Graph) plane. Surfaces render it in
//! one function each (`wagate-http`'s `render` module); nothing else builds error bodies.

use std::fmt;

/// Graph's `error.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphErrorType {
    OAuthException,
    GraphMethodException,
}

impl GraphErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            GraphErrorType::OAuthException => "OAuthException",
            GraphErrorType::GraphMethodException => "GraphMethodException",
        }
    }
}

/// How one [`ErrorCode`] appears on the Cloud API (Graph) surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphError {
    /// Meta's numeric `error.code`.
    pub code: u32,
    /// Meta's `error.error_subcode`, where Meta sends one.
    pub subcode: Option<u32>,
    pub kind: GraphErrorType,
    /// HTTP status Meta answers with.
    pub status: u16,
}

macro_rules! error_codes {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident => $name:literal, $status:literal,
            graph($gcode:literal, $gsub:expr, $gtype:ident, $gstatus:literal);
    )*) => {
        /// Every error wagate can answer with. See the module docs.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, for tests and documentation.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The stable snake_case name used in the management envelope.
            pub fn name(self) -> &'static str {
                match self { $(ErrorCode::$variant => $name,)* }
            }

            /// HTTP status on the management plane and the probes.
            pub fn http_status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            /// How the code appears on the Cloud API (Graph) plane.
            pub fn graph(self) -> GraphError {
                match self {
                    $(ErrorCode::$variant => GraphError {
                        code: $gcode,
                        subcode: $gsub,
                        kind: GraphErrorType::$gtype,
                        status: $gstatus,
                    },)*
                }
            }
        }
    };
}

error_codes! {
    /// No API key in `Authorization` or `access_token`.
    MissingApiKey => "missing_api_key", 401, graph(190, None, OAuthException, 401);
    /// The API key is unknown or revoked (both answer the same).
    InvalidApiKey => "invalid_api_key", 401, graph(190, None, OAuthException, 401);
    /// The key is valid but not allowed to do this (e.g. a channel-scoped key managing keys).
    Forbidden => "forbidden", 403, graph(10, None, OAuthException, 403);
    /// The body is not valid JSON.
    MalformedJson => "malformed_json", 400, graph(100, None, OAuthException, 400);
    /// The body is JSON but a field is missing, of the wrong type, too long or invalid.
    InvalidRequest => "invalid_request", 400, graph(100, None, OAuthException, 400);
    /// A query-string parameter is invalid.
    InvalidQuery => "invalid_query", 400, graph(100, None, OAuthException, 400);
    /// The request needs `Content-Type: application/json`.
    UnsupportedMediaType => "unsupported_media_type", 415, graph(100, None, OAuthException, 400);
    /// The body is larger than this endpoint accepts.
    PayloadTooLarge => "payload_too_large", 413, graph(100, None, OAuthException, 400);
    /// No such route.
    RouteNotFound => "route_not_found", 404, graph(100, None, GraphMethodException, 400);
    /// The route exists but not with this method.
    MethodNotAllowed => "method_not_allowed", 405, graph(100, None, GraphMethodException, 400);
    /// The account does not exist (or is not yours).
    AccountNotFound => "account_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The channel does not exist (or belongs to another account).
    ChannelNotFound => "channel_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The API key does not exist (or belongs to another account).
    ApiKeyNotFound => "api_key_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The message does not exist (or is not yours).
    MessageNotFound => "message_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The webhook subscription does not exist (or is not yours).
    SubscriptionNotFound => "subscription_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The webhook delivery does not exist (or is not yours).
    DeliveryNotFound => "delivery_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The message template does not exist (or is not yours).
    TemplateNotFound => "template_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The media id does not exist, expired, was deleted, or belongs to another account.
    MediaNotFound => "media_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// A media download URL past its expiry or with a wrong signature; get a new one.
    MediaUrlExpired => "media_url_expired", 404, graph(100, None, OAuthException, 404);
    /// No webhook payload format is registered under this name (`cloud`, or a dialect's).
    PayloadFormatNotFound => "payload_format_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The contact does not exist, was deleted, or belongs to another account.
    ContactNotFound => "contact_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The tag does not exist (or belongs to another account): create it first.
    TagNotFound => "tag_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The contact import does not exist (or belongs to another account).
    ImportNotFound => "import_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The campaign does not exist or belongs to another account.
    CampaignNotFound => "campaign_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The account has a campaign of this name already (names are unique ignoring case).
    CampaignExists => "campaign_exists", 409, graph(100, None, OAuthException, 400);
    /// The campaign cannot do that in its status (launch a running campaign, resume a
    /// completed one, change the audience after launch…); the message says which.
    CampaignState => "campaign_state", 409, graph(100, None, OAuthException, 400);
    /// The launch's cost estimate exceeds what the wallet covers: top it up, or launch with
    /// `allow_partial` to send until the wallet runs out. Nothing is sent.
    CampaignUnfunded => "campaign_unfunded", 402, graph(131042, None, OAuthException, 400);
    /// Another process is running this import (its lease holds); resume it once that
    /// process stopped, or take it over (`wagate contacts import --resume ID --take-over`).
    ImportInProgress => "import_in_progress", 409, graph(100, None, OAuthException, 400);
    /// The contact is blocked in the account's contact book: wagate refuses sends to it
    /// (unblock it with `PATCH /api/v1/contacts/{id}`). Nothing is stored.
    ContactBlocked => "contact_blocked", 422, graph(100, None, OAuthException, 400);
    /// The account has a contact with this number already (the answer names it).
    ContactExists => "contact_exists", 409, graph(100, None, OAuthException, 400);
    /// The account has a tag of this name already (names are unique ignoring case).
    TagExists => "tag_exists", 409, graph(100, None, OAuthException, 400);
    /// The QR code does not exist, was deleted, or belongs to another phone number or account.
    QrCodeNotFound => "qr_code_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The flow does not exist, was deleted, or belongs to another WABA or account.
    FlowNotFound => "flow_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The WABA has a flow of this name already (Meta: "Flow name is not unique").
    FlowNameTaken => "flow_name_taken", 409, graph(100, None, OAuthException, 400);
    /// The flow cannot be updated (metadata or Flow JSON): only a DRAFT flow is (Meta 139001).
    FlowUpdateRefused => "flow_update_refused", 409, graph(139001, None, OAuthException, 400);
    /// The flow cannot be published: not a draft, Flow JSON with validation errors, or a
    /// data-exchange flow without a usable endpoint (Meta 139002). Nothing changes.
    FlowPublishRefused => "flow_publish_refused", 409, graph(139002, None, OAuthException, 400);
    /// The flow cannot be deprecated: only a PUBLISHED flow is (Meta 139003).
    FlowDeprecateRefused => "flow_deprecate_refused", 409, graph(139003, None, OAuthException, 400);
    /// The flow cannot be deleted: only a DRAFT flow is (Meta 139004).
    FlowDeleteRefused => "flow_delete_refused", 409, graph(139004, None, OAuthException, 400);
    /// A flow preview or asset URL past its expiry or with a wrong signature; get a new one
    /// with `GET /{flow_id}?fields=preview` or `GET /{flow_id}/assets`.
    FlowUrlExpired => "flow_url_expired", 404, graph(100, None, OAuthException, 404);
    /// The product catalog does not exist or is another account's.
    CatalogNotFound => "catalog_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The product does not exist or is another account's.
    ProductNotFound => "product_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The catalog has a product with this retailer_id (Meta's 10800, "duplicate retailer_id").
    ProductRetailerIdTaken => "product_retailer_id_taken", 409, graph(10800, None, OAuthException, 400);
    /// The WABA has a catalog linked already, or the catalog is linked to another WABA: unlink
    /// it first (Meta links one catalog to a WABA).
    CatalogLinked => "catalog_linked", 409, graph(100, None, OAuthException, 400);
    /// The group does not exist, was deleted, or belongs to another number or account
    /// (Meta's "Group unknown").
    GroupNotFound => "group_not_found", 404, graph(131041, None, OAuthException, 400);
    /// The number has as many groups as Meta allows (10,000 not deleted); delete one first.
    /// Nothing is stored.
    GroupCreateLimitReached => "group_create_limit_reached", 409, graph(131211, None, OAuthException, 400);
    /// The group has as many participants as Meta allows (8).
    GroupParticipantOverlimit => "group_participant_overlimit", 409, graph(131204, None, OAuthException, 400);
    /// The same user is named twice in `participants`.
    GroupDuplicateParticipant => "group_duplicate_participant", 400, graph(131202, None, OAuthException, 400);
    /// A user named in `participants` is not in the group. Nothing is removed.
    GroupParticipantNotFound => "group_participant_not_found", 400, graph(131212, None, OAuthException, 400);
    /// A message to a group nobody has joined yet (Meta's "Bad Group": no messages to
    /// single-member groups).
    GroupSingleMember => "group_single_member", 400, graph(131020, None, OAuthException, 400);
    /// The group is suspended for a policy violation; it takes no messages.
    GroupSuspended => "group_suspended", 403, graph(131207, None, OAuthException, 403);
    /// A paging cursor this list did not give (or a corrupted one): start from the first page.
    InvalidCursor => "invalid_cursor", 400, graph(131059, None, OAuthException, 400);
    /// A group message of a type groups do not take: only text, media (image, video, audio,
    /// document, sticker) and templates.
    GroupMessageTypeUnsupported => "group_message_type_unsupported", 400, graph(131051, None, OAuthException, 400);
    /// The invite link is not a group's current link (reset, deleted group, never was).
    GroupInviteLinkInvalid => "group_invite_link_invalid", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The join request is not pending (approved, rejected, revoked, or never made).
    JoinRequestNotFound => "join_request_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The webhook URL did not pass verification: it must answer the `hub.challenge` GET
    /// with 200 and the challenge as its body.
    WebhookVerificationFailed => "webhook_verification_failed", 422, graph(2200, None, OAuthException, 400);
    /// A report on the upstream webhook endpoint is not signed with the app secret.
    WebhookSignatureInvalid => "webhook_signature_invalid", 401, graph(190, None, OAuthException, 401);
    /// The WABA created as many templates this hour as it may (Meta: 100); try later.
    TemplateQuotaExceeded => "template_quota_exceeded", 429, graph(4, None, OAuthException, 400);
    /// A template message's parameters do not match the template: too few or too many for
    /// a component, a button or card without the parameter it needs, a component the
    /// template does not have.
    TemplateParamCountMismatch => "template_param_count_mismatch", 400, graph(132000, None, OAuthException, 400);
    /// The template does not exist in that language, or is not approved (yet).
    TemplateNotApproved => "template_not_approved", 404, graph(132001, None, OAuthException, 404);
    /// The template's text with the parameters filled in is longer than Meta allows.
    TemplateTextTooLong => "template_text_too_long", 400, graph(132005, None, OAuthException, 400);
    /// A parameter's type or format does not fit the template: a `currency` without a code,
    /// a video for an image header, a button parameter of the wrong `sub_type`, a named
    /// parameter for a positional template.
    TemplateParamFormatMismatch => "template_param_format_mismatch", 400, graph(132012, None, OAuthException, 400);
    /// The template is paused for low quality; it cannot be sent until it is unpaused.
    TemplatePaused => "template_paused", 400, graph(132015, None, OAuthException, 400);
    /// The template is disabled (paused too often); it can no longer be sent.
    TemplateDisabled => "template_disabled", 400, graph(132016, None, OAuthException, 400);
    /// A text parameter holds a newline, a tab or more than four spaces in a row.
    TemplateParamInvalid => "template_param_invalid", 400, graph(132018, None, OAuthException, 400);
    /// The file is empty.
    MediaEmpty => "media_empty", 400, graph(100, None, OAuthException, 400);
    /// The file's type is not one WhatsApp accepts (reference §6.4): a type outside the table,
    /// Ogg audio that is not Opus, or bytes of no known format. Meta answers an upload of such
    /// a file with `(#100) Param file must be a file with one of the following types: …`.
    MediaTypeNotSupported => "media_type_not_supported", 415, graph(100, None, OAuthException, 400);
    /// The file's bytes are of another type than the one declared (`type`, the part's
    /// Content-Type, a `data:` URI's type), or of another kind than the message needs.
    MediaTypeMismatch => "media_type_mismatch", 400, graph(100, None, OAuthException, 400);
    /// The file is larger than WhatsApp allows for its kind (image 5 MB, video and audio
    /// 16 MB, document 100 MB, sticker 100 KB or 500 KB animated).
    MediaTooLarge => "media_too_large", 413, graph(100, None, OAuthException, 400);
    /// A message's media could not be used when sending it: its `link` fetched a file of the
    /// wrong type, size or kind (Meta: "Media upload error", details in `error_data`).
    MediaUploadError => "media_upload_error", 400, graph(131053, None, OAuthException, 400);
    /// Another channel already uses this phone number id.
    PhoneNumberIdTaken => "phone_number_id_taken", 409, graph(100, None, OAuthException, 400);
    /// A required field is absent or empty (Meta: "Required parameter is missing").
    MissingParameter => "missing_parameter", 400, graph(131008, None, OAuthException, 400);
    /// A field is present but its value is out of range or malformed: too long, too many
    /// items, a bad URL or date, duplicate ids (Meta: "Parameter value is not valid").
    InvalidParameterValue => "invalid_parameter_value", 400, graph(131009, None, OAuthException, 400);
    /// The account's prepaid wallet (or its postpaid credit limit) cannot cover this
    /// message: top it up. Nothing is stored. (Meta's 131042, a payment issue.)
    InsufficientBalance => "insufficient_balance", 402, graph(131042, None, OAuthException, 400);
    /// The account's message quota expired and no backup balance is left. Nothing is stored.
    QuotaExpired => "quota_expired", 402, graph(131042, None, OAuthException, 400);
    /// The account's daily message limit is reached (UTC days). Nothing is stored.
    DailyLimitReached => "daily_limit_reached", 402, graph(131042, None, OAuthException, 400);
    /// The message has no charge: it does not exist, is not yours, or Meta would not charge
    /// it (a free-form message, a utility template inside the window).
    ChargeNotFound => "charge_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// A rate card in another currency than the account's credits wallet: prices and the
    /// balance must be in one currency.
    CurrencyMismatch => "currency_mismatch", 409, graph(100, None, OAuthException, 400);
    /// A wallet changes kind (credits, quota) only when its balances and holds are 0.
    WalletInUse => "wallet_in_use", 409, graph(100, None, OAuthException, 400);
    /// A free-form message outside the 24-hour window, on a channel that refuses them
    /// (`window_policy: reject`); send a template.
    OutsideServiceWindow => "outside_service_window", 400, graph(131047, None, OAuthException, 400);
    /// The phone number is deregistered: register it again (`POST /{phone_number_id}/register`)
    /// before sending from it.
    PhoneNumberNotRegistered => "phone_number_not_registered", 400, graph(133010, None, OAuthException, 400);
    /// Too many register (or deregister) calls for this number: at most 10 per 72 hours, and
    /// registration is then blocked for 72 hours.
    RegistrationRateLimited => "registration_rate_limited", 429, graph(133016, None, OAuthException, 400);
    /// The PIN does not match the number's two-step verification PIN.
    TwoStepPinMismatch => "two_step_pin_mismatch", 400, graph(133005, None, OAuthException, 400);
    /// The number must be verified (request_code, verify_code) before it is registered.
    PhoneNumberNotVerified => "phone_number_not_verified", 400, graph(133006, None, OAuthException, 400);
    /// A verification code cannot be sent now: one per minute, ten per 24 hours.
    VerificationCodeRequestRefused => "verification_code_request_refused", 429, graph(136024, None, OAuthException, 400);
    /// The verification code is wrong, expired, used up, or none was requested.
    VerificationCodeIncorrect => "verification_code_incorrect", 400, graph(136025, None, OAuthException, 400);
    /// No verification code is waiting for this number (none requested, or already used).
    VerificationCodeNotFound => "verification_code_not_found", 404, graph(100, Some(33), GraphMethodException, 400);
    /// The API key made more requests than its rate limit allows (`[rate_limits]`
    /// `key_per_sec`/`key_burst`); retry after `Retry-After` seconds. On the Cloud plane,
    /// Graph's application rate limit (code 4), with Meta's status (400).
    KeyRateLimited => "key_rate_limited", 429, graph(4, None, OAuthException, 400);
    /// The account's keys together made more requests than its rate limit allows
    /// (`account_per_sec`/`account_burst`); retry after `Retry-After` seconds. On the Cloud
    /// plane, Meta's WABA rate limit (code 80007), with Meta's status (400).
    AccountRateLimited => "account_rate_limited", 429, graph(80007, None, OAuthException, 400);
    /// The `Idempotency-Key` header is empty, longer than 255 characters or not visible
    /// ASCII.
    IdempotencyKeyInvalid => "idempotency_key_invalid", 400, graph(100, None, OAuthException, 400);
    /// The `Idempotency-Key` was already used, within 24 hours, for another request (another
    /// body or endpoint); use a new key for a new request.
    IdempotencyKeyReused => "idempotency_key_reused", 422, graph(100, None, OAuthException, 422);
    /// A request with this `Idempotency-Key` is still being processed; retry shortly to get
    /// its answer.
    IdempotencyKeyInProgress => "idempotency_key_in_progress", 409, graph(100, None, OAuthException, 409);
    /// The database is unreachable (readiness).
    NotReady => "not_ready", 503, graph(2, None, OAuthException, 503);
    /// Something went wrong on our side; the cause is logged, never sent.
    Internal => "internal_error", 500, graph(1, None, OAuthException, 500);
}

impl ErrorCode {
    /// Meta's fixed `error.message` text for the codes that have one; Graph answers those as
    /// `(#132000) Number of parameters…` with what went wrong in `error_data.details`.
    pub fn graph_title(self) -> Option<&'static str> {
        Some(match self {
            ErrorCode::TemplateParamCountMismatch => {
                "Number of parameters does not match the expected number of params"
            }
            ErrorCode::TemplateNotApproved => "Template name does not exist in the translation",
            ErrorCode::TemplateTextTooLong => "Translated text too long",
            ErrorCode::TemplateParamFormatMismatch => {
                "Parameter format does not match format in the created template"
            }
            ErrorCode::TemplatePaused => "Template is Paused",
            ErrorCode::TemplateDisabled => "Template is Disabled",
            ErrorCode::TemplateParamInvalid => {
                "There was an issue with the parameters in your template"
            }
            ErrorCode::MediaUploadError => "Media upload error",
            ErrorCode::PhoneNumberNotRegistered => "Phone number Not Registered",
            ErrorCode::RegistrationRateLimited => "Account register deregister rate limit exceeded",
            ErrorCode::TwoStepPinMismatch => "Two step verification PIN Mismatch",
            ErrorCode::PhoneNumberNotVerified => "Phone number re-verification needed",
            ErrorCode::VerificationCodeRequestRefused => "Request code error",
            ErrorCode::VerificationCodeIncorrect => "Verify code error",
            ErrorCode::KeyRateLimited => "Application request limit reached",
            ErrorCode::AccountRateLimited => "Rate limit issues",
            ErrorCode::FlowUpdateRefused => "Flow can't be updated",
            ErrorCode::FlowPublishRefused => "Flow can't be published",
            ErrorCode::FlowDeprecateRefused => "Flow can't be deprecated",
            ErrorCode::FlowDeleteRefused => "Flow can't be deleted",
            ErrorCode::GroupNotFound => "Group unknown",
            ErrorCode::GroupCreateLimitReached => "Group create limit reached",
            ErrorCode::GroupParticipantOverlimit => "Participant overlimit",
            ErrorCode::GroupDuplicateParticipant => "Duplicate participant",
            ErrorCode::GroupParticipantNotFound => "Participant is not a part of the group",
            ErrorCode::GroupSingleMember => "Bad Group",
            ErrorCode::GroupSuspended => "Group suspended",
            ErrorCode::InvalidCursor => "Invalid cursor",
            ErrorCode::GroupMessageTypeUnsupported => "Unsupported message type",
            _ => return None,
        })
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which way a value failed, so each surface answers with the code Meta would.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ValidationKind {
    /// Wrong JSON type, unknown enum value, a field that is not allowed here (Graph 100).
    #[default]
    Invalid,
    /// A required field is absent or empty (Graph 131008).
    Missing,
    /// A limit exceeded or a malformed value: too long, too many, bad URL (Graph 131009).
    OutOfRange,
}

/// A value that failed to parse: which field, and what is wrong with it, written for the API
/// user ("must be at most 139 characters"), and which [`ValidationKind`] of failure it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: String,
    pub message: String,
    pub kind: ValidationKind,
}

impl ValidationError {
    /// A [`ValidationKind::Invalid`] value: the general case.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::of_kind(ValidationKind::Invalid, field, message)
    }

    /// A required field that is absent or empty.
    pub fn missing(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::of_kind(ValidationKind::Missing, field, message)
    }

    /// A value past a limit, or malformed.
    pub fn out_of_range(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::of_kind(ValidationKind::OutOfRange, field, message)
    }

    fn of_kind(kind: ValidationKind, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            kind,
        }
    }

    /// The same error for a field nested inside `parent` (`profile.email`).
    pub fn within(mut self, parent: &str) -> Self {
        self.field = format!("{parent}.{}", self.field);
        self
    }

    pub fn code(&self) -> ErrorCode {
        match self.kind {
            ValidationKind::Invalid => ErrorCode::InvalidRequest,
            ValidationKind::Missing => ErrorCode::MissingParameter,
            ValidationKind::OutOfRange => ErrorCode::InvalidParameterValue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_snake_case() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let name = code.name();
            assert!(seen.insert(name), "duplicate code {name}");
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name} is not snake_case"
            );
        }
    }

    #[test]
    fn auth_failures_are_graph_190_with_401() {
        for code in [ErrorCode::MissingApiKey, ErrorCode::InvalidApiKey] {
            assert_eq!(code.http_status(), 401);
            let g = code.graph();
            assert_eq!(
                (g.code, g.status, g.kind),
                (190, 401, GraphErrorType::OAuthException)
            );
        }
    }

    #[test]
    fn unknown_objects_are_graph_100_subcode_33() {
        let g = ErrorCode::ChannelNotFound.graph();
        assert_eq!((g.code, g.subcode, g.status), (100, Some(33), 400));
        assert_eq!(g.kind.as_str(), "GraphMethodException");
    }

    #[test]
    fn nested_field_names() {
        let e = ValidationError::new("email", "is not an email address").within("profile");
        assert_eq!(e.to_string(), "profile.email: is not an email address");
        assert_eq!(e.code(), ErrorCode::InvalidRequest);
    }

    #[test]
    fn validation_kinds_map_to_metas_codes_and_survive_nesting() {
        let missing = ValidationError::missing("body", "is required").within("text");
        assert_eq!(missing.field, "text.body");
        assert_eq!(missing.kind, ValidationKind::Missing);
        assert_eq!(missing.code(), ErrorCode::MissingParameter);
        assert_eq!(missing.code().graph().code, 131008);

        let range = ValidationError::out_of_range("title", "too long").within("reply");
        assert_eq!(range.kind, ValidationKind::OutOfRange);
        assert_eq!(range.code(), ErrorCode::InvalidParameterValue);
        let g = range.code().graph();
        assert_eq!(
            (g.code, g.status, g.kind),
            (131009, 400, GraphErrorType::OAuthException)
        );
        assert_eq!(range.code().http_status(), 400);
    }
}
