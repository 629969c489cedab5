//! The human-readable side of a report: addresses and status codes found in text, the quoted
//! original cut off, and the per-recipient text of a non-standard bounce.

use super::limits::{MAX_CONTEXT, MAX_RECIPIENTS, MAX_TEXT};
use super::report::{Recipient, Report};
use super::vocabulary as vocab;

/// Collapses runs of whitespace to one space (keeps case).
pub fn collapse_space(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every e-mail address in `text`, lower-cased, in order, each once. Takes `<a@b>`,
/// `mailto:a@b`, `"a@b":` and bare `a@b`; leaves out anything without a dot in its domain.
pub fn addresses_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let is_part = |c: char| c.is_alphanumeric() || "._%+-=/!#$&'*?^`{|}~@".contains(c);
    for token in text.split(|c: char| !is_part(c)) {
        let token = token.trim_start_matches("mailto:");
        let token = token.trim_matches(|c: char| ".'`=/".contains(c));
        let Some((local, domain)) = token.rsplit_once('@') else {
            continue;
        };
        let valid = !local.is_empty()
            && !local.contains('@')
            && local.len() <= 64
            && domain.contains('.')
            && domain.len() <= 253
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
            && !domain.starts_with(['.', '-'])
            && !domain.ends_with(['.', '-']);
        let address = token.to_lowercase();
        if valid && !out.contains(&address) {
            out.push(address);
            if out.len() >= MAX_RECIPIENTS * 4 {
                break;
            }
        }
    }
    out
}

/// Every domain-like word in `text` (letters, digits, dots and dashes, with a dot inside),
/// lower-cased: the domains of addresses and bare host names alike.
pub fn domains_in(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '-'))
        .map(|w| w.trim_matches(['.', '-']).to_lowercase())
        .filter(|w| w.contains('.') && w.chars().any(char::is_alphabetic))
        .collect()
}

/// The first enhanced status code (RFC 3463, `5.1.1`) in `text`, not part of a longer
/// dotted number such as an IP address or a version.
pub fn status_code(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts = matches!(bytes[i], b'2' | b'4' | b'5')
            && (i == 0 || !(bytes[i - 1].is_ascii_digit() || bytes[i - 1] == b'.'));
        if starts {
            if let Some(end) = dotted_triple(bytes, i) {
                return Some(text[i..end].to_owned());
            }
        }
        i += 1;
    }
    None
}

/// The end of `d.ddd.ddd` starting at `start`, when nothing dotted or numeric follows.
fn dotted_triple(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    for _ in 0..2 {
        if bytes.get(i) != Some(&b'.') {
            return None;
        }
        i += 1;
        let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 3 {
            return None;
        }
        i += digits;
    }
    let next = bytes.get(i).copied();
    let dotted_on = next == Some(b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
    (!dotted_on && !next.is_some_and(|b| b.is_ascii_digit())).then_some(i)
}

/// Splits a report's text at the start of the quoted original: the human part, and the
/// original's header lines when the text quotes them.
pub fn split_original(text: &str) -> (&str, Option<&str>) {
    let mut offset = 0;
    let mut blank_seen = false;
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        let lower = line.to_lowercase();
        if vocab::ORIGINAL_MARKERS.iter().any(|m| lower.contains(m)) {
            return (
                &text[..offset],
                Some(text[offset + line.len()..].trim_start()),
            );
        }
        if blank_seen && starts_header_run(line, lines.clone()) {
            return (&text[..offset], Some(&text[offset..]));
        }
        blank_seen = line.trim().is_empty();
        offset += line.len();
    }
    (text, None)
}

/// Whether `line` and the two after it are header fields of a quoted message.
fn starts_header_run<'a>(line: &str, rest: impl Iterator<Item = &'a str>) -> bool {
    const STARTS: &[&str] = &[
        "return-path:",
        "received:",
        "dkim-signature:",
        "message-id:",
    ];
    let lower = line.to_ascii_lowercase();
    if !STARTS.iter().any(|s| lower.starts_with(s)) {
        return false;
    }
    rest.take(2).all(|l| {
        l.starts_with([' ', '\t'])
            || l.split_once(':')
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_graphic()))
    })
}

/// Text of an HTML part, tags dropped and the common entities decoded, for reports that come
/// only as HTML.
pub fn from_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len().min(MAX_TEXT));
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
        if out.len() >= MAX_TEXT {
            break;
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The recipients of a non-standard bounce: the addresses its text names that are neither the
/// report's own parties nor the original sender, each with the text from where it is named to
/// where another one is. Mentions on header-like lines (`To:`, `Message-ID:` of the quoted
/// original) do not count. A report naming none gets one unnamed recipient with the whole
/// text, so it is still classified.
pub fn recipients(report: &Report) -> Vec<Recipient> {
    let text = &report.text;
    let mut excluded: Vec<String> = report.to.clone();
    excluded.extend(report.from.iter().cloned());
    excluded.extend(report.message_id.iter().map(|m| m.to_lowercase()));
    if let Some(o) = &report.original {
        excluded.extend(o.from.iter().cloned());
        excluded.extend(o.message_id.iter().map(|m| m.to_lowercase()));
    }
    let mentions = mentions(text, &excluded);
    let daemon = |a: &String| {
        let local = a.split('@').next().unwrap_or_default();
        vocab::NOT_RECIPIENTS.contains(&local)
    };
    // A postmaster address is the recipient only when nothing else is named.
    let people: Vec<&(usize, String)> = mentions.iter().filter(|(_, a)| !daemon(a)).collect();
    let chosen: Vec<&(usize, String)> = if people.is_empty() {
        mentions.iter().collect()
    } else {
        people
    };
    let mut order: Vec<String> = Vec::new();
    for (_, a) in &chosen {
        if !order.contains(a) && order.len() < MAX_RECIPIENTS {
            order.push(a.clone());
        }
    }
    if order.is_empty() {
        // Named nowhere in the text: the quoted original's one recipient, if it has one.
        let to = report.original.as_ref().map(|o| o.to.as_slice());
        let address = match to {
            Some([only]) if !excluded.contains(only) => Some(only.clone()),
            _ => None,
        };
        return vec![recipient_with(address, text)];
    }
    order
        .into_iter()
        .map(|address| {
            let context = context_of(text, &address, &chosen);
            recipient_with(Some(address), context)
        })
        .collect()
}

/// The text about `address` in a report's human-readable part (see [`context_of`]), when it
/// is named there.
pub fn context_for(text: &str, address: &str) -> Option<String> {
    let mentions = mentions(text, &[]);
    let chosen: Vec<&(usize, String)> = mentions.iter().collect();
    let mut context = collapse_space(context_of(text, address, &chosen));
    super::fields::truncate(&mut context, MAX_CONTEXT);
    (!context.is_empty()).then_some(context)
}

/// A forwarded text without its quoting: one `>` (and the space after it) off every line, when
/// its lines are quoted.
pub fn unquote(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let quoted = lines.iter().filter(|l| l.starts_with('>')).count();
    if quoted * 2 <= lines.len() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = line
            .strip_prefix('>')
            .map_or(line, |l| l.strip_prefix(' ').unwrap_or(l));
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every mention of an address in `text` (byte offset of its line, address), in order,
/// leaving out `excluded` addresses, mentions on header-like lines, and addresses a report
/// names as someone other than a failed recipient (`sent by`, `generated from`, `contact`).
fn mentions(text: &str, excluded: &[String]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut previous = String::new();
    let mut others: Vec<String> = Vec::new();
    for line in text.split_inclusive('\n') {
        let lower = line.to_lowercase();
        let unquoted = lower.trim_start_matches(['>', ' ', '\t']);
        let header_like = vocab::HEADER_LIKE.iter().any(|h| unquoted.starts_with(h));
        if !header_like {
            for address in addresses_in(line) {
                let lead = lower
                    .find(address.as_str())
                    .map(|at| &lower[..at])
                    .filter(|before| !before.trim_matches(LEAD_PUNCTUATION).is_empty())
                    .unwrap_or(&previous);
                let named_as_other = vocab::NOT_RECIPIENT_LEADS
                    .iter()
                    .any(|l| lead.trim_end_matches(LEAD_PUNCTUATION).ends_with(l));
                if named_as_other {
                    others.push(address);
                } else if !excluded.contains(&address) && out.len() < MAX_RECIPIENTS * 8 {
                    out.push((offset, address));
                }
            }
        }
        if !line.trim().is_empty() {
            previous = lower;
        }
        offset += line.len();
    }
    // Named once as someone else, never a failed recipient.
    out.retain(|(_, a)| !others.contains(a));
    out
}

/// What may stand between a lead-in phrase and the address it introduces.
const LEAD_PUNCTUATION: &[char] = &[' ', '\t', '\r', '\n', '<', '(', ':', '"', '\''];

/// The text about `address`: from the line of its first mention up to the line of the next
/// mention of another address, a new session of a transcript (`while talking to …`), or a
/// transcript's status line about something else (`550 example.org (smtp)... 550 Host unknown`).
fn context_of<'a>(text: &'a str, address: &str, mentions: &[&(usize, String)]) -> &'a str {
    let Some(first) = mentions.iter().position(|(_, a)| a == address) else {
        return "";
    };
    let from = mentions[first].0;
    let next = mentions[first..]
        .iter()
        .find(|(at, a)| a != address && *at > from)
        .map_or(text.len(), |(at, _)| *at);
    let mut end = from;
    for (i, line) in text[from..next].split_inclusive('\n').enumerate() {
        if i > 0 && ends_context(line, address) {
            break;
        }
        end += line.len();
    }
    text.get(from..end).unwrap_or_default()
}

/// Whether `line` starts the text about something other than `address`.
fn ends_context(line: &str, address: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    if lower
        .trim_start_matches(['.', ' ', '\t'])
        .starts_with("while talking to")
    {
        return true;
    }
    // Sendmail's `550 <what>... <why>`, about another address or a host.
    let b = line.as_bytes();
    let status_line = b.len() > 4
        && b[..3].iter().all(u8::is_ascii_digit)
        && b[3] == b' '
        && line.contains("... ");
    status_line && !addresses_in(line).iter().any(|a| a == address)
}

fn recipient_with(address: Option<String>, context: &str) -> Recipient {
    let mut diagnostic = collapse_space(context);
    super::fields::truncate(&mut diagnostic, MAX_CONTEXT);
    let diagnostic = Some(diagnostic).filter(|d| !d.is_empty());
    Recipient {
        final_recipient: address,
        status: diagnostic.as_deref().and_then(status_code),
        context: diagnostic.clone(),
        diagnostic,
        ..Recipient::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_brackets_mailto_and_quotes() {
        assert_eq!(
            addresses_in("kijitora@example.com<mailto:kijitora@example.com> \"Neko@Example.JP\": <a@b> x@y.z."),
            vec!["kijitora@example.com", "neko@example.jp", "x@y.z"]
        );
    }

    #[test]
    fn status_codes_are_not_taken_from_ips_or_versions() {
        assert_eq!(
            status_code("host [192.0.2.20]: 550 5.7.0 no"),
            Some("5.7.0".into())
        );
        assert_eq!(status_code("(#5.4.4)"), Some("5.4.4".into()));
        assert_eq!(status_code("Exim 4.80 at 10.5.1.2"), None);
        assert_eq!(
            status_code("5.1.10 (host/domain does not accept mail)"),
            Some("5.1.10".into())
        );
    }

    #[test]
    fn the_quoted_original_is_cut_off() {
        let (human, original) = split_original(
            "Sorry.\n\n--- Below this line is a copy of the message.\n\nTo: a@b.c\n",
        );
        assert_eq!(human, "Sorry.\n\n");
        assert_eq!(original, Some("To: a@b.c\n"));
        let (human, original) =
            split_original("Failed.\n\nReturn-Path: <a@b.c>\nReceived: x\nTo: y\n");
        assert_eq!(human, "Failed.\n\n");
        assert!(original.unwrap().starts_with("Return-Path"));
    }
}
