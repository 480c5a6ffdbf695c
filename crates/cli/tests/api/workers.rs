//! `App::drain`: every worker's step, run until nothing is due, so tests drive time instead
//! of sleeping.

use serde_json::json;

use crate::helpers::spawn_apps;

#[tokio::test]
async fn drain_leaves_nothing_due_behind() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({
            "delivery_delay_ms": 0, "read_delay_ms": 0, "read_percent": 100
        }))
        .await;
        let user = "16505550142";
        app.inject(json!({"from": user, "text": {"body": "hello"}}))
            .await;
        let mut sent = Vec::new();
        for n in 0..10 {
            sent.push(
                app.send(json!({"to": user, "type": "text", "text": {"body": format!("#{n}")}}))
                    .await,
            );
        }
        // Whatever the server's own loops got to, once drain returns every hand-over and
        // every report due by now has been applied: each message has been read.
        let rounds = app.app.drain().await.unwrap();
        assert!(rounds >= 1);
        for id in &sent {
            let m = app.message(id).await;
            assert_eq!(m["status"], "read", "{m}");
        }
        // Nothing is left: another drain finds nothing in its first round.
        assert_eq!(app.app.drain().await.unwrap(), 1);
        app.stop().await;
    }
}
