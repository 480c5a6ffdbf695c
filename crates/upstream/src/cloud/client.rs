//! [`CloudClient`]: the Graph API calls wagate makes for a cloud channel, each with the
//! channel's token (`Authorization: Bearer …`) at `{base_url}/{api_version}/…`.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde::Deserialize;
use serde_json::Value;
use wagate_core::channel::CloudSettings;

/// A Graph API call that did not give what was asked.
#[derive(Debug, Clone, PartialEq)]
pub enum CloudError {
    /// Meta answered with a Graph error object.
    Graph {
        http_status: u16,
        code: u32,
        subcode: Option<u32>,
        message: String,
        details: Option<String>,
    },
    /// Meta answered with a status and no Graph error (a proxy's 502, an HTML page).
    Http { http_status: u16, excerpt: String },
    /// No answer: connection refused, TLS, timeout.
    Transport(String),
    /// A 2xx answer that is not JSON: not Graph's answer at all.
    Unreadable { http_status: u16, excerpt: String },
    /// A 2xx JSON answer without what it should hold.
    Malformed(String),
}

/// A file downloaded from Meta.
#[derive(Debug, Clone)]
pub struct MediaDownload {
    pub bytes: Vec<u8>,
    pub mime_type: Option<String>,
}

/// Graph API calls over one shared HTTP client.
#[derive(Clone)]
pub struct CloudClient {
    http: reqwest::Client,
    timeout: Duration,
}

#[derive(Deserialize)]
struct GraphErrorBody {
    error: GraphErrorObject,
}

#[derive(Deserialize)]
struct GraphErrorObject {
    #[serde(default)]
    message: String,
    #[serde(default)]
    code: u32,
    #[serde(default)]
    error_subcode: Option<u32>,
    #[serde(default)]
    error_data: Option<Value>,
}

impl CloudClient {
    /// Calls time out after `timeout`; `http` must not follow redirects to other hosts with
    /// the token (wagate's client follows none).
    pub fn new(http: reqwest::Client, timeout: Duration) -> Self {
        Self { http, timeout }
    }

    fn url(settings: &CloudSettings, path: &str) -> String {
        format!("{}/{}/{}", settings.base_url, settings.api_version, path)
    }

    async fn call(
        &self,
        settings: &CloudSettings,
        req: reqwest::RequestBuilder,
    ) -> Result<Value, CloudError> {
        let res = req
            .header(
                AUTHORIZATION,
                format!("Bearer {}", settings.access_token.expose()),
            )
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| CloudError::Transport(transport_reason(e)))?;
        let status = res.status().as_u16();
        let bytes = res
            .bytes()
            .await
            .map_err(|e| CloudError::Transport(transport_reason(e)))?;
        if (200..300).contains(&status) {
            // Not Graph's answer (a proxy's page, say): nothing says Meta took the call.
            return serde_json::from_slice(&bytes).map_err(|_| CloudError::Unreadable {
                http_status: status,
                excerpt: String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned(),
            });
        }
        Err(error_of(status, &bytes))
    }

    /// `POST /{phone_number_id}/messages`; answers Meta's id for the message.
    pub async fn send_message(
        &self,
        settings: &CloudSettings,
        phone_number_id: &str,
        body: &Value,
    ) -> Result<String, CloudError> {
        let url = Self::url(settings, &format!("{phone_number_id}/messages"));
        let answer = self.call(settings, self.http.post(url).json(body)).await?;
        answer["messages"][0]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| CloudError::Malformed("the answer has no messages[0].id".into()))
    }

    /// `POST /{phone_number_id}/media` (multipart): answers Meta's media id.
    pub async fn upload_media(
        &self,
        settings: &CloudSettings,
        phone_number_id: &str,
        bytes: Vec<u8>,
        mime_type: &str,
        filename: &str,
    ) -> Result<String, CloudError> {
        let boundary = format!("wagate-{:016x}", rand_u64());
        let mut body = Vec::with_capacity(bytes.len() + 512);
        let field = |body: &mut Vec<u8>, name: &str, value: &str| {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        };
        field(&mut body, "messaging_product", "whatsapp");
        field(&mut body, "type", mime_type);
        let safe_name: String = filename
            .chars()
            .filter(|c| !matches!(c, '"' | '\r' | '\n' | '\\'))
            .collect();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{safe_name}\"\r\nContent-Type: {mime_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let url = Self::url(settings, &format!("{phone_number_id}/media"));
        let req = self
            .http
            .post(url)
            .header(
                CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        let answer = self.call(settings, req).await?;
        answer["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| CloudError::Malformed("the answer has no id".into()))
    }

    /// Meta's Resumable Upload API in one go: `POST /{app_id}/uploads` announces the file,
    /// `POST /upload:…` with `file_offset: 0` sends all of it; answers the handle (`h`) that
    /// template header samples and profile pictures name.
    pub async fn upload_for_handle(
        &self,
        settings: &CloudSettings,
        app_id: &str,
        bytes: Vec<u8>,
        mime_type: &str,
        filename: &str,
    ) -> Result<String, CloudError> {
        let url = Self::url(settings, &format!("{app_id}/uploads"));
        let length = bytes.len().to_string();
        let query = [
            ("file_name", filename),
            ("file_length", length.as_str()),
            ("file_type", mime_type),
        ];
        let answer = self
            .call(settings, self.http.post(url).query(&query))
            .await?;
        let session = answer["id"]
            .as_str()
            .filter(|id| id.starts_with("upload:"))
            .ok_or_else(|| CloudError::Malformed("the answer has no upload session id".into()))?;
        let req = self
            .http
            .post(Self::url(settings, session))
            .header("file_offset", "0")
            .body(bytes);
        let answer = self.call(settings, req).await?;
        answer["h"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| CloudError::Malformed("the answer has no handle `h`".into()))
    }

    /// `GET /{media_id}` then its `url`: the file of a media id, at most `max_bytes`.
    pub async fn download_media(
        &self,
        settings: &CloudSettings,
        media_id: &str,
        max_bytes: u64,
    ) -> Result<MediaDownload, CloudError> {
        let info = self
            .call(settings, self.http.get(Self::url(settings, media_id)))
            .await?;
        let url = info["url"]
            .as_str()
            .ok_or_else(|| CloudError::Malformed("the media has no url".into()))?;
        let mime_type = info["mime_type"].as_str().map(str::to_owned);
        let mut res = self
            .http
            .get(url)
            .header(
                AUTHORIZATION,
                format!("Bearer {}", settings.access_token.expose()),
            )
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| CloudError::Transport(transport_reason(e)))?;
        let status = res.status().as_u16();
        if !(200..300).contains(&status) {
            let bytes = res.bytes().await.unwrap_or_default();
            return Err(error_of(status, &bytes));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = res
            .chunk()
            .await
            .map_err(|e| CloudError::Transport(transport_reason(e)))?
        {
            if (bytes.len() + chunk.len()) as u64 > max_bytes {
                return Err(CloudError::Malformed(format!(
                    "the file is larger than {max_bytes} bytes"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(MediaDownload { bytes, mime_type })
    }
}

/// The error a non-2xx answer stands for.
fn error_of(http_status: u16, bytes: &[u8]) -> CloudError {
    match serde_json::from_slice::<GraphErrorBody>(bytes) {
        Ok(GraphErrorBody { error }) => CloudError::Graph {
            http_status,
            code: error.code,
            subcode: error.error_subcode,
            details: error
                .error_data
                .as_ref()
                .and_then(|d| d.get("details"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            message: error.message,
        },
        Err(_) => CloudError::Http {
            http_status,
            excerpt: String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned(),
        },
    }
}

/// Why a request got no answer, without the URL (it may hold ids) or the token.
fn transport_reason(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "the Graph API did not answer in time".to_owned()
    } else if e.is_connect() {
        "the Graph API could not be reached".to_owned()
    } else {
        format!("the request to the Graph API failed ({})", e.without_url())
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish()
}
