//! Bounces and complaints coming back, end to end with real components: a digest sent over
//! real SMTP with per-recipient envelope senders; reports delivered over SMTP to the daemon's
//! listener, a complaint imported from a file, and provider webhooks; then what the next dry
//! run and `crier status` say.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::daemon::Daemon;
use crate::common::smtp::SmtpServer;
use crate::common::TempSite;

const MEMBERS: &[&str] = &[
    "hard@example.com",
    "soft@example.com",
    "blocked@example.com",
    "complainer@example.com",
    "ses@example.com",
    "mailgun@example.com",
    "fine@example.com",
];

const TOPIC: &str = "arn:aws:sns:eu-west-1:123456789012:crier-bounces";
const CERT_URL: &str = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem";
const MAILGUN_KEY: &str = "key-for-the-test-only";

fn site(port: u16, secrets: &std::path::Path) -> TempSite {
    let site = TempSite::example();
    std::fs::write(secrets.join("mailgun.key"), MAILGUN_KEY).unwrap();
    let config = site.read("crier.yaml").replace(
        "delivery:\n",
        "delivery:\n  max_attempts: 2\n  retry_base_seconds: 0.05\n",
    );
    site.write(
        "crier.yaml",
        format!(
            "{config}\nsmtp:\n  host: 127.0.0.1\n  port: {port}\n  security: none\n  timeout_seconds: 10\n\
             bounces:\n  domain: bounces.example.org\n  listen: 127.0.0.1:0\n  soft_limit: 3\n  \
             webhooks:\n    ses:\n      topics: [{TOPIC}]\n    mailgun:\n      signing_key_file: {}\n",
            secrets.join("mailgun.key").display()
        ),
    );
    // The SNS signing certificate, as crier caches it after fetching it from AWS: the test
    // signs with its own key and never touches the network.
    let cache = site.path().join("state/sns-certs");
    std::fs::create_dir_all(&cache).unwrap();
    let certs = crier::bounce::webhook::CachedCerts::new(&cache);
    std::fs::copy(
        crate::common::repo().join("tests/fixtures/webhooks/sns-test-cert.pem"),
        certs.cache_path(CERT_URL),
    )
    .unwrap();
    let mut csv = String::from("email,name\n");
    for m in MEMBERS {
        csv.push_str(&format!("{m},\n"));
    }
    site.write("subscribers/members.csv", csv);
    site.write("subscribers/speakers.csv", "email\n");
    site
}

/// Recipient -> (envelope sender, Message-ID) of what the SMTP server took.
fn envelopes(server: &SmtpServer) -> std::collections::HashMap<String, (String, String)> {
    let text = std::fs::read_to_string(server.dir.join("index.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| {
            (
                v["to"][0].as_str().unwrap().to_owned(),
                (
                    v["from"].as_str().unwrap().to_owned(),
                    v["message_id"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect()
}

/// A delivery status notification about `recipient`, as a remote server writes one.
fn dsn(recipient: &str, status: &str, diagnostic: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mx.example.net\r\nTo: news@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         Message-ID: <dsn-{status}-{recipient}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\r\n\
         --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n\
         Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\n\
         Diagnostic-Code: smtp; {diagnostic}\r\n\r\n--b--\r\n"
    )
}

/// Speaks SMTP to the daemon's listener: one message to `rcpt`. Returns the final reply.
fn deliver(addr: &str, rcpt: &str, message: &str) -> String {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut reply = || {
        let mut line = String::new();
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            if line.as_bytes().get(3) != Some(&b'-') {
                return line.trim().to_owned();
            }
        }
    };
    assert!(reply().starts_with("220"));
    for command in [
        "EHLO mx.example.net".to_owned(),
        "MAIL FROM:<>".to_owned(),
        format!("RCPT TO:<{rcpt}>"),
        "DATA".to_owned(),
    ] {
        writer
            .write_all(format!("{command}\r\n").as_bytes())
            .unwrap();
        let got = reply();
        assert!(
            got.starts_with('2') || got.starts_with('3'),
            "{command}: {got}"
        );
    }
    writer.write_all(message.as_bytes()).unwrap();
    writer.write_all(b".\r\n").unwrap();
    let done = reply();
    writer.write_all(b"QUIT\r\n").unwrap();
    done
}

fn post_json(d: &Daemon, path: &str, body: &str) -> (u16, Vec<(String, String)>, String) {
    d.request("POST", path, &[("Content-Type", "application/json")], body)
}

/// An SES hard bounce about ses@example.com, through SNS, signed with the test key.
fn ses_bounce(message_id: &str) -> String {
    let message = serde_json::json!({
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [{
                "emailAddress": "ses@example.com",
                "action": "failed",
                "status": "5.1.1",
                "diagnosticCode": "smtp; 550 5.1.1 <ses@example.com>: Recipient address rejected: User unknown",
            }],
            "timestamp": "2026-11-25T11:58:00.000Z",
        },
        "mail": {"messageId": "0100-ses-id", "commonHeaders": {"messageId": message_id}},
    });
    let mut notification = serde_json::json!({
        "Type": "Notification",
        "MessageId": "5b0d3c3a-0000-4000-8000-000000000001",
        "TopicArn": TOPIC,
        "Message": message.to_string(),
        "Timestamp": "2026-11-25T11:59:00.000Z",
        "SignatureVersion": "2",
        "SigningCertURL": CERT_URL,
    });
    let key = std::fs::read_to_string(
        crate::common::repo().join("tests/fixtures/webhooks/sns-test-key.pem"),
    )
    .unwrap();
    crier::bounce::webhook::signing::sign_sns(&mut notification, &key).unwrap();
    notification.to_string()
}

/// A Mailgun complaint event about `recipient`, signed with `key`.
fn mailgun_event(token: &str, recipient: &str, message_id: &str, key: &str) -> serde_json::Value {
    let timestamp = chrono::DateTime::parse_from_rfc3339(crate::common::NOW)
        .unwrap()
        .timestamp()
        .to_string();
    serde_json::json!({
        "signature": {
            "timestamp": timestamp,
            "token": token,
            "signature": crier::bounce::webhook::mailgun_signature(key, &timestamp, token),
        },
        "event-data": {
            "id": format!("event-{token}-{recipient}"),
            "event": "complained",
            "recipient": recipient,
            "message": {"headers": {"message-id": message_id.trim_matches(['<', '>'])}},
        },
    })
}

/// The reply to `RCPT TO:<rcpt>`.
fn refused(addr: &str, rcpt: &str) -> String {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut last = String::new();
    for command in [
        "EHLO x".to_owned(),
        "MAIL FROM:<>".to_owned(),
        format!("RCPT TO:<{rcpt}>"),
    ] {
        writer
            .write_all(format!("{command}\r\n").as_bytes())
            .unwrap();
        loop {
            last.clear();
            reader.read_line(&mut last).unwrap();
            if last.starts_with("220") || last.as_bytes().get(3) == Some(&b'-') {
                continue;
            }
            break;
        }
    }
    last
}

fn wait_for(what: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if what() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn reports_over_smtp_and_from_files_suppress_the_right_people_with_their_reasons() {
    let work = tempfile::tempdir().unwrap();
    let Some(server) = SmtpServer::start(&work.path().join("mail"), &[]) else {
        return;
    };
    let site = site(server.port, work.path());
    let out = site.crier(&["send"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent = envelopes(&server);
    for m in MEMBERS {
        let (from, _) = &sent[*m];
        assert!(
            from.starts_with("bounces+") && from.ends_with("@bounces.example.org"),
            "each message has its own envelope sender: {from}"
        );
    }
    assert_ne!(sent["hard@example.com"].0, sent["soft@example.com"].0);

    // Three reports over SMTP to the daemon's listener, each to its message's VERP address.
    let d = Daemon::start_with(&site, crate::common::NOW, &["--no-send"]);
    assert!(wait_for(|| d
        .printed()
        .iter()
        .any(|l| l.contains("bounces:"))));
    let listener = d
        .printed()
        .iter()
        .find_map(|l| {
            l.trim()
                .strip_prefix("bounces:     smtp://")
                .map(str::to_owned)
        })
        .unwrap();
    let reports = [
        ("hard@example.com", "5.1.1", "550 5.1.1 <hard@example.com>: Recipient address rejected: User unknown in local recipient table"),
        ("soft@example.com", "4.2.2", "452 4.2.2 <soft@example.com>: Mailbox full"),
        ("blocked@example.com", "5.7.1", "550 5.7.1 Service unavailable; client host [192.0.2.10] blocked using zen.spamhaus.org"),
    ];
    for (who, status, diagnostic) in reports {
        let reply = deliver(&listener, &sent[who].0, &dsn(who, status, diagnostic));
        assert!(reply.starts_with("250"), "{who}: {reply}");
    }
    // Mail to anyone but the bounce domain is refused.
    assert!(refused(&listener, "someone@example.com").starts_with("550"));

    // A signed SES notification through SNS, and a signed Mailgun event.
    let (status, _, body) = post_json(&d, "/webhooks/ses", &ses_bounce(&sent["ses@example.com"].1));
    assert_eq!(status, 200, "{body}");
    let mailgun = mailgun_event(
        "token-1",
        "mailgun@example.com",
        &sent["mailgun@example.com"].1,
        MAILGUN_KEY,
    );
    let (status, _, body) = post_json(&d, "/webhooks/mailgun", &mailgun.to_string());
    assert_eq!(status, 200, "{body}");
    // A forged one (the wrong key), and a replayed one: a captured signature with another
    // event. Neither changes anything.
    let forged = mailgun_event(
        "token-2",
        "fine@example.com",
        &sent["fine@example.com"].1,
        "not-the-key",
    );
    let (status, _, _) = post_json(&d, "/webhooks/mailgun", &forged.to_string());
    assert!(
        status == 401 || status == 403,
        "a forged request is refused: {status}"
    );
    let mut replayed = mailgun_event(
        "token-1",
        "fine@example.com",
        &sent["fine@example.com"].1,
        MAILGUN_KEY,
    );
    replayed["signature"] = mailgun["signature"].clone();
    let (status, _, body) = post_json(&d, "/webhooks/mailgun", &replayed.to_string());
    // Answered 200 so that a provider's own retry stops, but nothing is recorded twice.
    assert!(
        body.contains("already accepted") || status >= 400,
        "a replay changes nothing: {status} {body}"
    );
    drop(d);

    // A spam complaint (ARF) quoting the original message, from a file.
    let complaint = format!(
        "From: fbl@isp.example.net\r\nTo: abuse@example.com\r\nSubject: Complaint\r\nMessage-ID: <arf-1@isp.example.net>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nThis is an abuse report.\r\n\r\n\
         --b\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: ISP-FBL/1.0\r\nVersion: 1\r\n\
         Original-Rcpt-To: complainer@example.com\r\n\r\n\
         --b\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: news@example.com\r\nTo: complainer@example.com\r\n\
         Message-ID: {}\r\nSubject: x\r\n\r\n--b--\r\n",
        sent["complainer@example.com"].1
    );
    let file = work.path().join("complaint.eml");
    std::fs::write(&file, complaint).unwrap();
    let imported = site
        .crier(&["bounces", "import", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    let line = String::from_utf8_lossy(&imported.stdout).to_string();
    assert!(
        line.contains("\"kind\":\"complaint\"") && line.contains("\"action\":\"suppress\""),
        "{line}"
    );
    // The same report again changes nothing.
    let again = site
        .crier(&["bounces", "import"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stderr).contains("(0 new)"));

    let suppressions = site.crier(&["suppressions", "list"]).output().unwrap();
    let list = String::from_utf8_lossy(&suppressions.stdout).to_string();
    assert!(list.contains("hard@example.com\tbounced"), "{list}");
    assert!(list.contains("5.1.1"), "the code is kept: {list}");
    assert!(
        list.contains("complainer@example.com\tcomplained"),
        "{list}"
    );
    assert!(list.contains("ses@example.com\tbounced"), "{list}");
    assert!(list.contains("mailgun@example.com\tcomplained"), "{list}");
    assert!(
        !list.contains("fine@example.com"),
        "neither the forged nor the replayed webhook counted: {list}"
    );
    assert!(
        !list.contains("soft@example.com"),
        "one soft bounce only counts: {list}"
    );
    assert!(
        !list.contains("blocked@example.com"),
        "a block-list refusal is the sender's problem: {list}"
    );

    // The next dry run skips them with their reasons.
    let dry = site
        .crier(&["send", "--dry-run", "--no-files", "-v"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&dry.stdout).to_string();
    assert!(text.contains("hard@example.com (bounced)"), "{text}");
    assert!(
        text.contains("complainer@example.com (complained)"),
        "{text}"
    );
    assert!(!text.contains("soft@example.com (bounced)"), "{text}");

    // `crier status` says what came back, equal to the ledger's records.
    let status = site.crier(&["status", "--json"]).output().unwrap();
    let first: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&status.stdout)
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let db = rusqlite::Connection::open(site.path().join("state/crier.db")).unwrap();
    let count = |kind: &str| -> i64 {
        db.query_row(
            "SELECT count(DISTINCT recipient_key) FROM bounce_reports WHERE kind = ?1 AND send_id = ?2",
            [kind, first["id"].as_str().unwrap()],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(first["bounces"]["hard"], count("hard"));
    assert_eq!(first["bounces"]["soft"], count("soft"));
    assert_eq!(first["bounces"]["complaints"], count("complaint"));
    assert_eq!(first["bounces"]["sender_side"], count("sender-side"));
    assert_eq!(
        (
            count("hard"),
            count("soft"),
            count("complaint"),
            count("sender-side")
        ),
        (2, 1, 2, 1),
        "hard: the DSN and SES; complaints: the ARF file and Mailgun"
    );
    let human = site.crier(&["status"]).output().unwrap();
    let human = String::from_utf8_lossy(&human.stdout).to_string();
    assert!(
        human.contains("3 bounced (2 hard, 1 soft), 2 complained"),
        "{human}"
    );
    assert!(
        human.contains("warning:"),
        "rates over the limits are named: {human}"
    );
}
