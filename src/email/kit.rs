//! What composing needs besides the plan: the compiled templates, the token key and the DKIM
//! signer, loaded once per send (or once per scheduled send in the daemon).

use super::dkim::{self, DkimError};
use super::tokens::{KeyError, KeySource, KEY_ENV};
use super::{Composer, Diagnostic, Outgoing, Templates, TokenKey};
use crate::config::{Limits, NewsletterSettings};
use chrono::{DateTime, FixedOffset};

/// Why the kit cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KitError {
    /// Templates failed to load.
    #[error("templates have errors:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Templates(Vec<Diagnostic>),
    /// The token key is unusable.
    #[error("cannot load the token key: {0}")]
    Key(#[from] KeyError),
    /// DKIM signing cannot be set up.
    #[error(transparent)]
    Dkim(#[from] DkimError),
}

/// Templates, key and signer.
pub struct Kit {
    /// Compiled templates.
    pub templates: Templates,
    /// Signs unsubscribe links.
    pub key: TokenKey,
    /// Where the key came from.
    pub key_source: KeySource,
    /// DKIM signing, if configured.
    pub dkim: Option<lettre::message::DkimConfig>,
}

impl Kit {
    /// Loads everything. With `create_key`, a missing key file is created; without it (a dry
    /// run changes nothing) an existing key is used and a temporary one stands in otherwise.
    pub fn load(
        settings: &NewsletterSettings,
        limits: &Limits,
        create_key: bool,
    ) -> Result<Self, KitError> {
        let templates = Templates::load_with(&settings.templates_dir, &settings.subject, limits)
            .map_err(KitError::Templates)?;
        Self::with_templates(templates, settings, create_key)
    }

    /// The kit for transactional mail (confirmations): a broken site template is replaced by
    /// crier's own (logged), since a typo must not stop people from joining.
    pub fn load_lenient(settings: &NewsletterSettings, limits: &Limits) -> Result<Self, KitError> {
        let (templates, problems) =
            Templates::load_lenient(&settings.templates_dir, &settings.subject, limits)
                .map_err(KitError::Templates)?;
        for problem in problems {
            tracing::warn!("{problem} (crier's own template is used instead)");
        }
        Self::with_templates(templates, settings, true)
    }

    /// The kit around loaded `templates`: the token key and the DKIM signer.
    fn with_templates(
        templates: Templates,
        settings: &NewsletterSettings,
        create_key: bool,
    ) -> Result<Self, KitError> {
        let env_key = std::env::var(KEY_ENV).ok();
        let (key, key_source) =
            TokenKey::load(env_key, settings.token_key_file.as_deref(), create_key)?;
        let dkim = settings.dkim.as_ref().map(dkim::load).transpose()?;
        Ok(Kit {
            templates,
            key,
            key_source,
            dkim,
        })
    }

    /// A composer for `outgoing`, dated `at`.
    pub fn composer<'a>(
        &'a self,
        settings: &'a NewsletterSettings,
        outgoing: Outgoing,
        at: DateTime<FixedOffset>,
    ) -> Composer<'a> {
        Composer::new(settings, &self.templates, &self.key, outgoing, at)
            .with_dkim(self.dkim.as_ref())
    }
}
