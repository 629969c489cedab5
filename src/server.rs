//! The daemon's HTTP side: the feeds (with `ETag` / `Last-Modified` and 304 answers), the
//! unsubscribe endpoints, and a health check.
//!
//! `GET /unsubscribe?token=...` only shows a confirmation page with a button: link scanners
//! fetch every URL in a message, and must not unsubscribe anyone. `POST /unsubscribe` (the
//! button, or a mail client's RFC 8058 one-click request with `List-Unsubscribe=One-Click`)
//! unsubscribes and answers 200 without a redirect. Both are idempotent; a bad or forged token
//! gets a 400 page, never a 500.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::delivery::ledger::SuppressionReason;
use crate::delivery::Ledger;
use crate::email::TokenKey;
use crate::util::escape_html;

/// What the handlers need.
pub struct AppState {
    /// The feeds folder.
    pub public_dir: PathBuf,
    /// Verifies unsubscribe tokens.
    pub key: TokenKey,
    /// The ledger file (opened per request, on a blocking thread).
    pub ledger_path: PathBuf,
    /// For page titles.
    pub site_title: String,
    /// For suppression timestamps.
    pub clock: Clock,
    /// What `/healthz` reports.
    pub health: crate::daemon::health::Health,
}

/// The router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/unsubscribe", get(confirm_page).post(unsubscribe))
        .fallback(get(feed_file))
        .with_state(state)
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let mut response = state.health.report().into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn confirm_page(State(state): State<Arc<AppState>>, Query(q): Query<TokenQuery>) -> Response {
    let Some((list, address)) = q.token.as_deref().and_then(|t| state.key.verify(t)) else {
        return bad_token(&state);
    };
    let token = q.token.unwrap_or_default();
    page(
        StatusCode::OK,
        &state.site_title,
        &format!(
            "<p>Unsubscribe <strong>{}</strong> from the <strong>{}</strong> list?</p>\
             <form method=\"post\" action=\"?token={}\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
             <button type=\"submit\">Unsubscribe</button></form>",
            escape_html(&address),
            escape_html(&list),
            escape_html(&token)
        ),
    )
}

async fn unsubscribe(
    State(state): State<Arc<AppState>>,
    Query(q): Query<TokenQuery>,
    body: String,
) -> Response {
    // RFC 8058 puts the token in the URL; a plain form may also send it in the body.
    let token = q.token.or_else(|| {
        url::form_urlencoded::parse(body.as_bytes())
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    });
    let Some((list, address)) = token.as_deref().and_then(|t| state.key.verify(t)) else {
        return bad_token(&state);
    };
    let path = state.ledger_path.clone();
    let now = state.clock.now_utc();
    let (who, detail) = (address.clone(), format!("link in a message on list {list}"));
    let stored = tokio::task::spawn_blocking(move || {
        Ledger::open(&path)
            .and_then(|l| l.suppress(&who, SuppressionReason::Unsubscribed, &detail, now))
    })
    .await;
    match stored {
        Ok(Ok(())) => page(
            StatusCode::OK,
            &state.site_title,
            &format!(
                "<p><strong>{}</strong> is unsubscribed and will not get these e-mails again.</p>",
                escape_html(&address)
            ),
        ),
        Ok(Err(err)) => {
            tracing::error!(%err, "cannot record an unsubscribe");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                &state.site_title,
                "<p>Sorry, that did not work. Please try again in a minute.</p>",
            )
        }
        Err(_) => page(
            StatusCode::SERVICE_UNAVAILABLE,
            &state.site_title,
            "<p>Sorry, that did not work. Please try again in a minute.</p>",
        ),
    }
}

fn bad_token(state: &AppState) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        &state.site_title,
        "<p>This unsubscribe link is not valid. Please use the link from the most recent e-mail.</p>",
    )
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{0}</title></head><body style=\"font-family:sans-serif;max-width:36em;margin:3em auto;padding:0 1em\">\
         <h1>{0}</h1>{1}</body></html>",
        escape_html(title),
        body
    );
    (status, Html(html)).into_response()
}

async fn feed_file(
    State(state): State<Arc<AppState>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let Some(rel) = safe_path(uri.path()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = state.public_dir.join(&rel);
    let Ok(bytes) = tokio::fs::read(&path).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let modified: Option<DateTime<Utc>> = tokio::fs::metadata(&path)
        .await
        .ok()
        .and_then(|m| m.modified().ok())
        .map(DateTime::from);
    let etag = format!(
        "\"{}\"",
        Sha256::digest(&bytes)[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let last_modified = modified.map(|m| m.format("%a, %d %b %Y %H:%M:%S GMT").to_string());
    let not_modified = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(tags) => tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"),
        None => match (
            headers
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok()),
            modified,
        ) {
            (Some(since), Some(m)) => {
                DateTime::parse_from_rfc2822(since).is_ok_and(|s| m.timestamp() <= s.timestamp())
            }
            _ => false,
        },
    };
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        bytes.into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = etag.parse() {
        h.insert(header::ETAG, v);
    }
    if let Some(v) = last_modified.and_then(|lm| lm.parse().ok()) {
        h.insert(header::LAST_MODIFIED, v);
    }
    if let Ok(v) = content_type(&rel).parse() {
        h.insert(header::CONTENT_TYPE, v);
    }
    response
}

/// A URL path as a relative file path inside the public folder (no `..`), `index` for `/`.
fn safe_path(url_path: &str) -> Option<PathBuf> {
    let decoded = percent_encoding::percent_decode_str(url_path)
        .decode_utf8()
        .ok()?;
    let rel = Path::new(decoded.trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) || rel.as_os_str().is_empty() {
        return None;
    }
    Some(rel.to_path_buf())
}

fn content_type(path: &Path) -> &'static str {
    match path.file_name().and_then(|n| n.to_str()) {
        Some("rss.xml") => "application/rss+xml; charset=utf-8",
        Some("atom.xml") => "application/atom+xml; charset=utf-8",
        Some(n) if n.ends_with(".json") => "application/feed+json; charset=utf-8",
        Some(n) if n.ends_with(".xml") => "application/xml; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_escape_the_public_folder() {
        assert_eq!(safe_path("/rss.xml"), Some(PathBuf::from("rss.xml")));
        assert_eq!(
            safe_path("/tags/meetup/atom.xml"),
            Some(PathBuf::from("tags/meetup/atom.xml"))
        );
        assert_eq!(safe_path("/../etc/passwd"), None);
        assert_eq!(safe_path("/%2e%2e/secret"), None);
        assert_eq!(safe_path("/"), None);
    }
}
