//! Words of one language that text in the other must not show, shared by the tests of every
//! presenter (the web's pages, the command line): one list, so a leak found once is looked
//! for everywhere.

use crate::{Lang, identifiers};

/// Words of the interface's English that Spanish text must not show. Some demo records are
/// English (a donor's project in its own words), so these are words of forms and messages.
pub const ENGLISH: &[&str] = &[
    " is not ",
    " does not ",
    " cannot ",
    " must ",
    " missing",
    "Back to",
    "Save ",
    "Choose ",
    "Download",
    "Submit",
    "Pending",
    "Create ",
    "Sign in",
    "Log out",
    "is required",
    "Next",
    "Previous",
];

/// Words of the interface's Spanish that English text must not show. Demo records (names,
/// titles, places) are Spanish and do show: these are words of forms and messages only.
pub const SPANISH: &[&str] = &[
    "Volver",
    "Guardar",
    "Elija",
    "Escriba",
    "Ingresar",
    "Cerrar sesión",
    "no es un número",
    " debe ",
    "Buscar",
    " obligatorio",
    "Página ",
    "Descargar",
    "Pendiente",
    "Registrar",
    "Crear ",
    "Siguiente",
    "Anterior",
    " no existe",
];

/// The words of the other language than `lang` (see [`ENGLISH`], [`SPANISH`]).
pub fn other_language_words(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::Es => ENGLISH,
        Lang::En => SPANISH,
    }
}

/// What is wrong with `text` said in `lang`: words of the other language (the shared list and
/// `also`), and catalogue identifiers shown as text.
pub fn problems(lang: Lang, text: &str, also: &[&str]) -> Vec<String> {
    let mut found: Vec<String> = other_language_words(lang)
        .iter()
        .chain(also)
        .filter(|word| text.contains(**word))
        .map(|word| format!("{word:?}"))
        .collect();
    let known = identifiers(Lang::Es);
    for token in text.split(|c: char| c.is_whitespace() || "()[]«»“”\"',.:;<>".contains(c)) {
        if token.contains('-') && known.contains(&token) {
            found.push(format!("the identifier {token} shown as text"));
        }
    }
    found
}
