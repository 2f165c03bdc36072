//! `vereda backup DEST`: a consistent copy of an SQLite database while the server keeps
//! serving (`VACUUM INTO`, one read transaction), with the uploads and the outbox, into a new
//! directory readable by its owner only. PostgreSQL is refused, pointing to the README's
//! procedure (`pg_dump` and the uploads directory).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::Result;
use vereda_messages::{Arg, Message};
use vereda_store::Store;
use vereda_web::uploads::{Uploads, private_dir_all};

use crate::config::Settings;
use crate::lang::{io_problem, lang, said};

/// The database file's name inside the backup.
pub const DATABASE_FILE: &str = "vereda.db";

pub async fn backup(settings: &Settings, dest: &Path) -> Result<()> {
    let store = Store::connect_with(&settings.database_url, &settings.connect).await?;
    if store.sqlite_file().is_none() {
        return Err(said(
            Message::new("cli-backup-not_sqlite").with("backend", store.backend_name()),
        ));
    }
    let database = dest.join(DATABASE_FILE);
    if database.exists() {
        return Err(said(
            Message::new("cli-backup-exists").with("dir", dest.display().to_string()),
        ));
    }
    private_dir_all(dest).map_err(|e| cannot(dest, &e))?;
    std::fs::set_permissions(dest, std::fs::Permissions::from_mode(0o700)).map_err(|e| cannot(dest, &e))?;
    store.backup_sqlite(&database).await?;
    std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| cannot(&database, &e))?;
    let uploads = Uploads::for_store(&store, settings.uploads_dir.as_deref()).map_err(said)?;
    let outbox = vereda_web::letters::Outbox::new(None, &uploads);
    store.close().await?;
    // Files being received are not kept: their request has not finished.
    let files = copy_tree(&uploads.root, &dest.join("uploads"), &["incoming"])?
        + copy_tree(&outbox.dir, &dest.join("outbox"), &[])?;
    println!(
        "{}",
        lang().say(
            &Message::new("cli-backup-done")
                .with("dir", dest.display().to_string())
                .with("files", Arg::from(files))
        )
    );
    Ok(())
}

/// Copies the files under `from` (if it exists) to `to`, directories 0700 and files as they
/// were (0600); skips the top-level directories named in `skip`. Returns how many files.
fn copy_tree(from: &Path, to: &Path, skip: &[&str]) -> Result<usize> {
    if !from.is_dir() {
        return Ok(0);
    }
    private_dir_all(to).map_err(|e| cannot(to, &e))?;
    let mut copied = 0;
    for entry in std::fs::read_dir(from).map_err(|e| cannot(from, &e))? {
        let entry = entry.map_err(|e| cannot(from, &e))?;
        let path = entry.path();
        let name = entry.file_name();
        if skip.iter().any(|s| name == std::ffi::OsStr::new(s)) {
            continue;
        }
        let target = to.join(&name);
        let kind = entry.file_type().map_err(|e| cannot(&path, &e))?;
        if kind.is_dir() {
            copied += copy_tree(&path, &target, &[])?;
        } else if kind.is_file() {
            match std::fs::copy(&path, &target) {
                Ok(_) => copied += 1,
                // A file removed meanwhile (a job that ended) is not part of the copy.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(cannot(&target, &e)),
            }
        }
    }
    Ok(copied)
}

fn cannot(path: &Path, error: &std::io::Error) -> anyhow::Error {
    said(
        Message::new("cli-error-write")
            .with("file", path.display().to_string())
            .with("detail", io_problem(error)),
    )
}
