//! crier turns a Jekyll-style folder of Markdown posts into feeds and e-mail digests, and as a
//! daemon mails the digests on a schedule and serves the feeds and subscriber endpoints.
//!
//! The modules follow the pipeline, in this order:

/// Small helpers shared by several stages (HTML escaping, YAML key lines, time zones).
pub mod util;

/// Adopting crier on an existing site: `crier init`, Jekyll's rules, the publish check.
pub mod adopt;
/// The public archive of sent digests: web pages, an index and an Atom feed.
pub mod archive;
/// Bounce and complaint reports: read, classified per recipient, from files, Maildirs and mboxes.
pub mod bounce;
/// The `crier` command line: parses arguments, calls the library, prints.
pub mod cli;
/// The injected clock: the only place the time is read.
pub mod clock;
/// `crier.yaml`, read and validated.
pub mod config;
/// Posts: front matter, Liquid, Markdown, permalinks.
pub mod content;
/// The daemon: serving, watching, rebuilding and sending on the schedule.
pub mod daemon;
/// Carrying out a plan: transports, the sender, the preview.
pub mod delivery;
/// Problems found along the way, as `path:line:col` diagnostics.
pub mod diagnostics;
/// The digest: new recaps and the next event.
pub mod digest;
/// E-mail: templates, tokens, calendar files, MIME messages.
pub mod email;
/// RSS, Atom and JSON feeds from posts.
pub mod feeds;
/// The ledger: every send, delivery and suppression, in SQLite (the store the planner reads).
pub mod ledger;
/// Writing generated files atomically.
pub mod output;
/// The one planner every send goes through: what, to whom, and who is left out.
pub mod plan;
/// When digests go out: crontab schedules and the next action.
pub mod schedule;
/// The daemon's HTTP side: feeds, unsubscribe endpoints and health.
pub mod server;
/// A site: its config and its loaded posts.
pub mod site;
/// Subscriber lists.
pub mod subscribers;
/// URLs in posts made absolute and valid.
pub mod urls;

#[cfg(test)]
mod testing;
