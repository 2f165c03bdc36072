//! `vereda`: the one binary. `serve` runs the web application; the other subcommands run
//! the same work from the command line.

mod backup;
mod calendar;
mod config;
mod evaluate;
mod help;
mod lang;
mod rule_sets;
mod screening;

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use vereda_domain::accounts::Role;
use vereda_domain::audit::Actor;
use vereda_store::Store;
use vereda_store::accounts::NewAccount;

use vereda_messages::{Arg, Message};
use vereda_screening::poverty::PovertyFileError;

use crate::config::{LogFormat, Settings};
use crate::lang::{lang, said};

/// vereda runs a territorial rural development co-financing program end to end: reference
/// data, households, projects, committee, awards and public results.
#[derive(Parser, Debug)]
#[command(name = "vereda", version, about, long_about = None, propagate_version = true)]
#[command(
    after_help = "Start with `vereda serve --demo` and open http://127.0.0.1:8080.\nConfiguration comes from flags, then VEREDA_* environment variables, then the --config file."
)]
struct Cli {
    /// Database URL: sqlite://PATH (default sqlite://vereda.db) or postgres://USER@HOST:PORT/DB.
    #[arg(long, env = "VEREDA_DATABASE_URL", global = true)]
    database_url: Option<String>,

    /// A TOML file with settings (database_url, bind, log_format, secure_cookies, smtp_url,
    /// smtp_from, session_idle_minutes, session_absolute_minutes, reset_link_hours,
    /// require_second_factor).
    #[arg(long, env = "VEREDA_CONFIG", global = true)]
    config: Option<PathBuf>,

    /// Log format: human (default) or json.
    #[arg(long, env = "VEREDA_LOG_FORMAT", global = true, value_enum)]
    log_format: Option<LogFormat>,

    /// A TOML file of holidays added to the shipped calendar (a new law needs no release); a
    /// holiday with the name of a shipped one replaces it.
    #[arg(long, env = "VEREDA_CALENDAR_FILE", global = true, value_name = "FILE")]
    calendar: Option<PathBuf>,

    /// Language of what the command prints: es (default) or en.
    #[arg(long, env = "VEREDA_LANG", global = true, value_parser = ["es", "en"])]
    lang: Option<String>,

    /// A directory of document templates (`.typ`): a file there replaces the shipped one of
    /// the same name.
    #[arg(long = "templates", env = "VEREDA_TEMPLATES_DIR", global = true)]
    templates: Option<PathBuf>,

    #[command(flatten)]
    connect: ConnectFlags,

    #[command(subcommand)]
    command: Command,
}

/// How to open the database and where uploads are: flags over the settings file.
#[derive(Args, Debug, Default)]
pub struct ConnectFlags {
    /// The most database connections the pool opens (default 16 on PostgreSQL, 8 on SQLite).
    #[arg(long, env = "VEREDA_DB_MAX_CONNECTIONS", global = true, value_name = "N")]
    pub db_max_connections: Option<u32>,
    /// How long a request waits for a database connection, in seconds (default 10).
    #[arg(
        long,
        env = "VEREDA_DB_ACQUIRE_TIMEOUT",
        global = true,
        value_name = "SECONDS"
    )]
    pub db_acquire_timeout: Option<u64>,
    /// PostgreSQL stops a statement that runs longer, in seconds (default: no limit).
    #[arg(
        long,
        env = "VEREDA_DB_STATEMENT_TIMEOUT",
        global = true,
        value_name = "SECONDS"
    )]
    pub db_statement_timeout: Option<u64>,
    /// How long an SQLite statement waits for another writer, in milliseconds (default 10000).
    #[arg(
        long,
        env = "VEREDA_SQLITE_BUSY_TIMEOUT",
        global = true,
        value_name = "MILLISECONDS"
    )]
    pub sqlite_busy_timeout: Option<u64>,
    /// A CA certificate (PEM) PostgreSQL's certificate must chain to; also `sslrootcert` in
    /// the URL.
    #[arg(long, env = "VEREDA_DB_SSL_ROOT_CERT", global = true, value_name = "FILE")]
    pub db_ssl_root_cert: Option<PathBuf>,
    /// Where uploaded files are kept (default: `uploads` beside the SQLite file; required with
    /// PostgreSQL).
    #[arg(long, env = "VEREDA_UPLOADS_DIR", global = true, value_name = "DIR")]
    pub uploads_dir: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start the web application (migrates the database first).
    Serve(ServeArgs),
    /// Bring the database schema up to date and load the reference data.
    Migrate,
    /// Manage staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Fill a database with demo data.
    #[command(subcommand, name = "demo-data")]
    DemoData(DemoCommand),
    /// Import reference data from official files.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Screen a registry of households against a rule set (see docs/screening.md).
    Screen(screening::ScreenArgs),
    /// The rule sets: the regulation's figures, each with its article.
    #[command(subcommand)]
    Rules(screening::RulesCommand),
    /// Evaluate project formulations: cash flow, IRR, NPV, B/C, verdict, co-financing and
    /// sensitivity (see docs/formulation.md).
    Evaluate(evaluate::EvaluateArgs),
    /// Colombia's public holidays and deadlines in business days (días hábiles).
    #[command(subcommand)]
    Calendar(calendar::CalendarCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// API tokens: other systems call the JSON API as an account.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The staff inbox's letters.
    #[command(subcommand)]
    Inbox(InboxCommand),
    /// Copy an SQLite database (consistent while the server runs), its uploads and its outbox
    /// into a directory. PostgreSQL: see the README (pg_dump and the uploads directory).
    Backup {
        /// The directory to write (created; must not hold a backup already).
        #[arg(value_name = "DEST")]
        dest: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum InboxCommand {
    /// Write the day's letters: a digest to each account with items due within the setting's
    /// business days (once a day per account), and each follow-up alert not written before to
    /// its office. A server delivers them.
    Digest {
        /// The day (YYYY-MM-DD); today in Colombia by default.
        #[arg(long, value_name = "DATE")]
        date: Option<jiff::civil::Date>,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Issue a token for an account and print its secret (shown this once; only its hash is
    /// kept).
    Create {
        #[arg(long)]
        email: String,
        /// Which system holds it.
        #[arg(long)]
        name: String,
    },
    /// List an account's tokens.
    List {
        #[arg(long)]
        email: String,
    },
    /// Revoke a token: it no longer authenticates.
    Revoke {
        /// The token's id (see `token list`).
        id: i32,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Walk the audit log's hash chain and name the first entry changed, removed or inserted
    /// (exit code 1). Writes the chain's head to the log.
    Verify {
        /// A head written to the log earlier, as ID:HASH (repeatable): the entry must still
        /// carry that hash, which finds a chain rebuilt from that entry on, or entries removed
        /// from its end.
        #[arg(long = "head", value_name = "ID:HASH")]
        heads: Vec<String>,
    },
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "VEREDA_BIND")]
    bind: Option<String>,
    /// Load the demo data (a program, a call, households, a project, one account per role).
    #[arg(long)]
    demo: bool,
    /// Send session cookies only over HTTPS (behind a TLS proxy).
    #[arg(long, env = "VEREDA_SECURE_COOKIES")]
    secure_cookies: bool,
    /// A session ends after this many minutes without a request (default 480).
    #[arg(long, env = "VEREDA_SESSION_IDLE_MINUTES")]
    session_idle_minutes: Option<u64>,
    /// A session ends this many minutes after its login, whatever its activity (default 720).
    #[arg(long, env = "VEREDA_SESSION_ABSOLUTE_MINUTES")]
    session_absolute_minutes: Option<u64>,
    /// Whether the roles that sign, approve, award or pay must log in with a second factor
    /// (TOTP): true or false. Default true; false with --demo, whose accounts have none.
    #[arg(long, env = "VEREDA_REQUIRE_SECOND_FACTOR")]
    require_second_factor: Option<bool>,
    /// Seconds a claimed job stays this server's without a renewal (default 30): after that
    /// long without news, another server takes it over from its last checkpoint.
    #[arg(long, env = "VEREDA_JOB_LEASE_SECONDS")]
    job_lease_seconds: Option<u64>,
    /// One log line per request (method, route, status, latency, request id): true or false
    /// (default true).
    #[arg(long, env = "VEREDA_ACCESS_LOG")]
    access_log: Option<bool>,
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create a staff account. The password is asked for, or read from standard input.
    Add {
        #[arg(long)]
        email: String,
        /// admin, program_officer, territorial_director, territorial_officer, formulator,
        /// committee_member, oversight or auditor.
        #[arg(long)]
        role: String,
        /// The name shown in the application.
        #[arg(long, default_value = "")]
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts.
    List,
    /// Deactivate an account: it is logged out at its next request and cannot log in.
    Deactivate {
        #[arg(long)]
        email: String,
    },
    /// Reactivate a deactivated account.
    Activate {
        #[arg(long)]
        email: String,
    },
    /// Give an account another role.
    Role {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
    },
    /// Remove an account's second factor and recovery codes (a lost device and lost codes):
    /// its sessions end and it enrolls again where the second factor is required.
    #[command(name = "remove-second-factor")]
    RemoveSecondFactor {
        #[arg(long)]
        email: String,
    },
    /// Issue a one-time link for the account to set a new password (it expires after
    /// reset_link_hours, default 24; only its hash is kept). Prints the link.
    #[command(name = "reset-link")]
    ResetLink {
        #[arg(long)]
        email: String,
        /// The application's public address, e.g. https://vereda.example.gov.co; without it
        /// only the link's path is printed.
        #[arg(long, env = "VEREDA_BASE_URL")]
        base_url: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum DemoCommand {
    /// Load the demo data into the database (once; a second run changes nothing).
    Seed,
    /// Write a synthetic registry: households.csv and the five registries, for demos and
    /// benchmarks (no database needed).
    Households(screening::SyntheticArgs),
    /// Store synthetic projects (SIN-00001 …) of 12 indicators each through the store, for
    /// the portfolio's benchmark; those already there are left.
    Projects {
        /// How many projects.
        #[arg(long)]
        n: usize,
    },
    /// Store synthetic projects (CTA-00001 …) taken through the whole procedure to their
    /// payment, with the movements of their controlled accounts, for the follow-up's benchmark;
    /// needs the demo data, and stores nothing when its call is already there.
    Ledgers {
        /// How many projects.
        #[arg(long)]
        n: usize,
        /// How many movements in each project's account.
        #[arg(long, default_value_t = 300)]
        movements: usize,
    },
}

#[derive(Subcommand, Debug)]
enum ImportCommand {
    /// Import the municipal multidimensional poverty index (IPM) from DANE's CSV or XLSX.
    Ipm {
        /// The file (.csv, .xlsx, .xls, .ods).
        file: PathBuf,
        /// The year the figures refer to.
        #[arg(long, default_value_t = 2018)]
        reference_year: i16,
    },
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let lang = lang::from_args(&args);
    lang::choose(lang);
    let parsed = help::localize(Cli::command(), lang)
        .try_get_matches_from(args)
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(error) => return clap_exit(&error, lang),
    };
    let mut settings =
        match Settings::resolve(cli.config.as_deref(), cli.database_url.clone(), cli.log_format) {
            Ok(settings) => settings,
            Err(error) => return fail(&error),
        };
    if cli.templates.is_some() {
        settings.templates_dir = cli.templates.clone();
    }
    settings.connect_flags(&cli.connect);
    let calendar_problem = install_calendar(cli.calendar.as_deref().or(settings.calendar_file.as_deref()));
    // Batch commands need neither the database nor the async runtime.
    let outcome = match cli.command {
        Command::Screen(args) => screening::screen(args, &settings.read_limits),
        Command::Rules(command) => screening::rules(command),
        Command::Evaluate(args) => evaluate::evaluate(args, &settings.read_limits, &settings.templates()),
        Command::Calendar(command) => calendar::calendar(command),
        Command::DemoData(DemoCommand::Households(args)) => screening::synthetic(args),
        command => return run_with_settings(command, settings, calendar_problem),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

/// Shows the help or the version, or says a parse error in the catalogue's words (clap's are
/// English), with clap's exit code.
fn clap_exit(error: &clap::Error, lang: vereda_messages::Lang) -> ExitCode {
    let (text, to_stdout) = help::clap_text(error, lang);
    if to_stdout {
        println!("{}", text.trim_end());
    } else {
        eprintln!("{}", text.trim_end());
    }
    ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
}

/// Says the error on standard error, in the language of the run, and fails.
fn fail(error: &anyhow::Error) -> ExitCode {
    eprintln!(
        "{}",
        lang::lang().t_with("cli-error", &[("detail", Arg::Text(lang::error_text(error)))])
    );
    ExitCode::FAILURE
}

/// Installs the calendar of this run: the shipped one, extended by the agency's file when one
/// is set. A bad file is said on standard error (and returned, for the server's log), and the
/// shipped calendar stays in use.
fn install_calendar(file: Option<&std::path::Path>) -> Option<String> {
    let path = file?;
    match calendar::load(path) {
        Ok(extended) => {
            // Nothing has counted a deadline yet, so the install cannot be refused.
            let _ = vereda_domain::calendar::install(extended);
            None
        }
        Err(error) => {
            let problem = lang::error_text(&error);
            eprintln!(
                "{}",
                lang().say(&Message::new("cli-calendar-file_refused").with("detail", problem.as_str()))
            );
            Some(problem)
        }
    }
}

fn run_with_settings(command: Command, settings: Settings, calendar_problem: Option<String>) -> ExitCode {
    config::init_logging(settings.log_format);
    if let Some(problem) = calendar_problem {
        tracing::error!(%problem, "the calendar file was refused: the shipped calendar stays in use");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            return fail(&anyhow::Error::new(error).context(lang::lang().t("cli-error-runtime")));
        }
    };
    match runtime.block_on(run(command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

async fn open(settings: &Settings) -> Result<Store> {
    let store = Store::connect_with(&settings.database_url, &settings.connect).await?;
    store.migrate().await.context(lang().t("cli-error-migrate"))?;
    Ok(store)
}

async fn run(command: Command, settings: Settings) -> Result<()> {
    match command {
        Command::Serve(args) => serve(args, settings).await,
        Command::Migrate => {
            let store = Store::connect_with(&settings.database_url, &settings.connect).await?;
            let pending = store.pending_migrations().await?;
            store.migrate().await.context(lang().t("cli-error-migrate"))?;
            println!(
                "{}",
                lang().t_with(
                    "cli-migrated",
                    &[
                        ("backend", Arg::from(store.backend_name())),
                        ("count", Arg::from(pending)),
                    ]
                )
            );
            Ok(())
        }
        Command::User(UserCommand::Add {
            email,
            role,
            name,
            password_stdin,
        }) => {
            let role = parse_role(&role)?;
            let password = read_password(password_stdin)?;
            let store = open(&settings).await?;
            let account = store
                .create_account(
                    &Actor::system("cli"),
                    NewAccount {
                        email,
                        display_name: name,
                        role,
                        password,
                    },
                )
                .await?;
            println!(
                "{}",
                lang().t_with(
                    "cli-user-created",
                    &[
                        ("email", Arg::from(&account.email)),
                        ("role", Arg::Term(format!("role-{}", account.role))),
                    ]
                )
            );
            Ok(())
        }
        Command::User(UserCommand::List) => {
            let store = open(&settings).await?;
            for account in store.accounts().await? {
                let state = if account.active {
                    lang().t("cli-user-active")
                } else {
                    lang().t("cli-user-disabled")
                };
                let role = lang().t(&format!("role-{}", account.role));
                println!("{}\t{role}\t{state}\t{}", account.email, account.display_name);
            }
            Ok(())
        }
        Command::User(UserCommand::Deactivate { email }) => set_active(&settings, &email, false).await,
        Command::User(UserCommand::Activate { email }) => set_active(&settings, &email, true).await,
        Command::User(UserCommand::Role { email, role }) => {
            let role = parse_role(&role)?;
            let store = open(&settings).await?;
            let account = account_by_email(&store, &email).await?;
            store
                .set_account_role(&Actor::system("cli"), account.id, role)
                .await?;
            println!(
                "{}",
                lang().t_with(
                    "cli-user-role_changed",
                    &[
                        ("email", Arg::from(&account.email)),
                        ("role", Arg::Term(format!("role-{role}"))),
                    ]
                )
            );
            Ok(())
        }
        Command::User(UserCommand::RemoveSecondFactor { email }) => {
            let store = open(&settings).await?;
            let account = account_by_email(&store, &email).await?;
            store
                .remove_second_factor(&Actor::system("cli"), account.id)
                .await?;
            println!(
                "{}",
                lang().t_with(
                    "cli-user-second_factor_removed",
                    &[("email", Arg::from(&account.email))]
                )
            );
            Ok(())
        }
        Command::User(UserCommand::ResetLink { email, base_url }) => {
            let store = open(&settings).await?;
            let account = account_by_email(&store, &email).await?;
            let hours = settings
                .reset_link_hours
                .unwrap_or(vereda_web::RESET_LINK_HOURS.unsigned_abs());
            let lifetime = jiff::SignedDuration::from_hours(i64::try_from(hours).unwrap_or(i64::MAX / 3600));
            let token = store
                .issue_password_reset(&Actor::system("cli"), account.id, lifetime)
                .await?;
            let base = base_url.as_deref().unwrap_or("").trim_end_matches('/');
            println!("{base}{}", vereda_web::pages::account::reset_path(&token));
            eprintln!(
                "{}",
                lang().say(
                    &Message::new("cli-user-reset_link")
                        .with("email", account.email.as_str())
                        .with("hours", i64::try_from(hours).unwrap_or(i64::MAX))
                )
            );
            Ok(())
        }
        Command::Screen(_)
        | Command::Rules(_)
        | Command::Evaluate(_)
        | Command::Calendar(_)
        | Command::DemoData(DemoCommand::Households(_)) => Err(said(Message::new("cli-error-no_database"))),
        Command::Audit(AuditCommand::Verify { heads }) => verify_audit(&settings, &heads).await,
        Command::Token(command) => token(&settings, command).await,
        Command::Inbox(InboxCommand::Digest { date }) => {
            let store = open(&settings).await?;
            let day = date.unwrap_or_else(vereda_web::today::today_in_colombia);
            let soon = settings
                .digest_business_days
                .unwrap_or(vereda_domain::inbox::DIGEST_BUSINESS_DAYS);
            let run = store.write_digests(&Actor::system("cli"), day, soon).await?;
            println!(
                "{}",
                lang().say(
                    &Message::new("cli-inbox-digest_written")
                        .with("day", day)
                        .with("digests", run.digests)
                        .with("already", run.already)
                        .with("alerts", run.alerts)
                        .with("letters", run.alert_letters)
                )
            );
            Ok(())
        }
        Command::Backup { dest } => backup::backup(&settings, &dest).await,
        Command::DemoData(DemoCommand::Seed) => {
            let store = open(&settings).await?;
            report_demo(&vereda_web::demo::seed(&store, &demo_web_config(&settings)).await?);
            Ok(())
        }
        Command::DemoData(DemoCommand::Projects { n }) => {
            let store = open(&settings).await?;
            let started = std::time::Instant::now();
            let stored = vereda_store::demo::synthetic_projects(&store, n).await?;
            println!(
                "{}",
                lang().say(
                    &Message::new("cli-demo-projects_stored")
                        .with("projects", stored)
                        .with("seconds", format!("{:.1}", started.elapsed().as_secs_f64()))
                )
            );
            Ok(())
        }
        Command::DemoData(DemoCommand::Ledgers { n, movements }) => {
            let store = open(&settings).await?;
            vereda_web::demo::seed(&store, &demo_web_config(&settings)).await?;
            let started = std::time::Instant::now();
            let stored = vereda_store::demo::synthetic_ledgers(&store, n, movements).await?;
            println!(
                "{}",
                lang().say(
                    &Message::new("cli-demo-ledgers_stored")
                        .with("projects", stored)
                        .with("movements", stored * movements)
                        .with("seconds", format!("{:.1}", started.elapsed().as_secs_f64()))
                )
            );
            Ok(())
        }
        Command::Import(ImportCommand::Ipm { file, reference_year }) => {
            let parsed = vereda_screening::poverty::read_poverty_file_within(&file, &settings.read_limits);
            let records = match parsed {
                Ok(parsed) => parsed.records,
                Err(error) => {
                    let mut lines = vereda_web::screening::poverty_file_errors(lang(), &error);
                    if matches!(error, PovertyFileError::Table(_)) {
                        lines.push(lang().t("cli-ipm-nothing_imported").to_owned());
                    }
                    bail!("{}", lines.join("\n"))
                }
            };
            let store = open(&settings).await?;
            // The source is recorded in the audit log: data, not words of the interface.
            let source = format!(
                "{} ({})",
                file.display(),
                vereda_store::projects::today_in_colombia()
            );
            let summary = store
                .import_poverty(&Actor::system("cli"), &records, reference_year, &source)
                .await?;
            println!(
                "{}",
                lang().t_with(
                    "cli-ipm-imported",
                    &[
                        ("file", Arg::Text(file.display().to_string())),
                        ("inserted", Arg::from(summary.inserted)),
                        ("updated", Arg::from(summary.updated)),
                        ("unchanged", Arg::from(summary.unchanged)),
                    ]
                )
            );
            Ok(())
        }
    }
}

fn read_password(from_stdin: bool) -> Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context(lang().t("cli-password-unreadable"))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    if !std::io::stdin().is_terminal() {
        return Err(said(Message::new("cli-password-no_terminal")));
    }
    let first = rpassword::prompt_password(lang().t("cli-password-prompt"))
        .context(lang().t("cli-password-unreadable"))?;
    let second = rpassword::prompt_password(lang().t("cli-password-repeat"))
        .context(lang().t("cli-password-unreadable"))?;
    if first != second {
        return Err(said(Message::new("cli-password-differ")));
    }
    Ok(first)
}

fn report_demo(summary: &vereda_store::demo::DemoSummary) {
    let password = [("password", Arg::from(vereda_store::demo::DEMO_PASSWORD))];
    if summary.created {
        println!("{}", lang().t_with("cli-demo-loaded", &password));
    } else {
        println!("{}", lang().t_with("cli-demo-already", &password));
    }
    for (email, role) in &summary.accounts {
        println!("  {email:<40} {}", lang().t(&format!("role-{role}")));
    }
}

/// What the demo's seeding needs of the web's settings to typeset and sign its acts: the
/// templates and the public address printed on them.
fn demo_web_config(settings: &Settings) -> vereda_web::WebConfig {
    vereda_web::WebConfig {
        templates: settings.templates(),
        public_url: settings.public_url.clone(),
        ..Default::default()
    }
}

async fn serve(args: ServeArgs, settings: Settings) -> Result<()> {
    let bind = args
        .bind
        .or(settings.bind.clone())
        .unwrap_or_else(|| config::DEFAULT_BIND.to_owned());
    // A broken rule set stops the start, not a screening hours later; the application keeps
    // the rule sets parsed here.
    let rule_sets = vereda_web::rule_book::rule_book().map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::info!(rule_sets = rule_sets.all().len(), "rule sets validated");
    let smtp = config::smtp(&settings)?;
    let store = open(&settings).await?;
    // On PostgreSQL the uploads directory is a setting, never guessed: say which before
    // listening.
    vereda_web::uploads::Uploads::for_store(&store, settings.uploads_dir.as_deref()).map_err(said)?;
    if args.demo {
        report_demo(&vereda_web::demo::seed(&store, &demo_web_config(&settings)).await?);
    }
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| lang().t_with("cli-error-listen", &[("bind", Arg::from(bind.as_str()))]))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, database = store.backend_name(), "vereda is serving");
    println!(
        "{}",
        lang().t_with(
            "cli-serving",
            &[
                ("address", Arg::Text(format!("http://{address}"))),
                ("backend", Arg::from(store.backend_name())),
            ]
        )
    );
    let minutes = |m: u64| std::time::Duration::from_secs(m.saturating_mul(60));
    let web_config = vereda_web::WebConfig {
        secure_cookies: args.secure_cookies || settings.secure_cookies,
        smtp,
        idle_limit: args
            .session_idle_minutes
            .or(settings.session_idle_minutes)
            .map(minutes),
        absolute_limit: args
            .session_absolute_minutes
            .or(settings.session_absolute_minutes)
            .map(minutes),
        reset_link_lifetime: settings
            .reset_link_hours
            .map(|h| std::time::Duration::from_secs(h.saturating_mul(3600))),
        // On in production; the demo's accounts have no second factor.
        require_second_factor: args
            .require_second_factor
            .or(settings.require_second_factor)
            .unwrap_or(!args.demo),
        read_limits: settings.read_limits,
        petitions_per_hour: settings
            .petitions_per_hour
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        petition_attachment_bytes: settings
            .petition_attachment_mib
            .map(|mib| usize::try_from(mib.saturating_mul(1 << 20)).unwrap_or(usize::MAX)),
        templates: settings.templates(),
        job_lease: args
            .job_lease_seconds
            .map(|s| std::time::Duration::from_secs(s.max(1))),
        job_poll: args
            .job_lease_seconds
            .map(|s| std::time::Duration::from_secs((s / 10).clamp(1, vereda_web::worker::JOB_POLL_SECONDS))),
        uploads_dir: settings.uploads_dir.clone(),
        metrics_token: settings
            .metrics_token
            .clone()
            .map(vereda_web::metrics::MetricsToken),
        access_log: args.access_log.or(settings.access_log).unwrap_or(true),
        public_url: settings.public_url.clone(),
        iati_publisher: settings.iati_publisher.clone(),
        digest_business_days: settings.digest_business_days,
        daily_digest: settings.daily_digest.unwrap_or(!args.demo),
        ..Default::default()
    };
    if let Some(dir) = web_config.templates.dir() {
        // A template that does not compile is said at start; documents then use the shipped one.
        for problem in web_config.templates.check_all(web_config.today()) {
            tracing::warn!(dir = %dir.display(), %problem, "a document template does not compile");
        }
    }
    vereda_web::serve(listener, store.clone(), web_config, shutdown_signal()).await?;
    store.close().await?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// `vereda audit verify`: walks the chain, checks the heads given, says what it found in the
/// catalogue's words and fails on a break.
async fn verify_audit(settings: &Settings, heads: &[String]) -> Result<()> {
    let mut known = Vec::new();
    for head in heads {
        let Some((id, hash)) = head.split_once(':') else {
            return Err(said(
                Message::new("cli-error-audit_head").with("value", head.as_str()),
            ));
        };
        let Ok(id) = id.trim().parse::<i64>() else {
            return Err(said(
                Message::new("cli-error-audit_head").with("value", head.as_str()),
            ));
        };
        known.push((id, hash.trim().to_lowercase()));
    }
    let store = open(settings).await?;
    let report = store.verify_audit_chain().await?;
    if let Some(head) = &report.head {
        tracing::info!(id = head.id, hash = %head.hash, "audit chain head");
    }
    let lang = lang();
    if report.first_break.is_some() {
        bail!("{}", lang.say(&report.message()));
    }
    for (id, hash) in &known {
        match store.audit_entry_hash(*id).await? {
            Some(stored) if &stored == hash => {}
            Some(_) => bail!(
                "{}",
                lang.say(&Message::new("audit-chain-head_changed").with("id", id.to_string()))
            ),
            None => bail!(
                "{}",
                lang.say(&Message::new("audit-chain-head_missing").with("id", id.to_string()))
            ),
        }
    }
    println!("{}", lang.say(&report.message()));
    // The head as `--head` takes it, to be written down.
    if let Some(head) = &report.head {
        println!("{}:{}", head.id, head.hash);
    }
    Ok(())
}

/// Deactivates or reactivates the account with this e-mail.
async fn set_active(settings: &Settings, email: &str, active: bool) -> Result<()> {
    let store = open(settings).await?;
    let account = account_by_email(&store, email).await?;
    store
        .set_account_active(&Actor::system("cli"), account.id, active)
        .await?;
    let said = if active {
        "cli-user-activated"
    } else {
        "cli-user-deactivated"
    };
    println!("{}", lang().t_with(said, &[("email", Arg::from(&account.email))]));
    Ok(())
}

/// `vereda token create|list|revoke`.
async fn token(settings: &Settings, command: TokenCommand) -> Result<()> {
    let store = open(settings).await?;
    let when = |at: Option<jiff::Timestamp>| {
        at.map_or_else(
            || "-".to_owned(),
            |at| at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        )
    };
    match command {
        TokenCommand::Create { email, name } => {
            let account = account_by_email(&store, &email).await?;
            let issued = store
                .create_api_token(&Actor::system("cli"), account.id, &name)
                .await?;
            // The secret alone on standard output, for scripts; what it is on standard error.
            println!("{}", issued.secret);
            eprintln!(
                "{}",
                lang().say(
                    &Message::new("cli-token-created")
                        .with("id", issued.token.id.to_string())
                        .with("email", account.email.as_str())
                        .with("name", issued.token.label.as_str())
                )
            );
        }
        TokenCommand::List { email } => {
            let account = account_by_email(&store, &email).await?;
            for token in store.api_tokens(account.id).await? {
                let state = match token.revoked_at {
                    Some(at) => lang().say(&Message::new("cli-token-revoked_at").with("at", when(Some(at)))),
                    None => lang().t("cli-token-active").to_owned(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{state}",
                    token.id,
                    token.label,
                    when(Some(token.created_at)),
                    when(token.last_used_at)
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let token = store.revoke_api_token(&Actor::system("cli"), id).await?;
            println!(
                "{}",
                lang().say(
                    &Message::new("cli-token-revoked")
                        .with("id", token.id.to_string())
                        .with("name", token.label.as_str())
                )
            );
        }
    }
    Ok(())
}

/// The account with this e-mail, or an error naming it.
async fn account_by_email(
    store: &vereda_store::Store,
    email: &str,
) -> Result<vereda_store::accounts::Account> {
    let wanted = email.trim().to_lowercase();
    store
        .accounts()
        .await?
        .into_iter()
        .find(|a| a.email == wanted)
        .ok_or_else(|| said(Message::new("cli-error-no_account").with("email", email)))
}

/// A role by its code, or an error listing the codes.
fn parse_role(text: &str) -> Result<Role> {
    text.parse()
        .map_err(|e: vereda_domain::text_enum::UnknownValue| said(e.message()))
}
