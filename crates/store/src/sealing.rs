//! Secrets at rest: the values wagate must be able to read back (a cloud channel's access
//! token, app secret and verify token; a webhook subscription's signing secret and verify
//! token) are sealed with AES-256-GCM before they reach a row, and opened when read.
//!
//! Envelope encryption: the values are sealed with a **data key** kept in the database
//! (`secret_keys`), itself wrapped by the **master key**, which never enters the database
//! (a key file or an environment variable; see `wagate_app::platform::secrets`). Rotating the
//! master key re-wraps the data keys and touches no value; a stolen database file (or
//! backup) without the master key reveals none of the secrets.
//!
//! Both backends go through the shared row conversions, which call [`seal`] and [`open`]; the
//! unwrapped data keys are held here, in a process-wide keyring that only ever grows (a value
//! names the key that sealed it, so values under any loaded key open). A value written
//! before sealing existed (plain text, no prefix) opens as itself and is sealed by
//! [`reseal_secrets`] at start.
//!
//! Form of a sealed value: `sealed:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`.
//!
//! [`reseal_secrets`]: crate::PlatformStore::reseal_secrets

use std::sync::RwLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use crate::StoreError;

const PREFIX: &str = "sealed:v1:";

/// A data key, as generated or unwrapped.
pub struct DataKey {
    pub id: String,
    key: LessSafeKey,
}

impl DataKey {
    /// A new random data key and its raw bytes (to be wrapped).
    pub fn generate() -> (DataKey, [u8; 32]) {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .expect("the system random source works");
        let mut id = [0u8; 6];
        SystemRandom::new()
            .fill(&mut id)
            .expect("the system random source works");
        let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
        (DataKey::from_bytes(id, &bytes), bytes)
    }

    pub fn from_bytes(id: String, bytes: &[u8; 32]) -> DataKey {
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).expect("a 32-byte key"));
        DataKey { id, key }
    }
}

/// The master key: wraps and unwraps data keys; never stored in the database.
pub struct MasterKey(LessSafeKey);

impl MasterKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> MasterKey {
        MasterKey(LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, bytes).expect("a 32-byte key"),
        ))
    }

    /// A new random master key's bytes.
    pub fn generate() -> [u8; 32] {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .expect("the system random source works");
        bytes
    }

    /// The data key's bytes wrapped under this key (bound to the key's id).
    pub fn wrap(&self, id: &str, bytes: &[u8; 32], created_at: i64) -> WrappedKey {
        WrappedKey {
            id: id.to_owned(),
            wrapped: b64(&encrypt(&self.0, id.as_bytes(), bytes)),
            created_at,
        }
    }

    /// The data key and its bytes; `None` when this is not the key it was wrapped with.
    pub fn unwrap(&self, w: &WrappedKey) -> Option<(DataKey, [u8; 32])> {
        let plain = decrypt(&self.0, w.id.as_bytes(), &unb64(&w.wrapped)?)?;
        let bytes: [u8; 32] = plain.try_into().ok()?;
        Some((DataKey::from_bytes(w.id.clone(), &bytes), bytes))
    }
}

/// A data key as the database keeps it: wrapped by the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey {
    pub id: String,
    /// `base64url(nonce ‖ ciphertext ‖ tag)` of the key's 32 bytes under the master key.
    pub wrapped: String,
    pub created_at: i64,
}

/// AES-256-GCM of `plain` under `key`, with `aad` bound in: `nonce ‖ ciphertext ‖ tag`.
pub fn encrypt(key: &LessSafeKey, aad: &[u8], plain: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .expect("the system random source works");
    let mut buf = plain.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut buf,
    )
    .expect("sealing cannot fail for these sizes");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&buf);
    out
}

/// The inverse of [`encrypt`]; `None` when the key is wrong or the bytes were altered.
pub fn decrypt(key: &LessSafeKey, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce, rest) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut buf = rest.to_vec();
    let plain = key.open_in_place(nonce, Aad::from(aad), &mut buf).ok()?;
    Some(plain.to_vec())
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

struct Keyring {
    keys: Vec<DataKey>,
    /// Index of the key new values are sealed with.
    current: Option<usize>,
}

static KEYRING: RwLock<Keyring> = RwLock::new(Keyring {
    keys: Vec::new(),
    current: None,
});

/// Loads data keys; the last one becomes the key new values are sealed with. A key already
/// loaded (same id) is not loaded twice.
pub fn install(keys: Vec<DataKey>) {
    let mut ring = KEYRING.write().expect("keyring lock");
    for key in keys {
        match ring.keys.iter().position(|k| k.id == key.id) {
            Some(i) => ring.current = Some(i),
            None => {
                ring.keys.push(key);
                ring.current = Some(ring.keys.len() - 1);
            }
        }
    }
}

/// Whether a data key is loaded (a process that never unlocked keeps values as given).
pub fn active() -> bool {
    KEYRING.read().expect("keyring lock").current.is_some()
}

/// Whether `stored` is sealed under the current data key.
pub fn is_current(stored: &str) -> bool {
    let ring = KEYRING.read().expect("keyring lock");
    match (ring.current, stored.strip_prefix(PREFIX)) {
        (Some(i), Some(rest)) => rest
            .split_once(':')
            .is_some_and(|(id, _)| id == ring.keys[i].id),
        _ => false,
    }
}

/// `plain` sealed under the current data key; as given when none is loaded.
pub fn seal(plain: &str) -> String {
    let ring = KEYRING.read().expect("keyring lock");
    let Some(i) = ring.current else {
        return plain.to_owned();
    };
    let key = &ring.keys[i];
    let sealed = encrypt(&key.key, key.id.as_bytes(), plain.as_bytes());
    format!("{PREFIX}{}:{}", key.id, b64(&sealed))
}

/// The plain value of a stored one (a value stored before sealing existed is its own
/// plain value).
pub fn open(what: &'static str, stored: &str) -> Result<String, StoreError> {
    let Some(rest) = stored.strip_prefix(PREFIX) else {
        return Ok(stored.to_owned());
    };
    let corrupt = |detail: String| StoreError::Corrupt { what, detail };
    let (id, body) = rest
        .split_once(':')
        .ok_or_else(|| corrupt("a sealed value without its key id".into()))?;
    let ring = KEYRING.read().expect("keyring lock");
    let key = ring.keys.iter().find(|k| k.id == id).ok_or_else(|| {
        corrupt(format!(
            "sealed with data key {id}, which is not loaded (is this the database's master key?)"
        ))
    })?;
    let bytes = unb64(body).ok_or_else(|| corrupt("a sealed value that is not base64".into()))?;
    let plain = decrypt(&key.key, id.as_bytes(), &bytes)
        .ok_or_else(|| corrupt(format!("a value sealed with data key {id} does not open")))?;
    String::from_utf8(plain).map_err(|_| corrupt("a sealed value that is not UTF-8".into()))
}

/// `stored` sealed under the current data key, or `None` when it already is (or no key is
/// loaded): what `reseal_secrets` writes back.
pub fn resealed(what: &'static str, stored: &str) -> Result<Option<String>, StoreError> {
    if !active() || is_current(stored) {
        return Ok(None);
    }
    Ok(Some(seal(&open(what, stored)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_seal_and_open_and_legacy_plain_values_open_as_themselves() {
        let (key, _) = DataKey::generate();
        let id = key.id.clone();
        install(vec![key]);
        let sealed = seal("EAAG-secret-token");
        assert!(sealed.starts_with(&format!("sealed:v1:{id}:")), "{sealed}");
        assert!(!sealed.contains("secret-token"));
        assert_ne!(seal("EAAG-secret-token"), sealed, "a fresh nonce each time");
        assert!(is_current(&sealed));
        assert_eq!(open("t", &sealed).unwrap(), "EAAG-secret-token");
        assert_eq!(open("t", "plain-old-value").unwrap(), "plain-old-value");
        assert!(!is_current("plain-old-value"));

        // Altered, or under a key that is not loaded: refused, never garbage.
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(open("t", &altered).is_err());
        assert!(open("t", "sealed:v1:ffffffffffff:AAAA").is_err());

        // A newer key seals new values; older values still open.
        let (newer, _) = DataKey::generate();
        install(vec![newer]);
        assert!(!is_current(&sealed));
        assert_eq!(open("t", &sealed).unwrap(), "EAAG-secret-token");
        assert!(is_current(&seal("x")));
    }

    #[test]
    fn data_keys_unwrap_only_under_their_master_key() {
        let master = MasterKey::from_bytes(&MasterKey::generate());
        let (key, bytes) = DataKey::generate();
        let w = master.wrap(&key.id, &bytes, 1);
        let (back, back_bytes) = master.unwrap(&w).unwrap();
        assert_eq!((back.id.as_str(), back_bytes), (key.id.as_str(), bytes));
        let other = MasterKey::from_bytes(&MasterKey::generate());
        assert!(other.unwrap(&w).is_none());
        let renamed = WrappedKey {
            id: "000000000000".into(),
            ..w
        };
        assert!(master.unwrap(&renamed).is_none(), "bound to its id");
    }

    #[test]
    fn wrapping_needs_the_same_key_and_context() {
        let (key, bytes) = DataKey::generate();
        let sealed = encrypt(&key.key, b"ctx", &bytes);
        assert_eq!(decrypt(&key.key, b"ctx", &sealed).unwrap(), bytes);
        assert!(decrypt(&key.key, b"other", &sealed).is_none());
        let (other, _) = DataKey::generate();
        assert!(decrypt(&other.key, b"ctx", &sealed).is_none());
        assert!(decrypt(&key.key, b"ctx", &sealed[..5]).is_none());
    }
}
