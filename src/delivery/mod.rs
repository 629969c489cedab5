//! Delivery: carrying out a plan. The transports hand messages over (SMTP, an outbox folder,
//! memory), the sender delivers a send frozen in the [`crate::ledger`], and the preview
//! carries the same plan out into files instead. [`copies`] finds the messages kept on disk
//! that are a person's, for an erasure.

pub mod copies;
pub mod lease;
pub mod preview;
pub mod sender;
pub mod transport;

pub use transport::Transport;
