//! Template variables: `{{1}}`, `{{2}}` (positional) or `{{first_name}}` (named), how a text
//! holds them, and rendering a text with values.
//!
//! The lint uses this to check templates on create; sending uses it to count the parameters a
//! component needs (132000) and to store the text the user received.

use super::wire::wire_enum;

wire_enum!(
    /// How a template's variables are written (`parameter_format`). Header and body use the
    /// same style.
    #[derive(Default)]
    ParameterFormat, "parameter_format" {
        /// `{{1}}`, `{{2}}`… numbered from 1; values are sent in that order. Meta's default.
        #[default]
        Positional => "POSITIONAL",
        /// `{{first_name}}`; values are sent with a `parameter_name`, in any order.
        Named => "NAMED",
    }
);

/// One variable of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variable<'a> {
    /// `{{n}}`. `{{0}}` parses (as 0) so the lint can say what is wrong with it.
    Positional(u32),
    /// `{{name}}`: lowercase letters and `_` (reference §2.5, §6.5).
    Named(&'a str),
}

impl Variable<'_> {
    pub fn format(&self) -> ParameterFormat {
        match self {
            Variable::Positional(_) => ParameterFormat::Positional,
            Variable::Named(_) => ParameterFormat::Named,
        }
    }
}

/// One `{{…}}` in a text: where it is, what it says, and the variable it names if it is
/// well-formed (`None` for `{{ 1 }}`, `{{First}}`, `{{01}}`, `{{}}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placeholder<'a> {
    /// Byte offset of the opening `{{`.
    pub start: usize,
    /// Byte offset just past the closing `}}`.
    pub end: usize,
    /// The whole token, braces included.
    pub raw: &'a str,
    pub variable: Option<Variable<'a>>,
}

/// Every `{{…}}` of `text`, in order. A `{{` without a closing `}}` is plain text.
pub fn placeholders(text: &str) -> Vec<Placeholder<'_>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| from + i) {
        let Some(close) = text[open + 2..].find("}}").map(|i| open + 2 + i) else {
            break;
        };
        // `{{{{1}}` holds one placeholder, the innermost `{{1}}`.
        let start = text[open..close].rfind("{{").map_or(open, |i| open + i);
        let end = close + 2;
        out.push(Placeholder {
            start,
            end,
            raw: &text[start..end],
            variable: variable(&text[start + 2..close]),
        });
        from = end;
    }
    out
}

/// The variable `inner` (the text between the braces) names, if well-formed.
fn variable(inner: &str) -> Option<Variable<'_>> {
    let digits = !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit());
    if digits {
        if inner.len() > 1 && inner.starts_with('0') {
            return None;
        }
        return inner.parse().ok().map(Variable::Positional);
    }
    let named = !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    named.then_some(Variable::Named(inner))
}

/// The distinct well-formed variables of `text`, in order of first appearance.
pub fn variables(text: &str) -> Vec<Variable<'_>> {
    let mut out: Vec<Variable<'_>> = Vec::new();
    for v in placeholders(text).into_iter().filter_map(|p| p.variable) {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// How many parameter values `text` takes: its distinct variables (`{{1}}` used twice takes
/// one value).
pub fn count(text: &str) -> usize {
    variables(text).len()
}

/// Values for the variables of a text.
#[derive(Debug, Clone, Copy)]
pub enum Params<'a> {
    /// `values[0]` fills `{{1}}`, `values[1]` fills `{{2}}`…
    Positional(&'a [&'a str]),
    /// `(name, value)` pairs; `{{name}}` takes the value of the first pair with that name.
    Named(&'a [(&'a str, &'a str)]),
}

impl<'a> Params<'a> {
    fn value(&self, v: &Variable<'_>) -> Option<&'a str> {
        match (self, v) {
            (Params::Positional(values), Variable::Positional(n)) => {
                let i = usize::try_from(*n).ok()?.checked_sub(1)?;
                values.get(i).copied()
            }
            (Params::Named(pairs), Variable::Named(name)) => pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, value)| *value),
            _ => None,
        }
    }
}

/// `text` with each variable replaced by its value. A variable without a value (or of the
/// other style) is left as written, so a preview shows what is missing; values are inserted
/// as they are and never scanned for variables themselves.
pub fn render(text: &str, params: &Params<'_>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for p in placeholders(text) {
        out.push_str(&text[at..p.start]);
        match p.variable.and_then(|v| params.value(&v)) {
            Some(value) => out.push_str(value),
            None => out.push_str(p.raw),
        }
        at = p.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Whether two variables follow each other with only spaces or punctuation between
/// (`{{1}} {{2}}`). Meta's review rejects that as `INVALID_FORMAT` (reference §6.5), so the
/// sandbox reviewer uses this; it is not a create-time error.
pub fn has_adjacent_variables(text: &str) -> bool {
    placeholders(text).windows(2).any(|pair| {
        text[pair[0].end..pair[1].start]
            .chars()
            .all(|c| c.is_whitespace() || is_edge_punctuation(c))
    })
}

/// Punctuation Meta ignores when it checks whether a text starts or ends with a variable
/// ("…total is {{2}}." ends with one). Braces are not in the set.
pub(super) fn is_edge_punctuation(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | ';' | ':' | '!' | '?' | '¡' | '¿' | '(' | ')' | '"' | '\'' | '-' | '–' | '—'
    )
}

/// Words of `text` that are not variables: whitespace-separated runs holding a letter or
/// digit, once every `{{…}}` is taken out.
pub(super) fn words_outside_variables(text: &str) -> usize {
    let mut rest = String::with_capacity(text.len());
    let mut at = 0;
    for p in placeholders(text) {
        rest.push_str(&text[at..p.start]);
        rest.push(' ');
        at = p.end;
    }
    rest.push_str(&text[at..]);
    rest.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_format_defaults_to_positional_and_reads_any_case() {
        assert_eq!(ParameterFormat::default(), ParameterFormat::Positional);
        assert_eq!(
            ParameterFormat::parse("named").unwrap(),
            ParameterFormat::Named
        );
        assert_eq!(ParameterFormat::Positional.as_str(), "POSITIONAL");
        assert_eq!(
            ParameterFormat::parse("mixed").unwrap_err().field,
            "parameter_format"
        );
    }

    #[test]
    fn finds_positional_and_named_variables() {
        let text = "Hi {{1}}, order {{2}} for {{customer_name}} ({{1}})";
        let found: Vec<_> = placeholders(text).iter().map(|p| p.variable).collect();
        assert_eq!(
            found,
            [
                Some(Variable::Positional(1)),
                Some(Variable::Positional(2)),
                Some(Variable::Named("customer_name")),
                Some(Variable::Positional(1)),
            ]
        );
        assert_eq!(
            variables(text),
            [
                Variable::Positional(1),
                Variable::Positional(2),
                Variable::Named("customer_name")
            ]
        );
        assert_eq!(count(text), 3);
        let first = placeholders(text)[0];
        assert_eq!((first.start, first.end, first.raw), (3, 8, "{{1}}"));
        assert_eq!(Variable::Named("x").format(), ParameterFormat::Named);
    }

    #[test]
    fn malformed_tokens_are_found_but_name_no_variable() {
        for bad in [
            "{{ 1 }}",
            "{{First}}",
            "{{01}}",
            "{{}}",
            "{{name1}}",
            "{{a-b}}",
            "{{é}}",
        ] {
            let p = placeholders(bad);
            assert_eq!(p.len(), 1, "{bad}");
            assert_eq!((p[0].raw, p[0].variable), (bad, None), "{bad}");
        }
        assert_eq!(
            placeholders("{{0}}")[0].variable,
            Some(Variable::Positional(0))
        );
        assert!(placeholders("no {{ closing").is_empty());
        assert!(placeholders("{1} and %1 and [[1]]").is_empty());
        let nested = placeholders("x {{{{2}} y");
        assert_eq!(nested.len(), 1);
        assert_eq!((nested[0].raw, nested[0].start), ("{{2}}", 4));
        assert_eq!(count("plain text"), 0);
    }

    #[test]
    fn render_positional() {
        let text = "Hi {{1}}, your order {{2}} ships {{3}}. Bye {{1}}!";
        let out = render(text, &Params::Positional(&["Ana", "#42", "today"]));
        assert_eq!(out, "Hi Ana, your order #42 ships today. Bye Ana!");
    }

    #[test]
    fn render_named_in_any_order() {
        let text = "Hi {{first_name}}, code {{code}}";
        let out = render(
            text,
            &Params::Named(&[("code", "X1"), ("first_name", "Émile")]),
        );
        assert_eq!(out, "Hi Émile, code X1");
    }

    #[test]
    fn render_keeps_missing_and_foreign_variables_and_does_not_rescan_values() {
        assert_eq!(
            render("{{1}} and {{2}}", &Params::Positional(&["a"])),
            "a and {{2}}"
        );
        assert_eq!(
            render("{{name}} {{1}}", &Params::Positional(&["x"])),
            "{{name}} x"
        );
        assert_eq!(
            render("{{1}} {{name}}", &Params::Named(&[("name", "n")])),
            "{{1}} n"
        );
        assert_eq!(
            render("{{1}}!", &Params::Positional(&["{{2}}", "oops"])),
            "{{2}}!"
        );
        assert_eq!(
            render("{{0}} {{ 1 }}", &Params::Positional(&["a"])),
            "{{0}} {{ 1 }}"
        );
        assert_eq!(
            render("no variables", &Params::Positional(&[])),
            "no variables"
        );
    }

    #[test]
    fn adjacency() {
        assert!(has_adjacent_variables("Hi {{1}} {{2}}, welcome"));
        assert!(has_adjacent_variables("Hi {{1}}{{2}}"));
        assert!(has_adjacent_variables("Hi {{1}}, {{2}} there"));
        assert!(!has_adjacent_variables("Hi {{1}} and {{2}}"));
        assert!(!has_adjacent_variables("Hi {{1}}"));
    }

    #[test]
    fn words_outside_variables_ignore_punctuation_only_runs() {
        assert_eq!(
            words_outside_variables(
                "Hello {{1}}, your order {{2}} for {{3}} will be delivered by {{4}}."
            ),
            8
        );
        assert_eq!(words_outside_variables("{{1}}{{2}}"), 0);
        assert_eq!(
            words_outside_variables("Get Rs {{1}} off above {{2}}Rs!"),
            5
        );
    }
}
