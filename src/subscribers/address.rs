//! One type for an e-mail address, with one normalisation: every place that compares or
//! stores an address (lists, the store, suppressions, tokens, `--to`) goes through
//! [`Address::key`], so `Émile@Example.org` and `émile@example.org` are one person
//! everywhere. (SQLite's `lower()` and Rust's `eq_ignore_ascii_case` fold ASCII only, which is
//! why neither is used for addresses.)

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An e-mail address as the person wrote it (trimmed), with its comparison key.
///
/// Equality, ordering and hashing use the key, so two spellings of one address are equal.
#[derive(Clone)]
pub struct Address {
    written: String,
    key: String,
}

/// Why a text is not an address crier can mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Nothing was given.
    #[error("the address is empty")]
    Empty,
    /// Spaces, control characters or the separators of a header.
    #[error("addresses cannot contain spaces, control characters or <>,;")]
    Characters,
    /// Longer than RFC 5321 allows.
    #[error("longer than the 254 characters an address may have")]
    TooLong,
    /// No `@`.
    #[error("expected local-part@domain")]
    NoAt,
    /// An address literal such as `a@[127.0.0.1]`: no real subscriber uses one, and mail to
    /// it goes wherever the literal points.
    #[error("an IP address in brackets is not accepted; use the address's domain name")]
    Literal,
    /// A single-label domain such as `a@localhost`.
    #[error("the domain needs a dot, as in example.com")]
    Domain,
    /// Anything else the mail builder refuses.
    #[error("not a valid address")]
    Invalid,
}

impl Address {
    /// Checks `text` the way the mail builder needs it (`local@domain`, no display name, no
    /// spaces or control characters, a domain name with a dot) and keeps it as written, less
    /// surrounding white space.
    pub fn parse(text: &str) -> Result<Self, AddressError> {
        let written = text.trim();
        validate(written)?;
        Ok(Self::unchecked(written))
    }

    /// An address read back from crier's own records, which were checked when they were
    /// written: normalised, not checked again (a stored row must never become unreadable
    /// because the rules got stricter).
    pub fn unchecked(text: &str) -> Self {
        let written = text.trim().to_owned();
        Address {
            key: key_of(&written),
            written,
        }
    }

    /// The address as written.
    pub fn as_str(&self) -> &str {
        &self.written
    }

    /// The comparison key: trimmed and lower-cased by Unicode's rules.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// A 128-bit digest of the key: duplicate detection needs only equality, and 16 bytes per
    /// address keeps a 100,000-row list's bookkeeping to a couple of megabytes.
    pub fn digest(&self) -> u128 {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(self.key.as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        u128::from_le_bytes(bytes)
    }

    /// Whether `other` (any spelling) is this address.
    pub fn is(&self, other: &str) -> bool {
        key_of(other) == self.key
    }

    /// The address as written, owned.
    pub fn into_string(self) -> String {
        self.written
    }
}

/// The one normalisation.
pub fn key_of(text: &str) -> String {
    text.trim().to_lowercase()
}

fn validate(email: &str) -> Result<(), AddressError> {
    if email.is_empty() {
        return Err(AddressError::Empty);
    }
    if email
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';'))
    {
        return Err(AddressError::Characters);
    }
    // RFC 5321's limit on a path: longer addresses cannot be delivered.
    if email.len() > 254 {
        return Err(AddressError::TooLong);
    }
    let (_, domain) = email.rsplit_once('@').ok_or(AddressError::NoAt)?;
    if domain.starts_with('[') {
        return Err(AddressError::Literal);
    }
    if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return Err(AddressError::Domain);
    }
    email
        .parse::<lettre::Address>()
        .map(|_| ())
        .map_err(|_| AddressError::Invalid)
}

impl PartialEq for Address {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Address {}

impl Hash for Address {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl PartialOrd for Address {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Address {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.written, f)
    }
}

impl AsRef<str> for Address {
    fn as_ref(&self) -> &str {
        &self.written
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.written)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|s| Address::unchecked(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_for_every_spelling() {
        let a = Address::parse("  Émile@Example.ORG ").unwrap();
        assert_eq!(a.as_str(), "Émile@Example.ORG");
        assert_eq!(a.key(), "émile@example.org");
        assert_eq!(a, Address::parse("émile@example.org").unwrap());
        assert!(a.is("ÉMILE@example.org"));
        assert_eq!(a.digest(), Address::unchecked("émile@EXAMPLE.org").digest());
    }

    #[test]
    fn what_cannot_be_mailed_is_refused_with_a_reason() {
        for (text, why) in [
            ("", AddressError::Empty),
            ("a b@example.org", AddressError::Characters),
            ("Ann <a@example.org>", AddressError::Characters),
            ("a.example.org", AddressError::NoAt),
            ("a@[127.0.0.1]", AddressError::Literal),
            ("a@localhost", AddressError::Domain),
            ("a@.example.org", AddressError::Domain),
        ] {
            assert_eq!(Address::parse(text).unwrap_err(), why, "{text}");
        }
        assert_eq!(
            Address::parse(&format!("{}@example.org", "a".repeat(250))).unwrap_err(),
            AddressError::TooLong
        );
    }

    #[test]
    fn serialised_as_written() {
        let a = Address::parse("Ann@Example.org").unwrap();
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"Ann@Example.org\"");
        let back: Address = serde_json::from_str("\"Ann@Example.org\"").unwrap();
        assert_eq!(back.as_str(), "Ann@Example.org");
    }
}
