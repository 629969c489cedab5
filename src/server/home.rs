//! The site's public page: the subscribe form, the feeds and the archive.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use serde_json::json;

use super::AppState;
use crate::config::PublicList;

/// `GET /`: the site's public page.
pub async fn index(State(state): State<Arc<AppState>>) -> Response {
    let form = state.signup.as_ref().map(|desk| {
        let lists: Vec<_> = desk.audience.lists.iter().map(list_json).collect();
        json!({
            "action": "subscribe",
            "choose": lists.len() > 1,
            "lists": lists,
            // Real time, not the injected clock: the fill time is a person's real seconds.
            "ts": state.key.form_token(Utc::now().timestamp()),
        })
    });
    let tags = tag_feeds(&state.public_dir, &state.feeds_path, &state.site_title).await;
    let archive = tokio::fs::try_exists(state.public_dir.join("archive/index.html"))
        .await
        .unwrap_or(false)
        .then(|| format!("{}archive/", state.feeds_path));
    let data = json!({"index": true, "form": form, "tags": tags, "archive": archive});
    state.pages.respond(StatusCode::OK, "index", data)
}

fn list_json(list: &PublicList) -> serde_json::Value {
    json!({"name": list.name, "title": list.title, "description": list.description})
}

/// The per-tag feeds in the output folder, by name: the Atom one to link, and all three
/// for `<link rel="alternate">`.
async fn tag_feeds(public: &std::path::Path, base: &str, site: &str) -> Vec<serde_json::Value> {
    let mut tags = Vec::new();
    if let Ok(mut dir) = tokio::fs::read_dir(public.join("tags")).await {
        while let Ok(Some(entry)) = dir.next_entry().await {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().join("atom.xml").exists() {
                tags.push(name);
            }
        }
    }
    tags.sort();
    tags.into_iter()
        .map(|t| {
            let alternates =
                crate::urls::feed_links(&format!("{site}: {t}"), &format!("{base}tags/{t}/"));
            json!({"name": t, "url": format!("{base}tags/{t}/atom.xml"), "alternates": alternates})
        })
        .collect()
}
