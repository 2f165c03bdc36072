//! Settings: flags first, then `VEREDA_*` environment variables (both read by clap), then
//! an optional TOML file, then defaults.

use std::path::Path;

use anyhow::Result;
use serde::Deserialize;
use vereda_messages::Message;
use vereda_screening::table::ReadLimits;

use crate::lang::said;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

/// The settings file. Unknown keys are an error, so a typo does not go unnoticed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<String>,
    bind: Option<String>,
    log_format: Option<LogFormat>,
    #[serde(default)]
    secure_cookies: bool,
    smtp_url: Option<String>,
    smtp_from: Option<String>,
    session_idle_minutes: Option<u64>,
    session_absolute_minutes: Option<u64>,
    reset_link_hours: Option<u64>,
    require_second_factor: Option<bool>,
    import_max_cells: Option<u64>,
    import_max_text_mib: Option<u64>,
    import_max_line_kib: Option<u64>,
    calendar_file: Option<std::path::PathBuf>,
    petitions_per_hour: Option<u64>,
    petition_attachment_mib: Option<u64>,
    templates_dir: Option<std::path::PathBuf>,
    public_url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: Option<String>,
    pub log_format: LogFormat,
    pub secure_cookies: bool,
    /// `VEREDA_SMTP_URL`, else the file's `smtp_url`: letters to households with an e-mail
    /// address go by SMTP.
    pub smtp_url: Option<String>,
    /// `VEREDA_SMTP_FROM`, else the file's `smtp_from`: the letters' sender.
    pub smtp_from: Option<String>,
    /// The file's `session_idle_minutes` (the flag and `VEREDA_SESSION_IDLE_MINUTES` win).
    pub session_idle_minutes: Option<u64>,
    /// The file's `session_absolute_minutes` (the flag and `VEREDA_SESSION_ABSOLUTE_MINUTES`
    /// win).
    pub session_absolute_minutes: Option<u64>,
    /// `VEREDA_RESET_LINK_HOURS`, else the file's `reset_link_hours`: how long a
    /// password-reset link works (default 24).
    pub reset_link_hours: Option<u64>,
    /// The file's `require_second_factor` (the flag and `VEREDA_REQUIRE_SECOND_FACTOR` win).
    pub require_second_factor: Option<bool>,
    /// How much one imported file may hold: `VEREDA_IMPORT_MAX_CELLS`,
    /// `VEREDA_IMPORT_MAX_TEXT_MIB` and `VEREDA_IMPORT_MAX_LINE_KIB`, else the file's
    /// `import_max_cells`, `import_max_text_mib` and `import_max_line_kib`, else
    /// [`ReadLimits::default`].
    pub read_limits: ReadLimits,
    /// The file's `calendar_file` (the flag `--calendar` and `VEREDA_CALENDAR_FILE` win): an
    /// agency's holidays added to the shipped calendar.
    pub calendar_file: Option<std::path::PathBuf>,
    /// `VEREDA_PETITIONS_PER_HOUR`, else the file's `petitions_per_hour`: the public petitions
    /// one client address may file in an hour (default 5).
    pub petitions_per_hour: Option<u64>,
    /// `VEREDA_PETITION_ATTACHMENT_MIB`, else the file's `petition_attachment_mib`: the largest
    /// attachment of a petition (default 10).
    pub petition_attachment_mib: Option<u64>,
    /// The document templates' directory: the `--templates` flag or `VEREDA_TEMPLATES_DIR`,
    /// else the file's `templates_dir`; a template there replaces the shipped one of the same
    /// name.
    pub templates_dir: Option<std::path::PathBuf>,
    /// `VEREDA_PUBLIC_URL`, else the file's `public_url`: the site's public address, printed
    /// on every signed act as `{public_url}/verificar/CODE`.
    pub public_url: Option<String>,
}

impl Settings {
    pub fn resolve(
        file: Option<&Path>,
        database_url: Option<String>,
        log_format: Option<LogFormat>,
    ) -> Result<Settings> {
        let from_file = match file {
            Some(path) => {
                let file = path.display().to_string();
                let text = std::fs::read_to_string(path).map_err(|e| {
                    said(
                        Message::new("cli-error-settings_unreadable")
                            .with("file", file.as_str())
                            .with("detail", crate::lang::io_problem(&e)),
                    )
                })?;
                toml::from_str::<FileSettings>(&text).map_err(|e| {
                    said(
                        Message::new("cli-error-settings_bad")
                            .with("file", file.as_str())
                            .with(
                                "detail",
                                vereda_messages::Arg::List(vec![
                                    vereda_documents::formulation_file::toml_error(&text, &e).place(),
                                ]),
                            ),
                    )
                })?
            }
            None => FileSettings::default(),
        };
        let defaults = ReadLimits::default();
        let read_limits = ReadLimits {
            max_cells: number("VEREDA_IMPORT_MAX_CELLS")?
                .or(from_file.import_max_cells)
                .unwrap_or(defaults.max_cells),
            max_text_bytes: number("VEREDA_IMPORT_MAX_TEXT_MIB")?
                .or(from_file.import_max_text_mib)
                .map_or(defaults.max_text_bytes, |mib| mib.saturating_mul(1 << 20)),
            max_line_bytes: number("VEREDA_IMPORT_MAX_LINE_KIB")?
                .or(from_file.import_max_line_kib)
                .map_or(defaults.max_line_bytes, |kib| kib.saturating_mul(1 << 10)),
        };
        Ok(Settings {
            database_url: database_url
                .or(from_file.database_url)
                .unwrap_or_else(|| vereda_store::DEFAULT_DATABASE_URL.to_owned()),
            bind: from_file.bind,
            log_format: log_format.or(from_file.log_format).unwrap_or_default(),
            secure_cookies: from_file.secure_cookies,
            smtp_url: environment("VEREDA_SMTP_URL").or(from_file.smtp_url),
            smtp_from: environment("VEREDA_SMTP_FROM").or(from_file.smtp_from),
            session_idle_minutes: from_file.session_idle_minutes,
            session_absolute_minutes: from_file.session_absolute_minutes,
            reset_link_hours: number("VEREDA_RESET_LINK_HOURS")?.or(from_file.reset_link_hours),
            require_second_factor: from_file.require_second_factor,
            read_limits,
            calendar_file: from_file.calendar_file,
            petitions_per_hour: number("VEREDA_PETITIONS_PER_HOUR")?.or(from_file.petitions_per_hour),
            petition_attachment_mib: number("VEREDA_PETITION_ATTACHMENT_MIB")?
                .or(from_file.petition_attachment_mib),
            templates_dir: from_file.templates_dir,
            public_url: environment("VEREDA_PUBLIC_URL").or(from_file.public_url),
        })
    }

    /// The document templates these settings name.
    pub fn templates(&self) -> vereda_documents::typeset::Templates {
        match &self.templates_dir {
            Some(dir) => vereda_documents::typeset::Templates::from_dir(dir),
            None => vereda_documents::typeset::Templates::shipped(),
        }
    }
}

/// A whole number from the environment, unless unset or blank; an error naming the variable
/// otherwise.
fn number(name: &'static str) -> Result<Option<u64>> {
    environment(name)
        .map(|text| {
            text.trim().parse().map_err(|_| {
                said(
                    Message::new("cli-error-settings_number")
                        .with("name", name)
                        .with("value", text.as_str()),
                )
            })
        })
        .transpose()
}

/// A variable of the environment, unless unset or blank.
fn environment(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The SMTP server of the settings, checked now so a bad URL stops the start.
pub fn smtp(settings: &Settings) -> Result<Option<vereda_web::letters::Smtp>> {
    settings
        .smtp_url
        .as_deref()
        .map(|url| vereda_web::letters::Smtp::parse(url, settings.smtp_from.as_deref()))
        .transpose()
        .map_err(|e| anyhow::anyhow!("VEREDA_SMTP_URL: {e}"))
}

pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(
            "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,tower_sessions=warn",
        )
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_which_wins_over_defaults() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("vereda.toml");
        std::fs::write(
            &path,
            "database_url = \"sqlite://from-file.db\"\nbind = \"0.0.0.0:9000\"\nlog_format = \"json\"\n",
        )?;
        let from_file = Settings::resolve(Some(&path), None, None)?;
        assert_eq!(from_file.database_url, "sqlite://from-file.db");
        assert_eq!(from_file.bind.as_deref(), Some("0.0.0.0:9000"));
        assert_eq!(from_file.log_format, LogFormat::Json);
        let flagged = Settings::resolve(
            Some(&path),
            Some("postgres://x@h/db".into()),
            Some(LogFormat::Human),
        )?;
        assert_eq!(flagged.database_url, "postgres://x@h/db");
        assert_eq!(flagged.log_format, LogFormat::Human);
        let defaults = Settings::resolve(None, None, None)?;
        assert_eq!(defaults.database_url, "sqlite://vereda.db");
        Ok(())
    }

    #[test]
    fn the_account_protection_settings_come_from_the_file() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("vereda.toml");
        std::fs::write(
            &path,
            "session_idle_minutes = 30\nsession_absolute_minutes = 600\nreset_link_hours = 4\nrequire_second_factor = false\n",
        )?;
        let settings = Settings::resolve(Some(&path), None, None)?;
        assert_eq!(settings.session_idle_minutes, Some(30));
        assert_eq!(settings.session_absolute_minutes, Some(600));
        assert_eq!(settings.require_second_factor, Some(false));
        if std::env::var_os("VEREDA_RESET_LINK_HOURS").is_none() {
            assert_eq!(settings.reset_link_hours, Some(4));
        }
        Ok(())
    }

    #[test]
    fn the_import_limits_come_from_the_file_in_their_units() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("vereda.toml");
        std::fs::write(
            &path,
            "import_max_cells = 1000\nimport_max_text_mib = 2\nimport_max_line_kib = 64\n",
        )?;
        let settings = Settings::resolve(Some(&path), None, None)?;
        if std::env::var_os("VEREDA_IMPORT_MAX_CELLS").is_none() {
            assert_eq!(
                settings.read_limits,
                ReadLimits {
                    max_cells: 1000,
                    max_text_bytes: 2 << 20,
                    max_line_bytes: 64 << 10,
                }
            );
        }
        let defaults = Settings::resolve(None, None, None)?;
        if std::env::var_os("VEREDA_IMPORT_MAX_CELLS").is_none() {
            assert_eq!(defaults.read_limits, ReadLimits::default());
        }
        Ok(())
    }

    #[test]
    fn a_typo_in_the_file_is_an_error_naming_it() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("vereda.toml");
        std::fs::write(&path, "databse_url = \"x\"\n")?;
        let error = Settings::resolve(Some(&path), None, None).expect_err("unknown key");
        let Some(crate::lang::Said(message)) = error.downcast_ref() else {
            panic!("{error:#}");
        };
        assert_eq!(message.code(), "cli-error-settings_bad");
        let detail = format!("{:?} {:?}", message.arg("file"), message.arg("detail"));
        assert!(
            detail.contains("vereda.toml") && detail.contains("databse_url"),
            "{detail}"
        );
        Ok(())
    }
}
