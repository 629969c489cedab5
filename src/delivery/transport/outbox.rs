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
        // The stem comes from crier, but an address may be in it: never let it leave the
        // outbox (a quoted local part can hold `/` and `..`).
        let inside = std::path::Path::new(message.file_stem)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        Box::pin(async move {
            if !inside {
                return Err(SendError::permanent(format!(
                    "refusing to write outside the outbox: {:?}",
                    message.file_stem
                )));
            }
            write_atomic(&path, bytes)
                .map(|_| format!("written to {}", path.display()))
                // A full disk or a permissions slip can be fixed: retry later.
                .map_err(|e| SendError::transient(format!("cannot write {}: {e}", path.display())))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stem_that_leaves_the_outbox_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = OutboxTransport::new(dir.path().join("outbox"));
        let message = |stem| Outbound {
            from: "a@example.com",
            to: "b@example.com",
            bytes: b"x\r\n",
            file_stem: stem,
        };
        for stem in ["confirm/1-\"/../../../x\"@example.org", "/etc/x", "../x"] {
            let err = outbox.send(message(stem)).await.unwrap_err();
            assert!(err.is_permanent(), "{stem}");
        }
        assert!(!dir.path().join("x\"@example.org.eml").exists());
        outbox
            .send(message("confirm/1-ok@example.org"))
            .await
            .unwrap();
        assert!(dir
            .path()
            .join("outbox/confirm/1-ok@example.org.eml")
            .exists());
    }
}
