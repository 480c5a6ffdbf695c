//! `/api/v1/contacts/imports` and `/api/v1/contacts/export`: the contact book in and out as
//! CSV or XLSX. An import is a job: the upload is checked and queued (202), a worker writes
//! it, and its progress and per-row report are read here. An export is streamed.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wagate_app::contacts::import_file::FILE_MAX;
use wagate_app::contacts::imports::NewImport;
use wagate_app::media::staging::Staged;
use wagate_core::Timestamp;
use wagate_core::contact::import::{
    ContactImport, ImportFormat, ImportOptions, ImportStatus, RowError,
};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::ContactImportId;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::Query;
use crate::manage::ErrorBody;
use crate::manage::contacts::ContactQuery;
use crate::manage::paging::{List, ListQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get))
        .routes(routes!(errors))
        .routes(routes!(export))
        // Uploads are capped by the import's own limit, not the JSON body limit.
        .layer(DefaultBodyLimit::max(
            usize::try_from(FILE_MAX).unwrap_or(usize::MAX) + 64 * 1024,
        ))
}

/// The multipart form of an import.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ImportForm {
    /// The CSV or XLSX file (the first row names the columns).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// `csv` or `xlsx`; sniffed from the bytes when absent.
    #[schema(pattern = "^(csv|xlsx)$")]
    pub format: Option<String>,
    /// A JSON object from column header to role: `phone`, `country_code`, `name`, `tags`,
    /// `opted_in`, `blocked`, `attribute:<key>` or `skip`. Headers not named are guessed.
    pub mapping: Option<String>,
    /// The calling code for numbers written without one (`91`, `+44`).
    #[schema(pattern = r"^\+?[0-9]{1,3}$")]
    pub default_country_code: Option<String>,
}

/// An import: where it is, what it did, and the first rows it refused.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportView {
    pub id: ContactImportId,
    pub status: ImportStatus,
    /// Why a failed import stopped.
    pub failure: Option<String>,
    pub format: ImportFormat,
    pub file_name: String,
    pub file_size: u64,
    /// Data rows read and settled so far (written or reported).
    pub rows_read: u64,
    /// Contacts created, contacts updated, rows refused.
    pub created: u64,
    pub updated: u64,
    pub failed: u64,
    /// The column mapping given (headers not named were guessed).
    pub mapping: BTreeMap<String, String>,
    pub default_country_code: Option<String>,
    /// The first refused rows; every one is at `errors_url`.
    pub errors: Vec<RowError>,
    pub errors_url: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Timestamp>,
}

/// Refused rows shown with an import.
const PREVIEW: u32 = 20;

impl ImportView {
    fn of(i: ContactImport, errors: Vec<RowError>) -> Self {
        Self {
            errors_url: format!("/api/v1/contacts/imports/{}/errors", i.id),
            id: i.id,
            status: i.status,
            failure: i.failure,
            format: i.format,
            file_name: i.file_name,
            file_size: i.file_size,
            rows_read: i.rows_read,
            created: i.created,
            updated: i.updated,
            failed: i.failed,
            mapping: i.options.columns_as_strings(),
            default_country_code: i.options.default_country_code,
            errors,
            created_at: i.created_at,
            updated_at: i.updated_at,
            finished_at: i.finished_at,
        }
    }
}

fn import_id(raw: &str) -> Result<ContactImportId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(ErrorCode::ImportNotFound, "import", raw))
}

pub(crate) fn bad_multipart(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidRequest,
        format!("the multipart body is malformed: {e}"),
    )
}

fn format_param(field: &str, v: &str) -> Result<ImportFormat, ApiError> {
    ImportFormat::parse(v.trim())
        .ok_or_else(|| ValidationError::new(field, "must be `csv` or `xlsx`").into())
}

/// An upload's one `file` part (staged, with its name) and its other fields as text; 400
/// without a `file` part or with two.
pub(crate) async fn read_upload(
    state: &AppState,
    multipart: &mut Multipart,
) -> Result<(Staged, Option<String>, BTreeMap<String, String>), ApiError> {
    let mut staged = None;
    let mut file_name = None;
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    while let Some(field) = multipart.next_field().await.map_err(bad_multipart)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if staged.is_some() {
                return Err(
                    ApiError::new(ErrorCode::InvalidRequest, "send one `file` part").field("file"),
                );
            }
            file_name = field.file_name().map(str::to_owned);
            let body = field.map_err(|e| e.to_string());
            staged = Some(state.app.stage_import_file(Box::pin(body)).await?);
        } else {
            let value = field.text().await.map_err(bad_multipart)?;
            fields.insert(name, value);
        }
    }
    let Some(staged) = staged else {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "the file is required: a multipart part named `file`",
        )
        .field("file"));
    };
    Ok((staged, file_name, fields))
}

/// Import contacts from a CSV or XLSX file. The file is checked first (its format, an
/// XLSX's size limits, the header's mapping) and refused with 400 when it cannot be
/// imported; otherwise the import is queued (202) and runs in the background: rows are
/// upserted by number, refused rows reported with their row, column and reason.
#[utoipa::path(post, path = "/contacts/imports", operation_id = "create_contact_import", tag = "contacts",
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses((status = 202, body = ImportView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Auth(p): Auth,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<ImportView>), ApiError> {
    let mut multipart = multipart.map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("upload the file as multipart/form-data with a `file` part: {e}"),
        )
    })?;
    let (staged, file_name, fields) = read_upload(&state, &mut multipart).await?;
    let format = fields
        .get("format")
        .filter(|f| !f.trim().is_empty())
        .map(|f| format_param("format", f))
        .transpose()?;
    let mapping: BTreeMap<String, String> = match fields.get("mapping") {
        None => BTreeMap::new(),
        Some(m) if m.trim().is_empty() => BTreeMap::new(),
        Some(m) => serde_json::from_str(m).map_err(|_| {
            ValidationError::new(
                "mapping",
                "must be a JSON object from column header to role, like {\"Mobile\":\"phone\"}",
            )
        })?,
    };
    let options = ImportOptions::parse(
        &mapping,
        fields.get("default_country_code").map(String::as_str),
    )?;
    let new = NewImport {
        file_name: file_name.unwrap_or_else(|| "upload".to_owned()),
        format,
        options,
    };
    let import = state.app.start_contact_import(&p, new, staged).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(ImportView::of(import, Vec::new())),
    ))
}

/// The account's imports, newest first.
#[utoipa::path(get, path = "/contacts/imports", operation_id = "list_contact_imports", tag = "contacts",
    params(ListQuery),
    responses((status = 200, body = List<ImportView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<ListQuery>,
) -> Result<Json<List<ImportView>>, ApiError> {
    let (page, limit) = q.page::<ContactImportId>()?;
    let rows = state.app.list_contact_imports(&p, &page).await?;
    Ok(Json(List::from_rows(
        rows,
        limit,
        |i| i.id.to_string(),
        |i| ImportView::of(i, Vec::new()),
    )))
}

/// One import: its status, counts and first refused rows.
#[utoipa::path(get, path = "/contacts/imports/{id}", operation_id = "get_contact_import", tag = "contacts",
    params(("id" = String, Path, description = "Import id")),
    responses((status = 200, body = ImportView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<ImportView>, ApiError> {
    let iid = import_id(&id)?;
    let naming = |e| ApiError::naming(e, ErrorCode::ImportNotFound, "import", &id);
    let import = state
        .app
        .get_contact_import(&p, iid)
        .await
        .map_err(naming)?;
    let errors = state
        .app
        .contact_import_errors(&p, iid, 0, PREVIEW)
        .await
        .map_err(naming)?;
    Ok(Json(ImportView::of(import, errors)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ErrorsQuery {
    /// `json` (a page) or `csv` (every refused row, as a download).
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
    /// Rows after this row number (the previous page's `next_after`).
    #[param(minimum = 0)]
    pub after: Option<u64>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// A page of refused rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorList {
    pub data: Vec<RowError>,
    /// Pass as `after` for the next page; `null` on the last.
    pub next_after: Option<u64>,
}

/// The rows an import refused: row number (the header is row 1), column and reason; as
/// JSON pages or as one CSV download.
#[utoipa::path(get, path = "/contacts/imports/{id}/errors", operation_id = "contact_import_errors", tag = "contacts",
    params(("id" = String, Path, description = "Import id"), ErrorsQuery),
    responses((status = 200, description = "A page as JSON, or every row as CSV with `format=csv`", content(
            (ErrorList = "application/json"), (String = "text/csv"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn errors(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Query(q): Query<ErrorsQuery>,
) -> Result<Response, ApiError> {
    let iid = import_id(&id)?;
    let naming = |e| ApiError::naming(e, ErrorCode::ImportNotFound, "import", &id);
    match q.format.as_deref().unwrap_or("json") {
        "json" => {
            let limit = q.limit.unwrap_or(100);
            if !(1..=1000).contains(&limit) {
                return Err(
                    ApiError::new(ErrorCode::InvalidQuery, "must be between 1 and 1000")
                        .field("limit"),
                );
            }
            let mut rows = state
                .app
                .contact_import_errors(&p, iid, q.after.unwrap_or(0), limit + 1)
                .await
                .map_err(naming)?;
            let more = rows.len() > limit as usize;
            rows.truncate(limit as usize);
            let next_after = if more {
                rows.last().map(|r| r.row)
            } else {
                None
            };
            Ok(Json(ErrorList {
                data: rows,
                next_after,
            })
            .into_response())
        }
        "csv" => {
            state
                .app
                .get_contact_import(&p, iid)
                .await
                .map_err(naming)?;
            let mut out = csv::Writer::from_writer(Vec::new());
            let _ = out.write_record(["row", "column", "reason"]);
            let mut after = 0;
            loop {
                let rows = state
                    .app
                    .contact_import_errors(&p, iid, after, 1000)
                    .await
                    .map_err(naming)?;
                for r in &rows {
                    let _ = out.write_record([r.row.to_string().as_str(), &r.column, &r.reason]);
                }
                match rows.last() {
                    Some(last) if rows.len() == 1000 => after = last.row,
                    _ => break,
                }
            }
            let bytes = out.into_inner().unwrap_or_default();
            Ok(download(
                "text/csv; charset=utf-8",
                &format!("import-{iid}-errors.csv"),
                Body::from(bytes),
            ))
        }
        _ => Err(ApiError::new(ErrorCode::InvalidQuery, "must be `json` or `csv`").field("format")),
    }
}

fn download(content_type: &str, file_name: &str, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    #[param(pattern = "^(csv|xlsx)$")]
    pub format: Option<String>,
}

/// Export the account's contacts, filtered like the list, as CSV (streamed) or XLSX. The
/// columns import back unchanged. Every matching contact is exported: the list's `limit`
/// and `after` are checked but do not apply.
#[utoipa::path(get, path = "/contacts/export", operation_id = "export_contacts", tag = "contacts",
    params(ExportQuery, ContactQuery),
    responses((status = 200, description = "The file: CSV, or XLSX with `format=xlsx`", content(
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(format): Query<ExportQuery>,
    Query(q): Query<ContactQuery>,
) -> Result<Response, ApiError> {
    let format = match format.format.as_deref() {
        None => ImportFormat::Csv,
        Some(f) => ImportFormat::parse(f).ok_or_else(|| {
            ApiError::new(ErrorCode::InvalidQuery, "must be `csv` or `xlsx`").field("format")
        })?,
    };
    // The list's paging parameters are checked like the list's; an export has every page.
    ListQuery {
        limit: q.limit,
        after: q.after.clone(),
    }
    .page::<wagate_core::ids::ContactCardId>()?;
    let filter = q.filter()?;
    let stream = state.app.export_contacts(&p, &filter, format).await?;
    let (content_type, name) = match format {
        ImportFormat::Csv => ("text/csv; charset=utf-8", "contacts.csv"),
        ImportFormat::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "contacts.xlsx",
        ),
    };
    Ok(download(content_type, name, Body::from_stream(stream)))
}
