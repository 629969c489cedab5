//! Posts: finding them, reading their front matter, and rendering their Markdown.
//!
//! Loading is deliberately cheap: [`load_posts`] reads every file's front matter (needed for
//! ordering, tags and permalinks) and checks the body for Liquid tags, but drops the body.
//! Only the posts that end up in some feed are rendered, by [`render`], which reads the file
//! again. That keeps memory flat on sites with 100,000 posts.

pub mod dates;
mod error;
mod fields;
mod filename;
mod front_matter;
pub mod limits;
mod liquid;
mod markdown;
mod permalink;
mod post;
pub mod tags;
pub mod xml_chars;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::clock::Clock;
use crate::config::Config;
use crate::diagnostics::Diagnostic;

pub use error::{PostError, PostErrorKind};
pub use filename::{classify, is_html, FileKind, PostFileName};
pub use front_matter::{split, FrontMatter};
pub use limits::{Limits, MAX_POST_BYTES};
pub use liquid::{substitute, UnknownTag};
pub use markdown::{render_html, render_markdown, Rendered};
// Shared with the recap reader, which reads bodies the way the renderer does.
pub(crate) use markdown::{find_bare_url, kramdown_link_compat};
pub use permalink::{check_placeholders, expand as expand_permalink, PLACEHOLDERS};
pub use post::{parse_post, parse_post_with, Post, Status};

/// What loading a posts folder produced.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Valid, published posts, newest first.
    pub posts: Vec<Post>,
    /// Every error and warning, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// Number of Markdown files that were skipped because of an error.
    pub skipped: usize,
    /// Number of posts with `published: false` (or `no`/`off`).
    pub unpublished: usize,
    /// Number of posts dated after the clock's "now" (published later unless `future: true`).
    pub scheduled: usize,
    /// Post files that exist but could not be read or parsed, in file order (their errors are
    /// in [`LoadReport::diagnostics`]). The daemon serves their last good version instead.
    pub failed: Vec<PathBuf>,
    /// The posts folder itself could not be listed (missing, replaced or unreadable): the
    /// report then says nothing about which posts exist.
    pub unreadable_folder: bool,
}

/// Loads every post under `config.posts_dir`.
///
/// Never fails as a whole: an unreadable or invalid post becomes an error diagnostic and is
/// skipped, so the remaining posts still build.
pub fn load_posts(config: &Config, clock: &Clock) -> LoadReport {
    load_posts_with(config, clock, &config.limits)
}

/// [`load_posts`] with explicit resource limits.
pub fn load_posts_with(config: &Config, clock: &Clock, limits: &Limits) -> LoadReport {
    let files = match list_post_files(&config.posts_dir) {
        Ok(files) => files,
        Err(err) => return unreadable_folder(config, &err),
    };
    // Reading and parsing front matter is independent per file: spread it over the cores,
    // then fold the results in file order so the output stays deterministic.
    let loaded: Vec<_> = files
        .into_par_iter()
        .map(|(path, name)| {
            let result = load_file(&path, name, config, limits);
            (path, result)
        })
        .collect();
    assemble(config, clock, loaded)
}

/// What loading one post file gave: the post and its warnings, or why it was skipped.
pub type FileLoad = Result<(Post, Vec<Diagnostic>), PostError>;

/// A file in the posts folder, and what its name says (a post's date and slug, or why the
/// name is not valid).
pub type PostFile = (PathBuf, Result<PostFileName, PostErrorKind>);

/// Reads and parses one post file (`name` as [`list_post_files`] gave it). The daemon
/// reloads only the files that changed this way, and [`assemble`]s the report.
pub fn load_file(
    path: &Path,
    name: Result<PostFileName, PostErrorKind>,
    config: &Config,
    limits: &Limits,
) -> FileLoad {
    name.map_err(|kind| PostError::at_file(path, kind))
        .and_then(|name| load_one(path, &name, config, limits))
}

/// The report for a posts folder that cannot be listed.
pub fn unreadable_folder(config: &Config, err: &std::io::Error) -> LoadReport {
    let mut report = LoadReport::default();
    report
        .diagnostics
        .extend(config.feeds.warnings.iter().cloned());
    report.unreadable_folder = true;
    report.diagnostics.push(Diagnostic::error(
        &config.posts_dir,
        1,
        1,
        format!(
            "cannot read the posts folder: {err} (set `posts_dir` in {})",
            crate::config::CONFIG_FILE
        ),
    ));
    report
}

/// The report for every post file's result, given in path order (as [`list_post_files`]
/// lists them): posts sorted newest first, unpublished and scheduled posts counted and left
/// out (against `clock`), duplicate permalinks and tag folder collisions reported.
pub fn assemble<P: Into<PathBuf>>(
    config: &Config,
    clock: &Clock,
    loaded: impl IntoIterator<Item = (P, FileLoad)>,
) -> LoadReport {
    let mut report = LoadReport::default();
    // Warnings about the config's `feeds:` section are reported with the posts'.
    report
        .diagnostics
        .extend(config.feeds.warnings.iter().cloned());
    for (path, result) in loaded {
        match result {
            Ok((post, warnings)) => {
                report.diagnostics.extend(warnings);
                match post.status {
                    Status::Unpublished => report.unpublished += 1,
                    Status::Published if !config.future && post.date > clock.now() => {
                        report.scheduled += 1
                    }
                    Status::Published => report.posts.push(post),
                }
            }
            Err(err) => {
                report.skipped += 1;
                report.failed.push(path.into());
                report.diagnostics.push(err.into());
            }
        }
    }
    sort_newest_first(&mut report.posts);
    let duplicates = duplicate_permalinks(&mut report);
    report.diagnostics.extend(duplicates);
    if config.feeds.tags {
        let collisions = tag_slug_collisions(&report.posts);
        report.diagnostics.extend(collisions);
    }
    report
}

/// A warning for each set of tags whose feed folders would have collided, on the newest post
/// that uses a tag that was moved to another folder.
fn tag_slug_collisions(posts: &[Post]) -> Vec<Diagnostic> {
    let (_, collisions) = tags::assign_slugs(posts);
    collisions
        .into_iter()
        .map(|c| {
            let moved: Vec<String> = c
                .moved
                .iter()
                .map(|(tag, dir)| format!("`{tag}` to `tags/{dir}/`"))
                .collect();
            let names: Vec<String> = std::iter::once(&c.kept_by)
                .chain(c.moved.iter().map(|(tag, _)| tag))
                .map(|t| format!("`{t}`"))
                .collect();
            Diagnostic::warning(
                &posts[c.newest_post].source,
                1,
                1,
                format!(
                    "tags {} all make the feed folder `tags/{}/`: `{}` keeps it (it has the oldest post), and the others go elsewhere: {}",
                    names.join(", "),
                    c.slug,
                    c.kept_by,
                    moved.join(", ")
                ),
            )
        })
        .collect()
}

fn load_one(
    path: &Path,
    name: &PostFileName,
    config: &Config,
    limits: &Limits,
) -> Result<(Post, Vec<Diagnostic>), PostError> {
    let text = read_post_file_with(path, limits.max_post_bytes)?;
    parse_post_with(path, name, &text, config, limits)
}

/// Reads a post file, refusing non-UTF-8 and oversized files with a clear error.
pub fn read_post_file(path: &Path) -> Result<String, PostError> {
    read_post_file_with(path, MAX_POST_BYTES)
}

/// [`read_post_file`] with an explicit size limit in bytes.
pub fn read_post_file_with(path: &Path, max_bytes: u64) -> Result<String, PostError> {
    use std::io::Read;
    let io = |e: std::io::Error| PostError::at_file(path, PostErrorKind::Io(e.to_string()));
    let file = std::fs::File::open(path).map_err(io)?;
    // One open and one read: the size check reads at most one byte past the limit.
    let mut bytes = Vec::with_capacity(8 * 1024);
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > max_bytes {
        let size = std::fs::metadata(path).map_or(max_bytes.saturating_add(1), |m| m.len());
        return Err(PostError::at_file(
            path,
            PostErrorKind::TooLarge {
                size,
                limit: max_bytes,
            },
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = offset
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
            + 1;
        PostError::new(path, line, column, PostErrorKind::NotUtf8 { offset })
    })
}

/// Reads the post's body again, with Liquid substituted, and the file line it starts on.
/// Characters XML 1.0 forbids are removed (loading warned about them).
pub fn load_body(post: &Post, config: &Config) -> Result<(String, usize), PostError> {
    let text = read_post_file(&post.source)?;
    body_of(post, &text, config)
}

/// The body of `text` (the post's whole file), with Liquid substituted, and its first line.
fn body_of(post: &Post, text: &str, config: &Config) -> Result<(String, usize), PostError> {
    let text = xml_chars::strip(text);
    let fm = split(&text).map_err(|kind| PostError::at_file(&post.source, kind))?;
    Ok((
        substitute(fm.body, &config.site).0.into_owned(),
        fm.body_line,
    ))
}

/// Reads the post's file again and renders its body: Markdown, or for `.html` posts the HTML
/// as it is (URLs made absolute). Used only for posts that appear in output.
pub fn render(post: &Post, config: &Config) -> Result<Rendered, PostError> {
    let text = read_post_file(&post.source)?;
    render_text(post, &text, config)
}

/// [`render`], also returning the body it rendered (Markdown after Liquid), for callers that
/// read the body too (the digest lists a recap's talks), so the file is read once.
pub fn render_with_body(post: &Post, config: &Config) -> Result<(Rendered, String), PostError> {
    let text = read_post_file(&post.source)?;
    let (body, _) = body_of(post, &text, config)?;
    Ok((render_body(post, &body, config), body))
}

/// Renders the body of `text`, the post's whole file as read earlier (the daemon renders a
/// broken post's last good version this way).
pub fn render_text(post: &Post, text: &str, config: &Config) -> Result<Rendered, PostError> {
    let (body, _) = body_of(post, text, config)?;
    Ok(render_body(post, &body, config))
}

fn render_body(post: &Post, body: &str, config: &Config) -> Rendered {
    let separator = post
        .excerpt_separator
        .as_deref()
        .or(config.excerpt_separator.as_deref());
    if is_html(&post.source) {
        render_html(body, &post.url_base(config), separator)
    } else {
        render_markdown(body, &post.url_base(config), separator)
    }
}

/// Lists the post files under `dir` (recursively, as Jekyll does), sorted by path, skipping
/// everything that is not a post: images, text files, editor backups, hidden files.
pub fn list_post_files(dir: &Path) -> std::io::Result<Vec<PostFile>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let file_name = entry.file_name();
            let Some(name) = file_name.to_str() else {
                continue;
            };
            if is_hidden(name) {
                continue;
            }
            let file_type = entry.file_type()?;
            if file_type.is_dir() {
                stack.push(path);
            } else {
                match classify(name) {
                    FileKind::NotAPost => {}
                    FileKind::Post(parsed) => out.push((path, parsed)),
                }
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Whether a file or folder in the posts folder is skipped by its name: hidden files and
/// folders, Jekyll's `_drafts`-style folders, editor backups and autosaves.
fn is_hidden(name: &str) -> bool {
    name.starts_with(['.', '_', '#']) || name.ends_with('~')
}

/// What [`list_post_files`] would list for the file at `relative` (a path inside the posts
/// folder, not a folder): `None` if it is not a post file (or is in a skipped folder), else
/// what its name says.
pub fn post_file_name(relative: &Path) -> Option<Result<PostFileName, PostErrorKind>> {
    let mut names = Vec::new();
    for component in relative.components() {
        let std::path::Component::Normal(name) = component else {
            return None;
        };
        let name = name.to_str()?;
        if is_hidden(name) {
            return None;
        }
        names.push(name);
    }
    match classify(names.last()?) {
        FileKind::NotAPost => None,
        FileKind::Post(parsed) => Some(parsed),
    }
}

/// Newest first; ties broken by permalink so the order never depends on the file system.
pub fn sort_newest_first(posts: &mut [Post]) {
    posts.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.url.cmp(&b.url)));
}

/// Two posts with one permalink would overwrite each other on the real site: both are named,
/// and the later one (in file order) is dropped.
fn duplicate_permalinks(report: &mut LoadReport) -> Vec<Diagnostic> {
    let mut seen: std::collections::HashMap<String, PathBuf> = Default::default();
    let mut problems = Vec::new();
    let mut by_path: Vec<(PathBuf, usize)> = report
        .posts
        .iter()
        .enumerate()
        .map(|(i, p)| (p.source.clone(), i))
        .collect();
    by_path.sort();
    let mut drop = Vec::new();
    for (path, index) in by_path {
        let url = report.posts[index].url.clone();
        if let Some(first) = seen.get(&url) {
            problems.push(
                PostError::at_file(
                    &path,
                    PostErrorKind::DuplicatePermalink {
                        url,
                        other: first.display().to_string(),
                    },
                )
                .into(),
            );
            drop.push(index);
        } else {
            seen.insert(url, path);
        }
    }
    report.skipped += drop.len();
    let mut index = 0;
    report.posts.retain(|_| {
        let keep = !drop.contains(&index);
        index += 1;
        keep
    });
    problems
}
