//! The service layer, between the doors (`cli`, `server`, `daemon`) and the rooms below.

pub mod mailing;
pub mod summary;
pub mod subscriptions;
pub mod members;
pub mod state;
pub mod outbox;
pub mod audience;
pub mod signups;
pub mod preview;
pub mod bounces;
pub mod suppressions;
pub mod report;
pub mod webhooks;
