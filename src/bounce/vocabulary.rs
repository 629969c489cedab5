//! Every word list the bounce reader and classifier use, in one place, so that a phrase seen in
//! a new report is added here once. Texts are matched lower-cased with whitespace collapsed;
//! `*` in a phrase stands for any text (`user * does not exist`).
//!
//! The lists are ordered by what they protect: phrases that put the fault on the *sender*
//! (block lists, authentication, reputation, policy) are tried before recipient-level ones,
//! because suppressing a real member on an IP block-list rejection is the costly mistake.

use super::classify::Reason;
use super::smtp::Stage;

/// Phrases naming a sender-side reason: never suppress, warn the organiser.
pub const SENDER_SIDE: &[(Reason, &[&str])] = &[
    (
        Reason::AuthFailure,
        &[
            "spf",
            "dkim",
            "dmarc",
            "sender policy framework",
            "domainkeys",
            "unauthenticated",
            "not authenticated",
            "authentication failure",
            "authentication failed",
            "authentication required",
            "sender authentication",
            "5.7.26",
            "5.7.509",
            "5.7.23",
            "5.7.24",
            "5.7.25",
        ],
    ),
    (
        Reason::RequirePtr,
        &[
            "reverse dns",
            "reverse lookup",
            "reverse-dns",
            "ptr record",
            "no ptr",
            "rdns",
            "reverse mapping",
            "cannot find your hostname",
            "cannot find your reverse",
            "client host rejected: cannot",
            "your ip * has no",
            "does not have a ptr",
            "name lookup failed for",
            "dns ptr",
            "invalid ptr",
            "unresolvable",
        ],
    ),
    (
        Reason::BadReputation,
        &[
            "reputation",
            "sender score",
            "senderscore",
            "poor sending history",
        ],
    ),
    (
        Reason::Blocked,
        &[
            "blocked using",
            "blacklist",
            "black list",
            "blocklist",
            "block list",
            "denylist",
            "dnsbl",
            "rbl",
            "spamhaus",
            "spamcop",
            "abuseat",
            "sorbs",
            "barracuda",
            "uceprotect",
            "blacklisted",
            "is listed",
            "are listed",
            "listed at",
            "client host rejected",
            "my name was rejected",
            "client host blocked",
            "ip address blocked",
            "ip blocked",
            "your ip",
            "your host",
            "your server",
            "connection refused from",
            "connections not accepted from",
            "access denied for ip",
            "blocked by",
            "has been blocked",
            "is blocked",
            "are blocked",
            "temporarily blocked",
            "use the smtp server of your isp",
            "not allowed to send",
            "dynamic ip",
            "dial-up",
            "residential",
            "mail from your ip",
            "rejected due to",
            "banned",
        ],
    ),
    (
        Reason::VirusDetected,
        &["virus", "malware", "infected", "malicious"],
    ),
    (
        Reason::SpamDetected,
        &[
            "spam",
            "junk mail",
            "unsolicited",
            "bulk mail",
            "bulk e-mail",
            "scored too high",
            "content filter",
            "message content rejected",
            "rejected as junk",
            "suspicious",
            "phishing",
        ],
    ),
    (
        Reason::Rejected,
        &[
            "sender address rejected",
            "sender rejected",
            "sender domain",
            "sender verify",
            "sender verification",
            "domain of sender",
            "envelope sender",
            "sender is not",
            "invalid sender",
            "from address",
            "mail from address",
            "not a member",
            "are not member",
            "not allowed to post",
            "don't have permission to post",
            "permission to post",
            "rejected your message",
            "sender address",
        ],
    ),
    (
        Reason::SecurityError,
        &[
            "tls required",
            "starttls",
            "must issue a starttls",
            "encryption required",
            "insecure",
        ],
    ),
    (
        Reason::ContentError,
        &[
            "rfc 5322",
            "rfc5322",
            "rfc 2822",
            "rfc2822",
            "not rfc compliant",
            "header error",
            "invalid header",
            "malformed",
            "illegal character",
            "8bit",
            "line too long",
            "content rejected",
            "duplicated message-id",
            "duplicate message",
        ],
    ),
    (
        Reason::Policy,
        &[
            "policy",
            "prohibited",
            "not permitted",
            "not allowed",
            "administrative",
            "administratively",
            "security reasons",
            "message refused",
            "rejected by recipient",
            "message rejected",
            "refused by",
            "does not accept messages from",
        ],
    ),
];

/// Phrases naming a soft reason: counted, never suppressed on one report.
pub const SOFT: &[(Reason, &[&str])] = &[
    (
        Reason::MailboxFull,
        &[
            "mailbox full",
            "mailbox is full",
            "mail box full",
            "mailbox quota",
            "quota exceeded",
            "over quota",
            "overquota",
            "over its quota",
            "exceeded storage",
            "exceeds its quota",
            "exceeded quota",
            "quota",
            "disk full",
            "mailbox size limit",
            "full mailbox",
            "mailbox has exceeded",
            "storage limit",
            "out of storage",
            "insufficient storage",
            "not enough space",
            "not enough disk space",
            "no space left",
        ],
    ),
    (
        Reason::MesgTooBig,
        &[
            "message too large",
            "message is too large",
            "message too big",
            "message is too big",
            "size limit",
            "message size exceeds",
            "exceeds the maximum size",
            "too large",
            "message length exceeds",
            "exceeds size",
        ],
    ),
    (
        Reason::Suspend,
        &[
            "suspended",
            "disabled",
            "deactivated",
            "inactive",
            "account is locked",
            "account locked",
            "temporarily unavailable",
            "not accepting mail at this time",
            "frozen",
        ],
    ),
    (
        Reason::NoRelaying,
        &[
            "relay access denied",
            "relaying denied",
            "not permitted to relay",
            "relay not permitted",
            "unable to relay",
            "we do not relay",
            "relaying not allowed",
            "no relaying",
            "relay denied",
            "not a gateway",
        ],
    ),
    (
        Reason::Expired,
        &[
            "retry time exceeded",
            "retry timeout exceeded",
            "message expired",
            "delivery time expired",
            "could not be delivered within",
            "was not delivered within",
            "too long in the queue",
            "in the queue for",
            "cannot send message for",
            "delayed",
            "deferred",
            "timed out",
            "timeout",
            "time out",
            "expired",
            "unable to deliver for",
            "still being retried",
            "will keep trying",
            "has not yet been delivered",
        ],
    ),
    (
        Reason::NetworkError,
        &[
            "connection refused",
            "network is unreachable",
            "no route to host",
            "connection reset",
            "lost connection",
            "connection closed",
            "temporary failure in name resolution",
            "dns lookup failed",
            "could not connect",
            "unable to connect",
            "connection failed",
        ],
    ),
    (
        Reason::TooManyConn,
        &[
            "too many connections",
            "too many concurrent",
            "connection limit",
            "rate limit",
            "too many messages",
            "too many recipients",
            "try again later",
            "slow down",
            "exceeded the rate",
            "sending rate",
            "greylist",
            "graylist",
        ],
    ),
    (
        Reason::SystemError,
        &[
            "system error",
            "internal error",
            "configuration error",
            "mail loop",
            "loops back",
            "loop detected",
            "too many hops",
            "hop count exceeded",
            "server error",
        ],
    ),
];

/// Phrases naming a recipient-level reason: the address is dead, suppress it.
pub const HARD: &[(Reason, &[&str])] = &[
    (
        Reason::HostUnknown,
        &[
            "host unknown",
            "unknown host",
            "host not found",
            "domain not found",
            "no such domain",
            "domain does not exist",
            "unrouteable mail domain",
            "unroutable mail domain",
            "name or service not known",
            "mail exchanger",
            "no mx",
            "null mx",
            "mx record",
            "host or domain name not found",
            "domain name not found",
            "unknown domain",
            "invalid domain",
            "nxdomain",
            "does not accept mail",
            "not accepting network messages",
            "host/domain does not accept",
            "hostname lookup failed",
            "domain is not hosted",
            "illegal host",
            "domain is not reachable",
            "unrouteable address",
            "host * not found",
        ],
    ),
    (
        Reason::HasMoved,
        &[
            "has moved",
            "no longer on server",
            "address has changed",
            "has been replaced by",
        ],
    ),
    (
        Reason::UserUnknown,
        &[
            "user unknown",
            "unknown user",
            "no such user",
            "no such mailbox",
            "no such recipient",
            "no such address",
            "no such person",
            "unknown recipient",
            "recipient unknown",
            "unknown address",
            "address unknown",
            "unknown mailbox",
            "mailbox unknown",
            "mailbox not found",
            "mailbox does not exist",
            "user not found",
            "recipient not found",
            "address not found",
            "recipientnotfound",
            "user does not exist",
            "recipient does not exist",
            "address does not exist",
            "account does not exist",
            "does not exist",
            "invalid recipient",
            "invalid mailbox",
            "not a valid mailbox",
            "not a valid recipient",
            "no mailbox",
            "user not known",
            "is not a known user",
            "no account by that name",
            "wasn't found at",
            "not listed in",
            "name is not recognized",
            "bad recipient",
            "unknown local part",
            "unknown local-part",
            "doesn't have a * account",
            "addressee unknown",
            "nonexistent user",
            "non-existent user",
            "non existent user",
            "user invalid",
            "invalid user",
            "no longer accepts mail",
            "recipient address rejected: access denied",
            "utilisateur inconnu",
            "unbekannt",
            "destinatario inesistente",
            "no existe",
            "not our customer",
            "no one at this address",
            "is not a valid user",
            "couldn't find any host named",
            "account that you tried to reach",
            "not found in",
            "user not exist",
            "no valid recipients",
        ],
    ),
];

/// Generic refusals that name the recipient but not why: a user-unknown candidate when the status
/// code says nothing more specific (judged like "user unknown": by its stage and codes), and no
/// verdict when they go on to state a reason (`Recipient address rejected: On hold`).
pub const HARD_WEAK: &[(Reason, &[&str])] = &[(
    Reason::UserUnknown,
    &[
        "recipient address rejected",
        "recipient rejected",
        "mailbox unavailable",
        "mailbox is unavailable",
    ],
)];

/// Phrases from a directory lookup (the address is not in the recipient's directory, or the
/// local delivery agent has no such user): about the address whatever the SMTP stage.
pub const DIRECTORY: &[&str] = &[
    "not listed in",
    "recipnotfound",
    "mail.local: unknown user",
    "name is not recognized",
    "recipientnotfound",
    "recipient not found by",
];

/// Subjects (lower-cased, contained) of non-standard bounce reports.
pub const BOUNCE_SUBJECTS: &[&str] = &[
    "undeliverable",
    "undelivered",
    "delivery status notification",
    "failure notice",
    "delivery failure",
    "delivery failed",
    "returned mail",
    "returning message",
    "returned to sender",
    "could not be delivered",
    "delivery has failed",
    "delayed mail",
    "mail system error",
    "failed delivery",
    "failure delivery",
    "non-delivery",
    "nondeliverable",
    "not delivered",
    "mail failure",
    "delivery notification",
    "delivery problem",
    "message delayed",
    "delayed 24 hours",
    "warning: message",
    "delivery error",
    "returned message",
    "undeliverable mail",
    "mail delivery",
    "メールエラー",
    "エラー",
    "delivery report",
    "mail failed",
    "returning to sender",
];

/// Local parts of the addresses bounces come from.
pub const BOUNCE_SENDERS: &[&str] = &[
    "mailer-daemon",
    "mailer_daemon",
    "mailerdaemon",
    "postmaster",
    "mail-daemon",
    "maildaemon",
    "mail.daemon",
    "bounce",
    "bounces",
    "nobody",
    "root",
    "mdaemon",
    "mail.administrator",
];

/// Body phrases only bounce reports use.
pub const BOUNCE_BODY: &[&str] = &[
    "could not be delivered",
    "permanent error",
    "delivery to the following recipient",
    "was not delivered",
    "wasn't able to deliver",
    "unable to deliver",
    "delivery has failed",
    "permanent fatal errors",
    "did not reach the following recipient",
    "undeliverable",
    "message could not be delivered",
    "error delivering your mail",
    "delivery failed",
    "not be delivered",
    "failed permanently",
    "address(es) failed",
    "delivery failure",
    "returned to the sender",
    "following address failed",
    "following addresses failed",
    "this is the mail system at",
    "this is the qmail-send program",
];

/// Subjects of auto-replies (RFC 3834 and the usual out-of-office words).
pub const AUTO_REPLY_SUBJECTS: &[&str] = &[
    "auto:",
    "automatic reply",
    "auto reply",
    "auto-reply",
    "autoreply",
    "auto response",
    "autoresponse",
    "auto-response",
    "out of office",
    "out of the office",
    "away from",
    "vacation",
    "abwesenheit",
    "automatische antwort",
    "réponse automatique",
    "respuesta automática",
    "risposta automatica",
    "automatisch antwoord",
    "fuera de la oficina",
    "on leave",
    "absence",
];

/// Lines (lower-cased, contained) that start the quoted original in a report's text.
pub const ORIGINAL_MARKERS: &[&str] = &[
    "below this line is a copy of the message",
    "this is a copy of the message",
    "original message follows",
    "original message -----",
    "original message headers",
    "header of the original message",
    "headers of the original message",
    "message headers follow",
    "original message header",
    "unsent message below",
    "returned message follows",
    "the original message was:",
    "text of the returned message",
    "content-type: message/rfc822",
    "content-type: text/rfc822-headers",
    "message text follows",
    "original message:",
    "copy of the message header",
];

/// Lines (lower-cased, contained) that start a forwarded message in a person's mail: a bounce
/// forwarded inline is read from there on.
pub const FORWARD_MARKERS: &[&str] = &[
    "begin forwarded message",
    "forwarded message",
    "forwarded by",
];

/// Per-recipient fields in which a reporting MTA files the failure under its own category.
pub const CATEGORY_FIELDS: &[&str] = &["X-PowerMTA-BounceCategory"];

/// What those categories mean (PowerMTA's documented set), for a failure whose text says
/// nothing known. `bad-mailbox` and `bad-domain` say the address itself is bad.
pub const CATEGORIES: &[(&str, Reason)] = &[
    ("bad-mailbox", Reason::UserUnknown),
    ("bad-domain", Reason::HostUnknown),
    ("inactive-mailbox", Reason::Suspend),
    ("quota-issues", Reason::MailboxFull),
    ("message-expired", Reason::Expired),
    ("no-answer-from-host", Reason::Expired),
    ("bad-connection", Reason::NetworkError),
    ("routing-errors", Reason::SystemError),
    ("protocol-errors", Reason::SystemError),
    ("bad-configuration", Reason::SystemError),
    ("relaying-issues", Reason::NoRelaying),
    ("policy-related", Reason::Policy),
    ("spam-related", Reason::SpamDetected),
    ("virus-related", Reason::VirusDetected),
    ("content-related", Reason::ContentError),
    ("invalid-sender", Reason::Rejected),
];

/// Phrases naming the SMTP command a failing reply answered. A user-unknown reply to RCPT TO is
/// about the address itself; after DATA the same words come from the recipient's filter as often
/// as not; before RCPT (connection, HELO, MAIL FROM) it is not about the recipient at all.
pub const STAGES: &[(Stage, &[&str])] = &[
    (
        Stage::Rcpt,
        &[
            "in reply to rcpt to",
            "after rcpt to",
            "after rcpt command",
            "did not like our rcpt to",
            "does not like recipient",
            "reply to rcpt",
            "smtp:rcpt",
            "[rcpt_to]",
        ],
    ),
    (
        Stage::Data,
        &[
            "after end of data",
            "in reply to end of data",
            "in reply to data",
            "after data",
            "after the data command",
            "reply to data",
            "smtp command data",
        ],
    ),
    (
        Stage::MailFrom,
        &[
            "after mail from",
            "in reply to mail from",
            "reply to mail from",
            "after mail command",
        ],
    ),
    (
        Stage::Helo,
        &[
            "after helo",
            "after ehlo",
            "in reply to helo",
            "in reply to ehlo",
            "my name was rejected",
        ],
    ),
    (
        Stage::Connect,
        &[
            "after initial connection",
            "during greeting",
            "greeting wait",
            "smtp greeting",
            "in reply to connect",
        ],
    ),
];

/// Line starts (lower-cased, after any quoting) of header fields quoted in a report's text: an
/// address on them is not a failed recipient.
pub const HEADER_LIKE: &[&str] = &[
    "to:",
    "from:",
    "cc:",
    "sent:",
    "date:",
    "subject:",
    "message-id:",
    "return-path:",
    "reply-to:",
    "sender:",
    "received:",
    "in-reply-to:",
    "references:",
];

/// Words that introduce an address as someone other than a failed recipient: the sender, the
/// alias a recipient was expanded from, a contact for help.
pub const NOT_RECIPIENT_LEADS: &[&str] = &[
    "sent by",
    "generated from",
    "expanded from",
    "forwarded from",
    "contact",
    "assistance",
];

/// Local parts never taken as the failed recipient when found in a report's text.
pub const NOT_RECIPIENTS: &[&str] = &[
    "postmaster",
    "mailer-daemon",
    "mailer_daemon",
    "abuse",
    "hostmaster",
    "webmaster",
    "noreply",
    "no-reply",
    "root",
];

/// ARF feedback types (RFC 5965 §7.3, RFC 6591) that are a person's complaint.
pub const COMPLAINT_FEEDBACK: &[&str] = &["abuse", "opt-out", "optout", "fraud", "complaint"];

/// Header names that mark a quoted original as Microsoft's JMRP complaint (not ARF).
pub const JMRP_RECIPIENT_HEADER: &str = "X-HmXmrOriginalRecipient";

/// Subject of a complaint report in a non-ARF format, and of a mailto unsubscribe request.
pub const COMPLAINT_SUBJECTS: &[&str] = &["complaint about message from"];

/// Subjects of an RFC 2369 `mailto:` unsubscribe request (an opt-out).
pub const UNSUBSCRIBE_SUBJECTS: &[&str] = &["unsubscribe"];

/// Whether `text` (lower-cased, whitespace collapsed) holds `phrase`; `*` in a phrase stands
/// for one word (a run of non-space characters: a host, a domain, an IP address).
pub fn contains(text: &str, phrase: &str) -> bool {
    match phrase.split_once('*') {
        None => text.contains(phrase),
        Some((head, tail)) => text.match_indices(head).any(|(at, _)| {
            let rest = &text[at + head.len()..];
            let word = rest.find(' ').unwrap_or(rest.len());
            word > 0 && contains_at_start(&rest[word..], tail)
        }),
    }
}

/// Whether `text` starts with `phrase` (whose `*` stand for one word each).
fn contains_at_start(text: &str, phrase: &str) -> bool {
    match phrase.split_once('*') {
        None => text.starts_with(phrase),
        Some((head, tail)) => text.strip_prefix(head).is_some_and(|rest| {
            let word = rest.find(' ').unwrap_or(rest.len());
            word > 0 && contains_at_start(&rest[word..], tail)
        }),
    }
}

/// The first reason of `table` whose phrase `text` holds, with that phrase.
pub fn first_match(
    text: &str,
    table: &'static [(Reason, &'static [&'static str])],
) -> Option<(Reason, &'static str)> {
    table.iter().find_map(|(reason, phrases)| {
        phrases
            .iter()
            .find(|p| contains(text, p))
            .map(|p| (*reason, *p))
    })
}

/// Lower-cases and collapses whitespace, so that phrases match across folded lines.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word.to_lowercase().replace('\u{2019}', "'"));
    }
    out
}
