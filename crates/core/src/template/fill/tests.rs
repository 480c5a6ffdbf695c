use serde_json::{Value, json};

use super::*;
use crate::content::Content;
use crate::template::TemplateDraft;

/// Parses a create body, then fills it with `components` sent the way a client would (the
/// send goes through the message parser first, as on the real path).
fn try_fill(template: Value, components: Value) -> Result<Rendered, FillError> {
    let draft = TemplateDraft::parse(&template).expect("template parses");
    let t = Fillable {
        template_id: "1234",
        category: draft.category(),
        parameter_format: draft.parameter_format(),
        components: draft.components(),
    };
    let send = json!({"type": "template", "template": {
        "name": template["name"], "language": {"code": template["language"]},
        "components": components}});
    let content = Content::outbound(&send).expect("send parses");
    fill(&t, content.body())
}

fn err(template: Value, components: Value) -> (u32, String) {
    let e = try_fill(template, components).unwrap_err();
    (e.code.graph().code, e.details)
}

fn order_update() -> Value {
    json!({"name": "order_update", "language": "en_US", "category": "UTILITY",
    "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["#1"]}},
        {"type": "BODY", "text": "Hi {{1}}, your total is {{2}} due {{3}}.",
         "example": {"body_text": [["Ann", "$5", "May 1"]]}},
        {"type": "FOOTER", "text": "Reply STOP to opt out"},
        {"type": "BUTTONS", "buttons": [
            {"type": "URL", "text": "Track", "url": "https://shop.example/t/{{1}}", "example": ["https://shop.example/t/42"]},
            {"type": "QUICK_REPLY", "text": "Stop"},
            {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+15551234567"}
        ]}
    ]})
}

fn order_params() -> Value {
    json!([
        {"type": "header", "parameters": [{"type": "text", "text": "#42"}]},
        {"type": "body", "parameters": [
            {"type": "text", "text": "Jessica"},
            {"type": "currency", "currency": {"fallback_value": "$12.50", "code": "USD", "amount_1000": 12500}},
            {"type": "date_time", "date_time": {"fallback_value": "May 1"}}
        ]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "ORDER-42"}]},
        {"type": "button", "sub_type": "QUICK_REPLY", "index": 1, "parameters": [{"type": "payload", "payload": "STOP"}]}
    ])
}

fn with(mut components: Value, index: usize, replace: Value) -> Value {
    components[index] = replace;
    components
}

#[test]
fn fills_header_body_footer_and_buttons() {
    let r = try_fill(order_update(), order_params()).unwrap();
    assert_eq!(r.template_id, "1234");
    assert_eq!(r.category, TemplateCategory::Utility);
    assert_eq!(r.header.as_deref(), Some("Order #42"));
    assert_eq!(
        r.body.as_deref(),
        Some("Hi Jessica, your total is $12.50 due May 1.")
    );
    assert_eq!(r.footer.as_deref(), Some("Reply STOP to opt out"));
    assert_eq!(
        r.buttons,
        ["Track: https://shop.example/t/ORDER-42", "Stop", "Call"]
    );
    let stored = serde_json::to_value(&r).unwrap();
    assert_eq!(stored["category"], "UTILITY");
    assert!(stored.get("media_ids").is_none() && stored.get("cards").is_none());
}

#[test]
fn parameter_counts_are_132000() {
    let params = order_params();
    let mut short = params.clone();
    short[1]["parameters"].as_array_mut().unwrap().pop();
    let (code, details) = err(order_update(), short);
    assert_eq!(code, 132000);
    assert_eq!(
        details,
        "body: number of parameters (2) does not match the expected number of params (3)"
    );
    let mut long = params.clone();
    long[0]["parameters"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "text", "text": "x"}));
    assert_eq!(err(order_update(), long).0, 132000);
    // No body component at all: zero values for three variables.
    let no_body = json!([params[0], params[2]]);
    assert_eq!(err(order_update(), no_body).0, 132000);
    // The dynamic URL button needs its suffix.
    let no_url = json!([params[0], params[1]]);
    let (code, details) = err(order_update(), no_url);
    assert_eq!(code, 132000);
    assert!(details.starts_with("button 0: the template's URL button needs a parameter"));
    // The quick reply may be left out.
    assert!(try_fill(order_update(), json!([params[0], params[1], params[2]])).is_ok());
}

#[test]
fn no_variables_means_no_values() {
    let hello = json!({"name": "hello", "language": "en", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hello there"}]});
    let r = try_fill(hello.clone(), json!([])).unwrap();
    assert_eq!(r.body.as_deref(), Some("Hello there"));
    assert_eq!(r.buttons, Vec::<String>::new());
    assert!(try_fill(hello.clone(), Value::Null).is_ok());
    assert!(try_fill(hello.clone(), json!([{"type": "body", "parameters": []}])).is_ok());
    let extra = json!([{"type": "body", "parameters": [{"type": "text", "text": "x"}]}]);
    assert_eq!(err(hello.clone(), extra).0, 132000);
    let header = json!([{"type": "header", "parameters": [{"type": "text", "text": "x"}]}]);
    assert_eq!(
        err(hello.clone(), header),
        (
            132000,
            "the template has no header; remove the header component".into()
        )
    );
    let button = json!([{"type": "button", "sub_type": "quick_reply", "index": 0,
        "parameters": [{"type": "payload", "payload": "p"}]}]);
    assert_eq!(err(hello.clone(), button).0, 132012);
    let carousel = json!([{"type": "carousel", "cards": [sent_card(0, "$1")]}]);
    assert_eq!(err(hello.clone(), carousel).0, 132000);
    let offer = json!([{"type": "limited_time_offer", "parameters": []}]);
    assert_eq!(err(hello, offer).0, 132000);
}

#[test]
fn parameter_types_and_formats_are_132012() {
    let p = order_params();
    let body = |param: Value| {
        with(
            p.clone(),
            1,
            json!({"type": "body", "parameters": [param, p[1]["parameters"][1], p[1]["parameters"][2]]}),
        )
    };
    for (bad, why) in [
        (
            json!({"type": "image", "image": {"link": "https://x/a.png"}}),
            "not `image`",
        ),
        (json!({"type": "text", "text": ""}), "must not be empty"),
        (json!({"type": "text", "text": 5}), "must be a string"),
        (
            json!({"type": "currency", "currency": {"fallback_value": "$1", "code": "usd", "amount_1000": 1000}}),
            "ISO 4217",
        ),
        (
            json!({"type": "currency", "currency": {"fallback_value": "$1", "code": "USD", "amount_1000": 0}}),
            "positive integer",
        ),
        (
            json!({"type": "currency", "currency": {"code": "USD", "amount_1000": 1000}}),
            "currency.fallback_value must be a string",
        ),
        (
            json!({"type": "date_time", "date_time": {}}),
            "date_time.fallback_value",
        ),
    ] {
        let (code, details) = err(order_update(), body(bad.clone()));
        assert_eq!(code, 132012, "{bad}");
        assert!(details.contains(why), "{bad}: {details}");
        assert!(details.starts_with("body parameter 1: "), "{details}");
    }
    // Button sub_type and parameter type must match the template's button.
    let url_as_reply = with(
        p.clone(),
        2,
        json!({"type": "button", "sub_type": "quick_reply", "index": 0, "parameters": [{"type": "payload", "payload": "x"}]}),
    );
    let (code, details) = err(order_update(), url_as_reply);
    assert_eq!(code, 132012);
    assert_eq!(
        details,
        "button 0: the template's button is a URL button; send sub_type url, not quick_reply"
    );
    let payload_for_url = with(
        p.clone(),
        2,
        json!({"type": "button", "sub_type": "url", "index": 0, "parameters": [{"type": "payload", "payload": "x"}]}),
    );
    assert_eq!(err(order_update(), payload_for_url).0, 132012);
    let out_of_range = with(
        p.clone(),
        3,
        json!({"type": "button", "sub_type": "quick_reply", "index": 5, "parameters": []}),
    );
    let (code, details) = err(order_update(), out_of_range);
    assert_eq!(code, 132012);
    assert!(
        details.contains("the template has 3 buttons; index 5"),
        "{details}"
    );
    let phone = with(
        p.clone(),
        3,
        json!({"type": "button", "sub_type": "url", "index": 2, "parameters": [{"type": "text", "text": "x"}]}),
    );
    let (code, details) = err(order_update(), phone);
    assert_eq!(code, 132012);
    assert!(details.contains("PHONE_NUMBER button takes no parameter"));
    let twice = json!([p[0], p[1], p[2], p[2]]);
    assert_eq!(
        err(order_update(), twice),
        (132012, "button 0 is sent twice".into())
    );
    let two_url_params = with(
        p.clone(),
        2,
        json!({"type": "button", "sub_type": "url", "index": 0, "parameters": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}),
    );
    assert_eq!(err(order_update(), two_url_params).0, 132000);
}

#[test]
fn text_values_with_newlines_tabs_or_runs_of_spaces_are_132018() {
    let p = order_params();
    for bad in ["a\nb", "a\tb", "a     b"] {
        let header = with(
            p.clone(),
            0,
            json!({"type": "header", "parameters": [{"type": "text", "text": bad}]}),
        );
        assert_eq!(err(order_update(), header).0, 132018, "{bad:?}");
    }
    let four = with(
        p,
        0,
        json!({"type": "header", "parameters": [{"type": "text", "text": "a    b"}]}),
    );
    assert!(try_fill(order_update(), four).is_ok());
}

#[test]
fn filled_text_over_the_limits_is_132005() {
    let p = order_params();
    let long_header = with(
        p.clone(),
        0,
        json!({"type": "header", "parameters": [{"type": "text", "text": "x".repeat(55)}]}),
    );
    let (code, details) = err(order_update(), long_header);
    assert_eq!(code, 132005);
    assert_eq!(
        details,
        "header: the filled text is 61 characters; at most 60"
    );
    let long_body = with(
        p.clone(),
        1,
        json!({"type": "body", "parameters": [
            {"type": "text", "text": "é".repeat(1000)}, p[1]["parameters"][1], p[1]["parameters"][2]]}),
    );
    assert_eq!(err(order_update(), long_body).0, 132005);
    // 1,024 characters exactly is fine (é counts once).
    let fixed = "Hi , your total is $12.50 due May 1.".chars().count();
    let fits = with(
        p,
        1,
        json!({"type": "body", "parameters": [
            {"type": "text", "text": "é".repeat(1024 - fixed)},
            {"type": "currency", "currency": {"fallback_value": "$12.50", "code": "USD", "amount_1000": 12500}},
            {"type": "date_time", "date_time": {"fallback_value": "May 1"}}]}),
    );
    assert_eq!(
        try_fill(order_update(), fits)
            .unwrap()
            .body
            .unwrap()
            .chars()
            .count(),
        1024
    );
}

fn named() -> Value {
    json!({"name": "welcome", "language": "en", "category": "MARKETING", "parameter_format": "NAMED",
    "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Hi {{first_name}}",
         "example": {"header_text_named_params": [{"param_name": "first_name", "example": "Ann"}]}},
        {"type": "BODY", "text": "Dear {{first_name}}, your code {{code}} is ready.",
         "example": {"body_text_named_params": [
            {"param_name": "first_name", "example": "Ann"}, {"param_name": "code", "example": "X1"}]}}
    ]})
}

#[test]
fn named_parameters_in_any_order() {
    let send = json!([
        {"type": "header", "parameters": [{"type": "text", "parameter_name": "first_name", "text": "Émile"}]},
        {"type": "body", "parameters": [
            {"type": "text", "parameter_name": "code", "text": "Z9"},
            {"type": "text", "parameter_name": "first_name", "text": "Émile"}]}
    ]);
    let r = try_fill(named(), send.clone()).unwrap();
    assert_eq!(r.header.as_deref(), Some("Hi Émile"));
    assert_eq!(
        r.body.as_deref(),
        Some("Dear Émile, your code Z9 is ready.")
    );

    let body = |params: Value| {
        with(
            send.clone(),
            1,
            json!({"type": "body", "parameters": params}),
        )
    };
    let positional = body(json!([{"type": "text", "text": "Z9"}, {"type": "text", "text": "E"}]));
    let (code, details) = err(named(), positional);
    assert_eq!(code, 132012);
    assert!(details.contains("named; add parameter_name"), "{details}");
    let unknown = body(json!([
        {"type": "text", "parameter_name": "code", "text": "Z9"},
        {"type": "text", "parameter_name": "last_name", "text": "E"}]));
    assert_eq!(
        err(named(), unknown),
        (
            132000,
            "body: the template has no parameter named last_name".into()
        )
    );
    let missing = body(json!([{"type": "text", "parameter_name": "code", "text": "Z9"}]));
    let (code, details) = err(named(), missing);
    assert_eq!(code, 132000);
    assert!(details.ends_with("missing first_name"), "{details}");
    let twice = body(json!([
        {"type": "text", "parameter_name": "code", "text": "Z9"},
        {"type": "text", "parameter_name": "code", "text": "Z8"}]));
    assert_eq!(err(named(), twice).0, 132000);

    // A positional template refuses parameter_name.
    let p = order_params();
    let mut named_for_positional = p;
    named_for_positional[0]["parameters"][0]["parameter_name"] = json!("order");
    let (code, details) = err(order_update(), named_for_positional);
    assert_eq!(code, 132012);
    assert!(details.contains("positional"), "{details}");
}

fn media_header(format: &str) -> Value {
    json!({"name": "promo", "language": "en", "category": "MARKETING",
    "components": [
        {"type": "HEADER", "format": format, "example": {"header_handle": ["4::aW"]}},
        {"type": "BODY", "text": "New arrivals are in. See them before they go!"}
    ]})
}

#[test]
fn media_headers_need_the_right_kind() {
    let image = json!([{"type": "header", "parameters": [{"type": "image", "image": {"link": "https://cdn.example/a.png"}}]}]);
    let r = try_fill(media_header("IMAGE"), image).unwrap();
    assert_eq!(r.header.as_deref(), Some("IMAGE"));
    assert!(r.media_ids.is_empty());
    let by_id =
        json!([{"type": "header", "parameters": [{"type": "image", "image": {"id": "778"}}]}]);
    assert_eq!(
        try_fill(media_header("IMAGE"), by_id).unwrap().media_ids,
        [(crate::media::MediaKind::Image, "778".to_owned())]
    );
    let (code, details) = err(media_header("IMAGE"), json!([]));
    assert_eq!(code, 132000);
    assert_eq!(
        details,
        "header: the template's IMAGE header takes one `image` parameter; 0 given"
    );
    let video = json!([{"type": "header", "parameters": [{"type": "video", "video": {"link": "https://cdn.example/a.mp4"}}]}]);
    let (code, details) = err(media_header("IMAGE"), video.clone());
    assert_eq!(code, 132012);
    assert!(details.contains("takes a `image` parameter, not `video`"));
    assert!(try_fill(media_header("VIDEO"), video.clone()).is_ok());
    assert!(try_fill(media_header("GIF"), video).is_ok());
    let document = json!([{"type": "header", "parameters": [{"type": "document", "document": {"link": "https://cdn.example/a.pdf", "filename": "a.pdf"}}]}]);
    assert!(try_fill(media_header("DOCUMENT"), document).is_ok());
    for bad in [
        json!({"type": "image", "image": {}}),
        json!({"type": "image", "image": {"link": "ftp://x/a.png"}}),
        json!({"type": "image"}),
    ] {
        let send = json!([{"type": "header", "parameters": [bad]}]);
        assert_eq!(err(media_header("IMAGE"), send).0, 132012);
    }
}

#[test]
fn location_and_product_headers() {
    let location = json!({"name": "pickup", "language": "en", "category": "UTILITY",
        "components": [{"type": "HEADER", "format": "LOCATION"}, {"type": "BODY", "text": "Your parcel waits here."}]});
    let ok = json!([{"type": "header", "parameters": [{"type": "location", "location":
        {"latitude": "37.48", "longitude": -122.14, "name": "Depot", "address": "1 Main St"}}]}]);
    assert_eq!(
        try_fill(location.clone(), ok).unwrap().header.as_deref(),
        Some("LOCATION")
    );
    let no_name = json!([{"type": "header", "parameters": [{"type": "location", "location":
        {"latitude": 1, "longitude": 2, "address": "1 Main St"}}]}]);
    assert_eq!(
        err(location.clone(), no_name),
        (132012, "header: location.name must be a string".into())
    );
    let bad_lat = json!([{"type": "header", "parameters": [{"type": "location", "location":
        {"latitude": "north", "longitude": 2, "name": "D", "address": "A"}}]}]);
    assert_eq!(err(location, bad_lat).0, 132012);
}

fn authentication() -> Value {
    json!({"name": "otp", "language": "en", "category": "AUTHENTICATION",
    "components": [
        {"type": "BODY", "add_security_recommendation": true},
        {"type": "FOOTER", "code_expiration_minutes": 10},
        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}]}
    ]})
}

#[test]
fn authentication_templates_take_the_code_twice() {
    let send = json!([
        {"type": "body", "parameters": [{"type": "text", "text": "482913"}]},
        {"type": "button", "sub_type": "url", "index": 0, "parameters": [{"type": "text", "text": "482913"}]}
    ]);
    let r = try_fill(authentication(), send.clone()).unwrap();
    assert_eq!(
        r.body.as_deref(),
        Some("482913 is your verification code. For your security, do not share this code.")
    );
    assert_eq!(
        r.footer.as_deref(),
        Some("This code expires in 10 minutes.")
    );
    assert_eq!(r.buttons, ["Copy code"]);
    // Without the button's copy of the code.
    let (code, details) = err(authentication(), json!([send[0]]));
    assert_eq!(code, 132000);
    assert!(
        details.contains("OTP button needs a parameter"),
        "{details}"
    );
    let long = json!([
        {"type": "body", "parameters": [{"type": "text", "text": "1234567890123456"}]},
        send[1]
    ]);
    assert_eq!(err(authentication(), long).0, 132012);
}

#[test]
fn copy_code_flow_and_mpm_buttons() {
    let t = json!({"name": "coupon", "language": "en", "category": "MARKETING",
    "components": [
        {"type": "BODY", "text": "Your coupon is ready, enjoy it this week."},
        {"type": "BUTTONS", "buttons": [
            {"type": "COPY_CODE", "example": "SAVE10"},
            {"type": "FLOW", "text": "Book", "flow_id": "123"},
            {"type": "MPM", "text": "View items"}
        ]}
    ]});
    let mpm = json!({"type": "button", "sub_type": "mpm", "index": 2, "parameters": [{"type": "action", "action": {
        "thumbnail_product_retailer_id": "sku1",
        "sections": [{"title": "Top", "product_items": [{"product_retailer_id": "sku1"}]}]}}]});
    let code = json!({"type": "button", "sub_type": "copy_code", "index": 0,
        "parameters": [{"type": "coupon_code", "coupon_code": "SAVE10"}]});
    let r = try_fill(t.clone(), json!([code, mpm])).unwrap();
    assert_eq!(r.buttons, ["Copy offer code: SAVE10", "Book", "View items"]);
    let flow = json!({"type": "button", "sub_type": "flow", "index": 1,
        "parameters": [{"type": "action", "action": {"flow_token": "t"}}]});
    assert!(try_fill(t.clone(), json!([code, flow, mpm])).is_ok());
    assert_eq!(err(t.clone(), json!([mpm])).0, 132000);
    let long = json!({"type": "button", "sub_type": "copy_code", "index": 0,
        "parameters": [{"type": "coupon_code", "coupon_code": "A".repeat(16)}]});
    assert_eq!(err(t.clone(), json!([long, mpm])).0, 132012);
    let empty_mpm = json!({"type": "button", "sub_type": "mpm", "index": 2,
        "parameters": [{"type": "action", "action": {"sections": []}}]});
    assert_eq!(err(t, json!([code, empty_mpm])).0, 132012);
}

fn carousel() -> Value {
    let card = |n: u32| {
        json!({"components": [
            {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW"]}},
            {"type": "BODY", "text": format!("Card {n} costs {{{{1}}}} today."), "example": {"body_text": [["$5"]]}},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Buy"}]}
        ]})
    };
    json!({"name": "deals", "language": "en", "category": "MARKETING",
    "components": [
        {"type": "BODY", "text": "Our picks for you this week."},
        {"type": "CAROUSEL", "cards": [card(1), card(2)]}
    ]})
}

fn sent_card(index: u32, price: &str) -> Value {
    json!({"card_index": index, "components": [
        {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://cdn.example/c.png"}}]},
        {"type": "body", "parameters": [{"type": "text", "text": price}]}
    ]})
}

#[test]
fn carousel_cards_are_filled_one_by_one() {
    let send = json!([{"type": "carousel", "cards": [sent_card(1, "$2"), sent_card(0, "$1")]}]);
    let r = try_fill(carousel(), send).unwrap();
    assert_eq!(r.body.as_deref(), Some("Our picks for you this week."));
    assert_eq!(r.cards.len(), 2);
    assert_eq!(r.cards[0].body.as_deref(), Some("Card 1 costs $1 today."));
    assert_eq!(r.cards[1].body.as_deref(), Some("Card 2 costs $2 today."));
    assert_eq!(r.cards[0].buttons, ["Buy"]);

    let (code, details) = err(carousel(), json!([]));
    assert_eq!(code, 132000);
    assert!(details.contains("carousel of 2 cards"));
    let one = json!([{"type": "carousel", "cards": [sent_card(0, "$1")]}]);
    assert_eq!(err(carousel(), one).0, 132000);
    let twice = json!([{"type": "carousel", "cards": [sent_card(0, "$1"), sent_card(0, "$1")]}]);
    assert_eq!(
        err(carousel(), twice),
        (132012, "carousel: card_index 0 is sent twice".into())
    );
    let mut no_price = sent_card(1, "$2");
    no_price["components"].as_array_mut().unwrap().pop();
    let send = json!([{"type": "carousel", "cards": [sent_card(0, "$1"), no_price]}]);
    let (code, details) = err(carousel(), send);
    assert_eq!(code, 132000);
    assert!(
        details.starts_with("card 1 body: number of parameters (0)"),
        "{details}"
    );
    let long = json!([{"type": "carousel", "cards": [sent_card(0, &"x".repeat(150)), sent_card(1, "$2")]}]);
    assert_eq!(err(carousel(), long).0, 132005);
}

#[test]
fn limited_time_offers_need_their_expiration() {
    let t = json!({"name": "flash", "language": "en", "category": "MARKETING",
    "components": [
        {"type": "LIMITED_TIME_OFFER", "limited_time_offer": {"text": "Ends soon!", "has_expiration": true}},
        {"type": "BODY", "text": "Everything is half price until midnight, come in."},
        {"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "example": "HALF"}]}
    ]});
    let code = json!({"type": "button", "sub_type": "copy_code", "index": 0,
        "parameters": [{"type": "coupon_code", "coupon_code": "HALF"}]});
    let offer = json!({"type": "limited_time_offer", "parameters": [
        {"type": "limited_time_offer", "limited_time_offer": {"expiration_time_ms": 1_767_225_600_000_i64}}]});
    assert!(try_fill(t.clone(), json!([offer, code])).is_ok());
    assert_eq!(err(t.clone(), json!([code])).0, 132000);
    let bad = json!({"type": "limited_time_offer", "parameters": [
        {"type": "limited_time_offer", "limited_time_offer": {}}]});
    assert_eq!(err(t, json!([bad, code])).0, 132012);
}
