//! crier turns a Jekyll-style folder of Markdown posts into feeds and e-mail digests, and as a
//! daemon mails the digests on a schedule and serves the feeds and subscriber endpoints.
//!
//! The modules are listed from the bottom layer up, and each uses only modules listed before
//! it (a test, `tests/it/architecture.rs`, holds this): content → feeds → digest and e-mail →
//! subscribers → ledger → plan → delivery → service → the doors (`server`, `daemon`, `cli`).

// Foundations: no knowledge of posts, people or sends.

/// Small helpers shared by several stages (HTML escaping, YAML key lines, time zones).
pub mod util;
/// The injected clock: the only place the time is read.
pub mod clock;
/// Problems found along the way, as `path:line:col` diagnostics.
pub mod diagnostics;
/// Writing generated files atomically.
pub mod output;
/// URLs in posts made absolute and valid.
pub mod urls;

// Settings.

/// When digests and reminders go out: crontab schedules and the next action.
pub mod schedule;
/// `crier.yaml`, read and validated.
pub mod config;

// Content and feeds.

/// Posts: front matter, Liquid, Markdown, permalinks.
pub mod content;
/// A site: its config and its loaded posts.
pub mod site;
/// RSS, Atom and JSON feeds from posts.
pub mod feeds;

// What a message says, and to whom.

/// The digest: new recaps and the next event, read out of the posts.
pub mod digest;
/// People: addresses, subscriber lists, the subscriber store's data and its rules.
pub mod subscribers;
/// The one template loader: e-mails, pages and the archive, the site's own or crier's.
pub mod templates;
/// E-mail: templates, typed views, tokens, calendar files, MIME messages.
pub mod email;

/// Bounce and complaint reports read and classified (hard, soft, sender-side, complaint...).
pub mod bounce;

// State.

/// The ledger: every send, delivery, suppression and subscriber, in SQLite.
pub mod ledger;

// Decisions.

/// The public archive of sent digests: web pages, an index and an Atom feed.
pub mod archive;
/// The one planner every send goes through: what, to whom, and who is left out.
pub mod plan;

// Carrying out.

/// Carrying out a plan: transports, the sender, the preview.
pub mod delivery;

// One place for every send and every rule about people.

/// The service layer: the mailing service (every message that leaves) and the subscriptions
/// service (every rule about people). The doors below call it and nothing lower.
pub mod service;

// The doors: they parse, call a service and print.

/// Adopting crier on an existing site: `crier init`, Jekyll's rules, the publish check.
pub mod adopt;
/// The daemon's HTTP side: feeds, subscriber endpoints and health.
pub mod server;
/// The daemon: serving, watching, rebuilding and sending on the schedule.
pub mod daemon;
/// The `crier` command line: parses arguments, calls the library, prints.
pub mod cli;
