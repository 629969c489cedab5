//! Files served from the public folder (the feeds and the archive), with `ETag` and
//! `Last-Modified` and 304 answers to conditional requests.
//!
//! A file is served only when its real path, every symlink resolved, is inside the real
//! public folder, and it is a regular file. A symlink someone put in the folder (to
//! `/etc/passwd`, to the ledger, to a folder elsewhere) is not followed out of it, and a FIFO
//! or a device, which could hold a request (and a blocking thread) forever, is never opened.
//! Symlinks that stay inside the folder are served. A refused file gets the same 404 as a
//! missing one.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// The 404 of every missing or refused file, the same whatever the reason.
pub fn not_found() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

/// Answers a request for `rel` (a relative path of plain names) inside `root`, as
/// `content_type`; `request` carries the conditional headers.
pub async fn serve(
    root: &Path,
    rel: &Path,
    content_type: &'static str,
    request: &HeaderMap,
) -> Response {
    let (root, rel) = (root.to_path_buf(), rel.to_path_buf());
    let read = tokio::task::spawn_blocking(move || read_inside(&root, &rel)).await;
    let Ok(Some(file)) = read else {
        return not_found();
    };
    let etag = format!(
        "\"{}\"",
        Sha256::digest(&file.bytes)[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let modified = file.modified.map(DateTime::<Utc>::from);
    let mut response = if not_modified(request, &etag, modified) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        file.bytes.into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    let last_modified = modified.map(|m| m.format("%a, %d %b %Y %H:%M:%S GMT").to_string());
    if let Some(v) = last_modified.and_then(|lm| HeaderValue::from_str(&lm).ok()) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A file's bytes and modification time.
struct File {
    bytes: Vec<u8>,
    modified: Option<SystemTime>,
}

/// Reads `rel` inside `root` if it may be served (see the module's documentation).
fn read_inside(root: &Path, rel: &Path) -> Option<File> {
    let real = resolve_inside(root, rel)?;
    let mut file = std::fs::File::open(&real).ok()?;
    // Checked again on the open file: what was checked by name may have been replaced since.
    let meta = file.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).ok()?;
    Some(File {
        bytes,
        modified: meta.modified().ok(),
    })
}

/// The real path of `rel` inside `root`, when it is a regular file inside the real `root`.
/// The root is resolved on every request: a deploy that switches a `public` symlink to a new
/// release is followed.
fn resolve_inside(root: &Path, rel: &Path) -> Option<PathBuf> {
    let root = std::fs::canonicalize(root).ok()?;
    let real = std::fs::canonicalize(root.join(rel)).ok()?;
    // Checked by name, before opening: opening a FIFO for reading waits for a writer.
    let regular = std::fs::metadata(&real).is_ok_and(|m| m.is_file());
    (real.starts_with(&root) && regular).then_some(real)
}

/// Whether the request's validators match: `If-None-Match` when it is there (RFC 9110
/// §13.1.3), else `If-Modified-Since`.
fn not_modified(request: &HeaderMap, etag: &str, modified: Option<DateTime<Utc>>) -> bool {
    let header = |name| {
        request
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    match header(header::IF_NONE_MATCH) {
        Some(tags) => tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"),
        None => match (header(header::IF_MODIFIED_SINCE), modified) {
            (Some(since), Some(m)) => {
                DateTime::parse_from_rfc2822(since).is_ok_and(|s| m.timestamp() <= s.timestamp())
            }
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_inside_the_real_root_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let (root, outside) = (dir.path().join("public"), dir.path().join("state"));
        std::fs::create_dir_all(root.join("tags")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(root.join("rss.xml"), "feed").unwrap();
        std::fs::write(outside.join("crier.db"), "ledger").unwrap();
        let link = |target: &Path, name: &str| {
            std::os::unix::fs::symlink(target, root.join(name)).unwrap();
        };
        link(&outside.join("crier.db"), "leak.xml");
        link(Path::new("../state"), "state");
        link(Path::new("rss.xml"), "latest.xml");
        link(Path::new("tags"), "labels");
        std::fs::write(root.join("tags/atom.xml"), "tag feed").unwrap();

        let resolves = |rel: &str| resolve_inside(&root, Path::new(rel)).is_some();
        assert!(resolves("rss.xml"));
        assert!(resolves("latest.xml"), "a symlink inside the folder");
        assert!(resolves("labels/atom.xml"), "a symlinked folder inside");
        assert!(!resolves("leak.xml"), "a symlink to a file outside");
        assert!(!resolves("state/crier.db"), "a symlink to a folder outside");
        assert!(!resolves("tags"), "a folder");
        assert!(!resolves("missing.xml"));

        // A root that is itself a symlink (a deploy's `public -> releases/7`) still works.
        let alias = dir.path().join("current");
        std::os::unix::fs::symlink(&root, &alias).unwrap();
        assert!(resolve_inside(&alias, Path::new("rss.xml")).is_some());
        assert!(resolve_inside(&alias, Path::new("leak.xml")).is_none());
    }

    #[test]
    fn validators_decide_304s() {
        let mut h = HeaderMap::new();
        let m = DateTime::parse_from_rfc2822("Wed, 25 Nov 2026 12:00:00 GMT")
            .unwrap()
            .to_utc();
        assert!(!not_modified(&h, "\"a\"", Some(m)));
        h.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_static("Wed, 25 Nov 2026 12:00:00 GMT"),
        );
        assert!(not_modified(&h, "\"a\"", Some(m)));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"b\""));
        assert!(!not_modified(&h, "\"a\"", Some(m)), "If-None-Match wins");
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"b\", \"a\""),
        );
        assert!(not_modified(&h, "\"a\"", Some(m)));
    }
}
