//! One sender per site: an exclusive lock on `state/crier.lock`, held while a digest is
//! delivered, so the daemon and an organiser's `crier send` never deliver the same digest
//! twice. The file holds the holder's process id for the message the other one prints.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// A held lock; released when dropped (or when the process dies, even by `kill -9`).
#[derive(Debug)]
pub struct SiteLock {
    file: File,
    path: PathBuf,
}

/// The lock is held by someone else.
#[derive(Debug, thiserror::Error)]
#[error("another crier process ({holder}) is sending for this site (lock {path})")]
pub struct Busy {
    /// "pid 1234", or "unknown process".
    pub holder: String,
    /// The lock file.
    pub path: PathBuf,
}

impl SiteLock {
    /// Takes the lock without waiting.
    pub fn try_acquire(state_dir: &Path) -> std::io::Result<Result<Self, Busy>> {
        std::fs::create_dir_all(state_dir)?;
        let path = state_dir.join("crier.lock");
        let mut file = open(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(Ok(Self::held(file, path)?)),
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let holder = match pid.trim() {
                    "" => "unknown process".to_owned(),
                    pid => format!("pid {pid}"),
                };
                Ok(Err(Busy { holder, path }))
            }
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }

    /// Waits for the lock.
    pub fn acquire(state_dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(state_dir)?;
        let path = state_dir.join("crier.lock");
        let file = open(&path)?;
        file.lock()?;
        Self::held(file, path)
    }

    /// Records our process id in the lock file we now hold.
    fn held(mut file: File, path: PathBuf) -> std::io::Result<Self> {
        file.set_len(0)?;
        file.rewind()?;
        writeln!(file, "{}", std::process::id())?;
        file.sync_all()?;
        Ok(SiteLock { file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn open(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

impl Drop for SiteLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_told_who_has_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = SiteLock::try_acquire(dir.path()).unwrap().unwrap();
        let busy = SiteLock::try_acquire(dir.path()).unwrap().unwrap_err();
        assert_eq!(busy.holder, format!("pid {}", std::process::id()));
        drop(first);
        assert!(SiteLock::try_acquire(dir.path()).unwrap().is_ok());
    }
}
