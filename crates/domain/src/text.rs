//! Text helpers for matching what people type against official names.

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

#[cfg(test)]
mod tests {
    use super::*;

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
