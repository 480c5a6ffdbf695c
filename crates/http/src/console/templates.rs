//! Templates (`/console/templates`): the list, the create and edit form with a live preview and the core's lint, status history.
//!
//! The form is turned into the body of Meta's `POST /{waba_id}/message_templates` (or of an
//! edit, `POST /{template_id}`), which goes through the very parse and lint the Cloud plane
//! runs ([`TemplateDraft::parse`], [`lint`]); the live check answers the preview and the
//! first error beside the field it names, and the submit calls the same services
//! (`App::create_template`, `App::edit_template`).

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use wagate_core::error::ErrorCode;
use wagate_core::ids::{TemplateId, WabaId};
use wagate_core::template::{
    QualityScore, TemplateCategory, TemplateDraft, TemplateEdit, TemplateError, TemplateStatus,
    lint,
};
use wagate_store::{Page, TemplateFilter};

use super::contacts::{form, given};
use super::home::visible_channels;
use super::{Chrome, Console, page};
use crate::error::ApiError;
use crate::extract::Query;
use crate::state::AppState;

const PAGE_SIZE: u32 = 25;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/templates", get(list).post(create))
        .route("/console/templates/new", get(new_form))
        .route("/console/templates/check", post(check))
        .route("/console/templates/{id}", get(show).post(edit))
        .route("/console/templates/{id}/edit", get(edit_form))
        .route("/console/templates/{id}/status", get(status_fragment))
}

/// The WABAs of the channels the key sees, each once, in the channels' order.
async fn wabas(state: &AppState, console: &Console) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for c in visible_channels(state, console).await? {
        let w = c.waba_id.to_string();
        if !out.contains(&w) {
            out.push(w);
        }
    }
    Ok(out)
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    waba: Option<String>,
    name: Option<String>,
    status: Option<String>,
    category: Option<String>,
    quality: Option<String>,
    after: Option<String>,
}

struct Row {
    id: String,
    name: String,
    language: String,
    category: &'static str,
    status: &'static str,
    quality: &'static str,
}

impl Row {
    fn of(t: &wagate_store::Template) -> Self {
        Self {
            id: t.id.to_string(),
            name: t.name.as_str().to_owned(),
            language: t.language.as_str().to_owned(),
            category: t.category.as_str(),
            status: t.status.as_str(),
            quality: t.quality_score.map_or("", QualityScore::as_str),
        }
    }
}

#[derive(Template)]
#[template(path = "console/templates/list.html")]
struct ListPage {
    chrome: Chrome,
    wabas: Vec<String>,
    waba: String,
    name: String,
    status: String,
    category: String,
    quality: String,
    statuses: Vec<&'static str>,
    categories: Vec<&'static str>,
    qualities: Vec<&'static str>,
    rows: Vec<Row>,
    total: u64,
    next: Option<String>,
}

fn bad_query(field: &str) -> impl Fn(wagate_core::error::ValidationError) -> ApiError + '_ {
    move |e| ApiError::new(ErrorCode::InvalidQuery, e.message).field(field)
}

async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let wabas = wabas(&state, &console).await?;
    let waba = given(&q.waba).or_else(|| wabas.first().cloned());
    let filter = TemplateFilter {
        name: given(&q.name),
        statuses: given(&q.status)
            .map(|s| TemplateStatus::parse(&s).map_err(bad_query("status")))
            .transpose()?
            .into_iter()
            .collect(),
        categories: given(&q.category)
            .map(|s| TemplateCategory::parse(&s).map_err(bad_query("category")))
            .transpose()?
            .into_iter()
            .collect(),
        quality_scores: given(&q.quality)
            .map(|s| QualityScore::parse(&s).map_err(bad_query("quality")))
            .transpose()?
            .into_iter()
            .collect(),
        ..TemplateFilter::default()
    };
    let after = given(&q.after)
        .map(|a| {
            TemplateId::parse(&a).map_err(|_| {
                ApiError::new(ErrorCode::InvalidQuery, "is not an id from a previous page")
                    .field("after")
            })
        })
        .transpose()?;
    let (mut rows, total, w) = match &waba {
        None => (Vec::new(), 0, String::new()),
        Some(w) => {
            let id = waba_id(&state, &console, w).await?;
            let (rows, total) = state
                .app
                .list_templates(
                    &console.principal,
                    &id,
                    &filter,
                    &Page::after(after, PAGE_SIZE + 1),
                )
                .await?;
            (rows, total, w.clone())
        }
    };
    let more = rows.len() > PAGE_SIZE as usize;
    rows.truncate(PAGE_SIZE as usize);
    let next = match rows.last() {
        Some(last) if more => {
            let mut s = form_urlencoded::Serializer::new(String::new());
            s.append_pair("waba", &w);
            for (k, v) in [
                ("name", &q.name),
                ("status", &q.status),
                ("category", &q.category),
                ("quality", &q.quality),
            ] {
                if let Some(v) = given(v) {
                    s.append_pair(k, &v);
                }
            }
            s.append_pair("after", last.id.as_str());
            Some(format!("/console/templates?{}", s.finish()))
        }
        _ => None,
    };
    page(&ListPage {
        chrome: Chrome::new(&console, "templates", "Templates"),
        wabas,
        waba: w,
        name: given(&q.name).unwrap_or_default(),
        status: given(&q.status).unwrap_or_default().to_ascii_uppercase(),
        category: given(&q.category).unwrap_or_default().to_ascii_uppercase(),
        quality: given(&q.quality).unwrap_or_default().to_ascii_uppercase(),
        statuses: TemplateStatus::ALL.iter().map(|s| s.as_str()).collect(),
        categories: TemplateCategory::ALL.iter().map(|s| s.as_str()).collect(),
        qualities: QualityScore::ALL.iter().map(|s| s.as_str()).collect(),
        rows: rows.iter().map(Row::of).collect(),
        total,
        next,
    })
}

/// One of the key's WABAs (the Cloud plane's check; anything else is "not found").
async fn waba_id(state: &AppState, console: &Console, raw: &str) -> Result<WabaId, ApiError> {
    crate::cloud::waba(state, &console.principal, raw).await
}

/// The form's fields, as typed.
#[derive(Debug, Default, Deserialize, Clone)]
struct DraftForm {
    #[serde(default)]
    waba: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    header: String,
    #[serde(default)]
    body: String,
    /// The body's example values, one a line.
    #[serde(default)]
    examples: String,
    #[serde(default)]
    footer: String,
    /// Quick-reply buttons, one a line.
    #[serde(default)]
    buttons: String,
}

impl DraftForm {
    fn example_values(&self) -> Vec<String> {
        self.examples
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The components as Meta's body has them, and the form field each one came from.
    fn components(&self) -> (Value, Vec<&'static str>) {
        let mut out = Vec::new();
        let mut from = Vec::new();
        if !self.header.trim().is_empty() {
            out.push(json!({"type": "HEADER", "format": "TEXT", "text": self.header}));
            from.push("header");
        }
        let mut body = json!({"type": "BODY", "text": self.body});
        let examples = self.example_values();
        if !examples.is_empty() {
            body["example"] = json!({"body_text": [examples]});
        }
        out.push(body);
        from.push("body");
        if !self.footer.trim().is_empty() {
            out.push(json!({"type": "FOOTER", "text": self.footer}));
            from.push("footer");
        }
        let buttons: Vec<Value> = self
            .buttons
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|t| json!({"type": "QUICK_REPLY", "text": t}))
            .collect();
        if !buttons.is_empty() {
            out.push(json!({"type": "BUTTONS", "buttons": buttons}));
            from.push("buttons");
        }
        (Value::Array(out), from)
    }

    /// Meta's create body.
    fn create_body(&self) -> (Value, Vec<&'static str>) {
        let (components, from) = self.components();
        (
            json!({
                "name": self.name.trim(),
                "language": self.language.trim(),
                "category": self.category.trim(),
                "components": components,
            }),
            from,
        )
    }

    /// The core's parse and lint of the create body, as the Cloud plane runs them.
    fn lint(&self) -> Result<TemplateDraft, FieldError> {
        let (body, from) = self.create_body();
        let draft = TemplateDraft::parse(&body).map_err(|e| FieldError::of(&e, &from))?;
        lint(&draft).map_err(|e| FieldError::of(&e, &from))?;
        Ok(draft)
    }
}

/// A lint error and the form field it belongs beside.
#[derive(Debug, Clone)]
struct FieldError {
    field: &'static str,
    path: String,
    message: String,
}

impl FieldError {
    fn of(e: &TemplateError, from: &[&'static str]) -> Self {
        let path = e.field.as_str();
        let field = if path.starts_with("name") {
            "name"
        } else if path.starts_with("language") {
            "language"
        } else if path.starts_with("category") {
            "category"
        } else if let Some(rest) = path.strip_prefix("components[") {
            let i: usize = rest
                .split(']')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(usize::MAX);
            match from.get(i).copied() {
                Some("body") if path.contains("example") => "examples",
                Some(f) => f,
                None => "body",
            }
        } else if path.starts_with("components") {
            "body"
        } else {
            "form"
        };
        Self {
            field,
            path: e.field.clone(),
            message: e.message.clone(),
        }
    }
}

/// What the phone shows: the header, the body with the examples filled in, the footer and
/// the buttons.
#[derive(Debug, Clone)]
struct Preview {
    header: String,
    body: String,
    footer: String,
    buttons: Vec<String>,
}

impl Preview {
    fn of(f: &DraftForm) -> Self {
        let examples = f.example_values();
        let mut body = f.body.clone();
        for (i, v) in examples.iter().enumerate() {
            body = body.replace(&format!("{{{{{}}}}}", i + 1), v);
        }
        Self {
            header: f.header.trim().to_owned(),
            body,
            footer: f.footer.trim().to_owned(),
            buttons: f
                .buttons
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// The form's fields that can carry an error.
const FIELDS: [&str; 8] = [
    "name", "language", "category", "header", "body", "examples", "footer", "buttons",
];

#[derive(Template)]
#[template(path = "console/templates/check.html")]
struct Check {
    preview: Preview,
    error: Option<FieldError>,
}

impl Check {
    fn of(f: &DraftForm) -> Self {
        Self {
            preview: Preview::of(f),
            error: f.lint().err(),
        }
    }

    /// Every field the form shows an error beside, with its error (blank for none).
    fn fields(&self) -> Vec<(&'static str, String)> {
        FIELDS.iter().map(|f| (*f, self.for_field(f))).collect()
    }

    /// The error's message when it belongs beside `field`.
    fn for_field(&self, field: &str) -> String {
        match &self.error {
            Some(e) if e.field == field => e.message.clone(),
            _ => String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "console/templates/form.html")]
struct FormPage {
    chrome: Chrome,
    /// `Some(id)` when editing.
    editing: Option<String>,
    wabas: Vec<String>,
    f: DraftForm,
    categories: Vec<&'static str>,
    check: Check,
}

async fn new_form(State(state): State<AppState>, console: Console) -> Result<Response, ApiError> {
    let wabas = wabas(&state, &console).await?;
    let f = DraftForm {
        waba: wabas.first().cloned().unwrap_or_default(),
        language: "en_US".into(),
        category: "UTILITY".into(),
        ..DraftForm::default()
    };
    page(&FormPage {
        chrome: Chrome::new(&console, "templates", "New template"),
        editing: None,
        wabas,
        check: Check {
            preview: Preview::of(&f),
            error: None,
        },
        f,
        categories: TemplateCategory::ALL.iter().map(|s| s.as_str()).collect(),
    })
}

/// The live check (`hx-trigger="input changed delay:400ms"`): the preview and the core's
/// lint error beside its field, answered 200 either way.
async fn check(_console: Console, body: Bytes) -> Result<Response, ApiError> {
    let f: DraftForm = form(&body)?;
    page(&Check::of(&f))
}

/// Creates the template through the same service as `POST /{waba_id}/message_templates`;
/// a lint error shows the form again with the error beside its field, nothing stored.
async fn create(
    State(state): State<AppState>,
    console: Console,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f: DraftForm = form(&body)?;
    let waba = waba_id(&state, &console, f.waba.trim()).await?;
    let draft = match f.lint() {
        Ok(d) => d,
        Err(e) => return invalid(&state, &console, None, f, e).await,
    };
    let t = match state
        .app
        .create_template(&console.principal, &waba, draft)
        .await
    {
        Ok(t) => t,
        Err(wagate_app::Error::Template(e)) => {
            let (_, from) = f.create_body();
            let e = FieldError::of(&e, &from);
            return invalid(&state, &console, None, f, e).await;
        }
        Err(e) => return Err(e.into()),
    };
    Ok(see(&format!("/console/templates/{}", t.id)))
}

/// The form again, 400, with `error` beside its field.
async fn invalid(
    state: &AppState,
    console: &Console,
    editing: Option<String>,
    f: DraftForm,
    error: FieldError,
) -> Result<Response, ApiError> {
    let wabas = wabas(state, console).await?;
    let page = FormPage {
        chrome: Chrome::new(console, "templates", "Fix the template"),
        editing,
        wabas,
        check: Check {
            preview: Preview::of(&f),
            error: Some(error),
        },
        f,
        categories: TemplateCategory::ALL.iter().map(|s| s.as_str()).collect(),
    };
    let html = page.render().map_err(ApiError::internal)?;
    Ok((
        axum::http::StatusCode::BAD_REQUEST,
        axum::response::Html(html),
    )
        .into_response())
}

/// A 303 to `to` (htmx follows `HX-Redirect`).
fn see(to: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert("HX-Redirect", v);
    }
    res
}

fn template_id(raw: &str) -> Result<TemplateId, ApiError> {
    TemplateId::parse(raw)
        .map_err(|_| ApiError::not_found(ErrorCode::TemplateNotFound, "template", raw))
}

async fn load(
    state: &AppState,
    console: &Console,
    id: &str,
) -> Result<wagate_store::Template, ApiError> {
    let tid = template_id(id)?;
    let t = state
        .app
        .get_template(&console.principal, &tid)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::TemplateNotFound, "template", id))?;
    // A channel-scoped key sees its channels' WABAs only.
    state
        .app
        .waba(&console.principal, &t.waba_id)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::TemplateNotFound, "template", id))?;
    Ok(t)
}

/// The form's fields from a stored template's components.
fn form_of(t: &wagate_store::Template) -> DraftForm {
    let mut f = DraftForm {
        waba: t.waba_id.to_string(),
        name: t.name.as_str().to_owned(),
        language: t.language.as_str().to_owned(),
        category: t.category.as_str().to_owned(),
        ..DraftForm::default()
    };
    for c in t.components.as_array().into_iter().flatten() {
        let text = c["text"].as_str().unwrap_or_default().to_owned();
        match c["type"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_uppercase()
            .as_str()
        {
            "HEADER" => f.header = text,
            "BODY" => {
                f.body = text;
                f.examples = c["example"]["body_text"][0]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("\n");
            }
            "FOOTER" => f.footer = text,
            "BUTTONS" => {
                f.buttons = c["buttons"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|b| b["text"].as_str())
                    .collect::<Vec<_>>()
                    .join("\n");
            }
            _ => {}
        }
    }
    f
}

/// One line of a template's history.
struct HistoryLine {
    at: String,
    status: String,
    note: String,
}

#[derive(Template)]
#[template(path = "console/templates/show.html")]
struct ShowPage {
    chrome: Chrome,
    id: String,
    name: String,
    language: String,
    waba: String,
    category: &'static str,
    quality: &'static str,
    editable: bool,
    status: StatusFragment,
    preview: Preview,
    /// Always none (the preview's lint line).
    error: Option<FieldError>,
}

#[derive(Template)]
#[template(path = "console/templates/status.html")]
struct StatusFragment {
    id: String,
    status: &'static str,
    /// Still waiting for review: the fragment polls.
    pending: bool,
    history: Vec<HistoryLine>,
}

impl StatusFragment {
    fn of(t: &wagate_store::Template) -> Self {
        let mut history = vec![HistoryLine {
            at: t.created_at.to_string(),
            status: "PENDING".into(),
            note: "created, submitted for review".into(),
        }];
        if t.updated_at != t.created_at || t.status != TemplateStatus::Pending {
            history.push(HistoryLine {
                at: t.updated_at.to_string(),
                status: t.status.as_str().to_owned(),
                note: match (t.rejected_reason, t.paused_until) {
                    (Some(r), _) => format!("rejected: {}", r.as_str()),
                    (None, Some(until)) => format!("paused until {until}"),
                    _ => String::new(),
                },
            });
        }
        history.reverse();
        Self {
            id: t.id.to_string(),
            status: t.status.as_str(),
            pending: t.status == TemplateStatus::Pending,
            history,
        }
    }
}

async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let t = load(&state, &console, &id).await?;
    let f = form_of(&t);
    page(&ShowPage {
        chrome: Chrome::new(
            &console,
            "templates",
            format!("Template {}", t.name.as_str()),
        ),
        id: t.id.to_string(),
        name: t.name.as_str().to_owned(),
        language: t.language.as_str().to_owned(),
        waba: t.waba_id.to_string(),
        category: t.category.as_str(),
        quality: t.quality_score.map_or("—", QualityScore::as_str),
        editable: t.status.is_editable(),
        status: StatusFragment::of(&t),
        preview: Preview::of(&f),
        error: None,
    })
}

async fn status_fragment(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let t = load(&state, &console, &id).await?;
    page(&StatusFragment::of(&t))
}

async fn edit_form(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let t = load(&state, &console, &id).await?;
    let f = form_of(&t);
    page(&FormPage {
        chrome: Chrome::new(&console, "templates", format!("Edit {}", t.name.as_str())),
        editing: Some(t.id.to_string()),
        wabas: vec![t.waba_id.to_string()],
        check: Check::of(&f),
        f,
        categories: TemplateCategory::ALL.iter().map(|s| s.as_str()).collect(),
    })
}

/// Edits through the same service as Meta's `POST /{template_id}` (its rules: which
/// statuses, the category of an approved one, how often).
async fn edit(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let t = load(&state, &console, &id).await?;
    let mut f: DraftForm = form(&body)?;
    // Name, language and WABA stay.
    f.name = t.name.as_str().to_owned();
    f.language = t.language.as_str().to_owned();
    f.waba = t.waba_id.to_string();
    if let Err(e) = f.lint() {
        return invalid(&state, &console, Some(id), f, e).await;
    }
    let (components, from) = f.components();
    let edit = TemplateEdit::parse(&json!({
        "category": f.category.trim(),
        "components": components,
    }))?;
    match state
        .app
        .edit_template(&console.principal, &t.id, edit)
        .await
    {
        Ok(_) => Ok(see(&format!("/console/templates/{id}"))),
        Err(wagate_app::Error::Template(e)) => {
            let e = FieldError::of(&e, &from);
            invalid(&state, &console, Some(id), f, e).await
        }
        Err(e) => Err(e.into()),
    }
}
