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
