//! The promise behind `crier check`: whatever it accepts, `build` and `send --dry-run` handle
//! without a panic, an abort or a hang, within a memory bound. Random mutations of the example
//! site (posts, a subscriber row, the subject template) go through the real binary; a run that
//! exits with a code other than 0 or 1, dies of a signal, takes over 20 s or needs over 4 GB
//! of address space fails the test.

use std::process::Stdio;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use crate::common::TempSite;
use crate::hardening_props::{apply, mutation, Mutation};

const CSV_ROWS: &[&str] = &[
    "\"a@example.com\r\nBcc: x@example.com\",Evil",
    "b@example.com,\"Name\r\nwith break\"",
    "not an address,Nobody",
    ",,,,,,,,",
    "\u{feff}c@example.com,Bom",
    "d@example.com,\"unterminated",
];

/// Runs the binary under a 4 GB address-space limit; `None` if it had to be killed.
fn run(site: &TempSite, args: &[&str]) -> Option<std::process::ExitStatus> {
    let cmd = site.crier_std(args);
    let mut limited = std::process::Command::new("sh");
    limited
        .arg("-c")
        .arg("ulimit -v 4000000; exec \"$@\"")
        .arg("sh")
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = limited.spawn().unwrap();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn post_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(crate::common::repo().join("posts"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".md"))
        .collect();
    names.sort();
    names
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn what_check_accepts_build_and_send_handle(
        edits in prop::collection::vec((any::<prop::sample::Index>(), mutation()), 1..4),
        row in prop::option::of(prop::sample::select(CSV_ROWS.to_vec())),
        subject in prop::option::of(prop::sample::select(vec!["{{site.title}}: {{#each recaps}}{{title}} {{/each}}", "{{subscriber.name}}", "{{#if event}}{{event.title}}{{/if}}"])),
    ) {
        let site = TempSite::example();
        let names = post_names();
        for (index, edit) in &edits {
            let name = index.get(&names);
            // An earlier edit may have left the file as bytes that are not UTF-8.
            let bytes = std::fs::read(site.path().join("posts").join(name)).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let edit: &Mutation = edit;
            site.write(&format!("posts/{name}"), apply(&text, edit));
        }
        if let Some(row) = row {
            let csv = site.read("subscribers/members.csv");
            site.write("subscribers/members.csv", format!("{csv}{row}\n"));
        }
        if let Some(subject) = subject {
            let config = site.read("crier.yaml");
            let line = config.lines().find(|l| l.trim_start().starts_with("subject:")).unwrap().to_owned();
            site.write("crier.yaml", config.replace(&line, &format!("  subject: \"{subject}\"")));
        }
        let check = run(&site, &["check"]);
        prop_assert!(check.is_some(), "check hung");
        let check = check.unwrap();
        prop_assert!(matches!(check.code(), Some(0 | 1)), "check: {check:?}");
        if check.code() == Some(0) {
            for args in [&["build"][..], &["send", "--dry-run", "--no-files"]] {
                let status = run(&site, args);
                prop_assert!(status.is_some(), "{args:?} hung after check passed");
                let status = status.unwrap();
                prop_assert!(matches!(status.code(), Some(0 | 1)), "{args:?}: {status:?} after check passed");
            }
        }
    }
}
