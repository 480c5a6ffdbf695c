//! A flow's screens as one readable HTML page (the `preview_url` Meta answers opens its web
//! preview; ours shows the same content without scripts or external assets): each screen's
//! title, its texts, its inputs with their labels, the options of dropdowns, radio buttons
//! and checkboxes, and its footer button. Dynamic values (`${data.…}`) are shown as written.
//! Every text from the flow is HTML-escaped.

use std::fmt::Write;

use serde_json::Value;

/// The page for a flow named `name` whose Flow JSON is `json` (already parsed).
pub fn render(name: &str, json: &Value) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Flow preview</title><style>{STYLE}</style></head><body>\
         <h1>{}</h1>",
        escape(name),
        escape(name)
    );
    let screens = json
        .get("screens")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if screens.is_empty() {
        out.push_str("<p class=\"empty\">This flow has no screens.</p>");
    }
    for s in &screens {
        let id = s.get("id").and_then(Value::as_str).unwrap_or("");
        let title = s.get("title").and_then(Value::as_str).unwrap_or(id);
        let terminal = s.get("terminal").and_then(Value::as_bool) == Some(true);
        let _ = write!(
            out,
            "<section class=\"screen\" id=\"screen-{}\"><h2>{}</h2><p class=\"id\">{}{}</p>",
            escape(id),
            escape(title),
            escape(id),
            if terminal { " · terminal" } else { "" }
        );
        if let Some(children) = s.pointer("/layout/children") {
            components(&mut out, children);
        }
        out.push_str("</section>");
    }
    out.push_str("</body></html>\n");
    out
}

const STYLE: &str = "body{font-family:sans-serif;max-width:28rem;margin:1rem auto;background:#f0f2f5}\
.screen{background:#fff;border-radius:8px;padding:1rem;margin:1rem 0}\
.id{color:#667;font-size:.8rem}label{display:block;margin:.5rem 0 .2rem}\
button{width:100%;padding:.6rem;background:#25d366;border:0;border-radius:20px;color:#fff}";

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => escape(s),
        Some(Value::Array(lines)) => lines
            .iter()
            .filter_map(Value::as_str)
            .map(escape)
            .collect::<Vec<_>>()
            .join("<br>"),
        Some(other) => escape(&other.to_string()),
        None => String::new(),
    }
}

fn components(out: &mut String, children: &Value) {
    for c in children.as_array().into_iter().flatten() {
        component(out, c);
    }
}

fn component(out: &mut String, c: &Value) {
    let kind = c.get("type").and_then(Value::as_str).unwrap_or("");
    let name = text(c, "name");
    let label = text(c, "label");
    let required = if c.get("required").and_then(Value::as_bool) == Some(true) {
        " required"
    } else {
        ""
    };
    let _ = match kind {
        "TextHeading" => write!(out, "<h3>{}</h3>", text(c, "text")),
        "TextSubheading" => write!(out, "<h4>{}</h4>", text(c, "text")),
        "TextBody" | "RichText" => write!(out, "<p>{}</p>", text(c, "text")),
        "TextCaption" => write!(out, "<p><small>{}</small></p>", text(c, "text")),
        "TextInput" | "DatePicker" | "CalendarPicker" | "PhotoPicker" | "DocumentPicker" => {
            let input = match (kind, c.get("input-type").and_then(Value::as_str)) {
                ("DatePicker" | "CalendarPicker", _) => "date",
                ("PhotoPicker" | "DocumentPicker", _) => "file",
                (_, Some("email")) => "email",
                (_, Some("number")) => "number",
                (_, Some("phone")) => "tel",
                (_, Some("password" | "passcode")) => "password",
                _ => "text",
            };
            write!(
                out,
                "<label for=\"{name}\">{label}</label><input type=\"{input}\" id=\"{name}\" name=\"{name}\"{required}>"
            )
        }
        "TextArea" => write!(
            out,
            "<label for=\"{name}\">{label}</label><textarea id=\"{name}\" name=\"{name}\"{required}></textarea>"
        ),
        "Dropdown" | "ChipsSelector" => {
            let _ = write!(
                out,
                "<label for=\"{name}\">{label}</label><select id=\"{name}\" name=\"{name}\"{required}>"
            );
            for (id, title) in options(c) {
                let _ = write!(out, "<option value=\"{id}\">{title}</option>");
            }
            write!(out, "</select>")
        }
        "RadioButtonsGroup" | "CheckboxGroup" => {
            let input = if kind == "RadioButtonsGroup" {
                "radio"
            } else {
                "checkbox"
            };
            let _ = write!(out, "<fieldset><legend>{label}</legend>");
            for (id, title) in options(c) {
                let _ = write!(
                    out,
                    "<label><input type=\"{input}\" name=\"{name}\" value=\"{id}\"> {title}</label>"
                );
            }
            write!(out, "</fieldset>")
        }
        "OptIn" => write!(
            out,
            "<label><input type=\"checkbox\" name=\"{name}\"{required}> {label}</label>"
        ),
        "EmbeddedLink" => write!(out, "<p><a href=\"#\">{}</a></p>", text(c, "text")),
        "Image" => write!(out, "<p>[image: {}]</p>", text(c, "alt-text")),
        "Footer" => write!(out, "<button type=\"button\">{label}</button>"),
        "Form" => {
            let _ = write!(out, "<form name=\"{name}\">");
            components(out, c.get("children").unwrap_or(&Value::Null));
            write!(out, "</form>")
        }
        "If" => {
            let _ = write!(out, "<div class=\"if\">If {}:", text(c, "condition"));
            components(out, c.get("then").unwrap_or(&Value::Null));
            if let Some(e) = c.get("else") {
                out.push_str("Otherwise:");
                components(out, e);
            }
            write!(out, "</div>")
        }
        "Switch" => {
            for (case, children) in c
                .get("cases")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let _ = write!(out, "<div class=\"case\">When {}:", escape(case));
                components(out, children);
                out.push_str("</div>");
            }
            Ok(())
        }
        other => write!(out, "<p>[{}]</p>", escape(other)),
    };
}

/// A selection's options as `(id, title)`, escaped; a dynamic data source as one option
/// naming it.
fn options(c: &Value) -> Vec<(String, String)> {
    match c.get("data-source") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|o| (text(o, "id"), text(o, "title")))
            .collect(),
        Some(Value::String(dynamic)) => vec![(String::new(), escape(dynamic))],
        _ => Vec::new(),
    }
}

/// `s` safe inside HTML text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn screens_render_with_their_components_escaped() {
        let flow = json!({"version": "6.0", "screens": [{
        "id": "SIGN_UP", "title": "Sign <up>", "terminal": true,
        "layout": {"type": "SingleColumnLayout", "children": [
            {"type": "TextHeading", "text": "Join us"},
            {"type": "Form", "name": "f", "children": [
                {"type": "TextInput", "name": "email", "label": "Email", "input-type": "email", "required": true},
                {"type": "Dropdown", "name": "size", "label": "Size",
                 "data-source": [{"id": "s", "title": "Small"}, {"id": "l", "title": "Large"}]},
                {"type": "RadioButtonsGroup", "name": "when", "label": "When",
                 "data-source": [{"id": "am", "title": "Morning"}]}
            ]},
            {"type": "Footer", "label": "Done", "on-click-action": {"name": "complete"}}
        ]}}]});
        let html = render("Shop & go", &flow);
        for part in [
            "<h1>Shop &amp; go</h1>",
            "<h2>Sign &lt;up&gt;</h2>",
            "<h3>Join us</h3>",
            "<label for=\"email\">Email</label><input type=\"email\" id=\"email\" name=\"email\" required>",
            "<option value=\"s\">Small</option><option value=\"l\">Large</option>",
            "<input type=\"radio\" name=\"when\" value=\"am\"> Morning",
            "<button type=\"button\">Done</button>",
        ] {
            assert!(html.contains(part), "{part} not in {html}");
        }
        assert!(!html.contains("http"), "no external assets");
    }
}
