//! The values of Meta's group webhooks, worked out from a change of one group. Pure: the
//! service that makes the change builds the events here and the store records them in the
//! change's transaction.
//!
//! Every value is `{"messaging_product":"whatsapp","metadata":{…},"groups":[{…}]}` with one
//! item carrying `timestamp` (unix seconds), `group_id` and `type`:
//!
//! - `group_lifecycle_update`: `group_create` (with the create's `request_id`, `subject`,
//!   `description`, `invite_link`, `join_approval_mode`) and `group_delete`.
//! - `group_participants_update`: `group_participants_add` (`reason: invite_link`,
//!   `added_participants`), `group_participants_remove` (`initiated_by` `business`, with the
//!   removal's `request_id` and each `input`, or `participant` when a user left),
//!   `group_join_request_created` and `group_join_request_revoked`.
//! - `group_settings_update`: `group_settings_update`, each changed setting with its new
//!   `text` and `update_successful`.
//! - `group_status_update`: `group_suspend`, `group_suspend_cleared`.

use serde_json::{Map, Value, json};

use crate::Timestamp;
use crate::channel::Channel;
use crate::ids::EventId;
use crate::phone::PhoneE164;
use crate::webhook::{EventData, EventField, WebhookEvent};

use super::{Group, GroupPatch, JoinRequest};

/// Builds the events of one channel's group changes at one instant.
pub struct GroupEvents<'a> {
    pub channel: &'a Channel,
    pub at: Timestamp,
}

impl GroupEvents<'_> {
    fn event(
        &self,
        field: EventField,
        group: &Group,
        kind: &str,
        extra: Map<String, Value>,
    ) -> WebhookEvent {
        let mut item = Map::new();
        item.insert("timestamp".into(), self.at.as_second().into());
        item.insert("group_id".into(), group.id.as_str().into());
        item.insert("type".into(), kind.into());
        item.extend(extra);
        WebhookEvent {
            id: EventId::generate(),
            account_id: group.account_id,
            channel_id: Some(group.channel_id),
            occurred_at: self.at,
            data: EventData::Other {
                field,
                value: json!({
                    "messaging_product": "whatsapp",
                    "metadata": {
                        "display_phone_number": self.channel.display_phone_number.digits(),
                        "phone_number_id": self.channel.phone_number_id.as_str(),
                    },
                    "groups": [item],
                }),
            },
        }
    }

    /// The group exists: its id and invite link, for the create's `request_id`.
    pub fn created(&self, group: &Group, request_id: &str) -> WebhookEvent {
        let mut m = Map::new();
        m.insert("request_id".into(), request_id.into());
        m.insert("subject".into(), group.subject.as_str().into());
        if !group.description.is_empty() {
            m.insert("description".into(), group.description.as_str().into());
        }
        m.insert("invite_link".into(), group.invite_code.link().into());
        m.insert(
            "join_approval_mode".into(),
            group.join_approval_mode.as_str().into(),
        );
        self.event(EventField::GroupLifecycleUpdate, group, "group_create", m)
    }

    pub fn deleted(&self, group: &Group, request_id: &str) -> WebhookEvent {
        let mut m = Map::new();
        m.insert("request_id".into(), request_id.into());
        self.event(EventField::GroupLifecycleUpdate, group, "group_delete", m)
    }

    /// A user joined with the invite link (or their join request was approved).
    pub fn joined(&self, group: &Group, wa_id: &PhoneE164, reason: &str) -> WebhookEvent {
        let mut m = Map::new();
        m.insert("reason".into(), reason.into());
        m.insert(
            "added_participants".into(),
            json!([{ "wa_id": wa_id.digits() }]),
        );
        self.event(
            EventField::GroupParticipantsUpdate,
            group,
            "group_participants_add",
            m,
        )
    }

    /// The business removed users (`inputs` as the request named them).
    pub fn removed(
        &self,
        group: &Group,
        request_id: &str,
        removed: &[(String, PhoneE164)],
    ) -> WebhookEvent {
        let mut m = Map::new();
        m.insert("request_id".into(), request_id.into());
        m.insert(
            "removed_participants".into(),
            removed
                .iter()
                .map(|(input, wa)| json!({"input": input, "wa_id": wa.digits()}))
                .collect(),
        );
        m.insert("initiated_by".into(), "business".into());
        self.event(
            EventField::GroupParticipantsUpdate,
            group,
            "group_participants_remove",
            m,
        )
    }

    /// A user left the group.
    pub fn left(&self, group: &Group, wa_id: &PhoneE164) -> WebhookEvent {
        let mut m = Map::new();
        m.insert(
            "removed_participants".into(),
            json!([{ "wa_id": wa_id.digits() }]),
        );
        m.insert("initiated_by".into(), "participant".into());
        self.event(
            EventField::GroupParticipantsUpdate,
            group,
            "group_participants_remove",
            m,
        )
    }

    pub fn join_requested(&self, group: &Group, r: &JoinRequest) -> WebhookEvent {
        let mut m = Map::new();
        m.insert("join_request_id".into(), r.id.as_str().into());
        m.insert("wa_id".into(), r.wa_id.digits().into());
        self.event(
            EventField::GroupParticipantsUpdate,
            group,
            "group_join_request_created",
            m,
        )
    }

    pub fn join_revoked(&self, group: &Group, r: &JoinRequest) -> WebhookEvent {
        let mut m = Map::new();
        m.insert("join_request_id".into(), r.id.as_str().into());
        m.insert("wa_id".into(), r.wa_id.digits().into());
        self.event(
            EventField::GroupParticipantsUpdate,
            group,
            "group_join_request_revoked",
            m,
        )
    }

    /// The subject or description changed (as `patch` set them).
    pub fn settings(&self, group: &Group, request_id: &str, patch: &GroupPatch) -> WebhookEvent {
        let mut m = Map::new();
        m.insert("request_id".into(), request_id.into());
        if let Some(s) = &patch.subject {
            m.insert(
                "group_subject".into(),
                json!({"text": s.as_str(), "update_successful": true}),
            );
        }
        if let Some(d) = &patch.description {
            m.insert(
                "group_description".into(),
                json!({"text": d.as_str(), "update_successful": true}),
            );
        }
        self.event(
            EventField::GroupSettingsUpdate,
            group,
            "group_settings_update",
            m,
        )
    }

    /// The group was suspended for a policy violation, or the suspension lifted.
    pub fn status(&self, group: &Group, suspended: bool) -> WebhookEvent {
        let kind = if suspended {
            "group_suspend"
        } else {
            "group_suspend_cleared"
        };
        self.event(EventField::GroupStatusUpdate, group, kind, Map::new())
    }
}
