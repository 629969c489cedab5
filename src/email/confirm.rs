//! The confirmation e-mail of a form sign-up (double opt-in): one message, not a send, so it
//! is composed here directly rather than through the per-subscriber [`super::Composer`].
//!
//! Its templates are `confirm.html.hbs` and `confirm.txt.hbs` in the templates folder; crier's
//! own are built in, so a site without them (or with a broken one) still confirms people.

use std::time::SystemTime;

use chrono::{DateTime, FixedOffset};
use handlebars::Handlebars;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;
use serde_json::json;
use sha2::{Digest as _, Sha256};

use super::compose::one_line;
use crate::config::{NewsletterSettings, PublicList, SiteInfo};

const HTML: &str = include_str!("../../templates/confirm.html.hbs");
const TEXT: &str = include_str!("../../templates/confirm.txt.hbs");

/// The confirmation templates, compiled once: HTML (escaped) and text (not escaped).
pub struct ConfirmTemplates {
    html: Handlebars<'static>,
    text: Handlebars<'static>,
}

impl ConfirmTemplates {
    /// The site's templates from `dir`, each falling back to crier's own when missing or
    /// broken (logged): a typo in a template must not stop people from joining.
    pub fn load(dir: &std::path::Path) -> Self {
        let mut text = Handlebars::new();
        text.register_escape_fn(handlebars::no_escape);
        // crier's escaping, not Handlebars' (which writes `=` as `&#x3D;`, mangling links
        // for anything that reads the HTML without decoding entities).
        let mut html = Handlebars::new();
        html.register_escape_fn(crate::util::escape_html);
        ConfirmTemplates {
            html: registry(html, &dir.join("confirm.html.hbs"), HTML),
            text: registry(text, &dir.join("confirm.txt.hbs"), TEXT),
        }
    }
}

fn registry(
    mut registry: Handlebars<'static>,
    path: &std::path::Path,
    builtin: &str,
) -> Handlebars<'static> {
    let site = std::fs::read_to_string(path).ok();
    let ok = site
        .as_deref()
        .is_some_and(|t| registry.register_template_string("t", t).is_ok());
    if !ok {
        if site.is_some() {
            tracing::warn!(path = %path.display(), "confirmation template does not compile; using crier's own");
        }
        // The built-in template is tested to compile.
        let _ = registry.register_template_string("t", builtin);
    }
    registry
}

/// Why a confirmation e-mail could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot compose the confirmation e-mail: {0}")]
pub struct ConfirmError(String);

/// The confirmation e-mail to `address` for `lists`, whose button leads to `confirm_url`.
#[allow(clippy::too_many_arguments)]
pub fn compose(
    templates: &ConfirmTemplates,
    settings: &NewsletterSettings,
    site: &SiteInfo,
    address: &str,
    lists: &[&PublicList],
    confirm_url: &str,
    confirm_days: u32,
    at: DateTime<FixedOffset>,
    dkim: Option<&lettre::message::DkimConfig>,
) -> Result<Vec<u8>, ConfirmError> {
    let data = json!({
        "site": {"title": site.title, "url": site.url, "language": site.language},
        "lists": lists.iter().map(|l| json!({"name": l.name, "title": l.title})).collect::<Vec<_>>(),
        "confirm_url": confirm_url,
        "confirm_days": confirm_days,
    });
    let render = |r: &Handlebars<'static>| {
        r.render("t", &data)
            .map_err(|e| ConfirmError(e.to_string()))
    };
    let html = render(&templates.html)?;
    let text = render(&templates.text)?;
    let to: Mailbox = Mailbox::new(
        None,
        address.parse().map_err(|e| ConfirmError(format!("{e}")))?,
    );
    let hash: String = Sha256::digest(format!("{address}\n{}", at.timestamp()).as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut message = Message::builder()
        .from(settings.from.clone())
        .to(to)
        .subject(one_line(&format!(
            "Confirm your subscription to {}",
            site.title
        )))
        .date(SystemTime::from(at))
        .message_id(Some(format!(
            "<confirm-{}.{hash}@{}>",
            at.timestamp(),
            settings.list_id_domain
        )))
        .multipart(
            MultiPart::alternative()
                .boundary(format!("crier-alt-{hash}"))
                .singlepart(SinglePart::plain(text))
                .singlepart(SinglePart::html(html)),
        )
        .map_err(|e| ConfirmError(e.to_string()))?;
    // Signed like every other message: a domain with DMARC `p=reject` would otherwise lose
    // every confirmation, and nobody could join.
    if let Some(dkim) = dkim {
        message.sign(dkim);
    }
    let mut bytes = message.formatted();
    if !bytes.ends_with(b"\r\n") {
        bytes.extend_from_slice(b"\r\n");
    }
    Ok(bytes)
}
