//! Delivery: carrying out a plan. The transports hand messages over (SMTP, an outbox folder,
//! memory), the sender delivers a send frozen in the [`crate::ledger`], and the preview
//! carries the same plan out into files instead.

pub mod lease;
pub mod preview;
pub mod sender;
pub mod transport;

pub use transport::Transport;
