//! The daemon serves only regular files whose real path is inside the public folder: a
//! symlink placed there that leads out of it (to a file, to a folder), or a FIFO, gets the
//! same 404 as a missing file, and quickly; a symlink that stays inside is served. Both the
//! feed files and the archive's files are checked, over a real socket.

use std::os::unix::fs::symlink;
use std::time::{Duration, Instant};

use crate::common::daemon::Daemon;
use crate::common::TempSite;

/// The answer to `GET path`, which must come within two seconds.
fn get_quickly(d: &Daemon, path: &str) -> (u16, String) {
    let started = Instant::now();
    let (status, _, body) = d.get(path);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{path} took {:?}",
        started.elapsed()
    );
    (status, body)
}

/// Creates a FIFO (std has no call for it).
fn mkfifo(path: &std::path::Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn symlinks_out_of_the_public_folder_and_fifos_are_not_served() {
    let site = TempSite::example();
    let d = Daemon::start_with(&site, crate::common::NOW, &["--no-send"]);
    let public = site.path().join("public");
    let secret = site.write("private/secret.xml", "<secret>ledger bytes</secret>");
    site.write("private/rss.xml", "<secret>a folder outside</secret>");
    symlink(&secret, public.join("leak.xml")).unwrap();
    symlink("../private/secret.xml", public.join("relative-leak.xml")).unwrap();
    symlink("/etc/passwd", public.join("passwd.xml")).unwrap();
    symlink(site.path().join("private"), public.join("outside")).unwrap();
    symlink("../crier.yaml", public.join("tags/config.xml")).unwrap();
    mkfifo(&public.join("pipe.xml"));
    // Inside symlinks: a file and a folder.
    symlink("rss.xml", public.join("latest.xml")).unwrap();
    symlink("tags", public.join("labels")).unwrap();
    // The archive's files follow the same rule.
    std::fs::create_dir_all(public.join("archive")).unwrap();
    symlink(&secret, public.join("archive/index.html")).unwrap();
    symlink(site.path().join("private"), public.join("archive/leak")).unwrap();
    site.write("private/index.html", "<p>secret page</p>");
    mkfifo(&public.join("archive/feed.xml"));

    for path in [
        "/leak.xml",
        "/relative-leak.xml",
        "/passwd.xml",
        "/outside/rss.xml",
        "/tags/config.xml",
        "/pipe.xml",
        "/archive/",
        "/archive/index.html",
        "/archive/leak/",
        "/archive/feed.xml",
    ] {
        let (status, body) = get_quickly(&d, path);
        assert_eq!(status, 404, "{path} is served: {body}");
        assert!(
            !body.contains("secret") && !body.contains("root:"),
            "{path}: {body}"
        );
        assert_eq!(
            (status, body.clone()),
            get_quickly(&d, "/missing.xml"),
            "{path}: the same answer as a missing file"
        );
    }

    let (status, body) = get_quickly(&d, "/latest.xml");
    assert_eq!(status, 200, "a symlink inside the folder: {body}");
    assert_eq!(body, site.read("public/rss.xml"));
    let (status, body) = get_quickly(&d, "/labels/meetup/atom.xml");
    assert_eq!(status, 200, "a symlinked folder inside: {body}");
    assert_eq!(body, site.read("public/tags/meetup/atom.xml"));

    // The daemon is not stuck on the FIFO: it still answers, and stops cleanly.
    assert_eq!(get_quickly(&d, "/rss.xml").0, 200);
    assert_eq!(d.stop(), Some(0));
}
