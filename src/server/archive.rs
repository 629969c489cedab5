//! Serving the archive (see [`crate::archive`]): `archive/` is the index, `archive/<name>/`
//! one digest's page, `archive/feed.xml` the feed, all below the path the feeds folder is
//! served at. Only names the archive writes are served (lower-case letters, digits and `-`),
//! so no other file of the output folder can be reached through these routes. They are
//! served as the feeds are ([`super::files`]): with validators and 304s, and only when they
//! resolve inside the public folder.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Redirect, Response};
use axum::routing::get;
use axum::Router;

use super::files::{self, not_found};
use super::AppState;
use crate::archive::{ARCHIVE_DIR, FEED_FILE};

const HTML: &str = "text/html; charset=utf-8";
const ATOM: &str = "application/atom+xml; charset=utf-8";

/// The archive's routes below `feeds_path` (which starts and ends with `/`). A path that
/// axum would read as a pattern (a segment starting with `:` or `*`, or braces; possible
/// only in an odd `feeds.url`) gets no routes rather than a panic: the archive is then not
/// served, and says so in the log.
pub fn routes(feeds_path: &str) -> Router<Arc<AppState>> {
    let Some([base, slash, rest]) = paths(feeds_path) else {
        tracing::warn!(
            "the archive is not served: its path {feeds_path}{ARCHIVE_DIR} looks like a route pattern"
        );
        return Router::new();
    };
    let target = slash.clone();
    Router::new()
        .route(
            &base,
            get(move || async move { Redirect::permanent(&target) }),
        )
        .route(&slash, get(index))
        .route(&rest, get(file))
}

/// The patterns of [`routes`]: the folder without and with its slash, and what is below it.
pub fn route_paths(feeds_path: &str) -> Vec<String> {
    paths(feeds_path).map(Vec::from).unwrap_or_default()
}

fn paths(feeds_path: &str) -> Option<[String; 3]> {
    let base = format!("{feeds_path}{ARCHIVE_DIR}");
    if base.contains(['{', '}']) || base.split('/').any(|s| s.starts_with([':', '*'])) {
        return None;
    }
    Some([
        base.clone(),
        format!("{base}/"),
        format!("{base}/{{*rest}}"),
    ])
}

async fn index(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    serve(&state, "index.html", HTML, &headers).await
}

async fn file(
    State(state): State<Arc<AppState>>,
    Path(rest): Path<String>,
    headers: HeaderMap,
) -> Response {
    match archive_file(&rest) {
        Some((rel, mime)) => serve(&state, &rel, mime, &headers).await,
        None => not_found(),
    }
}

/// The file (relative to the archive folder) and its type for a path below `archive/`.
fn archive_file(rest: &str) -> Option<(String, &'static str)> {
    if rest == FEED_FILE {
        return Some((FEED_FILE.to_owned(), ATOM));
    }
    if rest == "index.html" {
        return Some(("index.html".to_owned(), HTML));
    }
    let name = rest
        .strip_suffix("/index.html")
        .or_else(|| rest.strip_suffix('/'))
        .unwrap_or(rest);
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    ok.then(|| (format!("{name}/index.html"), HTML))
}

/// Serves `rel` of the archive folder; the folder is inside the public folder, and its files
/// are held to the public folder's rules (no symlink out of it, regular files only).
async fn serve(state: &AppState, rel: &str, mime: &'static str, headers: &HeaderMap) -> Response {
    let rel = std::path::Path::new(ARCHIVE_DIR).join(rel);
    files::serve(&state.public_dir, &rel, mime, headers).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_archive_names_map_to_files() {
        let html = |f: &str| Some((f.to_owned(), HTML));
        assert_eq!(
            archive_file("feed.xml"),
            Some(("feed.xml".to_owned(), ATOM))
        );
        assert_eq!(archive_file("index.html"), html("index.html"));
        assert_eq!(
            archive_file("2026-11-30-november/"),
            html("2026-11-30-november/index.html")
        );
        assert_eq!(
            archive_file("2026-11-30-november"),
            html("2026-11-30-november/index.html")
        );
        assert_eq!(
            archive_file("2026-11-30-november/index.html"),
            html("2026-11-30-november/index.html")
        );
        for bad in ["../secret", "a/b/", "..", ".hidden/", "Upper/", "x%2F/", ""] {
            assert_eq!(archive_file(bad), None, "{bad}");
        }
    }
}
