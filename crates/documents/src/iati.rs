//! IATI 2.03 activity XML of the projects and their results frameworks, for donors and the
//! IATI registry: one `<iati-activity>` per project card, with its funding as budgets and its
//! results, indicators, baselines and approved measurements as result periods.
//!
//! Codes used (IATI 2.03 codelists, <https://iatistandard.org/en/iati-standard/203/codelists/>):
//!
//! - `DescriptionType`: 1 General (the description), 2 Objectives (general and specific
//!   objectives), 4 Other (the contribution to the Peace Agreement).
//! - `OrganisationRole`: each funding line's organisation (the donor, the institute, the
//!   counterpart) and a funder partner → 1 Funding, advocate partner → 2 Accountable, local
//!   partner → 4 Implementing. A project without partners names the publisher as 2 Accountable.
//! - `SectorVocabulary` 1 (OECD DAC 5-digit) from the value chains: cocoa, coffee, sugar cane,
//!   oil palm → 31162; dairy and livestock → 31163; fish → 31320; any other → 31161; none →
//!   31120, with shares adding up to 100.
//! - `DocumentCategory` A12: the card's public page, in Spanish and in English.
//! - `ActivityStatus`: planned → 1 Pipeline/identification, in execution → 2 Implementation,
//!   achieved → 3 Finalisation, closed → 4 Closed.
//! - `ActivityDateType`: 1 Planned start, 3 Planned end.
//! - `BudgetType` 1 Original and `BudgetStatus` 1 Indicative: per currency (currencies are never
//!   added together), one budget per project year (IATI: at most a year), the funding spread
//!   in proportion to the days.
//! - `xml:lang`: the activity's is the language of the project's own texts (a donor's card may
//!   be in English); the results' and indicators' names are the program's, in Spanish, and say
//!   so when the activity's language differs.
//! - `TransactionType`, for an awarded project in COP: 2 Outgoing Commitment (the institute's
//!   contribution, on the award's date), 3 Disbursement (the single payment), 4 Expenditure
//!   (the controlled account's payments, added up by date); no receiver is named.
//! - `ResultType`: [`ResultKind::iati_code`]; indicators without a result go under one extra
//!   output result (1) titled "Indicadores del proyecto".
//! - `IndicatorMeasure`: `%` → 2 Percentage, every other unit → 1 Unit (a unit other than a
//!   plain number is named in the indicator's description).
//!
//! Every period of an indicator ends on an approved measurement and starts the day after the
//! previous one (on the baseline date, or the project start, for the first). A measurement
//! split by sex adds one `actual` per sex, each with a `<dimension name="sex">`, after the total.
//!
//! The output is deterministic: it depends only on the arguments, in their order.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::Command;

use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;
use vereda_domain::awarded_project::ProjectStatus;
use vereda_domain::money::Currency;
use vereda_domain::monitoring::{
    FundingRole, IndicatorProgress, IndicatorUnit, PartnerRole, ProjectCard, PublishedMeasurement,
};

/// The IATI standard version written.
pub const IATI_VERSION: &str = "2.03";

/// The IATI 2.03 activity schema shipped in `data/iati-2.03` (with `iati-common.xsd` and
/// `xml.xsd` beside it).
pub const SCHEMA_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/iati-2.03/iati-activities-schema.xsd"
);

/// The language of the program's texts: the fixed ones this module writes ("Indicadores del
/// proyecto", "Unidad de medida") and the results' and indicators' names, which the program
/// writes in Spanish; they carry `xml:lang` when the activity's language differs.
const OWN_LANGUAGE: &str = "es";

/// The organisation publishing the file (`reporting-org`) and prefixing every identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publisher<'a> {
    /// IATI organisation identifier, e.g. "CO-NIT-8999990001".
    pub reference: &'a str,
    /// The organisation's name.
    pub name: &'a str,
    /// IATI `OrganisationType` code, e.g. "10" (Government).
    pub org_type: &'a str,
    /// ISO 639-1 code of the publisher's name, e.g. "es".
    pub language: &'a str,
    /// The public site whose `/proyectos/{code}` (and `/en/proyectos/{code}`) is each
    /// activity's card, without a trailing slash, e.g. "https://vereda.gov.co".
    pub site: &'a str,
}

/// The IATI activity identifier of a project: the publisher's reference, "-", and the project
/// code made safe.
///
/// IATI identifiers must not contain `/`, `&`, `|`, `?` nor spaces. These, `%` itself, any
/// whitespace and control characters are percent-encoded as their UTF-8 bytes (`/` → `%2F`,
/// space → `%20`, `%` → `%25`); every other character is kept. Encoding `%` too makes the
/// mapping injective: distinct codes always give distinct identifiers.
pub fn activity_identifier(publisher: &Publisher, code: &str) -> String {
    let mut id = String::with_capacity(publisher.reference.len() + 1 + code.len());
    id.push_str(publisher.reference);
    id.push('-');
    for c in code.chars() {
        if matches!(c, '/' | '&' | '|' | '?' | '%') || c.is_whitespace() || c.is_control() {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(id, "%{byte:02X}");
            }
        } else {
            id.push(c);
        }
    }
    id
}

/// The IATI 2.03 XML of `cards`, one activity each, in order. `measurements` are approved
/// measurements of any project (matched to cards by project code and indicator number);
/// `generated` is the file's `generated-datetime`.
pub fn activities_xml(
    publisher: &Publisher,
    cards: &[ProjectCard],
    measurements: &[PublishedMeasurement],
    generated: Timestamp,
) -> String {
    let mut out = String::with_capacity(4096 + cards.len() * 16_384);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<iati-activities version=\"{IATI_VERSION}\" generated-datetime=\"{}\">",
        date_time(generated)
    );
    for card in cards {
        write_activity(&mut out, publisher, card, measurements);
    }
    out.push_str("</iati-activities>\n");
    out
}

/// Validates `xml` against the IATI 2.03 activity schema with `xmllint` (Debian
/// `libxml2-utils`). `Ok(None)` when `xmllint` is not installed; `Err` with xmllint's report
/// when the document is invalid or cannot be checked.
pub fn validate_with_xmllint(xml: &str) -> Result<Option<()>, String> {
    let mut file = tempfile::Builder::new()
        .prefix("iati-")
        .suffix(".xml")
        .tempfile()
        .map_err(|e| format!("cannot create a temporary file: {e}"))?;
    file.write_all(xml.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| format!("cannot write {}: {e}", file.path().display()))?;
    let output = match Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(SCHEMA_PATH)
        .arg(file.path())
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot run xmllint: {e}")),
    };
    if output.status.success() {
        Ok(Some(()))
    } else {
        Err(format!(
            "xmllint --schema {SCHEMA_PATH} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn write_activity(
    out: &mut String,
    publisher: &Publisher,
    card: &ProjectCard,
    measurements: &[PublishedMeasurement],
) {
    // The activity speaks the language of the project's own texts; the program's texts
    // (results, indicators, units) and the publisher's name carry theirs when it differs.
    let lang = card.language.as_str();
    let currency = card.funding.first().map_or(Currency::Cop, |f| f.currency);
    let _ = writeln!(
        out,
        "  <iati-activity last-updated-datetime=\"{}\" xml:lang=\"{}\" default-currency=\"{}\">",
        date_time(card.updated_at),
        escape(lang),
        currency.as_str()
    );
    let _ = writeln!(
        out,
        "    <iati-identifier>{}</iati-identifier>",
        escape(&activity_identifier(publisher, &card.code))
    );
    let _ = writeln!(
        out,
        "    <reporting-org ref=\"{}\" type=\"{}\">",
        escape(publisher.reference),
        escape(publisher.org_type)
    );
    narrative(out, 6, publisher.name, Some(publisher.language), lang);
    out.push_str("    </reporting-org>\n");

    out.push_str("    <title>\n");
    narrative(out, 6, &card.title, None, lang);
    out.push_str("    </title>\n");

    // The schema requires a description: the card's, else its subtitle, else its title.
    let general = [&card.description, &card.subtitle, &card.title]
        .into_iter()
        .map(|s| s.trim())
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    description(out, "1", general, lang);
    let objectives = objectives_text(card);
    if !objectives.is_empty() {
        description(out, "2", &objectives, lang);
    }
    let peace = card.peace_contribution.trim();
    if !peace.is_empty() {
        description(out, "4", peace, lang);
    }

    write_participants(out, publisher, card, lang);

    // The resolution that opened the project (Art. 27), as the publisher's own reference.
    if let Some(award) = &card.award {
        let _ = writeln!(
            out,
            "    <other-identifier ref=\"{}\" type=\"A1\"/>",
            escape(&award.number)
        );
    }
    let status = match card.status {
        ProjectStatus::Planned | ProjectStatus::Awarded => "1",
        ProjectStatus::InExecution => "2",
        ProjectStatus::Ended => "3",
        ProjectStatus::Closed => "4",
    };
    let _ = writeln!(out, "    <activity-status code=\"{status}\"/>");
    let _ = writeln!(
        out,
        "    <activity-date type=\"1\" iso-date=\"{}\"/>",
        card.period_start
    );
    let _ = writeln!(
        out,
        "    <activity-date type=\"3\" iso-date=\"{}\"/>",
        card.period_end
    );
    out.push_str("    <recipient-country code=\"CO\"/>\n");
    for (code, percentage) in sectors(&card.value_chains) {
        let _ = writeln!(
            out,
            "    <sector vocabulary=\"1\" code=\"{code}\" percentage=\"{percentage}\"/>"
        );
    }

    for budget in yearly_budgets(card) {
        out.push_str("    <budget type=\"1\" status=\"1\">\n");
        let _ = writeln!(out, "      <period-start iso-date=\"{}\"/>", budget.start);
        let _ = writeln!(out, "      <period-end iso-date=\"{}\"/>", budget.end);
        let _ = writeln!(
            out,
            "      <value currency=\"{}\" value-date=\"{}\">{}</value>",
            budget.currency.as_str(),
            budget.start,
            plain(budget.amount)
        );
        out.push_str("    </budget>\n");
    }

    // The money that followed the award (Art. 29 par., 33, 34), in COP: no receiver, so no
    // supplier and no family is named.
    if let Some(award) = &card.award {
        let flow = &award.flow;
        write_transaction(out, "2", award.awarded_on, flow.committed);
        if let (Some(value), Some(on)) = (flow.disbursed, flow.disbursed_on) {
            write_transaction(out, "3", on, value);
        }
        for (on, value) in &flow.expenditures {
            write_transaction(out, "4", *on, *value);
        }
    }

    write_card_links(out, publisher, card, lang);

    let ours: Vec<&PublishedMeasurement> = measurements
        .iter()
        .filter(|m| m.project_code == card.code)
        .collect();
    // The schema requires at least one indicator per result: a result without any is left out.
    for area in &card.results {
        let indicators: Vec<&IndicatorProgress> = card
            .indicators
            .iter()
            .filter(|i| i.result == Some(area.position))
            .collect();
        if !indicators.is_empty() {
            write_result(
                out,
                card,
                area.kind.iati_code(),
                &area.title,
                Some(OWN_LANGUAGE),
                &indicators,
                &ours,
                lang,
            );
        }
    }
    let orphans: Vec<&IndicatorProgress> = card
        .indicators
        .iter()
        .filter(|i| {
            !i.result
                .is_some_and(|p| card.results.iter().any(|r| r.position == p))
        })
        .collect();
    if !orphans.is_empty() {
        write_result(
            out,
            card,
            1,
            "Indicadores del proyecto",
            Some(OWN_LANGUAGE),
            &orphans,
            &ours,
            lang,
        );
    }
    out.push_str("  </iati-activity>\n");
}

/// The organisations taking part: each funding line's organisation as a funder (1 Funding;
/// the institute with the publisher's reference and type), then the partners (a funder not
/// already named, 1; the advocate partner, 2 Accountable; local partners, 4 Implementing). An
/// activity must name at least one: a project with neither names the publisher as 2.
fn write_participants(out: &mut String, publisher: &Publisher, card: &ProjectCard, lang: &str) {
    let mut named: Vec<&str> = Vec::new();
    for line in &card.funding {
        let name = line.source.trim();
        if name.is_empty() || named.contains(&name) {
            continue;
        }
        named.push(name);
        if line.role == FundingRole::Institute {
            let _ = writeln!(
                out,
                "    <participating-org ref=\"{}\" type=\"{}\" role=\"1\">",
                escape(publisher.reference),
                escape(publisher.org_type)
            );
        } else {
            out.push_str("    <participating-org role=\"1\">\n");
        }
        narrative(out, 6, name, None, lang);
        out.push_str("    </participating-org>\n");
    }
    for partner in &card.partners {
        let name = partner.name.trim();
        let role = match partner.role {
            PartnerRole::Funder if named.contains(&name) => continue,
            PartnerRole::Funder => "1",
            PartnerRole::AdvocatePartner => "2",
            PartnerRole::LocalPartner => "4",
        };
        let _ = writeln!(out, "    <participating-org role=\"{role}\">");
        narrative(out, 6, name, None, lang);
        out.push_str("    </participating-org>\n");
    }
    if card.partners.is_empty() {
        let _ = writeln!(
            out,
            "    <participating-org ref=\"{}\" type=\"{}\" role=\"2\">",
            escape(publisher.reference),
            escape(publisher.org_type)
        );
        narrative(out, 6, publisher.name, Some(publisher.language), lang);
        out.push_str("    </participating-org>\n");
    }
}

/// The OECD DAC 5-digit purpose codes (`SectorVocabulary` 1) of a value chain, by a fragment of
/// its name (accents and case aside); a chain not listed is food crop production.
const SECTOR_OF_CHAIN: &[(&str, &str)] = &[
    // 31162 Industrial crops/export crops.
    ("cacao", "31162"),
    ("cafe", "31162"),
    ("cana", "31162"),
    ("palma", "31162"),
    // 31163 Livestock.
    ("lact", "31163"),
    ("leche", "31163"),
    ("ganad", "31163"),
    ("bovin", "31163"),
    ("porc", "31163"),
    ("avic", "31163"),
    // 31320 Fishery development.
    ("pisc", "31320"),
    ("pesca", "31320"),
];
/// 31161 Food crop production.
const FOOD_CROPS: &str = "31161";
/// 31120 Agricultural development: a project that names no value chain.
const AGRICULTURAL_DEVELOPMENT: &str = "31120";

/// The sectors of a project's value chains with their shares, which add up to 100 (the first
/// takes what the division leaves).
fn sectors(value_chains: &[String]) -> Vec<(&'static str, u32)> {
    let mut codes: Vec<&'static str> = Vec::new();
    for chain in value_chains {
        let folded = vereda_domain::text::fold_for_search(chain);
        let code = SECTOR_OF_CHAIN
            .iter()
            .find(|(fragment, _)| folded.contains(*fragment))
            .map_or(FOOD_CROPS, |(_, code)| *code);
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    if codes.is_empty() {
        codes.push(AGRICULTURAL_DEVELOPMENT);
    }
    let count = u32::try_from(codes.len()).unwrap_or(1).max(1);
    codes
        .into_iter()
        .enumerate()
        .map(|(i, code)| (code, 100 / count + if i == 0 { 100 % count } else { 0 }))
        .collect()
}

/// A budget of at most a year, in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Budget {
    start: Date,
    end: Date,
    currency: Currency,
    amount: Decimal,
}

/// The project's years: from the start to the day before each anniversary, the last ending
/// with the project (IATI: a budget's period is at most a year).
fn project_years(start: Date, end: Date) -> Vec<(Date, Date)> {
    let mut years = Vec::new();
    let mut from = start;
    for k in 1_i64.. {
        let anniversary = start
            .checked_add(jiff::Span::new().years(k))
            .unwrap_or(end.tomorrow().unwrap_or(end));
        let until = anniversary.yesterday().unwrap_or(anniversary).min(end);
        years.push((from, until));
        if until >= end {
            break;
        }
        from = next_day(until);
    }
    years
}

/// Each currency's funding (currencies are never added together) spread over the project's
/// years in proportion to their days, to the cent; the last year takes what rounding left, so
/// each currency's budgets add up to its funding.
fn yearly_budgets(card: &ProjectCard) -> Vec<Budget> {
    let mut totals: Vec<(Currency, Decimal)> = Vec::new();
    for line in &card.funding {
        match totals.iter_mut().find(|(currency, _)| *currency == line.currency) {
            Some((_, total)) => *total += line.amount,
            None => totals.push((line.currency, line.amount)),
        }
    }
    let years = project_years(card.period_start, card.period_end);
    let days =
        |(from, until): (Date, Date)| Decimal::from(from.until(until).map_or(0, |span| span.get_days()) + 1);
    let all_days: Decimal = years.iter().copied().map(days).sum();
    let mut budgets = Vec::new();
    for (currency, total) in totals {
        let mut given = Decimal::ZERO;
        for (i, year) in years.iter().copied().enumerate() {
            let amount = if i + 1 == years.len() || all_days.is_zero() {
                total - given
            } else {
                (total * days(year) / all_days).round_dp(2)
            };
            given += amount;
            budgets.push(Budget {
                start: year.0,
                end: year.1,
                currency,
                amount,
            });
        }
    }
    budgets
}

/// The card's public page in Spanish and in English (`DocumentCategory` A12, activity web page).
fn write_card_links(out: &mut String, publisher: &Publisher, card: &ProjectCard, lang: &str) {
    let code = percent_encode_path(&card.code);
    for (prefix, language, title) in [("", "es", "Ficha del proyecto"), ("/en", "en", "Project card")] {
        let _ = writeln!(
            out,
            "    <document-link format=\"text/html\" url=\"{}{prefix}/proyectos/{code}\">",
            escape(publisher.site.trim_end_matches('/'))
        );
        out.push_str("      <title>\n");
        narrative(out, 8, title, Some(language), lang);
        out.push_str("      </title>\n");
        out.push_str("      <category code=\"A12\"/>\n");
        let _ = writeln!(out, "      <language code=\"{language}\"/>");
        out.push_str("    </document-link>\n");
    }
}

/// A path segment with every byte but letters, digits and `-._~,` percent-encoded.
fn percent_encode_path(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b',') {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

/// One `<transaction>`: its `TransactionType` (2 Outgoing Commitment, 3 Disbursement,
/// 4 Expenditure), date and value in COP.
fn write_transaction(out: &mut String, kind: &str, on: Date, value: Decimal) {
    out.push_str("    <transaction>\n");
    let _ = writeln!(out, "      <transaction-type code=\"{kind}\"/>");
    let _ = writeln!(out, "      <transaction-date iso-date=\"{on}\"/>");
    let _ = writeln!(
        out,
        "      <value currency=\"COP\" value-date=\"{on}\">{}</value>",
        plain(value)
    );
    out.push_str("    </transaction>\n");
}

/// The general objective, then the specific objectives numbered from 1, one per line.
fn objectives_text(card: &ProjectCard) -> String {
    let mut text = card.general_objective.trim().to_owned();
    for (i, objective) in card.specific_objectives.iter().enumerate() {
        let objective = objective.trim();
        if objective.is_empty() {
            continue;
        }
        if !text.is_empty() {
            text.push_str(if i == 0 { "\n\n" } else { "\n" });
        }
        let _ = write!(text, "{}. {objective}", i + 1);
    }
    text
}

#[allow(clippy::too_many_arguments)]
fn write_result(
    out: &mut String,
    card: &ProjectCard,
    result_type: u8,
    title: &str,
    title_lang: Option<&str>,
    indicators: &[&IndicatorProgress],
    measurements: &[&PublishedMeasurement],
    lang: &str,
) {
    let _ = writeln!(
        out,
        "    <result type=\"{result_type}\" aggregation-status=\"0\">"
    );
    out.push_str("      <title>\n");
    narrative(out, 8, title, title_lang, lang);
    out.push_str("      </title>\n");
    for indicator in indicators {
        write_indicator(out, card, indicator, measurements, lang);
    }
    out.push_str("    </result>\n");
}

fn write_indicator(
    out: &mut String,
    card: &ProjectCard,
    indicator: &IndicatorProgress,
    measurements: &[&PublishedMeasurement],
    lang: &str,
) {
    let measure = if indicator.unit == IndicatorUnit::Percent {
        "2"
    } else {
        "1"
    };
    let ascending = if indicator.higher_is_better { "1" } else { "0" };
    let _ = writeln!(
        out,
        "      <indicator measure=\"{measure}\" ascending=\"{ascending}\">"
    );
    out.push_str("        <title>\n");
    narrative(out, 10, &indicator.name, Some(OWN_LANGUAGE), lang);
    out.push_str("        </title>\n");
    if !matches!(indicator.unit, IndicatorUnit::Number | IndicatorUnit::Percent) {
        out.push_str("        <description>\n");
        let unit = format!("Unidad de medida: {}", indicator.unit.as_str());
        narrative(out, 10, &unit, Some(OWN_LANGUAGE), lang);
        out.push_str("        </description>\n");
    }
    let baseline_date = indicator.baseline_date.unwrap_or(card.period_start);
    let _ = writeln!(
        out,
        "        <baseline year=\"{}\" iso-date=\"{baseline_date}\" value=\"{}\"/>",
        baseline_date.year(),
        plain(indicator.baseline)
    );

    let mut own: Vec<&PublishedMeasurement> = measurements
        .iter()
        .copied()
        .filter(|m| m.indicator_number == indicator.number)
        .collect();
    own.sort_by_key(|m| m.measured_on);
    let mut start = baseline_date;
    for m in own {
        let end = m.measured_on;
        // Two measurements on one day (or one before the baseline) give a one-day period.
        let period_start = start.min(end);
        out.push_str("        <period>\n");
        let _ = writeln!(out, "          <period-start iso-date=\"{period_start}\"/>");
        let _ = writeln!(out, "          <period-end iso-date=\"{end}\"/>");
        let _ = writeln!(out, "          <target value=\"{}\"/>", plain(indicator.goal));
        write_actual(out, m.value, None, m.source.as_deref(), lang);
        if let Some(women) = m.value_women {
            write_actual(out, women, Some("female"), None, lang);
        }
        if let Some(men) = m.value_men {
            write_actual(out, men, Some("male"), None, lang);
        }
        out.push_str("        </period>\n");
        start = next_day(end);
    }
    out.push_str("      </indicator>\n");
}

fn write_actual(out: &mut String, value: Decimal, sex: Option<&str>, source: Option<&str>, lang: &str) {
    let source = source.map(str::trim).filter(|s| !s.is_empty());
    if sex.is_none() && source.is_none() {
        let _ = writeln!(out, "          <actual value=\"{}\"/>", plain(value));
        return;
    }
    let _ = writeln!(out, "          <actual value=\"{}\">", plain(value));
    if let Some(sex) = sex {
        let _ = writeln!(out, "            <dimension name=\"sex\" value=\"{sex}\"/>");
    }
    if let Some(source) = source {
        out.push_str("            <comment>\n");
        narrative(out, 14, source, None, lang);
        out.push_str("            </comment>\n");
    }
    out.push_str("          </actual>\n");
}

fn description(out: &mut String, kind: &str, text: &str, lang: &str) {
    let _ = writeln!(out, "    <description type=\"{kind}\">");
    narrative(out, 6, text, None, lang);
    out.push_str("    </description>\n");
}

/// A `<narrative>`, with `xml:lang` only when `text_lang` differs from the activity's.
fn narrative(out: &mut String, indent: usize, text: &str, text_lang: Option<&str>, activity_lang: &str) {
    for _ in 0..indent {
        out.push(' ');
    }
    match text_lang {
        Some(text_lang) if text_lang != activity_lang => {
            let _ = write!(out, "<narrative xml:lang=\"{}\">", escape(text_lang));
        }
        _ => out.push_str("<narrative>"),
    }
    out.push_str(&escape(text));
    out.push_str("</narrative>\n");
}

fn next_day(date: Date) -> Date {
    date.tomorrow().unwrap_or(date)
}

/// An instant as `xsd:dateTime` in UTC, to the second.
fn date_time(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A decimal written plainly: no exponent, no thousands separators, no trailing zeros.
fn plain(value: Decimal) -> String {
    let normalized = value.normalize();
    if normalized.is_zero() {
        "0".to_owned()
    } else {
        normalized.to_string()
    }
}

/// Escapes text for XML content and attribute values; characters XML 1.0 does not allow
/// (control characters other than tab, line feed and carriage return) are dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use jiff::civil::date;
    use vereda_domain::awarded_project::AwardReference;
    use vereda_domain::monitoring::{
        ContentLanguage, ExecutionStatus, FundingLine, Partner, ResultArea, ResultKind,
    };

    use super::*;

    const PUBLISHER: Publisher<'static> = Publisher {
        reference: "CO-NIT-8999990001",
        name: "Agencia de Desarrollo Rural",
        org_type: "10",
        language: "es",
        site: "https://vereda.gov.co",
    };

    fn d(text: &str) -> Decimal {
        Decimal::from_str_exact(text).expect("decimal")
    }

    fn indicator(
        number: i32,
        name: &str,
        unit: IndicatorUnit,
        goal: &str,
        result: Option<i32>,
    ) -> IndicatorProgress {
        IndicatorProgress {
            number,
            name: name.to_owned(),
            unit,
            baseline: Decimal::ZERO,
            baseline_date: None,
            goal: d(goal),
            higher_is_better: true,
            by_sex: false,
            status: ExecutionStatus::InExecution,
            featured: false,
            result,
            rollup_key: None,
            current_value: Decimal::ZERO,
            current_women: None,
            current_men: None,
            last_update: None,
            advance_percent: None,
        }
    }

    fn area(position: i32, kind: ResultKind, title: &str) -> ResultArea {
        ResultArea {
            position,
            kind,
            title: title.to_owned(),
            objective: Some(position),
        }
    }

    fn eu_card() -> ProjectCard {
        let mut by_sex = indicator(
            4,
            "Productores capacitados (desagregados por sexo)",
            IndicatorUnit::Number,
            "500",
            Some(2),
        );
        by_sex.by_sex = true;
        let mut women_share = indicator(
            2,
            "Porcentaje de mujeres en las veedurías",
            IndicatorUnit::Percent,
            "40",
            Some(1),
        );
        women_share.baseline = d("5.5");
        women_share.baseline_date = Some(date(2020, 9, 1));
        let mut cost = indicator(13, "Costo por kilómetro", IndicatorUnit::Eur, "120000", None);
        cost.higher_is_better = false;
        ProjectCard {
            code: "T06.60,61,62".to_owned(),
            language: ContentLanguage::English,
            title: "Implementation of PDET Productive Routes <Stabilization> & Roads".to_owned(),
            subtitle: "Regional stabilization".to_owned(),
            tagline: String::new(),
            period_start: date(2020, 7, 18),
            period_end: date(2024, 12, 22),
            description: "It focuses on value chains: cocoa and dairy.".to_owned(),
            peace_contribution: "Point 1 of the Peace Agreement.".to_owned(),
            general_objective: "Contribute to regional stabilization.".to_owned(),
            specific_objectives: vec!["Improve roads.".to_owned(), "Strengthen value chains.".to_owned()],
            results: vec![
                area(1, ResultKind::Output, "Vías terciarias mejoradas"),
                area(2, ResultKind::Outcome, "Cadenas más competitivas"),
                area(3, ResultKind::Impact, "Un resultado sin indicadores"),
            ],
            status: ProjectStatus::InExecution,
            award: None,
            value_chains: vec!["Cacao".to_owned()],
            funding: vec![
                FundingLine {
                    source: "Gobierno de Colombia".to_owned(),
                    role: FundingRole::Counterpart,
                    currency: Currency::Eur,
                    amount: d("19500000"),
                },
                FundingLine {
                    source: "Unión Europea".to_owned(),
                    role: FundingRole::Donor,
                    currency: Currency::Eur,
                    amount: d("3000000.00"),
                },
                FundingLine {
                    source: "Alcaldía de Tumaco".to_owned(),
                    role: FundingRole::Counterpart,
                    currency: Currency::Cop,
                    amount: d("1250000000"),
                },
            ],
            totals: BTreeMap::new(),
            indicators: vec![
                women_share,
                indicator(3, "Kilómetros de vías", IndicatorUnit::Kilometres, "94", Some(1)),
                by_sex,
                indicator(12, "Comités comunitarios", IndicatorUnit::Number, "8", Some(7)),
                cost,
            ],
            partners: vec![
                Partner {
                    name: "Alta Consejería para la Estabilización".to_owned(),
                    role: PartnerRole::AdvocatePartner,
                },
                Partner {
                    name: "Agencia de Renovación del Territorio".to_owned(),
                    role: PartnerRole::LocalPartner,
                },
                Partner {
                    name: "Unión Europea".to_owned(),
                    role: PartnerRole::Funder,
                },
            ],
            municipalities: vec!["18001".to_owned()],
            documents: Vec::new(),
            updated_at: "2022-10-03T15:04:05.123Z".parse().expect("timestamp"),
        }
    }

    fn program_card(code: &str) -> ProjectCard {
        let mut trained = indicator(
            2,
            "Productores capacitados (mujeres y hombres)",
            IndicatorUnit::Number,
            "40",
            Some(2),
        );
        trained.by_sex = true;
        ProjectCard {
            code: code.to_owned(),
            language: ContentLanguage::Spanish,
            title: "Leche de calidad en San Vicente del Caguán".to_owned(),
            subtitle: String::new(),
            tagline: String::new(),
            period_start: date(2013, 9, 1),
            period_end: date(2015, 8, 31),
            description: String::new(),
            peace_contribution: "  ".to_owned(),
            general_objective: "Aumentar el ingreso de las familias.".to_owned(),
            specific_objectives: vec!["Renovar praderas.".to_owned()],
            results: vec![
                area(1, ResultKind::Output, "Praderas renovadas"),
                area(2, ResultKind::Outcome, "Familias que venden leche de calidad"),
            ],
            status: ProjectStatus::Planned,
            award: Some(AwardReference {
                number: "DT-CAQ-2013-001".to_owned(),
                awarded_on: date(2013, 8, 20),
                formulation_id: 7,
                call_id: None,
                flow: vereda_domain::awarded_project::MoneyFlow {
                    committed: d("120000000"),
                    disbursed: Some(d("120000000")),
                    disbursed_on: Some(date(2013, 9, 10)),
                    executed: d("6500000"),
                    expenditures: vec![(date(2013, 10, 1), d("6500000"))],
                    physical: None,
                    closed_on: None,
                },
            }),
            value_chains: Vec::new(),
            funding: vec![
                FundingLine {
                    source: "Incoder".to_owned(),
                    role: FundingRole::Institute,
                    currency: Currency::Cop,
                    amount: d("412000000"),
                },
                FundingLine {
                    source: "Familias beneficiarias".to_owned(),
                    role: FundingRole::Counterpart,
                    currency: Currency::Cop,
                    amount: d("98000000"),
                },
            ],
            totals: BTreeMap::new(),
            indicators: vec![
                indicator(
                    1,
                    "Hectáreas silvopastoriles",
                    IndicatorUnit::Hectares,
                    "120",
                    Some(1),
                ),
                trained,
            ],
            partners: Vec::new(),
            municipalities: vec!["18753".to_owned()],
            documents: Vec::new(),
            updated_at: "2014-10-01T00:00:00Z".parse().expect("timestamp"),
        }
    }

    fn measurement(
        project: &str,
        indicator: i32,
        on: Date,
        value: &str,
        sexes: Option<(&str, &str)>,
    ) -> PublishedMeasurement {
        PublishedMeasurement {
            project_code: project.to_owned(),
            indicator_number: indicator,
            measured_on: on,
            value: d(value),
            value_women: sexes.map(|(w, _)| d(w)),
            value_men: sexes.map(|(_, m)| d(m)),
            source: Some("Informe de interventoría & actas".to_owned()),
        }
    }

    fn measurements() -> Vec<PublishedMeasurement> {
        let eu = "T06.60,61,62";
        let program = "PDR-2013-CAQ-001";
        vec![
            // Out of order on purpose: periods follow the dates.
            measurement(eu, 3, date(2022, 9, 30), "13.2", None),
            measurement(eu, 3, date(2021, 12, 31), "4.50", None),
            measurement(eu, 2, date(2022, 9, 30), "0", None),
            measurement(eu, 4, date(2022, 9, 30), "239", None),
            measurement(eu, 13, date(2023, 3, 31), "98000", None),
            measurement(program, 1, date(2014, 9, 30), "78", None),
            measurement(program, 1, date(2014, 3, 31), "35", None),
            measurement(program, 2, date(2014, 9, 30), "31", Some(("14", "17"))),
            // Another project's measurement of the same indicator number is not mixed in.
            measurement(
                "PDR-2013-NAR-002",
                2,
                date(2014, 12, 31),
                "60",
                Some(("27", "33")),
            ),
        ]
    }

    fn render() -> String {
        let cards = [eu_card(), program_card("PDR-2013-CAQ-001")];
        let generated: Timestamp = "2026-11-21T12:00:00Z".parse().expect("timestamp");
        activities_xml(&PUBLISHER, &cards, &measurements(), generated)
    }

    /// The text of each `<indicator>` element, in order.
    fn indicator_blocks(xml: &str) -> Vec<&str> {
        xml.split("<indicator ")
            .skip(1)
            .map(|rest| rest.split("</indicator>").next().unwrap_or_default())
            .collect()
    }

    fn iso_dates<'a>(block: &'a str, element: &str) -> Vec<&'a str> {
        let open = format!("<{element} iso-date=\"");
        block
            .split(open.as_str())
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect()
    }

    #[test]
    fn the_export_is_valid_iati_2_03() {
        let xml = render();
        match validate_with_xmllint(&xml) {
            Ok(Some(())) => {}
            Ok(None) => {
                assert!(
                    std::env::var_os("VEREDA_REQUIRE_XMLLINT").is_none(),
                    "VEREDA_REQUIRE_XMLLINT is set but xmllint is not installed"
                );
                println!(
                    "skipped IATI schema validation: xmllint is not installed (apt-get install libxml2-utils)"
                );
            }
            Err(report) => panic!("{report}\n{xml}"),
        }
    }

    #[test]
    fn an_invalid_document_is_reported() {
        match validate_with_xmllint("<iati-activities version=\"2.03\"></iati-activities>") {
            Ok(None) => println!("skipped: xmllint is not installed"),
            Ok(Some(())) => panic!("an empty activity list passed the schema"),
            Err(report) => assert!(report.contains("iati-activities"), "{report}"),
        }
    }

    #[test]
    fn identifiers_are_distinct_and_free_of_forbidden_characters() {
        let codes = [
            "T06.60,61,62",
            "PDR-2013-CAQ-001",
            "PDR-2013-NAR-002",
            "PDR-2013-PUT-003",
            "A/B",
            "A&B",
            "A B",
            "A%2FB",
            "A|B?",
        ];
        let ids: Vec<String> = codes.iter().map(|c| activity_identifier(&PUBLISHER, c)).collect();
        for id in &ids {
            assert!(id.starts_with("CO-NIT-8999990001-"), "{id}");
            assert!(!id.contains(['/', '&', '|', '?', ' ']), "{id}");
        }
        let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "{ids:?}");
        assert_eq!(ids[0], "CO-NIT-8999990001-T06.60,61,62");
        assert_eq!(ids[4], "CO-NIT-8999990001-A%2FB");
        assert_eq!(ids[7], "CO-NIT-8999990001-A%252FB");
        assert_eq!(ids[8], "CO-NIT-8999990001-A%7CB%3F");

        let xml = render();
        assert!(xml.contains("<iati-identifier>CO-NIT-8999990001-T06.60,61,62</iati-identifier>"));
        assert!(xml.contains("<iati-identifier>CO-NIT-8999990001-PDR-2013-CAQ-001</iati-identifier>"));
    }

    #[test]
    fn activities_carry_their_dates_language_currency_and_codes() {
        let xml = render();
        assert!(
            xml.contains("<iati-activities version=\"2.03\" generated-datetime=\"2026-11-21T12:00:00Z\">")
        );
        assert!(xml.contains(
            "<iati-activity last-updated-datetime=\"2022-10-03T15:04:05Z\" xml:lang=\"en\" default-currency=\"EUR\">"
        ));
        assert!(xml.contains("default-currency=\"COP\""));
        assert!(xml.contains("<activity-status code=\"2\"/>"));
        assert!(xml.contains("<activity-status code=\"1\"/>"));
        assert!(
            xml.contains("<other-identifier ref=\"DT-CAQ-2013-001\" type=\"A1\"/>"),
            "the resolution"
        );
        assert!(xml.contains("<activity-date type=\"1\" iso-date=\"2020-07-18\"/>"));
        assert!(xml.contains("<activity-date type=\"3\" iso-date=\"2024-12-22\"/>"));
        assert!(xml.contains("<description type=\"4\">"));
        assert_eq!(
            xml.matches("<description type=\"4\">").count(),
            1,
            "a blank contribution is left out"
        );
        assert!(xml.contains("1. Improve roads.\n2. Strengthen value chains."));
        for role in ["1", "2", "4"] {
            assert!(
                xml.contains(&format!("<participating-org role=\"{role}\">")),
                "role {role}"
            );
        }
        // The program project has no partners: the publisher is named as accountable.
        assert!(xml.contains("<participating-org ref=\"CO-NIT-8999990001\" type=\"10\" role=\"2\">"));
        // The award's money: committed, disbursed and spent, in COP, naming no one.
        for (kind, on, value) in [
            ("2", "2013-08-20", "120000000"),
            ("3", "2013-09-10", "120000000"),
            ("4", "2013-10-01", "6500000"),
        ] {
            assert!(xml.contains(&format!(
                "<transaction>\n      <transaction-type code=\"{kind}\"/>\n      <transaction-date iso-date=\"{on}\"/>\n      <value currency=\"COP\" value-date=\"{on}\">{value}</value>"
            )), "transaction {kind}");
        }
        assert!(!xml.contains("receiver-org"));
        // A budget per currency and project year: 5 years in EUR and COP, 2 years in COP.
        assert_eq!(xml.matches("<budget type=\"1\" status=\"1\">").count(), 12);
    }

    #[test]
    fn budgets_are_yearly_and_add_up_to_each_currencys_funding() {
        let card = eu_card();
        let budgets = yearly_budgets(&card);
        let years: Vec<(String, String)> = budgets
            .iter()
            .filter(|b| b.currency == Currency::Eur)
            .map(|b| (b.start.to_string(), b.end.to_string()))
            .collect();
        assert_eq!(
            years,
            [
                ("2020-07-18", "2021-07-17"),
                ("2021-07-18", "2022-07-17"),
                ("2022-07-18", "2023-07-17"),
                ("2023-07-18", "2024-07-17"),
                ("2024-07-18", "2024-12-22"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        for (currency, total) in [(Currency::Eur, d("22500000")), (Currency::Cop, d("1250000000"))] {
            let sum: Decimal = budgets
                .iter()
                .filter(|b| b.currency == currency)
                .map(|b| b.amount)
                .sum();
            assert_eq!(sum, total, "{currency:?}");
        }
        // A full year weighs 365 of the 1,619 days.
        assert_eq!(budgets[0].amount, d("5072575.66"));
        assert!(
            budgets
                .iter()
                .all(|b| b.start.until(b.end).map_or(0, |s| s.get_days()) < 366)
        );

        let one_day = ProjectCard {
            period_end: card.period_start,
            ..card
        };
        let single = yearly_budgets(&one_day);
        assert_eq!(single.len(), 2);
        assert_eq!(single[0].amount, d("22500000"));
    }

    #[test]
    fn funders_are_organisations_with_roles_sectors_and_the_card_is_linked() {
        let xml = render();
        assert!(xml.contains("<participating-org role=\"1\">\n      <narrative>Unión Europea</narrative>"));
        assert!(
            xml.contains("<participating-org role=\"1\">\n      <narrative>Gobierno de Colombia</narrative>")
        );
        assert_eq!(
            xml.matches("<narrative>Unión Europea</narrative>").count(),
            1,
            "a funder partner already named by its funding is not named twice"
        );
        assert!(xml.contains(
            "<participating-org ref=\"CO-NIT-8999990001\" type=\"10\" role=\"1\">\n      <narrative>Incoder</narrative>"
        ));
        assert!(!xml.contains("Investment amount"));
        assert!(xml.contains("<sector vocabulary=\"1\" code=\"31162\" percentage=\"100\"/>"));
        assert!(xml.contains("<sector vocabulary=\"1\" code=\"31120\" percentage=\"100\"/>"));
        assert_eq!(
            sectors(&["Cacao".to_owned(), "Lácteos".to_owned(), "Plátano".to_owned()]),
            [("31162", 34), ("31163", 33), ("31161", 33)]
        );
        assert!(xml.contains(
            "<document-link format=\"text/html\" url=\"https://vereda.gov.co/proyectos/T06.60,61,62\">"
        ));
        assert!(xml.contains(
            "<document-link format=\"text/html\" url=\"https://vereda.gov.co/en/proyectos/PDR-2013-CAQ-001\">"
        ));
        assert_eq!(percent_encode_path("A B/ñ"), "A%20B%2F%C3%B1");
    }

    #[test]
    fn results_hold_their_indicators_and_the_rest_go_under_the_project() {
        let xml = render();
        assert!(xml.contains("<result type=\"1\" aggregation-status=\"0\">\n      <title>\n        <narrative xml:lang=\"es\">Vías terciarias mejoradas</narrative>"));
        assert!(xml.contains("<result type=\"2\" aggregation-status=\"0\">\n      <title>\n        <narrative xml:lang=\"es\">Cadenas más competitivas</narrative>"));
        // A result without indicators would not validate; it is left out.
        assert!(!xml.contains("Un resultado sin indicadores"));
        // Indicator 12 points at a result that does not exist, 13 at none.
        let project = xml
            .split("<narrative xml:lang=\"es\">Indicadores del proyecto</narrative>")
            .nth(1)
            .expect("project result");
        let project = project.split("</result>").next().unwrap_or_default();
        assert!(project.contains("Comités comunitarios"));
        assert!(project.contains("Costo por kilómetro"));
        assert_eq!(xml.matches("Indicadores del proyecto").count(), 1);

        let blocks = indicator_blocks(&xml);
        let share = blocks
            .iter()
            .find(|b| b.contains("Porcentaje de mujeres"))
            .expect("percentage");
        assert!(share.starts_with("measure=\"2\" ascending=\"1\">"));
        assert!(share.contains("<baseline year=\"2020\" iso-date=\"2020-09-01\" value=\"5.5\"/>"));
        let cost = blocks
            .iter()
            .find(|b| b.contains("Costo por kilómetro"))
            .expect("cost");
        assert!(cost.starts_with("measure=\"1\" ascending=\"0\">"));
        assert!(cost.contains("<narrative xml:lang=\"es\">Unidad de medida: EUR</narrative>"));
        assert!(cost.contains("<baseline year=\"2020\" iso-date=\"2020-07-18\" value=\"0\"/>"));
    }

    #[test]
    fn periods_follow_the_measurements_in_order() {
        let xml = render();
        let blocks = indicator_blocks(&xml);
        let roads = blocks
            .iter()
            .find(|b| b.contains("Kilómetros de vías"))
            .expect("roads");
        assert_eq!(iso_dates(roads, "period-start"), ["2020-07-18", "2022-01-01"]);
        assert_eq!(iso_dates(roads, "period-end"), ["2021-12-31", "2022-09-30"]);
        assert!(roads.contains("<target value=\"94\"/>"));
        let values: Vec<&str> = roads
            .split("<actual value=\"")
            .skip(1)
            .filter_map(|r| r.split('"').next())
            .collect();
        assert_eq!(values, ["4.5", "13.2"]);
        assert!(roads.contains(
            "<comment>\n              <narrative>Informe de interventoría &amp; actas</narrative>"
        ));

        let hectares = blocks
            .iter()
            .find(|b| b.contains("Hectáreas silvopastoriles"))
            .expect("hectares");
        assert_eq!(iso_dates(hectares, "period-start"), ["2013-09-01", "2014-04-01"]);
        assert_eq!(iso_dates(hectares, "period-end"), ["2014-03-31", "2014-09-30"]);

        for block in &blocks {
            let starts = iso_dates(block, "period-start");
            let ends = iso_dates(block, "period-end");
            for (i, (start, end)) in starts.iter().zip(&ends).enumerate() {
                assert!(start <= end, "{block}");
                if i > 0 {
                    assert!(ends[i - 1] < *start, "{block}");
                }
            }
        }
        // No measurement, no period.
        let committees = blocks
            .iter()
            .find(|b| b.contains("Comités comunitarios"))
            .expect("committees");
        assert!(!committees.contains("<period>"));
    }

    #[test]
    fn a_measurement_split_by_sex_adds_an_actual_per_sex() {
        let xml = render();
        let blocks = indicator_blocks(&xml);
        let trained = blocks
            .iter()
            .find(|b| b.contains("mujeres y hombres"))
            .expect("trained");
        assert_eq!(
            trained.matches("<period>").count(),
            1,
            "another project's measurement is not mixed in"
        );
        assert!(trained.contains(
            "<actual value=\"14\">\n            <dimension name=\"sex\" value=\"female\"/>\n          </actual>"
        ));
        assert!(trained.contains(
            "<actual value=\"17\">\n            <dimension name=\"sex\" value=\"male\"/>\n          </actual>"
        ));
        assert_eq!(trained.matches("<actual ").count(), 3);
        // By sex, but measured only in total: the total alone.
        let eu_trained = blocks
            .iter()
            .find(|b| b.contains("desagregados por sexo"))
            .expect("eu trained");
        assert_eq!(eu_trained.matches("<actual ").count(), 1);
        assert!(!eu_trained.contains("<dimension"));
    }

    #[test]
    fn text_is_escaped() {
        let xml = render();
        assert!(xml.contains(
            "<narrative>Implementation of PDET Productive Routes &lt;Stabilization&gt; &amp; Roads</narrative>"
        ));
        assert!(!xml.contains("<Stabilization>"));
        assert_eq!(escape("a\"b'c\u{1}d\te"), "a&quot;b&apos;cd\te");
    }

    #[test]
    fn texts_say_their_language_only_when_it_is_not_the_activitys() {
        let xml = render();
        let (english, spanish) = xml.split_once("</iati-activity>").expect("two activities");
        // The English card: its own texts untagged, the program's in Spanish tagged.
        assert!(english.contains("<narrative>Implementation of PDET"));
        assert!(english.contains("<narrative xml:lang=\"es\">Indicadores del proyecto</narrative>"));
        assert!(english.contains("<narrative xml:lang=\"es\">Unidad de medida: km</narrative>"));
        assert!(english.contains("<narrative xml:lang=\"es\">Kilómetros de vías</narrative>"));
        assert!(english.contains("<narrative xml:lang=\"es\">Agencia de Desarrollo Rural</narrative>"));
        assert!(english.contains("<narrative>Project card</narrative>"));
        // The Spanish card: nothing Spanish is tagged, the English link title is.
        assert!(spanish.contains("xml:lang=\"es\" default-currency=\"COP\""));
        assert!(spanish.contains("<narrative>Praderas renovadas</narrative>"));
        assert!(spanish.contains("<narrative xml:lang=\"en\">Project card</narrative>"));
        assert!(!spanish.contains("xml:lang=\"es\">"));
    }

    #[test]
    fn the_output_is_deterministic() {
        assert_eq!(render(), render());
    }

    #[test]
    fn decimals_are_written_plainly() {
        assert_eq!(plain(d("19500000.00")), "19500000");
        assert_eq!(plain(d("13.20")), "13.2");
        assert_eq!(plain(d("-0.0")), "0");
        assert_eq!(
            plain(Decimal::from_i128_with_scale(12_345_678_901_234_567_890, 0)),
            "12345678901234567890"
        );
        assert_eq!(plain(d("0.000001")), "0.000001");
    }
}
