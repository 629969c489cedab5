//! Hosting as `docs/src/hosting.md` describes it, with the files it ships in `docs/deploy/`:
//! the daemon behind Debian's real Caddy over HTTPS (sign-up, confirmation and one-click
//! unsubscribe, with the client's address taken from the proxy only), the systemd units
//! checked by `systemd-analyze verify`, the GitHub Pages workflow `crier init --github-pages`
//! writes, the nginx example's headers, and the page showing each file as it is.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::daemon::Daemon;
use crate::common::{repo, TempSite};

/// The files the hosting page ships, and the language of the page's block that shows each.
const DEPLOY_FILES: [(&str, &str); 6] = [
    ("Caddyfile", "text"),
    ("nginx.conf", "nginx"),
    ("crier.service", "ini"),
    ("crier-pull.service", "ini"),
    ("crier-pull.timer", "ini"),
    ("pages.yml", "yaml"),
];

fn deploy_file(name: &str) -> String {
    let path = repo().join("docs/deploy").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Whether a tool a test needs is here. When it is not, the test fails if `require` is set to
/// 1 (CI installs the tool), and otherwise says it skipped on the real stderr, which libtest
/// does not capture, so the skip shows in `cargo test`'s output.
fn tool_here(present: bool, test: &str, require: &str, install: &str) -> bool {
    if present {
        return true;
    }
    if std::env::var(require).is_ok_and(|v| v == "1") {
        panic!("{require}=1 but {test} cannot run: {install}");
    }
    crate::common::skipped(&format!(
        "{test}: {install} (set {require}=1 to make this a failure)"
    ));
    false
}

fn runs(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `caddy run`, with its data, config and home in a temporary folder; killed when
/// dropped, so also when the test fails.
struct Caddy {
    child: Child,
    dir: tempfile::TempDir,
}

impl Caddy {
    /// Starts Caddy with the shipped Caddyfile, changed only to serve `host:port` on the
    /// loopback with its own local CA (`tls internal`) and to proxy to `upstream`. Global
    /// options keep it off the admin port, the system trust store and port 80.
    fn start(host: &str, port: u16, upstream: &str) -> Caddy {
        let dir = tempfile::tempdir().unwrap();
        let shipped = deploy_file("Caddyfile");
        for needle in ["news.example.org {\n", "reverse_proxy 127.0.0.1:27437\n"] {
            assert!(
                shipped.contains(needle),
                "the Caddyfile no longer has {needle:?}"
            );
        }
        let site = shipped
            .replace(
                "news.example.org {\n",
                &format!("{host}:{port} {{\n\tbind 127.0.0.1\n\ttls internal\n"),
            )
            .replace("127.0.0.1:27437", upstream);
        let global = format!(
            "{{\n\tadmin off\n\tskip_install_trust\n\tauto_https disable_redirects\n\thttp_port {}\n}}\n\n",
            free_port()
        );
        let caddyfile = dir.path().join("Caddyfile");
        std::fs::write(&caddyfile, global + &site).unwrap();
        let log = std::fs::File::create(dir.path().join("caddy.log")).unwrap();
        let child = Command::new("caddy")
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&caddyfile)
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start caddy");
        Caddy { child, dir }
    }

    /// The root certificate of Caddy's local CA, once Caddy has written it.
    fn root_cert(&self) -> PathBuf {
        self.dir
            .path()
            .join("data/caddy/pki/authorities/local/root.crt")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("caddy.log")).unwrap_or_default()
    }
}

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer: status, header fields (names lower-cased) and body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// curl as the HTTPS client: it trusts only Caddy's local CA, finds `host` on 127.0.0.1, and
/// connects from 127.0.0.2, so the address Caddy sees is not the one it connects to crier
/// from.
struct Client {
    host: String,
    port: u16,
    ca: PathBuf,
}

impl Client {
    fn url(&self, path: &str) -> String {
        format!("https://{}:{}{path}", self.host, self.port)
    }

    fn request(&self, method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> Answer {
        let mut cmd = Command::new("curl");
        cmd.args(["--silent", "--show-error", "--include", "--max-time", "10"])
            .args(["--interface", "127.0.0.2", "--request", method])
            .arg("--cacert")
            .arg(&self.ca)
            .arg("--resolve")
            .arg(format!("{}:{}:127.0.0.1", self.host, self.port));
        for (name, value) in headers {
            cmd.arg("--header").arg(format!("{name}: {value}"));
        }
        if method == "POST" {
            cmd.args(["--data-binary", body]);
        }
        let out = cmd.arg(url).output().expect("run curl");
        assert!(
            out.status.success(),
            "curl {method} {url}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {head:?}"));
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
            .collect();
        Answer {
            status,
            headers,
            body: body.to_owned(),
        }
    }

    fn get(&self, path: &str) -> Answer {
        self.request("GET", &self.url(path), &[], "")
    }

    fn post_form(&self, url: &str, extra: &[(&str, &str)], body: &str) -> Answer {
        let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
        headers.extend_from_slice(extra);
        self.request("POST", url, &headers, body)
    }

    /// Polls `/healthz` through the proxy until it answers `ok` (Caddy has started, has its
    /// certificate and reaches crier).
    fn wait_until_up(&self, caddy: &Caddy) {
        let started = Instant::now();
        loop {
            if caddy.root_cert().is_file() {
                let out = Command::new("curl")
                    .args(["--silent", "--max-time", "5", "--cacert"])
                    .arg(&self.ca)
                    .arg("--resolve")
                    .arg(format!("{}:{}:127.0.0.1", self.host, self.port))
                    .arg(self.url("/healthz"))
                    .output()
                    .unwrap();
                if String::from_utf8_lossy(&out.stdout).starts_with("ok") {
                    return;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "Caddy did not serve /healthz over HTTPS within 30 s; its log:\n{}",
                caddy.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The example site as the hosting page sets it up: its subscriber pages at the proxy's
/// HTTPS address, `behind_proxy`, and a thanks page on the blog.
fn proxied_site(base: &str) -> TempSite {
    let site = TempSite::example();
    let config = site.read("crier.yaml");
    let old = "unsubscribe_url: https://meetup.example.com/unsubscribe";
    assert!(config.contains(old), "the example site's config changed");
    let config = config.replace(old, &format!("unsubscribe_url: {base}/unsubscribe"));
    let audience =
        "audience:\n  behind_proxy: true\n  thanks_url: https://www.example.com/thanks/\n";
    site.write("crier.yaml", config.replacen("audience:\n", audience, 1));
    site
}

/// The confirmation e-mail in the outbox, parsed: (its confirm link, its one-click
/// unsubscribe URL from `List-Unsubscribe`).
fn confirmation(site: &Path) -> (String, String) {
    let dir = site.join("outbox/confirm");
    let started = Instant::now();
    let path = loop {
        let found = std::fs::read_dir(&dir).into_iter().flatten().find_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "eml").then_some(path)
        });
        if let Some(path) = found {
            break path;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no confirmation e-mail in {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let bytes = std::fs::read(&path).unwrap();
    let message = mail_parser::MessageParser::default()
        .parse(&bytes)
        .expect("the confirmation is a MIME message");
    let text = message.body_text(0).expect("a text part").into_owned();
    let confirm = text
        .split_whitespace()
        .find(|w| w.contains("/confirm?token="))
        .expect("the text part has the confirm link")
        .to_owned();
    let unsubscribe = match message.header("List-Unsubscribe") {
        Some(mail_parser::HeaderValue::Address(a)) => a
            .iter()
            .filter_map(|addr| addr.address())
            .find(|a| a.starts_with("https://"))
            .map(str::to_owned),
        Some(mail_parser::HeaderValue::Text(t)) => t
            .split(['<', '>', ','])
            .find(|s| s.starts_with("https://"))
            .map(str::to_owned),
        _ => None,
    }
    .expect("List-Unsubscribe has an https URL");
    (confirm, unsubscribe)
}

/// The one person who joined through the proxy, as `subscribers list --json` shows them.
fn the_reader(site: &TempSite) -> serde_json::Value {
    let out = site
        .crier_std(&["subscribers", "list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|p| p["address"] == "reader@example.org")
        .expect("the reader is in the store")
}

fn assert_security_headers(answer: &Answer, what: &str) {
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("strict-transport-security", "max-age=31536000"),
    ] {
        assert_eq!(answer.header(name), Some(value), "{what}: {name}");
    }
    let csp = answer.header("content-security-policy").unwrap_or("");
    assert!(csp.contains("default-src 'none'"), "{what}: CSP {csp:?}");
}

#[test]
fn behind_caddy_over_https_a_reader_joins_confirms_and_leaves_with_one_click() {
    let present = runs("caddy", "version") && runs("curl", "--version");
    if !tool_here(
        present,
        "hosting::behind_caddy_over_https_a_reader_joins_confirms_and_leaves_with_one_click",
        "CRIER_REQUIRE_CADDY",
        "needs Debian's caddy and curl: apt-get install caddy curl",
    ) {
        return;
    }
    let (host, port) = ("news.localhost", free_port());
    let site = proxied_site(&format!("https://{host}:{port}"));
    let daemon = Daemon::start(&site);
    let caddy = Caddy::start(host, port, daemon.addr());
    let client = Client {
        host: host.into(),
        port,
        ca: caddy.root_cert(),
    };
    client.wait_until_up(&caddy);

    let home = client.get("/");
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains("name=\"email\""), "the form is served");
    assert_security_headers(&home, "the home page");

    // The form on the blog posts here; the client also sends an X-Forwarded-For of its own.
    let spoofed = [("X-Forwarded-For", "203.0.113.66")];
    let answer = client.post_form(
        &client.url("/subscribe"),
        &spoofed,
        "email=reader%40example.org&list=members",
    );
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(
        answer.header("location"),
        Some("https://www.example.com/thanks/")
    );

    let (confirm, unsubscribe) = confirmation(site.path());
    assert!(
        confirm.starts_with(&client.url("/confirm?token=")),
        "{confirm}"
    );
    assert!(
        unsubscribe.starts_with(&client.url("/unsubscribe?")),
        "{unsubscribe}"
    );
    let page = client.request("GET", &confirm, &spoofed, "");
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_security_headers(&page, "the confirm page");
    let token = url::Url::parse(&confirm)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let body = format!(
        "token={}",
        url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
    );
    let confirmed = client.post_form(&client.url("/confirm"), &spoofed, &body);
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert!(
        confirmed.body.contains("You are subscribed"),
        "{}",
        confirmed.body
    );

    let reader = the_reader(&site);
    let membership = &reader["memberships"][0];
    assert_eq!(membership["status"], "confirmed", "{reader}");
    assert_eq!(
        membership["consent"]["ip"], "127.0.0.2",
        "the address Caddy saw, not the client's X-Forwarded-For nor Caddy's own: {reader}"
    );

    // RFC 8058: the mail client posts `List-Unsubscribe=One-Click` to the header's URL.
    let left = client.post_form(&unsubscribe, &spoofed, "List-Unsubscribe=One-Click");
    assert_eq!(left.status, 200, "{}", left.body);
    assert_security_headers(&left, "the unsubscribe answer");
    let started = Instant::now();
    loop {
        // Leaving everything is an address-wide suppression, which the text listing shows.
        let out = site.crier_std(&["subscribers", "list"]).output().unwrap();
        let listed = String::from_utf8_lossy(&out.stdout).into_owned();
        let line = listed.lines().find(|l| l.starts_with("reader@example.org"));
        if line.is_some_and(|l| l.contains("no mail: unsubscribed from everything")) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still mailed after one-click unsubscribe: {listed}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `systemd-analyze verify` on a copy of each shipped unit whose programs are replaced by real
/// ones (verify checks that they exist): no warning, no error.
#[test]
fn the_systemd_units_verify_without_a_warning() {
    if !tool_here(
        runs("systemd-analyze", "--version"),
        "hosting::the_systemd_units_verify_without_a_warning",
        "CRIER_REQUIRE_SYSTEMD",
        "needs systemd-analyze: apt-get install systemd",
    ) {
        return;
    }
    let crier = assert_cmd::cargo::cargo_bin("crier");
    let git = which("git").expect("git is on PATH");
    let dir = tempfile::tempdir().unwrap();
    let mut units = Vec::new();
    for (name, program, real) in [
        ("crier.service", "/usr/local/bin/crier", &crier),
        ("crier-pull.service", "/usr/bin/git", &git),
        ("crier-pull.timer", "", &git),
    ] {
        let text = deploy_file(name);
        assert!(text.contains(program), "{name} no longer runs {program}");
        let copy = dir.path().join(name);
        let text = if program.is_empty() {
            text
        } else {
            text.replace(program, &real.display().to_string())
        };
        std::fs::write(&copy, text).unwrap();
        units.push(copy);
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(&units)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let about_ours: Vec<&str> = stderr.lines().filter(|l| l.contains("crier")).collect();
    assert!(
        out.status.success() && about_ours.is_empty(),
        "systemd-analyze verify: {}\n{stderr}",
        out.status
    );
    let unit = deploy_file("crier.service");
    for line in [
        "User=crier",
        "WorkingDirectory=/srv/news",
        "ExecStart=/usr/local/bin/crier --site /srv/news run",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=/srv/news/_crier/state /srv/news/_crier/outbox /srv/news/feeds",
        "PrivateTmp=yes",
        "EnvironmentFile=/etc/crier/env",
    ] {
        assert!(
            unit.lines().any(|l| l == line),
            "crier.service lacks {line}"
        );
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// A Jekyll site with nothing of crier's yet.
fn jekyll_site() -> TempSite {
    let site = TempSite {
        dir: tempfile::tempdir().unwrap(),
    };
    site.write(
        "_config.yml",
        "title: Harbour Tech Talks\nurl: https://www.example.com\n",
    );
    site.write(
        "_posts/2026-10-01-october.md",
        "---\ntitle: October\n---\n\nTalks.\n",
    );
    site
}

fn init(site: &TempSite, args: &[&str]) -> (bool, String, String) {
    let out = site.crier_std(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const WORKFLOW: &str = ".github/workflows/crier-pages.yml";

#[test]
fn init_github_pages_writes_the_manual_s_workflow_and_never_overwrites_it() {
    let site = jekyll_site();
    let (ok, stdout, stderr) = init(&site, &["init", "--github-pages"]);
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains(&format!("created {WORKFLOW}")), "{stdout}");
    assert!(
        stdout.contains("created crier.yaml"),
        "a whole set-up: {stdout}"
    );
    assert!(
        stdout.contains("CRIER_GIT") && stdout.contains("CRIER_REF"),
        "{stdout}"
    );
    let written = site.read(WORKFLOW);
    assert_eq!(
        written,
        deploy_file("pages.yml"),
        "the manual's workflow, byte for byte"
    );

    // Run again: crier.yaml is kept, and the edited workflow is not overwritten.
    site.write(WORKFLOW, "# my own edits\n");
    let (ok, stdout, stderr) = init(&site, &["init", "--github-pages"]);
    assert!(!ok, "refuses: {stdout}");
    assert!(
        stderr.contains("crier-pages.yml already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(site.read(WORKFLOW), "# my own edits\n");

    let config = site.read("crier.yaml");
    let (ok, stdout, stderr) = init(&site, &["init", "--github-pages", "--force"]);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("wrote the GitHub Pages workflow"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("edited  {WORKFLOW}: replaced (--force)")),
        "{stdout}"
    );
    assert_eq!(site.read(WORKFLOW), deploy_file("pages.yml"));
    assert_eq!(
        site.read("crier.yaml"),
        config,
        "--force replaced the workflow only"
    );

    // Outside a Jekyll site the workflow would publish crier's private files: refused.
    let starter = TempSite {
        dir: tempfile::tempdir().unwrap(),
    };
    let (ok, _, stderr) = init(&starter, &["init", "--github-pages"]);
    assert!(!ok && stderr.contains("no _config.yml"), "{stderr}");
    assert!(!starter.path().join(WORKFLOW).exists());
    assert!(
        !starter.path().join("crier.yaml").exists(),
        "nothing written"
    );
}

/// The workflow's steps, by what they run or use.
fn steps(job: &serde_yaml::Value) -> Vec<String> {
    job["steps"]
        .as_sequence()
        .expect("steps")
        .iter()
        .map(|s| {
            s["uses"]
                .as_str()
                .or(s["run"].as_str())
                .expect("each step runs or uses something")
                .trim()
                .to_owned()
        })
        .collect()
}

#[test]
fn the_pages_workflow_builds_the_feeds_before_jekyll_and_deploys() {
    let workflow: serde_yaml::Value =
        serde_yaml::from_str(&deploy_file("pages.yml")).expect("pages.yml is YAML");
    assert_eq!(workflow["permissions"]["pages"], "write");
    assert_eq!(workflow["permissions"]["id-token"], "write");
    assert_eq!(workflow["permissions"]["contents"], "read");
    let build = steps(&workflow["jobs"]["build"]);
    let at = |prefix: &str| {
        build
            .iter()
            .position(|s| s.starts_with(prefix))
            .unwrap_or_else(|| panic!("no step {prefix}: {build:#?}"))
    };
    let order = [
        at("actions/checkout@"),
        at("actions/cache@"),
        at("if [ -z \"$CRIER_GIT\" ]"),
        at("crier --site . build"),
        at("actions/configure-pages@"),
        at("actions/jekyll-build-pages@"),
        at("actions/upload-pages-artifact@"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{build:#?}");
    let install = &build[order[2]];
    assert!(install.contains("cargo +stable install --locked --git \"$CRIER_GIT\""));
    let deploy = &workflow["jobs"]["deploy"];
    assert_eq!(deploy["needs"], "build");
    assert_eq!(deploy["environment"]["name"], "github-pages");
    assert_eq!(steps(deploy), ["actions/deploy-pages@v4"]);
}

/// nginx appends the client's address to whatever `X-Forwarded-For` the client sent; crier
/// (with `behind_proxy`) takes the rightmost entry of the last field, and believes it only
/// from a loopback or private peer. So the example must set the header with
/// `$proxy_add_x_forwarded_for`, once, and reach crier over the loopback.
#[test]
fn the_nginx_example_passes_what_behind_proxy_needs() {
    let conf = deploy_file("nginx.conf");
    let directives: Vec<&str> = conf
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect();
    let forwarded: Vec<&&str> = directives
        .iter()
        .filter(|d| d.to_lowercase().contains("x-forwarded-for"))
        .collect();
    assert_eq!(
        forwarded,
        [&"proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"]
    );
    assert!(directives.contains(&"proxy_pass http://127.0.0.1:27437;"));
    assert!(directives.contains(&"proxy_set_header Host $host;"));
    assert!(directives.iter().any(|d| d.starts_with("listen 443 ssl")));
    assert!(directives.iter().any(|d| d.starts_with("ssl_certificate ")));
    assert!(directives
        .iter()
        .any(|d| d.starts_with("add_header Strict-Transport-Security")));
    // Both examples proxy to the daemon's default address.
    assert!(deploy_file("Caddyfile").contains("reverse_proxy 127.0.0.1:27437\n"));
}

/// The hosting page shows every shipped file whole, as it is in `docs/deploy/`.
#[test]
fn the_hosting_page_shows_each_deploy_file_as_shipped() {
    let page = std::fs::read_to_string(repo().join("docs/src/hosting.md")).unwrap();
    for (name, lang) in DEPLOY_FILES {
        let block = format!("```{lang}\n{}```\n", deploy_file(name));
        assert!(
            page.contains(&block),
            "docs/src/hosting.md does not show docs/deploy/{name} as it is (in a ```{lang} block)"
        );
    }
    let shipped: Vec<String> = std::fs::read_dir(repo().join("docs/deploy"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for name in &shipped {
        assert!(
            DEPLOY_FILES.iter().any(|(n, _)| n == name),
            "docs/deploy/{name} is not checked here"
        );
    }
}
