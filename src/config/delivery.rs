//! The `smtp:` and `delivery:` sections of `crier.yaml`. Without `smtp:`, messages are written
//! to the outbox folder instead, so a fresh checkout works with no mail server. Passwords are
//! never in this file: they come from an environment variable or a file outside the repository.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSmtp {
    host: String,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default = "default_security")]
    security: Security,
    #[serde(default)]
    username: Option<String>,
    #[serde(default = "default_password_env")]
    password_env: String,
    #[serde(default)]
    password_file: Option<PathBuf>,
    #[serde(default = "default_timeout")]
    timeout_seconds: u64,
    #[serde(default = "default_connections")]
    max_connections: u32,
    #[serde(default)]
    rate_per_second: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDelivery {
    #[serde(default = "default_outbox")]
    outbox_dir: PathBuf,
    #[serde(default = "default_state")]
    state_db: PathBuf,
    #[serde(default = "default_attempts")]
    max_attempts: u32,
    #[serde(default = "default_retry")]
    retry_base_seconds: f64,
}

impl Default for RawDelivery {
    fn default() -> Self {
        RawDelivery {
            outbox_dir: default_outbox(),
            state_db: default_state(),
            max_attempts: default_attempts(),
            retry_base_seconds: default_retry(),
        }
    }
}

fn default_security() -> Security {
    Security::Starttls
}
fn default_password_env() -> String {
    "CRIER_SMTP_PASSWORD".to_owned()
}
fn default_timeout() -> u64 {
    30
}
fn default_connections() -> u32 {
    4
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
    if !(raw.rate_per_second >= 0.0 && raw.rate_per_second.is_finite()) {
        problem(&["smtp", "rate_per_second"], "field `smtp.rate_per_second`: expected a number of messages per second, 0 for no limit".into());
        return None;
    }
    Some(SmtpSettings {
        port: raw.port.unwrap_or(match raw.security {
            Security::Starttls => 587,
            Security::Tls => 465,
            Security::None => 25,
        }),
        host: raw.host,
        security: raw.security,
        username: raw.username,
        password_env: raw.password_env,
        password_file: raw.password_file,
        timeout: Duration::from_secs(raw.timeout_seconds.max(1)),
        max_connections: raw.max_connections.max(1),
        rate_per_second: raw.rate_per_second,
    })
}

pub(super) fn validate_delivery(raw: RawDelivery, root: &Path) -> DeliverySettings {
    DeliverySettings {
        outbox_dir: root.join(raw.outbox_dir),
        state_db: root.join(raw.state_db),
        max_attempts: raw.max_attempts.max(1),
        retry_base: Duration::from_secs_f64(raw.retry_base_seconds.clamp(0.0, 3600.0)),
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
    pub fn password(&self) -> Result<Option<String>, String> {
        if let Ok(value) = std::env::var(&self.password_env) {
            return Ok(Some(value));
        }
        match &self.password_file {
            Some(path) => std::fs::read_to_string(path)
                .map(|s| Some(s.trim_end_matches(['\r', '\n']).to_owned()))
                .map_err(|e| format!("cannot read smtp.password_file {}: {e}", path.display())),
            None => Ok(None),
        }
    }
}
