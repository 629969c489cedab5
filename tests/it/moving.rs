//! Moving a list to a new ledger keeps every choice: `crier subscribers export` from one site,
//! `crier subscribers import` into a fresh site with the same crier.yaml, posts and CSV
//! lists, and the next digest and reminder go to the same people, skip the same people for
//! the same reasons, and the new ledger exports the same file byte for byte.

use crate::common::{TempSite, NOW};

/// The example site with a second list people can join, so one person can be on one list
/// and have left another.
fn site() -> TempSite {
    let site = TempSite::example();
    let config = site.read("crier.yaml")
        + "    - name: talks\n      title: Talk announcements\n      description: A line when a talk is announced.\n";
    site.write("crier.yaml", config);
    site
}

/// `crier <args>` with the clock at `at`; its standard output, after checking it succeeded.
fn run_at(site: &TempSite, at: &str, args: &[&str]) -> String {
    let out = site.crier_at(at, args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every kind of choice a ledger holds, made on different days so that a lost date shows.
fn every_kind_of_choice(site: &TempSite) {
    // Consent from the form (page and client address), and a pending sign-up, as an export
    // of an earlier version wrote them: that format still imports.
    let consent = site.write(
        "earlier-export.csv",
        "email,name,list,status,source,opted_in_at,confirmed_at,page,ip,changed_at,company\n\
         zoe@example.org,\"Zoë \"\"Z\"\" Ng, PhD\",members,confirmed,form,2026-08-30T09:00:00Z,2026-08-30T09:05:00Z,https://meetup.example.com/join/,192.0.2.10,2026-08-30T09:05:00Z,\"Acme, Inc.\"\n\
         pending@example.org,,members,pending,form,2026-08-31T09:00:00Z,,https://meetup.example.com/,198.51.100.4,2026-08-31T09:00:00Z,\n",
    );
    let steps: &[(&str, &[&str])] = &[
        (
            "2026-09-01T10:00:00Z",
            &["subscribers", "import", consent.to_str().unwrap()],
        ),
        // Confirmed on one list, left another.
        (
            "2026-09-05T10:00:00Z",
            &[
                "subscribers",
                "add",
                "both@example.org",
                "--list",
                "members",
                "--name",
                "=Bo Th",
            ],
        ),
        (
            "2026-09-05T10:01:00Z",
            &["subscribers", "add", "both@example.org", "--list", "talks"],
        ),
        (
            "2026-09-20T10:00:00Z",
            &[
                "subscribers",
                "remove",
                "both@example.org",
                "--list",
                "talks",
            ],
        ),
        // Joined after zoe and both: mailed after them, though first by address.
        (
            "2026-09-10T10:00:00Z",
            &[
                "subscribers",
                "add",
                "aaron@example.org",
                "--list",
                "members",
            ],
        ),
        // Reminders turned off.
        (
            "2026-09-12T10:00:00Z",
            &[
                "subscribers",
                "remove",
                "aaron@example.org",
                "--list",
                "reminders",
            ],
        ),
        // In the store and on the speakers CSV list; then left everything.
        (
            "2026-09-15T10:00:00Z",
            &[
                "subscribers",
                "add",
                "tom.okafor@example.org",
                "--list",
                "members",
            ],
        ),
        (
            "2026-10-01T10:00:00Z",
            &["subscribers", "remove", "tom.okafor@example.org"],
        ),
        // On the CSV lists only: no mail at all, with no person stored.
        (
            "2026-10-02T10:00:00Z",
            &[
                "suppressions",
                "add",
                "ada@example.com",
                "--reason",
                "unsubscribed",
                "--detail",
                "link in a message on list members",
            ],
        ),
        (
            "2026-10-03T10:00:00Z",
            &[
                "suppressions",
                "add",
                "linus@example.com",
                "--reason",
                "bounced",
                "--detail",
                "550 5.1.1 <linus@example.com>: no such user",
            ],
        ),
        (
            "2026-10-04T10:00:00Z",
            &[
                "suppressions",
                "add",
                "margaret@example.org",
                "--reason",
                "complained",
                "--detail",
                "feedback report from example.org",
            ],
        ),
        // A stored member whose mail bounced.
        (
            "2026-09-16T10:00:00Z",
            &["subscribers", "add", "kim@example.org", "--list", "talks"],
        ),
        (
            "2026-10-05T10:00:00Z",
            &[
                "suppressions",
                "add",
                "kim@example.org",
                "--reason",
                "bounced",
            ],
        ),
        // Confirmed on a list and no mail at all (as after a one-click unsubscribe): an
        // organiser added someone who had unsubscribed from everything.
        (
            "2026-10-06T10:00:00Z",
            &[
                "suppressions",
                "add",
                "ines@example.org",
                "--reason",
                "unsubscribed",
                "--detail",
                "link in a message on list talks",
            ],
        ),
        (
            "2026-10-07T10:00:00Z",
            &["subscribers", "add", "ines@example.org", "--list", "talks"],
        ),
    ];
    for (at, args) in steps {
        run_at(site, at, args);
    }
}

/// What a dry run of `kind` says (with every skipped address), with the site's folder made
/// the same for both sites, and the preview messages it wrote, by file name.
fn dry_run(site: &TempSite, kind: &[&str]) -> (String, Vec<(String, Vec<u8>)>) {
    let preview = site.path().join("preview");
    let _ = std::fs::remove_dir_all(&preview);
    let args = [&["send", "--dry-run", "-v"], kind].concat();
    let text = run_at(site, NOW, &args).replace(site.path().to_str().unwrap(), "SITE");
    let mut messages: Vec<(String, Vec<u8>)> = std::fs::read_dir(preview.join("eml"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    messages.sort();
    (text, messages)
}

#[test]
fn export_then_import_into_a_new_ledger_keeps_every_choice() {
    let old = site();
    every_kind_of_choice(&old);
    let exported = run_at(&old, NOW, &["subscribers", "export"]);

    let new = site();
    let file = new.write("people.csv", &exported);
    let imported = run_at(
        &new,
        "2026-11-20T08:00:00Z",
        &["subscribers", "import", file.to_str().unwrap()],
    );

    let (old_digest, old_messages) = dry_run(&old, &[]);
    // The scenario holds what it claims: every kind of skip is there to be kept.
    for skipped in [
        "ada@example.com (unsubscribed): unsubscribed on 2026-10-02: link in a message on list members",
        "tom.okafor@example.org (unsubscribed): unsubscribed on 2026-10-01",
        "linus@example.com (bounced): bounced on 2026-10-03: 550 5.1.1",
        "margaret@example.org (complained): complained on 2026-10-04",
        "kim@example.org (bounced): mail to the address bounced",
        "pending@example.org (pending)",
        "ines@example.org (unsubscribed): unsubscribed on 2026-10-06",
    ] {
        assert!(old_digest.contains(skipped), "{skipped} in {old_digest}");
    }
    let (new_digest, new_messages) = dry_run(&new, &[]);
    assert_eq!(new_digest, old_digest, "the digest's dry run");
    let names = |m: &[(String, Vec<u8>)]| m.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&new_messages), names(&old_messages));
    assert!(
        names(&old_messages)
            .iter()
            .any(|n| n.ends_with("-zoe@example.org.eml")),
        "{:?}",
        names(&old_messages)
    );
    assert!(new_messages == old_messages, "the digest's messages differ");

    let (old_reminder, old_messages) = dry_run(&old, &["--reminder"]);
    assert!(
        old_reminder.contains("aaron@example.org (unsubscribed): turned off reminders"),
        "{old_reminder}"
    );
    let (new_reminder, new_messages) = dry_run(&new, &["--reminder"]);
    assert_eq!(new_reminder, old_reminder, "the reminder's dry run");
    assert!(
        new_messages == old_messages,
        "the reminder's messages differ"
    );

    for args in [
        &["subscribers", "export"][..],
        &["suppressions", "list"],
        &["subscribers", "list"],
        &["subscribers", "count"],
    ] {
        assert_eq!(run_at(&new, NOW, args), run_at(&old, NOW, args), "{args:?}");
    }
    assert!(imported.contains("0 rows skipped"), "{imported}");
}

#[test]
fn an_import_keeps_people_out_that_the_new_ledger_already_keeps_out() {
    let old = site();
    every_kind_of_choice(&old);
    let exported = run_at(&old, NOW, &["subscribers", "export"]);

    // In the new ledger zoe already left everything and ines left talks. The file (zoe
    // confirmed on members; ines confirmed on talks, with no mail at all) brings neither
    // back: zoe's own suppression stands, and ines's comes in though her talks row is left
    // alone.
    let new = site();
    let steps: &[(&str, &[&str])] = &[
        (
            "2026-11-01T09:00:00Z",
            &["subscribers", "add", "zoe@example.org"],
        ),
        (
            "2026-11-02T09:00:00Z",
            &["subscribers", "remove", "zoe@example.org"],
        ),
        (
            "2026-11-03T09:00:00Z",
            &["subscribers", "add", "ines@example.org", "--list", "talks"],
        ),
        (
            "2026-11-04T09:00:00Z",
            &[
                "subscribers",
                "remove",
                "ines@example.org",
                "--list",
                "talks",
            ],
        ),
    ];
    for (at, args) in steps {
        run_at(&new, at, args);
    }
    let file = new.write("people.csv", &exported);
    let out = run_at(
        &new,
        "2026-11-20T08:00:00Z",
        &["subscribers", "import", file.to_str().unwrap()],
    );
    for list in ["members", "talks"] {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{list}: ")))
            .unwrap_or_else(|| panic!("{out}"));
        assert!(line.contains("1 left alone"), "{line}");
    }
    let suppressions = run_at(&new, NOW, &["suppressions", "list"]);
    for line in [
        "zoe@example.org\tunsubscribed\t2026-11-02\tremoved with `crier subscribers remove`",
        "ines@example.org\tunsubscribed\t2026-10-06\tlink in a message on list talks",
    ] {
        assert!(suppressions.contains(line), "{line} in {suppressions}");
    }
    let list = run_at(
        &new,
        NOW,
        &["subscribers", "list", "--address", "ines@example.org"],
    );
    assert!(
        list.contains("no mail: unsubscribed from everything on 2026-10-06 (lists: talks)"),
        "{list}"
    );
    let digest = run_at(&new, NOW, &["send", "--dry-run", "-v", "--no-files"]);
    for kept_out in [
        "zoe@example.org (unsubscribed)",
        "ines@example.org (unsubscribed)",
    ] {
        assert!(digest.contains(kept_out), "{kept_out} in {digest}");
    }
}
