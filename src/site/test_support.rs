//! Test support: small sites built in a temporary folder, with the repository's templates.

use std::path::Path;

use crate::clock::Clock;
use crate::site::Site;

/// Writes a site with two recaps (October and November 2026) and a `members` list of
/// `members` addresses `m0@example.com`..., plus the extra CSV rows given.
pub fn write_site(dir: &Path, members: usize, extra_rows: &[&str]) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = format!(
        "site:\n  title: Test Meetup\n  url: https://meetup.example.com\n  author: Organisers\n  timezone: Europe/London\n\
         newsletter:\n  from: {{ name: Test Meetup, address: news@example.com }}\n  recap_tag: Meetup\n  templates_dir: {}\n",
        repo.join("templates").display()
    );
    std::fs::write(dir.join("crier.yaml"), config).unwrap();
    std::fs::create_dir_all(dir.join("posts")).unwrap();
    for name in [
        "2026-10-15-riverside-cloud-native-october-2026.md",
        "2026-11-12-riverside-cloud-native-november-2026.md",
    ] {
        std::fs::copy(repo.join("posts").join(name), dir.join("posts").join(name)).unwrap();
    }
    std::fs::create_dir_all(dir.join("subscribers")).unwrap();
    let mut csv = String::from("email,name\n");
    for i in 0..members {
        csv.push_str(&format!("m{i}@example.com,Member {i}\n"));
    }
    for row in extra_rows {
        csv.push_str(row);
        csv.push('\n');
    }
    std::fs::write(dir.join("subscribers/members.csv"), csv).unwrap();
}

/// Loads the site in `dir` with the clock at `now`.
pub fn load(dir: &Path, now: &str) -> Site {
    let clock = Clock::fixed(chrono::DateTime::parse_from_rfc3339(now).unwrap());
    crate::site::load(dir, &clock).unwrap()
}
