//! The audit log of management actions. Each service records its own changes through
//! [`App::audit`] right after the store committed them (the store's per-domain commands are
//! single transactions that know nothing of who asked, so the entry is a second write; a
//! crash between the two loses that one entry, never the change). Recording never fails the
//! request whose change is already stored: a failed write is logged and counted
//! (`wagate_audit_write_failures_total`). Reading needs an admin key.

use wagate_core::audit::{AuditAction, AuditEntry, AuditFilter, AuditSummary, AuditTarget};
use wagate_core::ids::AuditEntryId;
use wagate_store::Page;

use crate::App;
use crate::Principal;
use crate::error::Result;

impl App {
    /// Records that `p` did `action` to `target`. Call it once the change is stored; the
    /// summary must hold no secret (token, app or webhook secret, PIN, message text).
    pub async fn audit(
        &self,
        p: &Principal,
        action: AuditAction,
        target: AuditTarget,
        summary: AuditSummary,
    ) {
        // A signed context has no key: the summary names the channel whose secret signed.
        let summary = match p.signed_by {
            Some(channel) => AuditSummary::new(format!(
                "{} (signed with channel {channel}'s WOZTELL secret)",
                summary.as_str()
            )),
            None => summary,
        };
        let entry = AuditEntry {
            id: AuditEntryId::generate(),
            account_id: p.account_id,
            at: self.now(),
            key_id: p.key_id,
            action,
            target,
            summary,
        };
        let (id, kind) = (entry.target.id.clone(), entry.target.kind);
        if let Err(e) = self.store.record_audit(entry).await {
            metrics::counter!("wagate_audit_write_failures_total").increment(1);
            tracing::error!(
                %action, target_type = kind.as_str(), target_id = %id,
                error.cause_chain = ?e, error.message = %e,
                "audit entry not recorded"
            );
        }
    }

    /// The account's audit entries, newest first. Admin keys only.
    pub async fn list_audit(
        &self,
        p: &Principal,
        filter: &AuditFilter,
        page: &Page<AuditEntryId>,
    ) -> Result<Vec<AuditEntry>> {
        p.require_admin()?;
        Ok(self.store.list_audit(p.account_id, filter, page).await?)
    }
}

/// The names of the fields a channel patch sets (never their values: `upstream` holds an
/// access token and an app secret).
pub(crate) fn channel_patch_fields(patch: &wagate_core::channel::ChannelPatch) -> AuditSummary {
    let pr = &patch.profile;
    let set = [
        ("display_phone_number", patch.display_phone_number.is_some()),
        ("verified_name", patch.verified_name.is_some()),
        ("upstream", patch.upstream.is_some()),
        ("throughput_mps", patch.throughput.is_some()),
        ("quality_rating", patch.quality_rating.is_some()),
        ("messaging_limit_tier", patch.messaging_limit_tier.is_some()),
        ("profile.about", pr.about.is_some()),
        ("profile.address", pr.address.is_some()),
        ("profile.description", pr.description.is_some()),
        ("profile.email", pr.email.is_some()),
        ("profile.vertical", pr.vertical.is_some()),
        ("profile.websites", pr.websites.is_some()),
        ("window_policy", patch.window_policy.is_some()),
    ];
    AuditSummary::changed(set.iter().filter(|(_, on)| *on).map(|(n, _)| *n))
}

/// The names of the profile fields a patch sets (plus the picture when it changes).
pub(crate) fn profile_fields(
    patch: &wagate_core::channel::BusinessProfilePatch,
    picture: bool,
) -> AuditSummary {
    let set = [
        ("about", patch.about.is_some()),
        ("address", patch.address.is_some()),
        ("description", patch.description.is_some()),
        ("email", patch.email.is_some()),
        ("vertical", patch.vertical.is_some()),
        ("websites", patch.websites.is_some()),
        ("profile_picture", picture),
    ];
    AuditSummary::changed(set.iter().filter(|(_, on)| *on).map(|(n, _)| *n))
}

/// A URL's scheme and host (with port): its path and query may carry a token, so the audit
/// log keeps only where it points.
pub(crate) fn url_origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Credentials in the authority (`user:pass@host`) are dropped too.
    let host = host.rsplit('@').next().unwrap_or_default();
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_origin_keeps_no_path_query_or_credentials() {
        assert_eq!(
            url_origin("https://user:pw@hooks.example.com:8443/x/y?token=s3cret#f"),
            "https://hooks.example.com:8443"
        );
        assert_eq!(url_origin("http://127.0.0.1/hook"), "http://127.0.0.1");
    }

    #[test]
    fn channel_patch_names_fields_only() {
        let patch = wagate_core::channel::ChannelPatch {
            window_policy: Some(wagate_core::policy::WindowPolicy::default()),
            ..Default::default()
        };
        assert_eq!(
            channel_patch_fields(&patch).as_str(),
            "changed: window_policy"
        );
    }
}
