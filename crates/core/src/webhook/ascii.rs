//! ASCII-only JSON and the signature over it.
//!
//! Meta writes webhook bodies with every non-ASCII character escaped as `\uXXXX` (UTF-16
//! code units, so a surrogate pair above U+FFFF: `"\ud83d\ude00"`), and signs exactly those
//! bytes (`X-Hub-Signature-256: sha256=<hex>`, reference §0, §5.2). whatsapp-api-js
//! re-escapes non-ASCII characters of the body it receives before checking the signature,
//! so a body sent as raw UTF-8 fails its check; one written by [`to_vec`] passes it and
//! every other receiver's.

use std::io;

use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use serde_json::ser::Formatter;
use sha2::Sha256;

/// Compact JSON in which every non-ASCII character is escaped as `\uXXXX` (lowercase hex,
/// surrogate pairs above U+FFFF), as Meta sends webhooks. Quotes, backslashes and control
/// characters are escaped as `serde_json` always does.
///
/// # Panics
/// If `value`'s `Serialize` fails, which it never does for a `serde_json::Value` or for
/// plain data (a map with non-string keys would).
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, AsciiFormatter);
    value
        .serialize(&mut ser)
        .expect("serialising a JSON payload to memory cannot fail");
    out
}

/// The `X-Hub-Signature-256` value of `body` under `secret`:
/// `sha256=` and the lowercase hex HMAC-SHA256.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// `serde_json`'s compact formatter, except that string fragments (the parts `serde_json` does not
/// escape itself) have their non-ASCII characters written as `\uXXXX`.
struct AsciiFormatter;

impl Formatter for AsciiFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c.is_ascii() {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn text(v: &Value) -> String {
        let bytes = to_vec(v);
        assert!(
            bytes.is_ascii(),
            "not ASCII: {}",
            String::from_utf8_lossy(&bytes)
        );
        let back: Value = serde_json::from_slice(&bytes).expect("valid JSON");
        assert_eq!(&back, v, "does not parse back to the same value");
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn emoji_become_surrogate_pairs() {
        assert_eq!(text(&json!("😀")), r#""\ud83d\ude00""#);
        assert_eq!(
            text(&json!({"emoji": "hi 😮!"})),
            r#"{"emoji":"hi \ud83d\ude2e!"}"#
        );
        // A flag: two regional indicators, each a surrogate pair.
        assert_eq!(text(&json!("🇧🇷")), r#""\ud83c\udde7\ud83c\uddf7""#);
    }

    #[test]
    fn accented_and_other_bmp_characters_become_one_escape() {
        assert_eq!(text(&json!("café")), r#""caf\u00e9""#);
        assert_eq!(text(&json!("Ñandú")), r#""\u00d1and\u00fa""#);
        assert_eq!(text(&json!("日本")), r#""\u65e5\u672c""#);
        assert_eq!(text(&json!("a\u{2028}b")), r#""a\u2028b""#);
        assert_eq!(text(&json!({"clé": "€"})), r#"{"cl\u00e9":"\u20ac"}"#);
    }

    #[test]
    fn control_characters_quotes_and_backslashes_are_escaped_as_usual() {
        assert_eq!(
            text(&json!("a\"b\\c\nd\te\r\u{1}\u{1f}")),
            r#""a\"b\\c\nd\te\r\u0001\u001f""#
        );
        assert_eq!(text(&json!("é\n😀\"")), r#""\u00e9\n\ud83d\ude00\"""#);
    }

    #[test]
    fn plain_ascii_is_compact_and_unchanged() {
        let v = json!({"object": "whatsapp_business_account", "n": 1, "ok": true,
            "url": "https://x.y/z", "list": [null, 1.5, "a b"]});
        assert_eq!(text(&v), serde_json::to_string(&v).unwrap());
        assert_eq!(
            text(&json!({"a": [1, 2], "b": {}})),
            r#"{"a":[1,2],"b":{}}"#
        );
    }

    #[test]
    fn mixed_payloads_round_trip() {
        let v = json!({"contacts": [{"profile": {"name": "José 👍🏽"}}],
            "messages": [{"text": {"body": "Olá, tudo bem? 🤔\nça va — 你好"}}]});
        let s = text(&v);
        assert!(s.contains(r#"Jos\u00e9 \ud83d\udc4d\ud83c\udffd"#), "{s}");
        // Serialising a plain struct works too.
        #[derive(Serialize)]
        struct S<'a> {
            name: &'a str,
        }
        assert_eq!(to_vec(&S { name: "ü" }), br#"{"name":"\u00fc"}"#);
    }

    #[test]
    fn signature_matches_an_independent_hmac() {
        // Computed with Python: hmac.new(key, msg, hashlib.sha256).hexdigest()
        assert_eq!(
            signature(b"key", b"The quick brown fox jumps over the lazy dog"),
            "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
        assert_eq!(
            signature(
                b"app-secret-123",
                br#"{"object":"whatsapp_business_account"}"#
            ),
            "sha256=dbc74863d4cd49044ec08695c8e2eb2b18119ff8d1e681226a93be56fc391aac"
        );
    }
}
