//! `/compat/…` belongs to the provider dialects: a path no dialect serves is their 404, in
//! the management format, and never falls through to the Cloud routes (which would take
//! `/compat/messages` for `/{object_id}/messages`) or to the passthrough to Meta.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{assert_manage_error, spawn_app};

#[tokio::test]
async fn nothing_under_compat_reaches_the_cloud_plane() {
    let app = spawn_app().await;
    let pnid = app.phone_number_id.clone();
    let send = json!({"messaging_product": "whatsapp", "to": "+16505551234",
        "type": "text", "text": {"body": "hi"}});
    let paths = [
        "/compat".to_owned(),
        "/compat/".to_owned(),
        "/compat/messages".to_owned(),
        format!("/compat/{pnid}/messages"),
        format!("/compat/v23.0/{pnid}/messages"),
        "/compat/unknown/v1/anything?token=x".to_owned(),
        format!("/compat/{pnid}"),
    ];
    for path in &paths {
        for method in [Method::GET, Method::POST] {
            let res = app
                .req(method.clone(), path)
                .json(&send)
                .send()
                .await
                .unwrap();
            let err = assert_manage_error(res, 404, "route_not_found").await;
            assert!(
                err["error"].get("fbtrace_id").is_none(),
                "{method} {path}: {err}"
            );
        }
    }
    // The same send on the Cloud plane is taken; nothing was sent from /compat.
    let res = app
        .post_json(&format!("/v23.0/{pnid}/messages"), &send)
        .await;
    assert_eq!(res.status(), 200);
    let list = app.get("/api/v1/messages?direction=outbound").await;
    let list: serde_json::Value = list.json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
}
