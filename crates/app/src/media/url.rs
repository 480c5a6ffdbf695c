//! Download URLs that carry their own signature, like Meta's: `GET /{version}/{media_id}`
//! answers a URL that serves the bytes for a few minutes to anyone holding it, with or
//! without a Bearer token.
//!
//! The URL is
//! `<public_url>/media/<media_id>/download?account=<id>&expires=<unix seconds>&signature=<hex>`,
//! the signature an HMAC-SHA256 over the account, the media id and the expiry with the
//! server's URL key.
//! Nodes sharing a database share the key (`[media] url_key`; by default one is generated in
//! the data directory on first start).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks download URLs.
#[derive(Clone)]
pub struct UrlSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlSigner(..)")
    }
}

impl UrlSigner {
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into() }
    }

    /// A key for another purpose, derived from the server's key (HMAC with `label`), so
    /// nodes sharing the URL key share it and no purpose's key reveals another's.
    pub fn derive(&self, label: &str) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    fn mac(&self, account: &str, media_id: &str, expires: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(account.as_bytes());
        mac.update(b":");
        mac.update(media_id.as_bytes());
        mac.update(b":");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// The hex signature of the account's `media_id` until `expires` (unix seconds).
    pub fn sign(&self, account: &str, media_id: &str, expires: i64) -> String {
        hex::encode(self.mac(account, media_id, expires).finalize().into_bytes())
    }

    /// Whether `signature` is this server's for `media_id` until `expires` and `now` (unix
    /// seconds) is not past it. Compares in constant time.
    pub fn verify(
        &self,
        account: &str,
        media_id: &str,
        expires: i64,
        signature: &str,
        now: i64,
    ) -> bool {
        let Ok(given) = hex::decode(signature) else {
            return false;
        };
        now <= expires
            && self
                .mac(account, media_id, expires)
                .verify_slice(&given)
                .is_ok()
    }

    /// The download URL of the account's `media_id` on `base_url`, valid until `expires`.
    pub fn url(&self, base_url: &str, account: &str, media_id: &str, expires: i64) -> String {
        let base = base_url.trim_end_matches('/');
        let signature = self.sign(account, media_id, expires);
        format!(
            "{base}/media/{media_id}/download?account={account}&expires={expires}&signature={signature}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_the_id_the_expiry_and_the_key() {
        let s = UrlSigner::new(b"k1".to_vec());
        let sig = s.sign("a", "123", 1_000);
        assert!(s.verify("a", "123", 1_000, &sig, 999));
        assert!(s.verify("a", "123", 1_000, &sig, 1_000));
        assert!(!s.verify("a", "123", 1_000, &sig, 1_001), "expired");
        assert!(!s.verify("a", "124", 1_000, &sig, 999), "another id");
        assert!(!s.verify("b", "123", 1_000, &sig, 999), "another account");
        assert!(!s.verify("a", "123", 2_000, &sig, 999), "another expiry");
        assert!(!UrlSigner::new(b"k2".to_vec()).verify("a", "123", 1_000, &sig, 999));
        assert!(!s.verify("a", "123", 1_000, "zz", 999));
        assert!(!s.verify("a", "123", 1_000, "", 999));
        assert_eq!(
            s.url("http://h:1/", "a", "123", 1_000),
            format!("http://h:1/media/123/download?account=a&expires=1000&signature={sig}")
        );
    }
}
