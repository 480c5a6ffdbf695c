//! Contacts (`/console/contacts`): the contact book, tags, attributes, opt-in and blocks, imports and exports.
//!
//! Every handler calls the contact book's services (`App::list_contacts`, `update_contact`,
//! `start_contact_import`, `export_contacts`…) as the management API does; the filters are
//! the API's [`ContactQuery`].

use askama::Template;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use wagate_app::contacts::import_file::FILE_MAX;
use wagate_app::contacts::imports::NewImport;
use wagate_core::contact::card::{
    AttributeKey, Attributes, ContactCardPatch, ContactName, OptInSource, TagChange, TagName,
    attribute_value,
};
use wagate_core::contact::import::{ContactImport, ImportFormat, ImportOptions, ImportStatus};
use wagate_core::contact::view::ContactView;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{ContactCardId, ContactImportId};
use wagate_store::Page;

use super::{Chrome, Console, page};
use crate::error::ApiError;
use crate::extract::Query;
use crate::manage::contact_imports::read_upload;
use crate::manage::contacts::ContactQuery;
use crate::state::AppState;

/// Contacts a page lists.
const PAGE_SIZE: u32 = 50;
/// Row errors an import's page shows (the rest are in the CSV report).
const ERRORS_SHOWN: u32 = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/contacts", get(list))
        .route("/console/contacts/export", get(export))
        .route(
            "/console/contacts/import",
            post(import).layer(DefaultBodyLimit::max(
                usize::try_from(FILE_MAX).unwrap_or(usize::MAX) + 64 * 1024,
            )),
        )
        .route("/console/contacts/imports/{id}", get(import_page))
        .route(
            "/console/contacts/imports/{id}/progress",
            get(import_progress),
        )
        .route("/console/contacts/{id}", get(contact).post(edit))
        .route("/console/contacts/{id}/tags", post(add_tag))
        .route("/console/contacts/{id}/tags/remove", post(remove_tag))
}

/// A urlencoded form body as `T` (unknown fields such as `csrf` ignored); a malformed one is
/// a 400 naming the problem.
pub(crate) fn form<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_urlencoded::from_bytes(body).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("the form could not be read: {e}"),
        )
    })
}

/// A blank form field is an absent one.
pub(crate) fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The list's filters as a GET form sends them (blank fields mean "any").
#[derive(Debug, Default, Deserialize)]
struct Filters {
    q: Option<String>,
    tag: Option<String>,
    attribute: Option<String>,
    opted_in: Option<String>,
    blocked: Option<String>,
    after: Option<String>,
}

impl Filters {
    fn query(&self) -> Result<ContactQuery, ApiError> {
        let flag = |field: &str, v: &Option<String>| match given(v).as_deref() {
            None => Ok(None),
            Some("yes") => Ok(Some(true)),
            Some("no") => Ok(Some(false)),
            Some(_) => {
                Err(ApiError::new(ErrorCode::InvalidQuery, "must be yes or no").field(field))
            }
        };
        Ok(ContactQuery {
            q: given(&self.q),
            tag: given(&self.tag),
            attribute: given(&self.attribute),
            opted_in: flag("opted_in", &self.opted_in)?,
            blocked: flag("blocked", &self.blocked)?,
            ..ContactQuery::default()
        })
    }

    /// The filters as a query string (for the next page and the export).
    fn encoded(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("tag", &self.tag),
            ("attribute", &self.attribute),
            ("opted_in", &self.opted_in),
            ("blocked", &self.blocked),
        ] {
            if let Some(v) = given(v) {
                s.append_pair(k, &v);
            }
        }
        s.finish()
    }
}

struct Row {
    id: String,
    number: String,
    name: String,
    tags: String,
    opted_in: &'static str,
    blocked: bool,
}

impl Row {
    fn of(v: &ContactView) -> Self {
        Self {
            id: v.id.to_string(),
            number: format!("+{}", v.wa_id),
            name: v
                .name
                .clone()
                .or_else(|| v.profile_name.clone())
                .unwrap_or_default(),
            tags: v.tags.join(", "),
            opted_in: opt_in_label(v.opted_in),
            blocked: v.blocked,
        }
    }
}

fn opt_in_label(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "opted in",
        Some(false) => "opted out",
        None => "not said",
    }
}

#[derive(Template)]
#[template(path = "console/contacts/list.html")]
struct ListPage {
    chrome: Chrome,
    q: String,
    tag: String,
    attribute: String,
    opted_in: String,
    blocked: String,
    tags: Vec<(String, u64)>,
    rows: Vec<Row>,
    total: u64,
    next: Option<String>,
    export: String,
    imports: Vec<ImportRow>,
}

struct ImportRow {
    id: String,
    file_name: String,
    status: &'static str,
    created: u64,
    updated: u64,
    failed: u64,
}

async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(f): Query<Filters>,
) -> Result<Response, ApiError> {
    let filter = f.query()?.filter()?;
    let after = match given(&f.after) {
        None => None,
        Some(a) => Some(a.parse::<ContactCardId>().map_err(|_| {
            ApiError::new(ErrorCode::InvalidQuery, "is not an id from a previous page")
                .field("after")
        })?),
    };
    let p = &console.principal;
    let (mut cards, total) = state
        .app
        .list_contacts(p, &filter, &Page::after(after, PAGE_SIZE + 1))
        .await?;
    let more = cards.len() > PAGE_SIZE as usize;
    cards.truncate(PAGE_SIZE as usize);
    let views: Vec<ContactView> = cards.into_iter().map(ContactView::from).collect();
    let encoded = f.encoded();
    let next = match views.last() {
        Some(last) if more => Some(format!(
            "/console/contacts?{encoded}{}after={}",
            if encoded.is_empty() { "" } else { "&" },
            last.id
        )),
        _ => None,
    };
    let tags = state
        .app
        .list_tags(p)
        .await?
        .into_iter()
        .map(|t| (t.tag.name.as_str().to_owned(), t.contacts))
        .collect();
    let imports = state
        .app
        .list_contact_imports(p, &Page::first(5))
        .await?
        .into_iter()
        .map(|i| ImportRow {
            id: i.id.to_string(),
            file_name: i.file_name,
            status: i.status.as_str(),
            created: i.created,
            updated: i.updated,
            failed: i.failed,
        })
        .collect();
    page(&ListPage {
        chrome: Chrome::new(&console, "contacts", "Contacts"),
        q: given(&f.q).unwrap_or_default(),
        tag: given(&f.tag).unwrap_or_default(),
        attribute: given(&f.attribute).unwrap_or_default(),
        opted_in: given(&f.opted_in).unwrap_or_default(),
        blocked: given(&f.blocked).unwrap_or_default(),
        tags,
        rows: views.iter().map(Row::of).collect(),
        total,
        next,
        export: format!("/console/contacts/export?{encoded}"),
        imports,
    })
}

/// The filtered list as CSV, streamed a page at a time by the export service.
async fn export(
    State(state): State<AppState>,
    console: Console,
    Query(f): Query<Filters>,
) -> Result<Response, ApiError> {
    let filter = f.query()?.filter()?;
    let stream = state
        .app
        .export_contacts(&console.principal, &filter, ImportFormat::Csv)
        .await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"contacts.csv\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

fn contact_id(raw: &str) -> Result<ContactCardId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(ErrorCode::ContactNotFound, "contact", raw))
}

fn naming(id: &str) -> impl Fn(wagate_app::Error) -> ApiError + '_ {
    move |e| ApiError::naming(e, ErrorCode::ContactNotFound, "contact", id)
}

#[derive(Template)]
#[template(path = "console/contacts/contact.html")]
struct ContactPage {
    chrome: Chrome,
    id: String,
    number: String,
    name: String,
    profile_name: String,
    attributes: String,
    tags: Vec<String>,
    all_tags: Vec<String>,
    opted_in: &'static str,
    opt_in: &'static str,
    blocked: bool,
}

async fn contact(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let cid = contact_id(&id)?;
    let p = &console.principal;
    let card = state.app.get_contact(p, cid).await.map_err(naming(&id))?;
    let v = ContactView::from(card);
    let all_tags = state
        .app
        .list_tags(p)
        .await?
        .into_iter()
        .map(|t| t.tag.name.as_str().to_owned())
        .filter(|t| !v.tags.contains(t))
        .collect();
    page(&ContactPage {
        chrome: Chrome::new(&console, "contacts", format!("Contact +{}", v.wa_id)),
        id: v.id.to_string(),
        number: format!("+{}", v.wa_id),
        name: v.name.clone().unwrap_or_default(),
        profile_name: v.profile_name.clone().unwrap_or_default(),
        attributes: v
            .attributes
            .iter()
            .map(|(k, val)| format!("{k}={val}"))
            .collect::<Vec<_>>()
            .join("\n"),
        tags: v.tags.clone(),
        all_tags,
        opted_in: match v.opted_in {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        },
        opt_in: opt_in_label(v.opted_in),
        blocked: v.blocked,
    })
}

#[derive(Debug, Deserialize)]
struct EditForm {
    name: Option<String>,
    #[serde(default)]
    attributes: String,
    opted_in: Option<String>,
    blocked: Option<String>,
}

/// `key=value` lines (blank lines skipped) as attributes.
fn attribute_lines(text: &str) -> Result<Attributes, ValidationError> {
    let mut out = Attributes::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (k, v) = line.split_once('=').ok_or_else(|| {
            ValidationError::new("attributes", format!("line {} must be key=value", i + 1))
        })?;
        let key = AttributeKey::parse(k.trim()).map_err(|e| {
            ValidationError::new("attributes", format!("line {}: {}", i + 1, e.message))
        })?;
        let value = attribute_value(&key, v.trim()).map_err(|e| {
            ValidationError::new("attributes", format!("line {}: {}", i + 1, e.message))
        })?;
        out.insert(key, value);
    }
    Ok(out)
}

/// Saves the name, the attributes (the text replaces them), the opt-in and the block.
async fn edit(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let cid = contact_id(&id)?;
    let f: EditForm = form(&body)?;
    let p = &console.principal;
    let card = state.app.get_contact(p, cid).await.map_err(naming(&id))?;
    let name = given(&f.name).map(|n| ContactName::parse(&n)).transpose()?;
    let set = attribute_lines(&f.attributes)?;
    let unset = card
        .attributes
        .keys()
        .filter(|k| !set.contains_key(*k))
        .cloned()
        .collect();
    let opted_in = match given(&f.opted_in).as_deref() {
        None => None,
        Some("yes") => Some(true),
        Some("no") => Some(false),
        Some(_) => return Err(ValidationError::new("opted_in", "must be yes or no").into()),
    };
    let blocked = f.blocked.as_deref() == Some("on");
    let patch = ContactCardPatch {
        name: Some(name),
        set_attributes: set,
        unset_attributes: unset,
        opted_in: opted_in.filter(|o| card.opt_in.as_ref().map(|x| x.opted_in) != Some(*o)),
        blocked: (blocked != card.blocked_at.is_some()).then_some(blocked),
        ..ContactCardPatch::default()
    };
    state
        .app
        .update_contact(p, cid, patch, OptInSource::Console)
        .await
        .map_err(naming(&id))?;
    Ok(Redirect::to(&format!("/console/contacts/{id}?saved=1")).into_response())
}

#[derive(Debug, Deserialize)]
struct TagForm {
    tag: Option<String>,
}

async fn change_tag(
    state: &AppState,
    console: &Console,
    id: &str,
    body: &Bytes,
    add: bool,
) -> Result<Response, ApiError> {
    let cid = contact_id(id)?;
    let f: TagForm = form(body)?;
    let name = given(&f.tag).ok_or_else(|| ValidationError::missing("tag", "choose a tag"))?;
    let tag = TagName::parse(&name).map_err(|e| ValidationError::new("tag", e.message))?;
    let change = if add {
        TagChange::Add(vec![tag])
    } else {
        TagChange::Remove(vec![tag])
    };
    let patch = ContactCardPatch {
        tags: vec![change],
        ..ContactCardPatch::default()
    };
    state
        .app
        .update_contact(&console.principal, cid, patch, OptInSource::Console)
        .await
        .map_err(|e| {
            let e = ApiError::from(e);
            if e.code == ErrorCode::TagNotFound {
                ApiError::new(ErrorCode::TagNotFound, format!("there is no tag `{name}`"))
                    .field("tag")
            } else if e.code == ErrorCode::ContactNotFound {
                ApiError::not_found(ErrorCode::ContactNotFound, "contact", id)
            } else {
                e
            }
        })?;
    Ok(Redirect::to(&format!("/console/contacts/{id}")).into_response())
}

async fn add_tag(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    change_tag(&state, &console, &id, &body, true).await
}

async fn remove_tag(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    change_tag(&state, &console, &id, &body, false).await
}

/// Starts an import of an uploaded CSV or XLSX (the import service's checks first) and
/// leads to its page.
async fn import(
    State(state): State<AppState>,
    console: Console,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let mut multipart = multipart.map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            "choose a CSV or XLSX file to import",
        )
        .field("file")
    })?;
    let (staged, file_name, fields) = read_upload(&state, &mut multipart).await?;
    let options = ImportOptions::parse(
        &Default::default(),
        fields
            .get("default_country_code")
            .map(|s| s.trim())
            .filter(|s| !s.is_empty()),
    )?;
    let new = NewImport {
        file_name: file_name
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "upload".to_owned()),
        format: None,
        options,
    };
    let i = state
        .app
        .start_contact_import(&console.principal, new, staged)
        .await?;
    let to = format!("/console/contacts/imports/{}", i.id);
    let mut res = Redirect::to(&to).into_response();
    if let Ok(v) = HeaderValue::from_str(&to) {
        res.headers_mut().insert("HX-Redirect", v);
    }
    Ok(res)
}

fn import_id(raw: &str) -> Result<ContactImportId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(ErrorCode::ImportNotFound, "import", raw))
}

/// An import's progress, as its page and its live fragment show it.
struct Progress {
    id: String,
    file_name: String,
    status: &'static str,
    done: bool,
    failure: String,
    rows_read: u64,
    created: u64,
    updated: u64,
    failed: u64,
    /// Percent of the file read (by rows written against rows known at the end; 100 done).
    percent: u64,
    errors: Vec<(u64, String, String)>,
}

impl Progress {
    async fn of(state: &AppState, console: &Console, id: &str) -> Result<Self, ApiError> {
        let iid = import_id(id)?;
        let naming = |e| ApiError::naming(e, ErrorCode::ImportNotFound, "import", id);
        let p = &console.principal;
        let i: ContactImport = state.app.get_contact_import(p, iid).await.map_err(naming)?;
        let done = matches!(i.status, ImportStatus::Completed | ImportStatus::Failed);
        let errors = state
            .app
            .contact_import_errors(p, iid, 0, ERRORS_SHOWN)
            .await
            .map_err(naming)?
            .into_iter()
            .map(|r| (r.row, r.column, r.reason))
            .collect();
        let written = i.created + i.updated + i.failed;
        let percent = if done {
            100
        } else if i.rows_read == 0 {
            0
        } else {
            (written * 100 / i.rows_read.max(written).max(1)).min(99)
        };
        Ok(Self {
            id: i.id.to_string(),
            file_name: i.file_name,
            status: i.status.as_str(),
            done,
            failure: i.failure.unwrap_or_default(),
            rows_read: i.rows_read,
            created: i.created,
            updated: i.updated,
            failed: i.failed,
            percent,
            errors,
        })
    }
}

#[derive(Template)]
#[template(path = "console/contacts/import.html")]
struct ImportPage {
    chrome: Chrome,
    p: Progress,
}

#[derive(Template)]
#[template(path = "console/contacts/progress.html")]
struct ProgressFragment {
    p: Progress,
}

async fn import_page(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let p = Progress::of(&state, &console, &id).await?;
    page(&ImportPage {
        chrome: Chrome::new(&console, "contacts", format!("Import of {}", p.file_name)),
        p,
    })
}

async fn import_progress(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let p = Progress::of(&state, &console, &id).await?;
    page(&ProgressFragment { p })
}
