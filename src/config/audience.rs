//! The `audience:` section: the lists people may join and leave on their own, and the limits
//! that keep the subscribe form from being abused.

use serde::Deserialize;

/// One list offered on the subscribe form and the preferences page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicList {
    /// The list's name (`members`): the same name as a `subscribers/<name>.csv` merges with it.
    pub name: String,
    /// What people see ("The monthly digest").
    pub title: String,
    /// One sentence on what it sends.
    pub description: Option<String>,
}

/// Validated audience settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudienceSettings {
    /// Lists people may choose, in the order shown. The first is the default.
    pub lists: Vec<PublicList>,
    /// Offer the day-before reminder as something people can turn off on its own.
    pub reminders: bool,
    /// How long a confirmation link works.
    pub confirm_days: u32,
    /// Where to send people after they submit the form (crier's own page otherwise).
    pub thanks_url: Option<String>,
    /// A form post sooner than this after crier served its page is a bot.
    pub form_min_seconds: u32,
    /// Form posts accepted per IP address per hour.
    pub per_ip_per_hour: u32,
    /// Confirmation e-mails sent per hour, all addresses together.
    pub confirmations_per_hour: u32,
    /// Take the client's address (for the per-IP limit and the consent record) from
    /// `X-Forwarded-For`: its rightmost entry, the one the proxy in front appended, and only
    /// on connections from a loopback, private or link-local address (where one's own proxy
    /// sits). Without it, or from any other address, the socket's address counts.
    pub behind_proxy: bool,
}

impl AudienceSettings {
    /// The list called `name`, if people may choose it.
    pub fn list(&self, name: &str) -> Option<&PublicList> {
        self.lists.iter().find(|l| l.name == name)
    }
}

/// `audience:` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAudience {
    #[serde(default)]
    lists: Option<Vec<RawList>>,
    #[serde(default = "default_true")]
    reminders: bool,
    #[serde(default = "default_confirm_days")]
    confirm_days: u32,
    #[serde(default)]
    thanks_url: Option<String>,
    #[serde(default = "default_min_seconds")]
    form_min_seconds: u32,
    #[serde(default = "default_per_ip")]
    per_ip_per_hour: u32,
    #[serde(default = "default_per_hour")]
    confirmations_per_hour: u32,
    #[serde(default)]
    behind_proxy: bool,
}

impl Default for RawAudience {
    fn default() -> Self {
        RawAudience {
            lists: None,
            reminders: true,
            confirm_days: default_confirm_days(),
            thanks_url: None,
            form_min_seconds: default_min_seconds(),
            per_ip_per_hour: default_per_ip(),
            confirmations_per_hour: default_per_hour(),
            behind_proxy: false,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawList {
    name: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

fn default_true() -> bool {
    true
}
fn default_confirm_days() -> u32 {
    7
}
fn default_min_seconds() -> u32 {
    3
}
fn default_per_ip() -> u32 {
    10
}
fn default_per_hour() -> u32 {
    100
}

/// The list a site gets when it names none.
pub const DEFAULT_LIST: &str = "members";

/// Whether `name` can be a list name: it is a file stem, a URL form value and a CSV cell.
pub fn valid_list_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Validates `audience:`.
pub(super) fn validate(
    raw: RawAudience,
    problem: &mut impl FnMut(&[&str], String),
) -> AudienceSettings {
    let lists = match raw.lists {
        Some(lists) if !lists.is_empty() => lists,
        Some(_) => {
            problem(
                &["audience", "lists"],
                "field `audience.lists`: expected at least one list, found none".into(),
            );
            Vec::new()
        }
        None => vec![RawList {
            name: DEFAULT_LIST.into(),
            title: Some("The newsletter".into()),
            description: None,
        }],
    };
    let mut seen = std::collections::HashSet::new();
    let lists = lists
        .into_iter()
        .filter_map(|l| {
            if !valid_list_name(&l.name) {
                problem(&["audience", "lists"], format!("field `audience.lists.name`: expected lower-case letters, digits, `-` or `_`, found `{}`", l.name));
                return None;
            }
            if l.name == REMINDERS || !seen.insert(l.name.clone()) {
                problem(&["audience", "lists"], format!("field `audience.lists.name`: `{}` is reserved or listed twice", l.name));
                return None;
            }
            Some(PublicList {
                title: l.title.unwrap_or_else(|| l.name.clone()),
                name: l.name,
                description: l.description,
            })
        })
        .collect();
    if let Some(url) = &raw.thanks_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            problem(
                &["audience", "thanks_url"],
                format!("field `audience.thanks_url`: expected an http(s) URL, found `{url}`"),
            );
        }
    }
    if raw.confirm_days == 0 || raw.confirm_days > 90 {
        problem(
            &["audience", "confirm_days"],
            format!(
                "field `audience.confirm_days`: expected 1 to 90 days, found {}",
                raw.confirm_days
            ),
        );
    }
    AudienceSettings {
        lists,
        reminders: raw.reminders,
        confirm_days: raw.confirm_days.clamp(1, 90),
        thanks_url: raw.thanks_url,
        form_min_seconds: raw.form_min_seconds,
        per_ip_per_hour: raw.per_ip_per_hour,
        confirmations_per_hour: raw.confirmations_per_hour,
        behind_proxy: raw.behind_proxy,
    }
}

/// The name under which a person's choice about reminders is kept: a person with this list
/// `unsubscribed` gets no reminders, whatever lists they are on.
pub const REMINDERS: &str = "reminders";
