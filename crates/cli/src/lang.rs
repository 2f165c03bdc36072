//! The language of the command line: Spanish by default, English with `--lang en` or
//! `VEREDA_LANG=en`. Every word the binary prints comes from the one catalogue.

use std::sync::OnceLock;

use vereda_messages::Lang;

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
