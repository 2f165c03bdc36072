//! The language of the command line: Spanish by default, English with `--lang en` or
//! `VEREDA_LANG=en`. Every word the binary prints comes from the one catalogue.

use std::sync::OnceLock;

use vereda_messages::{Lang, Message};
use vereda_store::StoreError;

static CHOSEN: OnceLock<Lang> = OnceLock::new();

/// The language asked for on the command line (`--lang en`, `--lang=en`), else in
/// `VEREDA_LANG`, else Spanish. Read before clap parses, since the help itself is in it.
pub fn from_args(args: &[String]) -> Lang {
    let mut flag = None;
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        if arg == "--" {
            break;
        }
        if arg == "--lang" {
            flag = rest.next().cloned();
        } else if let Some(value) = arg.strip_prefix("--lang=") {
            flag = Some(value.to_owned());
        }
    }
    flag.or_else(|| std::env::var("VEREDA_LANG").ok())
        .and_then(|code| Lang::parse(&code))
        .unwrap_or_default()
}

/// Fixes the language of this run.
pub fn choose(lang: Lang) {
    let _ = CHOSEN.set(lang);
}

/// The language of this run.
pub fn lang() -> Lang {
    CHOSEN.get().copied().unwrap_or_default()
}

/// An error of the command line said as a typed message of the catalogue.
#[derive(Debug)]
pub struct Said(pub Message);

impl std::fmt::Display for Said {
    /// The code and arguments, for logs; people read [`error_text`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Said {}

/// An error that says `message`.
pub fn said(message: Message) -> anyhow::Error {
    anyhow::Error::new(Said(message))
}

/// An error in the language of this run: a typed message of the command line or the store
/// in the catalogue's words; anything else (a technical failure) as it says itself.
pub fn error_text(error: &anyhow::Error) -> String {
    let lang = lang();
    if let Some(Said(message)) = error.downcast_ref::<Said>() {
        return lang.say(message);
    }
    if let Some(store) = error.downcast_ref::<StoreError>() {
        let entity = |entity: &str| format!("entity-{}", entity.replace(' ', "_"));
        match store {
            StoreError::DuplicateEmail(email) => {
                return lang.say(&Message::new("error-duplicate_email").with("email", email));
            }
            StoreError::Duplicate { entity: kind, id } => {
                return lang.say(
                    &Message::new("error-duplicate")
                        .with_term("entity", entity(kind))
                        .with("id", id),
                );
            }
            StoreError::NotFound { entity: kind, id } => {
                return lang.say(
                    &Message::new("error-not_found_entity")
                        .with_term("entity", entity(kind))
                        .with("id", id),
                );
            }
            StoreError::Invalid(message)
            | StoreError::Conflict(message)
            | StoreError::Forbidden(message)
            | StoreError::Connection(message) => {
                return lang.say(message);
            }
            _ => {}
        }
    }
    format!("{error:#}")
}

/// What the system said of a file, in the reader's language: its kind (`io-problem-*`), never
/// the system's own English words.
pub fn io_problem(error: &std::io::Error) -> vereda_messages::Arg {
    use std::io::ErrorKind;
    let code = match error.kind() {
        ErrorKind::NotFound => "io-problem-not_found",
        ErrorKind::PermissionDenied => "io-problem-permission_denied",
        ErrorKind::AlreadyExists => "io-problem-already_exists",
        ErrorKind::IsADirectory => "io-problem-is_a_directory",
        ErrorKind::NotADirectory => "io-problem-not_a_directory",
        ErrorKind::StorageFull => "io-problem-storage_full",
        ErrorKind::InvalidData => "io-problem-not_text",
        _ => "io-problem-other",
    };
    vereda_messages::Arg::List(vec![Message::new(code)])
}

/// An error that names the file that could not be written and why: a failure of the system
/// by its kind; another failure (a workbook or document library's) in its own words.
pub fn cannot_write(path: &std::path::Path, error: &(dyn std::error::Error + 'static)) -> anyhow::Error {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            return said(
                Message::new("cli-error-write")
                    .with("file", path.display().to_string())
                    .with("detail", io_problem(io)),
            );
        }
        cause = current.source();
    }
    said(
        Message::new("cli-error-write")
            .with("file", path.display().to_string())
            .with("detail", error.to_string()),
    )
}
