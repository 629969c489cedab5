//! The outbox: each message becomes `dir/<send id>/<seq>-<address>.eml`. The default when no
//! SMTP server is configured, so a fresh site can run the daemon without one.

use std::path::PathBuf;

use super::{Outbound, SendError, SendFuture, Transport};
use crate::output::write_atomic;

/// Writes messages as `.eml` files.
#[derive(Debug, Clone)]
pub struct OutboxTransport {
    dir: PathBuf,
}

impl OutboxTransport {
    /// An outbox in `dir`.
    pub fn new(dir: PathBuf) -> Self {
        OutboxTransport { dir }
    }
}

impl Transport for OutboxTransport {
    fn send<'a>(&'a self, message: Outbound<'a>) -> SendFuture<'a> {
        let path = self.dir.join(format!("{}.eml", message.file_stem));
        let bytes = message.bytes;
        Box::pin(async move {
            write_atomic(&path, bytes)
                .map(|_| format!("written to {}", path.display()))
                // A full disk or a permissions slip can be fixed: retry later.
                .map_err(|e| SendError::transient(format!("cannot write {}: {e}", path.display())))
        })
    }
}
