//! Delivery: the ledger that makes sending crash-safe, the transports (SMTP or an outbox
//! folder), and the loop that sends a frozen digest.

pub mod campaign;
pub mod ledger;
pub mod lock;
pub mod sender;
pub mod transport;

pub use ledger::Ledger;
pub use transport::Transport;
