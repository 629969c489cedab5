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
    "Feedback-ID",
];

/// The key formats crier reads, named in every key error so the organiser knows what to write.
pub const ACCEPTED_FORMATS: &str = "RSA as PKCS#1 PEM (BEGIN RSA PRIVATE KEY) or PKCS#8 PEM \
     (BEGIN PRIVATE KEY, what OpenSSL 3 writes), Ed25519 as PKCS#8 PEM (openssl genpkey \
     -algorithm ed25519) or a base64 32-byte seed";

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
    #[error("DKIM key in {path} is not a usable key: {why}; accepted: {ACCEPTED_FORMATS}")]
    Key {
        /// The key file.
        path: std::path::PathBuf,
        /// What is wrong with it, in words.
        why: String,
    },
    /// The key is of another algorithm than `newsletter.dkim.algorithm` says: signing with it
    /// anyway would not match the DNS record published for that algorithm.
    #[error("DKIM key in {path} is an {found} key but `newsletter.dkim.algorithm` is {configured}: set `algorithm: {found}` (and publish `k={found}` in DNS) or use an {configured} key")]
    Mismatch {
        /// The key file.
        path: std::path::PathBuf,
        /// The algorithm of the key found in the file.
        found: &'static str,
        /// The algorithm configured.
        configured: String,
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

/// Builds the signing configuration from key text in any of the [`ACCEPTED_FORMATS`].
pub fn config(settings: &DkimSettings, key: &str) -> Result<DkimConfig, DkimError> {
    let path = &settings.key_file;
    let key_error = |why: String| DkimError::Key {
        path: path.clone(),
        why,
    };
    let (algorithm, lettre_key) = normalise(key).map_err(key_error)?;
    if let Some(configured) = settings.algorithm.as_deref() {
        if configured != algorithm_name(algorithm) {
            return Err(DkimError::Mismatch {
                path: path.clone(),
                found: algorithm_name(algorithm),
                configured: configured.to_owned(),
            });
        }
    }
    let key = DkimSigningKey::new(&lettre_key, algorithm).map_err(|e| key_error(e.to_string()))?;
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

fn algorithm_name(algorithm: DkimSigningAlgorithm) -> &'static str {
    match algorithm {
        DkimSigningAlgorithm::Ed25519 => "ed25519",
        DkimSigningAlgorithm::Rsa => "rsa",
    }
}

/// Turns key text into the one form lettre reads for its algorithm: PKCS#1 PEM for RSA, a
/// base64 seed for Ed25519. lettre reads nothing else, and OpenSSL 3 writes PKCS#8 by default.
fn normalise(key: &str) -> Result<(DkimSigningAlgorithm, String), String> {
    use base64::Engine as _;
    use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
    use rsa::pkcs8::DecodePrivateKey;

    const RSA_OID: &str = "1.2.840.113549.1.1.1";
    const ED25519_OID: &str = "1.3.101.112";
    let b64 = base64::engine::general_purpose::STANDARD;
    if key.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
        return Ok((DkimSigningAlgorithm::Rsa, key.to_owned()));
    }
    if key.starts_with("-----BEGIN PRIVATE KEY-----") {
        let (_, document) = rsa::pkcs8::SecretDocument::from_pem(key)
            .map_err(|e| format!("PKCS#8 PEM that cannot be decoded ({e})"))?;
        let info = rsa::pkcs8::PrivateKeyInfo::try_from(document.as_bytes())
            .map_err(|e| format!("PKCS#8 PEM that cannot be decoded ({e})"))?;
        return match info.algorithm.oid.to_string().as_str() {
            RSA_OID => {
                let rsa = rsa::RsaPrivateKey::from_pkcs8_der(document.as_bytes())
                    .map_err(|e| format!("a PKCS#8 RSA key that cannot be read ({e})"))?;
                let pem = rsa
                    .to_pkcs1_pem(LineEnding::LF)
                    .map_err(|e| format!("an RSA key that cannot be converted ({e})"))?;
                Ok((DkimSigningAlgorithm::Rsa, pem.to_string()))
            }
            ED25519_OID => {
                let signing = ed25519_dalek::SigningKey::from_pkcs8_der(document.as_bytes())
                    .map_err(|e| format!("a PKCS#8 Ed25519 key that cannot be read ({e})"))?;
                Ok((
                    DkimSigningAlgorithm::Ed25519,
                    b64.encode(signing.to_bytes()),
                ))
            }
            other => Err(format!(
                "a PKCS#8 key of algorithm {other}, neither RSA nor Ed25519"
            )),
        };
    }
    if let Some(label) = key.strip_prefix("-----BEGIN ") {
        let label = label.split("-----").next().unwrap_or_default();
        return Err(match label {
            "ENCRYPTED PRIVATE KEY" => {
                "an encrypted key; decrypt it with `openssl pkey -in KEY -out KEY.pem`".to_owned()
            }
            _ => format!("a PEM block labelled {label:?}"),
        });
    }
    match b64.decode(key.as_bytes()) {
        Ok(seed) if seed.len() == 32 => Ok((DkimSigningAlgorithm::Ed25519, key.to_owned())),
        Ok(bytes) => Err(format!(
            "base64 of {} bytes, not a 32-byte Ed25519 seed",
            bytes.len()
        )),
        Err(_) => Err("neither PEM nor base64".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dkim");

    fn settings(key_file: &Path, algorithm: Option<&str>) -> DkimSettings {
        DkimSettings {
            domain: "example.com".into(),
            selector: "news".into(),
            key_file: key_file.to_path_buf(),
            algorithm: algorithm.map(str::to_owned),
        }
    }

    fn openssl(args: &[&str]) -> Option<Vec<u8>> {
        let out = Command::new("openssl").args(args).output().ok()?;
        out.status.success().then_some(out.stdout)
    }

    /// A PKCS#8 key in `dir` and its DNS `p=` value: fresh from `openssl genpkey` when OpenSSL
    /// is installed (the real tool's output is what organisers have), else the committed
    /// test-only key.
    fn pkcs8_key(dir: &Path, name: &str, genpkey: &[&str]) -> (PathBuf, String) {
        use base64::Engine as _;
        let path = dir.join(format!("{name}-pkcs8.pem"));
        let path_str = path.to_string_lossy().into_owned();
        let mut args = vec!["genpkey", "-out", &path_str];
        args.extend_from_slice(genpkey);
        let public = openssl(&args)
            .and_then(|_| openssl(&["pkey", "-in", &path_str, "-pubout", "-outform", "DER"]));
        match public {
            Some(der) => {
                // RFC 8463: an Ed25519 record holds the raw key, the last 32 bytes of the DER.
                let raw = if name == "ed25519" {
                    &der[der.len() - 32..]
                } else {
                    &der[..]
                };
                let b64 = base64::engine::general_purpose::STANDARD;
                (path, b64.encode(raw))
            }
            None => {
                let fixture = Path::new(FIXTURES);
                let public = std::fs::read_to_string(fixture.join(format!("{name}.pub"))).unwrap();
                (
                    fixture.join(format!("{name}-pkcs8.pem")),
                    public.trim().to_owned(),
                )
            }
        }
    }

    /// Signs a composed mail with the key and has dkimpy verify it, the public key served
    /// through its `dnsfunc`. `None` when dkimpy is missing (and allowed to be).
    fn dkimpy_accepts(config: &DkimConfig, k: &str, public: &str) -> Option<bool> {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let has_dkimpy = Command::new(&python)
            .args(["-c", "import dkim, nacl"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !has_dkimpy {
            assert!(
                std::env::var("CRIER_REQUIRE_PYTHON").map_or(true, |v| v != "1"),
                "CRIER_REQUIRE_PYTHON=1 but dkimpy is missing: python3 -m pip install dkimpy pynacl"
            );
            eprintln!("skipping dkimpy verification: python3 -m pip install dkimpy pynacl");
            return None;
        }
        let mut message = lettre::Message::builder()
            .from("Riverside Meetup <news@example.com>".parse().unwrap())
            .to("ada@example.org".parse().unwrap())
            .subject("December digest")
            .message_id(Some("<digest-1@example.com>".into()))
            .body("Hello from the meetup.\r\n".to_owned())
            .unwrap();
        message.sign(config);
        let dir = tempfile::tempdir().unwrap();
        let eml = dir.path().join("signed.eml");
        std::fs::write(&eml, message.formatted()).unwrap();
        let script = format!(
            "import sys, dkim\nmsg = open(sys.argv[1], 'rb').read()\n\
             dns = lambda name, timeout=5: b'v=DKIM1; k={k}; p={public}' if name == b'news._domainkey.example.com.' else None\n\
             sys.exit(0 if dkim.verify(msg, dnsfunc=dns) else 1)\n"
        );
        let out = Command::new(python)
            .arg("-c")
            .arg(script)
            .arg(&eml)
            .output()
            .unwrap();
        Some(out.status.success())
    }

    #[test]
    fn pkcs8_rsa_and_ed25519_keys_sign_mail_that_dkimpy_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let rsa = pkcs8_key(
            dir.path(),
            "rsa",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        );
        let ed = pkcs8_key(dir.path(), "ed25519", &["-algorithm", "ed25519"]);
        for ((key_file, public), k, configured) in [
            (&rsa, "rsa", None),
            (&rsa, "rsa", Some("rsa")),
            (&ed, "ed25519", None),
            (&ed, "ed25519", Some("ed25519")),
        ] {
            let text = std::fs::read_to_string(key_file).unwrap();
            assert!(text.starts_with("-----BEGIN PRIVATE KEY-----"), "{text}");
            let config = load(&settings(key_file, configured)).unwrap();
            if let Some(ok) = dkimpy_accepts(&config, k, public) {
                assert!(
                    ok,
                    "dkimpy rejected the {k} signature of {}",
                    key_file.display()
                );
            }
        }
    }

    #[test]
    fn pkcs1_rsa_keys_still_load_and_match_their_pkcs8_form() {
        let dir = tempfile::tempdir().unwrap();
        let (pkcs8, public) = pkcs8_key(dir.path(), "rsa", &["-algorithm", "RSA"]);
        let text = std::fs::read_to_string(&pkcs8).unwrap();
        let (algorithm, pkcs1) = normalise(text.trim()).unwrap();
        assert!(matches!(algorithm, DkimSigningAlgorithm::Rsa));
        assert!(
            pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"),
            "{pkcs1}"
        );
        let key_file = dir.path().join("rsa-pkcs1.pem");
        std::fs::write(&key_file, &pkcs1).unwrap();
        let config = load(&settings(&key_file, None)).unwrap();
        if let Some(ok) = dkimpy_accepts(&config, "rsa", &public) {
            assert!(ok, "dkimpy rejected the PKCS#1 signature");
        }
    }

    #[test]
    fn a_bare_seed_is_ed25519_as_lettre_reads_it() {
        let seed = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
        let (algorithm, key) = normalise(seed).unwrap();
        assert!(matches!(algorithm, DkimSigningAlgorithm::Ed25519));
        assert_eq!(key, seed);
    }

    #[test]
    fn wrong_keys_name_the_file_and_the_accepted_formats() {
        let ed = Path::new(FIXTURES).join("ed25519-pkcs8.pem");
        let text = std::fs::read_to_string(&ed).unwrap();
        let why = config(&settings(&ed, Some("rsa")), text.trim())
            .err()
            .unwrap()
            .to_string();
        assert!(
            why.contains("ed25519-pkcs8.pem") && why.contains("algorithm: ed25519"),
            "{why}"
        );
        let bad = Path::new("/keys/dkim.pem");
        for (key, expected) in [
            ("not a key at all!", "neither PEM nor base64"),
            ("AAAA", "base64 of 3 bytes"),
            (
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----",
                "openssl pkey",
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
                "OPENSSH",
            ),
            (
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
                "PKCS#8",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
                "rsa decode error",
            ),
        ] {
            let why = config(&settings(bad, None), key).err().unwrap().to_string();
            assert!(why.contains("/keys/dkim.pem"), "{why}");
            assert!(why.contains(expected), "{expected} missing in {why}");
            assert!(
                why.contains("BEGIN RSA PRIVATE KEY") && why.contains("32-byte seed"),
                "{why}"
            );
        }
    }
}
