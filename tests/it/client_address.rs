//! The client address the per-IP sign-up limit counts and the consent record keeps, over a
//! real socket: without `audience.behind_proxy`, the socket's address whatever
//! `X-Forwarded-For` says; with it, the address the proxy appended (the rightmost entry of
//! the last field), never the ones a client wrote to its left.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::common::daemon::Daemon;
use crate::common::{TempSite, NOW};

/// The example site with a per-IP limit of 3 and no minimum fill time.
fn site(behind_proxy: bool) -> TempSite {
    let site = TempSite::example();
    let config = site.read("crier.yaml");
    let audience =
        format!("  per_ip_per_hour: 3\n  form_min_seconds: 0\n  behind_proxy: {behind_proxy}\n");
    site.write(
        "crier.yaml",
        config.replacen("audience:\n", &format!("audience:\n{audience}"), 1),
    );
    site
}

/// Sign-up `i` with these `X-Forwarded-For` fields.
fn sign_up(d: &Daemon, i: usize, forwarded: &[String]) {
    let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
    headers.extend(forwarded.iter().map(|f| ("X-Forwarded-For", f.as_str())));
    let (status, _, body) = d.request(
        "POST",
        "/subscribe",
        &headers,
        &format!("email=spoof{i}%40example.org"),
    );
    assert_eq!(status, 200, "{body}");
}

/// How many sign-ups were recorded, by the client address in their consent record; waits
/// until `expected` are there (and a little longer, for any beyond).
fn recorded(site: &TempSite, expected: usize) -> BTreeMap<String, usize> {
    let started = Instant::now();
    loop {
        let out = site
            .crier_at(NOW, &["subscribers", "list", "--json"])
            .output()
            .unwrap();
        let mut by_ip = BTreeMap::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let person: serde_json::Value = serde_json::from_str(line).unwrap();
            if !person["address"]
                .as_str()
                .unwrap_or("")
                .starts_with("spoof")
            {
                continue;
            }
            for m in person["memberships"].as_array().unwrap() {
                let ip = m["consent"]["ip"].as_str().unwrap_or("none").to_owned();
                *by_ip.entry(ip).or_insert(0) += 1;
            }
        }
        let total: usize = by_ip.values().sum();
        if total >= expected && started.elapsed() > Duration::from_millis(500)
            || started.elapsed() > Duration::from_secs(30)
        {
            return by_ip;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn without_behind_proxy_spoofed_forwarded_for_counts_under_the_socket_address() {
    let site = site(false);
    let d = Daemon::start(&site);
    for i in 0..30 {
        sign_up(&d, i, &[format!("198.51.100.{i}, 203.0.113.{i}")]);
    }
    let by_ip = recorded(&site, 3);
    assert_eq!(
        by_ip,
        BTreeMap::from([("127.0.0.1".to_owned(), 3)]),
        "3 sign-ups an hour from the socket's address, none under an invented one"
    );
}

#[test]
fn behind_proxy_only_the_address_the_proxy_appended_counts() {
    let site = site(true);
    let d = Daemon::start(&site);
    // A client's invented entries to the left of what the proxy appended.
    for i in 0..10 {
        sign_up(&d, i, &[format!("198.51.100.{i}, 203.0.113.7")]);
    }
    // A client's own field, then the proxy's appended as a field of its own.
    for i in 10..20 {
        let fields = [format!("198.51.100.{i}"), "203.0.113.8".to_owned()];
        sign_up(&d, i, &fields);
    }
    // A client's field that looks like a whole chain, then the proxy's.
    for i in 20..30 {
        let fields = [
            format!("198.51.100.{i}, 10.0.0.1"),
            "203.0.113.9".to_owned(),
        ];
        sign_up(&d, i, &fields);
    }
    let by_ip = recorded(&site, 9);
    assert_eq!(
        by_ip,
        BTreeMap::from([
            ("203.0.113.7".to_owned(), 3),
            ("203.0.113.8".to_owned(), 3),
            ("203.0.113.9".to_owned(), 3),
        ]),
        "each client's 3 allowed sign-ups, under the address the proxy saw"
    );
}
