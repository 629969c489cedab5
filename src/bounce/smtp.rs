//! What a report's text says about the SMTP conversation behind a failure: the command the
//! failing reply answered (its stage), the enhanced status code the remote server itself gave,
//! and the shape of the reply. Reading only, no judgement (that is [`super::classify`]).

use super::text::{addresses_in, status_code};
use super::vocabulary as vocab;

/// The SMTP command a failing reply answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// The connection or greeting, before any command.
    Connect,
    /// `HELO` / `EHLO`.
    Helo,
    /// `MAIL FROM`: the sender was refused.
    MailFrom,
    /// `RCPT TO`: the recipient address was refused.
    Rcpt,
    /// `DATA` or the end of the message: the message was refused.
    Data,
}

impl Stage {
    /// Whether the reply came before any recipient was given: whatever it says, it is not
    /// about the recipient.
    pub fn before_rcpt(self) -> bool {
        matches!(self, Stage::Connect | Stage::Helo | Stage::MailFrom)
    }

    /// The stage of an SMTP command as a transcript writes it (`RCPT To:<a@b>`, `DATA`, `.`).
    fn of_command(command: &str) -> Option<Stage> {
        let word = command.split_whitespace().next()?.to_ascii_uppercase();
        match word.as_str() {
            "HELO" | "EHLO" | "LHLO" => Some(Stage::Helo),
            "MAIL" => Some(Stage::MailFrom),
            "RCPT" => Some(Stage::Rcpt),
            "DATA" | "." | "BDAT" => Some(Stage::Data),
            _ => None,
        }
    }
}

/// The stage a text names in words ("in reply to RCPT TO command", "after end of data"): the
/// one named first, as a report names the failing command once.
pub fn stage_named(text: &str) -> Option<Stage> {
    let text = vocab::normalise(text);
    vocab::STAGES
        .iter()
        .flat_map(|(stage, phrases)| {
            phrases
                .iter()
                .filter_map(|p| text.find(p))
                .map(move |at| (at, *stage))
        })
        .min_by_key(|(at, _)| *at)
        .map(|(_, stage)| stage)
}

/// The stage of `address`'s failure in a session transcript (`>>> RCPT To:<a@b>` / `<<< 550 …`
/// lines, as Sendmail and others quote them): the command before the failing reply that names
/// the address, or, after a command naming the address, the command of the next failing reply.
/// A new session (`while talking to host:`) starts afresh.
pub fn stage_in_transcript(text: &str, address: &str) -> Option<Stage> {
    let mut last: Option<Stage> = None;
    let mut armed = false;
    for line in text.lines() {
        let line = line.trim_start();
        let lower = line.to_ascii_lowercase();
        if lower
            .trim_start_matches(['.', ' '])
            .starts_with("while talking to")
        {
            (last, armed) = (None, false);
        } else if let Some(command) = line.strip_prefix(">>>") {
            last = Stage::of_command(command.trim_start_matches('>').trim());
            armed |= names(command, address);
        } else if let Some(reply) = line.strip_prefix("<<<") {
            let failed = reply.trim_start().starts_with(['4', '5']);
            if failed && (armed || names(reply, address)) && last.is_some() {
                return last;
            }
        }
    }
    None
}

fn names(text: &str, address: &str) -> bool {
    addresses_in(text).iter().any(|a| a == address)
}

/// The enhanced status code the replying server gave itself: the one right after an SMTP reply
/// code (`550 5.7.1`, `550-5.7.1`, `550-'5.7.1`), of the same class. A relaying server's own
/// code put in front of the reply (`5.1.0 - Unknown address error 550-'5.7.1 …'`) is not it.
pub fn reply_status(text: &str) -> Option<String> {
    reply_codes(text).find_map(|(at, class)| {
        let rest = text[at + 3..].trim_start_matches([' ', '-', ':', '\'', '"']);
        status_code(rest.get(..rest.len().min(12))?)
            .filter(|s| rest.starts_with(s.as_str()) && s.starts_with(class))
    })
}

/// The reply in a text: from its first SMTP reply code on (the text before it is the reporting
/// MTA's own framing).
pub fn reply(text: &str) -> Option<&str> {
    reply_codes(text).next().map(|(at, _)| &text[at..])
}

/// Whether a reply leaves its address slot empty (`550 : User unknown`, `550: : User unknown`):
/// the refusal was not given about one recipient, so not at RCPT time.
pub fn empty_address_slot(text: &str) -> bool {
    reply_codes(text).any(|(at, _)| {
        let rest = text[at + 3..].strip_prefix(':').unwrap_or(&text[at + 3..]);
        let rest = rest.trim_start_matches([' ', '-']);
        let rest = match status_code(rest.get(..rest.len().min(12)).unwrap_or_default()) {
            Some(s) if rest.starts_with(s.as_str()) => &rest[s.len()..],
            _ => rest,
        };
        rest.trim_start().starts_with(':')
    })
}

/// Every SMTP reply code in `text` (three digits starting 4 or 5, standing alone, followed by
/// a space, dash or colon): its byte offset and class digit.
fn reply_codes(text: &str) -> impl Iterator<Item = (usize, &str)> + '_ {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(3)).filter_map(move |i| {
        let alone = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'.');
        let code = matches!(bytes[i], b'4' | b'5')
            && bytes[i + 1].is_ascii_digit()
            && bytes[i + 2].is_ascii_digit()
            && matches!(bytes[i + 3], b' ' | b'-' | b':');
        (alone && code).then(|| (i, &text[i..i + 1]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_read_from_words_and_transcripts() {
        assert_eq!(
            stage_named("host x said: 550 <a@b.c>: Recipient address rejected. (in reply to RCPT\n    TO command)"),
            Some(Stage::Rcpt)
        );
        assert_eq!(
            stage_named("SMTP error from remote mail server after end of data: 553 x"),
            Some(Stage::Data)
        );
        let transcript = "... while talking to mx.example.org.:\n>>> DATA\n<<< 550 5.2.1 <f@example.org>... User Unknown\n550 5.1.1 <f@example.org>... User unknown\n<<< 503 5.0.0 Need RCPT (recipient)\n";
        assert_eq!(
            stage_in_transcript(transcript, "f@example.org"),
            Some(Stage::Data)
        );
        let transcript = "While talking to mail.example.co.jp:\n>>> RCPT To:<m@example.co.jp>\n<<< 550 Requested User Mailbox not found.\n";
        assert_eq!(
            stage_in_transcript(transcript, "m@example.co.jp"),
            Some(Stage::Rcpt)
        );
        assert_eq!(stage_in_transcript(transcript, "other@example.co.jp"), None);
    }

    #[test]
    fn the_replying_servers_own_status_code_is_found() {
        assert_eq!(
            reply_status("5.1.0 - Unknown address error 550-'5.7.1 <a@b.c>... Access denied'"),
            Some("5.7.1".into())
        );
        assert_eq!(
            reply_status("550 5.1.351 Remote server returned -> 550 : User unknown"),
            Some("5.1.351".into())
        );
        assert_eq!(reply_status("550 <a@b.c>: User unknown"), None);
        assert_eq!(reply_status("host [192.0.2.1] port 550 5.0 x"), None);
    }

    #[test]
    fn empty_address_slots() {
        assert!(empty_address_slot(
            "550 5.1.351 Remote server returned unknown recipient -> 550 : User unknown"
        ));
        assert!(empty_address_slot("<a@b.c>: 550: : User unknown"));
        assert!(!empty_address_slot("550: 5.1.1 <a@b.c>... User Unknown"));
        assert!(!empty_address_slot("550 <a@b.c>: User unknown"));
    }
}
