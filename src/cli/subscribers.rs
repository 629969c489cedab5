//! `crier subscribers`: the subscriber store from the terminal. Arguments and printing; the
//! rules are the subscriptions service's ([`crate::service::subscriptions`]).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};

use super::{print_diagnostics, Cli};
use crate::clock::Clock;
use crate::config::{self, Config};
use crate::ledger::Ledger;
use crate::service::subscriptions::{
    joinable_list, read_import, Added, Subscriptions, Who as Selection,
};
use crate::subscribers::store::{Applied, Filter, MemberStatus, Person, Store};
use crate::subscribers::{export, import, Address, Suppression};
use crate::util::input::Input;

/// Options of `crier subscribers`.
#[derive(Debug, Args)]
pub struct SubscribersArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: SubscribersCommand,
}

/// The subcommands of `crier subscribers`.
#[derive(Debug, Subcommand)]
pub enum SubscribersCommand {
    /// List people in the store (address, name, lists); filter by list and status.
    List(ListArgs),
    /// Add (or update) one person, confirmed, on a list: for people who asked you in person.
    Add(AddArgs),
    /// Unsubscribe a person from a list or from everything; `--erase` forgets them entirely.
    Remove(RemoveArgs),
    /// Import a CSV, a Mailchimp audience export (zip or CSV) or a Meetup member list.
    Import(ImportArgs),
    /// Write the store as CSV to stdout, with the consent columns.
    Export(ExportArgs),
    /// Count people per list and status (the store, and the CSV lists).
    Count,
}

/// A status, as the command line spells it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusArg {
    /// Asked to join, not confirmed.
    Pending,
    /// Gets mail.
    Confirmed,
    /// Left.
    Unsubscribed,
    /// Bounced.
    Bounced,
    /// Reported spam.
    Complained,
}

impl From<StatusArg> for MemberStatus {
    fn from(s: StatusArg) -> Self {
        match s {
            StatusArg::Pending => MemberStatus::Pending,
            StatusArg::Confirmed => MemberStatus::Confirmed,
            StatusArg::Unsubscribed => MemberStatus::Unsubscribed,
            StatusArg::Bounced => MemberStatus::Bounced,
            StatusArg::Complained => MemberStatus::Complained,
        }
    }
}

/// Who `list` and `export` show.
#[derive(Debug, Args)]
pub struct Who {
    /// Only this person (a data-protection access request).
    #[arg(long)]
    pub address: Option<String>,
    /// Only this list.
    #[arg(long)]
    pub list: Option<String>,
    /// Only this status.
    #[arg(long, value_enum)]
    pub status: Option<StatusArg>,
}

/// Options of `subscribers list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Who to list.
    #[command(flatten)]
    pub who: Who,
    /// One JSON object per person, with every consent record.
    #[arg(long)]
    pub json: bool,
}

/// Options of `subscribers add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The address.
    pub address: String,
    /// Their name.
    #[arg(long)]
    pub name: Option<String>,
    /// The list (default: the first of `audience.lists`).
    #[arg(long)]
    pub list: Option<String>,
}

/// Options of `subscribers remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The address.
    pub address: String,
    /// Only from this list (default: every list, and no mail of any kind any more).
    #[arg(long, conflicts_with = "erase")]
    pub list: Option<String>,
    /// Erase everything stored about the address: store, consent, delivery history and
    /// suppression (a data-protection erasure request).
    #[arg(long)]
    pub erase: bool,
}

/// The format of an import file.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// A CSV with an `email` column (crier's export included).
    Csv,
    /// Mailchimp's audience export (the zip, or one of its CSV files).
    Mailchimp,
    /// Meetup's member list.
    Meetup,
}

/// Options of `subscribers import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file (a regular file; `-` reads standard input).
    pub file: PathBuf,
    /// The list to import into (needed unless the file has a `list` column).
    #[arg(long)]
    pub list: Option<String>,
    /// The file's format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: FormatArg,
}

/// Options of `subscribers export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Who to export.
    #[command(flatten)]
    pub who: Who,
}

/// Runs a `subscribers` subcommand.
pub fn run(cli: &Cli, args: &SubscribersArgs, clock: &Clock) -> anyhow::Result<ExitCode> {
    let config = match config::load(&cli.site) {
        Ok(c) => c,
        Err(problems) => {
            print_diagnostics(&mut std::io::stderr().lock(), &problems)?;
            anyhow::bail!("config is invalid");
        }
    };
    let now = clock.now_utc();
    match &args.command {
        SubscribersCommand::List(a) => list(&config, a),
        SubscribersCommand::Add(a) => add(&config, a, now),
        SubscribersCommand::Remove(a) => remove(&config, a, now),
        SubscribersCommand::Import(a) => import_file(&config, a, now),
        SubscribersCommand::Export(a) => export_csv(&config, a),
        SubscribersCommand::Count => count(&config),
    }
}

impl Who {
    fn selection(&self) -> Selection {
        Selection {
            address: self.address.clone(),
            filter: Filter {
                list: self.list.clone(),
                status: self.status.map(Into::into),
            },
        }
    }
}

/// The people `who` selects, with their suppressions (none without a ledger).
fn people(config: &Config, who: &Who) -> anyhow::Result<Vec<(Person, Option<Suppression>)>> {
    let Some(mut ledger) = Ledger::open_existing(&crate::ledger::Place::of(config))? else {
        return Ok(Vec::new());
    };
    Ok(Subscriptions::new(&mut ledger, config).people(&who.selection())?)
}

fn list(config: &Config, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let people = people(config, &args.who)?;
    let mut out = std::io::stdout().lock();
    for (p, suppressed) in &people {
        if args.json {
            serde_json::to_writer(&mut out, p)?;
            writeln!(out)?;
            continue;
        }
        // A suppression stops all mail whatever the lists say: then the lists are not shown
        // as if they were mailed, only as what the person was on.
        let lists = match suppressed {
            None => p
                .memberships
                .iter()
                .map(|m| format!("{}:{}", m.list, m.status))
                .collect::<Vec<_>>()
                .join(" "),
            Some(s) => {
                let on: Vec<&str> = p.memberships.iter().map(|m| m.list.as_str()).collect();
                let why = match s.reason {
                    crate::subscribers::SuppressionReason::Unsubscribed => {
                        "unsubscribed from everything"
                    }
                    crate::subscribers::SuppressionReason::Bounced => "mail to it bounced",
                    crate::subscribers::SuppressionReason::Complained => {
                        "reported a message as spam"
                    }
                };
                format!(
                    "no mail: {why} on {} (lists: {})",
                    s.at.format("%Y-%m-%d"),
                    if on.is_empty() {
                        "none".to_owned()
                    } else {
                        on.join(", ")
                    }
                )
            }
        };
        writeln!(
            out,
            "{}\t{}\t{lists}",
            p.address,
            p.name.as_deref().unwrap_or("")
        )?;
    }
    if people.is_empty() && !args.json {
        eprintln!("no one in the subscriber store matches");
    }
    Ok(ExitCode::SUCCESS)
}

/// The list named on the command line (else the first people may join).
fn target_list(config: &Config, list: Option<&String>) -> anyhow::Result<String> {
    Ok(joinable_list(&config.audience, list.map(String::as_str))?)
}

fn address(text: &str) -> anyhow::Result<Address> {
    Address::parse(text).map_err(|why| anyhow::anyhow!("invalid address '{}': {why}", text.trim()))
}

fn add(config: &Config, args: &AddArgs, now: DateTime<Utc>) -> anyhow::Result<ExitCode> {
    let address = address(&args.address)?;
    let list = target_list(config, args.list.as_ref())?;
    let mut ledger = Ledger::open(&crate::ledger::Place::of(config))?;
    let name = args
        .name
        .as_deref()
        .map(crate::subscribers::clean_text)
        .filter(|n| !n.is_empty());
    match Subscriptions::new(&mut ledger, config).add(&address, name, &list, now)? {
        Added::KeptOut => println!("{address} left `{list}` earlier; only their own confirmation brings them back (they can subscribe on the form)"),
        Added::Confirmed => println!("{address} is confirmed on `{list}`"),
    }
    Ok(ExitCode::SUCCESS)
}

fn remove(config: &Config, args: &RemoveArgs, now: DateTime<Utc>) -> anyhow::Result<ExitCode> {
    // Any spelling that was ever stored can be removed, even one the rules now refuse.
    let address = Address::unchecked(&args.address);
    if args.erase {
        return erase(config, &address);
    }
    let mut ledger = Ledger::open(&crate::ledger::Place::of(config))?;
    let mut service = Subscriptions::new(&mut ledger, config);
    service.remove(&address, args.list.as_deref(), now)?;
    match &args.list {
        Some(list) => println!("{address} is unsubscribed from `{list}`"),
        None => println!("{address} gets no more mail from any list"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `remove --erase`: the store and the message files; exit 1 while any file is left.
fn erase(config: &Config, address: &Address) -> anyhow::Result<ExitCode> {
    let csv = {
        let mut ledger = Ledger::open(&crate::ledger::Place::of(config))?;
        Subscriptions::new(&mut ledger, config).csv_lists_of(address)
    };
    let done = crate::service::members::Members::new(config).erase(address)?;
    if done.stored {
        println!("erased everything stored about {address}");
    } else {
        println!("nothing was stored about {address}");
    }
    let removed = done.files_removed.len();
    let files = if removed == 1 { "file" } else { "files" };
    println!("{removed} message {files} to or about {address} removed from the outbox and preview folders");
    for list in csv {
        tracing::warn!("{address} is still on the CSV list `{list}`, which you manage: delete its row, or it will be mailed again");
    }
    if done.files_left.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for (path, why) in &done.files_left {
        eprintln!("{}: {why}", path.display());
    }
    eprintln!(
        "error: the erasure is not complete: {} files above may still hold messages to or about {address}; remove them by hand (or fix the cause) and run this again",
        done.files_left.len()
    );
    Ok(ExitCode::from(1))
}

fn import_file(config: &Config, args: &ImportArgs, now: DateTime<Utc>) -> anyhow::Result<ExitCode> {
    let format = match args.format {
        FormatArg::Csv => import::Format::Csv,
        FormatArg::Mailchimp => import::Format::Mailchimp,
        FormatArg::Meetup => import::Format::Meetup,
    };
    let list = match &args.list {
        Some(l) => Some(target_list(config, Some(l))?),
        None => None,
    };
    let input = Input::from_arg(&args.file);
    let parsed = read_import(config, &input, format)?;
    let mut ledger = Ledger::open(&crate::ledger::Place::of(config))?;
    let report = Subscriptions::new(&mut ledger, config).import(parsed, list.as_deref(), now)?;
    for line in &report.skipped {
        eprintln!("{line}");
    }
    for (name, a) in &report.lists {
        println!(
            "{name}: {} added, {} updated, {} unchanged, {} left alone (they had left the list), {} newly suppressed (no mail at all)",
            a.added, a.updated, a.unchanged, a.kept_out, a.suppressed
        );
    }
    let alone = &report.alone;
    if *alone != Applied::default() {
        println!(
            "on no list: {} people added, {} updated, {} unchanged, {} newly suppressed (no mail at all)",
            alone.added, alone.updated, alone.unchanged, alone.suppressed
        );
    }
    println!("{} rows skipped", report.skipped.len());
    if report.lists.is_empty() && *alone == Applied::default() && list.is_none() {
        eprintln!("nothing imported: name the list with --list NAME");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn export_csv(config: &Config, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let selection = args.who.selection();
    let entries = match Ledger::open_existing(&crate::ledger::Place::of(config))? {
        Some(mut ledger) => Subscriptions::new(&mut ledger, config).export(&selection)?,
        None => export::Entries::default(),
    };
    export::write_csv(&entries, &selection.filter, std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

fn count(config: &Config) -> anyhow::Result<ExitCode> {
    if let Some(ledger) = Ledger::open_existing(&crate::ledger::Place::of(config))? {
        for ((list, status), n) in &ledger.count()? {
            println!("store\t{list}\t{status}\t{n}");
        }
    }
    if let Some(settings) = &config.newsletter {
        let lists = crate::subscribers::load(&settings.subscribers_dir, &[], &[]);
        for list in &lists.lists {
            println!("csv\t{}\tlisted\t{}", list.name, list.subscribers.len());
        }
    }
    // The next digest's audience, counted as the dry run counts it.
    if let Some(tally) = crate::service::audience::next_digest(config)? {
        for (list, n) in &tally.lists {
            println!("digest\t{list}\trecipients\t{n}");
        }
        println!("digest\tall\trecipients\t{}", tally.recipients);
        for (reason, n) in &tally.skipped {
            println!("digest\tall\tleft out: {reason}\t{n}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
