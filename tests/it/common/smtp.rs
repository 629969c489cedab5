//! The test SMTP server (`tests/support/smtp_server.py`, aiosmtpd) as a child process.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::repo;

/// A running test SMTP server; killed when dropped.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl SmtpServer {
    pub fn start(dir: &Path, args: &[&str]) -> Option<Self> {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let available = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !available {
            if std::env::var("CRIER_REQUIRE_PYTHON").is_ok_and(|v| v == "1") {
                panic!("CRIER_REQUIRE_PYTHON=1 but aiosmtpd is missing: python3 -m pip install aiosmtpd");
            }
            crate::common::skipped("python3 with aiosmtpd not found");
            return None;
        }
        let mut child = Command::new(python)
            .arg(repo().join("tests/support/smtp_server.py"))
            .arg("--dir")
            .arg(dir)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start SMTP server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .expect("server prints its port");
        Some(SmtpServer {
            child,
            port,
            dir: dir.to_path_buf(),
        })
    }

    /// Recipient -> Message-IDs of the messages the server accepted for it.
    pub fn received(&self) -> HashMap<String, Vec<String>> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        let Ok(text) = std::fs::read_to_string(self.dir.join("index.jsonl")) else {
            return out;
        };
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            for to in v["to"].as_array().unwrap() {
                out.entry(to.as_str().unwrap().to_lowercase())
                    .or_default()
                    .push(v["message_id"].as_str().unwrap_or("").to_owned());
            }
        }
        out
    }

    pub fn count(&self) -> usize {
        std::fs::read_to_string(self.dir.join("index.jsonl"))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
