//! A structure-aware fuzzer over the Cloud plane's request bodies.
//!
//! It starts from valid payloads (every message type, template creation, media upload,
//! business profile, settings, QR codes, block list, commerce settings…), mutates them as
//! JSON trees (drop or duplicate a field, a wrong JSON type, huge/empty/odd-Unicode strings,
//! deep nesting, numbers at the edges, another message type's object) or as bytes (cut off,
//! a wrong `Content-Type`, over the body limit, not UTF-8), sends them to a real server and
//! asserts what Meta's clients rely on:
//!
//! - never a 5xx;
//! - every answer is `Content-Type: application/json`, and every 4xx is Graph's error object
//!   (`{"error":{"message","type","code",…,"fbtrace_id"}}`);
//! - a refused send stores nothing: at the end the account holds exactly one outbound
//!   message per send answered 200 (the dispatcher is off, so nothing else writes messages).
//!
//! `WAGATE_FUZZ_REQUESTS` sets the number of requests (default 3,000: seconds, in CI);
//! `WAGATE_FUZZ_SEED` the seed (default fixed, so a failure replays);
//! `WAGATE_FUZZ_CONCURRENCY` the requests in flight (default 8). The long mode is
//! `WAGATE_FUZZ_REQUESTS=1000000 cargo test -p wagate --release --test api fuzz_cloud -- --nocapture`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use wagate_app::templates::TemplatesConfig;
use wagate_app::templates::review::TemplateReviewer;
use wagate_core::Timestamp;

use crate::helpers::{TestApp, spawn_apps_with};

/// splitmix64: small, fast, and the same sequence everywhere for a seed.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// What a seed is sent to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Target {
    /// `POST /{pnid}/messages`: a send, counted.
    Send,
    /// `POST /{pnid}/messages` marking a message read: stores no message.
    MarkRead,
    /// Any other JSON endpoint.
    Other,
    /// `POST /{pnid}/media`, multipart.
    Media,
}

#[derive(Clone)]
struct Seed {
    target: Target,
    path: String,
    body: Value,
}

/// The valid payloads the mutations start from.
fn seeds(pnid: &str, waba: &str, inbound_wamid: &str, template: &str) -> Vec<Seed> {
    let to = "+15551230001";
    let send = |body: Value| {
        let mut b =
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to});
        b.as_object_mut()
            .unwrap()
            .extend(body.as_object().unwrap().clone());
        Seed {
            target: Target::Send,
            path: format!("/v23.0/{pnid}/messages"),
            body: b,
        }
    };
    let other = |path: String, body: Value| Seed {
        target: Target::Other,
        path,
        body,
    };
    let link = "https://example.com/cat.jpg";
    vec![
        send(json!({"type": "text", "text": {"body": "Hello", "preview_url": false}})),
        send(
            json!({"type": "text", "context": {"message_id": inbound_wamid}, "text": {"body": "A reply"}}),
        ),
        send(json!({"type": "image", "image": {"link": link, "caption": "A cat"}})),
        send(json!({"type": "video", "video": {"link": "https://example.com/v.mp4"}})),
        send(json!({"type": "audio", "audio": {"link": "https://example.com/a.ogg"}})),
        send(
            json!({"type": "document", "document": {"link": "https://example.com/d.pdf", "filename": "d.pdf", "caption": "Invoice"}}),
        ),
        send(json!({"type": "sticker", "sticker": {"link": "https://example.com/s.webp"}})),
        send(
            json!({"type": "location", "location": {"latitude": 52.52, "longitude": 13.405, "name": "Berlin", "address": "Mitte"}}),
        ),
        send(json!({"type": "contacts", "contacts": [{
            "name": {"formatted_name": "Ann Lee", "first_name": "Ann", "last_name": "Lee"},
            "phones": [{"phone": "+15551230002", "type": "CELL", "wa_id": "15551230002"}],
            "emails": [{"email": "ann@example.com", "type": "WORK"}],
            "urls": [{"url": "https://example.com", "type": "WORK"}],
            "addresses": [{"street": "1 Main St", "city": "Springfield", "country_code": "US", "type": "HOME"}],
            "org": {"company": "Acme"}, "birthday": "1990-01-31"
        }]})),
        send(json!({"type": "reaction", "reaction": {"message_id": inbound_wamid, "emoji": "👍"}})),
        send(json!({"type": "interactive", "interactive": {
            "type": "button",
            "header": {"type": "text", "text": "Order"},
            "body": {"text": "Ready?"},
            "footer": {"text": "Acme"},
            "action": {"buttons": [
                {"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                {"type": "reply", "reply": {"id": "no", "title": "No"}}
            ]}
        }})),
        send(json!({"type": "interactive", "interactive": {
            "type": "list",
            "body": {"text": "Pick one"},
            "action": {"button": "Options", "sections": [
                {"title": "Sizes", "rows": [
                    {"id": "s", "title": "Small", "description": "S"},
                    {"id": "m", "title": "Medium"}
                ]}
            ]}
        }})),
        send(json!({"type": "interactive", "interactive": {
            "type": "cta_url",
            "body": {"text": "See it"},
            "action": {"name": "cta_url", "parameters": {"display_text": "Open", "url": "https://example.com"}}
        }})),
        send(json!({"type": "template", "template": {
            "name": template, "language": {"code": "en_US"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ann"}]}]
        }})),
        Seed {
            target: Target::MarkRead,
            path: format!("/v23.0/{pnid}/messages"),
            body: json!({"messaging_product": "whatsapp", "status": "read", "message_id": inbound_wamid,
                         "typing_indicator": {"type": "text"}}),
        },
        other(
            format!("/v23.0/{waba}/message_templates"),
            json!({"name": "fuzz_template", "language": "en_US", "category": "UTILITY",
            "components": [
                {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["42"]}},
                {"type": "BODY", "text": "Hi {{1}}, your order {{2}} ships today.",
                 "example": {"body_text": [["Ann", "42"]]}},
                {"type": "FOOTER", "text": "Acme"},
                {"type": "BUTTONS", "buttons": [
                    {"type": "QUICK_REPLY", "text": "Thanks"},
                    {"type": "URL", "text": "Track", "url": "https://example.com/t/{{1}}", "example": ["https://example.com/t/42"]},
                    {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+15551230003"}
                ]}
            ]}),
        ),
        other(
            format!("/v23.0/{pnid}/whatsapp_business_profile"),
            json!({"messaging_product": "whatsapp", "about": "We sell cats", "address": "1 Main St",
                   "description": "Cats\nand more", "email": "shop@example.com", "vertical": "RETAIL",
                   "websites": ["https://example.com"]}),
        ),
        other(
            format!("/v23.0/{pnid}/settings"),
            json!({"fallback_language": "en_US", "storage_configuration": {"status": "DEFAULT"},
                   "user_identity_change": {"enable_identity_key_check": true}}),
        ),
        other(
            format!("/v23.0/{pnid}/conversational_automation"),
            json!({"enable_welcome_message": true, "prompts": ["Hours?", "Prices?"],
                   "commands": [{"command_name": "help", "command_description": "Get help"}]}),
        ),
        other(
            format!("/v23.0/{pnid}/message_qrdls"),
            json!({"prefilled_message": "Hello 🎉", "generate_qr_image": "PNG"}),
        ),
        other(
            format!("/v23.0/{pnid}/block_users"),
            json!({"messaging_product": "whatsapp", "block_users": [{"user": "+15559990000"}]}),
        ),
        other(
            format!("/v23.0/{pnid}/whatsapp_commerce_settings"),
            json!({"is_cart_enabled": true, "is_catalog_visible": false}),
        ),
        Seed {
            target: Target::Media,
            path: format!("/v23.0/{pnid}/media"),
            body: json!({"messaging_product": "whatsapp", "type": "image/png"}),
        },
    ]
}

// ---- mutations ---------------------------------------------------------------------------

const STRINGS: &[&str] = &[
    "",
    " ",
    "\u{0000}",
    "\u{200B}\u{200E}\u{202E}",
    "👍🏽👨‍👩‍👧",
    "e\u{0301}",
    "\u{FEFF}",
    "\n\t\r",
    "null",
    "{{1}}",
    "wamid.",
    "+",
    "0",
    "-1",
    "https://",
    "http://169.254.169.254/",
    "ＡＢＣ",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "../../etc/passwd",
    "%00",
    "' OR 1=1 --",
];

fn edge_number(rng: &mut Rng) -> Value {
    match rng.below(12) {
        0 => json!(0),
        1 => json!(-1),
        2 => json!(i64::MAX),
        3 => json!(i64::MIN),
        4 => json!(u64::MAX),
        5 => json!(1e308),
        6 => json!(-1e308),
        7 => json!(0.5),
        8 => json!(f64::EPSILON),
        9 => json!(u32::MAX),
        10 => json!(-0.0),
        _ => json!(rng.next() as i64),
    }
}

fn odd_string(rng: &mut Rng) -> Value {
    match rng.below(6) {
        0 => json!("x".repeat(rng.below(5000) + 1)),
        1 => json!("é".repeat(rng.below(2000) + 1)),
        2 => json!("🎉".repeat(rng.below(1000) + 1)),
        _ => json!(*rng.pick(STRINGS)),
    }
}

fn random_value(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => Value::Null,
        1 => json!(rng.chance(50)),
        2 => edge_number(rng),
        3 => odd_string(rng),
        4 => json!([]),
        5 => json!({}),
        6 => json!([odd_string(rng), edge_number(rng)]),
        _ => json!({"x": odd_string(rng)}),
    }
}

const NEST: &str = "@@nest:";

/// `depth` levels of arrays and objects around a string, as JSON text.
fn nested(depth: usize) -> String {
    let mut open = String::with_capacity(depth * 5);
    let mut close = String::with_capacity(depth);
    for i in 0..depth {
        if i % 2 == 0 {
            open.push('[');
        } else {
            open.push_str("{\"a\":");
        }
    }
    for i in (0..depth).rev() {
        close.push(if i % 2 == 0 { ']' } else { '}' });
    }
    format!("{open}\"deep\"{close}")
}

/// Replaces each `"@@nest:<depth>"` string in serialised JSON with that deep a nesting.
fn nest_markers(bytes: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8(bytes).expect("serde_json writes UTF-8");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    let marker = format!("\"{NEST}");
    while let Some(i) = rest.find(&marker) {
        out.push_str(&rest[..i]);
        let after = &rest[i + marker.len()..];
        let end = after.find('"').unwrap_or(after.len());
        let depth: usize = after[..end].parse().unwrap_or(1);
        out.push_str(&nested(depth));
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out.into_bytes()
}

/// Every place in the tree: the path of keys and indexes to it.
fn places(v: &Value, at: &mut Vec<Vec<Step>>, prefix: &mut Vec<Step>) {
    at.push(prefix.clone());
    match v {
        Value::Object(o) => {
            for (k, c) in o {
                prefix.push(Step::Key(k.clone()));
                places(c, at, prefix);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                prefix.push(Step::Index(i));
                places(c, at, prefix);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn at_mut<'a>(v: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    let mut cur = v;
    for s in path {
        cur = match s {
            Step::Key(k) => cur.get_mut(k.as_str())?,
            Step::Index(i) => cur.get_mut(*i)?,
        };
    }
    Some(cur)
}

const TYPES: &[&str] = &[
    "text",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "reaction",
    "template",
    "button",
    "order",
    "unknown",
];

/// One structural mutation of the tree; returns what it did.
fn mutate_tree(rng: &mut Rng, body: &mut Value, donors: &[Seed]) -> String {
    let mut all = Vec::new();
    places(body, &mut all, &mut Vec::new());
    let path = rng.pick(&all).clone();
    let where_ = format!("{path:?}");
    let Some(node) = at_mut(body, &path) else {
        return "nothing".into();
    };
    match rng.below(12) {
        0 => {
            // drop a field or an item
            match node {
                Value::Object(o) if !o.is_empty() => {
                    let k = o.keys().nth(rng.below(o.len())).cloned().unwrap();
                    o.remove(&k);
                    format!("drop {k} at {where_}")
                }
                Value::Array(a) if !a.is_empty() => {
                    let i = rng.below(a.len());
                    a.remove(i);
                    format!("drop [{i}] at {where_}")
                }
                _ => {
                    *node = Value::Null;
                    format!("null at {where_}")
                }
            }
        }
        1 => {
            // duplicate an item (or an array of many)
            match node {
                Value::Array(a) if !a.is_empty() => {
                    let item = a[rng.below(a.len())].clone();
                    let n = *rng.pick(&[1usize, 2, 10, 300]);
                    a.extend(std::iter::repeat_n(item, n));
                    format!("duplicate item ×{n} at {where_}")
                }
                other => {
                    let copy = other.clone();
                    *other = json!([copy.clone(), copy]);
                    format!("wrap in array at {where_}")
                }
            }
        }
        2 | 3 => {
            let v = random_value(rng);
            *node = v;
            format!("wrong type at {where_}")
        }
        4 => {
            *node = odd_string(rng);
            format!("odd string at {where_}")
        }
        5 => {
            *node = edge_number(rng);
            format!("edge number at {where_}")
        }
        6 => {
            // Written into the bytes after serialising (see `nest_markers`): a tree that deep
            // would make every later mutation walk it.
            let depth = *rng.pick(&[10usize, 100, 127, 129, 1000, 100_000]);
            *node = json!(format!("{NEST}{depth}"));
            format!("nesting {depth} at {where_}")
        }
        7 => {
            if let Value::Object(o) = node {
                o.insert(format!("unknown_{}", rng.below(100)), random_value(rng));
                format!("unknown field at {where_}")
            } else {
                *node = json!({});
                format!("empty object at {where_}")
            }
        }
        8 => {
            // another message type, keeping or swapping the type's object
            let t = *rng.pick(TYPES);
            if let Some(o) = body.as_object_mut() {
                o.insert("type".into(), json!(t));
            }
            format!("type {t}")
        }
        9 if !donors.is_empty() => {
            // graft a fragment of another seed
            let donor = rng.pick(donors).body.clone();
            if let (Value::Object(o), Value::Object(d)) = (node, donor)
                && let Some((k, v)) = d.into_iter().nth(rng.below(4))
            {
                o.insert(k.clone(), v);
                return format!("graft {k} at {where_}");
            }
            "graft nothing".into()
        }
        10 => {
            *node = Value::String(String::new());
            format!("empty string at {where_}")
        }
        _ => {
            // a number as a string or a string as a number
            let v = match &*node {
                Value::Number(n) => json!(n.to_string()),
                Value::String(s) => s.parse::<f64>().map_or(json!(0), |f| json!(f)),
                Value::Bool(b) => json!(b.to_string()),
                other => json!(other.to_string()),
            };
            *node = v;
            format!("retyped at {where_}")
        }
    }
}

/// A request as sent: body bytes and content type (or none).
struct Request {
    body: Vec<u8>,
    content_type: Option<String>,
    what: String,
}

const MAX_BODY: usize = 64 * 1024;

fn json_request(rng: &mut Rng, seed: &Seed, donors: &[Seed]) -> Request {
    let mut body = seed.body.clone();
    let mut what = Vec::new();
    if !rng.chance(10) {
        for _ in 0..=rng.below(3) {
            what.push(mutate_tree(rng, &mut body, donors));
        }
    }
    let mut bytes = nest_markers(serde_json::to_vec(&body).unwrap());
    let mut content_type = Some("application/json".to_owned());
    match rng.below(20) {
        0 => {
            let cut = rng.below(bytes.len());
            bytes.truncate(cut);
            what.push(format!("cut at {cut}"));
        }
        1 => {
            content_type = Some(
                rng.pick(&[
                    "text/plain",
                    "application/x-www-form-urlencoded",
                    "multipart/form-data; boundary=x",
                    "application/xml",
                    "application/json; charset=latin1",
                    "",
                ])
                .to_string(),
            );
            what.push(format!("content type {content_type:?}"));
        }
        2 => {
            content_type = None;
            what.push("no content type".into());
        }
        3 => {
            let n = MAX_BODY + 1 + rng.below(MAX_BODY);
            let pad = format!(",\"pad\":\"{}\"}}", "x".repeat(n));
            bytes.pop();
            bytes.extend_from_slice(pad.as_bytes());
            what.push(format!("oversized ({} bytes)", bytes.len()));
        }
        4 => {
            let i = rng.below(bytes.len());
            bytes[i] = 0xFF;
            what.push(format!("invalid UTF-8 at {i}"));
        }
        5 if bytes.len() > 2 => {
            // a key twice: the last one wins in serde_json, or the parser refuses
            bytes.pop();
            bytes.extend_from_slice(b",\"type\":\"text\",\"type\":\"image\"}");
            what.push("duplicate key".into());
        }
        6 => {
            bytes = rng
                .pick(&[&b""[..], b"null", b"[]", b"1", b"\"x\"", b"{}{}"])
                .to_vec();
            what.push(format!("body {:?}", String::from_utf8_lossy(&bytes)));
        }
        _ => {}
    }
    Request {
        body: bytes,
        content_type,
        what: what.join("; "),
    }
}

/// A PNG that is one pixel.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// A form part: name, file name, content type, bytes.
type Part = (String, Option<String>, Option<String>, Vec<u8>);

/// A multipart upload with its parts mutated: missing, repeated, of the wrong type, empty,
/// cut off, with a broken boundary.
fn media_request(rng: &mut Rng) -> Request {
    let boundary = "fuzzboundary";
    let mut parts: Vec<Part> = vec![
        ("messaging_product".into(), None, None, b"whatsapp".to_vec()),
        ("type".into(), None, None, b"image/png".to_vec()),
        (
            "file".into(),
            Some("cat.png".into()),
            Some("image/png".into()),
            PNG.to_vec(),
        ),
    ];
    let mut what = Vec::new();
    for _ in 0..=rng.below(2) {
        match rng.below(9) {
            0 => {
                let i = rng.below(parts.len());
                what.push(format!("drop part {}", parts[i].0));
                parts.remove(i);
            }
            1 if !parts.is_empty() => {
                let p = parts[rng.below(parts.len())].clone();
                what.push(format!("repeat part {}", p.0));
                parts.push(p);
            }
            2 => {
                let t = *rng.pick(&[
                    "image/jpeg",
                    "video/mp4",
                    "audio",
                    "text/plain",
                    "application/x-msdownload",
                    "",
                    "image",
                    "😀",
                ]);
                if let Some(p) = parts.iter_mut().find(|p| p.0 == "type") {
                    p.3 = t.as_bytes().to_vec();
                }
                what.push(format!("type {t}"));
            }
            3 => {
                if let Some(p) = parts.iter_mut().find(|p| p.0 == "file") {
                    p.3 = match rng.below(4) {
                        0 => Vec::new(),
                        1 => b"not an image".to_vec(),
                        2 => PNG[..20].to_vec(),
                        _ => {
                            let mut v = PNG.to_vec();
                            v.extend(std::iter::repeat_n(0u8, MAX_BODY));
                            v
                        }
                    };
                    what.push(format!("file of {} bytes", p.3.len()));
                }
            }
            4 => {
                if let Some(p) = parts.iter_mut().find(|p| p.0 == "file") {
                    p.2 =
                        Some((*rng.pick(&["application/pdf", "", "x/y", "image/png; x=1"])).into());
                    what.push(format!("part content type {:?}", p.2));
                }
            }
            5 => {
                if let Some(p) = parts.iter_mut().find(|p| p.0 == "file") {
                    p.1 = Some((*rng.pick(&["", "../../x.png", "a\"b.png", "ü.png"])).into());
                    what.push(format!("file name {:?}", p.1));
                }
            }
            6 => {
                if let Some(p) = parts.iter_mut().find(|p| p.0 == "messaging_product") {
                    p.3 = odd_string(rng).as_str().unwrap().as_bytes().to_vec();
                    what.push("odd messaging_product".into());
                }
            }
            _ => {}
        }
    }
    let mut body = Vec::new();
    for (name, file, ct, data) in &parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n")
                    .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n").as_bytes(),
            ),
        }
        if let Some(ct) = ct {
            body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let mut content_type = format!("multipart/form-data; boundary={boundary}");
    match rng.below(10) {
        0 => {
            let cut = rng.below(body.len());
            body.truncate(cut);
            what.push(format!("cut at {cut}"));
        }
        1 => {
            content_type = "multipart/form-data; boundary=other".into();
            what.push("wrong boundary".into());
        }
        2 => {
            content_type = "application/json".into();
            what.push("json content type".into());
        }
        3 => {
            content_type = "multipart/form-data".into();
            what.push("no boundary".into());
        }
        _ => {}
    }
    Request {
        body,
        content_type: Some(content_type),
        what: what.join("; "),
    }
}

// ---- the run -----------------------------------------------------------------------------

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

#[derive(Default)]
struct Tally {
    sends_accepted: AtomicU64,
    by_status: Mutex<std::collections::BTreeMap<u16, u64>>,
    /// Time spent waiting for answers, per endpoint (to see where a run's time goes).
    by_path: Mutex<std::collections::BTreeMap<String, (u64, Duration)>>,
    failures: Mutex<Vec<String>>,
}

/// Checks one answer; `Err` says what is wrong with it.
fn check(status: u16, content_type: Option<&str>, body: &[u8]) -> Result<(), String> {
    if status >= 500 {
        return Err(format!("{status}: {}", String::from_utf8_lossy(body)));
    }
    if !content_type.is_some_and(|c| c.starts_with("application/json")) {
        return Err(format!("{status} with Content-Type {content_type:?}"));
    }
    let v: Value =
        serde_json::from_slice(body).map_err(|e| format!("{status}: body is not JSON: {e}"))?;
    if status >= 400 {
        let e = v
            .get("error")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{status} without an error object: {v}"))?;
        let field = |k: &str, ok: fn(&Value) -> bool| -> Result<(), String> {
            e.get(k)
                .filter(|x| ok(x))
                .map(|_| ())
                .ok_or_else(|| format!("{status}: error.{k} missing or mistyped: {v}"))
        };
        field("message", Value::is_string)?;
        field("type", Value::is_string)?;
        field("code", Value::is_u64)?;
        field("fbtrace_id", |x| x.as_str().is_some_and(|s| !s.is_empty()))?;
        if e.get("error_subcode").is_some_and(|sub| !sub.is_u64()) {
            return Err(format!("{status}: error_subcode is not a number: {v}"));
        }
    }
    Ok(())
}

async fn outbound_messages(app: &TestApp) -> u64 {
    let mut total = 0u64;
    let mut after: Option<String> = None;
    loop {
        let mut path = "/api/v1/messages?direction=outbound&limit=100".to_owned();
        if let Some(a) = &after {
            path.push_str(&format!("&after={a}"));
        }
        let page: Value = app.get(&path).await.json().await.unwrap();
        total += page["data"].as_array().unwrap().len() as u64;
        match page["next_after"].as_str() {
            Some(a) => after = Some(a.to_owned()),
            None => return total,
        }
    }
}

/// An approved template to send, and an inbound message to reply to and mark read.
async fn prepare(app: &TestApp) -> (String, String, String) {
    let channel: Value = app.get("/api/v1/channels").await.json().await.unwrap();
    let waba = channel["data"][0]["waba_id"].as_str().unwrap().to_owned();
    let pnid = app.phone_number_id.clone();
    let res = app
        .post_json(
            &format!("/v23.0/{waba}/message_templates"),
            &json!({"name": "fuzz_order", "language": "en_US", "category": "UTILITY",
                    "components": [{"type": "BODY", "text": "Hi {{1}}, your order ships today.",
                                    "example": {"body_text": [["Ann"]]}}]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The dispatcher is off on this node, and the reviewer with it: one review step.
    let reviewer = TemplateReviewer::new(
        app.app.store().clone(),
        TemplatesConfig {
            approve_all: true,
            review_delay_ms: 0,
            ..TemplatesConfig::default()
        },
    );
    reviewer.run_once(Timestamp::now()).await.unwrap();
    let t: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
    assert_eq!(t["status"], "APPROVED", "{t}");
    let res = app
        .post_json(
            &format!("/sandbox/{pnid}/inbound"),
            &json!({"from": "15551230001", "type": "text", "text": {"body": "Hi"}}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let inbound: Value = app
        .get("/api/v1/messages?direction=inbound")
        .await
        .json()
        .await
        .unwrap();
    let wamid = inbound["data"][0]["wamid"].as_str().unwrap().to_owned();
    (waba, wamid, "fuzz_order".to_owned())
}

#[tokio::test]
async fn cloud_plane_fuzz() {
    let requests = env_u64("WAGATE_FUZZ_REQUESTS", 3_000);
    let seed = env_u64("WAGATE_FUZZ_SEED", 0x00C0_FFEE);
    let concurrency = env_u64("WAGATE_FUZZ_CONCURRENCY", 8).max(1);
    let app = spawn_apps_with(|c| {
        // Nothing but the API writes messages, so stored outbound messages = accepted sends.
        c.dispatch.enabled = false;
        c.max_body_bytes = MAX_BODY;
        // A million template creations would run into the WABA's caps; they are refused
        // (as Meta does) once reached, which the fuzzer sees as any other refusal.
    })
    .await
    .into_iter()
    .next()
    .unwrap();
    let (waba, wamid, template) = prepare(&app).await;
    let before = outbound_messages(&app).await;
    let seeds = Arc::new(seeds(&app.phone_number_id, &waba, &wamid, &template));
    let tally = Arc::new(Tally::default());
    let next = Arc::new(AtomicU64::new(0));
    let app = Arc::new(app);
    let started = Instant::now();

    let mut workers = Vec::new();
    for w in 0..concurrency {
        let (seeds, tally, next, app) = (seeds.clone(), tally.clone(), next.clone(), app.clone());
        workers.push(tokio::spawn(async move {
            let mut rng = Rng(seed ^ (w + 1).wrapping_mul(0x9E37_79B9));
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= requests {
                    return;
                }
                let s = rng.pick(&seeds).clone();
                let req = match s.target {
                    Target::Media => media_request(&mut rng),
                    _ => json_request(&mut rng, &s, &seeds),
                };
                let mut builder = app.req(Method::POST, &s.path).body(req.body.clone());
                if let Some(ct) = &req.content_type {
                    builder = builder.header("content-type", ct);
                }
                let sent_at = Instant::now();
                let res = match builder.send().await {
                    Ok(r) => r,
                    Err(e) => {
                        tally.failures.lock().await.push(format!(
                            "#{n} POST {} ({}): no answer: {e}",
                            s.path, req.what
                        ));
                        continue;
                    }
                };
                let status = res.status().as_u16();
                let ct = res
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let body = res.bytes().await.unwrap_or_default();
                {
                    let endpoint = s.path.rsplit('/').next().unwrap_or_default().to_owned();
                    let mut t = tally.by_path.lock().await;
                    let e = t.entry(endpoint).or_default();
                    e.0 += 1;
                    e.1 += sent_at.elapsed();
                }
                *tally.by_status.lock().await.entry(status).or_default() += 1;
                if status == 200 && s.target == Target::Send {
                    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
                    // A body that is a mark-read after mutation answers `success`.
                    if v.get("messages").is_some() {
                        tally.sends_accepted.fetch_add(1, Ordering::Relaxed);
                    }
                }
                if let Err(why) = check(status, ct.as_deref(), &body) {
                    let mut f = tally.failures.lock().await;
                    if f.len() < 50 {
                        let excerpt: String = String::from_utf8_lossy(&req.body)
                            .chars()
                            .take(300)
                            .collect();
                        f.push(format!(
                            "#{n} POST {} ({}): {why}\n    body: {excerpt}",
                            s.path, req.what
                        ));
                    }
                }
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let elapsed = started.elapsed();
    let after = outbound_messages(&app).await;
    let accepted = tally.sends_accepted.load(Ordering::Relaxed);
    let by_status = tally.by_status.lock().await.clone();
    let failures = tally.failures.lock().await.clone();
    let by_path: Vec<String> = tally
        .by_path
        .lock()
        .await
        .iter()
        .map(|(p, (n, t))| format!("{p}: {n} × {:.1} ms", t.as_secs_f64() * 1000.0 / *n as f64))
        .collect();
    println!(
        "cloud fuzz: mean answer time per endpoint: {}",
        by_path.join(", ")
    );
    println!(
        "cloud fuzz: {requests} requests in {:.1} s ({:.0}/s), seed {seed:#x}, statuses {by_status:?}, \
         {accepted} sends accepted, {} failures",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        after - before,
        accepted,
        "stored outbound messages = sends answered 200 (a refused send stores nothing)"
    );
    assert!(
        by_status.keys().any(|s| *s == 200) && by_status.keys().any(|s| *s >= 400),
        "the run both sent and was refused: {by_status:?}"
    );
}

#[test]
fn the_checker_refuses_what_clients_cannot_read() {
    let graph =
        br#"{"error":{"message":"(#100) x","type":"OAuthException","code":100,"fbtrace_id":"A"}}"#;
    assert!(check(400, Some("application/json"), graph).is_ok());
    assert!(check(413, Some("text/plain"), b"too big").is_err());
    assert!(check(500, Some("application/json"), graph).is_err());
    assert!(check(400, Some("application/json"), br#"{"error":{"code":"x"}}"#).is_err());
    assert!(
        check(
            400,
            Some("application/json"),
            br#"{"error":{"message":"m","type":"t","code":1}}"#
        )
        .is_err()
    );
    let mut rng = Rng(1);
    let mut again = Rng(1);
    assert_eq!(rng.next(), again.next(), "a seed replays");
    let mut body = json!({"a": [1, {"b": "c"}]});
    for _ in 0..100 {
        let mut b = body.clone();
        mutate_tree(&mut rng, &mut b, &[]);
    }
    let mut all = Vec::new();
    places(&body, &mut all, &mut Vec::new());
    assert_eq!(all.len(), 5, "root, a, a[0], a[1], a[1].b");
    body["a"][1]["b"] = json!(null);
}

#[test]
fn generation_is_deterministic_and_nesting_is_json() {
    let v: Value = serde_json::from_slice(&nest_markers(
        serde_json::to_vec(&json!({"a": format!("{NEST}10"), "b": 1})).unwrap(),
    ))
    .unwrap();
    assert_eq!(v["b"], 1);
    assert_eq!(v["a"][0]["a"][0]["a"][0]["a"][0]["a"][0]["a"], "deep");
    let seeds = seeds("1", "2", "wamid.X", "t");
    let run = |seed| {
        let mut rng = Rng(seed);
        (0..200)
            .map(|_| {
                let s = rng.pick(&seeds).clone();
                match s.target {
                    Target::Media => media_request(&mut rng).body,
                    _ => json_request(&mut rng, &s, &seeds).body,
                }
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(run(7), run(7), "a seed replays the same requests");
    assert_ne!(run(7), run(8));
}
