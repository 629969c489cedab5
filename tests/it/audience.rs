//! Joining and leaving over HTTP, against the real daemon on a real socket: the home page,
//! double opt-in, token purposes, the same answer for every address, abuse limits, and the
//! preferences page. Confirmation e-mails go to the outbox and are parsed back with
//! `mail-parser`.

use std::path::Path;

use crate::common::daemon::Daemon;
use crate::common::{TempSite, NOW, TEST_KEY, TOKEN_ENV};

/// The example site, with fast form checks for scripted posts.
fn site(audience: &str) -> TempSite {
    let site = TempSite::example();
    let mut config = site.read("crier.yaml");
    // The example's own `audience:` is its last section: the test's replaces it.
    if let Some(at) = config.find("\naudience:") {
        config.truncate(at);
    }
    site.write("crier.yaml", format!("{config}\naudience:\n{audience}"));
    site
}

const AUDIENCE: &str = "  lists:
    - name: members
      title: The monthly digest
      description: Recaps and the next meetup.
    - name: workshops
      title: Workshop announcements
  form_min_seconds: 1
  per_ip_per_hour: 5000
";

fn post(d: &Daemon, path: &str, body: &str) -> (u16, Vec<(String, String)>, String) {
    d.request(
        "POST",
        path,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body,
    )
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Every confirmation e-mail in the outbox: (recipient, confirm token).
fn confirmations(site: &Path) -> Vec<(String, String)> {
    let dir = site.join("outbox/confirm");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.unwrap().path();
        // A message being written is a hidden temporary file until it is renamed.
        if path.file_name().unwrap().to_string_lossy().starts_with('.') {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let message = mail_parser::MessageParser::default().parse(&bytes).unwrap();
        let to = message
            .to()
            .unwrap()
            .first()
            .unwrap()
            .address()
            .unwrap()
            .to_owned();
        let text = message.body_text(0).unwrap().into_owned();
        let token = text
            .split("/confirm?token=")
            .nth(1)
            .expect("the text part has the confirm link")
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        out.push((to, token));
    }
    out.sort();
    out
}

fn main_of(body: &str) -> &str {
    let start = body.find("<main>").unwrap_or(0);
    let end = body.find("</main>").unwrap_or(body.len());
    &body[start..end]
}

fn store(site: &TempSite, args: &[&str]) -> String {
    let out = site.crier_at(NOW, args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn home_page_has_the_form_and_every_feed() {
    let site = site(AUDIENCE);
    let d = Daemon::start(&site);
    let (status, headers, body) = d.get("/");
    assert_eq!(status, 200);
    for needle in [
        "<form method=\"post\" action=\"subscribe\"",
        "name=\"email\"",
        "type=\"checkbox\" name=\"list\" value=\"members\" checked",
        "value=\"workshops\"",
        "name=\"website\"",
        "rel=\"alternate\" type=\"application/rss+xml\"",
        "rel=\"alternate\" type=\"application/atom+xml\"",
        "rel=\"alternate\" type=\"application/feed+json\"",
        "href=\"/tags/meetup/atom.xml\"",
        "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"Riverside Cloud Native: meetup (RSS)\" href=\"/tags/meetup/rss.xml\">",
        "type=\"application/feed+json\" title=\"Riverside Cloud Native: meetup (JSON Feed)\" href=\"/tags/meetup/feed.json\"",
        "Riverside Cloud Native",
    ] {
        assert!(body.contains(needle), "home page lacks {needle}:\n{body}");
    }
    assert!(
        !body.contains("<script"),
        "works without JavaScript, and has none"
    );
    let csp = headers
        .iter()
        .find(|(k, _)| k == "content-security-policy")
        .unwrap();
    assert!(csp.1.contains("default-src 'none'"));
}

#[test]
fn double_opt_in_confirms_only_on_post_and_the_next_dry_run_includes_the_address() {
    let site = site(AUDIENCE);
    let d = Daemon::start(&site);
    let (status, _, body) = post(
        &d,
        "/subscribe",
        "email=Newcomer%40example.org&name=New+Comer&list=members&list=workshops",
    );
    assert_eq!(status, 200);
    assert!(main_of(&body).contains("Check your inbox"));
    let sent = wait_for(|| confirmations(site.path()), 1);
    assert_eq!(sent[0].0, "Newcomer@example.org");
    let token = &sent[0].1;
    assert!(
        !token.to_lowercase().contains("newcomer"),
        "the token does not show the address"
    );
    assert!(store(&site, &["subscribers", "list"]).contains("members:pending workshops:pending"));

    // A link scanner fetching the link confirms nothing.
    let (status, headers, body) = d.get(&format!("/confirm?token={token}"));
    assert_eq!(status, 200);
    assert!(body.contains("<form method=\"post\" action=\"confirm\""));
    assert!(headers
        .iter()
        .any(|(k, v)| k == "cache-control" && v == "no-store"));
    assert!(store(&site, &["subscribers", "list"]).contains("members:pending"));

    let (status, _, body) = post(&d, "/confirm", &format!("token={token}"));
    assert_eq!(status, 200, "{body}");
    assert!(main_of(&body).contains("You are subscribed"));
    let listed = store(&site, &["subscribers", "list", "--json"]);
    let person: serde_json::Value = serde_json::from_str(listed.lines().next().unwrap()).unwrap();
    assert_eq!(person["name"], "New Comer");
    for m in person["memberships"].as_array().unwrap() {
        assert_eq!(m["status"], "confirmed");
        assert_eq!(m["consent"]["source"], "form");
        assert!(m["consent"]["ip"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1"));
        assert!(m["consent"]["confirmed_at"].is_string());
    }
    d.stop();
    let out = site
        .crier_at(NOW, &["send", "--dry-run", "-v"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let names: Vec<String> = std::fs::read_dir(site.path().join("preview/eml"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.contains("Newcomer@example.org")),
        "{names:?}"
    );
}

fn wait_for<T: Clone>(mut f: impl FnMut() -> Vec<T>, n: usize) -> Vec<T> {
    let started = std::time::Instant::now();
    loop {
        let v = f();
        if v.len() >= n || started.elapsed() > std::time::Duration::from_secs(10) {
            return v;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn expired_forged_and_wrong_purpose_tokens_get_400_and_change_nothing() {
    let site = site(AUDIENCE);
    let d = Daemon::start(&site);
    post(&d, "/subscribe", "email=ada%40example.org");
    let sent = wait_for(|| confirmations(site.path()), 1);
    let token = sent[0].1.clone();
    let before = store(&site, &["subscribers", "export"]);
    // The unsubscribe link of a real message is the wrong purpose here.
    let out = site.crier_at(NOW, &["send", "--dry-run"]).output().unwrap();
    assert!(out.status.success());
    let eml =
        std::fs::read_to_string(site.path().join("preview/eml/00001-ada@example.com.eml")).unwrap();
    let unsubscribe = eml
        .split("unsubscribe?token=")
        .nth(1)
        .unwrap()
        .split(['>', '\r', '"'])
        .next()
        .unwrap()
        .to_owned();
    let mut forged = token.clone().into_bytes();
    forged[10] = if forged[10] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    for bad in [
        forged.as_str(),
        unsubscribe.as_str(),
        "",
        "not-a-token",
        &"A".repeat(5000),
    ] {
        for (method, path) in [("GET", "/confirm"), ("POST", "/confirm")] {
            let (status, _, body) = if method == "GET" {
                d.get(&format!("/confirm?token={}", enc(bad)))
            } else {
                post(&d, path, &format!("token={}", enc(bad)))
            };
            assert_eq!(status, 400, "{method} {path} with {bad:.20}: {body}");
        }
        let (status, _, _) = d.get(&format!("/preferences?token={}", enc(bad)));
        assert_eq!(status, 400);
    }
    // A confirmation token is useless for unsubscribing or preferences.
    assert_eq!(post(&d, "/unsubscribe", &format!("token={token}")).0, 400);
    assert_eq!(d.get(&format!("/preferences?token={token}")).0, 400);
    assert_eq!(
        store(&site, &["subscribers", "export"]),
        before,
        "nothing changed"
    );
    d.stop();

    // Eight days later the link has expired.
    let late = Daemon::start_at(&site, "2026-12-03T12:00:01Z");
    assert_eq!(post(&late, "/confirm", &format!("token={token}")).0, 400);
    assert!(store(&site, &["subscribers", "list"]).contains("members:pending"));
}

#[test]
fn the_answer_is_the_same_for_new_pending_confirmed_and_suppressed_addresses() {
    let site = site(AUDIENCE);
    store(&site, &["subscribers", "add", "confirmed@example.org"]);
    store(&site, &["subscribers", "remove", "left@example.org"]);
    let d = Daemon::start(&site);
    post(&d, "/subscribe", "email=pending%40example.org");
    wait_for(|| confirmations(site.path()), 1);
    let answers: Vec<(u16, String)> = [
        "new@example.org",
        "pending@example.org",
        "confirmed@example.org",
        "left@example.org",
        "ada@example.com",
    ]
    .iter()
    .map(|a| {
        let (status, headers, body) = post(&d, "/subscribe", &format!("email={}", enc(a)));
        let length = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .unwrap()
            .1
            .clone();
        (status, format!("{length}\n{body}"))
    })
    .collect();
    for a in &answers[1..] {
        assert_eq!(a, &answers[0], "identical status, length and body");
    }
}

/// The form refuses what `Address::parse` refuses (an address literal, a domain of one
/// label): the poster is asked to check the address, and nothing is stored or mailed. The
/// answer depends on the text typed alone, never on who is stored (that answer is the same
/// for everyone: see the test above).
#[test]
fn address_literals_and_single_label_domains_are_refused_and_never_mailed() {
    let site = site(AUDIENCE);
    let d = Daemon::start(&site);
    let refused = [
        "a@[127.0.0.1]",
        "a@[IPv6:::1]",
        "a@localhost",
        "root@intranet",
    ];
    for address in refused {
        let (status, _, body) = post(&d, "/subscribe", &format!("email={}", enc(address)));
        assert_eq!(status, 400, "{address}");
        assert!(
            main_of(&body).contains("Please check your address"),
            "{address}: {body}"
        );
    }
    // The worker takes posts in order: once this one is mailed, the others are done.
    let (status, _, body) = post(&d, "/subscribe", "email=normal%40example.org");
    assert_eq!(status, 200);
    assert!(main_of(&body).contains("Check your inbox"), "{body}");
    let sent = wait_for(|| confirmations(site.path()), 1);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let all = confirmations(site.path());
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(sent[0].0, "normal@example.org");
    for address in refused {
        let stored = store(&site, &["subscribers", "list", "--address", address]);
        assert_eq!(stored, "", "{address} is not stored");
    }
}

#[test]
fn a_thousand_scripted_posts_send_at_most_the_allowed_confirmations() {
    let site = site(
        "  form_min_seconds: 2
  per_ip_per_hour: 100000
  confirmations_per_hour: 40
",
    );
    let d = Daemon::start(&site);
    let (_, _, home) = d.get("/");
    let ts = home
        .split("name=\"ts\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    for i in 0..1000 {
        let body = match i % 4 {
            // A bot filling every field, the honeypot included.
            0 => format!("email=bot{i}%40example.org&website=http%3A%2F%2Fspam.example"),
            // Posted straight after the page was served: faster than a person.
            1 => format!("email=fast{i}%40example.org&ts={ts}"),
            // The same address again and again.
            2 => "email=victim%40example.org".to_owned(),
            // Many new addresses: the hourly cap holds them.
            _ => format!("email=flood{i}%40example.org"),
        };
        let (status, _, body) = post(&d, "/subscribe", &body);
        assert_eq!(status, 200);
        assert!(
            main_of(&body).contains("Check your inbox"),
            "a bot gets the same page"
        );
    }
    let sent = wait_for(|| confirmations(site.path()), 40);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let sent = confirmations(site.path()).len().max(sent.len());
    assert_eq!(sent, 40, "the hourly cap");
    let all = confirmations(site.path());
    assert_eq!(
        all.iter()
            .filter(|(to, _)| to == "victim@example.org")
            .count(),
        1
    );
    assert!(all
        .iter()
        .all(|(to, _)| !to.starts_with("bot") && !to.starts_with("fast")));
}

#[test]
fn per_ip_limit_and_body_limit_hold() {
    let site = site("  per_ip_per_hour: 3\n  form_min_seconds: 0\n");
    let d = Daemon::start(&site);
    for i in 0..10 {
        post(&d, "/subscribe", &format!("email=ip{i}%40example.org"));
    }
    assert_eq!(wait_for(|| confirmations(site.path()), 3).len(), 3);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(confirmations(site.path()).len(), 3);
    let huge = format!("email=x%40example.org&name={}", "a".repeat(200_000));
    assert_eq!(post(&d, "/subscribe", &huge).0, 413);
}

#[test]
fn preferences_change_lists_and_leave_everything() {
    let site = site(AUDIENCE);
    store(
        &site,
        &[
            "subscribers",
            "add",
            "pat@example.org",
            "--list",
            "workshops",
        ],
    );
    let key = crier::email::TokenKey::from_bytes(TEST_KEY.as_bytes());
    let token = key.preferences_token(&crier::subscribers::Address::unchecked("pat@example.org"));
    let d = Daemon::start(&site);
    let (status, _, body) = d.get(&format!("/preferences?token={token}"));
    assert_eq!(status, 200);
    assert!(body.contains("value=\"workshops\" checked"), "{body}");
    assert!(body.contains("value=\"members\">"), "not on members");
    assert!(body.contains("name=\"reminders\" value=\"on\" checked"));

    // Join members, leave workshops, no reminders.
    let (status, _, body) = post(
        &d,
        "/preferences",
        &format!("token={token}&list=members&action=save"),
    );
    assert_eq!(status, 200);
    assert!(body.contains("Your choices are saved"));
    let listed = store(&site, &["subscribers", "list"]);
    assert!(
        listed.contains("members:confirmed reminders:unsubscribed workshops:unsubscribed"),
        "{listed}"
    );

    // A CSV member sees their organiser-managed list too, and can leave it.
    let token = key.preferences_token(&crier::subscribers::Address::unchecked("grace@example.org"));
    let (_, _, body) = d.get(&format!("/preferences?token={token}"));
    assert!(
        body.contains("value=\"speakers\" checked") || body.contains("value=\"members\" checked"),
        "{body}"
    );
    let checked: Vec<String> = body
        .split("name=\"list\" value=\"")
        .skip(1)
        .filter(|s| s.split('>').next().unwrap().contains("checked"))
        .map(|s| format!("list={}", s.split('"').next().unwrap()))
        .collect();
    let (_, _, saved) = post(
        &d,
        "/preferences",
        &format!(
            "token={token}&{}&reminders=on&action=save",
            checked.join("&")
        ),
    );
    assert!(saved.contains("Your choices are saved"));
    assert!(
        !store(&site, &["subscribers", "list"]).contains("grace@"),
        "saving unchanged choices leaves a CSV member the organiser's row, not a store record"
    );
    let (_, _, body) = post(&d, "/preferences", &format!("token={token}&action=leave"));
    assert!(body.contains("no more e-mails"));
    d.stop();
    let out = site
        .crier_at(NOW, &["send", "--dry-run", "-v"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("grace@example.org (unsubscribed)"),
        "{stdout}"
    );
    assert!(!std::fs::read_dir(site.path().join("preview/eml"))
        .unwrap()
        .any(|e| e.unwrap().file_name().to_string_lossy().contains("grace@")));
}

#[test]
fn every_message_links_to_preferences_with_an_opaque_token() {
    let site = site(AUDIENCE);
    let out = site.crier_at(NOW, &["send", "--dry-run"]).output().unwrap();
    assert!(out.status.success());
    let text = std::fs::read_to_string(site.path().join("preview/digest.txt")).unwrap();
    let link = text
        .lines()
        .find_map(|l| l.strip_prefix("Manage your preferences: "))
        .expect("the footer links to preferences");
    assert!(link.starts_with("https://meetup.example.com/preferences?token="));
    let token = link.split("token=").nth(1).unwrap();
    let key = crier::email::TokenKey::from_bytes(TEST_KEY.as_bytes());
    assert!(key.verify_preferences(token).is_some());
    let _ = TOKEN_ENV;
}

#[test]
fn the_snippet_form_pasted_into_another_site_subscribes() {
    let site = site(AUDIENCE);
    let out = site.crier_at(NOW, &["snippet", "form"]).output().unwrap();
    assert!(out.status.success());
    let form = String::from_utf8(out.stdout).unwrap();
    assert!(
        form.contains("action=\"https://meetup.example.com/subscribe\""),
        "{form}"
    );
    for field in [
        "name=\"email\"",
        "name=\"name\"",
        "name=\"list\" value=\"members\"",
        "name=\"website\"",
    ] {
        assert!(form.contains(field), "{field} in {form}");
    }
    assert!(
        !form.contains("name=\"ts\""),
        "a static page cannot carry a fresh timestamp"
    );
    // What a browser sends from that form on the Jekyll site (another origin).
    let d = Daemon::start(&site);
    let (status, _, _) = d.request(
        "POST",
        "/subscribe",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", "https://blog.example.org"),
            ("Referer", "https://blog.example.org/about/"),
        ],
        "email=reader%40example.org&name=&list=members&website=",
    );
    assert_eq!(status, 200);
    assert_eq!(
        wait_for(|| confirmations(site.path()), 1)[0].0,
        "reader@example.org"
    );
    let listed = site
        .crier_at(NOW, &["subscribers", "list", "--json"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&listed.stdout)
        .contains("\"page\":\"https://blog.example.org/about/\""));

    let out = site.crier_at(NOW, &["snippet", "head"]).output().unwrap();
    let head = String::from_utf8(out.stdout).unwrap();
    assert_eq!(head.matches("<link rel=\"alternate\"").count(), 3);
    assert!(head.contains("href=\"https://meetup.example.com/atom.xml\""));
}

#[test]
fn turning_reminders_off_keeps_the_digest_and_drops_the_reminder() {
    let site = site(AUDIENCE);
    let key = crier::email::TokenKey::from_bytes(TEST_KEY.as_bytes());
    let token = key.preferences_token(&crier::subscribers::Address::unchecked("ada@example.com"));
    let d = Daemon::start(&site);
    let (_, _, body) = post(
        &d,
        "/preferences",
        &format!("token={token}&list=members&action=save"),
    );
    assert!(body.contains("Your choices are saved"), "{body}");
    d.stop();
    let gets_it = |args: &[&str]| {
        let _ = std::fs::remove_dir_all(site.path().join("preview"));
        let out = site.crier_at(NOW, args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let files: Vec<String> = std::fs::read_dir(site.path().join("preview/eml"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(files.len() > 2, "{files:?}");
        files.iter().any(|f| f.ends_with("-ada@example.com.eml"))
    };
    assert!(
        !gets_it(&["send", "--reminder", "--dry-run"]),
        "no reminder"
    );
    assert!(gets_it(&["send", "--dry-run"]), "the digest still comes");
}

#[test]
fn a_form_filled_faster_than_a_person_can_sends_nothing() {
    let site = site("  form_min_seconds: 30\n");
    let d = Daemon::start(&site);
    let (_, _, home) = d.get("/");
    let ts = home
        .split("name=\"ts\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let (status, _, body) = post(
        &d,
        "/subscribe",
        &format!("email=quick%40example.org&ts={ts}"),
    );
    assert_eq!(status, 200);
    assert!(main_of(&body).contains("Check your inbox"));
    // A forged timestamp is a bot too; a form without one (pasted on another site) is fine.
    post(
        &d,
        "/subscribe",
        "email=forged%40example.org&ts=AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    );
    post(&d, "/subscribe", "email=pasted%40example.org");
    let sent = wait_for(|| confirmations(site.path()), 1);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let all = confirmations(site.path());
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(sent[0].0, "pasted@example.org");
}

#[test]
fn an_address_crafted_as_a_path_never_writes_outside_the_outbox() {
    let site = site(AUDIENCE);
    let d = Daemon::start(&site);
    let crafted = "\"/../../../escaped\"@example.org";
    post(&d, "/subscribe", &format!("email={}", enc(crafted)));
    post(&d, "/subscribe", "email=after%40example.org");
    // The worker handles posts in order: once the second is confirmed, the first is done.
    let sent = wait_for(|| confirmations(site.path()), 2);
    assert!(
        sent.iter().any(|(to, _)| to == "after@example.org"),
        "{sent:?}"
    );
    let parent = site.path().parent().unwrap();
    assert!(!parent.join("escaped\"@example.org.eml").exists());
    for entry in std::fs::read_dir(site.path()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.contains("escaped"), "{name}");
    }
}

#[test]
fn rejoining_one_list_after_unsubscribing_from_all_keeps_the_others_off() {
    let site = site(AUDIENCE);
    let key = crier::email::TokenKey::from_bytes(TEST_KEY.as_bytes());
    let d = Daemon::start(&site);
    // ada is on both CSV lists (members, speakers) and leaves everything from the footer.
    let (status, _, _) = post(
        &d,
        "/unsubscribe",
        &format!(
            "token={}",
            key.token(
                "members",
                &crier::subscribers::Address::unchecked("ada@example.com")
            )
        ),
    );
    assert_eq!(status, 200);
    // Then asks for the workshops list on the form, and confirms.
    post(&d, "/subscribe", "email=ada%40example.com&list=workshops");
    let sent = wait_for(|| confirmations(site.path()), 1);
    assert_eq!(sent.len(), 1, "an unsubscribed person can ask again");
    let (status, _, body) = post(&d, "/confirm", &format!("token={}", sent[0].1));
    assert_eq!(status, 200, "{body}");
    d.stop();
    let listed = store(&site, &["subscribers", "list"]);
    assert!(
        listed.contains("members:unsubscribed speakers:unsubscribed workshops:confirmed"),
        "{listed}"
    );
    let out = site
        .crier_at(NOW, &["send", "--dry-run", "-v"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("ada@example.com (unsubscribed)"),
        "{stdout}"
    );
    let files: Vec<String> = std::fs::read_dir(site.path().join("preview/eml"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        files
            .iter()
            .filter(|f| f.ends_with("-ada@example.com.eml"))
            .count(),
        1,
        "one copy, from the list they chose again: {files:?}"
    );
}

/// A confirmation link replayed after the person left says that nothing changed (not "You
/// are subscribed"), links to their preferences, and subscribes nobody.
#[test]
fn a_confirmation_replayed_after_leaving_changes_nothing_and_says_so() {
    let site = site(AUDIENCE);
    let d = Daemon::start(&site);
    post(&d, "/subscribe", "email=replay%40example.org&list=members");
    let sent = wait_for(|| confirmations(site.path()), 1);
    let token = sent[0].1.clone();
    let (status, _, body) = post(&d, "/confirm", &format!("token={token}"));
    assert_eq!(status, 200, "{body}");
    assert!(main_of(&body).contains("You are subscribed"));
    // They leave an hour later (the daemon's clock is pinned, so the organiser's command
    // records it, as the one-click link would).
    let left = site
        .crier_at(
            "2026-11-25T13:00:00Z",
            &[
                "suppressions",
                "add",
                "replay@example.org",
                "--reason",
                "unsubscribed",
            ],
        )
        .output()
        .unwrap();
    assert!(left.status.success());
    let (status, _, body) = post(&d, "/confirm", &format!("token={token}"));
    assert_eq!(status, 200, "{body}");
    let main = main_of(&body);
    assert!(main.contains("Nothing changed"), "{main}");
    assert!(!main.contains("You are subscribed"), "{main}");
    assert!(
        main.contains("/preferences?token="),
        "links to the preferences: {main}"
    );
    d.stop();
    let listed = store(&site, &["subscribers", "list"]);
    assert!(
        listed.contains("no mail: unsubscribed from everything"),
        "{listed}"
    );
}
