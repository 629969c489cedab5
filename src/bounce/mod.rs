//! Bounce and complaint reports: reading them ([`report::parse`]), telling what each means per
//! recipient ([`classify::classify`]), and reading them from `.eml` files, Maildirs and mbox
//! files ([`mailbox::read`]). Plain data in and out: attributing a report to a send and acting
//! on it belong to the layers above.
//!
//! Reports come from strangers' servers, so everything here is bounded (see [`limits`]) and a
//! malformed or hostile report is an error or an `Unknown` verdict, never a panic.

pub mod classify;
pub mod fields;
pub mod mailbox;
pub mod report;
pub mod smtp;
pub mod text;
pub mod vocabulary;
pub mod webhook;

pub use classify::{classify, Kind, Reason, Verdict};
pub use mailbox::{read, Item, MailboxError};
pub use report::{parse, Feedback, Original, ParseError, Recipient, Report, ReportType};
pub use smtp::Stage;

/// The bounds that keep a hostile report cheap to read.
pub mod limits {
    /// Largest message read; a report quoting a 5 MB attachment still fits, bigger is skipped.
    pub const MAX_MESSAGE_BYTES: usize = 8 << 20;
    /// Most bytes one import reads in all.
    pub const MAX_TOTAL_BYTES: u64 = 2 << 30;
    /// Most files listed from one folder.
    pub const MAX_FILES: usize = 100_000;
    /// Most MIME parts looked at in one report (counting quoted messages' parts).
    pub const MAX_PARTS: usize = 200;
    /// Deepest quoted message (`message/rfc822` inside `message/rfc822` …) looked into.
    pub const MAX_DEPTH: usize = 3;
    /// Most recipients taken from one report.
    pub const MAX_RECIPIENTS: usize = 100;
    /// Most human-readable text kept, and most of a status part read.
    pub const MAX_TEXT: usize = 64 << 10;
    /// Most text kept about one recipient (of a report's human-readable text).
    pub const MAX_CONTEXT: usize = 2 << 10;
    /// Most `Received` lines kept of a quoted original.
    pub const MAX_RECEIVED: usize = 32;
    /// Most blocks read from a status part.
    pub const MAX_BLOCKS: usize = 200;
    /// Most fields read from one block.
    pub const MAX_FIELDS: usize = 200;
    /// Longest field value kept.
    pub const MAX_FIELD_LEN: usize = 4 << 10;
}
