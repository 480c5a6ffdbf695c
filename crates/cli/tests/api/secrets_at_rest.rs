//! Secrets at rest: cloud tokens and webhook secrets are sealed in the database (neither the
//! SQLite file nor PostgreSQL's rows hold them in plain text), the data directory is 0700
//! and its files 0600, and they still work when read back.

use std::os::unix::fs::PermissionsExt;

use serde_json::{Value, json};

use crate::helpers::spawn_apps;
use crate::receiver::{Receiver, TOKEN};

const TOKEN_CANARY: &str = "EAAG-canary-access-token-4711";
const SECRET_CANARY: &str = "whsec-canary-signing-secret-0815";

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn secrets_are_sealed_and_files_are_private() {
    for app in spawn_apps().await {
        let receiver = Receiver::start().await;
        let res = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": receiver.url, "secret": SECRET_CANARY, "verify_token": TOKEN}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let res = app
            .post_json(
                "/api/v1/channels",
                &json!({"verified_name": "Acme via Meta", "phone_number_id": "106540352242999",
                    "waba_id": "102290129340999", "display_phone_number": "+15550109998",
                    "upstream": {"kind": "cloud", "base_url": "https://graph.facebook.com",
                                 "access_token": TOKEN_CANARY, "app_secret": "app-secret-canary",
                                 "verify_token": "verify-canary"}}),
            )
            .await;
        let channel: Value = res.json().await.unwrap();
        assert_eq!(channel["upstream"]["access_token_set"], true, "{channel}");
        assert!(
            !channel.to_string().contains(TOKEN_CANARY),
            "never shown back"
        );

        // Read back through the store: the secrets open (the subscription still signs).
        app.inject(json!({"from": "16505557001", "type": "text", "text": {"body": "hi"}}))
            .await;
        let posts = receiver.wait(1).await;
        assert_eq!(
            posts[0].signature,
            wagate_core::webhook::ascii::signature(SECRET_CANARY.as_bytes(), &posts[0].raw),
            "signed with the secret as given"
        );

        let data = app.data_dir();
        assert_eq!(mode(&data), 0o700, "{}", app.backend);
        for file in ["secrets.key", "media.key", "credentials.env"] {
            assert_eq!(mode(&data.join(file)), 0o600, "{file}");
        }
        let stored: Vec<String> = if app.backend == "sqlite" {
            for file in ["wagate.db", "wagate.db-wal"] {
                assert_eq!(mode(&data.join(file)), 0o600, "{file}");
            }
            ["wagate.db", "wagate.db-wal"]
                .iter()
                .map(|f| {
                    String::from_utf8_lossy(&std::fs::read(data.join(f)).unwrap()).into_owned()
                })
                .collect()
        } else {
            let url = app.database_url.as_deref().unwrap();
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(url)
                .await
                .unwrap();
            let mut rows: Vec<String> = sqlx::query_scalar(
                "SELECT upstream::text FROM channels WHERE upstream_kind = 'cloud'",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            let subs: Vec<(String, String)> =
                sqlx::query_as("SELECT secret, verify_token FROM webhook_subscriptions")
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
            for (secret, token) in subs {
                assert!(secret.starts_with("sealed:v1:"), "{secret}");
                assert!(token.starts_with("sealed:v1:"), "{token}");
                rows.extend([secret, token]);
            }
            assert_eq!(rows.len(), 3);
            rows
        };
        for bytes in &stored {
            for canary in [
                TOKEN_CANARY,
                SECRET_CANARY,
                "app-secret-canary",
                "verify-canary",
            ] {
                assert!(!bytes.contains(canary), "{canary} is in the database file");
            }
        }
        assert!(
            stored.iter().any(|b| b.contains("sealed:v1:")),
            "sealed values are there"
        );
        app.stop().await;
    }
}
