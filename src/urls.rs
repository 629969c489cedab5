//! Making every URL that leaves the site absolute and valid.
//!
//! Posts written for Jekyll use root-relative paths (`/images/July meetup.png`), protocol-relative
//! hosts (`//cdn.example.com/x.js`) and page-relative paths; feed readers and mail clients have no
//! page to resolve them against, so everything is resolved here, once, and percent-encoded.

use url::Url;

/// What relative URLs in one post are resolved against.
#[derive(Debug, Clone, Copy)]
pub struct UrlBase<'a> {
    /// Site origin without trailing slash, e.g. `https://example.com`.
    pub site_url: &'a str,
    /// Site path prefix: empty or `/blog`.
    pub baseurl: &'a str,
    /// The absolute URL of the page the link appears on (the post's permalink).
    pub page_url: &'a str,
}

/// Resolves `raw` to an absolute, valid URL.
///
/// - root-relative `/x` becomes `site_url + baseurl + /x` (unless it already starts with
///   `baseurl`, as `{{ site.baseurl }}/x` does after substitution);
/// - protocol-relative `//host/x` becomes `https://host/x`;
/// - page-relative `x.png`, `../x` and `#frag` are resolved against the page URL;
/// - absolute URLs (`https:`, `mailto:`, ...) are kept.
///
/// Characters not allowed in URLs (spaces, non-ASCII, `"<>`...) are percent-encoded in all cases.
pub fn absolutize(raw: &str, base: &UrlBase<'_>) -> String {
    let raw = raw.trim();
    if raw.is_empty() {
        return base.page_url.to_owned();
    }
    let resolved = if let Some(rest) = raw.strip_prefix("//") {
        format!("https://{rest}")
    } else if raw.starts_with('/') {
        if !base.baseurl.is_empty() && has_path_prefix(raw, base.baseurl) {
            format!("{}{raw}", base.site_url)
        } else {
            format!("{}{}{raw}", base.site_url, base.baseurl)
        }
    } else if has_scheme(raw) {
        raw.to_owned()
    } else {
        match Url::parse(base.page_url).and_then(|page| page.join(&encode_illegal(raw))) {
            Ok(joined) => joined.to_string(),
            Err(_) => format!("{}{}/{raw}", base.site_url, base.baseurl),
        }
    };
    encode_illegal(&resolved)
}

fn has_path_prefix(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
}

/// Whether `s` starts with a URL scheme (`https:`, `mailto:`, `tel:`...).
pub fn has_scheme(s: &str) -> bool {
    match s.find(':') {
        Some(0) | None => false,
        Some(i) => {
            let scheme = &s[..i];
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
    }
}

/// Percent-encodes every character that may not appear in a URL, leaving valid `%XX` escapes
/// and all reserved characters alone, so an already-valid URL comes back unchanged.
pub fn encode_illegal(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    for (i, &b) in bytes.iter().enumerate() {
        let allowed = b.is_ascii_alphanumeric()
            || b"-._~:/?#[]@!$&'()*+,;=".contains(&b)
            || (b == b'%'
                && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit));
        if allowed {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The page where a person can watch a video whose embed URL a post gives.
///
/// YouTube and Vimeo embed URLs (which only work inside an iframe) become their watch pages;
/// anything else is returned unchanged. A start time is kept: YouTube's `start=20` (embeds)
/// or `t=20` / `t=1m30s` (watch and short links) becomes `&t=...` on the watch page, and a
/// Vimeo `#t=20s` fragment stays.
pub fn video_watch_url(video: &str) -> String {
    if let Some(id) = youtube_id(video) {
        return match youtube_start(video) {
            Some(t) => format!("https://www.youtube.com/watch?v={id}&t={t}"),
            None => format!("https://www.youtube.com/watch?v={id}"),
        };
    }
    if let Ok(url) = Url::parse(video) {
        if url.host_str() == Some("player.vimeo.com") {
            if let Some(id) = url.path().strip_prefix("/video/") {
                let fragment = url
                    .fragment()
                    .filter(|f| f.starts_with("t="))
                    .map(|f| format!("#{f}"))
                    .unwrap_or_default();
                return format!("https://vimeo.com/{}{fragment}", id.trim_end_matches('/'));
            }
        }
    }
    video.to_owned()
}

/// The start time of a YouTube URL (`start=` or `t=`, in the query or the fragment), if it is
/// a plain time such as `20`, `20s` or `1m30s`.
fn youtube_start(video: &str) -> Option<String> {
    let url = Url::parse(video).ok()?;
    let from_fragment = url
        .fragment()
        .map(|f| {
            url::form_urlencoded::parse(f.as_bytes())
                .into_owned()
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let pairs = url.query_pairs().into_owned().chain(from_fragment);
    let value = pairs
        .filter(|(k, _)| k == "start" || k == "t")
        .map(|(_, v)| v)
        .next()?;
    let valid = !value.is_empty()
        && value.len() <= 16
        && value.starts_with(|c: char| c.is_ascii_digit())
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, 'h' | 'm' | 's'));
    valid.then_some(value)
}

/// The YouTube video id of an embed, watch or short URL, if it is one.
pub fn youtube_id(video: &str) -> Option<String> {
    let url = Url::parse(video).ok()?;
    let host = url
        .host_str()?
        .trim_start_matches("www.")
        .trim_start_matches("m.");
    let id = match host {
        "youtube.com" | "youtube-nocookie.com" => {
            let path = url.path();
            if let Some(rest) = path
                .strip_prefix("/embed/")
                .or_else(|| path.strip_prefix("/v/"))
                .or_else(|| path.strip_prefix("/live/"))
                .or_else(|| path.strip_prefix("/shorts/"))
            {
                rest.split('/').next()?.to_owned()
            } else {
                url.query_pairs()
                    .find(|(k, _)| k == "v")
                    .map(|(_, v)| v.into_owned())?
            }
        }
        "youtu.be" => url
            .path()
            .trim_start_matches('/')
            .split('/')
            .next()?
            .to_owned(),
        _ => return None,
    };
    let valid = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    valid.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: UrlBase<'static> = UrlBase {
        site_url: "https://example.com",
        baseurl: "",
        page_url: "https://example.com/2024/01/10/recap/",
    };

    #[test]
    fn root_relative_paths_get_site_url_and_spaces_encoded() {
        assert_eq!(
            absolutize("/images/Cloud Native London July.png", &BASE),
            "https://example.com/images/Cloud%20Native%20London%20July.png"
        );
    }

    #[test]
    fn baseurl_is_added_once() {
        let base = UrlBase {
            baseurl: "/blog",
            ..BASE
        };
        assert_eq!(
            absolutize("/img/a.png", &base),
            "https://example.com/blog/img/a.png"
        );
        assert_eq!(
            absolutize("/blog/img/a.png", &base),
            "https://example.com/blog/img/a.png"
        );
        assert_eq!(
            absolutize("/blogroll", &base),
            "https://example.com/blog/blogroll"
        );
    }

    #[test]
    fn protocol_relative_becomes_https() {
        assert_eq!(
            absolutize("//cdn.example.org/x.js", &BASE),
            "https://cdn.example.org/x.js"
        );
    }

    #[test]
    fn page_relative_and_fragments_resolve_against_the_post() {
        assert_eq!(
            absolutize("photo.jpg", &BASE),
            "https://example.com/2024/01/10/recap/photo.jpg"
        );
        assert_eq!(
            absolutize("../x", &BASE),
            "https://example.com/2024/01/10/x"
        );
        assert_eq!(
            absolutize("#talks", &BASE),
            "https://example.com/2024/01/10/recap/#talks"
        );
    }

    #[test]
    fn absolute_urls_are_kept_but_made_valid() {
        assert_eq!(
            absolutize("mailto:a@example.com", &BASE),
            "mailto:a@example.com"
        );
        assert_eq!(
            absolutize("https://example.org/a%20b?x=1&y=2", &BASE),
            "https://example.org/a%20b?x=1&y=2"
        );
        assert_eq!(
            absolutize("https://example.org/café", &BASE),
            "https://example.org/caf%C3%A9"
        );
        assert_eq!(
            absolutize("https://example.org/100%", &BASE),
            "https://example.org/100%25"
        );
    }

    #[test]
    fn scheme_detection() {
        assert!(has_scheme("https://x"));
        assert!(has_scheme("mailto:x"));
        assert!(!has_scheme("/a:b"));
        assert!(!has_scheme("a/b:c"));
        assert!(!has_scheme(":x"));
    }

    #[test]
    fn youtube_embeds_become_watch_pages() {
        for embed in [
            "https://www.youtube.com/embed/KauKPpej0Ug",
            "https://www.youtube-nocookie.com/embed/KauKPpej0Ug?rel=0",
            "https://youtu.be/KauKPpej0Ug",
            "https://www.youtube.com/watch?v=KauKPpej0Ug&t=",
            "https://www.youtube.com/embed/KauKPpej0Ug?start=<script>",
        ] {
            assert_eq!(
                video_watch_url(embed),
                "https://www.youtube.com/watch?v=KauKPpej0Ug",
                "{embed}"
            );
        }
        assert_eq!(
            video_watch_url("https://player.vimeo.com/video/123"),
            "https://vimeo.com/123"
        );
        assert_eq!(
            video_watch_url("https://example.org/v.mp4"),
            "https://example.org/v.mp4"
        );
        assert_eq!(youtube_id("https://www.youtube.com/embed/"), None);
    }

    #[test]
    fn video_start_times_are_kept() {
        for (video, t) in [
            (
                "https://www.youtube-nocookie.com/embed/KauKPpej0Ug?start=30",
                "30",
            ),
            (
                "https://www.youtube.com/embed/KauKPpej0Ug?rel=0&start=20",
                "20",
            ),
            ("https://www.youtube.com/watch?v=KauKPpej0Ug&t=10", "10"),
            (
                "https://www.youtube.com/watch?v=KauKPpej0Ug&t=1m30s",
                "1m30s",
            ),
            ("https://youtu.be/KauKPpej0Ug?t=42", "42"),
            ("https://www.youtube.com/watch?v=KauKPpej0Ug#t=15", "15"),
        ] {
            assert_eq!(
                video_watch_url(video),
                format!("https://www.youtube.com/watch?v=KauKPpej0Ug&t={t}"),
                "{video}"
            );
        }
        assert_eq!(
            video_watch_url("https://player.vimeo.com/video/123#t=20s"),
            "https://vimeo.com/123#t=20s"
        );
    }
}

/// One feed a page announces with `<link rel="alternate">`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FeedLink {
    /// "Riverside Cloud Native (Atom)".
    pub title: String,
    /// Where it is: `base` followed by the file.
    pub url: String,
    /// Its media type.
    #[serde(rename = "type")]
    pub media_type: &'static str,
}

/// The site's main feeds under `base` (the published `feeds.url`, or the daemon's path for
/// its own pages).
pub fn feed_links(title: &str, base: &str) -> Vec<FeedLink> {
    let base = if base.ends_with('/') {
        base.to_owned()
    } else {
        format!("{base}/")
    };
    [
        ("RSS", "rss.xml", "application/rss+xml"),
        ("Atom", "atom.xml", "application/atom+xml"),
        ("JSON Feed", "feed.json", "application/feed+json"),
    ]
    .into_iter()
    .map(|(kind, file, media_type)| FeedLink {
        title: format!("{title} ({kind})"),
        url: format!("{base}{file}"),
        media_type,
    })
    .collect()
}
