//! The `newsletter:` section of `crier.yaml`: who the digest is from, which lists get it, how
//! recaps and the next event are found, and where templates and subscribers live.

use std::path::{Path, PathBuf};

use chrono::NaiveTime;
use lettre::message::Mailbox;
use serde::Deserialize;

/// Validated newsletter settings.
#[derive(Debug, Clone)]
pub struct NewsletterSettings {
    /// `From:` (name and address).
    pub from: Mailbox,
    /// Optional `Reply-To:`.
    pub reply_to: Option<Mailbox>,
    /// Handlebars one-liner for the subject; the default, `{{subject}}`, is crier's suggestion.
    pub subject: String,
    /// Subscriber lists the digest goes to; empty means every list.
    pub lists: Vec<String>,
    /// Posts with this tag (case-insensitive) are recaps.
    pub recap_tag: String,
    /// Posts with this tag are included in digests too (not recaps: no next event from them).
    pub include_tag: Option<String>,
    /// Most recaps in one digest.
    pub max_recaps: usize,
    /// Start time of a meetup whose announcement gives only a date.
    pub event_time: NaiveTime,
    /// Length of a meetup, for the calendar entry.
    pub event_minutes: u32,
    /// The https URL the unsubscribe token is appended to.
    pub unsubscribe_url: String,
    /// Where the daemon's subscriber pages are (`<base>/confirm`, `<base>/preferences`): the
    /// unsubscribe URL's folder, since `crier run` serves them all side by side.
    pub pages_base: String,
    /// Address for `mailto:` unsubscribes.
    pub unsubscribe_mailto: String,
    /// Domain part of `List-Id` (`<list>.<domain>`).
    pub list_id_domain: String,
    /// Key file for unsubscribe tokens, outside the repository (`CRIER_TOKEN_KEY` overrides).
    pub token_key_file: Option<PathBuf>,
    /// Handlebars templates folder.
    pub templates_dir: PathBuf,
    /// Subscriber CSV folder.
    pub subscribers_dir: PathBuf,
    /// Where `send --dry-run` writes its preview.
    pub preview_dir: PathBuf,
    /// DKIM signing, if configured.
    pub dkim: Option<DkimSettings>,
    /// When the daemon sends digests (crontab, in the site's time zone).
    pub schedule: Option<crate::schedule::Schedule>,
    /// Skip a scheduled digest with no new recaps and no change of next event.
    pub only_if_new: bool,
    /// A digest missed while the daemon was down is sent on start-up if it was due at most
    /// this long ago (once, however many slots were missed).
    pub missed_grace: chrono::Duration,
    /// When the reminder before the next meetup goes out; `None` when turned off.
    pub reminder: Option<super::ReminderSettings>,
    /// The organisers who get each scheduled digest and reminder `preview_hours` before it
    /// goes out, with a note on what crier read (empty: no previews).
    pub preview_to: Vec<String>,
    /// How long before a scheduled send its preview goes.
    pub preview_hours: u32,
}

/// DKIM signing key and identity.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DkimSettings {
    /// Signing domain (`d=`).
    pub domain: String,
    /// Selector (`s=`): the key is published at `<selector>._domainkey.<domain>`.
    pub selector: String,
    /// Private key file, outside the repository: RSA as PKCS#1 or PKCS#8 PEM, Ed25519 as
    /// PKCS#8 PEM (what `openssl genpkey` writes) or a base64 32-byte seed.
    pub key_file: PathBuf,
    /// `rsa` or `ed25519`; when left out, taken from the key itself (PEM keys name their
    /// algorithm, a bare 32-byte seed is Ed25519).
    #[serde(default)]
    pub algorithm: Option<String>,
}

/// The section as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNewsletter {
    from: RawMailbox,
    #[serde(default)]
    reply_to: Option<String>,
    #[serde(default = "default_subject")]
    subject: String,
    #[serde(default)]
    lists: Vec<String>,
    #[serde(default = "default_recap_tag")]
    recap_tag: String,
    #[serde(default)]
    include_tag: Option<String>,
    #[serde(default = "default_max_recaps")]
    max_recaps: usize,
    #[serde(default = "default_event_time")]
    event_time: String,
    #[serde(default = "default_event_minutes")]
    event_minutes: u32,
    #[serde(default)]
    unsubscribe_url: Option<String>,
    #[serde(default)]
    unsubscribe_mailto: Option<String>,
    #[serde(default)]
    list_id_domain: Option<String>,
    #[serde(default)]
    token_key_file: Option<PathBuf>,
    #[serde(default = "default_templates")]
    templates_dir: PathBuf,
    #[serde(default = "default_subscribers")]
    subscribers_dir: PathBuf,
    #[serde(default = "default_preview")]
    preview_dir: PathBuf,
    #[serde(default)]
    schedule: Option<String>,
    #[serde(default)]
    dkim: Option<DkimSettings>,
    #[serde(default = "default_true")]
    only_if_new: bool,
    #[serde(default = "default_grace")]
    missed_grace_minutes: u32,
    #[serde(default)]
    reminder: Option<serde_yaml::Value>,
    #[serde(default)]
    preview_to: Option<OneOrMany>,
    #[serde(default = "default_preview_hours")]
    preview_hours: u32,
}

/// One address, or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

fn default_preview_hours() -> u32 {
    24
}

fn default_true() -> bool {
    true
}
fn default_grace() -> u32 {
    720
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMailbox {
    name: String,
    address: String,
}

/// crier's suggested subject (`subject` in the template data): for a digest, the next meetup
/// and the new recaps; for a post, its title. The From name already carries the site's name.
fn default_subject() -> String {
    "{{subject}}".to_owned()
}
fn default_recap_tag() -> String {
    "Meetup".to_owned()
}
fn default_max_recaps() -> usize {
    5
}
fn default_event_time() -> String {
    "18:30".to_owned()
}
fn default_event_minutes() -> u32 {
    180
}
fn default_templates() -> PathBuf {
    PathBuf::from("templates")
}
fn default_subscribers() -> PathBuf {
    PathBuf::from("subscribers")
}
fn default_preview() -> PathBuf {
    PathBuf::from("preview")
}

/// Records problems against key paths of the `newsletter:` section, remembering whether
/// there was any.
struct Check<'p> {
    ok: bool,
    problem: &'p mut dyn FnMut(&[&str], String),
}

impl Check<'_> {
    fn fail(&mut self, key: &str, message: String) {
        self.ok = false;
        (self.problem)(
            &["newsletter", key],
            format!("field `newsletter.{key}`: {message}"),
        );
    }

    /// `value` when it parsed, else the problem recorded and `None`.
    fn ok_or<T, E: std::fmt::Display>(&mut self, key: &str, value: Result<T, E>) -> Option<T> {
        value.map_err(|why| self.fail(key, why.to_string())).ok()
    }
}

/// Validates the section; `problem` records an error against a key path.
pub(super) fn validate(
    raw: RawNewsletter,
    root: &Path,
    home_url: &str,
    host: &str,
    tz: chrono_tz::Tz,
    problem: &mut dyn FnMut(&[&str], String),
) -> Option<NewsletterSettings> {
    let mut check = Check { ok: true, problem };
    let from = check.ok_or("from", mailbox(&raw.from.name, &raw.from.address));
    let reply_to = raw
        .reply_to
        .as_deref()
        .and_then(|a| check.ok_or("reply_to", mailbox("", a)));
    let event_time = check
        .ok_or(
            "event_time",
            NaiveTime::parse_from_str(raw.event_time.trim(), "%H:%M").map_err(|_| {
                format!(
                    "expected a time of day such as `18:30`, found `{}`",
                    raw.event_time
                )
            }),
        )
        .unwrap_or(NaiveTime::MIN);
    let unsubscribe_url = raw
        .unsubscribe_url
        .clone()
        .unwrap_or_else(|| format!("{home_url}unsubscribe"));
    let unsubscribe_mailto = raw
        .unsubscribe_mailto
        .clone()
        .unwrap_or_else(|| raw.from.address.clone());
    check_links(&mut check, &raw, &unsubscribe_url, &unsubscribe_mailto);
    check_numbers(&mut check, &raw);
    check_secrets(&mut check, &raw);
    let schedule = raw
        .schedule
        .as_deref()
        .and_then(|s| check.ok_or("schedule", crate::schedule::Schedule::parse(s, tz)));
    let reminder = check
        .ok_or("reminder", super::reminder::parse(raw.reminder.as_ref()))
        .flatten();
    let preview_to = check_preview(&mut check, &raw);
    if !check.ok {
        return None;
    }
    Some(NewsletterSettings {
        from: from?,
        reply_to,
        subject: raw.subject,
        lists: raw.lists,
        recap_tag: raw.recap_tag,
        include_tag: raw.include_tag.filter(|t| !t.trim().is_empty()),
        max_recaps: raw.max_recaps,
        event_time,
        event_minutes: raw.event_minutes,
        pages_base: pages_base(&unsubscribe_url),
        unsubscribe_url,
        unsubscribe_mailto,
        list_id_domain: raw.list_id_domain.unwrap_or_else(|| host.to_owned()),
        token_key_file: raw.token_key_file,
        templates_dir: root.join(raw.templates_dir),
        subscribers_dir: root.join(raw.subscribers_dir),
        preview_dir: root.join(raw.preview_dir),
        schedule,
        dkim: raw.dkim,
        only_if_new: raw.only_if_new,
        missed_grace: chrono::Duration::minutes(i64::from(raw.missed_grace_minutes)),
        reminder,
        preview_to,
        preview_hours: raw.preview_hours,
    })
}

/// The organisers' addresses for previews, and how long before a send they go (within a
/// week: a preview older than that says little about what will be read then).
fn check_preview(check: &mut Check<'_>, raw: &RawNewsletter) -> Vec<String> {
    let addresses = match &raw.preview_to {
        None => Vec::new(),
        Some(OneOrMany::One(a)) => vec![a.trim().to_owned()],
        Some(OneOrMany::Many(list)) => list.iter().map(|a| a.trim().to_owned()).collect(),
    };
    for address in &addresses {
        if address.parse::<lettre::Address>().is_err() || !address.contains('.') {
            check.fail(
                "preview_to",
                format!(
                    "expected e-mail addresses such as `organisers@example.org`, found `{address}`"
                ),
            );
        }
    }
    if !(1..=168).contains(&raw.preview_hours) {
        check.fail(
            "preview_hours",
            format!(
                "expected a whole number of hours from 1 to 168, found {}",
                raw.preview_hours
            ),
        );
    }
    addresses
}

/// The unsubscribe link and address, and the subject line.
fn check_links(check: &mut Check<'_>, raw: &RawNewsletter, url: &str, mailto: &str) {
    if !url.starts_with("https://") && !url.starts_with("http://") {
        check.fail(
            "unsubscribe_url",
            format!("expected an absolute http(s) URL, found `{url}`"),
        );
    }
    if mailto.parse::<lettre::Address>().is_err() {
        check.fail(
            "unsubscribe_mailto",
            format!("expected an e-mail address, found `{mailto}`"),
        );
    }
    if raw.subject.contains(['\r', '\n']) {
        check.fail("subject", "expected a single line".into());
    }
}

/// Ranges keep every derived time inside chrono's range and every digest readable.
fn check_numbers(check: &mut Check<'_>, raw: &RawNewsletter) {
    for (key, value, range) in [
        ("max_recaps", raw.max_recaps as u64, 1..=50),
        ("event_minutes", u64::from(raw.event_minutes), 1..=10_080),
        (
            "missed_grace_minutes",
            u64::from(raw.missed_grace_minutes),
            0..=10_080,
        ),
    ] {
        if !range.contains(&value) {
            check.fail(
                key,
                format!(
                    "expected a whole number from {} to {}, found {value}",
                    range.start(),
                    range.end()
                ),
            );
        }
    }
}

/// Key files live outside the site (secrets never live in the repository).
fn check_secrets(check: &mut Check<'_>, raw: &RawNewsletter) {
    if let Some(path) = &raw.token_key_file {
        if path.is_relative() {
            check.fail(
                "token_key_file",
                format!(
                    "expected an absolute path outside the site (secrets never live in the repository), found `{}`",
                    path.display()
                ),
            );
        }
    }
    if let Some(d) = &raw.dkim {
        let algorithm = d.algorithm.as_deref().unwrap_or("rsa");
        if d.key_file.is_relative() || !matches!(algorithm, "rsa" | "ed25519") {
            check.fail(
                "dkim",
                format!(
                    "expected an absolute `key_file` outside the site and `algorithm` rsa or ed25519, found `{}` and `{}`",
                    d.key_file.display(),
                    algorithm
                ),
            );
        }
    }
}

/// Why a configured sender or reply address is unusable.
#[derive(Debug, thiserror::Error)]
enum MailboxError {
    /// A line break or control character (header injection).
    #[error("expected a name and address without line breaks or control characters")]
    Control,
    /// Not an address.
    #[error("expected an e-mail address such as `news@example.com`, found `{found}` ({why})")]
    Address {
        /// What was written.
        found: String,
        /// lettre's complaint.
        why: lettre::address::AddressError,
    },
}

fn mailbox(name: &str, address: &str) -> Result<Mailbox, MailboxError> {
    if name.chars().any(char::is_control) || address.chars().any(char::is_control) {
        return Err(MailboxError::Control);
    }
    let address =
        address
            .trim()
            .parse::<lettre::Address>()
            .map_err(|why| MailboxError::Address {
                found: address.to_owned(),
                why,
            })?;
    let name = name.trim();
    Ok(Mailbox::new(
        (!name.is_empty()).then(|| name.to_owned()),
        address,
    ))
}

/// `https://x.example/news/unsubscribe?a=b` -> `https://x.example/news`.
fn pages_base(unsubscribe_url: &str) -> String {
    let path = unsubscribe_url.split(['?', '#']).next().unwrap_or("");
    match path.rsplit_once('/') {
        Some((base, _)) if base.matches('/').count() >= 2 => base.to_owned(),
        _ => path.trim_end_matches('/').to_owned(),
    }
}

impl NewsletterSettings {
    /// The URL of the daemon's page `name` (`confirm`, `preferences`) with `token`.
    pub fn page_url(&self, name: &str, token: &str) -> String {
        format!("{}/{name}?token={token}", self.pages_base)
    }
}
