//! The S3 media store against a real S3 API over HTTP: moto's server (PyPI), installed by
//! `conformance/s3/setup.sh`. Uploads land in the bucket, downloads stream from it, and the
//! collector deletes from it.

use std::process::Stdio;
use std::time::Duration;

use reqwest::multipart::{Form, Part};
use serde_json::Value;
use sha2::{Digest, Sha256};
use wagate_app::media::s3::{S3Config, S3Store};
use wagate_app::media::{BlobStore, StoreKind};

use crate::helpers::{eventually, spawn_apps_with};

/// moto's server on a free port, killed on drop.
struct Moto {
    child: tokio::process::Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

async fn moto() -> Moto {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let out = tokio::process::Command::new("bash")
        .arg(format!("{root}/conformance/s3/setup.sh"))
        .stderr(Stdio::inherit())
        .output()
        .await
        .expect("run conformance/s3/setup.sh");
    assert!(out.status.success(), "setup.sh failed");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let server = stdout
        .lines()
        .find_map(|l| l.strip_prefix("MOTO_SERVER="))
        .expect("setup.sh names moto_server")
        .to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = tokio::process::Command::new(server)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start moto_server");
    let url = format!("http://127.0.0.1:{port}");
    let client = crate::helpers::http_client();
    eventually("moto_server answering", Duration::from_secs(30), || async {
        client.get(&url).send().await.map(drop)
    })
    .await;
    Moto { child, url }
}

#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn media_lives_in_an_s3_bucket() {
    let moto = moto().await;
    let client = crate::helpers::http_client();
    // moto accepts the bucket creation unsigned.
    let res = client
        .put(format!("{}/wagate-media", moto.url))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "create bucket: {}", res.status());
    let config = S3Config {
        endpoint: moto.url.clone(),
        bucket: "wagate-media".into(),
        region: "us-east-1".into(),
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
        prefix: "node/".into(),
        virtual_hosted: false,
    };
    // A second client of the bucket, to look at it directly.
    let bucket = S3Store::new(config.clone()).unwrap();
    let app = spawn_apps_with(move |c| {
        c.media.store = StoreKind::S3;
        c.media.s3 = config.clone();
    })
    .await
    .remove(0);

    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    png.extend(std::iter::repeat_n(7u8, 200_000));
    let sha = hex::encode(Sha256::digest(&png));
    let form = Form::new().text("messaging_product", "whatsapp").part(
        "file",
        Part::bytes(png.clone())
            .file_name("s3.png")
            .mime_str("image/png")
            .unwrap(),
    );
    let res = app
        .req(
            reqwest::Method::POST,
            &format!("/v23.0/{}/media", app.phone_number_id),
        )
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The object is in the bucket, under the content address.
    let key = format!("sha256/{}/{sha}", &sha[..2]);
    assert!(bucket.exists(&key).await.unwrap(), "{key}");
    let mut stored = Vec::new();
    let mut reader = bucket.open(&key).await.unwrap().expect("object");
    tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut stored)
        .await
        .unwrap();
    assert_eq!(stored, png);

    // Downloaded through wagate's signed URL, from the bucket.
    let info: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
    let body = client
        .get(info["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(hex::encode(Sha256::digest(&body)), sha);

    // Deleted and collected: gone from the bucket.
    app.req(reqwest::Method::DELETE, &format!("/v23.0/{id}"))
        .send()
        .await
        .unwrap();
    let collected = app
        .app
        .media_collector()
        .run_once(wagate_core::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(collected, 1);
    assert!(
        !bucket.exists(&key).await.unwrap(),
        "deleted from the bucket"
    );
    assert!(bucket.open(&key).await.unwrap().is_none());
}
