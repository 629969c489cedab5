//! DKIM signing with lettre, covering the headers that matter for a newsletter: lettre's
//! default list leaves out List-Unsubscribe and List-Unsubscribe-Post, which mailbox providers
//! want signed before they show a one-click unsubscribe button.

use lettre::message::header::HeaderName;
use lettre::message::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};

use crate::config::DkimSettings;

/// Headers signed, in the order they are listed in `h=`. MIME-Version and Content-Type are left
/// out: lettre signs before it writes them, and signing them produced signatures that
/// verifiers (dkimpy) reject.
pub const SIGNED_HEADERS: &[&str] = &[
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

/// Why DKIM signing cannot be set up. Neither message contains the key.
#[derive(Debug, thiserror::Error)]
pub enum DkimError {
    /// The key file cannot be read.
    #[error("cannot read the DKIM key file {path}: {source}")]
    Read {
        /// The key file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key cannot be used.
    #[error("DKIM key in {path} is not a valid {algorithm} key: {why}")]
    Key {
        /// The key file.
        path: std::path::PathBuf,
        /// `rsa` or `ed25519`.
        algorithm: String,
        /// The parser's complaint.
        why: String,
    },
}

/// Reads the key file and builds the signing configuration. The key is never logged.
pub fn load(settings: &DkimSettings) -> Result<DkimConfig, DkimError> {
    let key = std::fs::read_to_string(&settings.key_file).map_err(|source| DkimError::Read {
        path: settings.key_file.clone(),
        source,
    })?;
    config(settings, key.trim())
}

/// Builds the signing configuration from key text.
pub fn config(settings: &DkimSettings, key: &str) -> Result<DkimConfig, DkimError> {
    let algorithm = match settings.algorithm.as_str() {
        "ed25519" => DkimSigningAlgorithm::Ed25519,
        _ => DkimSigningAlgorithm::Rsa,
    };
    let key = DkimSigningKey::new(key, algorithm).map_err(|e| DkimError::Key {
        path: settings.key_file.clone(),
        algorithm: settings.algorithm.clone(),
        why: e.to_string(),
    })?;
    Ok(DkimConfig::new(
        settings.selector.clone(),
        settings.domain.clone(),
        key,
        SIGNED_HEADERS
            .iter()
            .map(|h| HeaderName::new_from_ascii_str(h))
            .collect(),
        DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        },
    ))
}
