//! Signed access tokens: a JSON Web Token (RFC 7519) with HMAC-SHA512 (`HS512`), standing
//! for one API key for a while. Providers whose clients first trade a credential for a token
//! (Message Central's `authToken`) get one of these: `sub` is the account, `kid` the API key
//! it stands for, `iat`/`exp` Unix seconds. The signature proves wagate issued it; the key
//! it names is checked on every use, so revoking the key revokes its tokens.
//!
//! Pure functions: signing and checking a token. The key is the server's, given by the caller.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha512;

use crate::ids::{AccountId, ApiKeyId};

type HmacSha512 = Hmac<Sha512>;

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The account.
    pub sub: AccountId,
    /// The API key the token stands for.
    pub kid: ApiKeyId,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

/// Why a token is refused (all answer "invalid token" to the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Not three base64url parts of JSON, or not `HS512`.
    Malformed,
    /// The signature is not wagate's.
    BadSignature,
    /// Past `exp`.
    Expired,
}

const HEADER: &str = r#"{"alg":"HS512"}"#;

fn mac(key: &[u8], signing_input: &str) -> HmacSha512 {
    let mut m = HmacSha512::new_from_slice(key).expect("HMAC takes any key length");
    m.update(signing_input.as_bytes());
    m
}

/// The token of `claims`, signed with `key`.
pub fn sign(key: &[u8], claims: &Claims) -> String {
    let payload = serde_json::to_vec(claims).expect("claims serialize");
    let input = format!("{}.{}", B64.encode(HEADER), B64.encode(payload));
    let signature = mac(key, &input).finalize().into_bytes();
    format!("{input}.{}", B64.encode(signature))
}

/// The claims of `token` if `key` signed it and it has not expired at `now` (Unix seconds).
pub fn verify(key: &[u8], token: &str, now: i64) -> Result<Claims, TokenError> {
    let mut parts = token.trim().split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header: serde_json::Value = B64
        .decode(header)
        .ok()
        .and_then(|h| serde_json::from_slice(&h).ok())
        .ok_or(TokenError::Malformed)?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("HS512") {
        return Err(TokenError::Malformed);
    }
    let signature = B64.decode(signature).map_err(|_| TokenError::Malformed)?;
    let input = &token.trim()[..header_len(token.trim())];
    mac(key, input)
        .verify_slice(&signature)
        .map_err(|_| TokenError::BadSignature)?;
    let claims: Claims = B64
        .decode(payload)
        .ok()
        .and_then(|p| serde_json::from_slice(&p).ok())
        .ok_or(TokenError::Malformed)?;
    if now >= claims.exp {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

/// The length of `header.payload` in `token` (what the signature covers).
fn header_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            sub: AccountId::generate(),
            kid: ApiKeyId::generate(),
            iat: 1_700_000_000,
            exp: 1_700_003_600,
        }
    }

    #[test]
    fn a_token_round_trips_until_it_expires() {
        let c = claims();
        let t = sign(b"server key", &c);
        assert_eq!(t.split('.').count(), 3);
        // The header Message Central's tokens have.
        assert!(t.starts_with("eyJhbGciOiJIUzUxMiJ9."), "{t}");
        assert_eq!(verify(b"server key", &t, 1_700_000_001), Ok(c));
        assert_eq!(
            verify(b"server key", &t, 1_700_003_600),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn forged_and_broken_tokens_are_refused() {
        let c = claims();
        let t = sign(b"server key", &c);
        assert_eq!(verify(b"other key", &t, 0), Err(TokenError::BadSignature));
        // Another payload under the same signature.
        let mut other = c;
        other.exp += 1_000_000;
        let forged_payload = sign(b"x", &other);
        let parts: Vec<&str> = t.split('.').collect();
        let fparts: Vec<&str> = forged_payload.split('.').collect();
        let spliced = format!("{}.{}.{}", parts[0], fparts[1], parts[2]);
        assert_eq!(
            verify(b"server key", &spliced, 0),
            Err(TokenError::BadSignature)
        );
        // `none` and other algorithms are not taken.
        let none = format!("{}.{}.", B64.encode(r#"{"alg":"none"}"#), parts[1]);
        assert_eq!(verify(b"server key", &none, 0), Err(TokenError::Malformed));
        for bad in ["", "a.b", "a.b.c.d", "!!.??.**"] {
            assert_eq!(
                verify(b"server key", bad, 0),
                Err(TokenError::Malformed),
                "{bad}"
            );
        }
    }
}
