//! Every answer of the daemon carries the security headers of its type, over a real socket:
//! every route the router has (checked against `crier::server::route_paths`, so a route added
//! later without a request here fails), every feed file, the archive, and the router's own
//! answers (404, 405, 413), plus a 503 of a page whose ledger is gone.

use std::collections::BTreeSet;

use crate::common::daemon::Daemon;
use crate::common::{feed_files, TempSite, TEST_KEY};
use crier::email::TokenKey;
use crier::subscribers::Address;

/// When the example's first digest goes out: the archive then has one page.
const FIRST_DIGEST: &str = "2026-11-30T09:00:00Z";
const ARCHIVE_PAGE: &str = "2026-11-30-riverside-cloud-native-november-2026";
const MAILGUN_KEY: &str = "key-for-the-test-only";
/// The policy of every answer that is not HTML.
const STRICT: &str = "default-src 'none'; frame-ancestors 'none'";

type Answer = (u16, Vec<(String, String)>, String);

/// What an answer is, and so which headers it must carry.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// A page of the daemon's (its own, or one behind a token): HTML, never stored.
    Page,
    /// An archive page: HTML served as a file, with validators.
    ArchivePage,
    /// A file with this media type, with validators.
    File(&'static str),
    /// A plain-text answer (health, webhooks, errors), never stored.
    Text,
    /// A redirect, never stored.
    Redirect,
    /// A 304 to a conditional request.
    NotModified,
}

fn header<'a>(answer: &'a Answer, name: &str) -> Option<&'a str> {
    let mut values = answer.1.iter().filter(|(k, _)| k == name);
    let first = values.next().map(|(_, v)| v.as_str());
    assert!(values.next().is_none(), "{name} is sent once");
    first
}

/// Asserts the headers of `answer` (to `what`) for its `kind`.
fn check(what: &str, answer: &Answer, kind: Kind) {
    let h = |name| header(answer, name);
    let ctx = format!("{what} ({kind:?}): {:?}", answer.1);
    assert_eq!(h("x-content-type-options"), Some("nosniff"), "{ctx}");
    assert_eq!(h("x-frame-options"), Some("DENY"), "{ctx}");
    assert_eq!(h("referrer-policy"), Some("no-referrer"), "{ctx}");
    let csp = h("content-security-policy").unwrap_or_else(|| panic!("no CSP: {ctx}"));
    assert!(csp.starts_with("default-src 'none';"), "{ctx}");
    assert!(csp.contains("frame-ancestors 'none'"), "{ctx}");
    assert!(
        !csp.contains("script") && !csp.contains("unsafe-eval"),
        "{ctx}"
    );
    if !answer.2.is_empty() {
        let ct = h("content-type").unwrap_or_else(|| panic!("a body without a type: {ctx}"));
        if ct.starts_with("text/") || ct.contains("xml") || ct.contains("json") {
            assert!(ct.ends_with("; charset=utf-8"), "{ctx}");
        }
    }
    let no_store = h("cache-control") == Some("no-store");
    let validators = h("etag").is_some() && h("last-modified").is_some();
    match kind {
        Kind::Page | Kind::ArchivePage => {
            assert_eq!(h("content-type"), Some("text/html; charset=utf-8"), "{ctx}");
            for part in [
                "base-uri 'none'",
                "form-action 'self'",
                "img-src 'self' https:",
            ] {
                assert!(csp.contains(part), "{part}: {ctx}");
            }
            assert!(answer.2.contains("<html"), "{ctx}");
            assert!(!answer.2.contains("<script"), "{ctx}");
            if kind == Kind::Page {
                assert!(no_store, "{ctx}");
            } else {
                assert!(validators && !no_store, "{ctx}");
            }
        }
        Kind::File(media) => {
            assert_eq!(h("content-type"), Some(media), "{ctx}");
            assert_eq!(csp, STRICT, "{ctx}");
            assert!(validators && !no_store, "feeds keep their caching: {ctx}");
        }
        Kind::Text => {
            assert_eq!(
                h("content-type"),
                Some("text/plain; charset=utf-8"),
                "{ctx}"
            );
            assert!(!answer.2.is_empty(), "{ctx}");
            assert_eq!(csp, STRICT, "{ctx}");
            assert!(no_store, "{ctx}");
        }
        Kind::Redirect => {
            assert!(h("location").is_some() && no_store, "{ctx}");
            assert_eq!(csp, STRICT, "{ctx}");
        }
        Kind::NotModified => {
            assert!(answer.2.is_empty() && h("etag").is_some(), "{ctx}");
        }
    }
}

/// The media type the daemon must give a feed file.
fn feed_type(rel: &str) -> &'static str {
    match rel.rsplit('/').next().unwrap() {
        "rss.xml" => "application/rss+xml; charset=utf-8",
        "atom.xml" => "application/atom+xml; charset=utf-8",
        "feed.json" => "application/feed+json; charset=utf-8",
        other => panic!("an unexpected file in the public folder: {other}"),
    }
}

/// The example site with a mailgun webhook, after its first digest went out (so it has an
/// archive page).
fn site() -> TempSite {
    let site = TempSite::example();
    let key = site.write("secrets/mailgun.key", MAILGUN_KEY);
    let config = site.read("crier.yaml");
    let webhooks = format!(
        "\nbounces:\n  webhooks:\n    mailgun:\n      signing_key_file: {}\n",
        key.display()
    );
    site.write("crier.yaml", config + &webhooks);
    let out = site.crier_at(FIRST_DIGEST, &["send"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    site
}

/// A Mailgun complaint, signed, about a message crier does not know.
fn mailgun_event(timestamp: &str) -> String {
    let token = "token-1";
    serde_json::json!({
        "signature": {
            "timestamp": timestamp,
            "token": token,
            "signature": crier::bounce::webhook::mailgun_signature(MAILGUN_KEY, timestamp, token),
        },
        "event-data": {
            "id": "event-1",
            "event": "complained",
            "recipient": "nobody@example.org",
            "message": {"headers": {"message-id": "unknown@example.com"}},
        },
    })
    .to_string()
}

/// Requests `path` and checks the status and the headers; records which route pattern the
/// request was for.
struct Run<'a> {
    daemon: &'a Daemon,
    covered: BTreeSet<String>,
}

impl Run<'_> {
    fn ask(
        &mut self,
        route: &str,
        method: &str,
        path: &str,
        body: &str,
        status: u16,
        kind: Kind,
    ) -> Answer {
        let type_ = if path.starts_with("/webhooks/") {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        let form = [("Content-Type", type_)];
        let headers: &[(&str, &str)] = if method == "POST" { &form } else { &[] };
        let answer = self.daemon.request(method, path, headers, body);
        let what = format!("{method} {path}");
        assert_eq!(answer.0, status, "{what}: {}", answer.2);
        check(&what, &answer, kind);
        self.covered.insert(route.to_owned());
        answer
    }
}

#[test]
fn every_route_answers_with_the_headers_of_its_type() {
    let site = site();
    let daemon = Daemon::start_with(&site, FIRST_DIGEST, &["--no-send"]);
    let mut run = Run {
        daemon: &daemon,
        covered: BTreeSet::new(),
    };
    let key = TokenKey::from_bytes(TEST_KEY.as_bytes());
    let grace = Address::unchecked("grace@example.org");
    let unsubscribe = key.token("members", &grace);
    let preferences = key.preferences_token(&grace);
    let issued = chrono::DateTime::parse_from_rfc3339(FIRST_DIGEST)
        .unwrap()
        .timestamp();
    let newcomer = Address::unchecked("newcomer@example.org");
    let confirm = key.confirm_token(&newcomer, &["members".to_owned()], issued);
    use Kind::*;

    run.ask("/", "GET", "/", "", 200, Page);
    run.ask("/healthz", "GET", "/healthz", "", 200, Text);
    let unsub = "/unsubscribe";
    run.ask(unsub, "GET", "/unsubscribe?token=forged", "", 400, Page);
    let good = format!("/unsubscribe?token={unsubscribe}");
    let (_, _, body) = run.ask(unsub, "GET", &good, "", 200, Page);
    assert!(body.contains("grace@example.org"), "{body}");
    run.ask(unsub, "POST", "/unsubscribe?token=forged", "", 400, Page);
    let one_click = "List-Unsubscribe=One-Click";
    run.ask(unsub, "POST", &good, one_click, 200, Page);
    let (sub, form) = ("/subscribe", "email=someone%40example.org");
    run.ask(sub, "POST", "/subscribe", form, 200, Page);
    run.ask(sub, "POST", "/subscribe", "email=not-an-address", 400, Page);
    let huge = format!("email=x%40example.org&name={}", "a".repeat(200_000));
    run.ask(sub, "POST", "/subscribe", &huge, 413, Text);
    run.ask(sub, "GET", "/subscribe", "", 405, Text);
    let conf = "/confirm";
    run.ask(conf, "GET", "/confirm?token=forged", "", 400, Page);
    let good = format!("/confirm?token={confirm}");
    run.ask(conf, "GET", &good, "", 200, Page);
    // Someone who never signed up: "Nothing changed", a page all the same.
    let confirm_form = format!("token={confirm}");
    run.ask(conf, "POST", "/confirm", &confirm_form, 200, Page);
    let prefs = "/preferences";
    run.ask(prefs, "GET", "/preferences?token=forged", "", 400, Page);
    let good = format!("/preferences?token={preferences}");
    let (_, _, body) = run.ask(prefs, "GET", &good, "", 200, Page);
    assert!(
        body.contains("grace@example.org"),
        "a person's page: {body}"
    );
    let save = format!("token={preferences}&list=members&action=save");
    run.ask(prefs, "POST", "/preferences", &save, 200, Page);
    let hooks = "/webhooks/{provider}";
    run.ask(hooks, "POST", "/webhooks/mailgun", "{}", 403, Text);
    let event = mailgun_event(&issued.to_string());
    run.ask(hooks, "POST", "/webhooks/mailgun", &event, 200, Text);
    run.ask(hooks, "POST", "/webhooks/nothing", "{}", 404, Text);
    run.ask(hooks, "GET", "/webhooks/mailgun", "", 405, Text);

    // Every file of the public folder, the tags' feeds included.
    let public = site.path().join("public");
    let mut files = 0;
    for path in feed_files(&public) {
        let rel = path
            .strip_prefix(&public)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if rel.starts_with("archive/") {
            continue;
        }
        let url = format!("/{rel}");
        let answer = run.ask("feed files", "GET", &url, "", 200, File(feed_type(&rel)));
        let etag = header(&answer, "etag").unwrap().to_owned();
        let again = daemon.request("GET", &url, &[("If-None-Match", &etag)], "");
        assert_eq!(again.0, 304, "{url}");
        check(&format!("conditional GET {url}"), &again, NotModified);
        files += 1;
    }
    assert!(files >= 6, "the main and tag feeds: {files}");
    run.ask("feed files", "GET", "/nothing-here.xml", "", 404, Text);
    run.ask("feed files", "POST", "/rss.xml", "", 405, Text);
    run.ask("feed files", "GET", "/tags/", "", 404, Text);

    // The archive: its folder, index, a page, its feed.
    run.ask("/archive", "GET", "/archive", "", 308, Redirect);
    run.ask("/archive/", "GET", "/archive/", "", 200, ArchivePage);
    let rest = "/archive/{*rest}";
    run.ask(rest, "GET", "/archive/index.html", "", 200, ArchivePage);
    let page = format!("/archive/{ARCHIVE_PAGE}/");
    let (_, _, body) = run.ask(rest, "GET", &page, "", 200, ArchivePage);
    assert!(
        body.contains("<img src=\"https://"),
        "the page shows pictures"
    );
    let page = format!("/archive/{ARCHIVE_PAGE}/index.html");
    run.ask(rest, "GET", &page, "", 200, ArchivePage);
    let atom = File("application/atom+xml; charset=utf-8");
    run.ask(rest, "GET", "/archive/feed.xml", "", 200, atom);
    run.ask(rest, "GET", "/archive/nothing-here/", "", 404, Text);
    run.ask(rest, "GET", "/archive/UPPER/", "", 404, Text);

    // A page whose ledger is gone answers 503, with the page headers.
    let state = site.path().join("state");
    std::fs::remove_dir_all(&state).unwrap();
    std::fs::create_dir_all(state.join("crier.db")).unwrap();
    let good = format!("/preferences?token={preferences}");
    run.ask(prefs, "GET", &good, "", 503, Page);

    // Every route of the router was asked for (the fallback's feed files besides).
    let mut routes: BTreeSet<String> = crier::server::route_paths("/").into_iter().collect();
    routes.insert("feed files".to_owned());
    assert_eq!(run.covered, routes, "a route without a request here");
}
