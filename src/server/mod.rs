//! The daemon's HTTP side: the feeds (with `ETag` / `Last-Modified` and 304 answers), the
//! unsubscribe endpoints, and a health check.
//!
//! `GET /unsubscribe?token=...` only shows a confirmation page with a button: link scanners
//! fetch every URL in a message, and must not unsubscribe anyone. `POST /unsubscribe` (the
//! button, or a mail client's RFC 8058 one-click request with `List-Unsubscribe=One-Click`)
//! unsubscribes and answers 200 without a redirect. Both are idempotent; a bad or forged token
//! gets a 400 page, never a 500.
//!
//! Every answer passes through one layer that sets the security headers for its type
//! ([`headers`]), and files are served only from inside the public folder ([`files`]).

pub mod archive;
pub mod bounce_smtp;
pub mod files;
pub mod headers;
pub mod health;
pub mod home;
pub mod member;
pub mod pages;
pub mod signup;
pub mod smtp_session;

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;

use crate::clock::Clock;
use crate::email::TokenKey;
use crate::service::members::{Members, Recorded};

/// What the handlers need.
pub struct AppState {
    /// The site's config as the daemon started with it.
    pub config: crate::config::Config,
    /// The feeds folder.
    pub public_dir: PathBuf,
    /// The URL path the feeds folder is published under (`/`, `/feeds/`), taken from
    /// `feeds.url`: the daemon serves each feed at the path its self link names.
    pub feeds_path: String,
    /// `Some` when the feeds folder holds other files too (Jekyll's source folder, with
    /// `feeds.paths: jekyll-feed`): then only the files a build with these paths writes are
    /// served (see [`crate::feeds::is_feed_file`]), never the site's own files.
    pub only_feed_files: Option<crate::config::FeedPaths>,
    /// Verifies unsubscribe tokens.
    pub key: TokenKey,
    /// For page titles.
    pub site_title: String,
    /// For suppression timestamps.
    pub clock: Clock,
    /// What `/healthz` reports.
    pub health: health::Health,
    /// The HTML pages.
    pub pages: pages::Pages,
    /// Sign-ups, confirmations and preferences; `None` without a newsletter.
    pub signup: Option<signup::SignupDesk>,
    /// Sending providers' bounce and complaint webhooks; `None` when none is configured.
    pub webhooks: Option<Arc<crate::service::webhooks::Webhooks>>,
}

/// Limits that keep one slow or hostile client from holding the daemon (or its shutdown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Time allowed to send a request's headers; then the connection is closed.
    pub header_read: Duration,
    /// Time allowed for a whole request, headers read to response ready.
    pub request: Duration,
    /// Largest request body (the only bodies are unsubscribe form posts).
    pub body_bytes: usize,
    /// After a shutdown request, how long connections may take to finish before they are
    /// dropped.
    pub shutdown_grace: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read: Duration::from_secs(10),
            request: Duration::from_secs(30),
            body_bytes: 64 * 1024,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// The router, with the body-size and whole-request limits of [`HttpLimits::default`].
pub fn router(state: Arc<AppState>) -> Router {
    router_with(state, &HttpLimits::default())
}

/// The router with explicit limits.
pub fn router_with(state: Arc<AppState>, limits: &HttpLimits) -> Router {
    let security = headers::SecurityHeaders::new(&state.config);
    let mut router = Router::new();
    for (path, handlers) in routes() {
        router = router.route(path, handlers);
    }
    let router = router
        .merge(archive::routes(&state.feeds_path))
        .fallback(get(feed_file))
        .with_state(state);
    with_limits_and_headers(router, limits, security)
}

/// Every route at a fixed path, with its handlers; the archive's routes (below the feeds'
/// path) and the feed files (the fallback) come on top. The HTTP suite requests each one
/// (see [`route_paths`]), so a route added here is checked for its headers too.
fn routes() -> Vec<(&'static str, MethodRouter<Arc<AppState>>)> {
    let webhook_body = DefaultBodyLimit::max(crate::bounce::webhook::limits::MAX_BODY);
    vec![
        ("/", get(home::index)),
        ("/healthz", get(healthz)),
        ("/unsubscribe", get(confirm_page).post(unsubscribe)),
        ("/subscribe", post(signup::subscribe)),
        ("/confirm", get(member::confirm_page).post(member::confirm)),
        (
            "/preferences",
            get(member::preferences_page).post(member::preferences),
        ),
        ("/webhooks/{provider}", post(webhook).layer(webhook_body)),
    ]
}

/// Every route pattern the router has for a site whose feeds are served at `feeds_path`: the
/// fixed routes, then the archive's. Requests no route matches go to the feed files.
pub fn route_paths(feeds_path: &str) -> Vec<String> {
    let fixed = routes().into_iter().map(|(path, _)| path.to_owned());
    fixed.chain(archive::route_paths(feeds_path)).collect()
}

/// The limits, then the security headers around everything: the layer is the outermost, so
/// the 404s and 405s of the router, the 413 of the body limit and the 408 of the timeout
/// carry the headers too.
fn with_limits_and_headers(
    router: Router,
    limits: &HttpLimits,
    security: headers::SecurityHeaders,
) -> Router {
    let timeout = limits.request;
    let security = Arc::new(security);
    router
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| async move {
                match tokio::time::timeout(timeout, next.run(request)).await {
                    Ok(response) => response,
                    Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
                }
            },
        ))
        .layer(axum::middleware::map_response(move |response: Response| {
            std::future::ready(security.apply(response))
        }))
}

/// Serves `app` on `listener` until `shutdown` turns true, then lets open connections finish
/// for at most `limits.shutdown_grace` and drops the rest: SIGTERM stops the daemon in
/// bounded time whatever clients do. Each connection gets `limits.header_read` to send its
/// request headers (hyper has no such limit by default, and `axum::serve` sets none).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: HttpLimits,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let app = app.clone().layer(axum::Extension(signup::Peer(peer)));
                    let conn = serve_connection(stream, app, limits, shutdown.clone());
                    connections.spawn(conn);
                }
                Err(err) => {
                    // Out of file descriptors, say: do not spin, try again shortly.
                    tracing::warn!(%err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = crate::util::shutdown::stopped(&mut shutdown) => break,
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.shutdown_grace, drain)
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "connections still open after the shutdown grace period: dropping them"
        );
        connections.shutdown().await;
    }
}

/// One HTTP/1.1 connection; on shutdown, finishes the request in progress and closes.
async fn serve_connection(
    stream: tokio::net::TcpStream,
    app: Router,
    limits: HttpLimits,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let service = hyper_util::service::TowerToHyperService::new(app);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        _ = crate::util::shutdown::stopped(&mut shutdown) => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(err) = result {
        tracing::debug!(%err, "connection ended with an error");
    }
}

/// `POST /webhooks/<provider>`: a sending provider's bounce or complaint events.
async fn webhook(
    State(state): State<Arc<AppState>>,
    axum::extract::Path(provider): axum::extract::Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(webhooks) = state.webhooks.clone() else {
        return (StatusCode::NOT_FOUND, "no webhooks are configured").into_response();
    };
    let headers: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_ascii_lowercase(), v.to_str().ok()?.to_owned())))
        .collect();
    let now = state.clock.now_utc();
    let answer =
        tokio::task::spawn_blocking(move || webhooks.handle(&provider, &headers, &body, now)).await;
    let (status, text) = match answer {
        Ok(a) => (
            StatusCode::from_u16(a.status).unwrap_or(StatusCode::BAD_REQUEST),
            a.text,
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "try again later".to_owned(),
        ),
    };
    (status, text).into_response()
}

/// `GET /healthz` (never stored, as every answer that is not a file: see [`headers`]). The
/// report looks at the served feed files on disk, so it is made on a blocking thread.
async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let health = state.health.clone();
    match tokio::task::spawn_blocking(move || health.report()).await {
        Ok(report) => report.into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "try again later").into_response(),
    }
}

use member::TokenQuery;

async fn confirm_page(State(state): State<Arc<AppState>>, Query(q): Query<TokenQuery>) -> Response {
    let Some((_, address)) = q.token.as_deref().and_then(|t| state.key.verify(t)) else {
        return bad_token(&state);
    };
    let question = format!("Stop all e-mails from {} to {}?", state.site_title, address);
    let form = serde_json::json!({
        "action": "unsubscribe",
        "button": "Unsubscribe from all e-mails",
        "hidden": [{"name": "token", "value": q.token}, {"name": "List-Unsubscribe", "value": "One-Click"}],
    });
    state.pages.message(
        StatusCode::OK,
        "Unsubscribe",
        &[&question, "This unsubscribes the address from every list of this newsletter. You can choose lists one by one with the preferences link in any of our e-mails."],
        Some(form),
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
    let now = state.clock.now_utc();
    let address = crate::subscribers::Address::unchecked(&address);
    let (st, who) = (Arc::clone(&state), address.clone());
    let stored =
        tokio::task::spawn_blocking(move || Members::new(&st.config).unsubscribe(&who, &list, now))
            .await;
    match stored {
        Ok(Ok(recorded)) => {
            tracing::info!(who = %state.key.pseudonym(&address), pending = recorded == Recorded::Pending, "unsubscribed by one-click link");
            let done = format!(
                "{address} is unsubscribed and will not get any more e-mails from this newsletter."
            );
            state
                .pages
                .message(StatusCode::OK, "You are unsubscribed", &[&done], None)
        }
        Ok(Err(err)) => {
            tracing::error!(%err, "cannot record an unsubscribe");
            member::try_again(&state)
        }
        Err(_) => member::try_again(&state),
    }
}

fn bad_token(state: &AppState) -> Response {
    state.pages.message(
        StatusCode::BAD_REQUEST,
        "This link does not work",
        &["This unsubscribe link is not valid. Please use the link from the most recent e-mail."],
        None,
    )
}

/// A file of the public folder, at its path below `feeds_path` (see [`files`]).
async fn feed_file(
    State(state): State<Arc<AppState>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let Some(rel) = uri
        .path()
        .strip_prefix(state.feeds_path.as_str())
        .and_then(safe_path)
    else {
        return files::not_found();
    };
    if let Some(paths) = state.only_feed_files {
        let name = rel.to_str().unwrap_or_default();
        if !crate::feeds::is_feed_file(name, paths) {
            return files::not_found();
        }
    }
    files::serve(&state.public_dir, &rel, content_type(&rel), &headers).await
}

/// A URL path as a relative file path inside the public folder (no `..`), `index` for `/`.
fn safe_path(url_path: &str) -> Option<PathBuf> {
    let decoded = percent_encoding::percent_decode_str(url_path)
        .decode_utf8()
        .ok()?;
    let rel = Path::new(decoded.trim_start_matches('/'));
    // Never anything hidden (an editor's swap file, a temporary file being written, a `.git`
    // folder someone put in the output folder), at any depth.
    if rel
        .components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
    {
        return None;
    }
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) || rel.as_os_str().is_empty() {
        return None;
    }
    Some(rel.to_path_buf())
}

fn content_type(path: &Path) -> &'static str {
    // jekyll-feed's paths (`feed.xml`, `feed/by_tag/<tag>.xml`) hold Atom feeds too.
    let jekyll_tag_feed = path
        .parent()
        .is_some_and(|p| p == Path::new(crate::feeds::JEKYLL_FEED_TAGS_DIR));
    match path.file_name().and_then(|n| n.to_str()) {
        Some("rss.xml") => "application/rss+xml; charset=utf-8",
        Some("atom.xml" | crate::feeds::JEKYLL_FEED_FILE) => "application/atom+xml; charset=utf-8",
        Some(n) if jekyll_tag_feed && n.ends_with(".xml") => "application/atom+xml; charset=utf-8",
        Some(n) if n.ends_with(".json") => "application/feed+json; charset=utf-8",
        Some(n) if n.ends_with(".xml") => "application/xml; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The path part of `feeds.url` (`https://example.com/feeds/` -> `/feeds/`), where the daemon
/// serves the feeds folder.
pub fn feeds_path(feeds_url: &str) -> String {
    let path = url::Url::parse(feeds_url)
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|_| "/".to_owned());
    if path.ends_with('/') {
        path
    } else {
        format!("{path}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server of one route with short limits; its address and its shutdown switch.
    async fn short_limits_server() -> (
        std::net::SocketAddr,
        tokio::sync::watch::Sender<bool>,
        tokio::task::JoinHandle<()>,
    ) {
        let limits = HttpLimits {
            header_read: Duration::from_millis(300),
            request: Duration::from_secs(5),
            body_bytes: 1024,
            shutdown_grace: Duration::from_millis(500),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::watch::channel(false);
        let app = Router::new().route("/", get(|| async { "hi" }));
        let server = tokio::spawn(serve(listener, app, limits, rx));
        (addr, tx, server)
    }

    #[tokio::test]
    async fn half_sent_headers_are_cut_off() {
        let (addr, _tx, _server) = short_limits_server().await;
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut buf)).await;
        assert!(
            read.is_ok(),
            "the connection was not closed after the header timeout"
        );
    }

    #[tokio::test]
    async fn shutdown_waits_a_bounded_time_for_open_connections() {
        let (addr, tx, server) = short_limits_server().await;
        let mut held = Vec::new();
        for _ in 0..5 {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
            held.push(s);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = std::time::Instant::now();
        tx.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(3), server)
            .await
            .expect("serve returned within the grace period")
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    /// The whole answer to one raw HTTP/1.1 request.
    async fn raw(addr: std::net::SocketAddr, request: &str) -> String {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        String::from_utf8_lossy(&answer).to_lowercase()
    }

    #[tokio::test]
    async fn the_limits_answers_carry_the_security_headers() {
        let limits = HttpLimits {
            request: Duration::from_millis(200),
            body_bytes: 16,
            ..HttpLimits::default()
        };
        let app = Router::new()
            .route(
                "/slow",
                get(|| async { tokio::time::sleep(Duration::from_secs(5)).await }),
            )
            .route("/form", post(|body: String| async move { body }));
        let security = headers::SecurityHeaders::from_origins(None, None);
        let app = with_limits_and_headers(app, &limits, security);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (_tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(serve(listener, app, limits, rx));
        let close = "Host: x\r\nConnection: close\r\n";
        let slow = raw(addr, &format!("GET /slow HTTP/1.1\r\n{close}\r\n")).await;
        let large = format!(
            "POST /form HTTP/1.1\r\n{close}Content-Length: 64\r\n\r\n{}",
            "a".repeat(64)
        );
        let large = raw(addr, &large).await;
        let wrong = raw(addr, &format!("DELETE /form HTTP/1.1\r\n{close}\r\n")).await;
        for (answer, status) in [(slow, "408"), (large, "413"), (wrong, "405")] {
            assert!(
                answer.starts_with(&format!("http/1.1 {status}")),
                "{answer}"
            );
            for header in [
                "x-content-type-options: nosniff",
                "x-frame-options: deny",
                "referrer-policy: no-referrer",
                "cache-control: no-store",
                "content-type: text/plain; charset=utf-8",
                "content-security-policy: default-src 'none'; frame-ancestors 'none'",
            ] {
                assert!(answer.contains(header), "{header}: {answer}");
            }
        }
    }

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
        assert_eq!(safe_path("/.git/config"), None);
        assert_eq!(safe_path("/tags/.cache/x"), None);
        assert_eq!(safe_path("/.rss.xml.swp"), None);
    }
}
