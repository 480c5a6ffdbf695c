//! Reading a JSON object field by field, with the dotted path of each field for errors.
//!
//! Every check here picks the [`ValidationKind`](crate::error::ValidationKind) Meta would
//! answer with: a wrong JSON type or an unknown enum value is `Invalid` (Graph 100), an absent
//! or empty required field is `Missing` (131008), and a value past a limit or malformed is
//! `OutOfRange` (131009). `null` counts as absent everywhere, since several SDKs send it for
//! unset optional fields.

use std::collections::HashSet;
use std::ops::RangeInclusive;

use serde_json::{Map, Value};

use crate::error::ValidationError;

/// A JSON object being read, and the dotted path it sits at (`interactive.action`).
#[derive(Clone)]
pub(crate) struct Fields<'a> {
    path: String,
    map: &'a Map<String, Value>,
}

/// `parent.key`, or just `key` at the root.
pub(crate) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent[index]`.
pub(crate) fn indexed(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// The JSON type of `v`, for error messages.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An `Invalid` error for a value of the wrong JSON type.
pub(crate) fn wrong_type(field: &str, expected: &str, got: &Value) -> ValidationError {
    ValidationError::new(field, format!("must be {expected}, not {}", type_name(got)))
}

/// `v` as an object at `path`, or an `Invalid` error.
pub(crate) fn object<'a>(
    v: &'a Value,
    path: &str,
) -> Result<&'a Map<String, Value>, ValidationError> {
    v.as_object()
        .ok_or_else(|| wrong_type(path, "an object", v))
}

impl<'a> Fields<'a> {
    /// Reads `map`, whose fields are named `path.<key>` in errors.
    pub(crate) fn new(path: impl Into<String>, map: &'a Map<String, Value>) -> Self {
        Self {
            path: path.into(),
            map,
        }
    }

    /// Reads `v`, which must be an object.
    pub(crate) fn of(v: &'a Value, path: impl Into<String>) -> Result<Self, ValidationError> {
        let path = path.into();
        let map = object(v, &path)?;
        Ok(Self { path, map })
    }

    /// The dotted path of `key` in this object.
    pub(crate) fn path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The path of this object itself.
    pub(crate) fn own_path(&self) -> &str {
        &self.path
    }

    /// The value at `key`, if present and not `null`.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The value at `key`, which is required.
    pub(crate) fn req(&self, key: &str) -> Result<&'a Value, ValidationError> {
        self.get(key)
            .ok_or_else(|| ValidationError::missing(self.path(key), "is required"))
    }

    /// An `Invalid` error if `key` is present: `why` says where it would be allowed.
    pub(crate) fn forbid(&self, key: &str, why: &str) -> Result<(), ValidationError> {
        match self.get(key) {
            Some(_) => Err(ValidationError::new(self.path(key), why)),
            None => Ok(()),
        }
    }

    /// An optional string, as given (possibly empty).
    pub(crate) fn opt_str(&self, key: &str) -> Result<Option<&'a str>, ValidationError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(wrong_type(&self.path(key), "a string", v)),
        }
    }

    /// An optional string of at most `max` characters.
    pub(crate) fn opt_text(
        &self,
        key: &str,
        max: usize,
    ) -> Result<Option<&'a str>, ValidationError> {
        let s = self.opt_str(key)?;
        if let Some(s) = s {
            check_max(&self.path(key), s, max)?;
        }
        Ok(s)
    }

    /// A required string that is not blank and has at most `max` characters.
    pub(crate) fn req_str(&self, key: &str, max: usize) -> Result<&'a str, ValidationError> {
        let field = self.path(key);
        let s = self.opt_str(key)?.unwrap_or_default();
        if s.trim().is_empty() {
            return Err(ValidationError::missing(
                field,
                "is required and must not be empty",
            ));
        }
        check_max(&field, s, max)?;
        Ok(s)
    }

    /// A required string that must be one of `allowed`.
    pub(crate) fn req_enum(&self, key: &str, allowed: &[&str]) -> Result<&'a str, ValidationError> {
        let s = self.req_str(key, usize::MAX)?;
        one_of(&self.path(key), s, allowed)
    }

    /// An optional string that must be one of `allowed` when present.
    pub(crate) fn opt_enum(
        &self,
        key: &str,
        allowed: &[&str],
    ) -> Result<Option<&'a str>, ValidationError> {
        match self.opt_str(key)? {
            None => Ok(None),
            Some(s) => one_of(&self.path(key), s, allowed).map(Some),
        }
    }

    /// An optional boolean; `"true"`/`"false"` strings are normalised earlier by
    /// [`coerce_bool`], so here only a real boolean passes.
    pub(crate) fn opt_bool(&self, key: &str) -> Result<Option<bool>, ValidationError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(wrong_type(&self.path(key), "true or false", v)),
        }
    }

    /// A required number within `range`. Numeric strings are turned into numbers earlier
    /// (by [`coerce_number`]), so a string still here is malformed.
    pub(crate) fn req_number(
        &self,
        key: &str,
        range: RangeInclusive<f64>,
    ) -> Result<f64, ValidationError> {
        let field = self.path(key);
        let expected = format!("a number from {} to {}", range.start(), range.end());
        let x = self.number(key, &field, &expected)?;
        if range.contains(&x) {
            Ok(x)
        } else {
            Err(ValidationError::out_of_range(
                field,
                format!("must be {expected}"),
            ))
        }
    }

    /// A required whole number within `range`; digit strings are turned into numbers earlier
    /// (by [`coerce_integer`]).
    pub(crate) fn req_integer(
        &self,
        key: &str,
        range: RangeInclusive<u64>,
    ) -> Result<u64, ValidationError> {
        let field = self.path(key);
        let expected = format!("a whole number from {} to {}", range.start(), range.end());
        let x = self.number(key, &field, &expected)?;
        let whole = self.map[key].as_u64().filter(|n| range.contains(n));
        whole.ok_or_else(|| {
            ValidationError::out_of_range(field, format!("must be {expected} (got {x})"))
        })
    }

    /// The number at `key`: `Missing` if absent or blank, `OutOfRange` for a leftover string,
    /// `Invalid` for another JSON type.
    fn number(&self, key: &str, field: &str, expected: &str) -> Result<f64, ValidationError> {
        match self.req(key)? {
            Value::Number(n) => Ok(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) if s.trim().is_empty() => Err(ValidationError::missing(
                field,
                "is required and must not be empty",
            )),
            Value::String(s) => Err(ValidationError::out_of_range(
                field,
                format!("must be {expected}, not `{s}`"),
            )),
            v => Err(wrong_type(field, expected, v)),
        }
    }

    /// Whether the object has no fields.
    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The nested object at `key`, if present.
    pub(crate) fn child(&self, key: &str) -> Result<Option<Fields<'a>>, ValidationError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => Fields::of(v, self.path(key)).map(Some),
        }
    }

    /// The nested object at `key`, which is required.
    pub(crate) fn req_child(&self, key: &str) -> Result<Fields<'a>, ValidationError> {
        Fields::of(self.req(key)?, self.path(key))
    }

    /// The objects of the array at `key`: required, with 1 to `max` items.
    pub(crate) fn req_children(
        &self,
        key: &str,
        max: usize,
    ) -> Result<Vec<Fields<'a>>, ValidationError> {
        let items = self.req_array(key, max)?;
        children(&self.path(key), items)
    }

    /// The objects of the array at `key` if present (absent reads as none), at most `max`.
    pub(crate) fn opt_children(
        &self,
        key: &str,
        max: usize,
    ) -> Result<Vec<Fields<'a>>, ValidationError> {
        let items = self.opt_array(key, max)?;
        children(&self.path(key), items)
    }

    /// The array at `key`: required, with 1 to `max` items.
    pub(crate) fn req_array(&self, key: &str, max: usize) -> Result<&'a [Value], ValidationError> {
        let field = self.path(key);
        let items = match self.req(key)? {
            Value::Array(items) => items,
            v => return Err(wrong_type(&field, "an array", v)),
        };
        check_count(&field, items.len(), 1, max)?;
        Ok(items)
    }

    /// The array at `key` if present (an absent one reads as empty), at most `max` items.
    pub(crate) fn opt_array(&self, key: &str, max: usize) -> Result<&'a [Value], ValidationError> {
        let field = self.path(key);
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(items)) => {
                check_count(&field, items.len(), 0, max)?;
                Ok(items)
            }
            Some(v) => Err(wrong_type(&field, "an array", v)),
        }
    }
}

/// `s`, if it is one of `allowed`; else the [`unknown`] error.
pub(crate) fn one_of<'s>(
    field: &str,
    s: &'s str,
    allowed: &[&str],
) -> Result<&'s str, ValidationError> {
    if allowed.contains(&s) {
        Ok(s)
    } else {
        Err(unknown(field, s, allowed))
    }
}

/// An `Invalid` error for `s`, which is none of `allowed`.
pub(crate) fn unknown(field: &str, s: &str, allowed: &[&str]) -> ValidationError {
    ValidationError::new(
        field,
        format!("must be one of {}, not `{s}`", allowed.join(", ")),
    )
}

/// An `OutOfRange` error if `s` has more than `max` characters (Meta counts characters).
pub(crate) fn check_max(field: &str, s: &str, max: usize) -> Result<(), ValidationError> {
    let len = s.chars().count();
    if len > max {
        return Err(ValidationError::out_of_range(
            field,
            format!("must be at most {max} characters (got {len})"),
        ));
    }
    Ok(())
}

/// `Missing` below `min` (an empty list), `OutOfRange` above `max`.
pub(crate) fn check_count(
    field: &str,
    len: usize,
    min: usize,
    max: usize,
) -> Result<(), ValidationError> {
    if len < min {
        let what = if min == 1 {
            "at least one item".to_owned()
        } else {
            format!("at least {min} items")
        };
        return Err(ValidationError::missing(field, format!("must have {what}")));
    }
    if len > max {
        return Err(ValidationError::out_of_range(
            field,
            format!("must have at most {max} items (got {len})"),
        ));
    }
    Ok(())
}

/// Each item of an array as an object, read at its indexed path (`buttons[1]`).
pub(crate) fn children<'a>(
    parent: &str,
    items: &'a [Value],
) -> Result<Vec<Fields<'a>>, ValidationError> {
    items
        .iter()
        .enumerate()
        .map(|(i, v)| Fields::of(v, indexed(parent, i)))
        .collect()
}

/// Remembers values seen so far and rejects a repeat (`OutOfRange`, as Meta does for
/// duplicate button ids).
#[derive(Default)]
pub(crate) struct Unique(HashSet<String>);

impl Unique {
    pub(crate) fn check(&mut self, field: &str, value: &str) -> Result<(), ValidationError> {
        if self.0.insert(value.to_owned()) {
            Ok(())
        } else {
            Err(ValidationError::out_of_range(
                field,
                format!("`{value}` is used twice; each must be unique"),
            ))
        }
    }
}

/// Whether `s` is an absolute `http` or `https` URL with a host and no whitespace.
pub(crate) fn is_http_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &s[8..]
    } else if lower.starts_with("http://") {
        &s[7..]
    } else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Checks a URL field value (`OutOfRange` when malformed or longer than `max`).
pub(crate) fn check_url(field: &str, s: &str, max: usize) -> Result<(), ValidationError> {
    check_max(field, s, max)?;
    if is_http_url(s) {
        Ok(())
    } else {
        Err(ValidationError::out_of_range(
            field,
            "must be an http:// or https:// URL",
        ))
    }
}

// --- Lenient inputs: rewrite what SDKs send into the shape Meta documents. ---

/// Removes `null` values from objects, recursively (SDKs send them for unset fields).
pub(crate) fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Removes `null`s and empty arrays and objects inside `v`, recursively, including
/// containers that only become empty by that (pywa's contact cards are full of them).
pub(crate) fn prune(v: &mut Value) {
    fn is_empty(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::Array(items) => items.is_empty(),
            Value::Object(map) => map.is_empty(),
            _ => false,
        }
    }
    match v {
        Value::Object(map) => {
            map.values_mut().for_each(prune);
            map.retain(|_, v| !is_empty(v));
        }
        Value::Array(items) => {
            items.iter_mut().for_each(prune);
            items.retain(|v| !is_empty(v));
        }
        _ => {}
    }
}

/// `"true"`/`"false"` (any case) at `key` become booleans.
pub(crate) fn coerce_bool(map: &mut Map<String, Value>, key: &str) {
    if let Some(Value::String(s)) = map.get(key) {
        let b = match s.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => return,
        };
        map.insert(key.to_owned(), Value::Bool(b));
    }
}

/// A numeric string at `key` (`"37.44"`) becomes a JSON number.
pub(crate) fn coerce_number(map: &mut Map<String, Value>, key: &str) {
    if let Some(Value::String(s)) = map.get(key) {
        let n = s
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64);
        if let Some(n) = n {
            map.insert(key.to_owned(), Value::Number(n));
        }
    }
}

/// A string of digits at `key` (`"0"`) becomes a JSON integer.
pub(crate) fn coerce_integer(map: &mut Map<String, Value>, key: &str) {
    if let Some(Value::String(s)) = map.get(key)
        && let Ok(n) = s.trim().parse::<u64>()
    {
        map.insert(key.to_owned(), Value::from(n));
    }
}

/// A non-negative integer at `key` becomes its decimal string (ids some SDKs send as numbers).
pub(crate) fn integer_to_string(map: &mut Map<String, Value>, key: &str) {
    if let Some(n) = map.get(key).and_then(Value::as_u64) {
        map.insert(key.to_owned(), Value::String(n.to_string()));
    }
}

/// A string at `key` becomes lowercase (template component types and button sub_types).
pub(crate) fn lowercase(map: &mut Map<String, Value>, key: &str) {
    if let Some(Value::String(s)) = map.get_mut(key) {
        *s = s.to_ascii_lowercase();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ValidationKind;
    use serde_json::json;

    #[test]
    fn kinds_follow_metas_codes() {
        let v = json!({"a": 1, "b": "  ", "c": "abcdef", "d": null});
        let f = Fields::of(&v, "x").unwrap();
        let e = f.req_str("a", 10).unwrap_err();
        assert_eq!((e.field.as_str(), e.kind), ("x.a", ValidationKind::Invalid));
        let e = f.req_str("b", 10).unwrap_err();
        assert_eq!((e.field.as_str(), e.kind), ("x.b", ValidationKind::Missing));
        let e = f.req_str("c", 5).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.kind),
            ("x.c", ValidationKind::OutOfRange)
        );
        let e = f.req_str("d", 5).unwrap_err();
        assert_eq!(e.kind, ValidationKind::Missing, "null is absent");
        assert_eq!(f.opt_str("d").unwrap(), None);
    }

    #[test]
    fn numbers() {
        let v = json!({"n": 91.5, "s": "abc", "b": true, "blank": " ", "i": 3, "f": 2.5});
        let f = Fields::of(&v, "x").unwrap();
        assert_eq!(f.req_number("n", -100.0..=100.0).unwrap(), 91.5);
        let kind = |e: ValidationError| (e.field, e.kind);
        let range = ValidationKind::OutOfRange;
        assert_eq!(
            kind(f.req_number("n", -90.0..=90.0).unwrap_err()),
            ("x.n".into(), range)
        );
        assert_eq!(
            kind(f.req_number("s", 0.0..=1.0).unwrap_err()),
            ("x.s".into(), range)
        );
        assert_eq!(
            kind(f.req_number("b", 0.0..=1.0).unwrap_err()).1,
            ValidationKind::Invalid
        );
        assert_eq!(
            kind(f.req_number("blank", 0.0..=1.0).unwrap_err()).1,
            ValidationKind::Missing
        );
        assert_eq!(f.req_integer("i", 0..=9).unwrap(), 3);
        assert_eq!(kind(f.req_integer("i", 0..=2).unwrap_err()).1, range);
        assert_eq!(
            kind(f.req_integer("f", 0..=9).unwrap_err()).1,
            range,
            "not whole"
        );
    }

    #[test]
    fn urls() {
        for good in [
            "https://x.example/a?b=c",
            "HTTP://host",
            "http://h:8080/p#f",
        ] {
            assert!(is_http_url(good), "{good}");
        }
        for bad in [
            "ftp://x",
            "https://",
            "https:///path",
            "x.example",
            "https://a b",
            "é",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }

    #[test]
    fn prune_drops_nulls_and_empties_recursively() {
        let mut v =
            json!({"a": null, "b": [], "c": {"d": null, "e": [{}]}, "f": "x", "g": [null, 1]});
        prune(&mut v);
        assert_eq!(v, json!({"f": "x", "g": [1]}));
    }

    #[test]
    fn coercions() {
        let mut m =
            json!({"b": "TRUE", "n": " -12.5 ", "i": "7", "id": 42, "bad": "x", "t": "URL"})
                .as_object()
                .unwrap()
                .clone();
        coerce_bool(&mut m, "b");
        coerce_number(&mut m, "n");
        coerce_integer(&mut m, "i");
        integer_to_string(&mut m, "id");
        coerce_number(&mut m, "bad");
        lowercase(&mut m, "t");
        assert_eq!(
            Value::Object(m),
            json!({"b": true, "n": -12.5, "i": 7, "id": "42", "bad": "x", "t": "url"})
        );
    }

    #[test]
    fn duplicates_and_counts() {
        let mut u = Unique::default();
        u.check("a[0]", "x").unwrap();
        let e = u.check("a[1]", "x").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.kind),
            ("a[1]", ValidationKind::OutOfRange)
        );
        assert_eq!(
            check_count("l", 0, 1, 3).unwrap_err().kind,
            ValidationKind::Missing
        );
        assert_eq!(
            check_count("l", 4, 1, 3).unwrap_err().kind,
            ValidationKind::OutOfRange
        );
    }
}
