//! A message put in Meta's terms before it is handed to a cloud upstream.
//!
//! - A reply's `context` names the message replied to by Meta's id for it (recorded when it
//!   was handed over, or its own wamid when it came from Meta). A reply to a message Meta
//!   never saw keeps our wamid, and Meta decides.
//! - A media id is wagate's (an upload to wagate); Meta knows only its own. Each one the
//!   message carries (a media message's, a template header's, an interactive header's, a
//!   carousel card's) is uploaded to Meta's `/{phone_number_id}/media` once and replaced
//!   by Meta's id; the pair is remembered for a day (Meta keeps an upload 30 days), so a
//!   campaign sending one image uploads it once. A media id that is gone fails the message
//!   with 131053; Meta refusing the upload fails it as Meta says, or retries when Meta's
//!   trouble is transient. Links go as they are: Meta fetches them.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncReadExt;
use wagate_core::channel::{Channel, CloudSettings};
use wagate_core::failure::Failure;
use wagate_core::ids::{ChannelId, MediaId};
use wagate_core::message::{Message, Wamid};
use wagate_store::Store;
use wagate_upstream::Handover;
use wagate_upstream::cloud::CloudClient;

use crate::media::blob::BlobStore;
use crate::platform::cache::TtlCache;

/// Meta's ids of files already uploaded, by channel and wagate media id.
pub struct UploadedMedia(TtlCache<(ChannelId, String), String>);

impl Default for UploadedMedia {
    fn default() -> Self {
        Self(TtlCache::new(Duration::from_secs(24 * 3600)))
    }
}

/// What the cloud hand-over needs besides the store.
pub struct CloudParts<'a> {
    pub store: &'a dyn Store,
    pub client: &'a CloudClient,
    pub blobs: Option<Arc<dyn BlobStore>>,
    pub uploaded: &'a UploadedMedia,
}

/// The message as Meta should get it, or why it cannot be handed over now.
pub async fn prepare(
    parts: &CloudParts<'_>,
    channel: &Channel,
    settings: &CloudSettings,
    message: &Message,
) -> Result<Message, Handover> {
    let mut prepared = message.clone();
    if let Some(context) = &message.context {
        match parts
            .store
            .upstream_id_of(message.channel_id, context)
            .await
        {
            Ok(Some(upstream_id)) => {
                if let Ok(w) = Wamid::parse_field("context.message_id", &upstream_id) {
                    prepared.context = Some(w);
                }
            }
            Ok(None) => {}
            Err(e) => {
                return Err(Handover::refused(
                    Failure::ServiceUnavailable,
                    format!("The message replied to could not be looked up: {e}"),
                ));
            }
        }
    }
    let kind = prepared.content.kind();
    let mut ids = Vec::new();
    if kind.is_media() {
        if let Some(id) = prepared.content.body().get("id").and_then(Value::as_str) {
            ids.push(id.to_owned());
        }
    } else {
        header_ids(prepared.content.body(), &mut ids);
    }
    if ids.is_empty() {
        return Ok(prepared);
    }
    let mut replaced = Vec::with_capacity(ids.len());
    for id in ids {
        let upstream = upload(parts, channel, settings, message, &id).await?;
        replaced.push((id, upstream));
    }
    replace_ids(prepared.content.body_mut(), &replaced, kind.is_media());
    Ok(prepared)
}

/// Media ids of header media objects (see [`super::header_media`]), once each.
fn header_ids(v: &Value, out: &mut Vec<String>) {
    super::header_media::visit(v, &mut |_, media| {
        if let Some(id) = media.get("id").and_then(Value::as_str)
            && !out.iter().any(|i| i == id)
        {
            out.push(id.to_owned());
        }
    });
}

/// Puts Meta's ids where wagate's were: in `v` itself when it is a media message's object
/// (`top`), else in its header media objects.
fn replace_ids(v: &mut Value, replaced: &[(String, String)], top: bool) {
    let swap = |media: &mut Value| {
        if let Some(id) = media.get_mut("id")
            && let Some((_, upstream)) = replaced
                .iter()
                .find(|(ours, _)| Some(ours.as_str()) == id.as_str())
        {
            *id = Value::String(upstream.clone());
        }
    };
    if top {
        swap(v);
    } else {
        super::header_media::visit_mut(v, &mut |_, media| swap(media));
    }
}

/// Meta's id for wagate's media `id` on `channel`, uploading the file if need be.
async fn upload(
    parts: &CloudParts<'_>,
    channel: &Channel,
    settings: &CloudSettings,
    message: &Message,
    id: &str,
) -> Result<String, Handover> {
    let key = (channel.id, id.to_owned());
    if let Some(upstream) = parts.uploaded.0.get(&key) {
        return Ok(upstream);
    }
    let gone = |why: &str| {
        Handover::refused(
            Failure::MediaUpload,
            format!("Media id {id} could not be sent to Meta: {why}."),
        )
    };
    let media = match MediaId::parse(id) {
        Ok(media_id) => match parts.store.get_media(message.account_id, &media_id).await {
            Ok(media) => media,
            Err(wagate_store::StoreError::NotFound(_)) => return Err(gone("it no longer exists")),
            Err(e) => {
                return Err(Handover::refused(
                    Failure::ServiceUnavailable,
                    format!("Media id {id} could not be read: {e}"),
                ));
            }
        },
        // Not a wagate id: Meta's own, passed on.
        Err(_) => return Ok(id.to_owned()),
    };
    let Some(blobs) = &parts.blobs else {
        return Err(gone("this node keeps no media"));
    };
    let mut bytes = Vec::with_capacity(media.file_size as usize);
    match blobs.open(&media.storage_key).await {
        Ok(Some(mut reader)) => {
            if let Err(e) = reader.read_to_end(&mut bytes).await {
                return Err(Handover::refused(
                    Failure::ServiceUnavailable,
                    format!("Media id {id} could not be read: {e}"),
                ));
            }
        }
        Ok(None) => return Err(gone("its file is gone")),
        Err(e) => {
            return Err(Handover::refused(
                Failure::ServiceUnavailable,
                format!("Media id {id} could not be read: {e}"),
            ));
        }
    }
    let filename = media.filename.clone().unwrap_or_else(|| "file".to_owned());
    match parts
        .client
        .upload_media(
            settings,
            channel.phone_number_id.as_str(),
            bytes,
            &media.mime_type,
            &filename,
        )
        .await
    {
        Ok(upstream) => {
            parts.uploaded.0.put(key, upstream.clone());
            Ok(upstream)
        }
        Err(e) => Err(e.into_handover()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn header_media_ids_are_found_and_replaced_at_any_depth() {
        let mut body = json!({"name": "promo", "components": [
            {"type": "header", "parameters": [{"type": "image", "image": {"id": "111"}}]},
            {"type": "carousel", "cards": [{"components": [
                {"type": "header", "parameters": [{"type": "video", "video": {"id": "222"}}]}]},
                {"components": [{"type": "header", "parameters": [{"type": "image", "image": {"id": "111"}}]}]}]},
            {"type": "body", "parameters": [{"type": "text", "text": "id"}]}
        ]});
        let mut ids = Vec::new();
        header_ids(&body, &mut ids);
        assert_eq!(ids, vec!["111", "222"]);
        replace_ids(
            &mut body,
            &[("111".into(), "9001".into()), ("222".into(), "9002".into())],
            false,
        );
        assert_eq!(
            body["components"][0]["parameters"][0]["image"]["id"],
            "9001"
        );
        assert_eq!(
            body["components"][1]["cards"][0]["components"][0]["parameters"][0]["video"]["id"],
            "9002"
        );
        assert_eq!(
            body["components"][1]["cards"][1]["components"][0]["parameters"][0]["image"]["id"],
            "9001"
        );
        assert_eq!(body["components"][2]["parameters"][0]["text"], "id");
    }

    #[test]
    fn a_media_messages_own_id_is_replaced() {
        let mut body = json!({"id": "111", "caption": "cat"});
        replace_ids(&mut body, &[("111".into(), "9001".into())], true);
        assert_eq!(body, json!({"id": "9001", "caption": "cat"}));
    }
}
