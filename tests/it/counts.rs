//! `crier check`, `crier send --dry-run`, `crier status` and `crier subscribers count` count
//! the next digest's audience the same way: the CSV lists and the subscriber store, minus the
//! people left out, counted by reason.

use std::collections::BTreeMap;

use crate::common::TempSite;

fn stdout(site: &TempSite, args: &[&str]) -> String {
    let out = site.crier(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `… N recipients (each address once); left out: 1 duplicate, 2 unsubscribed`, read back.
fn described(line: &str) -> (usize, BTreeMap<String, usize>) {
    let (head, tail) = line
        .split_once(" recipients")
        .unwrap_or_else(|| panic!("{line}"));
    let recipients = head.rsplit(' ').next().unwrap().parse().unwrap();
    let mut left_out = BTreeMap::new();
    if let Some((_, reasons)) = tail.split_once("left out: ") {
        for part in reasons.split(", ") {
            let (n, reason) = part.split_once(' ').unwrap();
            left_out.insert(reason.to_owned(), n.parse().unwrap());
        }
    }
    (recipients, left_out)
}

#[test]
fn every_command_counts_the_same_audience_with_the_same_reasons() {
    let site = TempSite::example();
    // The store: one confirmed by an organiser, one who left, one pending (imported), one
    // suppressed; and the CSVs' duplicate (ada is on both lists).
    stdout(
        &site,
        &[
            "subscribers",
            "add",
            "stored@example.org",
            "--list",
            "members",
        ],
    );
    stdout(
        &site,
        &[
            "subscribers",
            "add",
            "leaver@example.org",
            "--list",
            "members",
        ],
    );
    stdout(
        &site,
        &[
            "subscribers",
            "remove",
            "leaver@example.org",
            "--list",
            "members",
        ],
    );
    let file = site.write("pending.csv", "email,status\npending@example.org,pending\n");
    let file = file.to_string_lossy().into_owned();
    stdout(
        &site,
        &["subscribers", "import", &file, "--list", "members"],
    );
    stdout(
        &site,
        &[
            "suppressions",
            "add",
            "linus@example.com",
            "--reason",
            "bounced",
        ],
    );

    let dry: serde_json::Value = serde_json::from_str(&stdout(
        &site,
        &["send", "--dry-run", "--no-files", "--json"],
    ))
    .unwrap();
    let recipients = dry["recipients"].as_u64().unwrap() as usize;
    let skipped: BTreeMap<String, usize> = dry["skipped"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap() as usize))
        .collect();
    for reason in ["duplicate", "unsubscribed", "bounced"] {
        assert!(skipped.contains_key(reason), "{reason}: {skipped:?}");
    }
    let check = stdout(&site, &["check"]);
    let line = check
        .lines()
        .find(|l| l.starts_with("newsletter: "))
        .unwrap_or_else(|| panic!("{check}"));
    assert_eq!(
        described(line),
        (recipients, skipped.clone()),
        "check: {line}"
    );
    let status = stdout(&site, &["status"]);
    let line = status
        .lines()
        .find(|l| l.starts_with("next digest: "))
        .unwrap_or_else(|| panic!("{status}"));
    assert_eq!(
        described(line),
        (recipients, skipped.clone()),
        "status: {line}"
    );
    let count = stdout(&site, &["subscribers", "count"]);
    assert!(
        count.contains(&format!("digest\tall\trecipients\t{recipients}")),
        "{count}"
    );
    for (reason, n) in &skipped {
        assert!(
            count.contains(&format!("digest\tall\tleft out: {reason}\t{n}")),
            "{count}"
        );
    }
}
