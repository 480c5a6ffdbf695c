//! HEADER, BODY and FOOTER: lengths, variables and their examples, and where variables may
//! stand.

use super::{Ctx, check_len, violation};
use crate::template::TemplateErrorKind::{self, *};
use crate::template::component::{Body, Example, Footer, Header};
use crate::template::error::TemplateError;
use crate::template::limits::{
    CODE_EXPIRATION_MINUTES, FOOTER_TEXT, HEADER_TEXT, HEADER_VARIABLES,
};
use crate::template::variables::{
    Variable, is_edge_punctuation, placeholders, variables, words_outside_variables,
};
use crate::template::{ParameterFormat, TemplateCategory};

/// The texts Meta sets as the body of an authentication template (ignoring `*` bold marks):
/// the code line, and with `add_security_recommendation` the security line after it. A
/// template read back from Meta carries one of them, so an edit that sends it back passes.
const AUTHENTICATION_BODIES: &[&str] = &[
    "{{1}} is your verification code.",
    "{{1}} is your verification code. For your security, do not share this code.",
];

pub(super) fn header(h: &Header, path: &str, ctx: &Ctx) -> Result<(), TemplateError> {
    match h {
        Header::Text { text, example } => {
            let field = format!("{path}.text");
            check_len(&field, "header text", text, HEADER_TEXT)?;
            let vars = check_variables(text, &field, ctx.format, HeaderFormat)?;
            if vars.len() > HEADER_VARIABLES {
                return Err(violation(
                    HeaderFormat,
                    field,
                    format!(
                        "a header takes at most one variable (found {}); move the others into the body",
                        vars.len()
                    ),
                ));
            }
            let keys = ("header_text", "header_text_named_params");
            check_examples(example, &vars, path, ctx.format, keys, HeaderFormat)
        }
        Header::Media { format, handles } => {
            if handles.iter().all(|h| h.trim().is_empty()) {
                return Err(violation(
                    HeaderFormat,
                    format!("{path}.example.header_handle"),
                    format!(
                        "a {format} header needs a sample: upload it (Resumable Upload) and give its handle in example.header_handle"
                    ),
                ));
            }
            Ok(())
        }
        Header::Location | Header::Product => Ok(()),
    }
}

/// A BODY, of a template (`max` 1024) or of a carousel card (`max` 160).
pub(super) fn body(b: &Body, path: &str, ctx: &Ctx, max: usize) -> Result<(), TemplateError> {
    let field = format!("{path}.text");
    if ctx.category == TemplateCategory::Authentication {
        return match &b.text {
            Some(text) if !is_authentication_body(text) => Err(violation(
                BodyFormat,
                field,
                "AUTHENTICATION templates use Meta's preset text (\"{{1}} is your verification code.\"); remove `text` and set add_security_recommendation to add the security line",
            )),
            _ => Ok(()),
        };
    }
    if b.add_security_recommendation == Some(true) {
        return Err(violation(
            BodyFormat,
            format!("{path}.add_security_recommendation"),
            "only AUTHENTICATION templates take add_security_recommendation; remove it",
        ));
    }
    let text = match b.text.as_deref() {
        Some(text) if !text.trim().is_empty() => text,
        _ => {
            return Err(violation(
                BodyFormat,
                field,
                format!("a BODY needs `text`, the message of at most {max} characters"),
            ));
        }
    };
    check_len(&field, "body text", text, max)?;
    let vars = check_variables(text, &field, ctx.format, BodyFormat)?;
    let keys = ("body_text", "body_text_named_params");
    check_examples(&b.example, &vars, path, ctx.format, keys, BodyFormat)?;
    check_placement(text, &field)?;
    check_density(text, &field)
}

pub(super) fn footer(f: &Footer, path: &str, ctx: &Ctx) -> Result<(), TemplateError> {
    if ctx.category == TemplateCategory::Authentication {
        if f.text.is_some() {
            return Err(violation(
                FooterFormat,
                format!("{path}.text"),
                "an AUTHENTICATION footer takes only code_expiration_minutes; remove `text`",
            ));
        }
        return match f.code_expiration_minutes {
            Some(m) if !CODE_EXPIRATION_MINUTES.contains(&m) => Err(violation(
                FooterFormat,
                format!("{path}.code_expiration_minutes"),
                format!(
                    "must be {} to {} minutes (got {m})",
                    CODE_EXPIRATION_MINUTES.start(),
                    CODE_EXPIRATION_MINUTES.end()
                ),
            )),
            _ => Ok(()),
        };
    }
    if f.code_expiration_minutes.is_some() {
        return Err(violation(
            FooterFormat,
            format!("{path}.code_expiration_minutes"),
            "only AUTHENTICATION templates take code_expiration_minutes; remove it",
        ));
    }
    let field = format!("{path}.text");
    let text = match f.text.as_deref() {
        Some(text) if !text.trim().is_empty() => text,
        _ => {
            return Err(violation(
                FooterFormat,
                field,
                format!("a FOOTER needs `text` of at most {FOOTER_TEXT} characters"),
            ));
        }
    };
    check_len(&field, "footer text", text, FOOTER_TEXT)?;
    if let Some(p) = placeholders(text).first() {
        return Err(violation(
            FooterFormat,
            field,
            format!(
                "a footer can't hold variables; remove {} or move it into the body",
                p.raw
            ),
        ));
    }
    Ok(())
}

/// Whether `text` is one of Meta's authentication bodies.
fn is_authentication_body(text: &str) -> bool {
    let plain: String = text.chars().filter(|c| *c != '*').collect();
    AUTHENTICATION_BODIES.contains(&plain.trim())
}

/// The distinct variables of `text`, once each `{{…}}` is known to be a variable of the
/// template's style and positional ones run from `{{1}}` without gaps.
fn check_variables<'t>(
    text: &'t str,
    field: &str,
    format: ParameterFormat,
    rule: TemplateErrorKind,
) -> Result<Vec<Variable<'t>>, TemplateError> {
    for p in placeholders(text) {
        let message = match (p.variable, format) {
            (None, _) => format!(
                "`{}` is not a variable: write {{{{1}}}}, {{{{2}}}}… (positional) or {{{{first_name}}}} in lowercase letters and underscores (named), with no spaces",
                p.raw
            ),
            (Some(Variable::Named(_)), ParameterFormat::Positional) => format!(
                "`{}` is a named variable but parameter_format is POSITIONAL; use {{{{1}}}}, {{{{2}}}}… or set parameter_format to NAMED",
                p.raw
            ),
            (Some(Variable::Positional(_)), ParameterFormat::Named) => format!(
                "`{}` is a positional variable but parameter_format is NAMED; give it a name such as {{{{first_name}}}}",
                p.raw
            ),
            _ => continue,
        };
        return Err(violation(rule, field, message));
    }
    let vars = variables(text);
    let mut numbers: Vec<u32> = vars
        .iter()
        .filter_map(|v| match v {
            Variable::Positional(n) => Some(*n),
            Variable::Named(_) => None,
        })
        .collect();
    numbers.sort_unstable();
    for (expected, n) in (1u32..).zip(&numbers) {
        if *n != expected {
            return Err(violation(
                rule,
                field,
                format!(
                    "variables are numbered from {{{{1}}}} without gaps: expected {{{{{expected}}}}} but found {{{{{n}}}}}"
                ),
            ));
        }
    }
    Ok(vars)
}

/// A sample value for each variable (reference §6.5): `example.<positional>` with exactly
/// one value per positional variable, or `example.<named>` with one `param_name` per named
/// variable. Examples of a text without variables are not read.
fn check_examples(
    example: &Example,
    vars: &[Variable<'_>],
    path: &str,
    format: ParameterFormat,
    (positional, named): (&str, &str),
    rule: TemplateErrorKind,
) -> Result<(), TemplateError> {
    if vars.is_empty() {
        return Ok(());
    }
    let n = vars.len();
    let err = |field: String, message: String| Err(violation(rule, field, message));
    match (format, example) {
        (ParameterFormat::Positional, Example::Positional(values)) => {
            let field = format!("{path}.example.{positional}");
            if values.len() != n {
                return err(
                    field,
                    format!(
                        "has {} sample values for {n} variables; give exactly one per variable, in order",
                        values.len()
                    ),
                );
            }
            if let Some(i) = values.iter().position(|v| v.trim().is_empty()) {
                return err(
                    format!("{field}[{i}]"),
                    "sample values must not be empty".to_owned(),
                );
            }
            Ok(())
        }
        (ParameterFormat::Named, Example::Named(pairs)) => {
            let field = format!("{path}.example.{named}");
            for (i, pair) in pairs.iter().enumerate() {
                let known = vars.contains(&Variable::Named(&pair.param_name));
                if !known {
                    return err(
                        format!("{field}[{i}].param_name"),
                        format!(
                            "`{}` is not a variable of the text; remove it or fix the name",
                            pair.param_name
                        ),
                    );
                }
                if pairs[..i].iter().any(|p| p.param_name == pair.param_name) {
                    return err(
                        format!("{field}[{i}].param_name"),
                        format!("`{}` has two samples; give one", pair.param_name),
                    );
                }
                if pair.example.trim().is_empty() {
                    return err(
                        format!("{field}[{i}].example"),
                        "sample values must not be empty".to_owned(),
                    );
                }
            }
            for v in vars {
                if let Variable::Named(name) = v
                    && !pairs.iter().any(|p| p.param_name == *name)
                {
                    return err(
                        field,
                        format!(
                            "no sample for {{{{{name}}}}}; add {{\"param_name\": \"{name}\", \"example\": \"…\"}}"
                        ),
                    );
                }
            }
            Ok(())
        }
        (ParameterFormat::Positional, _) => err(
            format!("{path}.example"),
            format!(
                "the text has {n} variables; add example.{positional} with one sample value for each"
            ),
        ),
        (ParameterFormat::Named, _) => err(
            format!("{path}.example"),
            format!(
                "the text has {n} named variables; add example.{named} with a param_name and example for each"
            ),
        ),
    }
}

/// A body may not start or end with a variable (2388299). Meta looks past spaces and
/// punctuation: "Your code is {{1}}." ends with one.
fn check_placement(text: &str, field: &str) -> Result<(), TemplateError> {
    let inner = text.trim_matches(|c: char| c.is_whitespace() || is_edge_punctuation(c));
    let found = placeholders(inner);
    let (Some(first), Some(last)) = (found.first(), found.last()) else {
        return Ok(());
    };
    let message = if first.start == 0 {
        format!(
            "the text starts with {}; add words before it (\"Hi {},\")",
            first.raw, first.raw
        )
    } else if last.end == inner.len() {
        format!("the text ends with {}; add words after it", last.raw)
    } else {
        return Ok(());
    };
    Err(violation(DanglingVariable, field, message))
}

/// Not too many variables for the length of the text (2388293). The reference gives no
/// figure; this is the rule BSPs observed and document (Syniverse, Mercuri, Maqsam): with
/// `p` variables, at least `2p + 1` other words.
fn check_density(text: &str, field: &str) -> Result<(), TemplateError> {
    let p = placeholders(text).len();
    if p == 0 {
        return Ok(());
    }
    let words = words_outside_variables(text);
    let needed = 2 * p + 1;
    if words < needed {
        return Err(violation(
            TooManyVariables,
            field,
            format!(
                "{p} variables need at least {needed} other words around them (found {words}); add text or use fewer variables"
            ),
        ));
    }
    Ok(())
}
