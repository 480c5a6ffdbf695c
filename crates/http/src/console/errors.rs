//! The console's error rendering: a handler's [`ApiError`] (left in the response's
//! extensions, as on every surface) becomes an HTML page in the console's frame, or, for an
//! htmx request, a message swapped into the page's `#flash` region (`HX-Retarget`), so a
//! failed action tells the person why without leaving the page.

use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::error::{ApiError, Rendered};

#[derive(Template)]
#[template(path = "console/bare_error.html")]
struct ErrorPage<'a> {
    heading: &'a str,
    message: &'a str,
}

#[derive(Template)]
#[template(
    source = r#"<p class="error" role="alert">{{ message }}</p>"#,
    ext = "html"
)]
struct Flash<'a> {
    message: &'a str,
}

/// What a person reads above an error.
fn heading(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "Please sign in",
        403 => "Not allowed",
        404 => "Not found",
        409 => "Conflict",
        413 => "Too large",
        429 => "Slow down",
        400..=499 => "That did not work",
        _ => "Something went wrong",
    }
}

pub async fn render(req: Request, next: Next) -> Response {
    let htmx = req.headers().contains_key("hx-request");
    let res = next.run(req).await;
    let Some(Rendered(err)) = res.extensions().get::<Rendered>().cloned() else {
        return res;
    };
    if let Some(cause) = &err.cause {
        tracing::error!(error.code = %err.code, error.cause_chain = ?cause, "console request failed");
    }
    let status = res.status();
    let message = message(&err);
    if htmx {
        let body = Flash { message: &message }.render().unwrap_or_default();
        let mut out = (status, Html(body)).into_response();
        let h = out.headers_mut();
        h.insert("HX-Retarget", HeaderValue::from_static("#flash"));
        h.insert("HX-Reswap", HeaderValue::from_static("innerHTML"));
        return out;
    }
    let body = ErrorPage {
        heading: heading(status),
        message: &message,
    }
    .render()
    .unwrap_or_default();
    let mut out = (status, Html(body)).into_response();
    out.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out
}

/// The error's message, with the field at fault when one is named.
fn message(err: &ApiError) -> String {
    match &err.field {
        Some(field) if !field.is_empty() && !err.message.contains(field.as_str()) => {
            format!("{} ({field})", err.message)
        }
        _ => err.message.clone(),
    }
}
