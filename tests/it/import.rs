//! `crier subscribers import/export`: Mailchimp's audience export (zip and single files), a
//! Meetup member list, hostile rows, idempotence, and export -> import round trips.

use std::io::Write;

use crate::common::{TempSite, NOW};

fn run(site: &TempSite, args: &[&str]) -> (bool, String, String) {
    let out = site.crier_at(NOW, args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SUBSCRIBED: &str = "Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES,TAGS
amara@example.org,Amara,Okafor,2,2023-03-04 18:02:11,,2023-03-04 18:05:40,198.51.100.7,,,,,,,,2024-01-10 09:00:00,1,abc,,\"Speakers,Helpers\"
both@example.org,Both,Lists,2,2022-01-01 10:00:00,,2022-01-01 10:01:00,,,,,,,,,2022-01-01 10:01:00,2,abd,,
";
const UNSUBSCRIBED: &str = "Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,UNSUB_REASON_OTHER,LEID,EUID,NOTES,TAGS
left@example.org,Left,Early,2,2021-05-05 10:00:00,,2021-05-05 10:10:00,,,,,,,,,2023-06-01 08:00:00,June,c1,NORMAL,,3,abe,,
both@example.org,Both,Lists,2,2022-01-01 10:00:00,,2022-01-01 10:01:00,,,,,,,,,2024-02-02 08:00:00,Feb,c2,NORMAL,,2,abd,,
";
const CLEANED: &str = "Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,CLEAN_TIME,CLEAN_CAMPAIGN_TITLE,CLEAN_CAMPAIGN_ID,LEID,EUID,NOTES,TAGS
gone@example.org,Gone,Away,1,2020-01-01 00:00:00,,2020-01-01 00:01:00,,,,,,,,,2022-09-09 09:09:09,Sept,c3,4,abf,,
";

fn zip(files: &[(&str, &str)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut writer = zip::ZipWriter::new(&mut buf);
    for (name, text) in files {
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.finish().unwrap();
    buf.into_inner()
}

fn export(site: &TempSite) -> Vec<std::collections::HashMap<String, String>> {
    let (ok, out, err) = run(site, &["subscribers", "export"]);
    assert!(ok, "{err}");
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

#[test]
fn a_mailchimp_zip_keeps_consent_and_turns_opt_outs_into_suppressions() {
    let site = TempSite::example();
    site.write(
        "mailchimp.zip",
        zip(&[
            ("unsubscribed_members_export_1a2b.csv", UNSUBSCRIBED),
            ("subscribed_members_export_1a2b.csv", SUBSCRIBED),
            ("cleaned_members_export_1a2b.csv", CLEANED),
        ]),
    );
    let zip_path = site.path().join("mailchimp.zip");
    let zip_arg = zip_path.to_str().unwrap();
    let (ok, out, err) = run(
        &site,
        &[
            "subscribers",
            "import",
            zip_arg,
            "--list",
            "members",
            "--format",
            "mailchimp",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("members: 4 added, 1 updated, 0 unchanged"),
        "{out}"
    );
    let rows = export(&site);
    let row = |a: &str| {
        rows.iter()
            .find(|r| r["email"] == a)
            .unwrap_or_else(|| panic!("{a} in {rows:?}"))
    };
    let amara = row("amara@example.org");
    assert_eq!(amara["status"], "confirmed");
    assert_eq!(amara["name"], "Amara Okafor");
    assert_eq!(amara["source"], "import:mailchimp");
    assert_eq!(amara["opted_in_at"], "2023-03-04T18:02:11Z");
    assert_eq!(amara["confirmed_at"], "2023-03-04T18:05:40Z");
    assert_eq!(amara["ip"], "198.51.100.7");
    assert_eq!(
        amara["tags"], "Speakers,Helpers",
        "unknown columns are attributes"
    );
    assert_eq!(row("left@example.org")["status"], "unsubscribed");
    assert_eq!(row("gone@example.org")["status"], "bounced");
    assert_eq!(
        row("both@example.org")["status"],
        "unsubscribed",
        "the opt-out wins"
    );

    // Idempotent: the same import again changes nothing.
    let (ok, out, _) = run(
        &site,
        &[
            "subscribers",
            "import",
            zip_arg,
            "--list",
            "members",
            "--format",
            "mailchimp",
        ],
    );
    assert!(ok);
    assert!(
        out.contains("0 added, 0 updated, 4 unchanged, 1 left alone"),
        "{out}"
    );

    // The next send goes to the subscribed member and never to the opted-out ones.
    let (ok, out, err) = run(&site, &["send", "--dry-run", "-v"]);
    assert!(ok, "{err}");
    assert!(out.contains("left@example.org (unsubscribed)") || !out.contains("left@example.org"));
    let names: Vec<String> = std::fs::read_dir(site.path().join("preview/eml"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with("-amara@example.org.eml")),
        "{names:?}"
    );
    for gone in ["left@", "gone@", "both@"] {
        assert!(
            !names.iter().any(|n| n.contains(gone)),
            "{gone} in {names:?}"
        );
    }
}

#[test]
fn each_mailchimp_file_alone_is_told_apart_by_its_columns() {
    let site = TempSite::example();
    let path = site.write("cleaned.csv", CLEANED);
    let (ok, _, err) = run(
        &site,
        &[
            "subscribers",
            "import",
            path.to_str().unwrap(),
            "--list",
            "members",
            "--format",
            "mailchimp",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(export(&site)[0]["status"], "bounced");
    // A cleaned address is suppressed for every list, CSV lists included.
    site.write("subscribers/speakers.csv", "email\ngone@example.org\n");
    let (_, out, _) = run(&site, &["send", "--dry-run", "-v"]);
    assert!(out.contains("gone@example.org (bounced)"), "{out}");
}

#[test]
fn mailchimp_opt_outs_are_dated_when_mailchimp_recorded_them_not_on_the_import_day() {
    let site = TempSite::example();
    for (name, text) in [("unsubscribed.csv", UNSUBSCRIBED), ("cleaned.csv", CLEANED)] {
        let path = site.write(name, text);
        let (ok, _, err) = run(
            &site,
            &[
                "subscribers",
                "import",
                path.to_str().unwrap(),
                "--list",
                "members",
                "--format",
                "mailchimp",
            ],
        );
        assert!(ok, "{err}");
    }
    let (ok, suppressions, err) = run(&site, &["suppressions", "list"]);
    assert!(ok, "{err}");
    for line in [
        "both@example.org\tunsubscribed\t2024-02-02\timport:mailchimp (members)",
        "gone@example.org\tbounced\t2022-09-09\timport:mailchimp (members)",
        "left@example.org\tunsubscribed\t2023-06-01\timport:mailchimp (members)",
    ] {
        assert!(suppressions.contains(line), "{line} in {suppressions}");
    }
    let (_, list, _) = run(&site, &["subscribers", "list"]);
    assert!(
        list.contains("left@example.org\tLeft Early\tno mail: unsubscribed from everything on 2023-06-01 (lists: members)"),
        "{list}"
    );
    // The membership changed then too, and the consent times are Mailchimp's.
    let rows = export(&site);
    let left = rows
        .iter()
        .find(|r| r["email"] == "left@example.org")
        .unwrap();
    assert_eq!(left["changed_at"], "2023-06-01T08:00:00Z");
    assert_eq!(left["suppressed_at"], "2023-06-01T08:00:00Z");
    assert_eq!(left["opted_in_at"], "2021-05-05T10:00:00Z");
    assert_eq!(left["confirmed_at"], "2021-05-05T10:10:00Z");
    let gone = rows
        .iter()
        .find(|r| r["email"] == "gone@example.org")
        .unwrap();
    assert_eq!(gone["changed_at"], "2022-09-09T09:09:09Z");
}

#[test]
fn a_meetup_member_list_imports_with_join_dates() {
    let site = TempSite::example();
    let path = site.write(
        "meetup.csv",
        "Name,Member ID,Title,Location,Joined Group on,Last visited group on,Email,Mailing List,URL of Member Profile
Kai Example,101,,London,11/20/2019,11/01/2026,kai@example.org,Yes,https://www.meetup.example.org/members/101
Quiet Member,102,,London,01/05/2021,10/01/2026,quiet@example.org,No,https://www.meetup.example.org/members/102
No Mail,103,,London,01/05/2021,10/01/2026,,Yes,https://www.meetup.example.org/members/103
",
    );
    let (ok, out, err) = run(
        &site,
        &[
            "subscribers",
            "import",
            path.to_str().unwrap(),
            "--list",
            "members",
            "--format",
            "meetup",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("2 added"), "{out}");
    assert!(
        err.contains("meetup.csv:4:1") && err.contains("invalid address"),
        "{err}"
    );
    let rows = export(&site);
    let kai = rows
        .iter()
        .find(|r| r["email"] == "kai@example.org")
        .unwrap();
    assert_eq!(kai["opted_in_at"], "2019-11-20T00:00:00Z");
    assert_eq!(kai["location"], "London");
    assert_eq!(kai["name"], "Kai Example");
    let quiet = rows
        .iter()
        .find(|r| r["email"] == "quiet@example.org")
        .unwrap();
    assert_eq!(
        quiet["status"], "unsubscribed",
        "members who turned group mail off stay off"
    );
}

#[test]
fn hostile_rows_are_skipped_with_file_and_line_and_the_rest_imports() {
    let site = TempSite::example();
    let big = "x".repeat(1 << 20);
    let path = site.write(
        "hostile.csv",
        format!(
            "email,name,notes\n\
             ok@example.org,\"Line\r\nBreak\",fine\n\
             big@example.org,Big,{big}\n\
             not-an-address,Bad,\n\
             \"evil@example.org\r\nBcc: victim@example.org\",Evil,\n\
             =cmd@example.org,\"=HYPERLINK(\"\"http://spam.example\"\")\",\n\
             ok@example.org,Again,\n"
        ),
    );
    let (ok, out, err) = run(
        &site,
        &[
            "subscribers",
            "import",
            path.to_str().unwrap(),
            "--list",
            "members",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("members: 2 added"), "{out}");
    assert!(out.contains("4 rows skipped"), "{out}");
    for needle in [
        "hostile.csv:4:1: error: column `notes` is 1048576 bytes",
        "hostile.csv:5:1: error: invalid address 'not-an-address'",
        "hostile.csv:6:1: error: invalid address 'evil@example.org\\r\\nBcc",
        "hostile.csv:9:1: error: duplicate address 'ok@example.org' (first on line 2)",
    ] {
        assert!(err.contains(needle), "{needle} in {err}");
    }
    let rows = export(&site);
    let ok_row = rows
        .iter()
        .find(|r| r["email"] == "ok@example.org")
        .unwrap();
    assert_eq!(
        ok_row["name"], "Line Break",
        "CR/LF in a name becomes a space"
    );
    // A formula is made inert in the export.
    let (_, raw, _) = run(&site, &["subscribers", "export"]);
    assert!(
        raw.contains("'=HYPERLINK") && raw.contains("'=cmd@example.org"),
        "{raw}"
    );
}

#[test]
fn export_then_import_round_trips_with_consent() {
    let a = TempSite::example();
    let path = a.write("mc.csv", SUBSCRIBED);
    assert!(
        run(
            &a,
            &[
                "subscribers",
                "import",
                path.to_str().unwrap(),
                "--list",
                "members",
                "--format",
                "mailchimp"
            ]
        )
        .0
    );
    assert!(
        run(
            &a,
            &[
                "subscribers",
                "add",
                "hand@example.org",
                "--name",
                "=By Hand"
            ]
        )
        .0
    );
    assert!(
        run(
            &a,
            &[
                "subscribers",
                "remove",
                "both@example.org",
                "--list",
                "members"
            ]
        )
        .0
    );
    let (_, first, _) = run(&a, &["subscribers", "export"]);

    // Imported a week later: the rows keep their own dates.
    let b = TempSite::example();
    let dump = b.write("dump.csv", &first);
    let out = b
        .crier_at(
            "2026-12-02T08:00:00Z",
            &["subscribers", "import", dump.to_str().unwrap()],
        )
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("members: 3 added"), "{stdout}");
    let (_, second, _) = run(&b, &["subscribers", "export"]);
    assert_eq!(second, first);
}

#[test]
fn one_person_s_data_can_be_exported_alone() {
    let site = TempSite::example();
    assert!(
        run(
            &site,
            &["subscribers", "add", "me@example.org", "--name", "Me"]
        )
        .0
    );
    assert!(run(&site, &["subscribers", "add", "other@example.org"]).0);
    let (ok, out, _) = run(
        &site,
        &["subscribers", "export", "--address", "ME@example.org"],
    );
    assert!(ok);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.contains("me@example.org,Me,members,confirmed,cli,"));
    let (_, json, _) = run(
        &site,
        &[
            "subscribers",
            "list",
            "--json",
            "--address",
            "me@example.org",
        ],
    );
    assert_eq!(json.lines().count(), 1);
    assert!(!json.contains("other@"));
}

#[test]
fn remove_erase_forgets_everything() {
    let site = TempSite::example();
    assert!(
        run(
            &site,
            &[
                "subscribers",
                "add",
                "forget@example.org",
                "--name",
                "Forget Me"
            ]
        )
        .0
    );
    assert!(run(&site, &["send"]).0, "a send records a delivery to them");
    let db = site.path().join("state/crier.db");
    let count = |needle: &str| rusqlite_free_count(&db, needle);
    assert!(count("forget@example.org") > 0);
    let (ok, out, _) = run(
        &site,
        &["subscribers", "remove", "forget@example.org", "--erase"],
    );
    assert!(ok);
    assert!(out.contains("erased"));
    assert_eq!(
        count("forget@example.org"),
        0,
        "no trace left in the database file"
    );
    assert!(run(&site, &["subscribers", "export"]).1.lines().count() <= 1);
}

/// How often `needle` occurs in the database file's bytes (WAL checkpointed first by
/// opening it with the CLI), without a SQLite client: erasure means the bytes are gone.
fn rusqlite_free_count(db: &std::path::Path, needle: &str) -> i64 {
    let mut total = 0;
    for file in [db.to_path_buf(), db.with_extension("db-wal")] {
        if let Ok(bytes) = std::fs::read(&file) {
            total += bytes
                .windows(needle.len())
                .filter(|w| *w == needle.as_bytes())
                .count() as i64;
        }
    }
    total
}
