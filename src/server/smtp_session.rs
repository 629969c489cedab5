//! The receiving side of SMTP (RFC 5321), as much of it as taking bounce reports needs, with
//! no I/O: the listener feeds it lines and writes back what it answers.
//!
//! Written here because the one sans-I/O SMTP server crate (mailin 0.6) refuses the null
//! reverse path, `MAIL FROM:<>`, which is how every bounce report arrives.

/// What to do after a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Write this reply (CRLF-terminated lines included).
    Reply(String),
    /// Write this reply and close the connection.
    Close(String),
    /// A message line was taken: write nothing.
    Continue,
    /// A whole message arrived: act on it, then write the reply it deserves.
    Message {
        /// The envelope recipients.
        recipients: Vec<String>,
        /// The message, un-dot-stuffed, or `None` when it was over the size limit.
        data: Option<Vec<u8>>,
    },
}

/// One session's state.
#[derive(Debug)]
pub struct Session {
    name: String,
    max_bytes: usize,
    max_recipients: usize,
    mail: bool,
    recipients: Vec<String>,
    data: Option<Vec<u8>>,
    too_big: bool,
}

impl Session {
    /// A session of server `name` taking messages up to `max_bytes`.
    pub fn new(name: &str, max_bytes: usize) -> Self {
        Session {
            name: name.to_owned(),
            max_bytes,
            max_recipients: 10,
            mail: false,
            recipients: Vec::new(),
            data: None,
            too_big: false,
        }
    }

    /// The greeting.
    pub fn greeting(&self) -> String {
        format!("220 {} ESMTP\r\n", self.name)
    }

    /// Takes one line (with its line ending); `accept` says whether a recipient is ours.
    pub fn line(&mut self, line: &[u8], accept: &dyn Fn(&str) -> bool) -> Step {
        if self.data.is_some() {
            return self.data_line(line);
        }
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches(['\r', '\n']);
        let (verb, rest) = text.split_once(' ').unwrap_or((text, ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                self.reset();
                Step::Reply(format!(
                    "250-{}\r\n250-8BITMIME\r\n250-SIZE {}\r\n250 SMTPUTF8\r\n",
                    self.name, self.max_bytes
                ))
            }
            "HELO" => {
                self.reset();
                Step::Reply(format!("250 {}\r\n", self.name))
            }
            "MAIL" => self.mail(rest),
            "RCPT" => self.rcpt(rest, accept),
            "DATA" => self.start_data(),
            "RSET" => {
                self.reset();
                reply("250 2.0.0 OK")
            }
            "NOOP" => reply("250 2.0.0 OK"),
            "VRFY" => reply("252 2.5.0 Cannot verify"),
            "QUIT" => Step::Close("221 2.0.0 Bye\r\n".to_owned()),
            "STARTTLS" | "AUTH" | "EXPN" | "TURN" | "ETRN" => reply("502 5.5.1 Not offered here"),
            _ => reply("500 5.5.2 Command not recognised"),
        }
    }

    fn reset(&mut self) {
        self.mail = false;
        self.recipients.clear();
        self.data = None;
        self.too_big = false;
    }

    fn mail(&mut self, rest: &str) -> Step {
        let Some(path) = argument(rest, "FROM:") else {
            return reply("501 5.5.4 Syntax: MAIL FROM:<address>");
        };
        let declared = path
            .1
            .split_whitespace()
            .find_map(|p| p.strip_prefix("SIZE=").or_else(|| p.strip_prefix("size=")))
            .and_then(|n| n.parse::<usize>().ok());
        if declared.is_some_and(|n| n > self.max_bytes) {
            return reply("552 5.3.4 Message too big");
        }
        self.reset();
        self.mail = true;
        reply("250 2.1.0 OK")
    }

    fn rcpt(&mut self, rest: &str, accept: &dyn Fn(&str) -> bool) -> Step {
        if !self.mail {
            return reply("503 5.5.1 MAIL first");
        }
        let Some((path, _)) = argument(rest, "TO:") else {
            return reply("501 5.5.4 Syntax: RCPT TO:<address>");
        };
        if self.recipients.len() >= self.max_recipients {
            return reply("452 4.5.3 Too many recipients");
        }
        if path.is_empty() || !accept(path) {
            return reply("550 5.1.1 No such mailbox here");
        }
        self.recipients.push(path.to_owned());
        reply("250 2.1.5 OK")
    }

    fn start_data(&mut self) -> Step {
        if !self.mail || self.recipients.is_empty() {
            return reply("503 5.5.1 RCPT first");
        }
        self.data = Some(Vec::new());
        reply("354 End data with <CR><LF>.<CR><LF>")
    }

    fn data_line(&mut self, line: &[u8]) -> Step {
        let trimmed = line.strip_suffix(b"\n").unwrap_or(line);
        let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
        if trimmed == b"." {
            let data = self.data.take().filter(|_| !self.too_big);
            let recipients = std::mem::take(&mut self.recipients);
            self.reset();
            return Step::Message { recipients, data };
        }
        // Dot-stuffing: a line starting with a dot was sent with one more.
        let line = line.strip_prefix(b".").unwrap_or(line);
        if let Some(data) = self.data.as_mut() {
            if data.len() + line.len() > self.max_bytes {
                self.too_big = true;
                data.clear();
            } else if !self.too_big {
                data.extend_from_slice(line);
            }
        }
        Step::Continue
    }
}

fn reply(line: &str) -> Step {
    Step::Reply(format!("{line}\r\n"))
}

/// The `<path>` after `FROM:`/`TO:` (spaces allowed around the colon), and what follows it.
fn argument<'a>(rest: &'a str, keyword: &str) -> Option<(&'a str, &'a str)> {
    let rest = rest.trim_start();
    let head = rest.get(..keyword.len() - 1)?;
    if !head.eq_ignore_ascii_case(&keyword[..keyword.len() - 1]) {
        return None;
    }
    let rest = rest[keyword.len() - 1..].trim_start().strip_prefix(':')?;
    let rest = rest.trim_start().strip_prefix('<')?;
    let end = rest.find('>')?;
    Some((rest[..end].trim(), rest[end + 1..].trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(address: &str) -> bool {
        address.ends_with("@bounces.example.org")
    }

    fn run(session: &mut Session, lines: &[&str]) -> Vec<Step> {
        lines
            .iter()
            .map(|l| session.line(format!("{l}\r\n").as_bytes(), &ours))
            .collect()
    }

    #[test]
    fn a_bounce_with_the_null_sender_is_taken() {
        let mut s = Session::new("crier", 1000);
        let steps = run(
            &mut s,
            &[
                "EHLO mx.example.net",
                "MAIL FROM:<>",
                "RCPT TO:<someone@example.com>",
                "RCPT TO:<bounces+abc@bounces.example.org>",
                "DATA",
                "Subject: x",
                "",
                "..a dotted line",
                ".",
            ],
        );
        assert!(matches!(&steps[1], Step::Reply(r) if r.starts_with("250")));
        assert!(matches!(&steps[2], Step::Reply(r) if r.starts_with("550")));
        assert!(matches!(&steps[4], Step::Reply(r) if r.starts_with("354")));
        assert_eq!(
            steps[8],
            Step::Message {
                recipients: vec!["bounces+abc@bounces.example.org".into()],
                data: Some(b"Subject: x\r\n\r\n.a dotted line\r\n".to_vec()),
            }
        );
    }

    #[test]
    fn order_size_and_syntax_are_enforced() {
        let mut s = Session::new("crier", 20);
        let steps = run(
            &mut s,
            &[
                "RCPT TO:<a@bounces.example.org>",
                "DATA",
                "MAIL FROM:<> SIZE=99999",
                "MAIL FROM x",
                "MAIL FROM : < b@example.net > BODY=8BITMIME",
                "RCPT TO:<a@bounces.example.org>",
                "DATA",
                "0123456789",
                "0123456789",
                ".",
                "WHAT",
                "QUIT",
            ],
        );
        let codes: Vec<String> = steps
            .iter()
            .map(|s| match s {
                Step::Reply(r) | Step::Close(r) => r[..3].to_owned(),
                Step::Continue => "...".into(),
                Step::Message { data, .. } => format!("msg:{}", data.is_some()),
            })
            .collect();
        assert_eq!(
            codes,
            [
                "503",
                "503",
                "552",
                "501",
                "250",
                "250",
                "354",
                "...",
                "...",
                "msg:false",
                "500",
                "221"
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn any_line_is_answered_without_panicking(lines in proptest::collection::vec(".{0,120}", 0..30)) {
            let mut s = Session::new("crier", 200);
            for line in lines {
                let _ = s.line(format!("{line}\r\n").as_bytes(), &ours);
            }
        }
    }
}
