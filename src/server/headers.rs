//! The headers every HTTP answer carries, set in one layer around the whole router: a route
//! added later, a 404 from the fallback, a 405 from the router, a 408 from the timeout and a
//! 413 from the body limit get them without any handler having to remember.
//!
//! - Every answer: `X-Content-Type-Options: nosniff` (a browser never guesses HTML out of a
//!   feed or an error text), `X-Frame-Options: DENY` and `Referrer-Policy: no-referrer`. The
//!   referrer policy is `no-referrer` rather than `same-origin`: the pages behind tokens have
//!   the token in their URL, and even a same-origin request has no use for it (the sign-up
//!   form says where it came from with its own sealed field, see [`super::signup`]).
//! - HTML answers: the page policy of [`page_policy`]: no script at all, styles inline (and
//!   from the site), images from here, the site and `https:`, forms only to this daemon (and
//!   to `audience.thanks_url`'s origin), no `<base>`, no framing. Every other answer gets
//!   [`OTHER_POLICY`], which forbids everything: if a browser renders a feed or an
//!   `application/xml` file, nothing in it can run.
//! - `Cache-Control: no-store` on every answer that is not a file served with validators:
//!   the pages behind tokens (confirm, preferences, unsubscribe) and the form's answers show
//!   a person's address and lists, and errors and `/healthz` are of the moment. Feeds and
//!   archive pages keep their `ETag` / `Last-Modified` and get no `Cache-Control`, so caches
//!   revalidate them as before.
//! - An error answer without a body gets its reason as `text/plain; charset=utf-8`, so no
//!   answer has a body without a type.
//!
//! A header a handler set itself (a `Cache-Control`, a `Content-Security-Policy`) is kept;
//! `nosniff` and the framing ban are never wrong, so they are always set.

use axum::body::{Body, HttpBody as _};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;

use crate::config::Config;

/// The policy of every answer that is not HTML: nothing may load, nothing may frame it.
pub const OTHER_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// The policy of every HTML page, the daemon's own pages and the archive's alike: no script
/// at all (crier's pages and the archive need none); styles inline, as every built-in
/// template has them, or from the site (`site_origin`, for a site's own archive template
/// that links its stylesheet); images from this daemon, the site and any `https:` address
/// (the archive shows the posts' pictures, at absolute URLs on the site); forms only to this
/// daemon and to `form_origin` (where the form's answer redirects: browsers check redirects
/// too); no `<base>` and no framing.
pub fn page_policy(site_origin: Option<&str>, form_origin: Option<&str>) -> String {
    let site = site_origin.map(|o| format!(" {o}")).unwrap_or_default();
    let form = form_origin.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'none'; style-src 'unsafe-inline'{site}; img-src 'self' https:{site}; \
         form-action 'self'{form}; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// The headers the layer adds, built once from the config.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    page_policy: HeaderValue,
}

impl SecurityHeaders {
    /// The headers for a site: its origin and `audience.thanks_url`'s go into the page policy.
    pub fn new(config: &Config) -> Self {
        let origin = |u: &str| {
            url::Url::parse(u)
                .ok()
                .map(|u| u.origin())
                // An opaque origin ("null") names nothing a policy can allow.
                .filter(url::Origin::is_tuple)
                .map(|o| o.ascii_serialization())
        };
        Self::from_origins(
            origin(&config.site.url).as_deref(),
            config
                .audience
                .thanks_url
                .as_deref()
                .and_then(origin)
                .as_deref(),
        )
    }

    /// The headers with the page policy of [`page_policy`] for these origins.
    pub fn from_origins(site_origin: Option<&str>, form_origin: Option<&str>) -> Self {
        let policy = page_policy(site_origin, form_origin);
        SecurityHeaders {
            // Origins are ASCII; should one ever not fit a header, the strictest policy does.
            page_policy: HeaderValue::from_str(&policy)
                .unwrap_or_else(|_| HeaderValue::from_static(OTHER_POLICY)),
        }
    }

    /// Adds the headers to one answer (see the module's documentation for which and why).
    pub fn apply(&self, mut response: Response) -> Response {
        if response.status().is_client_error() || response.status().is_server_error() {
            response = with_reason_body(response);
        }
        let html = is_html(response.headers());
        let h = response.headers_mut();
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        let policy = if html {
            self.page_policy.clone()
        } else {
            HeaderValue::from_static(OTHER_POLICY)
        };
        h.entry(header::CONTENT_SECURITY_POLICY).or_insert(policy);
        h.entry(header::REFERRER_POLICY)
            .or_insert(HeaderValue::from_static("no-referrer"));
        let validated = h.contains_key(header::ETAG) || h.contains_key(header::LAST_MODIFIED);
        if !validated {
            h.entry(header::CACHE_CONTROL)
                .or_insert(HeaderValue::from_static("no-store"));
        }
        response
    }
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| {
            let t = t.trim();
            t.eq_ignore_ascii_case("text/html") || t.eq_ignore_ascii_case("application/xhtml+xml")
        })
}

/// An error answer with an empty body and no type (axum's 405, a bare 404 or 408) gets its
/// reason phrase as plain text; one with a body keeps it.
fn with_reason_body(response: Response) -> Response {
    let empty = response.body().size_hint().exact() == Some(0);
    if !empty || response.headers().contains_key(header::CONTENT_TYPE) {
        return response;
    }
    let status = response.status();
    let reason = status.canonical_reason().unwrap_or("Error");
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    // The old length (0) would now be wrong; hyper sets the new one from the body.
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(format!("{reason}\n")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;

    fn headers() -> SecurityHeaders {
        SecurityHeaders::from_origins(Some("https://site.example"), None)
    }

    fn get(r: &Response, name: header::HeaderName) -> Option<&str> {
        r.headers().get(name).map(|v| v.to_str().unwrap())
    }

    #[test]
    fn pages_get_the_page_policy_and_other_answers_the_strict_one() {
        let page = headers().apply(axum::response::Html("<p>hi</p>").into_response());
        let csp = get(&page, header::CONTENT_SECURITY_POLICY).unwrap();
        assert!(
            csp.contains("img-src 'self' https: https://site.example"),
            "{csp}"
        );
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("script"),
            "{csp}"
        );
        let text = headers().apply("ok".into_response());
        assert_eq!(
            get(&text, header::CONTENT_SECURITY_POLICY),
            Some(OTHER_POLICY)
        );
        for r in [&page, &text] {
            assert_eq!(get(r, header::X_CONTENT_TYPE_OPTIONS), Some("nosniff"));
            assert_eq!(get(r, header::X_FRAME_OPTIONS), Some("DENY"));
            assert_eq!(get(r, header::REFERRER_POLICY), Some("no-referrer"));
            assert_eq!(get(r, header::CACHE_CONTROL), Some("no-store"));
        }
    }

    #[test]
    fn files_with_validators_and_deliberate_headers_are_left_alone() {
        let file = headers().apply(([(header::ETAG, "\"x\"")], "feed").into_response());
        assert_eq!(get(&file, header::CACHE_CONTROL), None);
        let own = headers().apply(
            (
                [
                    (header::CACHE_CONTROL, "max-age=60"),
                    (header::X_CONTENT_TYPE_OPTIONS, "no"),
                ],
                "x",
            )
                .into_response(),
        );
        assert_eq!(get(&own, header::CACHE_CONTROL), Some("max-age=60"));
        assert_eq!(get(&own, header::X_CONTENT_TYPE_OPTIONS), Some("nosniff"));
    }

    #[tokio::test]
    async fn an_empty_error_gets_its_reason_as_text() {
        let r = headers().apply(StatusCode::METHOD_NOT_ALLOWED.into_response());
        assert_eq!(
            get(&r, header::CONTENT_TYPE),
            Some("text/plain; charset=utf-8")
        );
        let body = axum::body::to_bytes(r.into_body(), 100).await.unwrap();
        assert_eq!(&body[..], b"Method Not Allowed\n");
        let kept = headers().apply((StatusCode::BAD_REQUEST, "why").into_response());
        let body = axum::body::to_bytes(kept.into_body(), 100).await.unwrap();
        assert_eq!(&body[..], b"why");
        let moved = headers().apply(StatusCode::NOT_MODIFIED.into_response());
        assert_eq!(get(&moved, header::CONTENT_TYPE), None, "a 304 has no body");
    }
}
