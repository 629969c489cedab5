//! Unsubscribe tokens: an HMAC-SHA256 over (list, address) with a secret key, so a token can be
//! checked without a database and cannot be forged or guessed for someone else's address.
//!
//! The key comes from `CRIER_TOKEN_KEY` (at least 32 characters) or from a key file outside the
//! repository, generated with mode 0600 on first use. It is never logged.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Environment variable holding the key material.
pub const KEY_ENV: &str = "CRIER_TOKEN_KEY";
/// Bytes of MAC kept in a token: 128 bits is far beyond guessing, and keeps URLs short.
const MAC_BYTES: usize = 16;

/// The secret that signs tokens. `Debug` does not show it.
#[derive(Clone)]
pub struct TokenKey {
    key: Vec<u8>,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(<secret>)")
    }
}

/// Why no key could be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The environment variable is too short to be a real secret.
    #[error("{KEY_ENV} is set but shorter than 32 characters: use a long random value, e.g. `openssl rand -base64 32`")]
    EnvTooShort,
    /// The key file exists but is unusable.
    #[error("token key file {path}: {why}")]
    File {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// No file and no home folder to put one in.
    #[error("no token key: set {KEY_ENV} or `newsletter.token_key_file`")]
    NoLocation,
}

/// Where the key came from (for the summary; never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `CRIER_TOKEN_KEY`.
    Env,
    /// A key file.
    File(PathBuf),
    /// A throw-away key for a preview, because no key exists yet.
    Ephemeral,
}

impl TokenKey {
    /// A key from raw bytes (tests, and the two loaders below).
    pub fn from_bytes(key: &[u8]) -> Self {
        TokenKey { key: key.to_vec() }
    }

    /// Loads the key: the environment first, then the key file. With `create`, a missing key
    /// file is generated (mode 0600); without it (a dry run changes nothing), a temporary key
    /// is used instead.
    pub fn load(
        env: Option<String>,
        file: Option<&Path>,
        create: bool,
    ) -> Result<(Self, KeySource), KeyError> {
        if let Some(value) = env {
            if value.len() < 32 {
                return Err(KeyError::EnvTooShort);
            }
            return Ok((Self::from_bytes(value.as_bytes()), KeySource::Env));
        }
        let path = file
            .map(Path::to_path_buf)
            .or_else(default_key_file)
            .ok_or(KeyError::NoLocation)?;
        let file_error = |why: String| KeyError::File {
            path: path.clone(),
            why,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let key = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| {
                    file_error(
                        "expected the base64 key crier wrote; delete the file to get a new key"
                            .into(),
                    )
                })?;
                if key.len() < 32 {
                    return Err(file_error("key is shorter than 32 bytes".into()));
                }
                Ok((Self::from_bytes(&key), KeySource::File(path)))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let key = random_bytes()
                    .map_err(|e| file_error(format!("cannot read random bytes: {e}")))?;
                if create {
                    write_key_file(&path, &key)
                        .map_err(|e| file_error(format!("cannot create it: {e}")))?;
                    Ok((Self::from_bytes(&key), KeySource::File(path)))
                } else {
                    Ok((Self::from_bytes(&key), KeySource::Ephemeral))
                }
            }
            Err(err) => Err(file_error(err.to_string())),
        }
    }

    /// The token for `address` on `list`.
    pub fn token(&self, list: &str, address: &str) -> String {
        let payload = format!("{list}\n{}", address.to_lowercase());
        let mac = self.mac(payload.as_bytes());
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload.as_bytes()),
            URL_SAFE_NO_PAD.encode(&mac[..MAC_BYTES])
        )
    }

    /// Checks a token in constant time and returns its (list, address).
    pub fn verify(&self, token: &str) -> Option<(String, String)> {
        let (payload, mac) = token.trim().split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
        if mac.len() != MAC_BYTES {
            return None;
        }
        let mut check = Hmac::<Sha256>::new_from_slice(&self.key).ok()?;
        check.update(&payload);
        check.verify_truncated_left(&mac).ok()?;
        let text = String::from_utf8(payload).ok()?;
        let (list, address) = text.split_once('\n')?;
        Some((list.to_owned(), address.to_owned()))
    }

    fn mac(&self, data: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(mac) => mac,
            Err(_) => return Vec::new(),
        };
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }
}

/// `$XDG_CONFIG_HOME/crier/token.key`, else `~/.config/crier/token.key`.
pub fn default_key_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("crier").join("token.key"))
}

fn random_bytes() -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut key = vec![0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut key)?;
    Ok(key)
}

fn write_key_file(path: &Path, key: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    writeln!(file, "{}", URL_SAFE_NO_PAD.encode(key))?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TokenKey {
        TokenKey::from_bytes(b"0123456789abcdef0123456789abcdef")
    }

    #[test]
    fn tokens_verify_and_carry_list_and_address() {
        let t = key().token("members", "Ada@Example.com");
        assert_eq!(
            key().verify(&t),
            Some(("members".into(), "ada@example.com".into()))
        );
    }

    #[test]
    fn forged_truncated_and_foreign_tokens_fail() {
        let t = key().token("members", "ada@example.com");
        let (payload, mac) = t.split_once('.').unwrap();
        let other = URL_SAFE_NO_PAD.encode("members\nbob@example.com");
        assert_eq!(
            key().verify(&format!("{other}.{mac}")),
            None,
            "mac from another address"
        );
        assert_eq!(key().verify(&t[..t.len() - 2]), None, "truncated");
        assert_eq!(key().verify(payload), None, "no mac");
        assert_eq!(key().verify(""), None);
        assert_eq!(key().verify("..."), None);
        assert_eq!(
            TokenKey::from_bytes(b"another key, also 32 bytes long!").verify(&t),
            None
        );
    }

    #[test]
    fn key_file_is_created_once_with_private_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/token.key");
        let (_, source) = TokenKey::load(None, Some(&path), false).unwrap();
        assert_eq!(source, KeySource::Ephemeral);
        assert!(!path.exists(), "a dry run creates nothing");
        let (a, _) = TokenKey::load(None, Some(&path), true).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let (b, source) = TokenKey::load(None, Some(&path), true).unwrap();
        assert_eq!(source, KeySource::File(path.clone()));
        assert_eq!(
            b.verify(&a.token("l", "x@example.com")).unwrap().1,
            "x@example.com"
        );
        assert!(format!("{a:?}").contains("secret"));
        assert!(matches!(
            TokenKey::load(Some("short".into()), None, false),
            Err(KeyError::EnvTooShort)
        ));
    }
}
