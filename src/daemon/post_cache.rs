//! The posts as last loaded, so that a rebuild reads and parses only the post files that
//! changed: the posts folder is listed and every file `stat`ed (cheap), and a file is read
//! again only when its stamp (length, modification and change times, inode) differs from the
//! one it was loaded with, or when it appeared. The report is then assembled from every
//! file's result exactly as a full load does ([`content::assemble`]), so the feeds are the
//! same bytes.
//!
//! A file modified within [`RACY`] of being loaded is not trusted: file systems keep times
//! at the granularity of the kernel's clock tick, so a second write in the same tick, of the
//! same length, would leave the stamp unchanged (git's "racy clean" problem). Such files are
//! read again at every rebuild until they are old enough.
//!
//! When the watcher names the files that changed, [`PostCache::load_changed`] does not even
//! list the folder: it loads those files (or forgets them if they are gone) and reuses the
//! others, falling back to the full listing when a folder appeared or went.
//!
//! Everything is dropped when the config changes (it decides how posts parse and render).

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rayon::prelude::*;

use crate::clock::Clock;
use crate::config::Config;
use crate::content::{self, FileLoad, LoadReport, Post, PostError, Status};
use crate::diagnostics::Diagnostic;

/// How recently modified a file must not be for its stamp to be trusted.
const RACY: Duration = Duration::from_secs(2);

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    changed: (i64, i64),
    #[cfg(unix)]
    inode: (u64, u64),
}

impl Stamp {
    /// The stamp of the file at `path` (following links, as reading does).
    fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        Some(Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            changed: (meta.ctime(), meta.ctime_nsec()),
            #[cfg(unix)]
            inode: (meta.dev(), meta.ino()),
        })
    }

    /// Whether the file was last modified long enough before `read_at` that any later write
    /// is sure to change the stamp.
    fn settled(&self, read_at: SystemTime) -> bool {
        let old_enough = |t: SystemTime| t + RACY < read_at;
        #[cfg(unix)]
        let changed_old = {
            let (secs, nanos) = self.changed;
            u64::try_from(secs).is_ok_and(|secs| {
                let nanos = u32::try_from(nanos).unwrap_or(0);
                old_enough(SystemTime::UNIX_EPOCH + Duration::new(secs, nanos))
            })
        };
        #[cfg(not(unix))]
        let changed_old = true;
        self.modified.is_some_and(old_enough) && changed_old
    }
}

/// One post file as last loaded.
#[derive(Debug)]
struct Cached {
    /// The file's stamp when it was loaded, if it can be trusted to change with the file.
    stamp: Option<Stamp>,
    /// The load. The post is `None` while it is lent to a rebuild (see
    /// [`PostCache::give_back`]).
    load: Result<(Option<Post>, Vec<Diagnostic>), PostError>,
}

impl Cached {
    fn new(stamp: Option<Stamp>, load: FileLoad) -> Self {
        Cached {
            stamp,
            load: load.map(|(post, warnings)| (Some(post), warnings)),
        }
    }
}

/// What [`PostCache::load`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LoadStats {
    /// Post files listed.
    pub files: usize,
    /// Files read and parsed again (the others came from the cache).
    pub reloaded: usize,
    /// The config differed from the previous load's, so nothing cached was used.
    pub config_changed: bool,
}

/// Every post file's last load, by path, for the config it was loaded with.
///
/// Copying 10,000 posts into each report would cost more than everything else an
/// incremental rebuild does, so the report's posts are moved out of the cache (lent) and
/// must be handed back with [`PostCache::give_back`] once the feeds are built. Posts that the
/// report might leave out (unpublished, scheduled, or sharing a permalink) are copied
/// instead. If they are not all handed back, the next load reads every file again.
#[derive(Debug, Default)]
pub struct PostCache {
    /// The config the entries were loaded with (its `Debug` text: `Config` has no maps, so
    /// the text is deterministic).
    config: Option<String>,
    /// By path (its bytes: hashing a `Path` walks its components, and this map is looked up
    /// twice per post at each rebuild).
    files: HashMap<OsString, Cached, BuildHasherDefault<FastHasher>>,
    /// The paths in `files`, in the order [`content::list_post_files`] lists them.
    order: Vec<PathBuf>,
    /// Some posts are lent out.
    lent: bool,
}

impl PostCache {
    /// Forgets everything: the next load reads every file.
    pub fn clear(&mut self) {
        self.config = None;
        self.files.clear();
        self.order.clear();
        self.lent = false;
    }

    /// The stamp `path` was loaded with, if its file has not changed since as far as the
    /// stamp can tell (what a rendered body may be cached against).
    pub fn stamp(&self, path: &Path) -> Option<Stamp> {
        self.files.get(path.as_os_str()).and_then(|c| c.stamp)
    }

    /// Drops everything if the config changed or posts were not given back; says whether
    /// the config changed.
    fn check(&mut self, config: &Config) -> bool {
        if self.lent {
            tracing::warn!("posts were not handed back after a rebuild: reading every post");
            self.clear();
        }
        let key = format!("{config:?}");
        if self.config.as_deref() == Some(key.as_str()) {
            return false;
        }
        let changed = self.config.is_some();
        self.clear();
        self.config = Some(key);
        changed
    }

    /// Loads the posts as [`content::load_posts`] does, reading only the files that changed
    /// since the last load. The report's posts must be handed back ([`Self::give_back`]).
    pub fn load(&mut self, config: &Config, clock: &Clock) -> (LoadReport, LoadStats) {
        let mut stats = LoadStats {
            config_changed: self.check(config),
            ..LoadStats::default()
        };
        let listed = match content::list_post_files(&config.posts_dir) {
            Ok(listed) => listed,
            // Keep the cache: the folder is probably being replaced, and files that come
            // back unchanged need not be read again.
            Err(err) => return (content::unreadable_folder(config, &err), stats),
        };
        stats.files = listed.len();
        let read_at = SystemTime::now();
        let limits = &config.limits;
        let files = &self.files;
        // `None`: the cached load is still good; else the file's new load.
        let fresh: Vec<(PathBuf, Option<Cached>)> = listed
            .into_par_iter()
            .map(|(path, name)| {
                let stamp = Stamp::of(&path);
                let hit = files
                    .get(path.as_os_str())
                    .is_some_and(|c| c.stamp.is_some() && c.stamp == stamp);
                if hit {
                    return (path, None);
                }
                let load = content::load_file(&path, name, config, limits);
                let stamp = stamp.filter(|s| s.settled(read_at));
                (path, Some(Cached::new(stamp, load)))
            })
            .collect();
        let mut kept = HashMap::with_capacity_and_hasher(fresh.len(), Default::default());
        let mut order = Vec::with_capacity(fresh.len());
        for (path, new) in fresh {
            let cached = match new {
                Some(new) => {
                    stats.reloaded += 1;
                    new
                }
                None => match self.files.remove(path.as_os_str()) {
                    Some(old) => old,
                    None => continue, // Cannot happen: a hit was in the map.
                },
            };
            order.push(path.clone());
            kept.insert(path.into_os_string(), cached);
        }
        self.files = kept;
        self.order = order;
        (self.report(config, clock), stats)
    }

    /// Loads the posts as [`Self::load`] does, when only the files at `changed` (absolute
    /// paths, as the watcher reports them; others are ignored) can have changed since the
    /// last load: without listing the folder. Falls back to [`Self::load`] when a folder
    /// inside the posts folder appeared or went, or the config changed.
    pub fn load_changed(
        &mut self,
        config: &Config,
        clock: &Clock,
        changed: &[PathBuf],
    ) -> (LoadReport, LoadStats) {
        let config_changed = self.check(config);
        if config_changed || self.order.is_empty() || !config.posts_dir.is_dir() {
            let (report, mut stats) = self.load(config, clock);
            stats.config_changed |= config_changed;
            return (report, stats);
        }
        let dir = std::path::absolute(&config.posts_dir).unwrap_or(config.posts_dir.clone());
        let mut wanted = Vec::new();
        for path in changed {
            let Ok(relative) = path.strip_prefix(&dir) else {
                continue;
            };
            if relative.as_os_str().is_empty() {
                return self.load(config, clock);
            }
            let at = config.posts_dir.join(relative);
            let is_dir = std::fs::symlink_metadata(&at).is_ok_and(|m| m.is_dir());
            let was_dir = self.order[self.order.partition_point(|p| p <= &at)..]
                .first()
                .is_some_and(|p| p.starts_with(&at));
            if is_dir || was_dir {
                return self.load(config, clock);
            }
            if let Some(name) = content::post_file_name(relative) {
                wanted.push((at, name));
            }
        }
        wanted.sort_by(|a, b| a.0.cmp(&b.0));
        wanted.dedup_by(|a, b| a.0 == b.0);
        let read_at = SystemTime::now();
        let limits = &config.limits;
        let fresh: Vec<(PathBuf, Option<Cached>)> = wanted
            .into_par_iter()
            .map(|(path, name)| {
                if std::fs::symlink_metadata(&path).is_err() {
                    return (path, None);
                }
                let stamp = Stamp::of(&path);
                let load = content::load_file(&path, name, config, limits);
                let stamp = stamp.filter(|s| s.settled(read_at));
                (path, Some(Cached::new(stamp, load)))
            })
            .collect();
        let mut stats = LoadStats::default();
        let mut reorder = false;
        for (path, new) in fresh {
            match new {
                Some(new) => {
                    stats.reloaded += 1;
                    reorder |= self.files.insert(path.into_os_string(), new).is_none();
                }
                None => reorder |= self.files.remove(path.as_os_str()).is_some(),
            }
        }
        if reorder {
            self.order = self.files.keys().map(PathBuf::from).collect();
            self.order.sort();
        }
        stats.files = self.files.len();
        (self.report(config, clock), stats)
    }

    /// The report from every file's cached load, lending it the posts it surely keeps.
    fn report(&mut self, config: &Config, clock: &Clock) -> LoadReport {
        let now = clock.now();
        // Permalinks shared by several published posts: one of them is dropped.
        let mut urls: HashMap<&str, u32> = HashMap::with_capacity(self.files.len());
        for cached in self.files.values() {
            if let Ok((Some(post), _)) = &cached.load {
                if post.status == Status::Published {
                    *urls.entry(post.url.as_str()).or_default() += 1;
                }
            }
        }
        let shared: HashSet<String> = urls
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(url, _)| url.to_owned())
            .collect();
        let files = &mut self.files;
        let mut loaded = Vec::with_capacity(self.order.len());
        for path in &self.order {
            let Some(cached) = files.get_mut(path.as_os_str()) else {
                continue;
            };
            let load = match &mut cached.load {
                Ok((slot, warnings)) => {
                    let Some(post) = slot.as_ref() else {
                        continue; // Cannot happen: lent posts are checked for.
                    };
                    let kept = post.status == Status::Published
                        && (config.future || post.date <= now)
                        && !shared.contains(&post.url);
                    let post = if kept {
                        slot.take().expect("checked above")
                    } else {
                        post.clone()
                    };
                    Ok((post, warnings.clone()))
                }
                Err(err) => Err(err.clone()),
            };
            loaded.push((path.as_path(), load));
        }
        self.lent = true;
        content::assemble(config, clock, loaded)
    }

    /// Takes back the posts lent by the last load: every post the feeds were built from
    /// (others, such as the last good versions of broken posts, are dropped).
    pub fn give_back(&mut self, posts: Vec<Post>) {
        for post in posts {
            if let Some(Cached {
                load: Ok((slot @ None, _)),
                ..
            }) = self.files.get_mut(post.source.as_os_str())
            {
                *slot = Some(post);
            }
        }
        self.lent = self.files.values().any(|c| matches!(c.load, Ok((None, _))));
    }
}

/// A fast non-cryptographic hasher (the Fx hash) for the paths of local files.
#[derive(Default)]
pub struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(root: &Path, extra: &str) -> Config {
        let yaml = format!(
            "site:\n  title: T\n  url: https://example.com\n  author: A\n  timezone: UTC\n{extra}"
        );
        crate::config::parse(root, &root.join("crier.yaml"), &yaml).unwrap()
    }

    fn clock() -> Clock {
        Clock::fixed(chrono::DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z").unwrap())
    }

    fn post(dir: &Path, name: &str, front: &str) {
        std::fs::write(
            dir.join(name),
            format!("---\n{front}---\nBody of {name}.\n"),
        )
        .unwrap();
    }

    /// The cached load and a full load agree on everything the daemon uses.
    fn assert_same(cache: &mut PostCache, config: &Config) -> LoadStats {
        let (cached, stats) = cache.load(config, &clock());
        let full = content::load_posts(config, &clock());
        assert_eq!(cached.posts, full.posts);
        assert_eq!(cached.diagnostics, full.diagnostics);
        assert_eq!(cached.failed, full.failed);
        assert_eq!(
            (cached.skipped, cached.unpublished, cached.scheduled),
            (full.skipped, full.unpublished, full.scheduled)
        );
        assert_eq!(cached.unreadable_folder, full.unreadable_folder);
        cache.give_back(cached.posts);
        assert!(!cache.lent);
        stats
    }

    #[test]
    fn only_changed_files_are_read_again_and_the_report_matches_a_full_load() {
        let root = tempfile::tempdir().unwrap();
        let posts = root.path().join("posts");
        std::fs::create_dir(&posts).unwrap();
        post(&posts, "2026-01-01-a.md", "title: A\ntags: [x]\n");
        post(&posts, "2026-02-01-b.md", "title: B\n");
        post(&posts, "2026-03-01-c.md", "title: C\npublished: false\n");
        post(&posts, "2026-12-01-future.md", "title: F\n");
        post(&posts, "2026-04-01-broken.md", "title: [oops\n");
        // The same permalink as posts/2026-02-01-b.md: one of them is left out.
        std::fs::create_dir(posts.join("sub")).unwrap();
        post(&posts.join("sub"), "2026-02-01-b.md", "title: B too\n");
        let config = config(root.path(), "");
        let mut cache = PostCache::default();
        let stats = assert_same(&mut cache, &config);
        assert_eq!((stats.files, stats.reloaded), (6, 6));

        // Files just written are not trusted yet (a second write in the same clock tick
        // could keep their stamp): read again.
        let stats = assert_same(&mut cache, &config);
        assert_eq!(stats.reloaded, 6);

        // Once settled, an unchanged file is not read again; changed, added and deleted
        // files are seen.
        let old = SystemTime::now() - Duration::from_secs(60);
        for entry in std::fs::read_dir(&posts)
            .unwrap()
            .chain(std::fs::read_dir(posts.join("sub")).unwrap())
        {
            let path = entry.unwrap().path();
            if path.is_file() {
                let file = std::fs::File::options().write(true).open(path).unwrap();
                file.set_modified(old).unwrap();
            }
        }
        // The change time moved with set_modified: wait until it is settled too.
        std::thread::sleep(RACY + Duration::from_millis(100));
        assert_same(&mut cache, &config);
        let stats = assert_same(&mut cache, &config);
        assert_eq!(stats.reloaded, 0);

        post(&posts, "2026-02-01-b.md", "title: B edited\ntags: [x, y]\n");
        post(&posts, "2026-05-01-new.md", "title: New\n");
        std::fs::remove_file(posts.join("2026-01-01-a.md")).unwrap();
        let stats = assert_same(&mut cache, &config);
        assert_eq!((stats.files, stats.reloaded), (6, 2));

        // Told which files changed, the cache reads only those.
        post(&posts, "2026-03-01-c.md", "title: C\n");
        std::fs::remove_file(posts.join("sub/2026-02-01-b.md")).unwrap();
        let changed = [
            std::path::absolute(posts.join("2026-03-01-c.md")).unwrap(),
            std::path::absolute(posts.join("sub/2026-02-01-b.md")).unwrap(),
            std::path::absolute(posts.join("notes.txt")).unwrap(),
        ];
        let (cached, stats) = cache.load_changed(&config, &clock(), &changed);
        let full = content::load_posts(&config, &clock());
        assert_eq!(cached.posts, full.posts);
        assert_eq!(cached.diagnostics, full.diagnostics);
        assert_eq!((stats.files, stats.reloaded), (5, 1));
        cache.give_back(cached.posts);
        assert_same(&mut cache, &config);

        // A config change reads everything again.
        let other = config_with_permalink(root.path());
        let stats = assert_same(&mut cache, &other);
        assert!(stats.config_changed);
        assert_eq!(stats.reloaded, 5);
    }

    fn config_with_permalink(root: &Path) -> Config {
        config(root, "permalink: date\n")
    }
}
