//! Where uploaded files are kept, and how they are written: under [`Uploads::root`],
//! - `incoming/<random>/`: a request's files while they are received and hashed;
//! - `jobs/<run id>/`: a queued or running screening's files, removed when it ends;
//! - `calls/<call id>/registries/<kind>/<file>`: the registries last used by a successful
//!   screening of the call, which later runs may reuse;
//! - `documents/<SHA-256>`: documents and evidence, kept once per content.
//!
//! They hold personal data: the root is made readable by the server's user only (0700), the
//! directories below are created 0700 and the files 0600 ([`private_dir_all`],
//! [`private_file`]).

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use vereda_messages::Message;
use vereda_store::Store;

/// The environment variable that chooses where uploads are kept.
pub const UPLOADS_DIR_VAR: &str = "VEREDA_UPLOADS_DIR";

/// Where uploaded files are kept.
#[derive(Debug, Clone)]
pub struct Uploads {
    pub root: PathBuf,
}

impl Uploads {
    /// `configured` (the `uploads_dir` setting) when given; else `VEREDA_UPLOADS_DIR` when
    /// set; else an `uploads` directory beside the SQLite file. On PostgreSQL (or SQLite in
    /// memory) the directory must be set: nothing is guessed, least of all the system's
    /// temporary directory, which other users read and the system empties
    /// (`uploads-dir_required`).
    pub fn for_store(store: &Store, configured: Option<&Path>) -> Result<Uploads, Message> {
        if let Some(dir) = configured.filter(|d| !d.as_os_str().is_empty()) {
            return Ok(Uploads {
                root: dir.to_path_buf(),
            });
        }
        let root = match std::env::var(UPLOADS_DIR_VAR) {
            Ok(dir) if !dir.trim().is_empty() => PathBuf::from(dir),
            _ => match store.sqlite_file() {
                Some(file) => file
                    .parent()
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
                    .join("uploads"),
                None => {
                    return Err(Message::new("uploads-dir_required")
                        .with("variable", UPLOADS_DIR_VAR)
                        .with("setting", "uploads_dir")
                        .with("backend", store.backend_name()));
                }
            },
        };
        Ok(Uploads { root })
    }

    /// Creates the root if missing and makes it the server user's only (0700), so nothing
    /// below it is readable by another account, whatever the mode it was created with.
    pub fn secure_root(&self) -> std::io::Result<()> {
        private_dir_all(&self.root)?;
        std::fs::set_permissions(&self.root, std::fs::Permissions::from_mode(0o700))
    }

    /// A new, empty directory for a request's files.
    pub fn incoming(&self) -> std::io::Result<PathBuf> {
        let dir = self
            .root
            .join("incoming")
            .join(format!("{:016x}", rand::random::<u64>()));
        private_dir_all(&dir)?;
        Ok(dir)
    }

    /// Where a project document is kept: by its SHA-256, so the same file is kept once.
    pub fn document_path(&self, sha256: &str) -> PathBuf {
        self.root.join("documents").join(sha256)
    }

    pub fn job_dir(&self, run_id: i32) -> PathBuf {
        self.root.join("jobs").join(run_id.to_string())
    }

    pub fn registry_dir(&self, call_id: i32, kind: &str) -> PathBuf {
        self.root
            .join("calls")
            .join(call_id.to_string())
            .join("registries")
            .join(kind)
    }

    /// The registry of `kind` kept for a call, if any.
    pub fn stored_registry(&self, call_id: i32, kind: &str) -> Option<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.registry_dir(call_id, kind))
            .ok()?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.is_file() && !is_partial(path))
            .collect();
        files.sort();
        files.pop()
    }

    /// Keeps `file` as the call's registry of `kind`, replacing the one kept before.
    pub fn keep_registry(&self, call_id: i32, kind: &str, file: &Path) -> std::io::Result<()> {
        let dir = self.registry_dir(call_id, kind);
        private_dir_all(&dir)?;
        let name = file
            .file_name()
            .ok_or_else(|| std::io::Error::other("a registry file has no name"))?;
        let partial = dir.join(format!(".{}.part", name.to_string_lossy()));
        link_or_copy(file, &partial)?;
        for old in std::fs::read_dir(&dir)? {
            let old = old?.path();
            if old != partial && old.is_file() {
                std::fs::remove_file(old)?;
            }
        }
        std::fs::rename(&partial, dir.join(name))
    }
}

/// Creates a directory and its missing parents, each readable by the server's user only
/// (0700).
pub fn private_dir_all(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Creates (or truncates) a file readable and writable by the server's user only (0600).
pub fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

fn is_partial(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// A hard link where the file system allows it (registries can be large), else a copy
/// readable by the server's user only.
pub fn link_or_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    let _ = std::fs::remove_file(to);
    if std::fs::hard_link(from, to).is_err() {
        std::io::copy(&mut std::fs::File::open(from)?, &mut private_file(to)?)?;
    }
    Ok(())
}

/// Writes a file while hashing it.
pub struct HashingFile {
    file: std::io::BufWriter<std::fs::File>,
    hasher: Sha256,
    bytes: u64,
}

impl HashingFile {
    pub fn create(path: &Path) -> std::io::Result<HashingFile> {
        Ok(HashingFile {
            file: std::io::BufWriter::new(private_file(path)?),
            hasher: Sha256::new(),
            bytes: 0,
        })
    }

    pub fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.hasher.update(chunk);
        self.bytes += chunk.len() as u64;
        self.file.write_all(chunk)
    }

    /// The SHA-256 in hex and the size.
    pub fn finish(mut self) -> std::io::Result<(String, u64)> {
        self.file.flush()?;
        Ok((hex(&self.hasher.finalize()), self.bytes))
    }
}

/// The SHA-256 of a file, in hex, and its size.
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut file = std::fs::File::open(path)?;
    let bytes = std::io::copy(&mut file, &mut hasher)?;
    Ok((hex(&hasher.finalize()), bytes))
}

/// Bytes in lower-case hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads an uploaded file with a reader that takes a path (the table readers tell a CSV from a
/// workbook by its extension). The bytes are written under the file's own name, which the
/// reader's messages and the audit log show (`fallback` when it has none), into a private
/// temporary directory that is removed afterwards. Gives the reader's answer and that name.
pub fn read_upload<T>(
    name: &str,
    fallback: &str,
    bytes: &[u8],
    read: impl FnOnce(&Path) -> T,
) -> std::io::Result<(T, String)> {
    let file_name = Path::new(name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| fallback.to_owned());
    let dir = tempfile::Builder::new().prefix("vereda-upload-").tempdir()?;
    let path = dir.path().join(&file_name);
    std::fs::write(&path, bytes)?;
    Ok((read(&path), file_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o777)
    }

    #[test]
    fn uploads_are_readable_by_the_owner_only() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let uploads = Uploads {
            root: dir.path().join("cargas"),
        };
        std::fs::create_dir_all(&uploads.root)?;
        std::fs::set_permissions(&uploads.root, std::fs::Permissions::from_mode(0o755))?;
        uploads.secure_root()?;
        assert_eq!(mode(&uploads.root), 0o700);
        let incoming = uploads.incoming()?;
        assert_eq!(mode(&incoming), 0o700);
        assert_eq!(mode(&uploads.root.join("incoming")), 0o700);
        let path = incoming.join("hogares.csv");
        let mut file = HashingFile::create(&path)?;
        file.write(b"id\n1\n")?;
        file.finish()?;
        assert_eq!(mode(&path), 0o600);
        uploads.keep_registry(1, "ruv", &path)?;
        let kept = uploads.stored_registry(1, "ruv").expect("kept");
        assert_eq!(mode(&kept), 0o600);
        assert_eq!(mode(&uploads.registry_dir(1, "ruv")), 0o700);
        Ok(())
    }
}
