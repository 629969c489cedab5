//! Delivery: carrying out a plan. The ledger makes sending crash-safe, the transports hand
//! messages over (SMTP, an outbox folder, memory), the sender delivers a frozen send, and the
//! preview carries the same plan out into files instead.

pub mod execute;
pub mod ledger;
pub mod lock;
pub mod preview;
pub mod sender;
pub mod transport;

pub use ledger::Ledger;
pub use transport::Transport;
