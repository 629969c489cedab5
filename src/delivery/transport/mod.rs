//! Where messages go. A [`Transport`] hands one formatted message to something that delivers
//! it: an SMTP server ([`smtp`]), `.eml` files in an outbox folder ([`outbox`]), or, in tests,
//! memory ([`memory`]). The sender depends on this trait only.

pub mod memory;
pub mod outbox;
pub mod smtp;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use crate::config::SmtpSettings;

pub use memory::MemoryTransport;
pub use outbox::OutboxTransport;
pub use smtp::{SmtpSetupError, SmtpTransport};

/// One message to hand over: envelope addresses, the bytes, and a name for outbox files.
#[derive(Debug, Clone, Copy)]
pub struct Outbound<'a> {
    /// Envelope sender.
    pub from: &'a str,
    /// Envelope recipient.
    pub to: &'a str,
    /// The formatted message.
    pub bytes: &'a [u8],
    /// Sub-folder and file name stem in the outbox, e.g. `digest-x/000001-a@example.com`.
    pub file_stem: &'a str,
}

/// What [`Transport::send`] returns: the server's reply, or why the message was not taken.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<String, SendError>> + Send + 'a>>;

/// Something that takes messages for delivery.
pub trait Transport: Send + Sync {
    /// Hands one message over. Returns the server's reply (or where it was written).
    fn send<'a>(&'a self, message: Outbound<'a>) -> SendFuture<'a>;
}

/// How a refused message should be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendErrorKind {
    /// Worth retrying later: 4xx, connection refused, timeout, a full disk.
    Transient,
    /// Refused for good (5xx) for this message.
    Permanent,
    /// A 5.1.x "no such user": the address should never be mailed again.
    NoSuchUser,
}

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    kind: SendErrorKind,
    message: String,
}

impl SendError {
    /// A failure worth retrying.
    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(SendErrorKind::Transient, message)
    }

    /// A failure that will not change by retrying.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::new(SendErrorKind::Permanent, message)
    }

    /// The mailbox does not exist.
    pub fn no_such_user(message: impl Into<String>) -> Self {
        Self::new(SendErrorKind::NoSuchUser, message)
    }

    /// An error of `kind`.
    pub fn new(kind: SendErrorKind, message: impl Into<String>) -> Self {
        SendError {
            kind,
            message: message.into(),
        }
    }

    /// How to treat it.
    pub fn kind(&self) -> SendErrorKind {
        self.kind
    }

    /// Retry later.
    pub fn is_transient(&self) -> bool {
        self.kind == SendErrorKind::Transient
    }

    /// Do not retry.
    pub fn is_permanent(&self) -> bool {
        !self.is_transient()
    }

    /// Do not retry, and never mail this address again.
    pub fn is_no_such_user(&self) -> bool {
        self.kind == SendErrorKind::NoSuchUser
    }

    /// The server's reply or the connection error.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The SMTP transport from settings, or the outbox transport when there are none.
pub fn from_settings(
    smtp: Option<&SmtpSettings>,
    outbox: PathBuf,
) -> Result<Arc<dyn Transport>, SmtpSetupError> {
    Ok(match smtp {
        Some(settings) => Arc::new(SmtpTransport::new(settings)?),
        None => Arc::new(OutboxTransport::new(outbox)),
    })
}
