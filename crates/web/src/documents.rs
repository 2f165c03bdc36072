//! Files received through forms (evidence of measurements, project documents, the documents
//! of a household): multipart reading with a size limit, the type told from the first bytes,
//! and keeping the bytes under their SHA-256 in the uploads directory.

use std::io::Write;

use axum::extract::Multipart;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::{AppError, ErrorCode};
use crate::i18n::Message;
use vereda_domain::text::TextEncoding;

/// A document received from a form, checked and kept in memory until stored.
pub(crate) struct ReceivedFile {
    pub file_name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// A file kept in the uploads directory.
pub(crate) struct KeptFile {
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// The kinds of file accepted as evidence or public documents, told by their first bytes
/// rather than by the name or the type the browser claims.
pub(crate) fn detect_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else if bytes.starts_with(b"PK\x03\x04") {
        // Office Open XML (xlsx, docx) are zip files.
        Some("application/zip")
    } else if bytes.is_empty() || bytes.contains(&0) {
        None
    } else {
        // Text, as Excel in Spanish saves a CSV too: the one rule of every upload.
        match vereda_domain::text::detect_encoding(bytes, true) {
            TextEncoding::Utf8 => Some("text/plain; charset=utf-8"),
            // Windows-1252 gives every byte a character: only text without the control
            // characters no text file holds is taken for it.
            TextEncoding::Windows1252 if !bytes.iter().any(|&b| b < 0x20 && !b"\t\r\n\x0c".contains(&b)) => {
                Some("text/plain; charset=windows-1252")
            }
            TextEncoding::Windows1252 => None,
        }
    }
}

fn office_type(file_name: &str, detected: &'static str) -> &'static str {
    let lower = file_name.to_ascii_lowercase();
    match detected {
        "application/zip" if lower.ends_with(".xlsx") => {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        }
        "application/zip" if lower.ends_with(".docx") => {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        }
        "text/plain; charset=utf-8" if lower.ends_with(".csv") => "text/csv; charset=utf-8",
        "text/plain; charset=windows-1252" if lower.ends_with(".csv") => "text/csv; charset=windows-1252",
        other => other,
    }
}

/// Reads a multipart form: its text fields and at most one file (in `file_field`).
pub(crate) async fn read_form(
    multipart: &mut Multipart,
    file_field: &str,
    limit_bytes: usize,
) -> Result<(Vec<(String, String)>, Option<ReceivedFile>, Option<Message>), AppError> {
    let mut fields = Vec::new();
    let mut file = None;
    let mut file_problem = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(crate::error::upload_refused)?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name != file_field {
            let text = field.text().await.map_err(crate::error::upload_refused)?;
            fields.push((name, text));
            continue;
        }
        let file_name = field
            .file_name()
            .map(|n| {
                n.replace('\\', "/")
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
            .unwrap_or_default();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(crate::error::upload_refused)? {
            if bytes.len() + chunk.len() > limit_bytes {
                return Err(AppError::said(
                    ErrorCode::PayloadTooLarge,
                    Message::new("monitoring-error-too_large"),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        if file_name.is_empty() && bytes.is_empty() {
            continue;
        }
        match detect_type(&bytes) {
            Some(detected) => {
                file = Some(ReceivedFile {
                    content_type: office_type(&file_name, detected),
                    file_name: if file_name.is_empty() {
                        "documento".to_owned()
                    } else {
                        file_name
                    },
                    bytes,
                })
            }
            None => {
                file_problem =
                    Some(Message::new("monitoring-error-file_type").with("file", file_name.as_str()))
            }
        }
    }
    Ok((fields, file, file_problem))
}

pub(crate) fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Keeps the bytes under their SHA-256 (written to a temporary file, then renamed, so a
/// failure leaves no half file), and returns what the store records.
pub(crate) fn keep_file(state: &AppState, file: ReceivedFile) -> Result<KeptFile, AppError> {
    let sha256: String = Sha256::digest(&file.bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let path = state.uploads.document_path(&sha256);
    if !path.exists() {
        let dir = path
            .parent()
            .ok_or_else(|| AppError::with_detail(ErrorCode::Internal, "no document directory"))?;
        crate::uploads::private_dir_all(dir).map_err(|e| AppError::internal(&e))?;
        let mut temporary = tempfile::NamedTempFile::new_in(dir).map_err(|e| AppError::internal(&e))?;
        temporary
            .write_all(&file.bytes)
            .map_err(|e| AppError::internal(&e))?;
        temporary
            .as_file()
            .sync_all()
            .map_err(|e| AppError::internal(&e))?;
        temporary
            .persist(&path)
            .map_err(|e| AppError::internal(&e.error))?;
    }
    Ok(KeptFile {
        size_bytes: file.bytes.len() as i64,
        file_name: file.file_name,
        content_type: file.content_type.to_owned(),
        sha256,
    })
}

/// A kept file as an attachment: its bytes by their SHA-256, the type the bytes show (or the
/// one recorded) and the name it was received with, reduced to safe characters.
pub(crate) async fn kept_file_response(
    state: &AppState,
    sha256: &str,
    file_name: &str,
    content_type: Option<&str>,
) -> Result<axum::response::Response, AppError> {
    let path = state.uploads.document_path(sha256);
    let bytes = tokio::fs::read(&path).await.map_err(|e| AppError::internal(&e))?;
    let content_type = content_type
        .map(str::to_owned)
        .or_else(|| detect_type(&bytes).map(|detected| office_type(file_name, detected).to_owned()))
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    Ok(crate::downloads::attachment(&content_type, file_name, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_told_in_either_encoding_and_binary_is_not_text() {
        assert_eq!(
            detect_type("fecha;débito\n".as_bytes()),
            Some("text/plain; charset=utf-8")
        );
        // "débito" as Excel in Spanish saves it.
        let excel = b"fecha;d\xe9bito\r\n";
        assert_eq!(detect_type(excel), Some("text/plain; charset=windows-1252"));
        assert_eq!(
            office_type("extracto.csv", "text/plain; charset=windows-1252"),
            "text/csv; charset=windows-1252"
        );
        assert_eq!(detect_type(b"\x01\x02\xe9binary"), None);
        assert_eq!(detect_type(b"a\x00b"), None);
    }
}
