//! Where messages go: an SMTP server (lettre's async transport with a connection pool), or, when
//! no server is configured, `.eml` files in an outbox folder.

use std::path::PathBuf;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::{Security, SmtpSettings};
use crate::output::write_atomic;

/// A way of handing over messages.
#[derive(Clone)]
pub enum Transport {
    /// Write each message to `dir/<digest>/<seq>-<address>.eml`.
    Outbox {
        /// The outbox folder.
        dir: PathBuf,
    },
    /// Send over SMTP.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// Worth retrying later (4xx, connection refused, timeout).
    pub transient: bool,
    /// A 5.1.x "no such user": the address should never be mailed again.
    pub no_such_user: bool,
    /// The server's reply or the connection error.
    pub message: String,
}

/// What to send: envelope addresses, the message, and a name for outbox files.
pub struct Outgoing<'a> {
    /// Envelope sender.
    pub from: &'a str,
    /// Envelope recipient.
    pub to: &'a str,
    /// The formatted message.
    pub bytes: &'a [u8],
    /// Sub-folder and file name stem in the outbox, e.g. `digest-x/000001-a@example.com`.
    pub file_stem: String,
}

impl Transport {
    /// Builds the SMTP transport from settings, or the outbox transport when there are none.
    pub fn from_settings(smtp: Option<&SmtpSettings>, outbox: PathBuf) -> Result<Self, String> {
        let Some(s) = smtp else {
            return Ok(Transport::Outbox { dir: outbox });
        };
        let builder = match s.security {
            Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
            Security::Tls | Security::Starttls => {
                let params = TlsParameters::new(s.host.clone())
                    .map_err(|e| format!("cannot set up TLS for {}: {e}", s.host))?;
                let tls = if s.security == Security::Tls {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                };
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host).tls(tls)
            }
        };
        let mut builder = builder
            .port(s.port)
            .timeout(Some(s.timeout))
            .pool_config(PoolConfig::new().max_size(s.max_connections));
        if let Some(user) = &s.username {
            let password = s.password()?.ok_or_else(|| {
                format!(
                    "smtp.username is set but no password: set {} or smtp.password_file",
                    s.password_env
                )
            })?;
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Transport::Smtp(builder.build()))
    }

    /// Hands one message over. Returns the server's reply (or the outbox path).
    pub async fn send(&self, message: Outgoing<'_>) -> Result<String, SendError> {
        match self {
            Transport::Outbox { dir } => {
                let path = dir.join(format!("{}.eml", message.file_stem));
                write_atomic(&path, message.bytes)
                    .map(|_| format!("written to {}", path.display()))
                    .map_err(|e| SendError {
                        transient: true,
                        no_such_user: false,
                        message: format!("cannot write {}: {e}", path.display()),
                    })
            }
            Transport::Smtp(smtp) => {
                let parse = |a: &str| {
                    a.parse::<Address>().map_err(|e| SendError {
                        transient: false,
                        no_such_user: false,
                        message: format!("invalid address {a}: {e}"),
                    })
                };
                let envelope = Envelope::new(Some(parse(message.from)?), vec![parse(message.to)?])
                    .map_err(|e| SendError {
                        transient: false,
                        no_such_user: false,
                        message: e.to_string(),
                    })?;
                match smtp.send_raw(&envelope, message.bytes).await {
                    Ok(response) => Ok(format!(
                        "{} {}",
                        response.code(),
                        response.message().collect::<Vec<_>>().join(" ")
                    )),
                    Err(err) => Err(classify(&err)),
                }
            }
        }
    }
}

/// Maps lettre's error onto retry / give up / suppress.
fn classify(err: &lettre::transport::smtp::Error) -> SendError {
    let message = err.to_string();
    let lower = message.to_lowercase();
    let permanent = err.is_permanent();
    SendError {
        // Anything not known to be permanent (4xx, refused connection, timeout, TLS hiccup)
        // is retried: a server that is down delays the digest, it does not lose it.
        transient: !permanent,
        no_such_user: permanent
            && (lower.contains("5.1.1")
                || lower.contains("5.1.0")
                || lower.contains("no such user")
                || lower.contains("user unknown")),
        message,
    }
}
