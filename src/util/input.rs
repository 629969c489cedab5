//! Reading a file the organiser names on the command line (an import), bounded: a regular
//! file only, or standard input when asked for with `-`, and never more than a limit.
//!
//! Why each rule: a device reports a size of 0, so a size check alone lets `/dev/zero` be
//! read until memory runs out; a FIFO has no size at all and is read to its end; a file can
//! grow after it was measured. So the kind of file is checked on the opened handle, and the
//! reading itself stops one byte past the limit whatever the size said.

use std::fs::{File, FileType};
use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

/// Where an import is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A regular file.
    File(PathBuf),
    /// Standard input, asked for with `-`.
    Stdin,
}

impl Input {
    /// `-` is standard input; anything else a file.
    pub fn from_arg(arg: &Path) -> Input {
        if arg.as_os_str() == "-" {
            Input::Stdin
        } else {
            Input::File(arg.to_path_buf())
        }
    }

    /// How errors and reports name it.
    pub fn label(&self) -> String {
        match self {
            Input::File(path) => path.display().to_string(),
            Input::Stdin => "<stdin>".to_owned(),
        }
    }

    /// The file name alone (for a note such as "imported from x.csv"), or `stdin`.
    pub fn file_name(&self) -> String {
        match self {
            Input::File(path) => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| self.label()),
            Input::Stdin => "stdin".to_owned(),
        }
    }
}

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Not a regular file: a device, a FIFO, a socket or a folder.
    #[error("{path}: is {what}, not a regular file: give the path of a file, or `-` to read standard input")]
    NotRegular {
        /// The path given.
        path: String,
        /// What it is instead ("a character device", ...).
        what: &'static str,
    },
    /// Opening or reading failed.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The path given.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// More bytes than the limit.
    #[error("{path}: larger than the limit of {limit} bytes ({setting}); raise the limit if the file is genuine")]
    TooLarge {
        /// The path given.
        path: String,
        /// The limit, in bytes.
        limit: u64,
        /// The setting that holds the limit, e.g. `limits.import_mib`.
        setting: &'static str,
    },
}

/// What a file type is, in words, when it is not a regular file.
fn kind_of(file_type: FileType) -> Option<&'static str> {
    if file_type.is_file() {
        None
    } else if file_type.is_dir() {
        Some("a directory")
    } else if file_type.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if file_type.is_char_device() {
        Some("a character device")
    } else if file_type.is_block_device() {
        Some("a block device")
    } else if file_type.is_socket() {
        Some("a socket")
    } else {
        Some("not a file")
    }
}

/// Every byte of `input`, if there are at most `limit`. `setting` names the configuration
/// key that holds the limit, for the error.
pub fn read_limited(
    input: &Input,
    limit: u64,
    setting: &'static str,
) -> Result<Vec<u8>, InputError> {
    let path = input.label();
    let read_error = |source| InputError::Read {
        path: path.clone(),
        source,
    };
    let mut bytes = Vec::new();
    match input {
        Input::Stdin => {
            std::io::stdin()
                .lock()
                .take(limit.saturating_add(1))
                .read_to_end(&mut bytes)
                .map_err(read_error)?;
        }
        Input::File(file) => {
            let opened = open_regular(file, &path)?;
            let size = opened.metadata().map_err(read_error)?.len();
            if size > limit {
                return Err(InputError::TooLarge {
                    path,
                    limit,
                    setting,
                });
            }
            opened
                .take(limit.saturating_add(1))
                .read_to_end(&mut bytes)
                .map_err(read_error)?;
        }
    }
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge {
            path,
            limit,
            setting,
        });
    }
    Ok(bytes)
}

/// Opens `file` if it is a regular file (`label` names it in errors). The type is checked
/// before opening (opening a FIFO with no writer would wait forever) and again on the open
/// handle (the path may have been replaced in between).
pub fn open_regular(file: &Path, label: &str) -> Result<File, InputError> {
    let read_error = |source| InputError::Read {
        path: label.to_owned(),
        source,
    };
    let not_regular = |what| InputError::NotRegular {
        path: label.to_owned(),
        what,
    };
    let before = std::fs::metadata(file).map_err(read_error)?;
    if let Some(what) = kind_of(before.file_type()) {
        return Err(not_regular(what));
    }
    let opened = File::open(file).map_err(read_error)?;
    let after = opened.metadata().map_err(read_error)?;
    if let Some(what) = kind_of(after.file_type()) {
        return Err(not_regular(what));
    }
    Ok(opened)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_within_the_limit_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, b"email\na@example.org\n").unwrap();
        let input = Input::File(path);
        assert_eq!(read_limited(&input, 100, "x").unwrap().len(), 20);
        assert_eq!(read_limited(&input, 20, "x").unwrap().len(), 20);
        let err = read_limited(&input, 19, "limits.x").unwrap_err();
        assert!(
            matches!(err, InputError::TooLarge { limit: 19, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("limits.x"), "{err}");
    }

    #[test]
    fn devices_and_folders_are_refused_by_kind() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_limited(&Input::File("/dev/zero".into()), 1 << 20, "x").unwrap_err();
        assert!(
            err.to_string().contains("/dev/zero: is a character device"),
            "{err}"
        );
        let err = read_limited(&Input::File(dir.path().into()), 1 << 20, "x").unwrap_err();
        assert!(err.to_string().contains("is a directory"), "{err}");
        let err = read_limited(&Input::File(dir.path().join("none")), 1, "x").unwrap_err();
        assert!(matches!(err, InputError::Read { .. }), "{err}");
    }

    #[test]
    fn a_dash_is_standard_input() {
        assert_eq!(Input::from_arg(Path::new("-")), Input::Stdin);
        assert_eq!(Input::from_arg(Path::new("./-")), Input::File("./-".into()));
    }
}
