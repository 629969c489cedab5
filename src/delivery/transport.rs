//! Where messages go: an SMTP server, or, when none is configured, `.eml` files in an outbox
//! folder.
//!
//! SMTP uses lettre's connection and protocol code over a small pool of our own: lettre's pooled
//! transport does not set `TCP_NODELAY`, and it writes the message and the final `.` in two
//! writes, so every message waited for the server's delayed ACK (40 ms). Our sockets set
//! `TCP_NODELAY`, which measured about 20 times faster against Postfix's `smtp-sink`.

use std::path::PathBuf;
use std::sync::Mutex;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::Address;

use crate::config::{Security, SmtpSettings};
use crate::output::write_atomic;

/// A way of handing over messages.
pub enum Transport {
    /// Write each message to `dir/<digest>/<seq>-<address>.eml`.
    Outbox {
        /// The outbox folder.
        dir: PathBuf,
    },
    /// Send over SMTP.
    Smtp(SmtpPool),
}

/// Open SMTP connections, reused between messages.
pub struct SmtpPool {
    settings: SmtpSettings,
    credentials: Option<Credentials>,
    idle: Mutex<Vec<AsyncSmtpConnection>>,
}

impl SmtpPool {
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        self.try_connect().await.map_err(|e| match e {
            Connect::Smtp(e) => classify(&e),
            Connect::Io(e) => SendError {
                transient: true,
                no_such_user: false,
                message: format!("cannot connect to the SMTP server: {e}"),
            },
        })
    }

    async fn try_connect(&self) -> Result<AsyncSmtpConnection, Connect> {
        let s = &self.settings;
        let hello = ClientId::Domain(hostname());
        let tls = || TlsParameters::new(s.host.clone());
        let mut conn = match s.security {
            Security::Tls => {
                AsyncSmtpConnection::connect_tokio1(
                    (s.host.as_str(), s.port),
                    Some(s.timeout),
                    &hello,
                    Some(tls()?),
                    None,
                )
                .await?
            }
            Security::None | Security::Starttls => {
                let connect = tokio::net::TcpStream::connect((s.host.as_str(), s.port));
                let tcp = tokio::time::timeout(s.timeout, connect)
                    .await
                    .map_err(|_| {
                        std::io::Error::new(std::io::ErrorKind::TimedOut, "connection timed out")
                    })
                    .and_then(|r| r)
                    .map_err(Connect::Io)?;
                let _ = tcp.set_nodelay(true);
                let mut conn =
                    AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello).await?;
                if s.security == Security::Starttls {
                    conn.starttls(tls()?, &hello).await?;
                }
                conn
            }
        };
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await?;
        }
        Ok(conn)
    }

    async fn send(&self, envelope: &Envelope, bytes: &[u8]) -> Result<String, SendError> {
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        let mut conn = match idle {
            Some(conn) => conn,
            None => self.connect().await?,
        };
        // A whole transaction gets a few command timeouts; a silent server must not hang us.
        let limit = self.settings.timeout * 4;
        match tokio::time::timeout(limit, conn.send(envelope, bytes)).await {
            Ok(Ok(response)) => {
                if let Ok(mut idle) = self.idle.lock() {
                    idle.push(conn);
                }
                Ok(format!(
                    "{} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                ))
            }
            Ok(Err(err)) => {
                // A refused recipient leaves the connection usable; a broken one is dropped.
                if !conn.has_broken() {
                    if let Ok(mut idle) = self.idle.lock() {
                        idle.push(conn);
                    }
                }
                Err(classify(&err))
            }
            Err(_) => Err(SendError {
                transient: true,
                no_such_user: false,
                message: format!("no answer from the SMTP server within {limit:?}"),
            }),
        }
    }
}

enum Connect {
    Smtp(lettre::transport::smtp::Error),
    Io(std::io::Error),
}

impl From<lettre::transport::smtp::Error> for Connect {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        Connect::Smtp(e)
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        })
        .unwrap_or_else(|| "localhost".to_owned())
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
        let credentials = match &s.username {
            Some(user) => {
                let password = s.password()?.ok_or_else(|| {
                    format!(
                        "smtp.username is set but no password: set {} or smtp.password_file",
                        s.password_env
                    )
                })?;
                Some(Credentials::new(user.clone(), password))
            }
            None => None,
        };
        Ok(Transport::Smtp(SmtpPool {
            settings: s.clone(),
            credentials,
            idle: Mutex::new(Vec::new()),
        }))
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
                smtp.send(&envelope, message.bytes).await
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
