//! SNS signing certificates: which URLs may be trusted, and a source that fetches them once and
//! keeps them on disk.
//!
//! The URL is the trust anchor: a certificate fetched over verified TLS from Amazon SNS's own
//! host is Amazon's. So the host must be exactly `sns.<region>.amazonaws.com`, the scheme https
//! with its default port, and nothing may redirect the fetch elsewhere.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;
use sha2::{Digest, Sha256};
use url::Url;
use x509_cert::der::{DecodePem, Encode};
use x509_cert::Certificate;

use super::limits::MAX_CERT_BYTES;

/// Where SNS signing certificates come from.
pub trait CertSource {
    /// The PEM certificate at `url`. [`super::verify`] only asks for URLs that pass
    /// [`check_cert_url`].
    fn pem(&self, url: &str) -> Result<Vec<u8>, CertError>;
}

/// Why a certificate or SNS URL cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// Not an Amazon SNS URL of the right shape.
    #[error("{url:?} is not an Amazon SNS URL: {why}")]
    Untrusted {
        /// The URL, as given.
        url: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// Fetching failed (network, TLS, an HTTP error status, too large).
    #[error("fetching the SNS signing certificate {url} failed: {message}")]
    Fetch {
        /// The URL.
        url: String,
        /// What the client said.
        message: String,
    },
    /// The cache folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Cache {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// Not a PEM X.509 certificate holding an RSA key.
    #[error("the SNS signing certificate from {url} is unusable: {message}")]
    Invalid {
        /// Where it came from.
        url: String,
        /// What is wrong with it.
        message: String,
    },
}

impl CertError {
    /// Whether trying again later may succeed (a fetch or the disk failed).
    pub fn is_temporary(&self) -> bool {
        matches!(self, CertError::Fetch { .. } | CertError::Cache { .. })
    }
}

/// Checks an SNS `SigningCertURL`: https on `sns.<region>.amazonaws.com` (default port, no
/// user, query or fragment) and a path ending in `.pem`.
pub fn check_cert_url(url: &str) -> Result<Url, CertError> {
    let parsed = sns_url(url)?;
    let untrusted = |why| CertError::Untrusted {
        url: url.to_owned(),
        why,
    };
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(untrusted("a certificate URL has no query or fragment"));
    }
    if !parsed.path().ends_with(".pem") || parsed.path().len() < 6 {
        return Err(untrusted("the path does not end in .pem"));
    }
    Ok(parsed)
}

/// Checks an SNS `SubscribeURL`: https on `sns.<region>.amazonaws.com` (default port, no user).
pub fn check_subscribe_url(url: &str) -> Result<Url, CertError> {
    sns_url(url)
}

fn sns_url(url: &str) -> Result<Url, CertError> {
    let untrusted = |why| CertError::Untrusted {
        url: url.to_owned(),
        why,
    };
    let parsed = Url::parse(url).map_err(|_| untrusted("not a URL"))?;
    if parsed.scheme() != "https" {
        return Err(untrusted("not https"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(untrusted("it carries credentials"));
    }
    if parsed.port().is_some() {
        return Err(untrusted("it names a port"));
    }
    let Some(url::Host::Domain(host)) = parsed.host() else {
        return Err(untrusted("the host is not a domain name"));
    };
    let labels: Vec<&str> = host.split('.').collect();
    let region_like = |r: &str| {
        (2..=32).contains(&r.len())
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && r.contains('-')
            && !r.starts_with('-')
            && !r.ends_with('-')
    };
    match labels.as_slice() {
        ["sns", region, "amazonaws", "com"] if region_like(region) => Ok(parsed),
        _ => Err(untrusted("the host is not sns.<region>.amazonaws.com")),
    }
}

/// The RSA public key of a PEM certificate.
pub(crate) fn rsa_key(pem: &[u8]) -> Result<RsaPublicKey, String> {
    let text = std::str::from_utf8(pem).map_err(|_| "not PEM text".to_owned())?;
    let cert = Certificate::from_pem(text.trim()).map_err(|e| format!("not a certificate: {e}"))?;
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| format!("unreadable key: {e}"))?;
    RsaPublicKey::from_public_key_der(&spki).map_err(|e| format!("not an RSA key: {e}"))
}

/// A [`CertSource`] that keeps certificates in a folder (file name: the SHA-256 of the URL,
/// in hex, with `.pem`) and fetches one over HTTPS only when it is not there. Refuses URLs
/// that fail [`check_cert_url`] before touching the disk or the network.
#[derive(Debug)]
pub struct CachedCerts {
    dir: PathBuf,
    agent: ureq::Agent,
}

impl CachedCerts {
    /// Certificates kept in `dir` (created when the first one is fetched).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let config = ureq::Agent::config_builder()
            .https_only(true)
            // A redirect could lead off the checked host.
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(10)))
            .build();
        CachedCerts {
            dir: dir.into(),
            agent: config.into(),
        }
    }

    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the certificate for `url` is kept.
    pub fn cache_path(&self, url: &str) -> PathBuf {
        let digest = Sha256::digest(url.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{hex}.pem"))
    }

    fn fetch(&self, url: &str) -> Result<Vec<u8>, CertError> {
        let failed = |e: ureq::Error| CertError::Fetch {
            url: url.to_owned(),
            message: e.to_string(),
        };
        let mut response = self.agent.get(url).call().map_err(failed)?;
        response
            .body_mut()
            .with_config()
            .limit(MAX_CERT_BYTES)
            .read_to_vec()
            .map_err(failed)
    }

    /// Writes `pem` to `path` through a temporary file, so a reader never sees half of it.
    fn store(&self, path: &Path, pem: &[u8]) -> Result<(), CertError> {
        let cache = |path: &Path| {
            let path = path.to_owned();
            move |source| CertError::Cache { path, source }
        };
        std::fs::create_dir_all(&self.dir).map_err(cache(&self.dir))?;
        let temp = path.with_extension(format!("pem.{}.tmp", std::process::id()));
        let mut file = std::fs::File::create(&temp).map_err(cache(&temp))?;
        file.write_all(pem)
            .and_then(|()| file.sync_all())
            .map_err(cache(&temp))?;
        std::fs::rename(&temp, path).map_err(cache(path))
    }
}

impl CertSource for CachedCerts {
    fn pem(&self, url: &str) -> Result<Vec<u8>, CertError> {
        check_cert_url(url)?;
        let path = self.cache_path(url);
        match std::fs::read(&path) {
            Ok(pem) => return Ok(pem),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(CertError::Cache { path, source }),
        }
        let pem = self.fetch(url)?;
        rsa_key(&pem).map_err(|message| CertError::Invalid {
            url: url.to_owned(),
            message,
        })?;
        self.store(&path, &pem)?;
        Ok(pem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounce::webhook::test_support::{CERT_PEM, CERT_URL};

    #[test]
    fn only_https_urls_on_an_sns_regional_host_ending_in_pem_pass() {
        for good in [
            CERT_URL,
            "https://sns.eu-west-3.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://SNS.US-GOV-WEST-1.AMAZONAWS.COM/x.pem",
        ] {
            assert!(check_cert_url(good).is_ok(), "{good}");
        }
        for bad in [
            "http://sns.us-east-1.amazonaws.com/cert.pem",
            "https://sns.evil.com/cert.pem",
            "https://sns.us-east-1.amazonaws.com.evil.com/cert.pem",
            "https://evil.com/sns.us-east-1.amazonaws.com/cert.pem",
            "https://sns.us-east-1.amazonaws.com/cert.txt",
            "https://sns.us-east-1.amazonaws.com/cert.pem?x=.pem",
            "https://sns.us-east-1.amazonaws.com/cert.pem#.pem",
            "https://sns.us-east-1.amazonaws.com:8443/cert.pem",
            "https://user@sns.us-east-1.amazonaws.com/cert.pem",
            "https://sns.us-east-1.amazonaws.com./cert.pem",
            "https://sqs.us-east-1.amazonaws.com/cert.pem",
            "https://sns.amazonaws.com/cert.pem",
            "https://sns.evil.amazonaws.com/cert.pem",
            "https://x.sns.us-east-1.amazonaws.com/cert.pem",
            "https://54.239.28.85/cert.pem",
            "https://sns.us-east-1.amazonaws.com/.pem",
            "sns.us-east-1.amazonaws.com/cert.pem",
            "",
        ] {
            assert!(check_cert_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_cached_certificate_is_read_from_its_file_and_bad_urls_never_reach_disk_or_network() {
        let dir = tempfile::tempdir().unwrap();
        let certs = CachedCerts::new(dir.path());
        let path = certs.cache_path(CERT_URL);
        assert_eq!(
            path.file_name().unwrap().len(),
            64 + 4,
            "sha256 hex and .pem"
        );
        std::fs::write(&path, CERT_PEM).unwrap();
        assert_eq!(certs.pem(CERT_URL).unwrap(), CERT_PEM.as_bytes());
        assert!(rsa_key(CERT_PEM.as_bytes()).is_ok());

        let bad = "https://sns.us-east-1.amazonaws.com.evil.com/cert.pem";
        std::fs::write(certs.cache_path(bad), CERT_PEM).unwrap();
        assert!(matches!(certs.pem(bad), Err(CertError::Untrusted { .. })));
    }

    #[test]
    fn subscribe_urls_keep_their_query_but_not_a_foreign_host() {
        let url = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:123456789012:bounces&Token=abc";
        assert!(check_subscribe_url(url).is_ok());
        assert!(check_subscribe_url(
            "https://sns.us-east-1.amazonaws.com@evil.com/?Action=ConfirmSubscription"
        )
        .is_err());
        assert!(check_subscribe_url(
            "http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
        )
        .is_err());
    }
}
