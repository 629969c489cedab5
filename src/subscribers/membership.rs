//! The effective-membership rule, stated once: who gets mail on a list, and why anyone else
//! does not. The planner (for every send) and the subscriptions service (for the preferences
//! page) both ask here, so they cannot disagree.
//!
//! 1. An address-wide suppression (unsubscribed from everything, bounced, complained) beats
//!    everything.
//! 2. Someone who turned a stream off (reminders) gets none of it, on any list.
//! 3. Someone who left a list in the store is off that list, even when an organiser's CSV
//!    file still has their row.
//! 4. Otherwise a CSV row counts, and so does a confirmed membership in the store; a pending
//!    sign-up gets nothing but its confirmation e-mail.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::store::MemberStatus;

/// Why an address is never mailed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionReason {
    /// The person unsubscribed.
    Unsubscribed,
    /// The server said the mailbox does not exist.
    Bounced,
    /// The person marked a message as spam.
    Complained,
}

/// A suppressed address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// The address's key (see [`super::Address::key`]).
    pub address: String,
    /// Why.
    pub reason: SuppressionReason,
    /// Details for people: the link's list, or the server's reply.
    pub detail: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Why an address on a list does not get a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SkipReason {
    /// The row's address is unusable.
    Invalid,
    /// The address is on this list or an earlier one already: it gets one copy.
    Duplicate,
    /// The person unsubscribed.
    Unsubscribed,
    /// An earlier message to the address bounced ("no such user").
    Bounced,
    /// The person marked a message as spam.
    Complained,
    /// Signed up on the form and has not confirmed yet (double opt-in).
    Pending,
}

impl SkipReason {
    /// The word for people and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Invalid => "invalid",
            SkipReason::Duplicate => "duplicate",
            SkipReason::Unsubscribed => "unsubscribed",
            SkipReason::Bounced => "bounced",
            SkipReason::Complained => "complained",
            SkipReason::Pending => "pending",
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<SuppressionReason> for SkipReason {
    fn from(reason: SuppressionReason) -> Self {
        match reason {
            SuppressionReason::Unsubscribed => SkipReason::Unsubscribed,
            SuppressionReason::Bounced => SkipReason::Bounced,
            SuppressionReason::Complained => SkipReason::Complained,
        }
    }
}

/// What is known about one address when a list row (or a confirmed store member) is met.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    /// Its address-wide suppression.
    pub suppression: Option<&'a Suppression>,
    /// The stream it turned off, when this send is of that stream (`reminders`).
    pub stream_off: Option<&'a str>,
    /// Its status in the store on the row's list, when it opted out of that list.
    pub left_list: Option<MemberStatus>,
}

/// The rule: `Ok(())` when the address gets this send on `list`, else why not, with details
/// for the organiser.
pub fn standing(list: &str, known: Known<'_>) -> Result<(), (SkipReason, String)> {
    if let Some(s) = known.suppression {
        let detail = format!("{} on {}: {}", s.reason, s.at.format("%Y-%m-%d"), s.detail);
        return Err((s.reason.into(), detail));
    }
    if let Some(stream) = known.stream_off {
        let detail = format!("turned off {stream} on the preferences page");
        return Err((SkipReason::Unsubscribed, detail));
    }
    if let Some(status) = known.left_list.filter(|s| s.opts_out()) {
        let reason = match status {
            MemberStatus::Bounced => SkipReason::Bounced,
            MemberStatus::Complained => SkipReason::Complained,
            _ => SkipReason::Unsubscribed,
        };
        let detail = format!("{status} from list `{list}` (subscriber store)");
        return Err((reason, detail));
    }
    Ok(())
}

/// The same rule for one person and one list, as their preferences page shows it: on the
/// list when confirmed in the store, or on its CSV file and not opted out in the store (a
/// pending sign-up does not hide a CSV row). An address-wide suppression is shown apart.
pub fn on_list(stored: Option<MemberStatus>, on_csv: bool) -> bool {
    match stored {
        Some(MemberStatus::Confirmed) => true,
        Some(s) if s.opts_out() => false,
        _ => on_csv,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suppression(reason: SuppressionReason) -> Suppression {
        Suppression {
            address: "a@example.org".into(),
            reason,
            detail: "x".into(),
            at: "2026-11-01T00:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn a_suppression_beats_everything_and_leaving_beats_a_csv_row() {
        let bounced = suppression(SuppressionReason::Bounced);
        let known = Known {
            suppression: Some(&bounced),
            ..Known::default()
        };
        assert_eq!(
            standing("members", known).unwrap_err().0,
            SkipReason::Bounced
        );
        let left = Known {
            left_list: Some(MemberStatus::Unsubscribed),
            ..Known::default()
        };
        assert_eq!(
            standing("members", left).unwrap_err().0,
            SkipReason::Unsubscribed
        );
        let stream = Known {
            stream_off: Some("reminders"),
            ..Known::default()
        };
        assert!(standing("members", stream).is_err());
        let pending = Known {
            left_list: Some(MemberStatus::Pending),
            ..Known::default()
        };
        assert!(
            standing("members", pending).is_ok(),
            "a pending sign-up does not hide a CSV row"
        );
        assert!(on_list(None, true));
        assert!(!on_list(Some(MemberStatus::Unsubscribed), true));
        assert!(on_list(Some(MemberStatus::Confirmed), false));
        assert!(!on_list(Some(MemberStatus::Pending), false));
    }
}
