//! The `smtp:` and `delivery:` sections of `crier.yaml`. Without `smtp:`, messages are written
//! to the outbox folder instead, so a fresh checkout works with no mail server. Passwords are
//! never in this file: they come from an environment variable or a file outside the repository.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// The allowed ranges of the numeric keys, checked when the config is loaded so that no
/// out-of-range, infinite or NaN value reaches the sender (where `Duration` and `Instant`
/// arithmetic would panic). Integer keys must be whole numbers.
pub mod ranges {
    /// `smtp.port`.
    pub const PORT: (f64, f64) = (1.0, 65535.0);
    /// `smtp.timeout_seconds`: one second to one hour.
    pub const TIMEOUT_SECONDS: (f64, f64) = (1.0, 3600.0);
    /// `smtp.max_connections`.
    pub const MAX_CONNECTIONS: (f64, f64) = (1.0, 64.0);
    /// `smtp.rate_per_second`: 0 (no limit), or this range.
    pub const RATE_PER_SECOND: (f64, f64) = (0.001, 10_000.0);
    /// `delivery.max_attempts`.
    pub const MAX_ATTEMPTS: (f64, f64) = (1.0, 100.0);
    /// `delivery.retry_base_seconds`: zero to one hour.
    pub const RETRY_BASE_SECONDS: (f64, f64) = (0.0, 3600.0);
    /// `delivery.retry_unfinished_seconds`: one second to a day.
    pub const RETRY_UNFINISHED_SECONDS: (f64, f64) = (1.0, 86_400.0);
    /// `delivery.backups.every_hours`: 0 (no scheduled backups), or an hour to a month.
    pub const BACKUP_EVERY_HOURS: (f64, f64) = (1.0, 744.0);
    /// `delivery.backups.keep`.
    pub const BACKUP_KEEP: (f64, f64) = (1.0, 1000.0);
}

/// Why a numeric key is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("field `{key}`: expected {expected} from {min} to {max}{extra}, found {found}")]
pub struct NumberError {
    /// The key, with its section: `smtp.timeout_seconds`.
    pub key: &'static str,
    /// `a whole number` or `a number`.
    pub expected: &'static str,
    /// Smallest allowed value.
    pub min: f64,
    /// Largest allowed value.
    pub max: f64,
    /// A note on special values (`, or 0 for no limit`).
    pub extra: &'static str,
    /// What the file has.
    pub found: String,
}

/// Checks `value` against `(min, max)`; `integer` also requires a whole number. `zero_ok`
/// allows exactly 0 below `min` (for "no limit").
fn check_number(
    key: &'static str,
    value: f64,
    (min, max): (f64, f64),
    integer: bool,
    zero_ok: bool,
) -> Result<f64, NumberError> {
    let ok = value.is_finite()
        && (!integer || value.fract() == 0.0)
        && ((min..=max).contains(&value) || (zero_ok && value == 0.0));
    if ok {
        return Ok(value);
    }
    let found = if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        format!("{}infinity", if value < 0.0 { "minus " } else { "" })
    } else {
        format!("{value}")
    };
    Err(NumberError {
        key,
        expected: if integer {
            "a whole number"
        } else {
            "a number"
        },
        min,
        max,
        extra: if zero_ok { ", or 0 for no limit" } else { "" },
        found,
    })
}

/// Reads any YAML number as f64 so that `-1`, `1e300`, `.nan` and `18446744073709551615` all
/// reach [`check_number`] and get a message naming the key and its range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Number(f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Number;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Number, E> {
                Ok(Number(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A `deserialize_with` for the `delivery:` keys, which are validated while the config is
/// deserialized (so serde_yaml's error position gives the line).
fn checked<'de, D: Deserializer<'de>>(
    deserializer: D,
    key: &'static str,
    range: (f64, f64),
    integer: bool,
) -> Result<f64, D::Error> {
    let Number(value) = Number::deserialize(deserializer)?;
    check_number(key, value, range, integer, false).map_err(serde::de::Error::custom)
}

fn max_attempts<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    checked(d, "delivery.max_attempts", ranges::MAX_ATTEMPTS, true).map(|v| v as u32)
}

fn retry_unfinished_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    checked(
        d,
        "delivery.retry_unfinished_seconds",
        ranges::RETRY_UNFINISHED_SECONDS,
        true,
    )
    .map(|v| v as u64)
}

fn retry_base_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    checked(
        d,
        "delivery.retry_base_seconds",
        ranges::RETRY_BASE_SECONDS,
        false,
    )
}

/// How to reach the SMTP server.
#[derive(Debug, Clone, PartialEq)]
pub struct SmtpSettings {
    /// Server host name.
    pub host: String,
    /// Port (587 for STARTTLS, 465 for TLS, 25 or any for plain local relays).
    pub port: u16,
    /// Connection security.
    pub security: Security,
    /// User name for AUTH, if the server needs it.
    pub username: Option<String>,
    /// Environment variable with the password.
    pub password_env: String,
    /// File with the password (absolute path, outside the repository).
    pub password_file: Option<PathBuf>,
    /// Timeout for each SMTP command.
    pub timeout: Duration,
    /// Most simultaneous connections (and messages in flight).
    pub max_connections: u32,
    /// Most messages per second (0: no limit).
    pub rate_per_second: f64,
}

/// Connection security.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (required).
    Starttls,
    /// TLS from the first byte (SMTPS).
    Tls,
    /// No encryption: only for relays on localhost.
    None,
}

/// Delivery bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliverySettings {
    /// Where messages go when no SMTP server is configured.
    pub outbox_dir: PathBuf,
    /// The SQLite ledger.
    pub state_db: PathBuf,
    /// Attempts per message for temporary failures before it is left queued for the next run.
    pub max_attempts: u32,
    /// First retry delay; doubled each time, with jitter.
    pub retry_base: Duration,
    /// How long the daemon waits before it tries a send with deferred messages again.
    pub retry_unfinished: Duration,
    /// Copies of the ledger.
    pub backups: BackupSettings,
}

/// Copies of the ledger, taken by the daemon on a schedule and before every migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSettings {
    /// The folder (private, like the ledger).
    pub dir: PathBuf,
    /// How often the daemon takes one; `None`: never on a schedule.
    pub every: Option<Duration>,
    /// How many scheduled copies are kept (the oldest are deleted).
    pub keep: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSmtp {
    host: String,
    #[serde(default)]
    port: Option<Number>,
    #[serde(default = "default_security")]
    security: Security,
    #[serde(default)]
    username: Option<String>,
    #[serde(default = "default_password_env")]
    password_env: String,
    #[serde(default)]
    password_file: Option<PathBuf>,
    #[serde(default = "default_timeout")]
    timeout_seconds: Number,
    #[serde(default = "default_connections")]
    max_connections: Number,
    #[serde(default = "default_rate")]
    rate_per_second: Number,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDelivery {
    #[serde(default = "default_outbox")]
    outbox_dir: PathBuf,
    #[serde(default = "default_state")]
    state_db: PathBuf,
    #[serde(default = "default_attempts", deserialize_with = "max_attempts")]
    max_attempts: u32,
    #[serde(default = "default_retry", deserialize_with = "retry_base_seconds")]
    retry_base_seconds: f64,
    #[serde(
        default = "default_retry_unfinished",
        deserialize_with = "retry_unfinished_seconds"
    )]
    retry_unfinished_seconds: u64,
    #[serde(default)]
    backups: RawBackups,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackups {
    #[serde(default = "default_backup_dir")]
    dir: PathBuf,
    #[serde(
        default = "default_backup_every",
        deserialize_with = "backup_every_hours"
    )]
    every_hours: u64,
    #[serde(default = "default_backup_keep", deserialize_with = "backup_keep")]
    keep: usize,
}

impl Default for RawBackups {
    fn default() -> Self {
        RawBackups {
            dir: default_backup_dir(),
            every_hours: default_backup_every(),
            keep: default_backup_keep(),
        }
    }
}

fn default_backup_dir() -> PathBuf {
    PathBuf::from("state/backups")
}

fn default_backup_every() -> u64 {
    24
}

fn default_backup_keep() -> usize {
    7
}

fn backup_every_hours<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let Number(value) = Number::deserialize(d)?;
    check_number(
        "delivery.backups.every_hours",
        value,
        ranges::BACKUP_EVERY_HOURS,
        true,
        true,
    )
    .map(|v| v as u64)
    .map_err(serde::de::Error::custom)
}

fn backup_keep<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    checked(d, "delivery.backups.keep", ranges::BACKUP_KEEP, true).map(|v| v as usize)
}

fn default_retry_unfinished() -> u64 {
    300
}

impl Default for RawDelivery {
    fn default() -> Self {
        RawDelivery {
            outbox_dir: default_outbox(),
            state_db: default_state(),
            max_attempts: default_attempts(),
            retry_base_seconds: default_retry(),
            retry_unfinished_seconds: default_retry_unfinished(),
            backups: RawBackups::default(),
        }
    }
}

fn default_security() -> Security {
    Security::Starttls
}
fn default_password_env() -> String {
    "CRIER_SMTP_PASSWORD".to_owned()
}
fn default_timeout() -> Number {
    Number(30.0)
}
fn default_connections() -> Number {
    Number(4.0)
}
fn default_rate() -> Number {
    Number(0.0)
}
fn default_outbox() -> PathBuf {
    PathBuf::from("outbox")
}
fn default_state() -> PathBuf {
    PathBuf::from("state/crier.db")
}
fn default_attempts() -> u32 {
    6
}
fn default_retry() -> f64 {
    2.0
}

pub(super) fn validate_smtp(
    raw: RawSmtp,
    problem: &mut dyn FnMut(&[&str], String),
) -> Option<SmtpSettings> {
    if let Some(path) = &raw.password_file {
        if path.is_relative() {
            problem(&["smtp", "password_file"], format!(
                "field `smtp.password_file`: expected an absolute path outside the site (secrets never live in the repository), found `{}`",
                path.display()
            ));
            return None;
        }
    }
    if raw.host.trim().is_empty() || raw.host.contains(['/', ' ', ':']) {
        problem(
            &["smtp", "host"],
            format!(
                "field `smtp.host`: expected a host name such as `smtp.example.com`, found `{}`",
                raw.host
            ),
        );
        return None;
    }
    let mut numbers_ok = true;
    let mut number = |key: &str, value: Number, range, integer, zero_ok| {
        let full: &'static str = match key {
            "port" => "smtp.port",
            "timeout_seconds" => "smtp.timeout_seconds",
            "max_connections" => "smtp.max_connections",
            _ => "smtp.rate_per_second",
        };
        check_number(full, value.0, range, integer, zero_ok).unwrap_or_else(|err| {
            problem(&["smtp", key], err.to_string());
            numbers_ok = false;
            range.0
        })
    };
    let port = raw
        .port
        .map(|p| number("port", p, ranges::PORT, true, false) as u16);
    let timeout = number(
        "timeout_seconds",
        raw.timeout_seconds,
        ranges::TIMEOUT_SECONDS,
        true,
        false,
    );
    let max_connections = number(
        "max_connections",
        raw.max_connections,
        ranges::MAX_CONNECTIONS,
        true,
        false,
    );
    let rate_per_second = number(
        "rate_per_second",
        raw.rate_per_second,
        ranges::RATE_PER_SECOND,
        false,
        true,
    );
    if !numbers_ok {
        return None;
    }
    Some(SmtpSettings {
        port: port.unwrap_or(match raw.security {
            Security::Starttls => 587,
            Security::Tls => 465,
            Security::None => 25,
        }),
        host: raw.host,
        security: raw.security,
        username: raw.username,
        password_env: raw.password_env,
        password_file: raw.password_file,
        timeout: Duration::from_secs(timeout as u64),
        max_connections: max_connections as u32,
        rate_per_second,
    })
}

pub(super) fn validate_delivery(raw: RawDelivery, root: &Path) -> DeliverySettings {
    DeliverySettings {
        outbox_dir: root.join(raw.outbox_dir),
        state_db: root.join(raw.state_db),
        // Already range-checked when deserialized; the clamps only keep this total.
        max_attempts: raw.max_attempts.clamp(1, 100),
        retry_base: Duration::from_secs_f64(
            if raw.retry_base_seconds.is_finite() {
                raw.retry_base_seconds
            } else {
                0.0
            }
            .clamp(ranges::RETRY_BASE_SECONDS.0, ranges::RETRY_BASE_SECONDS.1),
        ),
        retry_unfinished: Duration::from_secs(raw.retry_unfinished_seconds.clamp(1, 86_400)),
        backups: BackupSettings {
            dir: root.join(raw.backups.dir),
            every: (raw.backups.every_hours > 0)
                .then(|| Duration::from_secs(raw.backups.every_hours.min(744) * 3600)),
            keep: raw.backups.keep.clamp(1, 1000),
        },
    }
}

impl DeliverySettings {
    /// The folder of the ledger (and of the site lock).
    pub fn state_dir(&self) -> PathBuf {
        self.state_db
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

impl SmtpSettings {
    /// The password, from the environment variable or the password file. Never logged.
    pub fn password(&self) -> Result<Option<String>, PasswordError> {
        if let Ok(value) = std::env::var(&self.password_env) {
            return Ok(Some(value));
        }
        match &self.password_file {
            Some(path) => std::fs::read_to_string(path)
                .map(|s| Some(s.trim_end_matches(['\r', '\n']).to_owned()))
                .map_err(|e| PasswordError::Unreadable {
                    path: path.clone(),
                    reason: e.to_string(),
                }),
            None => Ok(None),
        }
    }
}

/// Why the SMTP password could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// `smtp.password_file` could not be read.
    #[error("cannot read smtp.password_file {}: {reason}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
}
