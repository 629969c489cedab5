//! The daemon as a child process, and HTTP/1.1 requests to it over a real socket.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::TempSite;

/// A running `crier run`; killed when dropped.
pub struct Daemon {
    child: Child,
    addr: String,
    printed: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Daemon {
    pub fn start(site: &TempSite) -> Self {
        Self::start_at(site, super::NOW)
    }

    /// Starts the daemon with the clock at `now`.
    pub fn start_at(site: &TempSite, now: &str) -> Self {
        Self::start_with(site, now, &[])
    }

    /// Starts the daemon with the clock at `now` and extra `crier run` arguments.
    pub fn start_with(site: &TempSite, now: &str, extra: &[&str]) -> Self {
        Self::spawn(site, now, extra, Stdio::null())
    }

    /// Starts the daemon with its log (stderr) written to `log`.
    pub fn start_logged(site: &TempSite, now: &str, extra: &[&str], log: &std::path::Path) -> Self {
        let file = std::fs::File::create(log).unwrap();
        Self::spawn(site, now, extra, Stdio::from(file))
    }

    fn spawn(site: &TempSite, now: &str, extra: &[&str], stderr: Stdio) -> Self {
        let mut args = vec!["run", "--bind", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut child = site
            .crier_at(now, &args)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .expect("daemon prints its address")
            .to_owned();
        // Keep reading what it prints: a closed pipe would fail its later writes.
        let printed = std::sync::Arc::new(std::sync::Mutex::new(vec![line]));
        let sink = std::sync::Arc::clone(&printed);
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Daemon {
            child,
            addr,
            printed,
        }
    }

    /// Everything the daemon printed on stdout so far, one line each.
    pub fn printed(&self) -> Vec<String> {
        self.printed.lock().unwrap().clone()
    }

    /// One HTTP/1.1 request; returns (status, headers lower-cased, body).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, Vec<(String, String)>, String) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let text = String::from_utf8_lossy(&response).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
            .collect();
        (status, headers, body.to_owned())
    }

    /// Polls `/healthz` until its body contains every one of `needles`; returns the body.
    pub fn wait_for_health(&self, needles: &[&str]) -> String {
        let started = Instant::now();
        loop {
            let (_, _, body) = self.get("/healthz");
            if needles.iter().all(|n| body.contains(n)) {
                return body;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "/healthz never said {needles:?}; it says:\n{body}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub fn get(&self, path: &str) -> (u16, Vec<(String, String)>, String) {
        self.request("GET", path, &[], "")
    }

    /// The `host:port` it listens on.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The process id (to send it signals).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits (at most 10 s) for the exit code.
    pub fn stop(self) -> Option<i32> {
        unsafe_kill_term(self.child.id());
        self.wait_exit(Duration::from_secs(10))
    }

    /// Waits at most `limit` for the process to exit; its exit code.
    pub fn wait_exit(mut self, limit: Duration) -> Option<i32> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                started.elapsed() < limit,
                "daemon did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn unsafe_kill_term(pid: u32) {
    let status = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success());
}
