//! Every word list the bounce reader and classifier use, in one place, so that a phrase seen in
//! a new report is added here once. Texts are matched lower-cased with whitespace collapsed;
//! `*` in a phrase stands for any text (`user * does not exist`).
//!
//! The lists are ordered by what they protect: phrases that put the fault on the *sender*
//! (block lists, authentication, reputation, policy) are tried before recipient-level ones,
//! because suppressing a real member on an IP block-list rejection is the costly mistake.

use super::classify::Reason;

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

/// Generic refusals that name the recipient but not why: taken as a dead address only when the
/// status code says nothing more specific.
pub const HARD_WEAK: &[(Reason, &[&str])] = &[(
    Reason::UserUnknown,
    &[
        "recipient address rejected",
        "recipient rejected",
        "mailbox unavailable",
        "mailbox is unavailable",
    ],
)];

/// Phrases from a directory lookup (the address is not in the recipient's directory): about
/// the address whatever the SMTP stage.
pub const DIRECTORY: &[&str] = &[
    "not listed in",
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
];

/// Phrases saying the reply came at RCPT time: a user-unknown reply there is about the
/// address itself.
pub const RCPT_STAGE: &[&str] = &[
    "rcpt",
    "does not like recipient",
    "recipientnotfound",
    "recipient not found by",
];

/// Phrases saying the reply came after the message was sent (DATA): a user-unknown reply there
/// is the recipient's filter more often than a dead address.
pub const DATA_STAGE: &[&str] = &[
    "end of data",
    ">>> data",
    "after data",
    "after end of data",
    "reply to data",
];

/// Phrases saying the reply came before any recipient was given (connect, HELO, MAIL FROM):
/// whatever its words, it is not about the recipient.
pub const BEFORE_RCPT_STAGE: &[&str] = &[
    "after mail from",
    "in reply to mail from",
    "reply to mail from",
    "after helo",
    "after ehlo",
    "in reply to helo",
    "in reply to ehlo",
    "after initial connection",
    "greeting",
    "my name was rejected",
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
/// for any text.
pub fn contains(text: &str, phrase: &str) -> bool {
    let mut rest = text;
    for piece in phrase.split('*') {
        match rest.find(piece) {
            Some(i) => rest = &rest[i + piece.len()..],
            None => return false,
        }
    }
    true
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
