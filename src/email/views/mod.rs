//! The typed data every e-mail template gets: one struct per kind of message, built by the
//! planner, frozen in the ledger as JSON, and rendered for each recipient with the
//! recipient's own fields ([`Recipient`]) beside it.
//!
//! These structs are the template authors' reference: every field below is a variable a
//! template may use, under the name serde gives it (`{{event.date_display}}`,
//! `{{#each recaps}}{{short_title}}{{/each}}`). Optional fields are `null` when absent, so
//! `{{#if event}}` works in strict mode; a misspelt name is an error at `crier check`.
//!
//! | template | data |
//! |---|---|
//! | `digest.{html,txt}.hbs` | [`DigestView`] + [`Recipient`] |
//! | `post.{html,txt}.hbs` | [`PostView`] + [`Recipient`] |
//! | `reminder.{html,txt}.hbs` | [`ReminderView`] + [`Recipient`] |
//! | `confirm.{html,txt}.hbs` | [`ConfirmationView`] + [`Recipient`] |

mod digest;
mod notice;
mod other;
pub mod samples;

pub use digest::{DigestMeta, DigestView, EventCard, Picture, RecapView};
pub use notice::{Notice, NoticeKind};
pub use other::{ConfirmationView, ListView, PostCard, PostView, ReminderMeta, ReminderView};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::templates::Kind;

/// `site`: the site's facts, in every message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteView {
    /// The site's title.
    pub title: String,
    /// Its description (may be empty).
    pub description: String,
    /// Its home page.
    pub url: String,
    /// The author's (organisers') name.
    pub author: String,
    /// Its language (`en-GB`).
    pub language: String,
}

impl SiteView {
    /// The view of a site's config.
    pub fn of(site: &crate::config::SiteInfo) -> Self {
        SiteView {
            title: site.title.clone(),
            description: site.description.clone(),
            url: site.home_url(),
            author: site.author.name.clone(),
            language: site.language.clone(),
        }
    }
}

/// What is different for each recipient: their address and name, their own links, and the
/// other columns of their list row. Rendered beside the message's view (the composer fills
/// these in after rendering once per shape of recipient, so a 100,000-member list renders
/// the templates a handful of times).
#[derive(Debug, Clone, Serialize)]
pub struct Recipient<'a> {
    /// `subscriber`: `email`, `name` (null when unknown), and every other column of the
    /// recipient's list row by its header (`{{subscriber.company}}`).
    pub subscriber: SubscriberView<'a>,
    /// One-click unsubscribe from everything (also in `List-Unsubscribe`).
    pub unsubscribe_url: &'a str,
    /// The recipient's preferences page.
    pub preferences_url: &'a str,
    /// A confirmation's link (confirmation e-mails only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirm_url: Option<&'a str>,
}

/// `subscriber`, see [`Recipient`].
#[derive(Debug, Clone, Serialize)]
pub struct SubscriberView<'a> {
    /// The address.
    pub email: &'a str,
    /// The name, or null.
    pub name: Option<&'a str>,
    /// Every other column of the list row.
    #[serde(flatten)]
    pub columns: BTreeMap<&'a str, &'a str>,
}

/// One message's whole template data: the frozen view and the recipient's fields.
#[derive(Debug, Serialize)]
pub struct Message<'a, V: Serialize> {
    /// The message's view (frozen as JSON in the ledger).
    #[serde(flatten)]
    pub view: &'a V,
    /// The recipient's fields.
    #[serde(flatten)]
    pub recipient: Recipient<'a>,
}

/// Any e-mail's view, with the templates that render it.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum EmailView {
    /// The digest.
    Digest(Box<DigestView>),
    /// One post.
    Post(Box<PostView>),
    /// The reminder before an event.
    Reminder(Box<ReminderView>),
    /// A sign-up's confirmation.
    Confirmation(Box<ConfirmationView>),
}

impl EmailView {
    /// Which templates render it.
    pub fn kind(&self) -> Kind {
        match self {
            EmailView::Digest(_) => Kind::Digest,
            EmailView::Post(_) => Kind::Post,
            EmailView::Reminder(_) => Kind::Reminder,
            EmailView::Confirmation(_) => Kind::Confirmation,
        }
    }

    /// The view as the JSON frozen in the ledger.
    pub fn to_data(&self) -> serde_json::Value {
        // Serialising these plain structs cannot fail (every map key is a string).
        serde_json::to_value(self).unwrap_or_default()
    }
}
