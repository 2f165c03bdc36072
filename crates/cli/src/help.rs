//! The help of every command and argument, from the catalogue: `cli-help-<path>` for a
//! command (`cli-help-vereda`, `cli-help-user-add`) and `cli-help-<path>-arg-<id>` for its
//! arguments, so `vereda --help` speaks the language of the run.

use clap::{Arg, ArgAction, Command};
use vereda_messages::Lang;

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
            arg.help(lang.t(&key))
                .long_help(None)
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
