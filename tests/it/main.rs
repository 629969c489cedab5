//! crier's end-to-end tests, in one test binary (one link instead of one per file): the real
//! binary on temporary sites, with a real SMTP server, real sockets and independent parsers.

mod common;

mod architecture;

mod audience;
mod bounce_intake;
mod bounded;
mod bounces;
mod browser;
mod build;
mod check;
mod client_address;
mod confirmations;
mod counts;
mod damaged_ledger;
mod daemon;
mod daemon_faults;
mod docs;
mod email_content;
mod erasure;
mod feed_fixes;
mod fuzz;
mod hosting;
mod hardening;
mod hardening_props;
mod http_headers;
mod import;
mod incremental;
mod init;
mod invariant;
mod jekyll;
mod jekyll_feed;
mod lifecycle;
mod loader_props;
mod moving;
mod next_event;
mod organiser_preview;
mod quick_start;
mod publish;
mod reader;
mod repository;
mod scenario;
mod send;
mod served_files;
mod smtp;
mod snapshots;
