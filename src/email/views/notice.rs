//! `notice`: what a message must say about the event besides the usual.

use serde::Serialize;

/// Which notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeKind {
    /// The announced event's date, time or place changed.
    Update,
    /// The announced event was cancelled.
    Cancellation,
    /// The event is coming up.
    Reminder,
}

impl NoticeKind {
    /// The word in the template data.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Update => "update",
            NoticeKind::Cancellation => "cancellation",
            NoticeKind::Reminder => "reminder",
        }
    }
}

/// A notice, as the templates get it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// Which notice.
    pub kind: NoticeKind,
    /// What changed, one line each ("New date: ..."), shown before anything else.
    pub lines: Vec<String>,
    /// The whole subject, replacing the configured one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Goes before the configured subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_prefix: Option<String>,
}
