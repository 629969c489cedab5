//! Signed tokens for the links in messages and pages: unsubscribe, preferences, confirm, and
//! the subscribe form's timestamp. A token is its fields encrypted and authenticated with
//! AES-SIV under a key derived from the secret *per purpose*: it can be checked without a
//! database, cannot be forged, does not show the address to proxies or referrers, and a token
//! made for one purpose is useless for another.
//!
//! The key comes from `CRIER_TOKEN_KEY` (at least 32 characters) or from a key file outside the
//! repository, generated with mode 0600 on first use. It is never logged.

use std::path::{Path, PathBuf};

use aes_siv::siv::Aes128Siv;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};

use sha2::Sha256;

use crate::subscribers::Address;

/// Environment variable holding the key material.
pub const KEY_ENV: &str = "CRIER_TOKEN_KEY";
/// Bytes of MAC kept in a token: 128 bits is far beyond guessing, and keeps URLs short.
const MAC_BYTES: usize = 16;

/// The secret that signs tokens. `Debug` does not show it.
#[derive(Clone)]
pub struct TokenKey {
    key: Vec<u8>,
    /// Each purpose's AES-SIV key, derived once (every message needs two tokens).
    derived: [Vec<u8>; 5],
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
        let mut token_key = TokenKey {
            key: key.to_vec(),
            derived: Default::default(),
        };
        token_key.derived = Purpose::ALL
            .map(|p| token_key.mac(format!("crier token key: {}", p.label()).as_bytes()));
        token_key
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

    /// A short keyed hash of an address, for logs: the same person always gets the same
    /// pseudonym (so one person's sign-up, confirmation and unsubscribe can be followed),
    /// but nobody without the key can turn it back into the address.
    pub fn pseudonym(&self, address: &Address) -> String {
        let mac = self.mac(format!("crier log pseudonym\n{}", address.key()).as_bytes());
        let hex: String = mac.iter().take(5).map(|b| format!("{b:02x}")).collect();
        format!("person-{hex}")
    }

    /// The token of a message's envelope sender (`bounces+<token>@<bounce domain>`), naming
    /// its send and its recipient's place in it: 6 bytes of the send id's hash, the 4-byte
    /// sequence number, and a 6-byte MAC, in 26 lower-case base-32 characters (receivers may
    /// change the case of a local part, and it must stay under 64 characters).
    pub fn bounce_token(&self, send_id: &str, seq: i64) -> String {
        let mut payload = send_hash(send_id).to_vec();
        payload.extend_from_slice(&(seq as u32).to_be_bytes());
        let mac = self.bounce_mac(&payload);
        payload.extend_from_slice(&mac);
        base32(&payload)
    }

    /// Checks a bounce token: the send's hash (compare with [`send_hash`]) and the
    /// recipient's sequence number, or `None` if it is not one of ours.
    pub fn verify_bounce(&self, token: &str) -> Option<([u8; 6], i64)> {
        let bytes = unbase32(token)?;
        if bytes.len() != 16 {
            return None;
        }
        let (payload, mac) = bytes.split_at(10);
        let mut check =
            Hmac::<Sha256>::new_from_slice(&self.derived[Purpose::Bounce as usize]).ok()?;
        check.update(payload);
        check.verify_truncated_left(mac).ok()?;
        let hash: [u8; 6] = payload[..6].try_into().ok()?;
        let seq = u32::from_be_bytes(payload[6..10].try_into().ok()?);
        Some((hash, i64::from(seq)))
    }

    fn bounce_mac(&self, payload: &[u8]) -> [u8; 6] {
        let mut out = [0u8; 6];
        if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.derived[Purpose::Bounce as usize])
        {
            mac.update(payload);
            out.copy_from_slice(&mac.finalize().into_bytes()[..6]);
        }
        out
    }

    /// The unsubscribe token for `address` on `list`.
    pub fn token(&self, list: &str, address: &Address) -> String {
        self.seal(Purpose::Unsubscribe, 0, &[list, address.key()])
    }

    /// Checks an unsubscribe token and returns its (list, address). Tokens of release 1 (a
    /// readable payload and a MAC, joined by `.`) are still accepted here, and only here: they
    /// are in messages people have already received.
    pub fn verify(&self, token: &str) -> Option<(String, String)> {
        let token = token.trim();
        if token.contains('.') {
            return self.verify_legacy(token);
        }
        let (_, mut fields) = self.open(Purpose::Unsubscribe, token, 2)?;
        let address = fields.pop()?;
        let list = fields.pop()?;
        Some((list, address))
    }

    /// The token of `address`'s preferences page.
    pub fn preferences_token(&self, address: &Address) -> String {
        self.seal(Purpose::Preferences, 0, &[address.key()])
    }

    /// The address a preferences token names.
    pub fn verify_preferences(&self, token: &str) -> Option<String> {
        let (_, mut fields) = self.open(Purpose::Preferences, token.trim(), 1)?;
        fields.pop()
    }

    /// The token of a confirmation link: `address` asked at `issued` (Unix seconds) to join
    /// `lists`.
    pub fn confirm_token(&self, address: &Address, lists: &[String], issued: i64) -> String {
        let lists = lists.join(",");
        self.seal(Purpose::Confirm, issued, &[address.key(), &lists])
    }

    /// Checks a confirmation token issued at most `max_age_secs` before `now` (Unix seconds);
    /// returns the address, the lists and when it was issued.
    pub fn verify_confirm(
        &self,
        token: &str,
        now: i64,
        max_age_secs: i64,
    ) -> Option<(String, Vec<String>, i64)> {
        let (issued, mut fields) = self.open(Purpose::Confirm, token.trim(), 2)?;
        if now < issued.saturating_sub(300) || now.saturating_sub(issued) > max_age_secs {
            return None;
        }
        let lists = fields.pop()?;
        let address = fields.pop()?;
        let lists = lists
            .split(',')
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        Some((address, lists, issued))
    }

    /// The hidden field of crier's own subscribe form: when the page was served.
    pub fn form_token(&self, issued: i64) -> String {
        self.seal(Purpose::Form, issued, &[])
    }

    /// When a form token was issued (Unix seconds).
    pub fn verify_form(&self, token: &str) -> Option<i64> {
        self.open(Purpose::Form, token.trim(), 0).map(|(at, _)| at)
    }

    /// Encrypts and authenticates `issued` and `fields` with the purpose's own key.
    /// Deterministic (AES-SIV), so a preview's links are the sent links, byte for byte.
    fn seal(&self, purpose: Purpose, issued: i64, fields: &[&str]) -> String {
        let mut plain = issued.to_be_bytes().to_vec();
        plain.extend_from_slice(fields.join("\n").as_bytes());
        let mut cipher = self.cipher(purpose);
        match cipher.encrypt([purpose.label().as_bytes()], &plain) {
            Ok(sealed) => URL_SAFE_NO_PAD.encode(sealed),
            // Only fails for more than 126 headers; there is one.
            Err(_) => String::new(),
        }
    }

    /// Decrypts a token of `purpose` with exactly `count` fields.
    fn open(&self, purpose: Purpose, token: &str, count: usize) -> Option<(i64, Vec<String>)> {
        if token.len() > MAX_TOKEN_CHARS {
            return None;
        }
        let sealed = URL_SAFE_NO_PAD.decode(token).ok()?;
        let plain = self
            .cipher(purpose)
            .decrypt([purpose.label().as_bytes()], &sealed)
            .ok()?;
        let (issued, rest) = plain.split_at_checked(8)?;
        let issued = i64::from_be_bytes(issued.try_into().ok()?);
        let text = String::from_utf8(rest.to_vec()).ok()?;
        let fields: Vec<String> = if count == 0 {
            Vec::new()
        } else {
            text.splitn(count, '\n').map(str::to_owned).collect()
        };
        (fields.len() == count && (count > 0 || text.is_empty())).then_some((issued, fields))
    }

    /// The purpose's own AES-SIV key, derived from the secret: a token made for one purpose
    /// cannot be opened as another.
    fn cipher(&self, purpose: Purpose) -> Aes128Siv {
        // A SHA-256 MAC is exactly the 32 bytes AES-128-SIV takes.
        <Aes128Siv as aes_siv::KeyInit>::new_from_slice(&self.derived[purpose as usize])
            .unwrap_or_else(|_| <Aes128Siv as aes_siv::KeyInit>::new(&Default::default()))
    }

    /// Release 1's tokens: base64 of "list\naddress", a dot, and a truncated HMAC of it.
    fn verify_legacy(&self, token: &str) -> Option<(String, String)> {
        let (payload, mac) = token.split_once('.')?;
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

/// The 6-byte hash of a send id that bounce tokens carry.
pub fn send_hash(send_id: &str) -> [u8; 6] {
    use sha2::Digest as _;
    let digest = Sha256::digest(send_id.as_bytes());
    let mut out = [0u8; 6];
    out.copy_from_slice(&digest[..6]);
    out
}

const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// RFC 4648 base 32, lower case, without padding.
fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// [`base32`] back to bytes, in either case; `None` for anything else.
fn unbase32(text: &str) -> Option<Vec<u8>> {
    if text.len() > 64 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let value = BASE32.iter().position(|&b| b == c.to_ascii_lowercase())? as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// What a token is for. Each purpose has its own key, so a token is useless for any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Leave every list (the link in every message's footer and `List-Unsubscribe`).
    Unsubscribe,
    /// See and change one's lists.
    Preferences,
    /// Confirm a subscription (expires).
    Confirm,
    /// Proves a form post came from a page crier served, and when.
    Form,
    /// Names the message a bounce report is about (the envelope sender's local part).
    Bounce,
}

impl Purpose {
    /// Every purpose, in declaration order (the index of its derived key).
    const ALL: [Purpose; 5] = [
        Purpose::Unsubscribe,
        Purpose::Preferences,
        Purpose::Confirm,
        Purpose::Form,
        Purpose::Bounce,
    ];

    fn label(self) -> &'static str {
        match self {
            Purpose::Unsubscribe => "unsubscribe",
            Purpose::Preferences => "preferences",
            Purpose::Confirm => "confirm",
            Purpose::Form => "form",
            Purpose::Bounce => "bounce",
        }
    }
}

/// Longer tokens are not ours (an address is at most 254 bytes): refuse before decoding.
const MAX_TOKEN_CHARS: usize = 2048;

/// `$XDG_CONFIG_HOME/crier/token.key`, else `~/.config/crier/token.key`.
pub fn default_key_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("crier").join("token.key"))
}

fn random_bytes() -> std::io::Result<Vec<u8>> {
    crate::util::random::bytes(32)
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
        let t = key().token("members", &Address::unchecked("Ada@Example.com"));
        assert_eq!(
            key().verify(&t),
            Some(("members".into(), "ada@example.com".into()))
        );
    }

    #[test]
    fn tokens_do_not_show_the_address_and_are_deterministic() {
        let t = key().token("members", &Address::unchecked("ada@example.com"));
        assert_eq!(
            t,
            key().token("members", &Address::unchecked("ADA@example.com"))
        );
        let decoded = URL_SAFE_NO_PAD.decode(&t).unwrap();
        assert!(!String::from_utf8_lossy(&decoded).contains("ada"));
        assert!(!t.contains('.'));
    }

    #[test]
    fn a_token_is_useless_for_another_purpose() {
        let k = key();
        let unsubscribe = k.token("members", &Address::unchecked("ada@example.com"));
        let preferences = k.preferences_token(&Address::unchecked("ada@example.com"));
        let confirm = k.confirm_token(
            &Address::unchecked("ada@example.com"),
            &["members".into()],
            1_000,
        );
        assert_eq!(k.verify_preferences(&unsubscribe), None);
        assert_eq!(k.verify_confirm(&unsubscribe, 1_000, 60), None);
        assert_eq!(k.verify(&preferences), None);
        assert_eq!(k.verify_confirm(&preferences, 1_000, 60), None);
        assert_eq!(k.verify(&confirm), None);
        assert_eq!(k.verify_preferences(&confirm), None);
        assert_eq!(k.verify_form(&confirm), None);
        assert_eq!(
            k.verify_preferences(&preferences).as_deref(),
            Some("ada@example.com")
        );
    }

    #[test]
    fn confirmation_tokens_expire() {
        let k = key();
        let t = k.confirm_token(
            &Address::unchecked("ada@example.com"),
            &["members".into(), "reminders".into()],
            1_000,
        );
        let week = 7 * 24 * 3600;
        assert_eq!(
            k.verify_confirm(&t, 1_000 + week, week),
            Some((
                "ada@example.com".into(),
                vec!["members".into(), "reminders".into()],
                1_000
            ))
        );
        assert_eq!(k.verify_confirm(&t, 1_001 + week, week), None, "expired");
        assert_eq!(k.verify_confirm(&t, 0, week), None, "issued in the future");
        assert_eq!(k.verify_form(&k.form_token(42)), Some(42));
    }

    #[test]
    fn release_one_unsubscribe_tokens_still_work() {
        let k = key();
        let payload = URL_SAFE_NO_PAD.encode("members\nada@example.com");
        let mac = k.mac(b"members\nada@example.com");
        let legacy = format!("{payload}.{}", URL_SAFE_NO_PAD.encode(&mac[..MAC_BYTES]));
        assert_eq!(
            k.verify(&legacy),
            Some(("members".into(), "ada@example.com".into()))
        );
        assert_eq!(k.verify_preferences(&legacy), None);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_tokens_never_verify_or_panic(token in ".{0,300}") {
            let k = key();
            proptest::prop_assert!(k.verify(&token).is_none());
            proptest::prop_assert!(k.verify_preferences(&token).is_none());
            proptest::prop_assert!(k.verify_confirm(&token, 0, i64::MAX).is_none());
        }

        #[test]
        fn any_address_round_trips(list in "[a-z-]{1,20}", address in "[^\n]{1,200}") {
            let k = key();
            let t = k.token(&list, &Address::unchecked(&address));
            proptest::prop_assert_eq!(k.verify(&t), Some((list, crate::subscribers::address::key_of(&address))));
        }
    }

    #[test]
    fn bounce_tokens_name_the_send_and_the_recipient_in_any_case() {
        let k = key();
        let t = k.bounce_token("digest-abc-20261130T090000Z", 41);
        assert_eq!(t.len(), 26);
        assert!(t
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        let (hash, seq) = k.verify_bounce(&t).unwrap();
        assert_eq!((hash, seq), (send_hash("digest-abc-20261130T090000Z"), 41));
        assert_eq!(k.verify_bounce(&t.to_uppercase()), Some((hash, seq)));
        let mut forged = t.clone().into_bytes();
        forged[20] = if forged[20] == b'a' { b'b' } else { b'a' };
        assert_eq!(k.verify_bounce(&String::from_utf8(forged).unwrap()), None);
        assert_eq!(TokenKey::from_bytes(&[9; 32]).verify_bounce(&t), None);
        assert_eq!(k.verify_bounce("not-a-token"), None);
    }

    proptest::proptest! {
        #[test]
        fn base32_round_trips(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..40)) {
            proptest::prop_assert_eq!(unbase32(&base32(&bytes)), Some(bytes));
        }
    }

    #[test]
    fn forged_truncated_and_foreign_tokens_fail() {
        let t = key().token("members", &Address::unchecked("ada@example.com"));
        let payload = URL_SAFE_NO_PAD.encode("members\nada@example.com");
        assert_eq!(
            key().verify(&format!("{payload}.AAAA")),
            None,
            "legacy with a bad mac"
        );
        let mut flipped = URL_SAFE_NO_PAD.decode(&t).unwrap();
        flipped[20] ^= 1;
        assert_eq!(
            key().verify(&URL_SAFE_NO_PAD.encode(flipped)),
            None,
            "tampered"
        );
        assert_eq!(key().verify(&t[..t.len() - 2]), None, "truncated");
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
            b.verify(&a.token("l", &Address::unchecked("x@example.com")))
                .unwrap()
                .1,
            "x@example.com"
        );
        assert!(format!("{a:?}").contains("secret"));
        assert!(matches!(
            TokenKey::load(Some("short".into()), None, false),
            Err(KeyError::EnvTooShort)
        ));
    }
}
