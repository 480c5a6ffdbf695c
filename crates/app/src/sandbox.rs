//! The simulated network's own surface: a virtual user sends a message to a sandbox channel.

use wagate_core::Timestamp;
use wagate_core::channel::{Channel, Upstream};
use wagate_core::content::Content;
use wagate_core::error::ValidationError;
use wagate_core::ids::MessageId;
use wagate_core::message::{Message, Wamid};
use wagate_core::phone::PhoneE164;
use wagate_store::ContactKey;
use wagate_store::records::now;
use wagate_upstream::sandbox;

use crate::App;
use crate::error::Result;
use crate::principal::Principal;

/// Command: a virtual user sends `content` to a sandbox channel.
#[derive(Debug, Clone)]
pub struct InjectInbound {
    pub from: PhoneE164,
    /// Meta-style id; generated when absent.
    pub wamid: Option<Wamid>,
    /// When it was sent; now when absent.
    pub at: Option<Timestamp>,
    pub content: Content,
    /// The business message replied to (`context.id`).
    pub context: Option<Wamid>,
    pub profile_name: Option<String>,
}

impl App {
    /// Stores the message as received on `channel`, which must be a sandbox channel: the
    /// contact is created or renewed (opening the service window), STOP/START recorded.
    pub async fn inject_inbound(
        &self,
        _p: &Principal,
        channel: &Channel,
        cmd: InjectInbound,
    ) -> Result<Message> {
        let Upstream::Sandbox(settings) = &channel.upstream else {
            return Err(ValidationError::new(
                "phone_number_id",
                "only sandbox channels have virtual users; this channel's upstream is cloud",
            )
            .into());
        };
        let known = self
            .store
            .find_contact(channel.id, &ContactKey::WaId(cmd.from.clone()))
            .await?
            .is_some();
        // A first message always carries a name, as on WhatsApp; later ones keep the known one.
        let name = cmd
            .profile_name
            .or_else(|| settings.user(&cmd.from).name)
            .or_else(|| (!known).then(|| sandbox::default_name(&cmd.from)));
        let mut new = sandbox::inbound(
            channel,
            &cmd.from,
            name,
            cmd.content,
            cmd.context,
            cmd.at.unwrap_or_else(now),
        );
        if let Some(wamid) = cmd.wamid {
            new.wamid = wamid;
            new.id = MessageId::generate();
        }
        let message = self.store.ingest_inbound(new).await?;
        metrics::counter!("wagate_message_status_total", "status" => "received").increment(1);
        Ok(message)
    }
}
