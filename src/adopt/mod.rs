//! Adopting crier on an existing site: reading Jekyll's `_config.yml` and its publish rules,
//! `crier init` (the GitHub Pages workflow it can write, and taking over jekyll-feed's
//! URLs), the check that the site generator never publishes crier's private files (config,
//! subscriber lists, ledger, outbox, previews, keys), and the check that it never wipes
//! crier's feeds.

pub mod init;
pub mod jekyll;
pub mod jekyll_feed;
pub mod output_check;
pub mod pages;
pub mod publish_check;
pub mod snippet;
