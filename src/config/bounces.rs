//! `bounces:`: where bounce and complaint reports come back, and what is done with them.
//!
//! ```yaml
//! bounces:
//!   domain: bounces.example.org   # envelope senders bounces+<token>@bounces.example.org
//!   local_part: bounces           # default
//!   listen: 127.0.0.1:2525        # optional: the daemon takes reports over SMTP here
//!   max_message_kb: 2048          # largest report taken, over SMTP or from files
//!   soft_limit: 3                 # soft bounces (mailbox full...) that suppress an address...
//!   soft_days: 30                 # ...within this many days
//! ```
//!
//! Without `domain`, messages keep the From address as their envelope sender and reports are
//! attributed from the original message quoted in them, or by the failed address.

use std::net::SocketAddr;

use serde::Deserialize;

/// The bounce settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BounceSettings {
    /// The domain of the per-recipient envelope senders (its MX points at crier's listener or
    /// a mailbox crier reads); `None`: no VERP.
    pub domain: Option<String>,
    /// The local part before `+<token>`.
    pub local_part: String,
    /// The daemon's SMTP listener for reports.
    pub listen: Option<SocketAddr>,
    /// Largest report taken, in bytes.
    pub max_message_bytes: usize,
    /// Soft bounces that suppress an address...
    pub soft_limit: u32,
    /// ...within this many days.
    pub soft_days: u32,
    /// Sending providers' webhooks (`/webhooks/<provider>`).
    pub webhooks: WebhookConfig,
}

/// Where a secret comes from: never `crier.yaml` itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// An environment variable.
    Env(String),
    /// A file outside the site (its first line).
    File(std::path::PathBuf),
}

impl Secret {
    /// Reads the secret.
    pub fn read(&self) -> Result<String, SecretError> {
        let value = match self {
            Secret::Env(name) => {
                std::env::var(name).map_err(|_| SecretError::Unset { name: name.clone() })?
            }
            Secret::File(path) => std::fs::read_to_string(path)
                .map(|s| s.lines().next().unwrap_or_default().trim().to_owned())
                .map_err(|source| SecretError::Unreadable {
                    path: path.clone(),
                    source,
                })?,
        };
        if value.is_empty() {
            return Err(SecretError::Empty);
        }
        Ok(value)
    }
}

/// Why a secret cannot be read. Never carries the secret itself.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The environment variable is not set.
    #[error("the environment variable {name} is not set")]
    Unset {
        /// The variable.
        name: String,
    },
    /// The file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The variable or file is empty.
    #[error("the secret is empty")]
    Empty,
}

/// The providers' webhook settings, with secrets by reference.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Amazon SES through SNS: the topic ARNs accepted; empty: SES is off.
    pub ses_topics: Vec<String>,
    /// Mailgun's webhook signing key.
    pub mailgun: Option<Secret>,
    /// SendGrid's verification key (public: it may be written in crier.yaml).
    pub sendgrid_key: Option<String>,
    /// Postmark: the user name and password put in the webhook URL.
    pub postmark: Option<(String, Secret)>,
    /// Oldest signed timestamp accepted from Mailgun and SendGrid, in seconds.
    pub max_age_secs: u64,
}

impl Default for BounceSettings {
    fn default() -> Self {
        BounceSettings {
            domain: None,
            local_part: "bounces".into(),
            listen: None,
            max_message_bytes: 2048 * 1024,
            soft_limit: 3,
            soft_days: 30,
            webhooks: WebhookConfig {
                max_age_secs: 300,
                ..WebhookConfig::default()
            },
        }
    }
}

/// `bounces:` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBounces {
    #[serde(default)]
    domain: Option<String>,
    #[serde(default)]
    local_part: Option<String>,
    #[serde(default)]
    listen: Option<String>,
    #[serde(default)]
    max_message_kb: Option<u64>,
    #[serde(default)]
    soft_limit: Option<u32>,
    #[serde(default)]
    soft_days: Option<u32>,
    #[serde(default)]
    webhooks: Option<RawWebhooks>,
}

/// `bounces.webhooks` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhooks {
    #[serde(default)]
    ses: Option<RawSes>,
    #[serde(default)]
    mailgun: Option<RawSecret>,
    #[serde(default)]
    sendgrid: Option<RawSendgrid>,
    #[serde(default)]
    postmark: Option<RawPostmark>,
    #[serde(default)]
    max_age_seconds: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSes {
    topics: Vec<String>,
}

/// A secret named by `signing_key_env`/`password_env` or `..._file`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecret {
    #[serde(default)]
    signing_key_env: Option<String>,
    #[serde(default)]
    signing_key_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSendgrid {
    public_key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPostmark {
    username: String,
    #[serde(default)]
    password_env: Option<String>,
    #[serde(default)]
    password_file: Option<std::path::PathBuf>,
}

/// Validates the section.
pub(super) fn validate(
    raw: Option<RawBounces>,
    problem: &mut dyn FnMut(&[&str], String),
) -> BounceSettings {
    let mut settings = BounceSettings::default();
    let Some(raw) = raw else {
        return settings;
    };
    let mut fail = |key: &str, message: String| {
        problem(
            &["bounces", key],
            format!("field `bounces.{key}`: {message}"),
        )
    };
    if let Some(domain) = raw.domain.clone() {
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        let labels_ok = domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        if domain.contains('.') && labels_ok && domain.len() <= 200 {
            settings.domain = Some(domain);
        } else {
            fail(
                "domain",
                format!("expected a domain name such as `bounces.example.org`, found `{domain}`"),
            );
        }
    }
    if let Some(local) = raw.local_part.clone() {
        let ok = !local.is_empty()
            && local.len() <= 20
            && local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if ok {
            settings.local_part = local;
        } else {
            fail(
                "local_part",
                format!("expected up to 20 letters, digits, `-`, `_` or `.`, found `{local}`"),
            );
        }
    }
    if let Some(listen) = raw.listen.clone() {
        match listen.trim().parse() {
            Ok(addr) => settings.listen = Some(addr),
            Err(_) => fail(
                "listen",
                format!("expected an address and port such as `127.0.0.1:2525`, found `{listen}`"),
            ),
        }
    }
    numbers(&raw, &mut settings, &mut fail);
    if let Some(webhooks) = &raw.webhooks {
        settings.webhooks = webhooks_of(webhooks, &mut fail);
    }
    if settings.listen.is_some() && settings.domain.is_none() {
        fail(
            "listen",
            "needs `bounces.domain`: the listener takes only mail to the bounce domain".into(),
        );
    }
    settings
}

fn numbers(raw: &RawBounces, settings: &mut BounceSettings, fail: &mut dyn FnMut(&str, String)) {
    let mut check = |key: &str, value: Option<u64>, range: std::ops::RangeInclusive<u64>| {
        let value = value?;
        if range.contains(&value) {
            Some(value)
        } else {
            fail(
                key,
                format!(
                    "expected a whole number from {} to {}, found {value}",
                    range.start(),
                    range.end()
                ),
            );
            None
        }
    };
    if let Some(kb) = check("max_message_kb", raw.max_message_kb, 16..=65_536) {
        settings.max_message_bytes = kb as usize * 1024;
    }
    if let Some(n) = check("soft_limit", raw.soft_limit.map(u64::from), 1..=100) {
        settings.soft_limit = n as u32;
    }
    if let Some(n) = check("soft_days", raw.soft_days.map(u64::from), 1..=365) {
        settings.soft_days = n as u32;
    }
}

fn webhooks_of(raw: &RawWebhooks, fail: &mut dyn FnMut(&str, String)) -> WebhookConfig {
    let mut out = WebhookConfig {
        max_age_secs: raw.max_age_seconds.unwrap_or(300).clamp(30, 86_400),
        ..WebhookConfig::default()
    };
    if let Some(ses) = &raw.ses {
        for topic in &ses.topics {
            if !topic.starts_with("arn:aws:sns:") || topic.split(':').count() != 6 {
                fail(
                    "webhooks",
                    format!("an SNS topic is written `arn:aws:sns:<region>:<account>:<name>`, found `{topic}`"),
                );
            }
        }
        out.ses_topics = ses.topics.clone();
    }
    if let Some(m) = &raw.mailgun {
        out.mailgun = secret(
            m.signing_key_env.as_ref(),
            m.signing_key_file.as_ref(),
            "mailgun.signing_key",
            fail,
        );
    }
    if let Some(s) = &raw.sendgrid {
        out.sendgrid_key = Some(s.public_key.trim().to_owned());
    }
    if let Some(p) = &raw.postmark {
        let password = secret(
            p.password_env.as_ref(),
            p.password_file.as_ref(),
            "postmark.password",
            fail,
        );
        out.postmark = password.map(|pw| (p.username.clone(), pw));
    }
    out
}

/// A secret from `<name>_env` or `<name>_file` (an absolute path outside the site).
fn secret(
    env: Option<&String>,
    file: Option<&std::path::PathBuf>,
    name: &str,
    fail: &mut dyn FnMut(&str, String),
) -> Option<Secret> {
    match (env, file) {
        (Some(env), None) => Some(Secret::Env(env.clone())),
        (None, Some(file)) if file.is_absolute() => Some(Secret::File(file.clone())),
        (None, Some(file)) => {
            fail(
                "webhooks",
                format!(
                    "`{name}_file` must be an absolute path outside the site, found `{}`",
                    file.display()
                ),
            );
            None
        }
        _ => {
            fail("webhooks", format!("give exactly one of `{name}_env` and `{name}_file` (secrets never go in crier.yaml)"));
            None
        }
    }
}
