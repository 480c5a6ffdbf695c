//! QR codes on the Cloud plane (`/{phone_number_id}/message_qrdls`) and their images: created
//! as JSON, a form or query parameters, read, listed with `fields` and paging, updated,
//! deleted; images fetched without a key and decoded back to the deep link (PNG through a
//! small PNG reader, SVG by drawing its path, both read by the `rqrr` QR decoder); bad input
//! refused with Graph code 100 naming the parameter and nothing stored; another phone
//! number's or account's codes unknown (100/33). Then pywa's and whatsapp-api-js's own QR
//! calls, unmodified, through the scripts in `conformance/qr/`.

use std::io::Read;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::process::Command;

use crate::helpers::{TestApp, assert_graph_error, spawn_app, spawn_apps};
use crate::sdk::{conformance_dir, install};

fn qrdls(pnid: &str) -> String {
    format!("/v23.0/{pnid}/message_qrdls")
}

async fn create(app: &TestApp, body: Value) -> Value {
    let res = app.post_json(&qrdls(&app.phone_number_id), &body).await;
    assert_eq!(res.status(), 200, "create {body}");
    assert_eq!(res.headers()["content-type"], "application/json");
    res.json().await.unwrap()
}

async fn list(app: &TestApp, query: &str) -> Value {
    let res = app
        .get(&format!("{}{query}", qrdls(&app.phone_number_id)))
        .await;
    assert_eq!(res.status(), 200, "list {query}");
    res.json().await.unwrap()
}

/// Asserts Graph's "object does not exist" (100/33).
async fn assert_unknown(res: reqwest::Response) -> Value {
    let body = assert_graph_error(res, 400, 100).await;
    assert_eq!(body["error"]["error_subcode"], 33, "{body}");
    body
}

/// Asserts Graph's code 100 about `field`, without a subcode.
async fn assert_bad(res: reqwest::Response, field: &str) -> Value {
    let body = assert_graph_error(res, 400, 100).await;
    assert!(body["error"].get("error_subcode").is_none(), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(field), "{field} named in {body}");
    body
}

/// A code object: a fresh 14-character code, its deep link, the message, and the image URL
/// of `ext` on the server (or none).
fn assert_code(app: &TestApp, qr: &Value, message: &str, ext: Option<&str>) -> String {
    let code = qr["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 14, "{qr}");
    assert!(
        code.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        "{qr}"
    );
    assert_eq!(qr["prefilled_message"], message, "{qr}");
    assert_eq!(qr["deep_link_url"], format!("https://wa.me/message/{code}"));
    match ext {
        Some(ext) => assert_eq!(
            qr["qr_image_url"],
            format!("{}/qr/{code}.{ext}", app.base_url),
            "{qr}"
        ),
        None => assert!(qr.get("qr_image_url").is_none(), "{qr}"),
    }
    code
}

// ---- Reading the images back --------------------------------------------------------------

/// Decodes a grayscale PNG (bit depth 1 or 8, unfiltered rows, no interlace): `(width,
/// height, luma)`. Checks the signature, chunk CRCs and the end chunk.
fn decode_png(png: &[u8]) -> (usize, usize, Vec<u8>) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let (mut at, mut header, mut idat, mut ended) = (8, None, Vec::new(), false);
    while at + 12 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let kind = &png[at + 4..at + 8];
        let data = &png[at + 8..at + 8 + len];
        let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
        let mut want = flate2::Crc::new();
        want.update(kind);
        want.update(data);
        assert_eq!(crc, want.sum(), "CRC of {}", String::from_utf8_lossy(kind));
        match kind {
            b"IHDR" => header = Some(data.to_vec()),
            b"IDAT" => idat.extend_from_slice(data),
            b"IEND" => ended = true,
            _ => {}
        }
        at += 12 + len;
    }
    assert!(ended && at == png.len(), "IEND ends the file");
    let h = header.expect("IHDR");
    let (w, ht) = (
        u32::from_be_bytes(h[0..4].try_into().unwrap()) as usize,
        u32::from_be_bytes(h[4..8].try_into().unwrap()) as usize,
    );
    let depth = h[8] as usize;
    assert!(depth == 1 || depth == 8, "bit depth {depth}");
    assert_eq!(&h[9..], &[0, 0, 0, 0], "grayscale, deflate, no interlace");
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .unwrap();
    let stride = (w * depth).div_ceil(8);
    assert_eq!(raw.len(), (stride + 1) * ht);
    let mut luma = Vec::with_capacity(w * ht);
    for y in 0..ht {
        let row = &raw[y * (stride + 1)..(y + 1) * (stride + 1)];
        assert_eq!(row[0], 0, "row {y} unfiltered");
        for x in 0..w {
            luma.push(if depth == 8 {
                row[1 + x]
            } else if row[1 + x / 8] & (0x80 >> (x % 8)) == 0 {
                0
            } else {
                255
            });
        }
    }
    (w, ht, luma)
}

/// Draws the SVG the server renders (a white square, one black path of
/// `M{x} {y}h{w}v{h}H{x}V{y}` rectangles): `(side, luma)`.
fn rasterize_svg(svg: &str) -> (usize, Vec<u8>) {
    let attr = |name: &str| -> usize {
        svg.split(&format!(" {name}=\""))
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .parse()
            .unwrap()
    };
    let (w, h) = (attr("width"), attr("height"));
    assert_eq!(w, h, "square");
    let mut luma = vec![255u8; w * h];
    let d = svg
        .split(" d=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    for rect in d.split('M').filter(|r| !r.is_empty()) {
        let n: Vec<usize> = rect
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        for y in n[1]..n[1] + n[3] {
            for x in n[0]..n[0] + n[2] {
                luma[y * w + x] = 0;
            }
        }
    }
    (w, luma)
}

/// The text of the one QR code in a grayscale image.
fn read_qr(w: usize, h: usize, luma: &[u8]) -> String {
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| luma[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

/// Fetches an image URL without a key and reads the QR code in it.
async fn fetch_and_read(app: &TestApp, url: &str) -> String {
    let res = app.client.get(url).send().await.unwrap();
    assert_eq!(res.status(), 200, "{url}");
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    let bytes = res.bytes().await.unwrap();
    if url.ends_with(".png") {
        assert_eq!(ct, "image/png");
        let (w, h, luma) = decode_png(&bytes);
        read_qr(w, h, &luma)
    } else {
        assert_eq!(ct, "image/svg+xml");
        let (side, luma) = rasterize_svg(std::str::from_utf8(&bytes).unwrap());
        read_qr(side, side, &luma)
    }
}

// ---- The API --------------------------------------------------------------------------------

#[tokio::test]
async fn qr_codes_are_created_read_listed_updated_and_deleted() {
    for app in spawn_apps().await {
        let pnid = app.phone_number_id.clone();
        let path = qrdls(&pnid);

        // Create: JSON (pywa), query parameters with a lowercase type (whatsapp-api-js), a
        // form, and no image asked for.
        let png = create(
            &app,
            json!({"prefilled_message": "Cyber Monday 🎉", "generate_qr_image": "PNG"}),
        )
        .await;
        let png_code = assert_code(&app, &png, "Cyber Monday 🎉", Some("png"));
        let res = app
            .req(
                Method::POST,
                &format!("{path}?generate_qr_image=svg&prefilled_message=Order%20status"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let svg: Value = res.json().await.unwrap();
        let svg_code = assert_code(&app, &svg, "Order status", Some("svg"));
        let res = app
            .post_raw(
                &path,
                "application/x-www-form-urlencoded",
                "prefilled_message=From+a+form&generate_qr_image=PNG",
            )
            .await;
        assert_eq!(res.status(), 200);
        let form: Value = res.json().await.unwrap();
        let form_code = assert_code(&app, &form, "From a form", Some("png"));
        let plain = create(&app, json!({"prefilled_message": "No image"})).await;
        let plain_code = assert_code(&app, &plain, "No image", None);
        let mut codes = vec![png_code.clone(), svg_code.clone(), form_code, plain_code];
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 4, "every code is new");

        // Read one: `{"data":[…]}`; an image URL only when asked for.
        let res = app.get(&format!("{path}/{png_code}")).await;
        assert_eq!(res.status(), 200);
        let one: Value = res.json().await.unwrap();
        assert_eq!(one["data"].as_array().unwrap().len(), 1);
        assert_code(&app, &one["data"][0], "Cyber Monday 🎉", None);
        let res = app
            .get(&format!(
                "/{pnid}/message_qrdls/{png_code}?fields=prefilled_message,qr_image_url.format(SVG)"
            ))
            .await;
        let one: Value = res.json().await.unwrap();
        assert_eq!(
            one["data"][0],
            json!({
                "code": png_code,
                "prefilled_message": "Cyber Monday 🎉",
                "qr_image_url": format!("{}/qr/{png_code}.svg", app.base_url),
            })
        );

        // List: every code, Graph's default fields; with fields; in pages of two.
        let all = list(&app, "").await;
        let listed: Vec<&str> = all["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["code"].as_str().unwrap())
            .collect();
        assert_eq!(listed, codes, "in code order");
        for q in all["data"].as_array().unwrap() {
            let mut keys: Vec<&String> = q.as_object().unwrap().keys().collect();
            keys.sort();
            assert_eq!(keys, ["code", "deep_link_url", "prefilled_message"]);
        }
        assert_eq!(all["paging"]["cursors"]["before"], codes[0].as_str());
        assert_eq!(all["paging"]["cursors"]["after"], codes[3].as_str());
        assert!(all["paging"].get("next").is_none());
        let with_images = list(
            &app,
            "?fields=code,prefilled_message,deep_link_url,qr_image_url.format(PNG)",
        )
        .await;
        for q in with_images["data"].as_array().unwrap() {
            let code = q["code"].as_str().unwrap();
            assert_eq!(q["qr_image_url"], format!("{}/qr/{code}.png", app.base_url));
        }
        let page1 = list(&app, "?limit=2&fields=code").await;
        assert_eq!(
            page1["data"],
            json!([{"code": codes[0]}, {"code": codes[1]}])
        );
        let next = page1["paging"]["next"].as_str().unwrap();
        assert!(next.starts_with(&app.base_url), "{next}");
        let page2: Value = app
            .client
            .get(next)
            .bearer_auth(&app.api_key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            page2["data"],
            json!([{"code": codes[2]}, {"code": codes[3]}])
        );
        assert!(page2["paging"].get("next").is_none(), "{page2}");
        let after = list(&app, &format!("?limit=2&after={}", codes[1])).await;
        assert_eq!(after["data"].as_array().unwrap().len(), 2);
        // whatsapp-api-js lists with a trailing slash.
        let res = app.get(&format!("{path}/")).await;
        assert_eq!(res.status(), 200);
        let slash: Value = res.json().await.unwrap();
        assert_eq!(slash["data"].as_array().unwrap().len(), 4);

        // Update: `{code, prefilled_message}` on the edge (pywa), or the code in the path
        // with query parameters (whatsapp-api-js). The code and deep link stay.
        let updated = create(
            &app,
            json!({"code": png_code, "prefilled_message": "Cyber Tuesday"}),
        )
        .await;
        assert_eq!(assert_code(&app, &updated, "Cyber Tuesday", None), png_code);
        let res = app
            .req(
                Method::POST,
                &format!("{path}/{svg_code}?prefilled_message=Where%20is%20my%20order%3F"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let updated: Value = res.json().await.unwrap();
        assert_code(&app, &updated, "Where is my order?", None);
        let one: Value = app
            .get(&format!("{path}/{svg_code}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(one["data"][0]["prefilled_message"], "Where is my order?");
        // An update may ask for an image URL too.
        let updated = create(
            &app,
            json!({"code": svg_code, "prefilled_message": "Again", "generate_qr_image": "SVG"}),
        )
        .await;
        assert_code(&app, &updated, "Again", Some("svg"));

        // Delete: `{"success":true}`, then unknown everywhere.
        let res = app
            .req(Method::DELETE, &format!("{path}/{png_code}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"success": true}));
        assert_unknown(app.get(&format!("{path}/{png_code}")).await).await;
        assert_unknown(
            app.req(Method::DELETE, &format!("{path}/{png_code}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_unknown(
            app.post_json(
                &path,
                &json!({"code": png_code, "prefilled_message": "back?"}),
            )
            .await,
        )
        .await;
        assert_eq!(list(&app, "").await["data"].as_array().unwrap().len(), 3);
        app.stop().await;
    }
}

#[tokio::test]
async fn qr_images_are_public_and_decode_to_the_deep_link() {
    let app = spawn_app().await;
    let png = create(
        &app,
        json!({"prefilled_message": "Scan me", "generate_qr_image": "PNG"}),
    )
    .await;
    let svg = create(
        &app,
        json!({"prefilled_message": "Scan me too", "generate_qr_image": "SVG"}),
    )
    .await;
    for qr in [&png, &svg] {
        let url = qr["qr_image_url"].as_str().unwrap();
        assert_eq!(
            fetch_and_read(&app, url).await,
            qr["deep_link_url"],
            "{url}"
        );
    }
    // Both formats of every code, whichever was asked for at creation.
    let code = png["code"].as_str().unwrap();
    let svg_url = format!("{}/qr/{code}.svg", app.base_url);
    assert_eq!(fetch_and_read(&app, &svg_url).await, png["deep_link_url"]);
    // An updated message keeps the image; the headers say what it is.
    create(
        &app,
        json!({"code": code, "prefilled_message": "Scan me, updated"}),
    )
    .await;
    let res = app
        .client
        .get(png["qr_image_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "public, max-age=300");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let (w, h, luma) = decode_png(&res.bytes().await.unwrap());
    assert_eq!(read_qr(w, h, &luma), png["deep_link_url"]);

    // A deleted code, an unknown one, a malformed name, an unknown format: no image.
    app.req(
        Method::DELETE,
        &format!("{}/{code}", qrdls(&app.phone_number_id)),
    )
    .send()
    .await
    .unwrap();
    for path in [
        format!("/qr/{code}.png"),
        "/qr/ZZZZZZZZZZZZZZ.svg".to_owned(),
        "/qr/nothing.png".to_owned(),
        format!("/qr/{}.gif", svg["code"].as_str().unwrap()),
        format!("/qr/{}", svg["code"].as_str().unwrap()),
    ] {
        let res = app.client.get(app.url(&path)).send().await.unwrap();
        assert_unknown(res).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn bad_qr_requests_are_refused_naming_the_parameter_and_store_nothing() {
    for app in spawn_apps().await {
        let path = qrdls(&app.phone_number_id);
        let too_long = "x".repeat(141);
        for (body, field) in [
            (json!({}), "prefilled_message"),
            (json!({"generate_qr_image": "PNG"}), "prefilled_message"),
            (json!({"prefilled_message": ""}), "prefilled_message"),
            (json!({"prefilled_message": "   "}), "prefilled_message"),
            (json!({"prefilled_message": too_long}), "prefilled_message"),
            (
                json!({"prefilled_message": {"text": "hi"}}),
                "prefilled_message",
            ),
            (
                json!({"prefilled_message": "hi", "generate_qr_image": "JPG"}),
                "generate_qr_image",
            ),
            (
                json!({"prefilled_message": "hi", "generate_qr_image": true}),
                "generate_qr_image",
            ),
        ] {
            let res = app.post_json(&path, &body).await;
            assert_bad(res, field).await;
        }
        // 140 characters (not bytes) is the limit.
        let full = "é".repeat(140);
        let qr = create(&app, json!({"prefilled_message": full})).await;
        let code = qr["code"].as_str().unwrap().to_owned();
        let res = app
            .req(
                Method::POST,
                &format!("{path}?prefilled_message={too_long}"),
            )
            .send()
            .await
            .unwrap();
        assert_bad(res, "prefilled_message").await;
        let res = app
            .post_raw(&path, "application/json", "{\"prefilled_message\": ")
            .await;
        assert_graph_error(res, 400, 100).await;
        let res = app.post_raw(&path, "application/json", "[\"hi\"]").await;
        assert_graph_error(res, 400, 100).await;
        // An update with a bad message changes nothing; a code that differs from the path's.
        assert_bad(
            app.post_json(&path, &json!({"code": code, "prefilled_message": ""}))
                .await,
            "prefilled_message",
        )
        .await;
        assert_bad(
            app.post_json(
                &format!("{path}/{code}"),
                &json!({"code": "ZZZZZZZZZZZZZZ", "prefilled_message": "hi"}),
            )
            .await,
            "code",
        )
        .await;
        // Unknown or malformed codes are unknown objects.
        for bad in ["ZZZZZZZZZZZZZZ", "lowercase00000", "short"] {
            assert_unknown(
                app.post_json(&path, &json!({"code": bad, "prefilled_message": "hi"}))
                    .await,
            )
            .await;
            assert_unknown(app.get(&format!("{path}/{bad}")).await).await;
        }
        // List parameters.
        for (query, field) in [
            ("?fields=id", "fields"),
            ("?fields=qr_image_url.format(GIF)", "fields"),
            ("?limit=0", "limit"),
            ("?limit=201", "limit"),
            ("?limit=ten", "limit"),
            ("?after=nope", "after"),
            ("?before=ZZZZZZZZZZZZZZ", "before"),
        ] {
            assert_bad(app.get(&format!("{path}{query}")).await, field).await;
        }
        assert_bad(
            app.get(&format!("{path}/{code}?fields=nope")).await,
            "fields",
        )
        .await;

        // Only the one good code was stored, with its message as sent.
        let all = list(&app, "").await;
        assert_eq!(all["data"].as_array().unwrap().len(), 1, "{all}");
        assert_eq!(all["data"][0]["prefilled_message"], "é".repeat(140));
        // No key: Graph's 190.
        let res = app.client.get(app.url(&path)).send().await.unwrap();
        assert_graph_error(res, 401, 190).await;
        app.stop().await;
    }
}

#[tokio::test]
async fn another_numbers_and_accounts_codes_are_unknown() {
    for app in spawn_apps().await {
        let mine = create(&app, json!({"prefilled_message": "mine"})).await;
        let code = mine["code"].as_str().unwrap();
        // Another number of the same account: its own (empty) list; the code is unknown there.
        let second = app.create_channel(&app.api_key, "Second").await;
        let second_pnid = second["phone_number_id"].as_str().unwrap();
        let second_path = qrdls(second_pnid);
        let res = app.get(&second_path).await;
        assert_eq!(res.json::<Value>().await.unwrap()["data"], json!([]));
        assert_unknown(app.get(&format!("{second_path}/{code}")).await).await;
        assert_unknown(
            app.req(Method::DELETE, &format!("{second_path}/{code}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_unknown(
            app.post_json(
                &second_path,
                &json!({"code": code, "prefilled_message": "stolen"}),
            )
            .await,
        )
        .await;

        // Another account: our number is unknown to its key, our code unknown on its number.
        let (_, other_key) = app.other_account().await;
        let theirs = app.create_channel(&other_key, "Theirs").await;
        let their_path = qrdls(theirs["phone_number_id"].as_str().unwrap());
        let mine_path = qrdls(&app.phone_number_id);
        for (method, path) in [
            (Method::GET, mine_path.clone()),
            (Method::GET, format!("{mine_path}/{code}")),
            (Method::DELETE, format!("{mine_path}/{code}")),
            (Method::GET, format!("{their_path}/{code}")),
            (Method::DELETE, format!("{their_path}/{code}")),
        ] {
            let res = app
                .with_key(method, &path, &other_key)
                .send()
                .await
                .unwrap();
            assert_unknown(res).await;
        }
        let res = app
            .with_key(Method::POST, &their_path, &other_key)
            .json(&json!({"code": code, "prefilled_message": "stolen"}))
            .send()
            .await
            .unwrap();
        assert_unknown(res).await;
        let res = app
            .with_key(Method::GET, &their_path, &other_key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.json::<Value>().await.unwrap()["data"], json!([]));

        // Ours is untouched.
        let one: Value = app
            .get(&format!("{mine_path}/{code}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(one["data"][0]["prefilled_message"], "mine");
        app.stop().await;
    }
}

// ---- Real client libraries -------------------------------------------------------------------
/// Runs one library's script against `app` and returns its JSON lines.
async fn run(lib: &str, mut cmd: Command, app: &TestApp) -> Vec<Value> {
    crate::sdk::for_app(&mut cmd, app);
    crate::sdk::run_script(lib, cmd).await
}

/// Judges a script's report: every expected operation present and ok, and the images of
/// the codes it kept decode to their deep links. Every problem found, so one run shows all.
async fn judge(lib: &str, app: &TestApp, expected: &[&str], ops: &[Value]) {
    let mut problems = crate::sdk::problems(expected, ops);
    for (op, ext) in [("keep_png", "png"), ("keep_svg", "svg")] {
        let Some(qr) = ops.iter().find(|o| o["op"] == op).map(|o| &o["detail"]) else {
            continue;
        };
        let Some(url) = qr["qr_image_url"].as_str() else {
            problems.push(format!("{op}: no qr_image_url in {qr}"));
            continue;
        };
        if !url.ends_with(ext) {
            problems.push(format!("{op}: {url} is not a {ext}"));
            continue;
        }
        let text = fetch_and_read(app, url).await;
        if text != qr["deep_link_url"] {
            problems.push(format!(
                "{op}: the image reads {text}, not {}",
                qr["deep_link_url"]
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{lib}:\n{}\n\nthe script's report:\n{}",
        problems.join("\n"),
        ops.iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn pywa_qr_calls_round_trip() {
    let (python, _) = install().await;
    let app = spawn_app().await;
    let mut cmd = Command::new(&python);
    cmd.arg(conformance_dir().join("qr/pywa_qr.py"));
    let ops = run("pywa", cmd, &app).await;
    let expected = [
        "create_keep_png",
        "create_keep_svg",
        "create_drop_a",
        "create_drop_b",
        "get_qr_code",
        "get_qr_code_svg",
        "fetch_image",
        "get_qr_codes",
        "get_qr_codes_paged",
        "update_qr_code",
        "qr_update",
        "delete_qr_code",
        "qr_delete",
        "get_deleted",
        "delete_deleted",
        "list_after_delete",
        "create_too_long",
        "create_bad_image_type",
        "update_unknown",
        "keep_png",
        "keep_svg",
    ];
    judge("pywa", &app, &expected, &ops).await;
    app.stop().await;
}

#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn whatsapp_api_js_qr_calls_round_trip() {
    let (_, node_modules) = install().await;
    let app = spawn_app().await;
    let mut cmd = Command::new("node");
    cmd.arg(conformance_dir().join("qr/wajs_qr.mjs"))
        .args(["--node-modules", &node_modules]);
    let ops = run("whatsapp-api-js", cmd, &app).await;
    let expected = [
        "createQR_keep_png",
        "createQR_keep_svg",
        "createQR_drop",
        "retrieveQR_all",
        "retrieveQR_one",
        "updateQR",
        "deleteQR",
        "retrieveQR_deleted",
        "deleteQR_deleted",
        "createQR_too_long",
        "createQR_bad_format",
        "updateQR_unknown",
        "keep_png",
        "keep_svg",
    ];
    judge("whatsapp-api-js", &app, &expected, &ops).await;
    app.stop().await;
}
