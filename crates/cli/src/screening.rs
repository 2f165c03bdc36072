//! The commands that need no database: `screen`, `rules` and `demo-data households`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, anyhow};
use clap::{Args, Subcommand};
use jiff::civil::Date;
use rust_decimal::Decimal;
use vereda_domain::eligibility::{CallLimits, Explanation, Screener};
use vereda_domain::rules::{ChoiceField, RuleBook, RuleSet};
use vereda_domain::territory::CallTerritory;
use vereda_messages::{Arg, Lang, Message};
use vereda_screening::screening::{self, RegistryFile, ScreeningError, ScreeningJob};
use vereda_screening::synthetic::{SyntheticError, SyntheticOptions, write_synthetic_registry};
use vereda_screening::table::ReadLimits;

use crate::lang::cannot_write;
use crate::lang::{lang, said};
use crate::rule_sets::{listing, rule_book};

#[derive(Args, Debug)]
pub struct ScreenArgs {
    /// The household file (.csv or .xlsx), one row per household (see docs/screening.md).
    #[arg(long)]
    households: PathBuf,
    /// A registry to cross-check, as KIND=FILE (ruv, prior_beneficiaries, public_servants,
    /// sanctions, wanted). Repeat for each.
    #[arg(long = "registry", value_name = "KIND=FILE")]
    registries: Vec<String>,
    /// The rule set: a shipped id (see `vereda rules list`) or a rule-set file (.toml).
    /// Default: the rule set in force on --as-of.
    #[arg(long)]
    rules: Option<String>,
    /// The date of the screening (YYYY-MM-DD); ages and contract terms are counted to it.
    /// Default: today.
    #[arg(long)]
    as_of: Option<Date>,
    /// Where to write the results (CSV).
    #[arg(long)]
    out: PathBuf,
    /// Screen the good rows and write the bad ones to --errors, instead of stopping.
    #[arg(long, requires = "errors")]
    keep_going: bool,
    /// Where --keep-going writes the bad rows (CSV: file,line,column,value,message).
    #[arg(long, requires = "keep_going")]
    errors: Option<PathBuf>,
    /// Print every rule checked for this household: value seen, threshold, article, outcome.
    #[arg(long, value_name = "HOUSEHOLD_ID")]
    explain: Option<String>,
    /// AREL line: the maximum co-financing percentage of the call's technical document (Art. 43).
    #[arg(long)]
    arel_max_pct: Option<Decimal>,
    /// AREL line: the cap per family in SMMLV of the call's technical document (Art. 43).
    #[arg(long)]
    arel_cap_smmlv: Option<Decimal>,
    /// The call's territory (Art. 5): department (2 digits) and municipality (5 digits) codes,
    /// separated by commas; a household elsewhere is not eligible (ART5_TERRITORY).
    #[arg(long)]
    territory: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// List the rule sets with their effective periods.
    List,
    /// Print a readable summary of a rule set: every figure with its article.
    Show {
        /// A shipped id or a rule-set file (.toml).
        id: String,
    },
}

#[derive(Args, Debug)]
pub struct SyntheticArgs {
    /// How many households.
    #[arg(long)]
    n: u64,
    /// The directory to write households.csv and the five registries into.
    #[arg(long)]
    out: PathBuf,
    /// The seed: the same seed and size give the same files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn pick<'b>(book: &'b RuleBook, id: Option<&str>, as_of: Date) -> Result<&'b RuleSet> {
    match id {
        Some(id) => book.get(id).ok_or_else(|| {
            said(
                Message::new("rules-error-unknown_id")
                    .with("id", id)
                    .with("known", listing(lang(), book)),
            )
        }),
        None => book.in_force_on(as_of).ok_or_else(|| {
            said(
                Message::new("cli-error-no_rule_set_in_force")
                    .with("as_of", as_of)
                    .with("known", listing(lang(), book)),
            )
        }),
    }
}

pub fn screen(args: ScreenArgs, read_limits: &ReadLimits) -> Result<()> {
    let started = Instant::now();
    let as_of = args
        .as_of
        .unwrap_or_else(vereda_store::projects::today_in_colombia);
    let (book, chosen) = rule_book(args.rules.as_deref())?;
    let rules = pick(&book, chosen.as_deref(), as_of)?;
    if !rules.is_in_force_on(as_of) {
        eprintln!(
            "{}",
            lang().t_with(
                "cli-screen-not_in_force",
                &[
                    ("id", Arg::from(&rules.id)),
                    ("period", Arg::Text(period(lang(), rules))),
                    ("as_of", Arg::Date(as_of)),
                ]
            )
        );
    }
    let registries = args
        .registries
        .iter()
        .map(|spec| {
            let (name, path) = spec
                .split_once('=')
                .ok_or_else(|| said(Message::new("cli-error-registry_spec").with("spec", spec.as_str())))?;
            let path = PathBuf::from(path);
            if !path.is_file() {
                return Err(said(
                    Message::new("cli-error-registry_missing")
                        .with("name", name)
                        .with("file", path.display().to_string()),
                ));
            }
            Ok(RegistryFile {
                name: name.trim().to_owned(),
                path,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if !args.households.is_file() {
        return Err(said(
            Message::new("cli-error-households_missing").with("file", args.households.display().to_string()),
        ));
    }
    let limits = CallLimits {
        max_percent: args.arel_max_pct,
        cap_smmlv: args.arel_cap_smmlv,
    };
    let territory = match args.territory.as_deref() {
        Some(codes) => CallTerritory::parse(codes).map_err(|e| said(e.message()))?,
        None => CallTerritory::default(),
    };
    let screener = Screener::new(rules, as_of, limits).within(territory);
    let job = ScreeningJob {
        households: args.households.clone(),
        registries,
        screener: &screener,
        keep_going: args.keep_going,
        explain: args.explain.clone(),
        keep_facts: false,
        read_limits: *read_limits,
    };
    let run = screening::screen(&job, &|_| {}).map_err(|error| match error {
        ScreeningError::Rows { errors, error_count } => {
            let mut lines = vec![lang().t_with("cli-screen-bad_rows", &[("count", Arg::from(error_count))])];
            lines.extend(
                errors
                    .iter()
                    .take(20)
                    .map(|e| format!("  {}", lang().say(&e.located()))),
            );
            if error_count > 20 {
                lines.push(format!(
                    "  {}",
                    lang().t_with("row-error-more", &[("count", Arg::from(error_count - 20))])
                ));
            }
            anyhow!("{}", lines.join("\n"))
        }
        other => said(other.message()),
    })?;
    screening::write_results_csv(&run, &screener, &args.out).map_err(|e| cannot_write(&args.out, &e))?;
    if let Some(errors) = &args.errors {
        screening::write_errors_csv(&run.errors, errors, &|m| lang().say(m))
            .map_err(|e| cannot_write(errors, &e))?;
    }
    if let Some(explanation) = &run.explanation {
        let id = args.explain.clone().unwrap_or_default();
        println!(
            "{}",
            lang().t_with("cli-explain-household", &[("id", Arg::Text(id))])
        );
        print!("{}", explanation_text(lang(), explanation));
    }
    if let Some(encoding) = run.encoding {
        // Which encoding the households were read in: Excel in Spanish writes Windows-1252.
        let file = args.households.file_name().map_or_else(
            || args.households.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        eprintln!(
            "{}",
            lang().t_with(
                "cli-screen-encoding",
                &[
                    ("file", Arg::Text(file)),
                    ("encoding", Arg::from(lang().t(encoding.label_key()))),
                ]
            )
        );
    }
    let eligible = run.rows.iter().filter(|row| row.outcome.is_eligible()).count();
    eprintln!(
        "{}",
        lang().t_with(
            "cli-screen-summary",
            &[
                ("households", Arg::from(run.rows.len())),
                ("rule_set", Arg::from(&rules.id)),
                ("hash", Arg::from(&rules.content_hash[..12])),
                ("as_of", Arg::Date(as_of)),
                ("eligible", Arg::from(eligible)),
                ("bad", Arg::from(run.error_count)),
                (
                    "seconds",
                    Arg::Text(format!("{:.2}", started.elapsed().as_secs_f64()))
                ),
            ]
        )
    );
    Ok(())
}

/// Every rule checked for one household, in `lang`: value seen, threshold, article, outcome.
pub fn explanation_text(lang: Lang, explanation: &Explanation) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(lang.t_with(
        "cli-explain-rule_set",
        &[
            ("id", Arg::Text(explanation.rule_set.clone())),
            ("hash", Arg::Text(explanation.rule_set_hash.clone())),
            ("as_of", Arg::Date(explanation.as_of)),
        ],
    ));
    line(lang.t_with(
        "cli-explain-line",
        &[
            ("title", Arg::Text(explanation.line_title.clone())),
            (
                "line",
                Arg::Term(ChoiceField::ProgramLine.value_message_id(explanation.line.as_str())),
            ),
        ],
    ));
    line(lang.t_with(
        "cli-explain-sisben",
        &[("sisben", Arg::Text(lang.say(&explanation.sisben)))],
    ));
    line(String::new());
    let fired = lang.t("cli-explain-fired");
    let passed = lang.t("cli-explain-passed");
    let width = fired.chars().count().max(passed.chars().count());
    for rule in &explanation.rules {
        let outcome = if rule.fired { fired } else { passed };
        line(format!(
            "{outcome:<width$}  {}  [{}]  {}",
            rule.code,
            rule.article,
            lang.pick(&rule.description, rule.description_en.as_deref())
        ));
        line(format!(
            "        {}",
            lang.t_with(
                "cli-explain-seen",
                &[("seen", Arg::Text(lang.say_all(&rule.seen)))]
            )
        ));
        line(format!(
            "        {}",
            lang.t_with(
                "cli-explain-fires_when",
                &[("condition", Arg::Text(lang.say(&rule.fires_when)))]
            )
        ));
    }
    line(String::new());
    if explanation.eligible {
        line(lang.t("cli-explain-eligible").to_owned());
    } else {
        line(lang.t_with(
            "cli-explain-not_eligible",
            &[("reasons", Arg::Text(explanation.reasons.join(";")))],
        ));
    }
    for (title, table, chosen) in [
        (
            "cli-explain-cofinancing",
            &explanation.cofinancing,
            explanation.cofinancing_percent,
        ),
        ("cli-explain-cap", &explanation.cap, explanation.cap_smmlv),
    ] {
        let value = chosen.map_or("-".to_owned(), |v| lang.amount(&v.normalize()));
        line(lang.t_with(
            title,
            &[
                ("article", Arg::Text(table.article.clone())),
                ("value", Arg::Text(value)),
            ],
        ));
        for tier in &table.tiers {
            let mark = if tier.chosen {
                "*"
            } else if tier.applies {
                "+"
            } else {
                " "
            };
            let when = match &tier.when {
                Some(when) => lang.say(when),
                None => lang.t("screening-always").to_owned(),
            };
            line(format!(
                "  {mark} {:>5}  {}  ({})",
                lang.amount(&tier.value.normalize()),
                lang.pick(&tier.label, tier.label_en.as_deref()),
                lang.t_with("cli-explain-when", &[("condition", Arg::Text(when))])
            ));
        }
    }
    out
}

pub fn rules(command: RulesCommand) -> Result<()> {
    let lang = lang();
    match command {
        RulesCommand::List => {
            let (book, _) = rule_book(None)?;
            let rows: Vec<[String; 4]> = book
                .all()
                .iter()
                .map(|set| {
                    [
                        set.id.clone(),
                        period(lang, set),
                        set.content_hash.get(..12).unwrap_or(&set.content_hash).to_owned(),
                        set.title.clone(),
                    ]
                })
                .collect();
            let header = [
                lang.t("cli-rules-column-id"),
                lang.t("cli-rules-column-period"),
                lang.t("cli-rules-column-hash"),
                lang.t("cli-rules-column-title"),
            ];
            let width = |i: usize| {
                rows.iter()
                    .map(|r| r[i].chars().count())
                    .chain([header[i].chars().count()])
                    .max()
                    .unwrap_or(0)
            };
            let (w0, w1, w2) = (width(0), width(1), width(2));
            println!(
                "{:<w0$}  {:<w1$}  {:<w2$}  {}",
                header[0], header[1], header[2], header[3]
            );
            for [id, period, hash, title] in &rows {
                println!("{id:<w0$}  {period:<w1$}  {hash:<w2$}  {title}");
            }
        }
        RulesCommand::Show { id } => {
            let (book, chosen) = rule_book(Some(&id))?;
            let set = pick(
                &book,
                chosen.as_deref(),
                vereda_store::projects::today_in_colombia(),
            )?;
            print!("{}", describe(lang, set));
        }
    }
    Ok(())
}

/// When a rule set is in force, in `lang`.
pub fn period(lang: Lang, set: &RuleSet) -> String {
    match set.effective_until {
        Some(until) => lang.say(
            &Message::new("cli-rules-period_between")
                .with("from", set.effective_from)
                .with("until", until),
        ),
        None => lang.say(&Message::new("cli-rules-period_from").with("from", set.effective_from)),
    }
}

/// A rule set in words: every figure with its article. The titles, descriptions, labels and
/// readings are the rule set's own, in English where the file gives them.
fn describe(lang: Lang, set: &RuleSet) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    let say = |message: Message| lang.say(&message);
    line(format!(
        "{} — {}",
        set.id,
        lang.pick(&set.title, set.title_en.as_deref())
    ));
    line(say(
        Message::new("cli-rules-in_force").with("period", period(lang, set))
    ));
    if !set.amended_by.is_empty() {
        line(say(
            Message::new("cli-rules-amended_by").with("list", set.amended_by.join(", "))
        ));
    }
    line(say(Message::new("cli-rules-source")
        .with("source", &set.source)
        .with("hash", &set.content_hash)));
    line(String::new());
    line(say(
        Message::new("cli-rules-sisben").with("article", &set.sisben.article)
    ));
    for level in &set.sisben.levels {
        let areas: Vec<String> = level
            .by_area
            .iter()
            .enumerate()
            .map(|(i, interval)| match interval {
                Some(interval) => say(Message::new("cli-rules-sisben_area")
                    .with("area", i + 1)
                    .with("interval", set.sisben.describe(*interval))),
                None => say(Message::new("cli-rules-sisben_area_none").with("area", i + 1)),
            })
            .collect();
        line(format!(
            "  {}",
            say(Message::new("cli-rules-sisben_level")
                .with("level", level.level.to_string())
                .with("areas", areas.join(", ")))
        ));
    }
    line(String::new());
    line(lang.t("cli-rules-registries").to_owned());
    for registry in &set.registries {
        line(format!(
            "  {:<22} {} [{}]",
            registry.name,
            lang.pick(&registry.title, registry.title_en.as_deref()),
            registry.article
        ));
    }
    for rules in &set.lines {
        line(String::new());
        line(say(Message::new("cli-rules-line")
            .with("line", rules.line.to_string())
            .with("title", lang.pick(&rules.title, rules.title_en.as_deref()))
            .with("article", &rules.article)));
        for rule in &rules.rules {
            line(format!(
                "  {:<24} [{}] {}",
                rule.code,
                rule.article,
                lang.pick(&rule.description, rule.description_en.as_deref())
            ));
        }
        for (title, table, unit) in [
            ("cli-rules-cofinancing", &rules.cofinancing, "%"),
            ("cli-rules-cap", &rules.cap, " SMMLV"),
        ] {
            line(format!(
                "  {}",
                say(Message::new(title).with("article", &table.article))
            ));
            for tier in &table.tiers {
                line(format!(
                    "    {}{unit}  {}",
                    lang.amount(&tier.value.normalize()),
                    lang.pick(&tier.label, tier.label_en.as_deref())
                ));
            }
        }
        if rules.call_may_lower {
            line(format!("  {}", lang.t("cli-rules-call_may_lower")));
        }
    }
    if !set.readings.is_empty() {
        line(String::new());
        line(lang.t("cli-rules-readings").to_owned());
        for reading in &set.readings {
            line(format!(
                "  {} [{}]: {}",
                lang.pick(&reading.topic, reading.topic_en.as_deref()),
                reading.article,
                lang.pick(&reading.reading, reading.reading_en.as_deref())
            ));
        }
    }
    out
}

pub fn synthetic(args: SyntheticArgs) -> Result<()> {
    let started = Instant::now();
    std::fs::create_dir_all(&args.out).map_err(|e| cannot_write(&args.out, &e))?;
    let summary = write_synthetic_registry(
        &SyntheticOptions {
            households: args.n,
            seed: args.seed,
        },
        &args.out,
    )
    .map_err(|error| match error {
        SyntheticError::Io { path, source } => cannot_write(&path, &source),
        SyntheticError::TooManyHouseholds { requested, max } => said(
            Message::new("cli-error-too_many_households")
                .with("requested", requested)
                .with("max", max),
        ),
    })?;
    eprintln!(
        "{}",
        lang().say(
            &Message::new("cli-demo-households_written")
                .with("households", summary.households)
                .with("rows", summary.registry_rows.iter().map(|(_, n)| n).sum::<u64>())
                .with("dir", args.out.display().to_string())
                .with("seconds", format!("{:.2}", started.elapsed().as_secs_f64()))
        )
    );
    Ok(())
}
