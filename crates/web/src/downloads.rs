//! The one response for every file the application hands over (lists, acts, letters,
//! documents, workbooks): its type, and a name the browser saves it under that no header can be
//! forged through. The name is given twice (RFC 6266): an ASCII fallback (`filename`) and the
//! name itself, percent-encoded in UTF-8 (`filename*`), so "acta-Wẽ'sx.pdf" keeps its letters.

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The type of an XLSX workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Whether the browser saves the file or shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Attachment,
    Inline,
}

/// A file as a response: `content_type` (octet-stream when not a valid header), the name.
pub fn file_response(
    content_type: &str,
    file_name: &str,
    disposition: Disposition,
    body: impl Into<Body>,
) -> Response {
    let mut response = body.into().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(value) = HeaderValue::from_str(&content_disposition(file_name, disposition)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// A file to save (`attachment`).
pub fn attachment(content_type: &str, file_name: &str, body: impl Into<Body>) -> Response {
    file_response(content_type, file_name, Disposition::Attachment, body)
}

/// The `Content-Disposition` of a file: its ASCII fallback keeps letters, digits, `.`, `-`
/// and `_` (anything else becomes `_`), and `filename*` carries the name whole.
fn content_disposition(file_name: &str, disposition: Disposition) -> String {
    let kind = match disposition {
        Disposition::Attachment => "attachment",
        Disposition::Inline => "inline",
    };
    let fallback: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = crate::error::urlencode(file_name).replace('/', "%2F");
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_cannot_break_the_header_and_keeps_its_letters() {
        assert_eq!(
            content_disposition("acta Wẽ'sx.pdf", Disposition::Attachment),
            "attachment; filename=\"acta_W__sx.pdf\"; filename*=UTF-8''acta%20W%E1%BA%BD%27sx.pdf"
        );
        let forged = content_disposition("a\"; filename=\"x.exe\r\nSet-Cookie: y", Disposition::Inline);
        assert!(!forged.contains('\r') && !forged.contains("\"x.exe"), "{forged}");
        let response = attachment("text/csv; charset=utf-8", "hogares.csv", "a,b\n");
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/csv; charset=utf-8"
        );
        assert!(HeaderValue::from_str(&forged).is_ok());
    }
}
