//! Meta's encryption of the calls between the WhatsApp client and a business's Flows
//! endpoint ("data exchange"), both sides, as pure functions.
//!
//! # The scheme
//! A request (`ping`, `INIT`, `data_exchange`, `BACK`, …) is JSON. The client:
//! 1. draws a fresh AES-128 key and a fresh 16-byte IV;
//! 2. encrypts the JSON with AES-128-GCM under that key and IV (no associated data) and
//!    appends the 16-byte tag to the ciphertext;
//! 3. wraps the AES key with the business public key, RSA-OAEP with SHA-256 (for both the
//!    OAEP hash and MGF1, as Meta's examples configure it: Node's `oaepHash: "sha256"`,
//!    Python's `OAEP(mgf=MGF1(SHA256()), algorithm=SHA256())`);
//! 4. POSTs `{"encrypted_flow_data", "encrypted_aes_key", "initial_vector"}`, each base64
//!    (standard alphabet, padded).
//!
//! The business decrypts the AES key with its private key and the body with it, and answers
//! with its response JSON encrypted under the same AES key and the request's IV with every
//! bit flipped (`!b` for each byte), tag appended, base64, as the whole response body
//! (`text/plain`). The client decrypts it with the key and IV it kept ([`Session`]).
//!
//! - Client side (wagate calling an endpoint): [`encrypt_request`], [`decrypt_response`].
//! - Business side (the test endpoints, the README's example): [`decrypt_request`],
//!   [`encrypt_response`].

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::aes::Aes128;
use aes_gcm::aes::cipher::consts::U16;
use aes_gcm::{AesGcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use rsa::sha2::Sha256;
use serde::{Deserialize, Serialize};

use crate::business_key::{BusinessPrivateKey, BusinessPublicKey};

/// AES-128-GCM with Meta's 16-byte IV.
type Cipher = AesGcm<Aes128, U16>;

/// Bytes of the AES key.
pub const KEY_LEN: usize = 16;
/// Bytes of the IV.
pub const IV_LEN: usize = 16;
/// Bytes of the GCM tag appended to each ciphertext.
pub const TAG_LEN: usize = 16;

/// A request body as it travels (every field base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedRequest {
    pub encrypted_flow_data: String,
    pub encrypted_aes_key: String,
    pub initial_vector: String,
}

/// The AES key and IV of one request: what both sides need for its response. Never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    key: [u8; KEY_LEN],
    iv: [u8; IV_LEN],
}

impl Session {
    /// A fresh random key and IV.
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let mut key = [0u8; KEY_LEN];
        let mut iv = [0u8; IV_LEN];
        rng.fill_bytes(&mut key);
        rng.fill_bytes(&mut iv);
        Self { key, iv }
    }

    /// The response's IV: the request's with every bit flipped.
    pub fn flipped_iv(&self) -> [u8; IV_LEN] {
        self.iv.map(|b| !b)
    }

    pub fn iv(&self) -> &[u8; IV_LEN] {
        &self.iv
    }

    fn cipher(&self) -> Cipher {
        Cipher::new(&self.key.into())
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Session(..)")
    }
}

/// Why a body could not be encrypted or decrypted. The messages name the step, never a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("`{0}` is not base64")]
    Base64(&'static str),
    #[error("the AES key could not be unwrapped with the private key (RSA-OAEP-SHA256)")]
    KeyUnwrap,
    #[error("the AES key could not be wrapped with the public key")]
    KeyWrap,
    #[error("the AES key is {0} bytes; AES-128 needs 16")]
    KeyLength(usize),
    #[error("the initial vector is {0} bytes; 16 are expected")]
    IvLength(usize),
    #[error("the ciphertext does not authenticate (AES-GCM tag mismatch: wrong key, IV or data)")]
    Authentication,
}

fn decode(field: &'static str, s: &str) -> Result<Vec<u8>, CryptoError> {
    STANDARD
        .decode(s.trim())
        .map_err(|_| CryptoError::Base64(field))
}

/// Client side: encrypts `plaintext` (a request's JSON) for the holder of `key`'s private
/// key. Returns the body to POST and the [`Session`] to decrypt the answer with.
pub fn encrypt_request(
    key: &BusinessPublicKey,
    plaintext: &[u8],
) -> Result<(EncryptedRequest, Session), CryptoError> {
    encrypt_request_with(key, plaintext, Session::generate())
}

/// [`encrypt_request`] with a given key and IV (tests).
pub fn encrypt_request_with(
    key: &BusinessPublicKey,
    plaintext: &[u8],
    session: Session,
) -> Result<(EncryptedRequest, Session), CryptoError> {
    let wrapped = key
        .rsa()
        .oaep_encrypt::<Sha256>(&session.key)
        .map_err(|_| CryptoError::KeyWrap)?;
    let data = session
        .cipher()
        .encrypt(&Nonce::from(session.iv), plaintext)
        .map_err(|_| CryptoError::Authentication)?;
    let body = EncryptedRequest {
        encrypted_flow_data: STANDARD.encode(data),
        encrypted_aes_key: STANDARD.encode(wrapped),
        initial_vector: STANDARD.encode(session.iv),
    };
    Ok((body, session))
}

/// Client side: the plaintext of a response body (base64 of ciphertext and tag) to the
/// request of `session`.
pub fn decrypt_response(session: &Session, body: &str) -> Result<Vec<u8>, CryptoError> {
    let data = decode("response", body)?;
    session
        .cipher()
        .decrypt(&Nonce::from(session.flipped_iv()), data.as_slice())
        .map_err(|_| CryptoError::Authentication)
}

/// Business side: the plaintext of a request, and the [`Session`] to answer it with.
pub fn decrypt_request(
    key: &BusinessPrivateKey,
    req: &EncryptedRequest,
) -> Result<(Vec<u8>, Session), CryptoError> {
    let wrapped = decode("encrypted_aes_key", &req.encrypted_aes_key)?;
    let iv = decode("initial_vector", &req.initial_vector)?;
    let data = decode("encrypted_flow_data", &req.encrypted_flow_data)?;
    let aes_key = key
        .rsa()
        .oaep_decrypt::<Sha256>(&wrapped)
        .map_err(|_| CryptoError::KeyUnwrap)?;
    let session = Session {
        key: aes_key
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::KeyLength(aes_key.len()))?,
        iv: iv
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::IvLength(iv.len()))?,
    };
    let plaintext = session
        .cipher()
        .decrypt(&Nonce::from(session.iv), data.as_slice())
        .map_err(|_| CryptoError::Authentication)?;
    Ok((plaintext, session))
}

/// Business side: the response body (base64) carrying `plaintext` for the request of
/// `session`.
pub fn encrypt_response(session: &Session, plaintext: &[u8]) -> String {
    let data = session
        .cipher()
        .encrypt(&Nonce::from(session.flipped_iv()), plaintext)
        .expect("AES-GCM encrypts any body under 64 GiB");
    STANDARD.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::business_key::tests::private_key;

    fn flip(b64: &str, at: usize) -> String {
        let mut bytes = STANDARD.decode(b64).unwrap();
        bytes[at] ^= 0x01;
        STANDARD.encode(bytes)
    }

    #[test]
    fn a_request_and_its_response_round_trip() {
        let private = private_key();
        let public = private.public_key();
        let json = br#"{"version":"3.0","action":"ping"}"#;
        let (body, client) = encrypt_request(&public, json).unwrap();
        // The wire shape: base64 fields, a 256-byte wrapped key, a 16-byte IV, data + tag.
        let wire = serde_json::to_value(&body).unwrap();
        assert_eq!(wire.as_object().unwrap().len(), 3);
        assert_eq!(STANDARD.decode(&body.encrypted_aes_key).unwrap().len(), 256);
        assert_eq!(STANDARD.decode(&body.initial_vector).unwrap().len(), IV_LEN);
        assert_eq!(
            STANDARD.decode(&body.encrypted_flow_data).unwrap().len(),
            json.len() + TAG_LEN
        );
        let (plain, server) = decrypt_request(private, &body).unwrap();
        assert_eq!(plain, json);
        assert_eq!(server, client);

        let answer = br#"{"data":{"status":"active"}}"#;
        let response = encrypt_response(&server, answer);
        assert_eq!(decrypt_response(&client, &response).unwrap(), answer);
        // The response is under the flipped IV: decrypting it under the request's IV fails,
        // and so does the request's ciphertext under the flipped one.
        let unflipped = Session {
            key: client.key,
            iv: client.flipped_iv(),
        };
        assert_eq!(
            decrypt_response(&unflipped, &response),
            Err(CryptoError::Authentication)
        );
        assert_eq!(client.flipped_iv().map(|b| !b), *client.iv());
        // Fresh key and IV per request.
        let (again, _) = encrypt_request(&public, json).unwrap();
        assert_ne!(again.initial_vector, body.initial_vector);
        assert_ne!(again.encrypted_flow_data, body.encrypted_flow_data);
    }

    #[test]
    fn known_answers_from_an_independent_implementation() {
        // Computed with Python's `cryptography` (AESGCM, 16-byte IV): key 00..0f, IV 64..73.
        let s = Session {
            key: std::array::from_fn(|i| i as u8),
            iv: std::array::from_fn(|i| 100 + i as u8),
        };
        let json = br#"{"data":{"status":"active"}}"#;
        let request = s.cipher().encrypt(&Nonce::from(s.iv), &json[..]).unwrap();
        assert_eq!(
            hex::encode(request),
            "59d47e80c0a4b7681c0a987e52e47bb236fd2f8d051d7aa1f46a957c42d00865c5e7786fb34b0ecca19e3fea"
        );
        let response = encrypt_response(&s, json);
        assert_eq!(
            hex::encode(STANDARD.decode(&response).unwrap()),
            "e80d4e51e43015c999f0ae9db9dc9b26e9b3b021980fe7de573944308198cbdcddadb0664e068f065be92c57"
        );
        assert_eq!(decrypt_response(&s, &response).unwrap(), json);
    }

    #[test]
    fn tampering_and_wrong_keys_are_refused() {
        let private = private_key();
        let public = private.public_key();
        let (body, client) = encrypt_request(&public, br#"{"action":"INIT"}"#).unwrap();

        let mut bad = body.clone();
        bad.encrypted_flow_data = flip(&body.encrypted_flow_data, 0);
        assert_eq!(
            decrypt_request(private, &bad).unwrap_err(),
            CryptoError::Authentication
        );
        let mut bad = body.clone();
        let n = STANDARD.decode(&body.encrypted_flow_data).unwrap().len();
        bad.encrypted_flow_data = flip(&body.encrypted_flow_data, n - 1); // the tag
        assert_eq!(
            decrypt_request(private, &bad).unwrap_err(),
            CryptoError::Authentication
        );
        let mut bad = body.clone();
        bad.initial_vector = flip(&body.initial_vector, 3);
        assert_eq!(
            decrypt_request(private, &bad).unwrap_err(),
            CryptoError::Authentication
        );
        let mut bad = body.clone();
        bad.initial_vector = STANDARD.encode([0u8; 12]);
        assert_eq!(
            decrypt_request(private, &bad).unwrap_err(),
            CryptoError::IvLength(12)
        );
        let mut bad = body.clone();
        bad.encrypted_aes_key = flip(&body.encrypted_aes_key, 10);
        assert_eq!(
            decrypt_request(private, &bad).unwrap_err(),
            CryptoError::KeyUnwrap
        );
        let mut bad = body.clone();
        bad.encrypted_flow_data = "not base64!".into();
        assert_eq!(
            decrypt_request(private, &bad).unwrap_err(),
            CryptoError::Base64("encrypted_flow_data")
        );
        // Another business's private key cannot unwrap the AES key.
        let other = BusinessPrivateKey::generate();
        assert_eq!(
            decrypt_request(&other, &body).unwrap_err(),
            CryptoError::KeyUnwrap
        );
        // A response tampered with, under another key, or not base64.
        let (_, server) = decrypt_request(private, &body).unwrap();
        let response = encrypt_response(&server, br#"{"screen":"DONE","data":{}}"#);
        assert_eq!(
            decrypt_response(&client, &flip(&response, 2)),
            Err(CryptoError::Authentication)
        );
        assert_eq!(
            decrypt_response(&Session::generate(), &response),
            Err(CryptoError::Authentication)
        );
        assert_eq!(
            decrypt_response(&client, "{\"error\":1}"),
            Err(CryptoError::Base64("response"))
        );
    }
}
