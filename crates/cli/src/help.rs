//! The help of every command and argument, from the catalogue: `cli-help-<path>` for a
//! command (`cli-help-vereda`, `cli-help-user-add`) and `cli-help-<path>-arg-<id>` for its
//! arguments, so `vereda --help` speaks the language of the run.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command};
use vereda_messages::{Lang, Message};

/// The catalogue's identifier of the help of the command at `path` (its names below the
/// binary, joined by `-`; empty for the binary itself).
pub fn command_key(path: &str) -> String {
    if path.is_empty() {
        "cli-help-vereda".to_owned()
    } else {
        format!("cli-help-{path}")
    }
}

/// The catalogue's identifier of the help of argument `id` of the command at `path`
/// (`cli-help-arg-<id>` for the binary's own, global, arguments).
pub fn argument_key(path: &str, id: &str) -> String {
    if path.is_empty() {
        format!("cli-help-arg-{id}")
    } else {
        format!("{}-arg-{id}", command_key(path))
    }
}

/// The command with every about and help text in `lang`.
pub fn localize(command: Command, lang: Lang) -> Command {
    localize_at(command, String::new(), lang)
}

fn localize_at(command: Command, path: String, lang: Lang) -> Command {
    let names: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    let template = format!(
        "{{about-with-newline}}\n{} {{usage}}\n\n{{all-args}}{{after-help}}",
        lang.t("cli-help-usage")
    );
    let mut command = command
        .about(lang.t(&command_key(&path)))
        .long_about(None)
        .help_template(template)
        .subcommand_help_heading(lang.t("cli-help-commands"))
        .disable_help_subcommand(true)
        .disable_help_flag(true)
        .mut_args(|arg| {
            let key = argument_key(&path, arg.get_id().as_str());
            let heading = if arg.is_positional() {
                "cli-help-arguments"
            } else {
                "cli-help-options"
            };
            // clap's tags ([default: …], [env: …], [possible values: …]) are English: the
            // catalogue says the same after the help.
            let mut help = lang.t(&key).to_owned();
            if !arg.get_action().takes_values() {
                return arg
                    .help(help)
                    .long_help(None)
                    .hide_env(true)
                    .help_heading(lang.t(heading));
            }
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_owned())
                .collect();
            if !values.is_empty() && !arg.is_hide_possible_values_set() {
                help.push(' ');
                help.push_str(&lang.say(&Message::new("cli-help-values").with("values", values.join(", "))));
            }
            let defaults: Vec<String> = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .filter(|v| !v.is_empty())
                .collect();
            if !defaults.is_empty() && !arg.is_hide_default_value_set() {
                help.push(' ');
                help.push_str(
                    &lang.say(&Message::new("cli-help-default").with("value", defaults.join(", "))),
                );
            }
            if let Some(variable) = arg.get_env()
                && !arg.is_hide_env_set()
            {
                help.push(' ');
                help.push_str(&lang.say(
                    &Message::new("cli-help-env").with("variable", variable.to_string_lossy().into_owned()),
                ));
            }
            let placeholders: Vec<String> = value_names(&arg)
                .iter()
                .map(|name| lang.t(&placeholder_key(name)).to_owned())
                .collect();
            arg.help(help)
                .value_names(placeholders)
                .long_help(None)
                .hide_possible_values(true)
                .hide_default_value(true)
                .hide_env(true)
                .help_heading(lang.t(heading))
        })
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help(lang.t("cli-help-help"))
                .help_heading(lang.t("cli-help-options")),
        );
    if path.is_empty() {
        command = command
            .after_help(lang.t("cli-help-after"))
            .disable_version_flag(true)
            .arg(
                Arg::new("version")
                    .short('V')
                    .long("version")
                    .action(ArgAction::Version)
                    .help(lang.t("cli-help-version"))
                    .help_heading(lang.t("cli-help-options")),
            );
    }
    for name in names {
        let sub_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}-{name}")
        };
        command = command.mut_subcommand(&name, |sub| localize_at(sub, sub_path, lang));
    }
    command
}

/// What clap has to say, in `lang`: the help and the version as they are (the help is the
/// catalogue's, with clap's placeholders named in `lang`), and a parse error as a message of
/// the catalogue (`cli-error-*`) built from the error's kind and context, since clap's own
/// words are English. Also whether it goes to standard output (help, version).
pub fn clap_text(error: &clap::Error, lang: Lang) -> (String, bool) {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            return (placeholders(&error.render().to_string(), lang), true);
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            return (placeholders(&error.render().to_string(), lang), false);
        }
        _ => {}
    }
    let mut lines = vec![lang.t_with(
        "cli-error",
        &[(
            "detail",
            vereda_messages::Arg::Text(lang.say(&clap_message(error))),
        )],
    )];
    let suggestion = [
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedArg,
        ContextKind::SuggestedValue,
    ]
    .into_iter()
    .find_map(|kind| context(error, kind));
    if let Some(suggestion) = suggestion {
        lines.push(lang.say(&Message::new("cli-error-did_you_mean").with("suggestion", suggestion)));
    }
    lines.push(lang.t("cli-error-try_help").to_owned());
    (lines.join("\n"), false)
}

/// A value of an error's context as text (a list joined with commas).
fn context(error: &clap::Error, kind: ContextKind) -> Option<String> {
    match error.get(kind)? {
        ContextValue::String(text) => Some(text.clone()),
        ContextValue::Strings(texts) => Some(texts.join(", ")),
        ContextValue::StyledStr(text) => Some(text.to_string()),
        ContextValue::StyledStrs(texts) => Some(
            texts
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ContextValue::Number(n) => Some(n.to_string()),
        ContextValue::Bool(_) | ContextValue::None => None,
        _ => None,
    }
}

/// A parse error as a typed message of the catalogue.
pub fn clap_message(error: &clap::Error) -> Message {
    let text = |kind| context(error, kind).unwrap_or_default();
    let arg = || text(ContextKind::InvalidArg);
    match error.kind() {
        ErrorKind::InvalidValue => match context(error, ContextKind::ValidValue).filter(|v| !v.is_empty()) {
            Some(valid) => Message::new("cli-error-invalid_value")
                .with("arg", arg())
                .with("value", text(ContextKind::InvalidValue))
                .with("valid", valid),
            None => Message::new("cli-error-empty_value").with("arg", arg()),
        },
        ErrorKind::ValueValidation => Message::new("cli-error-invalid_value_for")
            .with("arg", arg())
            .with("value", text(ContextKind::InvalidValue)),
        ErrorKind::UnknownArgument => Message::new("cli-error-unknown_argument").with("arg", arg()),
        ErrorKind::InvalidSubcommand => {
            Message::new("cli-error-unknown_command").with("command", text(ContextKind::InvalidSubcommand))
        }
        ErrorKind::MissingRequiredArgument => Message::new("cli-error-missing_argument").with("args", arg()),
        ErrorKind::MissingSubcommand => Message::new("cli-error-missing_command"),
        ErrorKind::ArgumentConflict => Message::new("cli-error-conflict")
            .with("arg", arg())
            .with("other", text(ContextKind::PriorArg)),
        ErrorKind::TooManyValues | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            Message::new("cli-error-value_count").with("arg", arg())
        }
        ErrorKind::NoEquals => Message::new("cli-error-no_equals").with("arg", arg()),
        ErrorKind::InvalidUtf8 => Message::new("cli-error-not_utf8"),
        _ => Message::new("cli-error-arguments"),
    }
}

/// The placeholders an argument's values are shown with, as written in the code (`FILE`,
/// `KIND=FILE`) or, when none is written, its name in capitals, as clap does.
fn value_names(arg: &Arg) -> Vec<String> {
    match arg.get_value_names() {
        Some(names) if !names.is_empty() => names.iter().map(|n| n.to_string()).collect(),
        _ => vec![arg.get_id().as_str().to_uppercase()],
    }
}

/// The catalogue's key of a placeholder: `cli-metavar-kind_file` for `KIND=FILE`.
fn placeholder_key(name: &str) -> String {
    let word: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("cli-metavar-{word}")
}

/// clap's placeholders in a usage line, named in `lang`.
fn placeholders(text: &str, lang: Lang) -> String {
    text.replace("[OPTIONS]", lang.t("cli-help-options_placeholder"))
        .replace("<COMMAND>", lang.t("cli-help-command_placeholder"))
        .replace("[COMMAND]", lang.t("cli-help-command_optional_placeholder"))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every command of the tree with its path, the binary first.
    fn commands(command: &Command) -> Vec<(String, &Command)> {
        fn walk<'c>(path: String, command: &'c Command, into: &mut Vec<(String, &'c Command)>) {
            into.push((path.clone(), command));
            for sub in command.get_subcommands() {
                let sub_path = if path.is_empty() {
                    sub.get_name().to_owned()
                } else {
                    format!("{path}-{}", sub.get_name())
                };
                walk(sub_path, sub, into);
            }
        }
        let mut all = Vec::new();
        walk(String::new(), command, &mut all);
        all
    }

    /// Every command and argument of the binary has its help in both catalogues.
    #[test]
    fn every_command_and_argument_has_its_help_in_both_languages() {
        let cli = crate::Cli::command();
        let mut keys = vec![
            "cli-help-after".to_owned(),
            "cli-help-usage".to_owned(),
            "cli-help-commands".to_owned(),
            "cli-help-arguments".to_owned(),
            "cli-help-options".to_owned(),
            "cli-help-help".to_owned(),
            "cli-help-version".to_owned(),
        ];
        for (path, command) in commands(&cli) {
            keys.push(command_key(&path));
            keys.extend(
                command
                    .get_arguments()
                    .map(|a| argument_key(&path, a.get_id().as_str())),
            );
            // The placeholders of the values, named in each language.
            keys.extend(
                command
                    .get_arguments()
                    .filter(|a| a.get_action().takes_values())
                    .flat_map(|a| value_names(a).into_iter().map(|name| placeholder_key(&name))),
            );
        }
        assert!(keys.len() > 60, "the walk found only {} texts", keys.len());
        let missing: Vec<String> = (keys.iter())
            .flat_map(|key| Lang::ALL.map(|lang| (key, lang)))
            .filter(|(key, lang)| !lang.has(key))
            .map(|(key, lang)| format!("{key} ({})", lang.code()))
            .collect();
        assert!(missing.is_empty(), "missing: {missing:#?}");
    }

    /// The help shown is the catalogue's, in the language asked for.
    #[test]
    fn the_help_is_in_the_language_of_the_run() {
        // Help wraps long lines: words are compared, not line breaks.
        let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        for lang in Lang::ALL {
            let mut command = localize(crate::Cli::command(), lang);
            let help = words(&command.render_help().to_string());
            assert!(help.contains(&words(lang.t("cli-help-vereda"))), "{help}");
            assert!(help.contains(&words(lang.t("cli-help-arg-lang"))), "{help}");
            let mut user = localize(crate::Cli::command(), lang);
            let add = user
                .find_subcommand_mut("user")
                .and_then(|u| u.find_subcommand_mut("add"))
                .expect("user add");
            let help = words(&add.render_help().to_string());
            let key = "cli-help-user-add-arg-password_stdin";
            assert!(help.contains(&words(lang.t(key))), "{help}");
        }
    }
}
