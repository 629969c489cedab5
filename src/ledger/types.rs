//! The ledger's rows as Rust types. Kinds and statuses are enums stored as short words, times
//! are UTC (`DateTime<Utc>`, stored in one fixed format so SQLite orders them correctly), and
//! JSON columns are read into typed structs.

use std::fmt;

use chrono::{DateTime, Utc};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};

use crate::email::Outgoing;
use crate::subscribers::Subscriber;
pub use crate::subscribers::{Suppression, SuppressionReason};

/// Implements `as_str`, `Display`, `FromStr`-like parsing and SQLite conversion for an enum
/// stored as a word.
macro_rules! word_enum {
    ($name:ident { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $name {
            /// The word stored in the ledger.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            /// Reads the stored word.
            pub fn parse(word: &str) -> Option<Self> {
                match word { $($word => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let word = value.as_str()?;
                $name::parse(word).ok_or_else(|| {
                    FromSqlError::Other(format!("unknown {} `{word}`", stringify!($name)).into())
                })
            }
        }
    };
}

/// What a recorded send was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SendKind {
    /// The digest: new recaps and the next event.
    Digest,
    /// One post as an e-mail.
    Post,
    /// The reminder before an event (one per event and start time).
    Reminder,
    /// The confirmation e-mail of a sign-up (one recipient; transactional, not a newsletter).
    Confirmation,
    /// The organisers' preview of a scheduled digest or reminder.
    Preview,
}
word_enum!(SendKind { Digest => "digest", Post => "post", Reminder => "reminder", Confirmation => "confirmation", Preview => "preview" });

impl SendKind {
    /// Whether a suppression for `reason` keeps this kind of message from the address. A
    /// confirmation still goes to someone who unsubscribed (they just asked to join again),
    /// never to an address that bounced or complained.
    pub fn suppressed_by(self, reason: SuppressionReason) -> bool {
        match self {
            // Organisers asked for their previews in crier.yaml; someone who left asked to
            // join again: only a dead or complaining address keeps these out.
            SendKind::Confirmation | SendKind::Preview => reason != SuppressionReason::Unsubscribed,
            SendKind::Digest | SendKind::Post | SendKind::Reminder => true,
        }
    }

    /// Whether this is a newsletter send (digest, post, reminder): those are planned, resumed
    /// and listed by `crier send` and the schedule; confirmations and previews go their own
    /// way.
    pub fn is_newsletter(self) -> bool {
        matches!(self, SendKind::Digest | SendKind::Post | SendKind::Reminder)
    }
}

/// Where a recorded send stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendStatus {
    /// Some deliveries are queued or uncertain.
    Sending,
    /// Every delivery is sent or failed.
    Done,
}
word_enum!(SendStatus { Sending => "sending", Done => "done" });

/// A delivery's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not yet attempted, or waiting for a retry.
    Queued,
    /// An SMTP transaction was started and its outcome is not recorded (in flight, or crashed).
    Sending,
    /// Accepted by the server.
    Sent,
    /// Refused permanently.
    Failed,
    /// Not sent: the address was suppressed (unsubscribed, bounced) after the send was frozen.
    Skipped,
}
word_enum!(Status { Queued => "queued", Sending => "sending", Sent => "sent", Failed => "failed", Skipped => "skipped" });

word_enum!(SuppressionReason { Unsubscribed => "unsubscribed", Bounced => "bounced", Complained => "complained" });

/// What a send said, kept to tell whether a later digest has news: the recaps' URLs and the
/// event, or the post's slug.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendSummary {
    /// Recap URLs, newest first.
    #[serde(default)]
    pub recaps: Vec<String>,
    /// The announced event.
    #[serde(default)]
    pub event: Option<EventSummary>,
    /// The post's slug, for a single-post send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<String>,
}

/// The facts of an announced event that make a change worth mailing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSummary {
    /// Calendar UID.
    pub uid: String,
    /// Start (RFC 3339, as announced).
    pub start: String,
    /// RSVP link.
    #[serde(default)]
    pub rsvp: Option<String>,
    /// Place.
    #[serde(default)]
    pub location: Option<String>,
    /// The source says it is online (absent in summaries written before this was kept).
    #[serde(default, skip_serializing_if = "is_false")]
    pub online: bool,
    /// The organisers cancelled it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub cancelled: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A frozen send (digest or post) with what it says.
#[derive(Debug, Clone)]
pub struct SendRow {
    /// Id: kind, content hash and send time. Message-IDs derive from it.
    pub id: String,
    /// Digest or post.
    pub kind: SendKind,
    /// When it was frozen.
    pub created: DateTime<Utc>,
    /// The send time it was composed for (the `Date:` header).
    pub at: DateTime<Utc>,
    /// What it said.
    pub summary: SendSummary,
    /// What to compose for each recipient.
    pub outgoing: Outgoing,
    /// Sending until every delivery is sent or failed.
    pub status: SendStatus,
}

/// One recipient of a frozen send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Order within the send.
    pub seq: i64,
    /// The subscriber as frozen (name and columns, for personalising on resume).
    pub subscriber: Subscriber,
    /// Current state.
    pub status: Status,
    /// SMTP attempts so far.
    pub attempts: u32,
    /// The last SMTP reply or error.
    pub last_reply: Option<String>,
}

impl Delivery {
    /// The recipient's address.
    pub fn address(&self) -> &str {
        self.subscriber.email.as_str()
    }
}

/// Counts per status for one send.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Queued (including waiting for retry).
    pub queued: i64,
    /// In flight or uncertain.
    pub sending: i64,
    /// Delivered to the server.
    pub sent: i64,
    /// Refused permanently.
    pub failed: i64,
    /// Suppressed after the send was frozen, so not sent.
    pub skipped: i64,
}

impl Counts {
    /// Deliveries still to do.
    pub fn pending(&self) -> i64 {
        self.queued + self.sending
    }
}

impl ToSql for crate::subscribers::Address {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for crate::subscribers::Address {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        Ok(crate::subscribers::Address::unchecked(value.as_str()?))
    }
}

/// A JSON column read into `T`.
pub(super) struct Json<T>(pub T);

impl<T: for<'de> Deserialize<'de>> FromSql for Json<T> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        serde_json::from_str(value.as_str()?)
            .map(Json)
            .map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

/// Serialises `value` for a JSON column.
pub(super) fn to_json<T: Serialize>(value: &T) -> String {
    // Serialising these plain structs cannot fail (no maps with non-string keys).
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// How the reply of a delivery that failed before reaching any server begins: its message
/// could not be composed (a template or data mistake, never the address's fault), so it is
/// left out of bounce rates.
pub const NOT_COMPOSED: &str = "cannot compose: ";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for s in [
            Status::Queued,
            Status::Sending,
            Status::Sent,
            Status::Failed,
        ] {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(SendKind::parse("digest"), Some(SendKind::Digest));
        assert_eq!(
            SuppressionReason::parse("bounced"),
            Some(SuppressionReason::Bounced)
        );
        assert_eq!(Status::parse("lost"), None);
    }

    #[test]
    fn old_summaries_still_read() {
        let digest: SendSummary =
            serde_json::from_str(r#"{"recaps":["https://e.example/a"],"event":null}"#).unwrap();
        assert_eq!(digest.recaps.len(), 1);
        let post: SendSummary = serde_json::from_str(r#"{"post":"hello"}"#).unwrap();
        assert_eq!(post.post.as_deref(), Some("hello"));
    }
}
