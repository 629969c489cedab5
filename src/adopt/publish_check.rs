//! Does the site generator publish crier's private files? When crier lives in a Jekyll or Hugo
//! site, the generator's build copies files from the site folder to the web: crier's config,
//! subscriber lists, the ledger, the outbox, previews and key files must not be among them.
//! Also: are subscriber lists committed to git?

use std::path::{Path, PathBuf};
use std::process::Command;

use super::jekyll::{self, PublishRules, Published};
use crate::config::{key_line, Config};
use crate::diagnostics::Diagnostic;

/// The static-site generator that builds the site folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Generator {
    /// Jekyll (`_config.yml`), with its publish rules.
    Jekyll(PublishRules),
    /// Hugo (`hugo.toml` or `config.toml`, and `content/`): `static/` is copied as is, and
    /// `public/` is its output.
    Hugo,
}

/// Which generator builds `root`, if any.
pub fn detect(root: &Path) -> Option<Generator> {
    if jekyll::config_file(root).is_some() {
        return Some(Generator::Jekyll(PublishRules::of_site(root)));
    }
    let hugo_config = ["hugo.toml", "hugo.yaml", "hugo.json", "config.toml"]
        .iter()
        .any(|name| root.join(name).is_file());
    (hugo_config && root.join("content").is_dir()).then_some(Generator::Hugo)
}

/// A file or folder crier keeps private.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivatePath {
    /// Where it is (absolute, or relative to the working folder like the config's paths).
    pub path: PathBuf,
    /// What it is, for messages: "the ledger".
    pub what: &'static str,
    /// The `crier.yaml` key that sets it, if any.
    pub key: &'static [&'static str],
    /// Whether it is a folder.
    pub is_dir: bool,
}

/// Every private file and folder of the configured site.
pub fn private_paths(config: &Config) -> Vec<PrivatePath> {
    let item = |path: &Path, what, key, is_dir| PrivatePath {
        path: path.to_path_buf(),
        what,
        key,
        is_dir,
    };
    let mut out = vec![item(&config.path, "crier's config", &[], false)];
    let subscribers = config.newsletter.as_ref().map_or_else(
        || config.root.join("subscribers"),
        |n| n.subscribers_dir.clone(),
    );
    out.push(item(
        &subscribers,
        "subscriber lists",
        &["newsletter", "subscribers_dir"],
        true,
    ));
    let db = &config.delivery.state_db;
    out.push(item(db, "the ledger", &["delivery", "state_db"], false));
    for suffix in ["-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        out.push(item(
            Path::new(&name),
            "the ledger's journal",
            &["delivery", "state_db"],
            false,
        ));
    }
    out.push(item(
        &config.delivery.outbox_dir,
        "the outbox of unsent messages",
        &["delivery", "outbox_dir"],
        true,
    ));
    if let Some(n) = &config.newsletter {
        out.push(item(
            &n.preview_dir,
            "the send preview",
            &["newsletter", "preview_dir"],
            true,
        ));
        if let Some(key) = &n.token_key_file {
            out.push(item(
                key,
                "the unsubscribe-token key",
                &["newsletter", "token_key_file"],
                false,
            ));
        }
        if let Some(dkim) = &n.dkim {
            out.push(item(
                &dkim.key_file,
                "the DKIM private key",
                &["newsletter", "dkim", "key_file"],
                false,
            ));
        }
    }
    if let Some(file) = config.smtp.as_ref().and_then(|s| s.password_file.as_ref()) {
        out.push(item(
            file,
            "the SMTP password",
            &["smtp", "password_file"],
            false,
        ));
    }
    if let Some(default_key) = crate::email::tokens::default_key_file() {
        out.push(item(&default_key, "the unsubscribe-token key", &[], false));
    }
    out
}

/// A private file the generator would publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    /// The private file.
    pub private: PrivatePath,
    /// Its path inside the site folder.
    pub rel: PathBuf,
    /// Why it is published.
    pub how: How,
}

/// How a private file reaches the web.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// Jekyll's build copies it.
    JekyllCopies,
    /// It is in Jekyll's destination folder.
    JekyllDestination,
    /// It is under Hugo's `static/`.
    HugoStatic,
    /// It is in Hugo's output folder `public/`.
    HugoPublic,
}

/// The private files of `config` that the site's generator publishes.
pub fn exposures(config: &Config) -> Vec<Exposure> {
    let Some(generator) = detect(&config.root) else {
        return Vec::new();
    };
    let root = resolve(&config.root);
    let mut out = Vec::new();
    for private in private_paths(config) {
        let Ok(rel) = resolve(&private.path)
            .strip_prefix(&root)
            .map(Path::to_path_buf)
        else {
            continue;
        };
        let Some(how) = publishes(&generator, &rel, private.is_dir) else {
            continue;
        };
        // A published folder of lists: name the lists in it (or the folder while empty).
        let mut rels = Vec::new();
        if private.is_dir && private.what == "subscriber lists" {
            if let Ok(entries) = std::fs::read_dir(&private.path) {
                let mut files: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
                    .filter_map(|p| p.file_name().map(|n| rel.join(n)))
                    .filter(|r| publishes(&generator, r, false).is_some())
                    .collect();
                files.sort();
                rels = files;
            }
        }
        if rels.is_empty() {
            rels.push(rel);
        }
        for rel in rels {
            if out.iter().any(|e: &Exposure| e.rel == rel) {
                continue;
            }
            out.push(Exposure {
                private: private.clone(),
                rel,
                how,
            });
        }
    }
    out
}

fn publishes(generator: &Generator, rel: &Path, is_dir: bool) -> Option<How> {
    match generator {
        Generator::Jekyll(rules) => rules.publishes(rel, is_dir).map(|p| match p {
            Published::Copied => How::JekyllCopies,
            Published::InDestination => How::JekyllDestination,
        }),
        Generator::Hugo if rel.starts_with("static") => Some(How::HugoStatic),
        Generator::Hugo if rel.starts_with("public") => Some(How::HugoPublic),
        Generator::Hugo => None,
    }
}

/// An absolute path with symbolic links resolved as far as the path exists.
pub fn resolve(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return rest.iter().rev().fold(real, |p, name| p.join(name));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

/// `crier check`'s errors: one per private file the generator would publish, located at the
/// `crier.yaml` key that puts it there.
pub fn check(config: &Config) -> Vec<Diagnostic> {
    let text = std::fs::read_to_string(&config.path).unwrap_or_default();
    exposures(config)
        .into_iter()
        .map(|e| {
            let line = key_line(&text, e.private.key).unwrap_or(1);
            let name = e.rel.display();
            let what = e.private.what;
            let message = match e.how {
                How::JekyllCopies => format!(
                    "`{name}` ({what}) would be published: Jekyll's build copies it into the site; move it under `_crier/` (Jekyll skips underscore folders) or add it to `exclude:` in _config.yml"
                ),
                How::JekyllDestination => format!(
                    "`{name}` ({what}) is inside Jekyll's output folder, which is what gets deployed: move it under `_crier/` (Jekyll skips underscore folders)"
                ),
                How::HugoStatic => format!(
                    "`{name}` ({what}) would be published: Hugo copies everything under `static/` into the site; move it out of `static/`, e.g. under `_crier/`"
                ),
                How::HugoPublic => format!(
                    "`{name}` ({what}) is inside Hugo's output folder `public/`, which is what gets deployed: move it out, e.g. under `_crier/`"
                ),
            };
            Diagnostic::error(&config.path, line, 1, message)
        })
        .collect()
}

/// The subscriber list files in `dir` that git tracks. Empty when git is missing or `dir` is
/// not in a git work tree.
pub fn tracked_lists(dir: &Path) -> Vec<PathBuf> {
    if !dir.is_dir() {
        return Vec::new();
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    let inside = git(&["rev-parse", "--is-inside-work-tree"])
        .is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "true");
    if !inside {
        return Vec::new();
    }
    let Some(out) = git(&["ls-files", "-z", "--", "."]) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = String::from_utf8_lossy(&out.stdout)
        .split('\0')
        .filter(|p| p.to_ascii_lowercase().ends_with(".csv"))
        .map(|p| dir.join(p))
        .collect();
    files.sort();
    files
}

/// Whether every address on the list is on a domain reserved for examples (RFC 2606:
/// `example.com`, `example.org`, `example.net`, `*.example`): sample data, not personal data,
/// like the lists of crier's own example site.
fn only_reserved_addresses(path: &Path) -> bool {
    let mut any = false;
    let mut all_reserved = true;
    let _ = crate::subscribers::read_list(path, "", |sub| {
        any = true;
        let domain = sub
            .email
            .as_str()
            .rsplit_once('@')
            .map_or("", |(_, d)| d)
            .to_ascii_lowercase();
        let reserved = ["example.com", "example.org", "example.net"]
            .iter()
            .any(|r| domain == *r || domain.ends_with(&format!(".{r}")))
            || domain.ends_with(".example");
        all_reserved &= reserved;
        Ok::<(), std::convert::Infallible>(())
    });
    any && all_reserved
}

/// `crier check`'s warnings: one per subscriber list committed to git (unless it holds only
/// example addresses).
pub fn check_tracked(config: &Config) -> Vec<Diagnostic> {
    let dir = config.newsletter.as_ref().map_or_else(
        || config.root.join("subscribers"),
        |n| n.subscribers_dir.clone(),
    );
    tracked_lists(&dir)
        .into_iter()
        .filter(|path| !only_reserved_addresses(path))
        .map(|path| {
            Diagnostic::warning(
                &path,
                1,
                1,
                "this subscriber list is tracked by git: addresses are personal data, and everyone who can read the repository (everyone, if it is public) can read them; run `git rm --cached` on it and add the folder to .gitignore",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(files: &[(&str, &str)], config: &str) -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        std::fs::write(dir.path().join("crier.yaml"), config).unwrap();
        let config = crate::config::load(dir.path()).unwrap();
        (dir, config)
    }

    const CONFIG: &str = "site:\n  title: T\n  url: https://example.com\n  author: A\nnewsletter:\n  from: { name: N, address: n@example.com }\n";

    fn exposed(config: &Config) -> Vec<String> {
        exposures(config)
            .iter()
            .map(|e| e.rel.display().to_string())
            .collect()
    }

    #[test]
    fn a_plain_folder_publishes_nothing() {
        let (_dir, config) = site(&[("subscribers/a.csv", "email\n")], CONFIG);
        assert_eq!(detect(&config.root), None);
        assert!(exposures(&config).is_empty());
    }

    #[test]
    fn jekyll_publishes_crier_defaults() {
        let (_dir, config) = site(
            &[
                ("_config.yml", "title: x\n"),
                ("subscribers/a.csv", "email\n"),
                ("subscribers/b.csv", "email\n"),
            ],
            CONFIG,
        );
        assert_eq!(
            exposed(&config),
            [
                "crier.yaml",
                "subscribers/a.csv",
                "subscribers/b.csv",
                "state/crier.db",
                "state/crier.db-wal",
                "state/crier.db-shm",
                "outbox",
                "preview"
            ]
        );
        let diagnostics = check(&config);
        assert!(diagnostics.iter().all(Diagnostic::is_error));
        assert!(
            diagnostics[1]
                .message
                .contains("`subscribers/a.csv` (subscriber lists) would be published")
                && diagnostics[1].message.contains("move it under `_crier/`")
                && diagnostics[1].message.contains("`exclude:` in _config.yml"),
            "{}",
            diagnostics[1]
        );
    }

    #[test]
    fn underscore_folders_and_excludes_keep_files_private() {
        let config_text = format!(
            "{CONFIG}  subscribers_dir: _crier/subscribers\n  preview_dir: _site/preview\n  token_key_file: KEY\ndelivery:\n  state_db: _crier/state/crier.db\n  outbox_dir: .outbox\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("keys/token.key");
        std::fs::write(dir.path().join("_config.yml"), "exclude: [crier.yaml]\n").unwrap();
        std::fs::write(
            dir.path().join("crier.yaml"),
            config_text.replace("KEY", &key.display().to_string()),
        )
        .unwrap();
        let config = crate::config::load(dir.path()).unwrap();
        assert_eq!(exposed(&config), ["_site/preview", "keys/token.key"]);
        let d = check(&config);
        assert!(
            d[0].message.contains("inside Jekyll's output folder"),
            "{}",
            d[0]
        );
        assert_eq!(d[0].line, 8, "points at the key");
        assert!(d[1].message.contains("unsubscribe-token key"), "{}", d[1]);
    }

    #[test]
    fn hugo_publishes_static() {
        let (_dir, config) = site(
            &[("hugo.toml", ""), ("content/_index.md", "")],
            &format!("{CONFIG}  subscribers_dir: static/lists\n"),
        );
        assert_eq!(detect(&config.root), Some(Generator::Hugo));
        assert_eq!(exposed(&config), ["static/lists"]);
        assert!(check(&config)[0]
            .message
            .contains("Hugo copies everything under `static/`"));
    }
}
