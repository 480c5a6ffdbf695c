//! A Graph endpoint's parameters, merged once into [`Params`].
//!
//! Graph takes a call's parameters wherever the client put them: in the query string, in an
//! `application/x-www-form-urlencoded` body, or in a JSON object body. SDKs differ
//! (whatsapp-api-js sends QR codes' in the query, pywa sends JSON; `request_code` comes with
//! no body at all), so every write reads them the same way:
//!
//! 1. the query string's pairs;
//! 2. over them, the body's: a form when the Content-Type says so (the media type, any case,
//!    parameters such as `charset` ignored), else JSON, which must be an object; an empty or
//!    blank body has none;
//! 3. `access_token` is dropped wherever it came from: it is the caller's credential (read by
//!    [`crate::auth`]), never a parameter.
//!
//! What a handler may choose is in [`Rules`]; each choice keeps what that endpoint answered
//! before the rule was written once. A malformed JSON body is the extractor's
//! `malformed_json`, a JSON body that is not an object `invalid_request`: both are
//! [`ApiError`]s rendered in the plane's format like every other error.

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};
use wagate_core::error::{ErrorCode, ValidationError};

use crate::error::ApiError;
use crate::extract::parse_json;

/// The credential parameter, never part of [`Params`].
const ACCESS_TOKEN: &str = "access_token";

/// How one endpoint reads its parameters beyond the common rule. Start from
/// [`Rules::GRAPH`] and change what the endpoint needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// A string value that is the text of a JSON object (`calling={"status":"ENABLED"}` in a
    /// form or the query) is taken as that object.
    pub json_text_objects: bool,
    /// A body's `null` is as if the parameter were not sent: the query's value stands.
    pub body_null_is_absent: bool,
    /// What a JSON body that is not an object is told.
    pub not_an_object: &'static str,
}

impl Rules {
    /// Graph's rule: strings stay strings, a body's `null` is a value like any other.
    pub const GRAPH: Rules = Rules {
        json_text_objects: false,
        body_null_is_absent: false,
        not_an_object: "the body must be a JSON object",
    };

    /// JSON object text in a value is taken as the object.
    pub const fn json_text_objects(self) -> Self {
        Self {
            json_text_objects: true,
            ..self
        }
    }

    /// A body's `null` leaves the parameter to the query.
    pub const fn body_null_is_absent(self) -> Self {
        Self {
            body_null_is_absent: true,
            ..self
        }
    }

    /// What a JSON body that is not an object is told.
    pub const fn not_an_object(self, message: &'static str) -> Self {
        Self {
            not_an_object: message,
            ..self
        }
    }
}

/// A request's parameters, merged: name → JSON value (a string when it came from the query or
/// a form).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(Map<String, Value>);

impl Params {
    /// The query's parameters, then the body's over them (see the module doc).
    pub fn read(
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
        rules: Rules,
    ) -> Result<Self, ApiError> {
        let mut params = Self::query(query);
        params.merge_body(headers, body, rules)?;
        if rules.json_text_objects {
            params.parse_json_text_objects();
        }
        Ok(params)
    }

    /// The body's parameters alone (an endpoint that shares its path with one whose query
    /// means something else).
    pub fn body(headers: &HeaderMap, body: &[u8], rules: Rules) -> Result<Self, ApiError> {
        Self::read(None, headers, body, rules)
    }

    /// The query string's parameters (none when absent).
    pub fn query(query: Option<&str>) -> Self {
        Self(pairs(query.unwrap_or_default().as_bytes()).collect())
    }

    /// Sets a text parameter over what is there (a multipart upload's form fields); the
    /// credential is dropped as always.
    pub fn insert_text(&mut self, name: String, value: String) {
        if name != ACCESS_TOKEN {
            self.0.insert(name, Value::String(value));
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// A parameter that is a string.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// The merged map, for the parsers that read Graph's parameters into a command
    /// (`SettingsUpdate::try_from(&Map)`).
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// Every parameter as text: numbers and booleans as written, a `null` as absent; an
    /// array or object is refused naming the parameter, as "must be a string".
    pub fn into_text(self) -> Result<Vec<(String, String)>, ValidationError> {
        let mut out = Vec::with_capacity(self.0.len());
        for (key, value) in self.0 {
            let text = match value {
                Value::Null => continue,
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Array(_) | Value::Object(_) => {
                    return Err(ValidationError::new(key, "must be a string"));
                }
            };
            out.push((key, text));
        }
        Ok(out)
    }

    fn merge_body(
        &mut self,
        headers: &HeaderMap,
        body: &[u8],
        rules: Rules,
    ) -> Result<(), ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let fields: Map<String, Value> = if is_form(headers) {
            pairs(body).collect()
        } else {
            match parse_json::<Value>(body)? {
                Value::Object(fields) => fields,
                _ => {
                    return Err(ApiError::new(
                        ErrorCode::InvalidRequest,
                        rules.not_an_object,
                    ));
                }
            }
        };
        for (key, value) in fields {
            if key == ACCESS_TOKEN || (rules.body_null_is_absent && value.is_null()) {
                continue;
            }
            self.0.insert(key, value);
        }
        Ok(())
    }

    fn parse_json_text_objects(&mut self) {
        for v in self.0.values_mut() {
            if let Value::String(s) = v
                && s.starts_with('{')
                && let Ok(parsed @ Value::Object(_)) = serde_json::from_str::<Value>(s)
            {
                *v = parsed;
            }
        }
    }
}

/// `a=1&b=2` as string parameters, without the credential.
fn pairs(bytes: &[u8]) -> impl Iterator<Item = (String, Value)> + '_ {
    form_urlencoded::parse(bytes)
        .filter(|(k, _)| k != ACCESS_TOKEN)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
}

/// Whether the body is a form: `Content-Type: application/x-www-form-urlencoded`, in any
/// case, with or without parameters.
fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// A list parameter's items (`hsm_ids=1,2`, `status=APPROVED, REJECTED`): split at commas,
/// trimmed, empty items ignored.
pub fn comma_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// A query parameter holding an RFC 3339 time (`invalid_query` naming `field` otherwise).
pub fn query_time(
    field: &'static str,
    v: Option<&str>,
) -> Result<Option<wagate_core::Timestamp>, ApiError> {
    v.map(|s| {
        s.parse::<wagate_core::Timestamp>().map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidQuery,
                "must be an RFC 3339 time like 2026-11-21T10:00:00Z",
            )
            .field(field)
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use serde_json::json;

    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if !content_type.is_empty() {
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(content_type).unwrap(),
            );
        }
        h
    }

    fn read(query: &str, content_type: &str, body: &str, rules: Rules) -> Params {
        Params::read(Some(query), &headers(content_type), body.as_bytes(), rules).unwrap()
    }

    #[test]
    fn the_body_wins_over_the_query() {
        let p = read(
            "a=1&b=2&access_token=k",
            "application/json",
            r#"{"b": false, "c": [1]}"#,
            Rules::GRAPH,
        );
        assert_eq!(
            Value::Object(p.as_map().clone()),
            json!({"a": "1", "b": false, "c": [1]})
        );
        let p = read(
            "a=1",
            "application/x-www-form-urlencoded; charset=utf-8",
            "a=from+a+form&access_token=k",
            Rules::GRAPH,
        );
        assert_eq!(p.str("a"), Some("from a form"));
        assert_eq!(p.get("access_token"), None);
        let p = read(
            "a=1",
            "Application/X-WWW-Form-Urlencoded",
            "a=2",
            Rules::GRAPH,
        );
        assert_eq!(p.str("a"), Some("2"));
        // No Content-Type: JSON, as Graph reads it.
        let p = read("", "", r#"{"a": "x", "access_token": "k"}"#, Rules::GRAPH);
        assert_eq!(Value::Object(p.as_map().clone()), json!({"a": "x"}));
        // An empty or blank body has no parameters.
        let p = read("a=1", "application/json", " \n", Rules::GRAPH);
        assert_eq!(p.str("a"), Some("1"));
        assert_eq!(Params::query(None), Params::default());
    }

    #[test]
    fn bodies_that_are_not_objects_are_refused_as_before() {
        let h = headers("application/json");
        let e = Params::read(None, &h, b"[1]", Rules::GRAPH).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (ErrorCode::InvalidRequest, "the body must be a JSON object")
        );
        let e = Params::read(None, &h, b"{", Rules::GRAPH).unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedJson);
        let rules = Rules::GRAPH.not_an_object("the body must be a JSON object with x");
        let e = Params::read(None, &h, b"\"x\"", rules).unwrap_err();
        assert_eq!(e.message, "the body must be a JSON object with x");
    }

    #[test]
    fn json_text_objects_when_asked() {
        let q = r#"calling=%7B%22status%22%3A%22ENABLED%22%7D&name=%7Bnot+json"#;
        let p = read(q, "", "", Rules::GRAPH);
        assert_eq!(p.str("calling"), Some(r#"{"status":"ENABLED"}"#));
        let p = read(q, "", "", Rules::GRAPH.json_text_objects());
        assert_eq!(p.get("calling"), Some(&json!({"status": "ENABLED"})));
        assert_eq!(p.str("name"), Some("{not json"));
        let p = read("", "", r#"{"a": "[1]"}"#, Rules::GRAPH.json_text_objects());
        assert_eq!(p.str("a"), Some("[1]"), "only objects");
    }

    #[test]
    fn a_body_null_is_a_value_unless_asked() {
        let p = read("pin=1", "", r#"{"pin": null}"#, Rules::GRAPH);
        assert_eq!(p.get("pin"), Some(&Value::Null));
        let p = read(
            "pin=1",
            "",
            r#"{"pin": null}"#,
            Rules::GRAPH.body_null_is_absent(),
        );
        assert_eq!(p.str("pin"), Some("1"));
    }

    #[test]
    fn text_parameters() {
        let p = read(
            "q=x",
            "",
            r#"{"n": 123456, "b": true, "z": null}"#,
            Rules::GRAPH,
        );
        let mut t = p.into_text().unwrap();
        t.sort();
        assert_eq!(
            t,
            [
                ("b".to_owned(), "true".to_owned()),
                ("n".to_owned(), "123456".to_owned()),
                ("q".to_owned(), "x".to_owned())
            ]
        );
        let e = read("", "", r#"{"pin": ["1"]}"#, Rules::GRAPH)
            .into_text()
            .unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("pin", "must be a string")
        );
        let mut p = Params::query(Some("type=image&access_token=k"));
        p.insert_text("type".into(), "audio".into());
        p.insert_text("access_token".into(), "k".into());
        assert_eq!(Value::Object(p.as_map().clone()), json!({"type": "audio"}));
    }

    #[test]
    fn comma_lists() {
        assert_eq!(
            comma_list(" 1, 2,,3 ,").collect::<Vec<_>>(),
            ["1", "2", "3"]
        );
        assert_eq!(comma_list("").count(), 0);
    }
}
