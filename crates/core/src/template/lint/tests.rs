//! Every rule of the lint: valid templates of each category pass, and each violation gives
//! its subcode and the field's path.

use serde_json::{Value, json};

use crate::template::TemplateErrorKind::{self, *};
use crate::template::{TemplateDraft, TemplateError, lint};

fn check(body: &Value) -> Result<(), TemplateError> {
    lint(&TemplateDraft::parse(body)?)
}

#[track_caller]
fn passes(body: Value) {
    if let Err(e) = check(&body) {
        panic!("rejected: {e:?}\n{body:#}");
    }
}

/// Asserts the first violation is `kind` at `field`, and returns its message.
#[track_caller]
fn fails(body: Value, kind: TemplateErrorKind, field: &str) -> String {
    let e = check(&body).expect_err("accepted");
    assert_eq!((e.kind, e.field.as_str()), (kind, field), "{}", e.message);
    assert_eq!(e.subcode(), kind.subcode());
    assert_eq!(e.graph().code, 100);
    assert!(!e.message.is_empty());
    e.message
}

fn template(category: &str, components: Value) -> Value {
    json!({"name": "t", "language": "en_US", "category": category, "components": components})
}

fn marketing(components: Value) -> Value {
    template("MARKETING", components)
}

fn utility(components: Value) -> Value {
    template("UTILITY", components)
}

fn authentication(components: Value) -> Value {
    template("AUTHENTICATION", components)
}

/// A body that passes every rule.
fn body() -> Value {
    json!({"type": "BODY", "text": "Hello {{1}}, your order {{2}} has shipped and arrives soon.",
           "example": {"body_text": [["Ana", "#42"]]}})
}

fn body_text(text: &str, examples: Value) -> Value {
    json!({"type": "BODY", "text": text, "example": {"body_text": [examples]}})
}

fn with_buttons(buttons: Value) -> Value {
    marketing(json!([body(), {"type": "BUTTONS", "buttons": buttons}]))
}

fn qr(text: &str) -> Value {
    json!({"type": "QUICK_REPLY", "text": text})
}

fn url() -> Value {
    json!({"type": "URL", "text": "Track", "url": "https://shop.example/track/{{1}}", "example": ["https://shop.example/track/42"]})
}

fn phone() -> Value {
    json!({"type": "PHONE_NUMBER", "text": "Call us", "phone_number": "+15550051310"})
}

fn otp(otp_type: &str) -> Value {
    json!({"type": "OTP", "otp_type": otp_type, "text": "Copy code"})
}

fn auth_footer() -> Value {
    json!({"type": "FOOTER", "code_expiration_minutes": 10})
}

fn auth_body() -> Value {
    json!({"type": "BODY", "add_security_recommendation": true})
}

fn card(header: &str, buttons: Value) -> Value {
    json!({"components": [
        {"type": "HEADER", "format": header, "example": {"header_handle": ["4::aGFuZGxl"]}},
        {"type": "BODY", "text": "A hand-thrown mug in deep blue glaze."},
        {"type": "BUTTONS", "buttons": buttons}
    ]})
}

fn carousel(cards: Value) -> Value {
    marketing(json!([
        body(),
        {"type": "CAROUSEL", "cards": cards}
    ]))
}

// --- Valid templates of every kind ---

#[test]
fn a_full_marketing_template_passes() {
    passes(marketing(json!([
        {"type": "HEADER", "format": "TEXT", "text": "Our {{1}} starts now", "example": {"header_text": ["spring sale"]}},
        {"type": "BODY", "text": "Shop before {{1}} and use code {{2}} for {{3}} off every pot and planter.",
         "example": {"body_text": [["Sunday", "POTS25", "25%"]]}},
        {"type": "FOOTER", "text": "Tap Stop to unsubscribe from offers"},
        {"type": "BUTTONS", "buttons": [qr("Stop offers"), qr("Stop all"), url(), phone()]}
    ])));
}

#[test]
fn a_utility_template_with_media_and_location_headers_passes() {
    passes(utility(json!([
        {"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": ["4::cmVjZWlwdA"]}},
        {"type": "BODY", "text": "Thanks for your order, {{1}}! The receipt for order {{2}} is attached above.",
         "example": {"body_text": [["Ana", "860198"]]}},
        {"type": "BUTTONS", "buttons": [phone(), {"type": "URL", "text": "Help", "url": "https://shop.example/help"}]}
    ])));
    passes(utility(json!([
        {"type": "HEADER", "format": "LOCATION"},
        {"type": "BODY", "text": "Good news {{1}}! Order #{{2}} is on its way to the address above.",
         "example": {"body_text": [["Ana", "566701"]]}},
        {"type": "FOOTER", "text": "Reply STOP for no more updates"},
        {"type": "BUTTONS", "buttons": [qr("Stop updates")]}
    ])));
}

#[test]
fn every_authentication_shape_passes() {
    passes(authentication(
        json!([auth_body(), auth_footer(), {"type": "BUTTONS", "buttons": [otp("COPY_CODE")]}]),
    ));
    passes(authentication(json!([
        auth_body(), auth_footer(),
        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "ONE_TAP", "text": "Copy", "autofill_text": "Autofill",
            "supported_apps": [{"package_name": "com.example.app", "signature_hash": "K8a/AINcGX7"}]}]}
    ])));
    passes(authentication(json!([
        {"type": "BODY"},
        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "ZERO_TAP", "zero_tap_terms_accepted": true,
            "package_name": "com.example.app", "signature_hash": "K8a/AINcGX7"}]}
    ])));
    let mut with_ttl =
        authentication(json!([auth_body(), {"type": "BUTTONS", "buttons": [otp("COPY_CODE")]}]));
    with_ttl["message_send_ttl_seconds"] = json!(600);
    passes(with_ttl);
}

#[test]
fn meta_preset_authentication_text_is_accepted_back() {
    for text in [
        "*{{1}}* is your verification code.",
        "{{1}} is your verification code. For your security, do not share this code.",
    ] {
        passes(authentication(json!([
            {"type": "BODY", "text": text, "add_security_recommendation": true},
            {"type": "BUTTONS", "buttons": [otp("COPY_CODE")]}
        ])));
    }
}

#[test]
fn named_parameters_pass() {
    let mut t = marketing(json!([
        {"type": "HEADER", "format": "TEXT", "text": "Hello {{first_name}}",
         "example": {"header_text_named_params": [{"param_name": "first_name", "example": "Ana"}]}},
        {"type": "BODY", "text": "Your order {{order_id}} ships {{day}}, thank you for shopping with us.",
         "example": {"body_text_named_params": [
            {"param_name": "day", "example": "Friday"}, {"param_name": "order_id", "example": "42"}]}}
    ]));
    t["parameter_format"] = json!("named");
    passes(t);
}

#[test]
fn other_button_types_pass() {
    passes(with_buttons(json!([
        {"type": "COPY_CODE", "example": "POTS25"},
        {"type": "FLOW", "text": "Book a visit", "flow_id": "1234", "flow_action": "navigate", "navigate_screen": "WELCOME"},
        {"type": "VOICE_CALL", "text": "Call on WhatsApp"},
        {"type": "MPM", "text": "View items"}
    ])));
    passes(marketing(json!([
        {"type": "HEADER", "format": "PRODUCT"}, body(),
        {"type": "BUTTONS", "buttons": [{"type": "SPM", "text": "View"}]}
    ])));
    passes(with_buttons(
        json!([{"type": "CATALOG", "text": "View catalog"}]),
    ));
}

#[test]
fn quick_replies_may_come_first_or_last() {
    passes(with_buttons(json!([qr("a"), qr("b"), url(), phone()])));
    passes(with_buttons(json!([url(), phone(), qr("a"), qr("b")])));
    let ten: Vec<Value> = (0..10).map(|i| qr(&format!("reply {i}"))).collect();
    passes(with_buttons(Value::Array(ten)));
}

#[test]
fn carousels_pass() {
    let buttons = json!([qr("More like this"), url()]);
    passes(carousel(json!([
        card("IMAGE", buttons.clone()),
        card("IMAGE", buttons)
    ])));
    let product = json!({"components": [{"type": "HEADER", "format": "PRODUCT"}, {"type": "BUTTONS", "buttons": [{"type": "SPM", "text": "View"}]}]});
    passes(carousel(json!([product.clone(), product])));
}

#[test]
fn a_limited_time_offer_passes() {
    passes(marketing(json!([
        {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1n"]}},
        {"type": "LIMITED_TIME_OFFER", "limited_time_offer": {"text": "Ends soon!", "has_expiration": true}},
        body(),
        {"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "example": "SUN25"}, url()]}
    ])));
}

// --- Name and language (parsed as newtypes; plain code 100) ---

#[test]
fn name_and_language() {
    let mut t = marketing(json!([body()]));
    t["name"] = json!("Summer-Sale");
    fails(t, InvalidParameter, "name");
    let mut t = marketing(json!([body()]));
    t["name"] = json!("s".repeat(513));
    fails(t, InvalidParameter, "name");
    let mut t = marketing(json!([body()]));
    t["language"] = json!("en-US");
    fails(t, InvalidParameter, "language");
}

// --- Structure ---

#[test]
fn exactly_one_body() {
    let msg = fails(
        marketing(json!([{"type": "FOOTER", "text": "x"}])),
        BodyFormat,
        "components",
    );
    assert!(msg.contains("exactly one BODY"));
    fails(
        marketing(json!([body(), body()])),
        BodyFormat,
        "components[1]",
    );
}

#[test]
fn one_component_of_each_kind() {
    let header = json!({"type": "HEADER", "format": "TEXT", "text": "Hi"});
    fails(
        marketing(json!([header, body(), header])),
        HeaderFormat,
        "components[2]",
    );
    let footer = json!({"type": "FOOTER", "text": "Bye"});
    fails(
        marketing(json!([body(), footer, footer])),
        FooterFormat,
        "components[2]",
    );
    let buttons = json!({"type": "BUTTONS", "buttons": [qr("a")]});
    fails(
        marketing(json!([body(), buttons, buttons])),
        ButtonFormat,
        "components[2]",
    );
}

#[test]
fn structure_is_checked_before_content() {
    let long = "x".repeat(2000);
    let t = marketing(json!([{"type": "BODY", "text": long}, body()]));
    fails(t, BodyFormat, "components[1]");
}

#[test]
fn violations_come_in_component_order() {
    let t = marketing(json!([
        {"type": "BODY", "text": "y".repeat(1025)},
        {"type": "FOOTER", "text": "Code {{1}}"}
    ]));
    fails(t, CharacterLimit, "components[0].text");
    let t = marketing(json!([
        {"type": "FOOTER", "text": "Code {{1}}"},
        {"type": "BODY", "text": "y".repeat(1025)}
    ]));
    fails(t, FooterFormat, "components[0].text");
}

// --- Header ---

#[test]
fn header_text_is_at_most_60_characters() {
    let ok = json!({"type": "HEADER", "format": "TEXT", "text": "h".repeat(60)});
    passes(marketing(json!([ok, body()])));
    let long = json!({"type": "HEADER", "format": "TEXT", "text": "h".repeat(61)});
    let msg = fails(
        marketing(json!([long, body()])),
        CharacterLimit,
        "components[0].text",
    );
    assert!(msg.contains("at most 60 characters (got 61)"), "{msg}");
}

#[test]
fn header_takes_one_variable_numbered_1_with_an_example() {
    let two = json!({"type": "HEADER", "format": "TEXT", "text": "Hi {{1}} {{2}}", "example": {"header_text": ["a", "b"]}});
    fails(
        marketing(json!([two, body()])),
        HeaderFormat,
        "components[0].text",
    );
    let second = json!({"type": "HEADER", "format": "TEXT", "text": "Hi {{2}}", "example": {"header_text": ["a"]}});
    fails(
        marketing(json!([second, body()])),
        HeaderFormat,
        "components[0].text",
    );
    let bare = json!({"type": "HEADER", "format": "TEXT", "text": "Hi {{1}}"});
    fails(
        marketing(json!([bare, body()])),
        HeaderFormat,
        "components[0].example",
    );
    let extra = json!({"type": "HEADER", "format": "TEXT", "text": "Hi {{1}}", "example": {"header_text": ["a", "b"]}});
    fails(
        marketing(json!([extra, body()])),
        HeaderFormat,
        "components[0].example.header_text",
    );
    let none = json!({"type": "HEADER", "format": "TEXT", "text": "Summer sale", "example": {"header_text": ["Summer sale"]}});
    passes(marketing(json!([none, body()])));
}

#[test]
fn media_headers_need_a_sample_handle() {
    for format in ["IMAGE", "VIDEO", "GIF", "DOCUMENT"] {
        let h = json!({"type": "HEADER", "format": format});
        let msg = fails(
            marketing(json!([h, body()])),
            HeaderFormat,
            "components[0].example.header_handle",
        );
        assert!(msg.contains(format), "{msg}");
        let blank =
            json!({"type": "HEADER", "format": format, "example": {"header_handle": [" "]}});
        fails(
            marketing(json!([blank, body()])),
            HeaderFormat,
            "components[0].example.header_handle",
        );
    }
}

// --- Body ---

#[test]
fn body_is_at_most_1024_characters() {
    passes(marketing(
        json!([{"type": "BODY", "text": "é".repeat(1024)}]),
    ));
    fails(
        marketing(json!([{"type": "BODY", "text": "é".repeat(1025)}])),
        CharacterLimit,
        "components[0].text",
    );
}

#[test]
fn body_needs_text_outside_authentication() {
    fails(
        marketing(json!([{"type": "BODY"}])),
        BodyFormat,
        "components[0].text",
    );
    fails(
        utility(json!([{"type": "BODY", "text": "  "}])),
        BodyFormat,
        "components[0].text",
    );
}

#[test]
fn malformed_variables() {
    for bad in [
        "Hi {{ 1 }} there, welcome back",
        "Hi {{First}} there, welcome back",
        "Hi {{}} there, welcome back",
    ] {
        let msg = fails(
            marketing(json!([body_text(bad, json!(["a"]))])),
            BodyFormat,
            "components[0].text",
        );
        assert!(msg.contains("is not a variable"), "{msg}");
    }
}

#[test]
fn variables_follow_the_parameter_format() {
    let named_in_positional = body_text(
        "Hello {{name}}, your order has shipped today.",
        json!(["a"]),
    );
    let msg = fails(
        marketing(json!([named_in_positional])),
        BodyFormat,
        "components[0].text",
    );
    assert!(msg.contains("parameter_format is POSITIONAL"), "{msg}");
    let mut t = marketing(json!([body()]));
    t["parameter_format"] = json!("NAMED");
    let msg = fails(t, BodyFormat, "components[0].text");
    assert!(msg.contains("parameter_format is NAMED"), "{msg}");
}

#[test]
fn positional_variables_are_sequential_from_1() {
    let gap = body_text(
        "Hello {{1}}, your order {{3}} has shipped and arrives soon.",
        json!(["a", "b"]),
    );
    let msg = fails(marketing(json!([gap])), BodyFormat, "components[0].text");
    assert!(msg.contains("expected {{2}} but found {{3}}"), "{msg}");
    let zero = body_text(
        "Hello {{0}}, your order has shipped and arrives soon.",
        json!(["a"]),
    );
    fails(marketing(json!([zero])), BodyFormat, "components[0].text");
    let out_of_order = body_text(
        "Hello {{2}}, your order {{1}} has shipped and arrives soon.",
        json!(["a", "b"]),
    );
    passes(marketing(json!([out_of_order])));
    let repeated = body_text(
        "Hello {{1}}, your order for {{1}} has shipped and arrives soon today.",
        json!(["a"]),
    );
    passes(marketing(json!([repeated])));
}

#[test]
fn every_variable_has_an_example() {
    let missing = json!({"type": "BODY", "text": "Hello {{1}}, your order has shipped today."});
    fails(
        marketing(json!([missing])),
        BodyFormat,
        "components[0].example",
    );
    let short = body_text(
        "Hello {{1}}, your order {{2}} has shipped and arrives soon.",
        json!(["a"]),
    );
    let msg = fails(
        marketing(json!([short])),
        BodyFormat,
        "components[0].example.body_text",
    );
    assert!(msg.contains("1 sample values for 2 variables"), "{msg}");
    let blank = body_text(
        "Hello {{1}}, your order {{2}} has shipped and arrives soon.",
        json!(["a", ""]),
    );
    fails(
        marketing(json!([blank])),
        BodyFormat,
        "components[0].example.body_text[1]",
    );
}

#[test]
fn named_examples_match_the_variables() {
    let named = |text: &str, pairs: Value| {
        let mut t = marketing(
            json!([{"type": "BODY", "text": text, "example": {"body_text_named_params": pairs}}]),
        );
        t["parameter_format"] = json!("NAMED");
        t
    };
    let text = "Hello {{first_name}}, your order {{order_id}} has shipped today.";
    let field = "components[0].example.body_text_named_params";
    let msg = fails(
        named(
            text,
            json!([{"param_name": "first_name", "example": "Ana"}]),
        ),
        BodyFormat,
        field,
    );
    assert!(msg.contains("no sample for {{order_id}}"), "{msg}");
    let extra = json!([{"param_name": "first_name", "example": "Ana"}, {"param_name": "order_id", "example": "1"}, {"param_name": "city", "example": "Rome"}]);
    fails(
        named(text, extra),
        BodyFormat,
        &format!("{field}[2].param_name"),
    );
    let twice = json!([{"param_name": "first_name", "example": "Ana"}, {"param_name": "first_name", "example": "Bo"}]);
    fails(
        named(text, twice),
        BodyFormat,
        &format!("{field}[1].param_name"),
    );
    let blank = json!([{"param_name": "first_name", "example": "Ana"}, {"param_name": "order_id", "example": " "}]);
    fails(
        named(text, blank),
        BodyFormat,
        &format!("{field}[1].example"),
    );
    let absent = json!([{"param_name": "first_name"}, {"param_name": "order_id", "example": "1"}]);
    fails(
        named(text, absent),
        BodyFormat,
        &format!("{field}[0].example"),
    );
    let mut positional_example = marketing(json!([body_text(text, json!(["Ana", "1"]))]));
    positional_example["parameter_format"] = json!("NAMED");
    fails(positional_example, BodyFormat, "components[0].example");
}

#[test]
fn a_variable_may_not_start_or_end_the_body() {
    let start = body_text(
        "{{1}} has placed a new order with the shop today.",
        json!(["Ana"]),
    );
    let msg = fails(
        marketing(json!([start])),
        DanglingVariable,
        "components[0].text",
    );
    assert!(msg.contains("starts with {{1}}"), "{msg}");
    let end = body_text(
        "Thanks for shopping with us today, your code is {{1}}.",
        json!(["X1"]),
    );
    let msg = fails(
        marketing(json!([end])),
        DanglingVariable,
        "components[0].text",
    );
    assert!(msg.contains("ends with {{1}}"), "{msg}");
    let quoted = body_text(
        "  \"{{1}}\" has placed a new order with the shop today.",
        json!(["Ana"]),
    );
    fails(
        marketing(json!([quoted])),
        DanglingVariable,
        "components[0].text",
    );
}

#[test]
fn variables_may_not_be_too_dense() {
    // 2 variables need 5 other words.
    let four = body_text("Hi {{1}}, order {{2}} shipped today.", json!(["a", "b"]));
    let msg = fails(
        marketing(json!([four])),
        TooManyVariables,
        "components[0].text",
    );
    assert!(
        msg.contains("at least 5 other words around them (found 4)"),
        "{msg}"
    );
    let five = body_text(
        "Hi {{1}}, order {{2}} shipped today, thanks.",
        json!(["a", "b"]),
    );
    passes(marketing(json!([five])));
}

#[test]
fn security_recommendation_is_for_authentication_only() {
    let mut b = body();
    b["add_security_recommendation"] = json!(true);
    fails(
        marketing(json!([b.clone()])),
        BodyFormat,
        "components[0].add_security_recommendation",
    );
    b["add_security_recommendation"] = json!(false);
    passes(marketing(json!([b])));
}

// --- Footer ---

#[test]
fn footer_rules() {
    let footer = |f: Value| marketing(json!([body(), f]));
    passes(footer(json!({"type": "FOOTER", "text": "f".repeat(60)})));
    fails(
        footer(json!({"type": "FOOTER", "text": "f".repeat(61)})),
        CharacterLimit,
        "components[1].text",
    );
    let msg = fails(
        footer(json!({"type": "FOOTER", "text": "Order {{1}}"})),
        FooterFormat,
        "components[1].text",
    );
    assert!(msg.contains("can't hold variables"), "{msg}");
    fails(
        footer(json!({"type": "FOOTER", "text": "Order {{order}}"})),
        FooterFormat,
        "components[1].text",
    );
    fails(
        footer(json!({"type": "FOOTER"})),
        FooterFormat,
        "components[1].text",
    );
    fails(
        footer(json!({"type": "FOOTER", "text": "x", "code_expiration_minutes": 5})),
        FooterFormat,
        "components[1].code_expiration_minutes",
    );
}

// --- Buttons ---

#[test]
fn at_most_ten_buttons() {
    let eleven: Vec<Value> = (0..11).map(|i| qr(&format!("reply {i}"))).collect();
    let msg = fails(
        with_buttons(Value::Array(eleven)),
        ButtonFormat,
        "components[1].buttons",
    );
    assert!(msg.contains("at most 10 buttons (got 11)"), "{msg}");
}

#[test]
fn per_type_maximums() {
    fails(
        with_buttons(json!([url(), url(), url()])),
        ButtonFormat,
        "components[1].buttons[2]",
    );
    fails(
        with_buttons(json!([phone(), phone()])),
        ButtonFormat,
        "components[1].buttons[1]",
    );
    let code = json!({"type": "COPY_CODE", "example": "A1"});
    fails(
        with_buttons(json!([code, code])),
        ButtonFormat,
        "components[1].buttons[1]",
    );
    let flow = json!({"type": "FLOW", "text": "Go", "flow_id": "1"});
    fails(
        with_buttons(json!([flow, flow])),
        ButtonFormat,
        "components[1].buttons[1]",
    );
}

#[test]
fn quick_replies_are_grouped() {
    let msg = fails(
        with_buttons(json!([qr("a"), url(), qr("b")])),
        ButtonFormat,
        "components[1].buttons[2]",
    );
    assert!(msg.contains("next to each other"), "{msg}");
    fails(
        with_buttons(json!([url(), qr("a"), phone(), qr("b")])),
        ButtonFormat,
        "components[1].buttons[3]",
    );
}

#[test]
fn labels_are_at_most_25_characters() {
    passes(with_buttons(json!([qr(&"q".repeat(25))])));
    fails(
        with_buttons(json!([qr(&"q".repeat(26))])),
        CharacterLimit,
        "components[1].buttons[0].text",
    );
    let mut u = url();
    u["text"] = json!("u".repeat(26));
    fails(
        with_buttons(json!([u])),
        CharacterLimit,
        "components[1].buttons[0].text",
    );
}

#[test]
fn url_buttons() {
    let at = |u: Value| with_buttons(json!([u]));
    let url_with = |url: &str| json!({"type": "URL", "text": "Go", "url": url, "example": ["https://x.example/1"]});
    fails(
        at(url_with("ftp://x.example/{{1}}")),
        ButtonFormat,
        "components[1].buttons[0].url",
    );
    let long = format!("https://x.example/{}", "p".repeat(2000));
    fails(
        at(url_with(&long)),
        CharacterLimit,
        "components[1].buttons[0].url",
    );
    for bad in [
        "https://x.example/{{1}}/more",
        "https://x.example/{{1}}/{{2}}",
        "https://x.example/{{2}}",
        "https://{{1}}",
        "https://x.example{{1}}",
        "https://x.example/{{id}}",
    ] {
        let msg = fails(
            at(url_with(bad)),
            ButtonFormat,
            "components[1].buttons[0].url",
        );
        assert!(msg.contains("at its very end"), "{bad}: {msg}");
    }
    passes(at(url_with("https://x.example/offers?code={{1}}")));
    passes(at(
        json!({"type": "URL", "text": "Go", "url": "https://x.example/static"}),
    ));
    let no_example = json!({"type": "URL", "text": "Go", "url": "https://x.example/{{1}}"});
    fails(
        at(no_example),
        ButtonFormat,
        "components[1].buttons[0].example",
    );
}

#[test]
fn phone_buttons() {
    let with = |n: &str| {
        with_buttons(json!([{"type": "PHONE_NUMBER", "text": "Call", "phone_number": n}]))
    };
    passes(with("15550051310"));
    fails(
        with(&"1".repeat(21)),
        CharacterLimit,
        "components[1].buttons[0].phone_number",
    );
    for bad in ["call me", "+", "555+1", "12a45"] {
        fails(
            with(bad),
            ButtonFormat,
            "components[1].buttons[0].phone_number",
        );
    }
}

#[test]
fn copy_code_buttons() {
    let with = |b: Value| with_buttons(json!([b]));
    fails(
        with(json!({"type": "COPY_CODE"})),
        ButtonFormat,
        "components[1].buttons[0].example",
    );
    passes(with(
        json!({"type": "COPY_CODE", "example": "c".repeat(15)}),
    ));
    fails(
        with(json!({"type": "COPY_CODE", "example": "c".repeat(16)})),
        CharacterLimit,
        "components[1].buttons[0].example",
    );
}

#[test]
fn flow_buttons_name_one_flow() {
    let with = |b: Value| with_buttons(json!([b]));
    fails(
        with(json!({"type": "FLOW", "text": "Go"})),
        ButtonFormat,
        "components[1].buttons[0]",
    );
    fails(
        with(json!({"type": "FLOW", "text": "Go", "flow_id": "1", "flow_name": "signup"})),
        ButtonFormat,
        "components[1].buttons[0]",
    );
    passes(with(
        json!({"type": "FLOW", "text": "Go", "flow_name": "signup"}),
    ));
}

#[test]
fn otp_buttons_are_for_authentication_only() {
    let msg = fails(
        with_buttons(json!([otp("COPY_CODE")])),
        ButtonFormat,
        "components[1].buttons[0].type",
    );
    assert!(msg.contains("AUTHENTICATION"), "{msg}");
}

// --- Authentication ---

#[test]
fn authentication_rules() {
    let buttons = || json!({"type": "BUTTONS", "buttons": [otp("COPY_CODE")]});
    let header = json!({"type": "HEADER", "format": "TEXT", "text": "Code"});
    fails(
        authentication(json!([header, auth_body(), buttons()])),
        HeaderFormat,
        "components[0]",
    );
    let custom =
        json!({"type": "BODY", "text": "Your code for the shop is {{1}} and it expires soon."});
    let msg = fails(
        authentication(json!([custom, buttons()])),
        BodyFormat,
        "components[0].text",
    );
    assert!(msg.contains("preset text"), "{msg}");
    let text_footer = json!({"type": "FOOTER", "text": "Expires soon"});
    fails(
        authentication(json!([auth_body(), text_footer, buttons()])),
        FooterFormat,
        "components[1].text",
    );
    for minutes in [0, 91] {
        let f = json!({"type": "FOOTER", "code_expiration_minutes": minutes});
        fails(
            authentication(json!([auth_body(), f, buttons()])),
            FooterFormat,
            "components[1].code_expiration_minutes",
        );
    }
    let msg = fails(
        authentication(json!([auth_body(), auth_footer()])),
        ButtonFormat,
        "components",
    );
    assert!(msg.contains("OTP"), "{msg}");
    let qr_only = json!({"type": "BUTTONS", "buttons": [qr("Resend")]});
    fails(
        authentication(json!([auth_body(), qr_only])),
        ButtonFormat,
        "components[1].buttons[0].type",
    );
    let two = json!({"type": "BUTTONS", "buttons": [otp("COPY_CODE"), otp("COPY_CODE")]});
    fails(
        authentication(json!([auth_body(), two])),
        ButtonFormat,
        "components[1].buttons[1].type",
    );
    let offer = json!({"type": "LIMITED_TIME_OFFER", "limited_time_offer": {"text": "x"}});
    fails(
        authentication(json!([auth_body(), offer, buttons()])),
        ComponentFormat,
        "components[1]",
    );
}

#[test]
fn one_tap_and_zero_tap_need_apps_and_terms() {
    let b = |button: Value| {
        authentication(json!([auth_body(), {"type": "BUTTONS", "buttons": [button]}]))
    };
    fails(
        b(otp("ONE_TAP")),
        ButtonFormat,
        "components[1].buttons[0].supported_apps",
    );
    let apps = json!([{"package_name": "com.example.app", "signature_hash": "K8a/AINcGX7"}]);
    let mut zero = otp("ZERO_TAP");
    zero["supported_apps"] = apps;
    fails(
        b(zero.clone()),
        ButtonFormat,
        "components[1].buttons[0].zero_tap_terms_accepted",
    );
    zero["zero_tap_terms_accepted"] = json!(false);
    fails(
        b(zero.clone()),
        ButtonFormat,
        "components[1].buttons[0].zero_tap_terms_accepted",
    );
    zero["zero_tap_terms_accepted"] = json!(true);
    passes(b(zero.clone()));
    zero["autofill_text"] = json!("a".repeat(26));
    fails(
        b(zero),
        CharacterLimit,
        "components[1].buttons[0].autofill_text",
    );
}

// --- Carousel ---

#[test]
fn carousel_has_2_to_10_cards() {
    let buttons = json!([qr("More")]);
    let one = json!([card("IMAGE", buttons.clone())]);
    let msg = fails(carousel(one), ComponentFormat, "components[1].cards");
    assert!(msg.contains("2 to 10 cards (got 1)"), "{msg}");
    let eleven: Vec<Value> = (0..11).map(|_| card("IMAGE", buttons.clone())).collect();
    fails(
        carousel(Value::Array(eleven)),
        ComponentFormat,
        "components[1].cards",
    );
    let ten: Vec<Value> = (0..10).map(|_| card("VIDEO", buttons.clone())).collect();
    passes(carousel(Value::Array(ten)));
}

#[test]
fn carousel_cards_have_a_media_header_and_buttons() {
    let b = json!([qr("More")]);
    let no_header = json!({"components": [{"type": "BUTTONS", "buttons": b}]});
    fails(
        carousel(json!([no_header, card("IMAGE", b.clone())])),
        HeaderFormat,
        "components[1].cards[0].components",
    );
    let text_header = json!({"components": [{"type": "HEADER", "format": "TEXT", "text": "Hi"}, {"type": "BUTTONS", "buttons": b}]});
    fails(
        carousel(json!([text_header, card("IMAGE", b.clone())])),
        HeaderFormat,
        "components[1].cards[0].components[0].format",
    );
    let no_buttons = json!({"components": [{"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["h"]}}]});
    fails(
        carousel(json!([card("IMAGE", b.clone()), no_buttons])),
        ButtonFormat,
        "components[1].cards[1].components",
    );
    let no_handle = json!({"components": [{"type": "HEADER", "format": "IMAGE"}, {"type": "BUTTONS", "buttons": b}]});
    fails(
        carousel(json!([no_handle, card("IMAGE", b.clone())])),
        HeaderFormat,
        "components[1].cards[0].components[0].example.header_handle",
    );
    let two_bodies = json!({"components": [{"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["h"]}},
        {"type": "BODY", "text": "a"}, {"type": "BODY", "text": "b"}, {"type": "BUTTONS", "buttons": b}]});
    fails(
        carousel(json!([two_bodies, card("IMAGE", b)])),
        BodyFormat,
        "components[1].cards[0].components[2]",
    );
}

#[test]
fn carousel_cards_match_the_first() {
    let b = json!([qr("More"), url()]);
    fails(
        carousel(json!([card("IMAGE", b.clone()), card("VIDEO", b.clone())])),
        ComponentFormat,
        "components[1].cards[1].components[0].format",
    );
    let swapped = json!([url(), qr("More")]);
    fails(
        carousel(json!([card("IMAGE", b.clone()), card("IMAGE", swapped)])),
        ComponentFormat,
        "components[1].cards[1].components[2].buttons",
    );
    let fewer = json!([qr("More")]);
    fails(
        carousel(json!([card("IMAGE", b), card("IMAGE", fewer)])),
        ComponentFormat,
        "components[1].cards[1].components[2].buttons",
    );
}

#[test]
fn carousel_card_limits() {
    let three = json!([qr("a"), qr("b"), qr("c")]);
    fails(
        carousel(json!([card("IMAGE", three.clone()), card("IMAGE", three)])),
        ButtonFormat,
        "components[1].cards[0].components[2].buttons",
    );
    let mut long = card("IMAGE", json!([qr("a")]));
    long["components"][1]["text"] = json!("b".repeat(161));
    fails(
        carousel(json!([long, card("IMAGE", json!([qr("a")]))])),
        CharacterLimit,
        "components[1].cards[0].components[1].text",
    );
}

#[test]
fn carousel_templates_hold_only_body_and_cards() {
    let b = json!([qr("More")]);
    let cards = json!({"type": "CAROUSEL", "cards": [card("IMAGE", b.clone()), card("IMAGE", b)]});
    let header = json!({"type": "HEADER", "format": "TEXT", "text": "Hi"});
    fails(
        marketing(json!([header, body(), cards])),
        ComponentFormat,
        "components[0]",
    );
    let footer = json!({"type": "FOOTER", "text": "Bye"});
    fails(
        marketing(json!([body(), cards, footer])),
        ComponentFormat,
        "components[2]",
    );
}

// --- Limited-time offer ---

#[test]
fn limited_time_offer_rules() {
    let offer = |text: &str, expires: bool| json!({"type": "LIMITED_TIME_OFFER", "limited_time_offer": {"text": text, "has_expiration": expires}});
    let code = json!({"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "example": "SUN25"}]});
    fails(
        utility(json!([offer("Ends soon", false), body()])),
        ComponentFormat,
        "components[0]",
    );
    let footer = json!({"type": "FOOTER", "text": "Bye"});
    fails(
        marketing(json!([offer("Ends soon", false), body(), footer])),
        FooterFormat,
        "components[2]",
    );
    passes(marketing(json!([offer(&"o".repeat(16), false), body()])));
    fails(
        marketing(json!([offer(&"o".repeat(17), false), body()])),
        CharacterLimit,
        "components[0].limited_time_offer.text",
    );
    fails(
        marketing(json!([offer("Ends soon", true), body()])),
        ButtonFormat,
        "components[0].limited_time_offer.has_expiration",
    );
    passes(marketing(json!([offer("Ends soon", true), body(), code])));
}

// --- TTL ---

#[test]
fn ttl_ranges_per_category() {
    let with_ttl = |mut t: Value, ttl: i64| {
        t["message_send_ttl_seconds"] = json!(ttl);
        t
    };
    let auth =
        || authentication(json!([auth_body(), {"type": "BUTTONS", "buttons": [otp("COPY_CODE")]}]));
    let util = || utility(json!([body()]));
    let mark = || marketing(json!([body()]));
    for (t, ok, bad) in [
        (auth(), [30, 900], [29, 901]),
        (util(), [30, 43_200], [29, 43_201]),
        (mark(), [43_200, 2_592_000], [43_199, 2_592_001]),
    ] {
        for ttl in ok {
            passes(with_ttl(t.clone(), ttl));
        }
        for ttl in bad {
            fails(
                with_ttl(t.clone(), ttl),
                InvalidParameter,
                "message_send_ttl_seconds",
            );
        }
    }
    passes(with_ttl(util(), -1));
    passes(with_ttl(mark(), -1));
    let msg = fails(
        with_ttl(auth(), -1),
        InvalidParameter,
        "message_send_ttl_seconds",
    );
    assert!(
        msg.contains("AUTHENTICATION templates must be 30 to 900 seconds"),
        "{msg}"
    );
}
