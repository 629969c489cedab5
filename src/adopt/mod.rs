//! Adopting crier on an existing site: reading Jekyll's `_config.yml` and its publish rules,
//! `crier init` (and the GitHub Pages workflow it can write), and the check that the site generator never publishes crier's private files
//! (config, subscriber lists, ledger, outbox, previews, keys).

pub mod init;
pub mod jekyll;
pub mod pages;
pub mod publish_check;
pub mod snippet;
