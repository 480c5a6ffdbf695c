//! A business's RSA key pair for WhatsApp Flows endpoints (Meta's
//! `/{phone_number_id}/whatsapp_business_encryption`).
//!
//! The WhatsApp client encrypts every request to a business's Flows endpoint with the
//! business's public key (see [`crate::flow::crypto`]); the business decrypts it with its
//! private key. Meta requires a 2048-bit RSA key.
//!
//! - [`BusinessPublicKey`]: a PEM public key as a business uploads it, SPKI
//!   (`-----BEGIN PUBLIC KEY-----`, what `openssl rsa -pubout` writes) or PKCS#1
//!   (`-----BEGIN RSA PUBLIC KEY-----`), parsed and 2048 bits long. The PEM text is kept as
//!   sent (trimmed), because Meta echoes it back on a read.
//! - [`BusinessPrivateKey`]: the business side's private key (PKCS#8 `BEGIN PRIVATE KEY` or
//!   PKCS#1 `BEGIN RSA PRIVATE KEY`, unencrypted), which wagate never stores: test endpoints
//!   and the README's example hold it.
//! - Every refusal is a plain invalid value (Graph code 100 on the Cloud plane, as Graph
//!   answers a bad parameter of a non-messaging edge), naming `business_public_key`.
//! - [`KeySignature`] / [`SignatureStatus`]: Meta answers a key read with
//!   `business_public_key_signature_status`, `VALID` or `MISMATCH` (Meta signs the key for
//!   each phone number it is set on; `MISMATCH` means the stored key no longer matches that
//!   signature, and the key must be set again). wagate signs the pair (phone number id, PEM)
//!   with SHA-256 when it stores a key and checks the pair on each read: a key stored for this
//!   number reads `VALID`; a row that was edited or copied to another number reads `MISMATCH`.

use std::fmt;

use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

use crate::error::ValidationError;
use crate::ids::PhoneNumberId;

/// The one key size Meta accepts.
pub const KEY_BITS: u32 = 2048;
/// The longest PEM text taken (a 2048-bit key's PEM is about 450 bytes).
pub const MAX_PEM_LEN: usize = 8192;

const FIELD: &str = "business_public_key";

/// A business's 2048-bit RSA public key, with its PEM text as uploaded.
#[derive(Clone)]
pub struct BusinessPublicKey {
    pem: String,
    key: rsa::PublicKey,
}

impl BusinessPublicKey {
    /// A PEM RSA public key (SPKI or PKCS#1) of exactly 2048 bits. Clients often send the
    /// PEM with `\n` written as the two characters `\` `n` (a key pasted into JSON by hand),
    /// or with `\r\n`: both are read as newlines.
    pub fn parse(pem: &str) -> Result<Self, ValidationError> {
        let text = normalise(pem);
        if text.is_empty() {
            return Err(ValidationError::new(
                FIELD,
                "is required: a PEM RSA public key (-----BEGIN PUBLIC KEY-----)",
            ));
        }
        if text.len() > MAX_PEM_LEN {
            return Err(ValidationError::new(
                FIELD,
                format!("is longer than {MAX_PEM_LEN} characters; a 2048-bit PEM key is about 450"),
            ));
        }
        let key = if text.starts_with("-----BEGIN PUBLIC KEY-----") {
            rsa::PublicKey::from_public_key_pem(&text).map_err(|_| {
                ValidationError::new(
                    FIELD,
                    "is not an RSA public key: the PEM block does not hold an RSA \
                     SubjectPublicKeyInfo",
                )
            })?
        } else if text.starts_with("-----BEGIN RSA PUBLIC KEY-----") {
            rsa::PublicKey::from_pkcs1_pem(&text).map_err(|_| {
                ValidationError::new(
                    FIELD,
                    "is not an RSA public key: the PKCS#1 PEM block does not parse",
                )
            })?
        } else if text.starts_with("-----BEGIN") {
            return Err(ValidationError::new(
                FIELD,
                "is not a public key: expected -----BEGIN PUBLIC KEY----- or \
                 -----BEGIN RSA PUBLIC KEY----- (never send a private key)",
            ));
        } else {
            return Err(ValidationError::new(
                FIELD,
                "is not PEM: expected -----BEGIN PUBLIC KEY-----, as `openssl rsa -pubout` \
                 writes",
            ));
        };
        let bits = key.n().bit_width();
        if bits != KEY_BITS {
            return Err(ValidationError::new(
                FIELD,
                format!("is a {bits}-bit RSA key; WhatsApp Flows need a 2048-bit key"),
            ));
        }
        Ok(Self { pem: text, key })
    }

    /// The PEM text, as uploaded (trimmed, newlines as `\n`).
    pub fn pem(&self) -> &str {
        &self.pem
    }

    pub fn rsa(&self) -> &rsa::PublicKey {
        &self.key
    }

    /// The signature of this key for `phone_number_id` (see the module docs).
    pub fn sign(&self, phone_number_id: &PhoneNumberId) -> KeySignature {
        KeySignature::of(phone_number_id, &self.pem)
    }
}

impl PartialEq for BusinessPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.pem == other.pem
    }
}

impl Eq for BusinessPublicKey {}

impl fmt::Debug for BusinessPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BusinessPublicKey({} bits)", self.key.n().bit_width())
    }
}

/// Trims, turns `\r\n` and a literal backslash-n into newlines.
fn normalise(pem: &str) -> String {
    pem.trim()
        .replace("\\n", "\n")
        .replace("\r\n", "\n")
        .trim()
        .to_owned()
}

/// The business side's private key. Never stored by wagate; `Debug` shows only its size.
#[derive(Clone)]
pub struct BusinessPrivateKey(rsa::PrivateKey);

impl BusinessPrivateKey {
    /// PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`), unencrypted.
    pub fn parse(pem: &str) -> Result<Self, ValidationError> {
        let text = normalise(pem);
        rsa::PrivateKey::from_pkcs8_pem(&text)
            .or_else(|_| rsa::PrivateKey::from_pkcs1_pem(&text))
            .map(Self)
            .map_err(|_| {
                ValidationError::new(
                    "private_key",
                    "is not an unencrypted PEM RSA private key (PKCS#8 or PKCS#1)",
                )
            })
    }

    /// A fresh 2048-bit key (tests, examples).
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        Self(
            rsa::PrivateKey::new(&mut RandCompat(&mut rng), KEY_BITS as usize)
                .expect("a 2048-bit RSA key generates"),
        )
    }

    /// The matching public key.
    pub fn public_key(&self) -> BusinessPublicKey {
        use rsa::pkcs8::EncodePublicKey;
        let key = self.0.to_public_key();
        let pem = key
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .expect("an RSA public key encodes")
            .trim()
            .to_owned();
        BusinessPublicKey { pem, key }
    }

    /// The key as PKCS#8 PEM.
    pub fn to_pem(&self) -> String {
        use rsa::pkcs8::EncodePrivateKey;
        self.0
            .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
            .expect("an RSA private key encodes")
            .to_string()
    }

    pub fn rsa(&self) -> &rsa::PrivateKey {
        &self.0
    }
}

impl fmt::Debug for BusinessPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BusinessPrivateKey({} bits)", self.0.n().bit_width())
    }
}

/// `rand` 0.9's generator for RSA's `rand_core` 0.10 traits.
pub(crate) struct RandCompat<'a, R>(pub &'a mut R);

impl<R: rand::RngCore> rsa::rand_core::TryRng for RandCompat<'_, R> {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.0.next_u32())
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(self.0.next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill_bytes(dst);
        Ok(())
    }
}

impl<R: rand::CryptoRng> rsa::rand_core::TryCryptoRng for RandCompat<'_, R> {}

/// SHA-256 over the phone number id and the key's PEM (see the module docs), hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySignature(String);

impl KeySignature {
    fn of(phone_number_id: &PhoneNumberId, pem: &str) -> Self {
        let mut h = Sha256::new();
        h.update(b"wagate business public key\0");
        h.update(phone_number_id.to_string().as_bytes());
        h.update(b"\0");
        h.update(pem.as_bytes());
        Self(hex::encode(h.finalize()))
    }

    /// A stored signature, as it was written (any text: a wrong one reads `MISMATCH`).
    pub fn stored(s: &str) -> Self {
        Self(s.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this signature is `key`'s for `phone_number_id`.
    pub fn status(
        &self,
        phone_number_id: &PhoneNumberId,
        key: &BusinessPublicKey,
    ) -> SignatureStatus {
        if *self == key.sign(phone_number_id) {
            SignatureStatus::Valid
        } else {
            SignatureStatus::Mismatch
        }
    }
}

/// Meta's `business_public_key_signature_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureStatus {
    Valid,
    Mismatch,
}

impl SignatureStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "VALID",
            Self::Mismatch => "MISMATCH",
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::OnceLock;

    use super::*;

    /// One generated key for all tests in this crate (generation takes a while in debug).
    pub(crate) fn private_key() -> &'static BusinessPrivateKey {
        static KEY: OnceLock<BusinessPrivateKey> = OnceLock::new();
        KEY.get_or_init(BusinessPrivateKey::generate)
    }

    /// A 1024-bit key's SPKI PEM.
    fn small_pem() -> String {
        use rsa::pkcs8::EncodePublicKey;
        let k = rsa::PrivateKey::new(&mut RandCompat(&mut rand::rng()), 1024).unwrap();
        k.to_public_key()
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap()
    }

    #[test]
    fn spki_and_pkcs1_keys_parse() {
        use rsa::pkcs1::EncodeRsaPublicKey;
        let private = private_key();
        let spki = private.public_key();
        assert!(spki.pem().starts_with("-----BEGIN PUBLIC KEY-----"));
        let again = BusinessPublicKey::parse(&format!("\n {} \n", spki.pem())).unwrap();
        assert_eq!(again, spki);
        assert_eq!(again.rsa(), private.rsa().as_public_key());
        let pkcs1 = private
            .rsa()
            .to_public_key()
            .to_pkcs1_pem(rsa::pkcs8::LineEnding::CRLF)
            .unwrap();
        let k = BusinessPublicKey::parse(&pkcs1).unwrap();
        assert!(k.pem().starts_with("-----BEGIN RSA PUBLIC KEY-----\n"));
        assert!(!k.pem().contains('\r'));
        assert_eq!(k.rsa(), spki.rsa());
        // Newlines escaped as in hand-written JSON.
        let escaped = spki.pem().replace('\n', "\\n");
        assert_eq!(BusinessPublicKey::parse(&escaped).unwrap(), spki);
        assert_eq!(format!("{spki:?}"), "BusinessPublicKey(2048 bits)");
    }

    #[test]
    fn other_keys_and_text_are_refused() {
        let spki = private_key().public_key();
        let body: String = spki
            .pem()
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let cases = [
            ("", "is required"),
            ("   ", "is required"),
            ("hello", "is not PEM"),
            (body.as_str(), "is not PEM"),
            (
                "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
                "is not an RSA public key",
            ),
            (
                "-----BEGIN RSA PUBLIC KEY-----\nnot base64!\n-----END RSA PUBLIC KEY-----",
                "is not an RSA public key",
            ),
            (
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
                "is not a public key",
            ),
        ];
        for (pem, want) in cases {
            let e = BusinessPublicKey::parse(pem).unwrap_err();
            assert_eq!(e.field, "business_public_key");
            assert!(e.message.starts_with(want), "{pem:?}: {}", e.message);
        }
        let private = private_key().to_pem();
        let e = BusinessPublicKey::parse(&private).unwrap_err();
        assert!(e.message.contains("never send a private key"), "{e}");
        let e = BusinessPublicKey::parse(&small_pem()).unwrap_err();
        assert_eq!(
            e.message,
            "is a 1024-bit RSA key; WhatsApp Flows need a 2048-bit key"
        );
        let e = BusinessPublicKey::parse(&"x".repeat(MAX_PEM_LEN + 1)).unwrap_err();
        assert!(e.message.starts_with("is longer than"), "{e}");
    }

    #[test]
    fn private_keys_parse_back() {
        let k = private_key();
        let again = BusinessPrivateKey::parse(&k.to_pem()).unwrap();
        assert_eq!(again.public_key(), k.public_key());
        assert_eq!(
            BusinessPrivateKey::parse("nope").unwrap_err().field,
            "private_key"
        );
    }

    #[test]
    fn signatures_bind_the_key_to_its_number() {
        let key = private_key().public_key();
        let one = PhoneNumberId::parse("106540352242922").unwrap();
        let two = PhoneNumberId::parse("106540352242923").unwrap();
        let sig = key.sign(&one);
        assert_eq!(sig.as_str().len(), 64);
        assert_eq!(sig.status(&one, &key), SignatureStatus::Valid);
        assert_eq!(
            KeySignature::stored(sig.as_str()).status(&one, &key),
            SignatureStatus::Valid
        );
        assert_eq!(sig.status(&two, &key), SignatureStatus::Mismatch);
        assert_eq!(
            KeySignature::stored("00").status(&one, &key),
            SignatureStatus::Mismatch
        );
        assert_eq!(SignatureStatus::Mismatch.as_str(), "MISMATCH");
    }
}
