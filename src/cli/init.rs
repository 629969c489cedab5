//! `crier init`: set crier up in a Jekyll site, or write a starter site into an empty folder.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::{print_diagnostics, Cli};
use crate::adopt::init::{self, Kind, Options, Report};
use crate::clock::Clock;

/// The long `--help` text of `crier init`.
pub const LONG_ABOUT: &str =
    "Set crier up in the site folder (--site, default: the current folder).

In a Jekyll site (a folder with _config.yml) it reads _config.yml and writes a commented \
crier.yaml that reproduces the live site's links (title, url, baseurl, author, time zone, \
permalink, jekyll-feed's limit and tag feeds). Private files go under _crier/, which Jekyll \
never publishes: subscriber lists (_crier/subscribers/), the ledger, the outbox, previews and \
templates. It adds crier.yaml to `exclude:` in _config.yml and the private folders to \
.gitignore. Feeds go to feeds/, which Jekyll publishes with the site.

In an empty folder it writes a starter site: crier.yaml with example.com placeholders, a \
sample post in posts/, templates and an empty subscriber list.

With --github-pages it also writes .github/workflows/crier-pages.yml, a GitHub Actions \
workflow that installs crier, runs `crier build` into the site, then builds the site with \
Jekyll and deploys it to GitHub Pages (the workflow in crier's manual, docs/deploy/pages.yml). \
In a Jekyll site that already has crier.yaml, it writes only the workflow.

With --replace-jekyll-feed, in a Jekyll site that uses jekyll-feed (in _config.yml's \
`plugins:` or the Gemfile), crier takes over jekyll-feed's URLs: its feeds (feed.xml and \
feed/by_tag/<Tag>.xml with jekyll-feed's entry ids, and its own rss.xml, atom.xml, feed.json \
and tags/) are written into Jekyll's source folder, beside _config.yml, which Jekyll copies \
into _site/ and jekyll-feed leaves alone. In a site that already has crier.yaml, only its \
`feeds:` keys are edited (output_dir, url, ids, paths). It refuses when the source already \
has feed files at those names that crier did not write, unless --force is given.

It never overwrites an existing crier.yaml unless --force is given, nor the workflow (with \
--github-pages, --force replaces the workflow and never crier.yaml), nor any other file.

Exit codes: 0 done, 1 refused or failed, 2 bad usage.";

/// Options of `crier init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Replace an existing crier.yaml (other existing files are always kept); with
    /// --github-pages, replace an existing workflow instead; with --replace-jekyll-feed, let
    /// crier's build replace feed files at its names that crier did not write.
    #[arg(long)]
    pub force: bool,
    /// Also write .github/workflows/crier-pages.yml, the GitHub Pages workflow that runs
    /// `crier build` before Jekyll (only the workflow when crier.yaml exists).
    #[arg(long)]
    pub github_pages: bool,
    /// Have crier take over jekyll-feed's feed.xml and feed/by_tag/: its feeds go beside
    /// _config.yml with jekyll-feed's ids (only the `feeds:` keys when crier.yaml exists).
    #[arg(long)]
    pub replace_jekyll_feed: bool,
}

/// Runs `crier init` and prints what it did.
pub fn run(cli: &Cli, args: &InitArgs, clock: &Clock) -> anyhow::Result<ExitCode> {
    let options = Options {
        force: args.force,
        today: clock.now().date_naive(),
        github_pages: args.github_pages,
        replace_jekyll_feed: args.replace_jekyll_feed,
    };
    let report = match init::init(&cli.site, &options) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::FAILURE);
        }
    };
    print_report(&mut std::io::stdout().lock(), &cli.site, &report)
}

/// What `crier init` did, what to know and what to do next; the exit code.
fn print_report(
    out: &mut impl Write,
    site: &std::path::Path,
    report: &Report,
) -> anyhow::Result<ExitCode> {
    match report.kind {
        Kind::Jekyll => writeln!(
            out,
            "set crier up in the Jekyll site {} (from _config.yml):",
            site.display()
        )?,
        Kind::Starter => writeln!(out, "wrote a starter site in {}:", site.display())?,
        Kind::PagesWorkflow => writeln!(
            out,
            "wrote the GitHub Pages workflow for {} (its crier.yaml is kept):",
            site.display()
        )?,
        Kind::FeedsTakenOver => writeln!(
            out,
            "switched the feeds of {} to jekyll-feed's URLs (the rest of its crier.yaml is kept):",
            site.display()
        )?,
    }
    for path in &report.created {
        writeln!(out, "  created {}", path.display())?;
    }
    for (path, what) in &report.edited {
        writeln!(out, "  edited  {}: {what}", path.display())?;
    }
    for path in &report.kept {
        writeln!(out, "  kept    {} (it already existed)", path.display())?;
    }
    if matches!(report.kind, Kind::Jekyll | Kind::Starter) {
        writeln!(
            out,
            "subscriber lists go in {}/: one CSV file per list (members.csv is the list `members`), with a header row `email,name`",
            report.subscribers_dir.display()
        )?;
    }
    for note in &report.notes {
        writeln!(out, "note: {note}")?;
    }
    if !report.problems.is_empty() {
        print_diagnostics(out, &report.problems)?;
        writeln!(out, "crier.yaml needs editing before `crier check` passes")?;
        return Ok(ExitCode::FAILURE);
    }
    if report.kind == Kind::PagesWorkflow {
        writeln!(out, "next: commit the workflow and push")?;
    } else if report.kind == Kind::FeedsTakenOver {
        writeln!(
            out,
            "next: run `crier check` and `crier build`, then `jekyll build`"
        )?;
    } else {
        writeln!(
            out,
            "next: review crier.yaml, then run `crier check` and `crier build`"
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
