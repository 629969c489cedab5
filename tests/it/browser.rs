//! The subscribe flow in a real browser (Debian's headless Chromium, driven over the DevTools
//! protocol by `tests/support/browser.py`), with the confirmation e-mail delivered over SMTP
//! to the test server: open `/`, subscribe, read the e-mail, open its link, press the button.
//! Pages are checked for horizontal scrolling at 390 and 1280 px and screenshotted (into the
//! test's scratch folder, never the repository).

use std::path::Path;
use std::process::Command;

use crate::common::daemon::Daemon;
use crate::common::smtp::SmtpServer;
use crate::common::{repo, TempSite, NOW};

/// Whether Chromium and the driver's Python package are here; with CRIER_REQUIRE_BROWSER=1
/// (as in CI) their absence fails the test instead of skipping it.
pub(crate) fn browser_available() -> bool {
    let chromium = ["chromium", "chromium-browser"].iter().any(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let driver = Command::new("python3")
        .args(["-c", "import websocket"])
        .output()
        .is_ok_and(|o| o.status.success());
    if chromium && driver {
        return true;
    }
    if std::env::var("CRIER_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
        panic!("CRIER_REQUIRE_BROWSER=1 but chromium ({chromium}) or python3 websocket-client ({driver}) is missing");
    }
    crate::common::skipped("chromium or python3 websocket-client not found");
    false
}

/// Runs browser steps; panics with the driver's report if one fails.
pub(crate) fn browse(dir: &Path, name: &str, steps: serde_json::Value) {
    let file = dir.join(format!("{name}.json"));
    std::fs::write(&file, steps.to_string()).unwrap();
    let out = Command::new("python3")
        .arg(repo().join("tests/support/browser.py"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "browser steps `{name}` failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_person_subscribes_and_confirms_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let Some(smtp) = SmtpServer::start(&scratch.path().join("smtp"), &[]) else {
        return;
    };
    let site = TempSite::example();
    let config = site
        .read("crier.yaml")
        .replace("audience:\n", "audience:\n  form_min_seconds: 1\n");
    site.write(
        "crier.yaml",
        format!(
            "{config}\nsmtp:\n  host: 127.0.0.1\n  port: {}\n  security: none\n  timeout_seconds: 10\n\
             ",
            smtp.port
        ),
    );
    let d = Daemon::start_with(&site, NOW, &["--no-send"]);
    let base = format!("http://{}", d.addr());
    let shot = |name: &str| scratch.path().join(name).to_string_lossy().into_owned();
    browse(
        scratch.path(),
        "subscribe",
        serde_json::json!([
            {"open": format!("{base}/"), "width": 1280},
            {"no_hscroll": true},
            {"open": format!("{base}/"), "width": 390},
            {"no_hscroll": true},
            {"screenshot": shot("home-390.png")},
            {"fill": "#email", "value": "browser@example.org"},
            {"fill": "#name", "value": "Bea Browser"},
            {"wait": 1.3},
            {"click": "form button[type=submit]"},
            {"expect": "h1", "text": "Check your inbox"},
            {"no_hscroll": true},
        ]),
    );
    let started = std::time::Instant::now();
    while smtp.count() == 0 && started.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(
        smtp.received().get("browser@example.org").map(Vec::len),
        Some(1)
    );
    let eml = std::fs::read(smtp.dir.join("000001.eml")).unwrap();
    let message = mail_parser::MessageParser::default().parse(&eml).unwrap();
    let html = message.body_html(0).unwrap().into_owned();
    let link = html
        .split("href=\"")
        .find(|s| s.starts_with("https://meetup.example.com/confirm?token="))
        .and_then(|s| s.split('"').next())
        .expect("the HTML part has the confirm button")
        .replace("https://meetup.example.com", &base);
    browse(
        scratch.path(),
        "confirm",
        serde_json::json!([
            {"open": link, "width": 390},
            {"expect": "h1", "text": "Confirm your subscription"},
            {"no_hscroll": true},
            {"screenshot": shot("confirm-390.png")},
            {"click": "form button[type=submit]"},
            {"expect": "h1", "text": "You are subscribed"},
        ]),
    );
    assert!(
        std::fs::metadata(scratch.path().join("home-390.png"))
            .unwrap()
            .len()
            > 1000
    );
    d.stop();
    let out = site
        .crier_at(NOW, &["subscribers", "list"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("browser@example.org\tBea Browser\tmembers:confirmed"));
    let out = site.crier_at(NOW, &["send", "--dry-run"]).output().unwrap();
    assert!(out.status.success());
    assert!(std::fs::read_dir(site.path().join("preview/eml"))
        .unwrap()
        .any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with("-browser@example.org.eml")));
}
