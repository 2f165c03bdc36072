//! Text helpers: matching what people type against official names, cells written for
//! spreadsheets, and the encoding of the text files people upload.

use std::borrow::Cow;

/// The encoding of an uploaded text file (CSV, TOML, JSON). Excel in Spanish saves "CSV
/// (delimitado por comas)" in Windows-1252; "CSV UTF-8" and every other tool write UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextEncoding {
    Utf8,
    Windows1252,
}

impl TextEncoding {
    /// The encoding's label (WHATWG), kept with the upload and shown in `data-encoding`.
    pub fn code(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Windows1252 => "windows-1252",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [TextEncoding::Utf8, TextEncoding::Windows1252]
            .into_iter()
            .find(|e| e.code() == code)
    }

    /// The catalogue key naming the encoding to people (`text-encoding-*`).
    pub fn label_key(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "text-encoding-utf-8",
            TextEncoding::Windows1252 => "text-encoding-windows-1252",
        }
    }

    /// Decodes bytes in this encoding. Windows-1252 maps every byte to one character on its
    /// own, so a file may be decoded piece by piece, cut anywhere. Invalid UTF-8 is replaced
    /// (callers that must refuse it check with [`detect_encoding`] first).
    pub fn decode(self, bytes: &[u8]) -> Cow<'_, str> {
        match self {
            TextEncoding::Utf8 => String::from_utf8_lossy(bytes),
            TextEncoding::Windows1252 => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0,
        }
    }
}

/// The UTF-8 byte order mark Excel puts at the start of "CSV UTF-8".
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The encoding of a text file from its first bytes (`complete` when `sample` is the whole
/// file): UTF-8 when they are valid UTF-8, with or without a byte order mark, and otherwise
/// Windows-1252, which gives every byte a meaning. A sample cut inside a character still counts
/// as UTF-8. The one rule for every upload of the product.
pub fn detect_encoding(sample: &[u8], complete: bool) -> TextEncoding {
    let sample = sample.strip_prefix(UTF8_BOM).unwrap_or(sample);
    match std::str::from_utf8(sample) {
        Ok(_) => TextEncoding::Utf8,
        // The sample ends in the middle of a character: the rest is in the file.
        Err(e) if !complete && e.error_len().is_none() => TextEncoding::Utf8,
        Err(_) => TextEncoding::Windows1252,
    }
}

/// A whole uploaded file as text, without its byte order mark, and the encoding it was in.
pub fn decode_text(bytes: &[u8]) -> (Cow<'_, str>, TextEncoding) {
    let encoding = detect_encoding(bytes, true);
    let bytes = match encoding {
        TextEncoding::Utf8 => bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes),
        TextEncoding::Windows1252 => bytes,
    };
    (encoding.decode(bytes), encoding)
}

/// Lower-cases and removes Spanish diacritics, so `bogota` finds `BOGOTÁ, D.C.` and
/// `narino` finds `NARIÑO`.
pub fn fold_for_search(text: &str) -> String {
    text.trim()
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            other => other,
        })
        .collect()
}

/// The key a staff list searches a household by: the head's name, the head's document and the
/// household's own id, folded as [`fold_for_search`] folds what is typed, so "pena" finds
/// "Peña" and "narino" finds "NARIÑO". Stored with the household and recomputed whenever
/// it is written.
pub fn household_search_key(head_name: &str, head_document: &str, external_id: &str) -> String {
    let words: Vec<&str> = [head_name, head_document, external_id]
        .into_iter()
        .flat_map(str::split_whitespace)
        .collect();
    fold_for_search(&words.join(" "))
}

/// The key a staff list searches and sorts a formulation by: its title, then its code, folded
/// as [`fold_for_search`] folds what is typed (so sorting by it sorts by the title without
/// regard to accents and case). Stored with the formulation whenever it is written.
pub fn formulation_search_key(title: &str, code: &str) -> String {
    let words: Vec<&str> = [title, code]
        .into_iter()
        .flat_map(str::split_whitespace)
        .collect();
    fold_for_search(&words.join(" "))
}

/// A cell of a CSV file the product writes, made safe to open in a spreadsheet (OWASP, "CSV
/// injection"): text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be
/// read as a formula, so it gets a leading apostrophe. A plain number (`-5`, `+3.2`) is left as
/// it is: a spreadsheet reads it as the number it is. Every CSV writer of the product passes its
/// cells through here.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let triggers = matches!(
        cell.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    if !triggers || is_plain_number(cell) {
        return std::borrow::Cow::Borrowed(cell);
    }
    std::borrow::Cow::Owned(format!("'{cell}"))
}

/// A sign, digits and at most one decimal point, nothing else.
fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    !digits.is_empty()
        && digits.bytes().filter(|b| *b == b'.').count() <= 1
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().any(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_household_is_found_without_accents_or_case() {
        let key = super::household_search_key("  María  PEÑA ", "1.234", "H-9");
        assert_eq!(key, "maria pena 1.234 h-9");
        assert!(key.contains(&super::fold_for_search("Peña")));
    }

    use super::*;

    #[test]
    fn excel_spanish_csv_is_read_as_windows_1252_and_utf8_stays_utf8() {
        let latin = b"municipio;valor\nNari\xf1o;1,5\nPe\xf1ol;2\n";
        let (text, encoding) = decode_text(latin);
        assert_eq!(encoding, TextEncoding::Windows1252);
        assert_eq!(text, "municipio;valor\nNariño;1,5\nPeñol;2\n");
        let utf8 = "\u{feff}municipio;valor\nNariño;1,5\n";
        let (text, encoding) = decode_text(utf8.as_bytes());
        assert_eq!(encoding, TextEncoding::Utf8);
        assert_eq!(text, "municipio;valor\nNariño;1,5\n");
        // "ñ" cut in two at the end of a sample is UTF-8 still; in a whole file it is not.
        let cut = &"Nariño".as_bytes()[..5];
        assert_eq!(detect_encoding(cut, false), TextEncoding::Utf8);
        assert_eq!(detect_encoding(cut, true), TextEncoding::Windows1252);
        assert_eq!(
            TextEncoding::from_code("windows-1252"),
            Some(TextEncoding::Windows1252)
        );
    }

    proptest::proptest! {
        /// Any text written in UTF-8 is detected as UTF-8 and read back unchanged; written in
        /// Windows-1252 with a character outside ASCII, it is detected as such and read back
        /// unchanged too. (Letters only: "Ñ€" in Windows-1252 happens to be valid UTF-8, a
        /// pair no Spanish text holds.)
        #[test]
        fn detection_reads_back_what_was_written(
            text in "[a-zA-Z0-9 ;,.\"\n\r áéíóúÁÉÍÓÚñÑüÜ-]{0,80}",
            bom in proptest::bool::ANY,
        ) {
            let mut utf8 = if bom { UTF8_BOM.to_vec() } else { Vec::new() };
            utf8.extend_from_slice(text.as_bytes());
            proptest::prop_assert_eq!(decode_text(&utf8), (Cow::Borrowed(text.as_str()), TextEncoding::Utf8));
            let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
            let expected = if text.is_ascii() { TextEncoding::Utf8 } else { TextEncoding::Windows1252 };
            let (read, encoding) = decode_text(&latin);
            proptest::prop_assert_eq!(encoding, expected);
            proptest::prop_assert_eq!(read.as_ref(), text.as_str());
        }
    }

    #[test]
    fn cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://x\",\"clic\")",
                "'=HYPERLINK(\"http://x\",\"clic\")",
            ),
            ("=1+1", "'=1+1"),
            ("+57 300", "'+57 300"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-5", "-5"),
            ("+3.25", "+3.25"),
            ("-", "'-"),
            ("Informe de interventoría", "Informe de interventoría"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(cell), written, "{cell:?}");
        }
    }

    #[test]
    fn folds_accents_and_case() {
        assert_eq!(fold_for_search(" BOGOTÁ, D.C. "), "bogota, d.c.");
        assert_eq!(fold_for_search("NARIÑO"), "narino");
        assert_eq!(
            fold_for_search("San Vicente del Caguán"),
            "san vicente del caguan"
        );
    }
}
