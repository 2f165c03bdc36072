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
    db_max_connections: Option<u32>,
    db_acquire_timeout_seconds: Option<u64>,
    db_statement_timeout_seconds: Option<u64>,
    sqlite_busy_timeout_ms: Option<u64>,
    db_ssl_root_cert: Option<std::path::PathBuf>,
    uploads_dir: Option<std::path::PathBuf>,
    metrics_token: Option<String>,
    access_log: Option<bool>,
    public_url: Option<String>,
    iati_publisher: Option<String>,
    digest_business_days: Option<u32>,
    daily_digest: Option<bool>,
}

#[derive(Clone)]
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
    /// The database pool and timeouts and PostgreSQL's CA file: the flags
    /// (`--db-max-connections`...) and their `VEREDA_*` variables, else the file's
    /// `db_max_connections`, `db_acquire_timeout_seconds`, `db_statement_timeout_seconds`,
    /// `sqlite_busy_timeout_ms` and `db_ssl_root_cert`.
    pub connect: vereda_store::ConnectSettings,
    /// Where uploads are kept: `--uploads-dir` or `VEREDA_UPLOADS_DIR`, else the file's
    /// `uploads_dir`; required on PostgreSQL.
    pub uploads_dir: Option<std::path::PathBuf>,
    /// `VEREDA_METRICS_TOKEN`, else the file's `metrics_token`: the bearer token `/metrics`
    /// asks for; without one it answers the loopback address only.
    pub metrics_token: Option<String>,
    /// The file's `access_log` (the flag `--access-log` and `VEREDA_ACCESS_LOG` win): one log
    /// line per request; on by default.
    pub access_log: Option<bool>,
    /// `VEREDA_PUBLIC_URL`, else the file's `public_url`: the site's public address, printed
    /// on every signed act as `{public_url}/verificar/CODE`.
    pub public_url: Option<String>,
    /// `VEREDA_IATI_PUBLISHER`, else the file's `iati_publisher`: the IATI organisation
    /// identifier the open data publish under.
    pub iati_publisher: Option<String>,
    /// The file's `digest_business_days`: the business days within which an item of the staff
    /// inbox is due soon and goes into the daily digest (default 3).
    pub digest_business_days: Option<u32>,
    /// The file's `daily_digest`: queue the inbox's daily letters (on by default with
    /// `serve`, off for the demo).
    pub daily_digest: Option<bool>,
}

/// The settings as a log or a panic may show them: every password and token replaced by
/// `***`.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &vereda_store::redact_password(&self.database_url))
            .field("bind", &self.bind)
            .field("log_format", &self.log_format)
            .field("secure_cookies", &self.secure_cookies)
            .field(
                "smtp_url",
                &self.smtp_url.as_deref().map(vereda_store::redact_password),
            )
            .field("smtp_from", &self.smtp_from)
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("session_absolute_minutes", &self.session_absolute_minutes)
            .field("reset_link_hours", &self.reset_link_hours)
            .field("require_second_factor", &self.require_second_factor)
            .field("read_limits", &self.read_limits)
            .field("calendar_file", &self.calendar_file)
            .field("petitions_per_hour", &self.petitions_per_hour)
            .field("petition_attachment_mib", &self.petition_attachment_mib)
            .field("templates_dir", &self.templates_dir)
            .field("connect", &self.connect)
            .field("uploads_dir", &self.uploads_dir)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field("access_log", &self.access_log)
            .field("public_url", &self.public_url)
            .field("iati_publisher", &self.iati_publisher)
            .finish()
    }
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
            connect: vereda_store::ConnectSettings {
                max_connections: from_file.db_max_connections,
                acquire_timeout: from_file
                    .db_acquire_timeout_seconds
                    .map(std::time::Duration::from_secs),
                statement_timeout: from_file
                    .db_statement_timeout_seconds
                    .map(std::time::Duration::from_secs),
                busy_timeout: from_file
                    .sqlite_busy_timeout_ms
                    .map(std::time::Duration::from_millis),
                ssl_root_cert: from_file.db_ssl_root_cert,
            },
            uploads_dir: from_file.uploads_dir,
            metrics_token: environment("VEREDA_METRICS_TOKEN").or(from_file.metrics_token),
            access_log: from_file.access_log,
            public_url: environment("VEREDA_PUBLIC_URL").or(from_file.public_url),
            iati_publisher: environment("VEREDA_IATI_PUBLISHER").or(from_file.iati_publisher),
            digest_business_days: from_file.digest_business_days,
            daily_digest: from_file.daily_digest,
        })
    }

    /// The flags (and their variables) over the file's database settings.
    pub fn connect_flags(&mut self, flags: &crate::ConnectFlags) {
        let connect = &mut self.connect;
        connect.max_connections = flags.db_max_connections.or(connect.max_connections);
        connect.acquire_timeout = flags
            .db_acquire_timeout
            .map(std::time::Duration::from_secs)
            .or(connect.acquire_timeout);
        connect.statement_timeout = flags
            .db_statement_timeout
            .map(std::time::Duration::from_secs)
            .or(connect.statement_timeout);
        connect.busy_timeout = flags
            .sqlite_busy_timeout
            .map(std::time::Duration::from_millis)
            .or(connect.busy_timeout);
        connect.ssl_root_cert = flags.db_ssl_root_cert.clone().or(connect.ssl_root_cert.take());
        if flags.uploads_dir.is_some() {
            self.uploads_dir = flags.uploads_dir.clone();
        }
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
        .map_err(said)
}

/// The log: `RUST_LOG` when set, else `info` without the libraries' chatter. The access log
/// is the target `vereda::access` (`RUST_LOG=info,vereda::access=off` silences it too).
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(
            "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,tower_sessions=warn,tower_http=warn",
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
    fn the_database_settings_come_from_the_file_and_no_password_is_shown() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("vereda.toml");
        std::fs::write(
            &path,
            "database_url = \"postgres://vereda:s3creta@db/vereda\"\nsmtp_url = \"smtps://avisos:cl4ve@mail.example\"\nmetrics_token = \"t0ken\"\ndb_max_connections = 40\ndb_acquire_timeout_seconds = 5\ndb_statement_timeout_seconds = 60\nsqlite_busy_timeout_ms = 2500\ndb_ssl_root_cert = \"/etc/vereda/ca.pem\"\nuploads_dir = \"/data/uploads\"\naccess_log = false\n",
        )?;
        let settings = Settings::resolve(Some(&path), None, None)?;
        assert_eq!(settings.connect.max_connections, Some(40));
        assert_eq!(
            settings.connect.acquire_timeout,
            Some(std::time::Duration::from_secs(5))
        );
        assert_eq!(
            settings.connect.statement_timeout,
            Some(std::time::Duration::from_secs(60))
        );
        assert_eq!(
            settings.connect.busy_timeout,
            Some(std::time::Duration::from_millis(2500))
        );
        assert_eq!(
            settings.connect.ssl_root_cert.as_deref(),
            Some(Path::new("/etc/vereda/ca.pem"))
        );
        assert_eq!(settings.uploads_dir.as_deref(), Some(Path::new("/data/uploads")));
        assert_eq!(settings.access_log, Some(false));
        let shown = format!("{settings:?}");
        for secret in ["s3creta", "cl4ve", "t0ken"] {
            assert!(!shown.contains(secret), "{secret} shown in {shown}");
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
