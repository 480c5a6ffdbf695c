//! Graph's field selection, `?fields=`, parsed once into a [`FieldSelection`].
//!
//! The syntax, as Graph reads it:
//!
//! - a comma-separated list at top level: `id,name,status`;
//! - a field may narrow an object-valued field with a nested selection, at any depth:
//!   `throughput{level}`, `a{b{c,d},e}`;
//! - a field may carry an argument, `a(param)`, and modifiers, `a.limit(5)`,
//!   `qr_image_url.format(SVG)` (an argument is raw text; commas in it do not split);
//! - whitespace around names and separators is tolerated, and empty entries (`a,,b`, a
//!   trailing comma) are ignored.
//!
//! What a selection means is the handler's: each checks the names against its node's fields
//! ([`FieldSelection::check`] answers Graph's "Tried accessing nonexisting field" error) and
//! decides what an argument, a modifier or a nested selection does for it.

use std::fmt;

use wagate_core::error::{ErrorCode, ValidationError};

use crate::error::ApiError;

/// How deep selections may nest (`a{b{c{…}}}`): far past any Graph object, and a bound on the
/// parser's recursion.
const MAX_DEPTH: usize = 16;

/// A parsed `fields=` value: the fields in the order asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelection(Vec<Field>);

/// One field of a selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field's name (`throughput` in `throughput{level}`).
    pub name: String,
    /// `a(param)`: the text between the parentheses right after the name.
    pub argument: Option<String>,
    /// `a.limit(5).format(SVG)`, in order.
    pub modifiers: Vec<Modifier>,
    /// `a{b,c}`: the keys wanted of an object-valued field; `None` wants all of it.
    pub nested: Option<FieldSelection>,
}

/// A field's `.name(argument)` modifier; the argument is absent for a bare `.name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modifier {
    pub name: String,
    pub argument: Option<String>,
}

/// A `fields=` value that is not Graph's syntax (an unbalanced brace, a missing name).
/// Answered as a bad `fields` parameter (Graph's code 100).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FieldsSyntaxError(String);

impl From<FieldsSyntaxError> for ValidationError {
    fn from(e: FieldsSyntaxError) -> Self {
        ValidationError::new("fields", e.0)
    }
}

impl From<FieldsSyntaxError> for ApiError {
    fn from(e: FieldsSyntaxError) -> Self {
        ValidationError::from(e).into()
    }
}

/// A field the node does not have: Graph's `Tried accessing nonexisting field (X) on node
/// type (Y)`, code 100.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Tried accessing nonexisting field ({field}) on node type ({node})")]
pub struct NonexistingField {
    pub field: String,
    pub node: &'static str,
}

impl From<NonexistingField> for ApiError {
    fn from(e: NonexistingField) -> Self {
        ApiError::new(ErrorCode::InvalidQuery, e.to_string())
    }
}

impl FieldSelection {
    /// Parses a `fields=` value. An empty or blank value is an empty selection.
    pub fn parse(text: &str) -> Result<Self, FieldsSyntaxError> {
        let mut p = Parser { text, pos: 0 };
        let selection = p.selection(0)?;
        match p.peek() {
            None => Ok(selection),
            Some('}') => Err(p.error("has a `}` without its `{`")),
            Some(c) => Err(p.error(&format!("has an unexpected `{c}`"))),
        }
    }

    /// The `fields` query parameter: `None` when absent or blank (the node's default
    /// fields), else its selection, which may still be empty (`fields=,`).
    pub fn from_param(fields: Option<&str>) -> Result<Option<Self>, FieldsSyntaxError> {
        fields
            .filter(|f| !f.trim().is_empty())
            .map(Self::parse)
            .transpose()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Field> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The top-level names, in the order asked (repeats included).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|f| f.name.as_str())
    }

    /// Whether `name` is asked for at top level.
    pub fn contains(&self, name: &str) -> bool {
        self.names().any(|n| n == name)
    }

    /// The first top-level field `is_known` refuses.
    pub fn unknown(&self, is_known: impl Fn(&str) -> bool) -> Option<&Field> {
        self.0.iter().find(|f| !is_known(&f.name))
    }

    /// Every top-level name is one `is_known` accepts; else Graph's error for the first that
    /// is not, naming `node` (`WhatsAppBusinessPhoneNumber`).
    pub fn check(
        &self,
        node: &'static str,
        is_known: impl Fn(&str) -> bool,
    ) -> Result<(), NonexistingField> {
        match self.unknown(is_known) {
            None => Ok(()),
            Some(f) => Err(NonexistingField {
                field: f.name.clone(),
                node,
            }),
        }
    }
}

impl<'a> IntoIterator for &'a FieldSelection {
    type Item = &'a Field;
    type IntoIter = std::slice::Iter<'a, Field>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Field {
    /// The argument of modifier `name` (`format` in `qr_image_url.format(SVG)`), if given.
    pub fn modifier(&self, name: &str) -> Option<&Modifier> {
        self.modifiers.iter().find(|m| m.name == name)
    }

    /// A bare name: no argument, modifier or nested selection.
    pub fn is_plain(&self) -> bool {
        self.argument.is_none() && self.modifiers.is_empty() && self.nested.is_none()
    }
}

/// Graph's syntax again (no spaces): how a field is named back in an error message.
impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(a) = &self.argument {
            write!(f, "({a})")?;
        }
        for m in &self.modifiers {
            write!(f, ".{}", m.name)?;
            if let Some(a) = &m.argument {
                write!(f, "({a})")?;
            }
        }
        if let Some(n) = &self.nested {
            write!(f, "{{{n}}}")?;
        }
        Ok(())
    }
}

impl fmt::Display for FieldSelection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, field) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{field}")?;
        }
        Ok(())
    }
}

/// A recursive-descent reader over the `fields` text.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn error(&self, what: &str) -> FieldsSyntaxError {
        FieldsSyntaxError(format!(
            "`{}` {what} at character {}; expected a comma-separated list like \
             `a,b{{c,d}},e.limit(5)`",
            self.text,
            self.pos + 1
        ))
    }

    /// Entries up to the end of the text or a `}` (left for the caller).
    fn selection(&mut self, depth: usize) -> Result<FieldSelection, FieldsSyntaxError> {
        let mut fields = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None | Some('}') => return Ok(FieldSelection(fields)),
                Some(',') => {
                    self.bump();
                }
                Some(_) => {
                    fields.push(self.field(depth)?);
                    self.skip_ws();
                    match self.peek() {
                        None | Some('}') => {}
                        Some(',') => {
                            self.bump();
                        }
                        Some(c) => {
                            return Err(self.error(&format!("has an unexpected `{c}`")));
                        }
                    }
                }
            }
        }
    }

    fn field(&mut self, depth: usize) -> Result<Field, FieldsSyntaxError> {
        let name = self.name()?;
        self.skip_ws();
        let argument = self.argument()?;
        let mut field = Field {
            name,
            argument,
            modifiers: Vec::new(),
            nested: None,
        };
        loop {
            self.skip_ws();
            match self.peek() {
                Some('.') => {
                    self.bump();
                    self.skip_ws();
                    let name = self.name()?;
                    self.skip_ws();
                    let argument = self.argument()?;
                    field.modifiers.push(Modifier { name, argument });
                }
                Some('{') => {
                    if field.nested.is_some() {
                        return Err(self.error("has a second `{…}` on one field"));
                    }
                    if depth + 1 >= MAX_DEPTH {
                        return Err(self.error(&format!("nests deeper than {MAX_DEPTH} levels")));
                    }
                    self.bump();
                    let nested = self.selection(depth + 1)?;
                    if self.bump() != Some('}') {
                        return Err(self.error("misses a `}`"));
                    }
                    field.nested = Some(nested);
                }
                _ => return Ok(field),
            }
        }
    }

    fn name(&mut self) -> Result<String, FieldsSyntaxError> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| !c.is_whitespace() && !matches!(c, ',' | '{' | '}' | '(' | ')' | '.'))
        {
            self.bump();
        }
        if self.pos == start {
            return Err(match self.peek() {
                None => self.error("ends where a field name is expected"),
                Some(c) => self.error(&format!("has `{c}` where a field name is expected")),
            });
        }
        Ok(self.text[start..self.pos].to_owned())
    }

    /// `(…)` with balanced parentheses inside, as raw text (trimmed); `None` when absent.
    fn argument(&mut self) -> Result<Option<String>, FieldsSyntaxError> {
        if self.peek() != Some('(') {
            return Ok(None);
        }
        self.bump();
        let start = self.pos;
        let mut depth = 0usize;
        loop {
            match self.bump() {
                None => return Err(self.error("misses a `)`")),
                Some('(') => depth += 1,
                Some(')') if depth == 0 => break,
                Some(')') => depth -= 1,
                Some(_) => {}
            }
        }
        Ok(Some(self.text[start..self.pos - 1].trim().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> FieldSelection {
        FieldSelection::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn names(s: &FieldSelection) -> Vec<&str> {
        s.names().collect()
    }

    #[test]
    fn a_flat_list_with_spaces_and_empty_entries() {
        let s = parse(" id, name ,,status, ");
        assert_eq!(names(&s), ["id", "name", "status"]);
        assert!(s.iter().all(Field::is_plain));
        assert!(parse("").is_empty());
        assert!(parse(" , ,").is_empty());
        assert_eq!(FieldSelection::from_param(None).unwrap(), None);
        assert_eq!(FieldSelection::from_param(Some("  ")).unwrap(), None);
        assert_eq!(
            FieldSelection::from_param(Some(",")).unwrap(),
            Some(FieldSelection::default())
        );
    }

    #[test]
    fn nested_selections_at_any_depth() {
        let s = parse("a{b,c}");
        assert_eq!(names(&s), ["a"]);
        assert_eq!(
            names(s.iter().next().unwrap().nested.as_ref().unwrap()),
            ["b", "c"]
        );

        let s = parse("x, a { b { c , d } , e } ,y");
        assert_eq!(names(&s), ["x", "a", "y"]);
        let a = s.iter().nth(1).unwrap().nested.as_ref().unwrap();
        assert_eq!(names(a), ["b", "e"]);
        let b = a.iter().next().unwrap().nested.as_ref().unwrap();
        assert_eq!(names(b), ["c", "d"]);
        assert_eq!(s.to_string(), "x,a{b{c,d},e},y");

        let s = parse("throughput{}");
        assert_eq!(
            s.iter().next().unwrap().nested,
            Some(FieldSelection::default())
        );
    }

    #[test]
    fn modifiers_and_arguments() {
        let s = parse("a.limit(5),qr_image_url.format( SVG ),b(x,y){c},d.e");
        let f: Vec<&Field> = s.iter().collect();
        assert_eq!(names(&s), ["a", "qr_image_url", "b", "d"]);
        assert_eq!(
            f[0].modifier("limit").unwrap().argument.as_deref(),
            Some("5")
        );
        assert_eq!(
            f[1].modifier("format").unwrap().argument.as_deref(),
            Some("SVG")
        );
        assert_eq!(f[2].argument.as_deref(), Some("x,y"));
        assert_eq!(names(f[2].nested.as_ref().unwrap()), ["c"]);
        assert_eq!(f[3].modifier("e").unwrap().argument, None);
        let s = parse("friends.limit(5){name,picture.type(large)}");
        let friends = s.iter().next().unwrap();
        assert_eq!(friends.modifiers.len(), 1);
        assert_eq!(names(friends.nested.as_ref().unwrap()), ["name", "picture"]);
        assert_eq!(s.to_string(), "friends.limit(5){name,picture.type(large)}");
    }

    #[test]
    fn unbalanced_and_malformed_selections_are_refused() {
        for bad in [
            "a{b",
            "a{b{c}",
            "a}",
            "a,b}",
            "{b}",
            "a.limit(5",
            "a.(5)",
            "a{b}{c}",
            "a b",
            "a{b}c",
            ")",
        ] {
            let e = FieldSelection::parse(bad).unwrap_err();
            let v = ValidationError::from(e.clone());
            assert_eq!(v.field, "fields", "{bad}");
            assert!(e.to_string().contains(&format!("`{bad}`")), "{bad}: {e}");
        }
        assert!(
            FieldSelection::parse("a{b")
                .unwrap_err()
                .to_string()
                .contains("misses a `}`")
        );
        let deep = format!("{}{}", "a{".repeat(40), "}".repeat(40));
        assert!(FieldSelection::parse(&deep).is_err());
        let ok = format!("{}{}", "a{".repeat(10), "}".repeat(10));
        assert!(FieldSelection::parse(&ok).is_ok());
    }

    #[test]
    fn unknown_fields_are_graphs_error() {
        let s = parse("id,throughput{level},colour{x,y}");
        let known = ["id", "throughput"];
        let e = s
            .check("WhatsAppBusinessPhoneNumber", |n| known.contains(&n))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Tried accessing nonexisting field (colour) on node type (WhatsAppBusinessPhoneNumber)"
        );
        let api = ApiError::from(e);
        assert_eq!(api.code, ErrorCode::InvalidQuery);
        assert_eq!(api.field, None);
        assert!(
            parse("id,throughput{nope}")
                .check("N", |n| known.contains(&n))
                .is_ok()
        );
    }
}
