//! Media bytes in an S3-compatible object store (AWS S3, MinIO, Ceph, R2, …), for several
//! nodes sharing one database. Requests are signed with AWS Signature Version 4; objects are
//! written whole with one `PUT` (media files are at most 100 MB, under S3's 5 GB limit for a
//! single upload) and read as a stream.
//!
//! Settings: `[media.s3]` ([`S3Config`]). Path-style addressing
//! (`<endpoint>/<bucket>/<key>`) is the default, as most S3-compatible servers want.

use std::io;
use std::path::Path;

use async_trait::async_trait;
use futures::TryStreamExt;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio_util::io::{ReaderStream, StreamReader};

use super::blob::{BlobStore, Reader};

/// `[media.s3]`: where and how to reach the bucket.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct S3Config {
    /// `https://s3.eu-west-1.amazonaws.com`, `http://minio:9000`, …
    pub endpoint: String,
    pub bucket: String,
    /// The signing region (`us-east-1` when the server does not care).
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Keys are put under this prefix (`wagate/`), so a bucket can be shared.
    pub prefix: String,
    /// `<bucket>.<endpoint host>` instead of `<endpoint>/<bucket>`.
    pub virtual_hosted: bool,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("prefix", &self.prefix)
            .field("virtual_hosted", &self.virtual_hosted)
            .finish_non_exhaustive()
    }
}

/// An S3 bucket as a [`BlobStore`].
#[derive(Debug, Clone)]
pub struct S3Store {
    config: S3Config,
    http: reqwest::Client,
}

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl S3Store {
    pub fn new(config: S3Config) -> anyhow::Result<Self> {
        anyhow::ensure!(
            !config.endpoint.is_empty(),
            "[media.s3] endpoint is required"
        );
        anyhow::ensure!(!config.bucket.is_empty(), "[media.s3] bucket is required");
        reqwest::Url::parse(&config.endpoint)
            .map_err(|e| anyhow::anyhow!("[media.s3] endpoint is not a URL: {e}"))?;
        crate::install_tls();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { config, http })
    }

    /// The object's URL and the host header it is signed with.
    fn url(&self, key: &str) -> io::Result<(reqwest::Url, String)> {
        let mut url = reqwest::Url::parse(&self.config.endpoint).map_err(io_err)?;
        let object = format!("{}{key}", self.config.prefix);
        let encoded: Vec<String> = object.split('/').map(uri_encode).collect();
        if self.config.virtual_hosted {
            let host = format!(
                "{}.{}",
                self.config.bucket,
                url.host_str().unwrap_or_default()
            );
            url.set_host(Some(&host)).map_err(io_err)?;
            url.set_path(&format!("/{}", encoded.join("/")));
        } else {
            let base = url.path().trim_end_matches('/').to_owned();
            url.set_path(&format!(
                "{base}/{}/{}",
                uri_encode(&self.config.bucket),
                encoded.join("/")
            ));
        }
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        Ok((url, host))
    }

    /// A request for `key`, signed for a body whose SHA-256 is `payload_sha256`.
    fn signed(
        &self,
        method: reqwest::Method,
        key: &str,
        payload_sha256: &str,
    ) -> io::Result<reqwest::RequestBuilder> {
        let (url, host) = self.url(key)?;
        let now = jiff::Timestamp::now();
        let amz_date = now.strftime("%Y%m%dT%H%M%SZ").to_string();
        let headers = sign_v4(&SignInput {
            method: method.as_str(),
            path: url.path(),
            host: &host,
            amz_date: &amz_date,
            payload_sha256,
            region: &self.config.region,
            access_key_id: &self.config.access_key_id,
            secret_access_key: &self.config.secret_access_key,
            extra: &[],
        });
        let mut req = self.http.request(method, url);
        for (name, value) in headers {
            req = req.header(name, value);
        }
        Ok(req)
    }
}

#[async_trait]
impl BlobStore for S3Store {
    async fn put_file(&self, key: &str, staged: &Path) -> io::Result<()> {
        // The key is the content address: the payload hash is the key's last part when it
        // is one; else hash the file.
        let file = tokio::fs::File::open(staged).await?;
        let len = file.metadata().await?.len();
        let sha = match key.rsplit('/').next() {
            Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => h.to_owned(),
            _ => hex::encode(Sha256::digest(tokio::fs::read(staged).await?)),
        };
        let body = reqwest::Body::wrap_stream(ReaderStream::new(file));
        let res = self
            .signed(reqwest::Method::PUT, key, &sha)?
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(body)
            .send()
            .await
            .map_err(io_err)?;
        if !res.status().is_success() {
            let status = res.status();
            let text = res.text().await.unwrap_or_default();
            return Err(io_err(format!("S3 PUT {key} answered {status}: {text}")));
        }
        tokio::fs::remove_file(staged).await
    }

    async fn open(&self, key: &str) -> io::Result<Option<Reader>> {
        let res = self
            .signed(reqwest::Method::GET, key, EMPTY_SHA256)?
            .send()
            .await
            .map_err(io_err)?;
        match res.status() {
            s if s.is_success() => {
                let stream = res.bytes_stream().map_err(io_err);
                Ok(Some(Box::new(StreamReader::new(stream))))
            }
            reqwest::StatusCode::NOT_FOUND => Ok(None),
            s => Err(io_err(format!("S3 GET {key} answered {s}"))),
        }
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        let res = self
            .signed(reqwest::Method::DELETE, key, EMPTY_SHA256)?
            .send()
            .await
            .map_err(io_err)?;
        if res.status().is_success() || res.status() == reqwest::StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(io_err(format!("S3 DELETE {key} answered {}", res.status())))
        }
    }

    async fn exists(&self, key: &str) -> io::Result<bool> {
        let res = self
            .signed(reqwest::Method::HEAD, key, EMPTY_SHA256)?
            .send()
            .await
            .map_err(io_err)?;
        match res.status() {
            s if s.is_success() => Ok(true),
            reqwest::StatusCode::NOT_FOUND => Ok(false),
            s => Err(io_err(format!("S3 HEAD {key} answered {s}"))),
        }
    }
}

/// What a SigV4 signature covers (no query string: every request here has none).
struct SignInput<'a> {
    method: &'a str,
    /// The URL path, already URI-encoded.
    path: &'a str,
    host: &'a str,
    /// `YYYYMMDDTHHMMSSZ`.
    amz_date: &'a str,
    payload_sha256: &'a str,
    region: &'a str,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    /// Further headers to sign, lowercase names.
    extra: &'a [(&'a str, &'a str)],
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The headers that sign a request with AWS Signature Version 4 (service `s3`).
fn sign_v4(i: &SignInput<'_>) -> Vec<(&'static str, String)> {
    let date = &i.amz_date[..8];
    let scope = format!("{date}/{}/s3/aws4_request", i.region);
    let mut headers: Vec<(&str, &str)> = vec![
        ("host", i.host),
        ("x-amz-content-sha256", i.payload_sha256),
        ("x-amz-date", i.amz_date),
    ];
    headers.extend_from_slice(i.extra);
    headers.sort_by(|a, b| a.0.cmp(b.0));
    let canonical_headers: String = headers
        .iter()
        .map(|(k, v)| format!("{k}:{}\n", v.trim()))
        .collect();
    let signed_headers = headers
        .iter()
        .map(|(k, _)| *k)
        .collect::<Vec<_>>()
        .join(";");
    let canonical = format!(
        "{}\n{}\n\n{canonical_headers}\n{signed_headers}\n{}",
        i.method, i.path, i.payload_sha256
    );
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        i.amz_date,
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let k_date = hmac(format!("AWS4{}", i.secret_access_key).as_bytes(), date);
    let k_region = hmac(&k_date, i.region);
    let k_service = hmac(&k_region, "s3");
    let k_signing = hmac(&k_service, "aws4_request");
    let signature = hex::encode(hmac(&k_signing, &to_sign));
    vec![
        ("x-amz-date", i.amz_date.to_owned()),
        ("x-amz-content-sha256", i.payload_sha256.to_owned()),
        (
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
                i.access_key_id
            ),
        ),
    ]
}

/// RFC 3986 unreserved characters kept, everything else percent-encoded (S3's rule for path
/// segments).
fn uri_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's documented example: GET /test.txt from examplebucket with a Range header,
    /// 2013-05-24 (Signature Version 4 documentation, "Example: GET Object").
    #[test]
    fn signature_matches_awss_example() {
        let headers = sign_v4(&SignInput {
            method: "GET",
            path: "/test.txt",
            host: "examplebucket.s3.amazonaws.com",
            amz_date: "20130524T000000Z",
            payload_sha256: EMPTY_SHA256,
            region: "us-east-1",
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            extra: &[("range", "bytes=0-9")],
        });
        assert_eq!(
            headers[2].1,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
        assert_eq!(headers[0], ("x-amz-date", "20130524T000000Z".to_owned()));
    }

    #[test]
    fn keys_are_encoded_and_addressed_both_ways() {
        assert_eq!(uri_encode("a b/c"), "a%20b%2Fc");
        let mut config = S3Config {
            endpoint: "http://127.0.0.1:9000".into(),
            bucket: "media".into(),
            region: "us-east-1".into(),
            prefix: "wagate/".into(),
            ..S3Config::default()
        };
        let s = S3Store::new(config.clone()).unwrap();
        let (url, host) = s.url("sha256/ab/abc").unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9000/media/wagate/sha256/ab/abc"
        );
        assert_eq!(host, "127.0.0.1:9000");
        config.endpoint = "https://s3.example.com".into();
        config.virtual_hosted = true;
        let s = S3Store::new(config).unwrap();
        let (url, host) = s.url("k").unwrap();
        assert_eq!(url.as_str(), "https://media.s3.example.com/wagate/k");
        assert_eq!(host, "media.s3.example.com");
        assert!(S3Store::new(S3Config::default()).is_err());
    }
}
