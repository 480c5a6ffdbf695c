//! Access tokens: an API key traded for a signed token that stands for it for a while
//! ([`wagate_core::access_token`]), for providers whose clients authenticate that way
//! (Message Central's `authToken`). Signed with a key derived from the server's URL key
//! (`[media] url_key`, shared by nodes of one database); the key a token names is looked
//! up on every use, so revoking it revokes its tokens.

use wagate_core::Timestamp;
use wagate_core::access_token::{self, Claims};

use crate::error::Result;
use crate::{App, Principal};

/// How long a token stands for its key.
pub const TOKEN_TTL_SECS: i64 = 30 * 24 * 3600;

/// A token issued for a key.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub principal: Principal,
    pub expires_at: Timestamp,
}

impl App {
    fn token_key(&self) -> Vec<u8> {
        self.media.signer.derive("wagate access tokens v1")
    }

    /// A token standing for the API key `presented`, or `None` when it is not a live key.
    pub async fn issue_token(&self, presented: &str) -> Result<Option<IssuedToken>> {
        let Some(principal) = self.authenticate(presented).await? else {
            return Ok(None);
        };
        let Some(kid) = principal.key_id else {
            return Ok(None);
        };
        let now = self.now().as_second();
        let claims = Claims {
            sub: principal.account_id,
            kid,
            iat: now,
            exp: now + TOKEN_TTL_SECS,
        };
        let expires_at = Timestamp::from_second(claims.exp).expect("a time in range");
        Ok(Some(IssuedToken {
            token: access_token::sign(&self.token_key(), &claims),
            principal,
            expires_at,
        }))
    }

    /// The caller a token stands for: `None` when it is forged, expired, or its key was
    /// revoked since.
    pub async fn authenticate_token(&self, token: &str) -> Result<Option<Principal>> {
        let Ok(claims) = access_token::verify(&self.token_key(), token, self.now().as_second())
        else {
            return Ok(None);
        };
        match self.store.get_api_key(claims.sub, claims.kid).await {
            Ok(key) if key.is_active() => Ok(Some(Principal::from_key(&key))),
            Ok(_) | Err(wagate_store::StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
