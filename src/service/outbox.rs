//! Reading the outbox back: what crier "sent" when no SMTP server is configured, with each
//! message's subject and its member links decoded (an `.eml` file holds them quoted-printable,
//! `token=3D…` across soft line breaks, which no one can copy by hand).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use mail_parser::MessageParser;
use serde::Serialize;

/// Most files looked at (the newest are listed).
const MAX_FILES: usize = 10_000;
/// Most bytes read from one file.
const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// One message in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxMessage {
    /// The file.
    pub file: PathBuf,
    /// When it was written.
    pub written: DateTime<Utc>,
    /// `confirm`, `test`, `preview`, or the send's id.
    pub send: String,
    /// The recipient.
    pub to: String,
    /// The subject.
    pub subject: String,
    /// The member links in it, decoded: (what, URL).
    pub links: Vec<(String, String)>,
}

/// The newest `last` messages (all with `None`), newest first, optionally only those to `to`.
pub fn list(dir: &Path, last: Option<usize>, to: Option<&str>) -> Vec<OutboxMessage> {
    let mut files = Vec::new();
    collect(dir, &mut files, 0);
    files.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
    let wanted = to.map(crate::subscribers::address::key_of);
    files
        .into_iter()
        .filter_map(|(file, written)| read(dir, &file, written))
        .filter(|m| {
            wanted
                .as_ref()
                .is_none_or(|w| crate::subscribers::address::key_of(&m.to) == *w)
        })
        .take(last.unwrap_or(usize::MAX))
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<(PathBuf, DateTime<Utc>)>, depth: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if out.len() >= MAX_FILES {
            return;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let path = entry.path();
        if meta.is_dir() && depth < 4 {
            collect(&path, out, depth + 1);
        } else if meta.is_file() && path.extension().is_some_and(|e| e == "eml") {
            let written = meta
                .modified()
                .map(DateTime::<Utc>::from)
                .unwrap_or_default();
            out.push((path, written));
        }
    }
}

fn read(root: &Path, file: &Path, written: DateTime<Utc>) -> Option<OutboxMessage> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .ok()?
        .take(MAX_BYTES)
        .read_to_end(&mut bytes)
        .ok()?;
    let message = MessageParser::default().parse(&bytes)?;
    let to = message
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or_default()
        .to_owned();
    let subject = message.subject().unwrap_or_default().to_owned();
    let text = message
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    let send = file
        .strip_prefix(root)
        .ok()
        .and_then(|rel| rel.components().next())
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    Some(OutboxMessage {
        file: file.to_path_buf(),
        written,
        send,
        to,
        subject,
        links: member_links(&text),
    })
}

/// `url` (a member link) on the daemon at `bind`, when that is on this machine and `url` is
/// elsewhere: a newcomer trying the example site opens the link here, not on the site's
/// public name.
pub fn on_this_machine(url: &str, bind: std::net::SocketAddr) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    let ip = bind.ip();
    if !(ip.is_loopback() || ip.is_unspecified()) {
        return None;
    }
    let host = if ip.is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        ip.to_string()
    };
    if url.host_str() == Some(host.as_str()) {
        return None;
    }
    let page = url.path().rsplit('/').next()?;
    Some(format!(
        "http://{host}:{}/{page}?{}",
        bind.port(),
        url.query()?
    ))
}

/// The member links in a message's text: confirm, preferences, unsubscribe (each once).
fn member_links(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '(' | ')'))
    {
        if !word.starts_with("http://") && !word.starts_with("https://") {
            continue;
        }
        let Ok(url) = url::Url::parse(word) else {
            continue;
        };
        let what = ["confirm", "preferences", "unsubscribe"]
            .into_iter()
            .find(|w| url.path().ends_with(&format!("/{w}")) && url.query().is_some());
        if let Some(what) = what {
            if !out.iter().any(|(w, _)| w == what) {
                out.push((what.to_owned(), url.to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_split_by_quoted_printable_come_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let confirm = dir.path().join("confirm");
        std::fs::create_dir_all(&confirm).unwrap();
        let eml = "From: news@example.com\r\nTo: ada@example.com\r\nSubject: Confirm\r\n\
                   MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
                   Content-Transfer-Encoding: quoted-printable\r\n\r\n\
                   Press: https://news.example.com/confirm?token=3DAbC=\r\ndEf-123\r\n\
                   Change: https://news.example.com/preferences?token=3Dxyz\r\n";
        std::fs::write(confirm.join("1-ada@example.com.eml"), eml).unwrap();
        let listed = list(dir.path(), None, Some("ADA@example.com"));
        assert_eq!(listed.len(), 1);
        let m = &listed[0];
        assert_eq!(
            (m.send.as_str(), m.to.as_str()),
            ("confirm", "ada@example.com")
        );
        assert_eq!(
            m.links,
            vec![
                (
                    "confirm".to_owned(),
                    "https://news.example.com/confirm?token=AbCdEf-123".to_owned()
                ),
                (
                    "preferences".to_owned(),
                    "https://news.example.com/preferences?token=xyz".to_owned()
                ),
            ]
        );
        assert!(list(dir.path(), None, Some("grace@example.org")).is_empty());
    }
}
