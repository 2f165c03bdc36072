//! The commands that need no database: `screen`, `rules` and `demo-data households`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use jiff::civil::Date;
use rust_decimal::Decimal;
use vereda_domain::eligibility::{CallLimits, Explanation, Screener};
use vereda_domain::rules::{ChoiceField, RuleBook, RuleSet};
use vereda_messages::{Arg, Lang};
use vereda_screening::screening::{self, RegistryFile, ScreeningError, ScreeningJob};
use vereda_screening::synthetic::{SyntheticOptions, write_synthetic_registry};

use crate::lang::lang;
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
        Some(id) => book
            .get(id)
            .ok_or_else(|| anyhow!("unknown rule set {id:?}; the rule sets are:\n{}", listing(book))),
        None => book.in_force_on(as_of).ok_or_else(|| {
            anyhow!(
                "no rule set is in force on {as_of}; pass --rules ID or --as-of DATE. The rule sets are:\n{}",
                listing(book)
            )
        }),
    }
}

pub fn screen(args: ScreenArgs) -> Result<()> {
    let started = Instant::now();
    let as_of = args.as_of.unwrap_or_else(|| jiff::Zoned::now().date());
    let (book, chosen) = rule_book(args.rules.as_deref())?;
    let rules = pick(&book, chosen.as_deref(), as_of)?;
    if !rules.is_in_force_on(as_of) {
        eprintln!(
            "note: rule set {} is in force {}, not on {as_of}",
            rules.id,
            rules.period()
        );
    }
    let registries = args
        .registries
        .iter()
        .map(|spec| {
            let (name, path) = spec
                .split_once('=')
                .ok_or_else(|| anyhow!("--registry {spec:?}: write it as KIND=FILE, such as ruv=ruv.csv"))?;
            let path = PathBuf::from(path);
            if !path.is_file() {
                bail!("--registry {name}: the file {} does not exist", path.display());
            }
            Ok(RegistryFile {
                name: name.trim().to_owned(),
                path,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if !args.households.is_file() {
        bail!(
            "--households: the file {} does not exist",
            args.households.display()
        );
    }
    let limits = CallLimits {
        max_percent: args.arel_max_pct,
        cap_smmlv: args.arel_cap_smmlv,
    };
    let screener = Screener::new(rules, as_of, limits);
    let job = ScreeningJob {
        households: args.households.clone(),
        registries,
        screener: &screener,
        keep_going: args.keep_going,
        explain: args.explain.clone(),
        keep_facts: false,
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
        other => anyhow::Error::new(other),
    })?;
    screening::write_results_csv(&run, &screener, &args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    if let Some(errors) = &args.errors {
        screening::write_errors_csv(&run.errors, errors, &|m| lang().say(m))
            .with_context(|| format!("cannot write {}", errors.display()))?;
    }
    if let Some(explanation) = &run.explanation {
        let id = args.explain.clone().unwrap_or_default();
        println!(
            "{}",
            lang().t_with("cli-explain-household", &[("id", Arg::Text(id))])
        );
        print!("{}", explanation_text(lang(), explanation));
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
            rule.code, rule.article, rule.description
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
                tier.label,
                lang.t_with("cli-explain-when", &[("condition", Arg::Text(when))])
            ));
        }
    }
    out
}

pub fn rules(command: RulesCommand) -> Result<()> {
    match command {
        RulesCommand::List => {
            let (book, _) = rule_book(None)?;
            println!("{:<24} {:<28} {:<14} title", "id", "in force", "sha256");
            for set in book.all() {
                println!(
                    "{:<24} {:<28} {:<14} {}",
                    set.id,
                    set.period(),
                    &set.content_hash[..12],
                    set.title
                );
            }
        }
        RulesCommand::Show { id } => {
            let (book, chosen) = rule_book(Some(&id))?;
            let set = pick(&book, chosen.as_deref(), jiff::Zoned::now().date())?;
            print!("{}", describe(set));
        }
    }
    Ok(())
}

/// A rule set in words: every figure with its article.
fn describe(set: &RuleSet) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!("{} — {}", set.id, set.title));
    line(format!("In force: {}", set.period()));
    if !set.amended_by.is_empty() {
        line(format!("Amended by: {}", set.amended_by.join(", ")));
    }
    line(format!("Source: {} (sha256 {})", set.source, set.content_hash));
    line(String::new());
    line(format!("Sisbén cut-offs [{}]:", set.sisben.article));
    for level in &set.sisben.levels {
        let areas: Vec<String> = level
            .by_area
            .iter()
            .enumerate()
            .map(|(i, interval)| match interval {
                Some(interval) => format!("area {} {}", i + 1, set.sisben.describe(*interval)),
                None => format!("area {} does not apply", i + 1),
            })
            .collect();
        line(format!("  level {}: {}", level.level, areas.join(", ")));
    }
    line(String::new());
    line("Registries:".to_owned());
    for registry in &set.registries {
        line(format!(
            "  {:<22} {} [{}]",
            registry.name, registry.title, registry.article
        ));
    }
    for rules in &set.lines {
        line(String::new());
        line(format!(
            "Line {} — {} [{}]",
            rules.line, rules.title, rules.article
        ));
        for rule in &rules.rules {
            line(format!(
                "  {:<24} [{}] {}",
                rule.code, rule.article, rule.description
            ));
        }
        for (title, table, unit) in [
            ("Co-financing", &rules.cofinancing, "%"),
            ("Cap per family", &rules.cap, " SMMLV"),
        ] {
            line(format!(
                "  {title} (the highest that applies) [{}]:",
                table.article
            ));
            for tier in &table.tiers {
                line(format!("    {}{unit}  {}", tier.value.normalize(), tier.label));
            }
        }
        if rules.call_may_lower {
            line("  The call's technical document may lower the percentage and the cap.".to_owned());
        }
    }
    if !set.readings.is_empty() {
        line(String::new());
        line("Readings of ambiguous text:".to_owned());
        for reading in &set.readings {
            line(format!(
                "  {} [{}]: {}",
                reading.topic, reading.article, reading.reading
            ));
        }
    }
    out
}

pub fn synthetic(args: SyntheticArgs) -> Result<()> {
    let started = Instant::now();
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let summary = write_synthetic_registry(
        &SyntheticOptions {
            households: args.n,
            seed: args.seed,
        },
        &args.out,
    )?;
    eprintln!(
        "wrote {} households and {} registry rows to {} in {:.2} s",
        summary.households,
        summary.registry_rows.iter().map(|(_, n)| n).sum::<u64>(),
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
