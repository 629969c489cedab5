//! crier: turns a Jekyll-style folder of Markdown posts into RSS 2.0, Atom 1.0 and JSON Feed
//! files, and (in later stages) into e-mail digests for subscribers.
//!
//! The modules follow the pipeline: [`config`] is read first, [`content`] loads and renders
//! posts, [`feeds`] turns posts into feed documents, [`output`] writes them atomically, and
//! [`cli`] ties the stages together for the `crier` binary. Problems found along the way are
//! collected as [`diagnostics::Diagnostic`]s rather than aborting, so one bad post never stops
//! a build.

pub mod cli;
pub mod clock;
pub mod config;
pub mod content;
pub mod delivery;
pub mod diagnostics;
pub mod digest;
pub mod email;
pub mod feeds;
pub mod output;
pub mod schedule;
pub mod server;
pub mod site;
pub mod subscribers;
pub mod urls;
