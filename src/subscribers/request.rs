//! What a member asks for from their own links: leave (one-click unsubscribe) or a new set
//! of choices from the preferences page. Plain data: written to the journal before it is
//! applied, so that a busy or damaged ledger never loses it.

use serde::{Deserialize, Serialize};

/// What a person chose on their preferences page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// The lists ticked.
    pub lists: Vec<String>,
    /// Reminders ticked.
    pub reminders: bool,
    /// "Unsubscribe from everything" pressed.
    pub leave: bool,
}

/// A member's request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum MemberRequest {
    /// One-click unsubscribe from a message on `list` (RFC 8058): no mail of any kind any more.
    Unsubscribe {
        /// The list the message was on.
        list: String,
    },
    /// Choices saved on the preferences page.
    Choose(Choice),
}

impl MemberRequest {
    /// Whether the request stops all mail (what a send must know before it plans).
    pub fn leaves_everything(&self) -> bool {
        match self {
            MemberRequest::Unsubscribe { .. } => true,
            MemberRequest::Choose(choice) => choice.leave,
        }
    }
}
