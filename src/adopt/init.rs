//! `crier init`: sets crier up in an existing Jekyll site, or writes a starter site into an
//! empty folder.
//!
//! In a Jekyll site it reads `_config.yml` and writes a `crier.yaml` that reproduces the live
//! site's links (title, url, baseurl, author, time zone, permalink, jekyll-feed's limit and tag
//! feeds). Everything private goes under `_crier/`, which Jekyll never publishes because the
//! name starts with an underscore; `crier.yaml` itself is added to `exclude:` in `_config.yml`
//! by a one-line edit. It never overwrites a file it did not write, except `crier.yaml` with
//! `force`.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use url::Url;

use super::jekyll::{self, quote, JekyllConfig};
use super::jekyll_feed::{self, Plan};
use super::pages;
use crate::config::CONFIG_FILE;
use crate::diagnostics::Diagnostic;

/// The folder, beside `_config.yml`, that holds crier's private files in a Jekyll site.
pub const PRIVATE_DIR: &str = "_crier";

/// The templates crier ships with (the example site's), written into a new site.
pub const TEMPLATES: [(&str, &str); 17] = [
    (
        "digest.html.hbs",
        include_str!("../../templates/digest.html.hbs"),
    ),
    (
        "digest.txt.hbs",
        include_str!("../../templates/digest.txt.hbs"),
    ),
    (
        "post.html.hbs",
        include_str!("../../templates/post.html.hbs"),
    ),
    ("post.txt.hbs", include_str!("../../templates/post.txt.hbs")),
    ("style.css", include_str!("../../templates/style.css")),
    (
        "partials/button.html.hbs",
        include_str!("../../templates/partials/button.html.hbs"),
    ),
    (
        "partials/event.html.hbs",
        include_str!("../../templates/partials/event.html.hbs"),
    ),
    (
        "partials/event.txt.hbs",
        include_str!("../../templates/partials/event.txt.hbs"),
    ),
    (
        "partials/footer.html.hbs",
        include_str!("../../templates/partials/footer.html.hbs"),
    ),
    (
        "partials/footer.txt.hbs",
        include_str!("../../templates/partials/footer.txt.hbs"),
    ),
    (
        "partials/frame-close.html.hbs",
        include_str!("../../templates/partials/frame-close.html.hbs"),
    ),
    (
        "partials/frame-open.html.hbs",
        include_str!("../../templates/partials/frame-open.html.hbs"),
    ),
    (
        "partials/head.html.hbs",
        include_str!("../../templates/partials/head.html.hbs"),
    ),
    (
        "partials/header.html.hbs",
        include_str!("../../templates/partials/header.html.hbs"),
    ),
    (
        "partials/preheader.html.hbs",
        include_str!("../../templates/partials/preheader.html.hbs"),
    ),
    (
        "partials/recap.html.hbs",
        include_str!("../../templates/partials/recap.html.hbs"),
    ),
    (
        "partials/recap.txt.hbs",
        include_str!("../../templates/partials/recap.txt.hbs"),
    ),
];

/// What `crier init` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Replace an existing `crier.yaml`.
    pub force: bool,
    /// Today's date, for the starter site's sample post.
    pub today: NaiveDate,
    /// Also write the GitHub Pages workflow (only the workflow when `crier.yaml` exists;
    /// `force` then replaces the workflow, never `crier.yaml`).
    pub github_pages: bool,
    /// Have crier take over jekyll-feed's `feed.xml` and `feed/by_tag/` (see
    /// [`jekyll_feed`]). When `crier.yaml` exists, only its `feeds:` keys are edited; `force`
    /// then lets crier's build replace feed files of those names that crier did not write.
    pub replace_jekyll_feed: bool,
}

/// Which kind of site was set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An existing Jekyll site.
    Jekyll,
    /// A new starter site in an empty folder.
    Starter,
    /// A site that already had `crier.yaml`: only the GitHub Pages workflow was written.
    PagesWorkflow,
    /// A Jekyll site that already had `crier.yaml`: its `feeds:` keys now take over
    /// jekyll-feed's URLs (and the workflow was written, if asked for).
    FeedsTakenOver,
}

/// What `crier init` did, for the command to print. Paths are relative to the site folder.
#[derive(Debug, Clone)]
pub struct Report {
    /// The kind of site.
    pub kind: Kind,
    /// Files and folders created.
    pub created: Vec<PathBuf>,
    /// Files that existed and were left as they were.
    pub kept: Vec<PathBuf>,
    /// Files edited, with what changed.
    pub edited: Vec<(PathBuf, String)>,
    /// Where subscriber lists go.
    pub subscribers_dir: PathBuf,
    /// Things the organiser should know or do (placeholders to replace, feed URLs).
    pub notes: Vec<String>,
    /// Problems `crier check` would report in the new config (none, normally).
    pub problems: Vec<Diagnostic>,
}

/// Why `crier init` changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// `crier.yaml` exists and `force` was not given.
    #[error("{} already exists: crier init does not overwrite it (pass --force to replace it)", .0.display())]
    ConfigExists(PathBuf),
    /// Neither a Jekyll site nor an empty folder.
    #[error("{} is neither a Jekyll site (no _config.yml) nor an empty folder: run `crier init` at the top of a Jekyll site, or in an empty folder for a starter site", .0.display())]
    NotASite(PathBuf),
    /// `--github-pages` outside a Jekyll site.
    #[error("{} has no _config.yml: the GitHub Pages workflow builds a Jekyll site (run `crier init --github-pages` at the top of one)", .0.display())]
    PagesNeedsJekyll(PathBuf),
    /// `--replace-jekyll-feed` outside a Jekyll site.
    #[error("{} has no _config.yml: --replace-jekyll-feed takes over the feed.xml of a Jekyll site that uses jekyll-feed (run it at the top of one)", .0.display())]
    TakeOverNeedsJekyll(PathBuf),
    /// `--replace-jekyll-feed` on a site that does not use jekyll-feed.
    #[error("{} does not use jekyll-feed (it is not in `plugins:` or `gems:`, and the Gemfile has no `gem \"jekyll-feed\"`): there is nothing to replace; run `crier init` without --replace-jekyll-feed", .0.display())]
    NoJekyllFeed(PathBuf),
    /// Files at the names crier's build writes exist, and crier did not write them.
    #[error("{}: crier did not write {}, and `crier build` would replace {} with its feeds; move {} away, or pass --force to let crier replace {}", list(.0), if .0.len() == 1 { "this file" } else { "these files" }, them(.0), them(.0), them(.0))]
    ForeignFeedFiles(Vec<PathBuf>),
    /// The existing `crier.yaml` has problems, so its feeds cannot be switched safely.
    #[error("{} has problems (the first: {why}): fix them (`crier check` lists them all), then run `crier init --replace-jekyll-feed` again", path.display())]
    CrierConfig {
        /// `crier.yaml`.
        path: PathBuf,
        /// The first problem.
        why: String,
    },
    /// The `feeds:` section of `crier.yaml` has a shape that is not edited safely.
    #[error("{}: its `feeds:` section has a shape crier does not edit (a one-line mapping or a value over several lines); set these keys in it by hand:\n{keys}", path.display())]
    FeedsNotEditable {
        /// `crier.yaml`.
        path: PathBuf,
        /// The keys to set, as YAML lines.
        keys: String,
    },
    /// The workflow exists and `force` was not given.
    #[error("{} already exists: crier init does not overwrite it (pass --force to replace it)", .0.display())]
    WorkflowExists(PathBuf),
    /// `_config.yml` is not valid YAML.
    #[error("cannot read {}: {why}", path.display())]
    JekyllConfig {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// The paths of a list of files, for a message.
fn list(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    names.join(", ")
}

fn them(paths: &[PathBuf]) -> &'static str {
    if paths.len() == 1 {
        "it"
    } else {
        "them"
    }
}

/// Sets crier up in the folder `root`: a Jekyll site, or an empty (or missing) folder.
/// With `github_pages`, also writes the GitHub Pages workflow; with `replace_jekyll_feed`,
/// has crier take over jekyll-feed's URLs. On a site that already has `crier.yaml`, those two
/// write only the workflow and edit only the `feeds:` keys. Every refusal comes before
/// anything is written.
pub fn init(root: &Path, options: &Options) -> Result<Report, InitError> {
    let config_path = root.join(CONFIG_FILE);
    let keep_config = config_path.exists() && (options.github_pages || options.replace_jekyll_feed);
    if options.replace_jekyll_feed {
        check_takeover(root, options.force)?;
    }
    if options.github_pages {
        pages::check(root, options.force)?;
    }
    if config_path.exists() && !keep_config && !options.force {
        return Err(InitError::ConfigExists(config_path));
    }
    let mut report = match jekyll::config_file(root) {
        Some(file) if keep_config && options.replace_jekyll_feed => {
            take_over_existing(root, &file)?
        }
        _ if keep_config => new_writer(root, Kind::PagesWorkflow).report,
        Some(file) => init_jekyll(root, &file, options.replace_jekyll_feed)?,
        None if is_empty(root) => init_starter(root, options.today)?,
        None => return Err(InitError::NotASite(root.to_path_buf())),
    };
    if options.github_pages {
        let mut w = Writer { root, report };
        w.file(pages::WORKFLOW_PATH, pages::WORKFLOW, options.force)?;
        w.report.notes.push(pages::SETTINGS_NOTE.into());
        report = w.report;
    }
    match crate::config::load(root) {
        Ok(config) => {
            for exposure in super::publish_check::exposures(&config) {
                report.notes.push(format!(
                    "{} ({}) would still be published: see `crier check`",
                    exposure.rel.display(),
                    exposure.private.what
                ));
            }
        }
        Err(problems) => report.problems = problems,
    }
    Ok(report)
}

/// A folder that does not exist yet or holds only hidden entries (`.git`, say).
fn is_empty(root: &Path) -> bool {
    match std::fs::read_dir(root) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .all(|e| e.file_name().to_string_lossy().starts_with('.')),
        Err(err) => err.kind() == std::io::ErrorKind::NotFound,
    }
}

/// The file writer every step shares: creates folders, never overwrites (except where told),
/// and records what it did.
struct Writer<'a> {
    root: &'a Path,
    report: Report,
}

impl Writer<'_> {
    fn io(&self, rel: &Path) -> impl FnOnce(std::io::Error) -> InitError {
        let path = self.root.join(rel);
        move |source| InitError::Io { path, source }
    }

    /// Writes `rel` unless it exists (or always, with `replace`).
    fn file(&mut self, rel: impl AsRef<Path>, text: &str, replace: bool) -> Result<(), InitError> {
        let rel = rel.as_ref();
        let path = self.root.join(rel);
        let existed = path.exists();
        if existed && !replace {
            self.report.kept.push(rel.to_path_buf());
            return Ok(());
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(self.io(rel))?;
        }
        std::fs::write(&path, text).map_err(self.io(rel))?;
        if existed {
            self.report
                .edited
                .push((rel.to_path_buf(), "replaced (--force)".into()));
        } else {
            self.report.created.push(rel.to_path_buf());
        }
        Ok(())
    }

    fn dir(&mut self, rel: impl AsRef<Path>) -> Result<(), InitError> {
        let rel = rel.as_ref();
        if self.root.join(rel).is_dir() {
            return Ok(());
        }
        std::fs::create_dir_all(self.root.join(rel)).map_err(self.io(rel))?;
        self.report.created.push(rel.to_path_buf());
        Ok(())
    }

    /// Templates, an empty subscriber list and the folders crier writes into.
    fn newsletter_files(&mut self, private: &Path) -> Result<(), InitError> {
        for (name, text) in TEMPLATES {
            self.file(private.join("templates").join(name), text, false)?;
        }
        let subscribers = private.join("subscribers");
        let has_list = std::fs::read_dir(self.root.join(&subscribers)).is_ok_and(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|e| e.path().extension().is_some_and(|x| x == "csv"))
        });
        if !has_list {
            // A list with its header row and nobody on it yet.
            self.file(subscribers.join("members.csv"), "email,name\n", false)?;
        }
        for dir in ["state", "outbox", "preview"] {
            self.dir(private.join(dir))?;
        }
        self.report.subscribers_dir = subscribers;
        Ok(())
    }

    /// Appends the lines of `lines` that `.gitignore` does not have yet.
    fn gitignore(&mut self, lines: &[&str]) -> Result<(), InitError> {
        let rel = Path::new(".gitignore");
        let path = self.root.join(rel);
        let existing = std::fs::read_to_string(&path).unwrap_or_default();
        let missing: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| !existing.lines().any(|e| e.trim() == *l))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let mut text = existing.clone();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str("# crier's private files (added by `crier init`): never commit them\n");
        for line in &missing {
            text.push_str(line);
            text.push('\n');
        }
        std::fs::write(&path, text).map_err(self.io(rel))?;
        if existing.is_empty() {
            self.report.created.push(rel.to_path_buf());
        } else {
            self.report
                .edited
                .push((rel.to_path_buf(), format!("added {}", missing.join(" "))));
        }
        Ok(())
    }
}

impl Writer<'_> {
    /// Adds `crier.yaml` to `exclude:` in `_config.yml` (whose text is `text`) when Jekyll
    /// would publish it, or says how to.
    fn exclude_config(
        &mut self,
        text: &str,
        config_file: &Path,
        jc: &JekyllConfig,
    ) -> Result<(), InitError> {
        if jc.rules.publishes(Path::new(CONFIG_FILE), false).is_none() {
            return Ok(());
        }
        let config_name = PathBuf::from(config_file.file_name().unwrap_or_default());
        match jekyll::add_exclude(text, CONFIG_FILE) {
            Some(edited) => {
                std::fs::write(config_file, edited).map_err(self.io(&config_name))?;
                self.report.edited.push((
                    config_name,
                    format!("added {CONFIG_FILE} to `exclude:`, so Jekyll does not publish it"),
                ));
            }
            None => self.report.notes.push(format!(
                "add {CONFIG_FILE} to `exclude:` in {}: its `exclude:` has a shape crier does not edit, and Jekyll would publish crier's config",
                config_name.display()
            )),
        }
        Ok(())
    }
}

/// `--replace-jekyll-feed` on a site that has `crier.yaml`: only its `feeds:` keys are
/// edited (every other byte is kept), and `crier.yaml` excluded from Jekyll's build.
fn take_over_existing(root: &Path, config_file: &Path) -> Result<Report, InitError> {
    let (jekyll_text, jc) = read_jekyll(config_file)?;
    let path = root.join(CONFIG_FILE);
    let config = crate::config::load(root).map_err(|problems| InitError::CrierConfig {
        path: path.clone(),
        why: problems
            .first()
            .map(ToString::to_string)
            .unwrap_or_default(),
    })?;
    let keys = jekyll_feed::takeover_keys(&jc.rules.source, &config.site.home_url());
    let text = std::fs::read_to_string(&path).map_err(|source| InitError::Io {
        path: path.clone(),
        source,
    })?;
    let edited =
        jekyll_feed::edit_feeds(&text, &keys).ok_or_else(|| InitError::FeedsNotEditable {
            path: path.clone(),
            keys: keys
                .iter()
                .map(|k| format!("  {}: {}", k.name, k.value))
                .collect::<Vec<_>>()
                .join("\n"),
        })?;
    let mut w = new_writer(root, Kind::FeedsTakenOver);
    if edited == text {
        w.report.notes.push(format!(
            "{CONFIG_FILE}'s `feeds:` already take over jekyll-feed's URLs"
        ));
    } else {
        std::fs::write(&path, &edited).map_err(w.io(Path::new(CONFIG_FILE)))?;
        w.report.edited.push((
            PathBuf::from(CONFIG_FILE),
            "`feeds:` take over jekyll-feed's URLs (output_dir, url, ids, paths)".into(),
        ));
    }
    let source_dir = root.join(&jc.rules.source);
    let old = &config.feeds.output_dir;
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let moved = !absolute(old)
        .components()
        .eq(absolute(&source_dir).components());
    if moved && old.is_dir() {
        w.report.notes.push(format!(
            "crier no longer writes into {}/ (published at {}): readers subscribed there stop getting new posts; delete it, or keep it only with redirects to the new URLs",
            old.strip_prefix(root).unwrap_or(old).display(),
            config.feeds.url
        ));
    }
    w.exclude_config(&jekyll_text, config_file, &jc)?;
    w.report
        .notes
        .extend(jekyll_feed::takeover_notes(&jc, &source_dir));
    Ok(w.report)
}

fn new_writer(root: &Path, kind: Kind) -> Writer<'_> {
    Writer {
        root,
        report: Report {
            kind,
            created: Vec::new(),
            kept: Vec::new(),
            edited: Vec::new(),
            subscribers_dir: PathBuf::new(),
            notes: Vec::new(),
            problems: Vec::new(),
        },
    }
}

/// `_config.yml`'s text and the keys crier reads from it.
fn read_jekyll(config_file: &Path) -> Result<(String, JekyllConfig), InitError> {
    let read_error = |why: String| InitError::JekyllConfig {
        path: config_file.to_path_buf(),
        why,
    };
    let text = std::fs::read_to_string(config_file).map_err(|e| read_error(e.to_string()))?;
    // The limits of front matter, before serde_yaml sees the text (deep nesting parses in
    // quadratic time).
    let limits = crate::config::Limits::default().yaml_document();
    crate::util::yaml_guard::check_document(&text, &limits).map_err(|problem| {
        let (line, column) = problem.position();
        read_error(format!("line {line} column {column}: the file {problem}"))
    })?;
    let jc = JekyllConfig::parse(&text)
        .map_err(|e| read_error(crate::config::strip_location(&e.to_string())))?;
    Ok((text, jc))
}

/// Refuses `--replace-jekyll-feed` where it cannot work: outside a Jekyll site, on a site
/// without jekyll-feed, or (without `force`) where the source holds feed files that crier's
/// build would replace.
fn check_takeover(root: &Path, force: bool) -> Result<(), InitError> {
    let Some(file) = jekyll::config_file(root) else {
        return Err(InitError::TakeOverNeedsJekyll(root.to_path_buf()));
    };
    let (_, jc) = read_jekyll(&file)?;
    if jekyll_feed::declared(root, &jc).is_none() {
        return Err(InitError::NoJekyllFeed(root.to_path_buf()));
    }
    let foreign = jekyll_feed::foreign_files(&root.join(&jc.rules.source));
    if !foreign.is_empty() && !force {
        return Err(InitError::ForeignFeedFiles(foreign));
    }
    Ok(())
}

fn init_jekyll(root: &Path, config_file: &Path, take_over: bool) -> Result<Report, InitError> {
    let (text, jc) = read_jekyll(config_file)?;
    let plan = match jekyll_feed::declared(root, &jc) {
        _ if take_over => Plan::TakeOver,
        Some(found) => Plan::Beside(found),
        None => Plan::Own,
    };
    let mut w = new_writer(root, Kind::Jekyll);
    let (yaml, notes) = jekyll_crier_yaml(&jc, &plan);
    w.report.notes.extend(notes);
    w.file(CONFIG_FILE, &yaml, true)?;
    w.exclude_config(&text, config_file, &jc)?;
    if take_over {
        let source_dir = root.join(&jc.rules.source);
        w.report
            .notes
            .extend(jekyll_feed::takeover_notes(&jc, &source_dir));
    }
    let source = &jc.rules.source;
    w.dir(source.join("_posts"))?;
    w.newsletter_files(Path::new(PRIVATE_DIR))?;
    w.gitignore(&[
        "/_crier/subscribers/",
        "/_crier/state/",
        "/_crier/outbox/",
        "/_crier/preview/",
        "*.key",
        "*.pem",
    ])?;
    Ok(w.report)
}

fn init_starter(root: &Path, today: NaiveDate) -> Result<Report, InitError> {
    let mut w = new_writer(root, Kind::Starter);
    w.file(CONFIG_FILE, STARTER_CONFIG, true)?;
    w.file(
        format!("posts/{}-welcome.md", today.format("%Y-%m-%d")),
        STARTER_POST,
        false,
    )?;
    w.newsletter_files(Path::new(""))?;
    w.gitignore(&[
        "/public/",
        "/subscribers/",
        "/state/",
        "/outbox/",
        "/preview/",
        "*.key",
        "*.pem",
    ])?;
    w.report.notes.push(
        "replace the example.com placeholders and the names in crier.yaml with your own".into(),
    );
    Ok(w.report)
}

/// The starter site's config: placeholders that pass `crier check`.
const STARTER_CONFIG: &str = r#"# crier.yaml: written by `crier init` for a new site. Every key is documented in crier's
# manual (docs/src/configuration.md). Unknown keys are errors. Replace the example.com
# placeholders.

site:
  title: My Meetup
  description: News and recaps from My Meetup.
  url: https://example.com            # your site's address: scheme and host only
  baseurl: ""                         # a path prefix such as /blog, if the site lives under one
  author: The organisers
  language: en
  timezone: UTC                       # the IANA zone post dates are written in, e.g. Europe/London

posts_dir: posts                      # posts/YYYY-MM-DD-slug.md with YAML front matter
permalink: pretty

feeds:
  output_dir: public                  # rss.xml, atom.xml and feed.json are written here
  url: https://example.com/           # where public/ is served

newsletter:
  from:
    name: My Meetup
    address: news@example.com         # an address you can send from
  recap_tag: Meetup                   # posts with this tag are recaps
  subscribers_dir: subscribers        # one CSV file per list, header row `email,name`
  templates_dir: templates
  preview_dir: preview                # `crier send --dry-run` writes here
  # The unsubscribe-token key is generated in ~/.config/crier/token.key (outside the site)
  # on the first real send; or set CRIER_TOKEN_KEY.
  # schedule: "0 9 * * MON"           # for `crier run`: send on Mondays at 09:00

# No `smtp:` section: messages are written to the outbox folder.
delivery:
  outbox_dir: outbox
  state_db: state/crier.db            # the ledger of sends; never delete it
"#;

const STARTER_POST: &str = r#"---
title: Welcome
description: The first post of a new crier site.
tags: [News]
---

This is a sample post written by `crier init`. Posts are Markdown files named
`YYYY-MM-DD-slug.md` in `posts/`, with YAML front matter between `---` lines.
Edit this one or delete it, then run `crier check` and `crier build`.
"#;

/// The `crier.yaml` for a Jekyll site, with its feeds as `plan` says, and notes on what the
/// organiser must fill in.
pub fn jekyll_crier_yaml(jc: &JekyllConfig, plan: &Plan) -> (String, Vec<String>) {
    let mut notes = Vec::new();
    let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let title = jc.title.as_deref().map(one_line).unwrap_or_default();
    let title = if title.is_empty() {
        notes.push("_config.yml has no `title`: crier.yaml says `My site`".into());
        "My site".to_owned()
    } else {
        title
    };
    let description = jc.description.as_deref().map(one_line).unwrap_or_default();
    // Jekyll's url sometimes carries the path that belongs in baseurl.
    let mut baseurl = jc.baseurl.clone().unwrap_or_default();
    let url = jc
        .url
        .as_deref()
        .and_then(|raw| Url::parse(raw.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    let (url, url_comment) = match url {
        Some(u) => {
            let path = u.path().trim_end_matches('/');
            if !path.is_empty() && baseurl.trim_matches('/').is_empty() {
                baseurl = path.to_owned();
            }
            let mut origin = u.clone();
            origin.set_path("");
            origin.set_query(None);
            origin.set_fragment(None);
            let origin = origin.as_str().trim_end_matches('/').to_owned();
            (origin, "from _config.yml")
        }
        None => {
            notes.push(
                "_config.yml has no usable `url`: replace https://example.com in crier.yaml with the site's address"
                    .into(),
            );
            (
                "https://example.com".to_owned(),
                "TODO: your site's address (_config.yml has no usable url)",
            )
        }
    };
    let baseurl = baseurl.trim().trim_end_matches('/').to_owned();
    let home = format!("{url}{baseurl}");
    let host = Url::parse(&url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "example.com".into());
    let author = jc
        .author
        .as_deref()
        .map(one_line)
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| title.clone());
    let language = jc
        .lang
        .clone()
        .filter(|l| is_language_tag(l))
        .unwrap_or_else(|| "en".into());
    let (timezone, tz_comment) = match jc.timezone.as_deref() {
        Some(tz) if tz.parse::<chrono_tz::Tz>().is_ok() => (tz.to_owned(), "from _config.yml"),
        Some(_) => {
            notes.push("_config.yml's `timezone` is not an IANA zone name: crier.yaml says UTC".into());
            ("UTC".to_owned(), "_config.yml's timezone is not an IANA name; set the zone post dates are written in")
        }
        None => (
            "UTC".to_owned(),
            "_config.yml sets none (Jekyll then uses the build machine's zone); set the zone post dates are written in",
        ),
    };
    let (permalink, permalink_comment) = match jc.permalink.as_deref() {
        Some(p) => (
            p.to_owned(),
            "from _config.yml, so links match the live site",
        ),
        None => (
            "date".to_owned(),
            "Jekyll's default, as _config.yml sets none",
        ),
    };
    if jc.defaults_set_permalink {
        notes.push("_config.yml's `defaults:` set a permalink for some pages: crier uses the site-wide one, so check that post links match".into());
    }
    let address = jc
        .email
        .clone()
        .filter(|e| e.parse::<lettre::Address>().is_ok())
        .unwrap_or_else(|| {
            notes.push(format!(
                "newsletter.from.address is a guess (news@{}): use an address you can send from",
                host.trim_start_matches("www.")
            ));
            format!("news@{}", host.trim_start_matches("www."))
        });
    let source = jc.rules.source.to_string_lossy().into_owned();
    let in_source = |name: &str| {
        if source.is_empty() {
            name.to_owned()
        } else {
            format!("{source}/{name}")
        }
    };

    let mut y = String::new();
    let mut line = |s: &str| {
        y.push_str(s);
        y.push('\n');
    };
    line("# crier.yaml: written by `crier init` from _config.yml. Every key is documented in");
    line("# crier's manual (docs/src/configuration.md). Unknown keys are errors.");
    line("#");
    line(
        "# Jekyll publishes every file of the site except names starting with `_` or `.` and what",
    );
    line("# `exclude:` lists. So crier's private files (subscriber lists, the ledger, the outbox,");
    line("# previews) live under _crier/, and this file is in _config.yml's `exclude:` list.");
    line("# `crier check` reports any private file Jekyll would publish.");
    line("");
    line("site:");
    line(&format!("  title: {}", quote(&title)));
    if !description.is_empty() {
        line(&format!("  description: {}", quote(&description)));
    }
    line(&format!("  url: {url}   # {url_comment}"));
    line(&format!("  baseurl: {}", quote(&baseurl)));
    line(&format!("  author: {}", quote(&author)));
    line(&format!("  language: {language}"));
    line(&format!("  timezone: {timezone}   # {tz_comment}"));
    line("");
    line(&format!("posts_dir: {}", in_source("_posts")));
    line(&format!(
        "permalink: {}   # {permalink_comment}",
        quote(&permalink)
    ));
    if let Some(sep) = &jc.excerpt_separator {
        line(&format!("excerpt_separator: {}", quote(sep)));
    }
    if jc.future {
        line("future: true");
    }
    line("");
    let (feeds, feed_notes) = jekyll_feed::feeds_section(jc, plan, &home);
    y.push_str(&feeds);
    notes.extend(feed_notes);
    let mut line = |s: &str| {
        y.push_str(s);
        y.push('\n');
    };
    line("");
    line("newsletter:");
    line("  from:");
    line(&format!("    name: {}", quote(&title)));
    line(&format!(
        "    address: {address}   # an address you can send from"
    ));
    line("  recap_tag: Meetup   # posts with this tag are recaps; the digest lists the new ones");
    line(
        "  subscribers_dir: _crier/subscribers   # one CSV file per list, header row `email,name`",
    );
    line("  templates_dir: _crier/templates");
    line("  preview_dir: _crier/preview           # `crier send --dry-run` writes here");
    line("  # The unsubscribe-token key is generated in ~/.config/crier/token.key, outside the site,");
    line("  # on the first real send (or set CRIER_TOKEN_KEY). Keep keys out of the site folder.");
    line("  # schedule: \"0 9 * * MON\"   # for `crier run`: send on Mondays at 09:00");
    line("");
    line("# No `smtp:` section yet: messages are written to the outbox folder.");
    line("delivery:");
    line("  outbox_dir: _crier/outbox");
    line("  state_db: _crier/state/crier.db        # the ledger of sends; never delete it");
    (y, notes)
}

fn is_language_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.split('-').all(|part| {
            (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> crate::config::Config {
        crate::config::parse(Path::new("s"), Path::new("s/crier.yaml"), yaml)
            .unwrap_or_else(|p| panic!("{p:?}\n{yaml}"))
    }

    #[test]
    fn jekyll_keys_reach_the_site_section() {
        let jc = JekyllConfig::parse(
            "title: Blog\ndescription: >\n  Two\n  lines\nurl: https://user.github.io/repo/\nauthor: {name: Ada, email: ada@example.org}\ntimezone: Europe/Paris\npermalink: /:year/:title/\nplugins: [jekyll-feed]\nfeed: {posts_limit: 7}\n",
        )
        .unwrap();
        let (yaml, notes) = jekyll_crier_yaml(&jc, &Plan::Beside("plugins".into()));
        let c = parse(&yaml);
        assert_eq!(c.site.title, "Blog");
        assert_eq!(c.site.description, "Two lines");
        assert_eq!(c.site.url, "https://user.github.io");
        assert_eq!(c.site.baseurl, "/repo", "url's path moves to baseurl");
        assert_eq!(c.site.author.name, "Ada");
        assert_eq!(c.site.timezone, chrono_tz::Europe::Paris);
        assert_eq!(c.permalink, "/:year/:title/");
        assert_eq!(c.posts_dir, Path::new("s/_posts"));
        assert_eq!(c.feeds.url, "https://user.github.io/repo/feeds/");
        assert_eq!(c.feeds.limit, 7);
        assert!(!c.feeds.tags);
        let n = c.newsletter.unwrap();
        assert_eq!(n.from.email.to_string(), "ada@example.org");
        assert_eq!(n.subscribers_dir, Path::new("s/_crier/subscribers"));
        assert_eq!(n.preview_dir, Path::new("s/_crier/preview"));
        assert_eq!(n.templates_dir, Path::new("s/_crier/templates"));
        assert_eq!(c.delivery.state_db, Path::new("s/_crier/state/crier.db"));
        assert_eq!(c.delivery.outbox_dir, Path::new("s/_crier/outbox"));
        assert!(notes.iter().any(|n| n.contains("jekyll-feed")), "{notes:?}");
    }

    #[test]
    fn missing_jekyll_keys_get_defaults_that_validate() {
        let (yaml, notes) = jekyll_crier_yaml(&JekyllConfig::parse("").unwrap(), &Plan::Own);
        let c = parse(&yaml);
        assert_eq!(c.site.url, "https://example.com");
        assert_eq!(c.site.timezone, chrono_tz::Tz::UTC);
        assert!(
            yaml.contains("timezone: UTC   # _config.yml sets none"),
            "{yaml}"
        );
        assert_eq!(
            c.permalink, "/:categories/:year/:month/:day/:title:output_ext",
            "Jekyll's default style is `date`"
        );
        assert!(
            notes.iter().any(|n| n.contains("no usable `url`")),
            "{notes:?}"
        );
        let (yaml, _) = jekyll_crier_yaml(
            &JekyllConfig::parse("title: \"a: b # c\"\ntimezone: Nowhere/Land\n").unwrap(),
            &Plan::Own,
        );
        let c = parse(&yaml);
        assert_eq!(c.site.title, "a: b # c");
        assert_eq!(c.site.timezone, chrono_tz::Tz::UTC);
    }

    #[test]
    fn taking_over_jekyll_feed_writes_into_the_source_folder() {
        let jc = JekyllConfig::parse(
            "url: https://example.org\nbaseurl: /blog\nsource: site\nplugins: [jekyll-feed]\nfeed: {posts_limit: 5, tags: true}\n",
        )
        .unwrap();
        let (yaml, _) = jekyll_crier_yaml(&jc, &Plan::TakeOver);
        let c = parse(&yaml);
        assert_eq!(c.feeds.output_dir, Path::new("s/site"));
        assert_eq!(c.feeds.url, "https://example.org/blog/");
        assert_eq!(c.feeds.ids, crate::config::EntryIds::JekyllFeed);
        assert_eq!(c.feeds.paths, crate::config::FeedPaths::JekyllFeed);
        assert_eq!((c.feeds.limit, c.feeds.tags), (5, true));
        assert_eq!(c.posts_dir, Path::new("s/site/_posts"));
    }
}
