//! Text helpers: matching what people type against official names, and cells written for
//! spreadsheets.

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
