//! After the payment: the project's investment plan and the controlled account's ledger
//! (Art. 29 par., 34).
//!
//! The co-financing is never handed to the families: it is managed "con relación al plan de
//! inversión" through one controlled account with joint signatures (Art. 29 par.). The plan is
//! the approved version's budget (Art. 19.6, 19.8), frozen at the award with its SHA-256; a
//! change moves money between its lines and keeps the total. Every movement of the account is
//! checked here against the plan: a payment names its line, stays within what the line plans,
//! is not charged to the institute's money on a category Art. 21 excludes, and is dated
//! between the payment and today. A bank statement is reconciled against the ledger.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::finance::{BudgetLine, ExpenseCategory, Funder};
use crate::message::Message;
use crate::text_enum::text_enum;

// ---------------------------------------------------------------------------------------------
// NIT

/// The DIAN's weights for the verification digit, from the NIT's last digit leftwards.
const NIT_WEIGHTS: [u32; 15] = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71];

/// The verification digit of a NIT's number (DIAN, modulo 11): `None` when the number is not
/// 1 to 15 digits.
pub fn nit_check_digit(number: &str) -> Option<u8> {
    if number.is_empty() || number.len() > NIT_WEIGHTS.len() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = number
        .bytes()
        .rev()
        .zip(NIT_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let rest = sum % 11;
    // `rest` is below 11, so either value fits in a digit.
    Some(if rest < 2 { rest as u8 } else { (11 - rest) as u8 })
}

/// A NIT with its verification digit checked, kept as `number-digit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nit {
    pub number: String,
    pub digit: u8,
}

impl Nit {
    /// Reads `899999063-3` (dots and spaces allowed in the number; the digit after a dash).
    pub fn parse(text: &str) -> Result<Nit, Message> {
        let bad = || Message::new("ledger-error-nit_format").with("value", text.trim());
        let (number, digit) = text.trim().rsplit_once('-').ok_or_else(bad)?;
        let number: String = number.chars().filter(|c| !matches!(c, '.' | ' ')).collect();
        let digit = digit.trim();
        let expected = nit_check_digit(&number).ok_or_else(bad)?;
        let given: u8 = match digit.as_bytes() {
            [d] if d.is_ascii_digit() => d - b'0',
            _ => return Err(bad()),
        };
        if given != expected {
            return Err(Message::new("ledger-error-nit_digit")
                .with("value", text.trim())
                .with("expected", expected));
        }
        Ok(Nit { number, digit: given })
    }

    /// Whether the NIT is a company's (a legal person: the DIAN gives them numbers from
    /// 800 000 000 up, nine digits), which may be published; a natural person's NIT is their
    /// identity document and is personal data.
    pub fn is_company(&self) -> bool {
        self.number.len() == 9 && self.number.starts_with(['8', '9'])
    }
}

impl std::fmt::Display for Nit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.number, self.digit)
    }
}

// ---------------------------------------------------------------------------------------------
// The investment plan

/// One line of the investment plan: a line of the approved budget (Art. 19.6, 19.8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanLine {
    /// 1, 2, … in the budget's order; the same number in every version of the plan.
    pub number: u32,
    pub category: ExpenseCategory,
    pub funder: Funder,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<u16>,
    pub amount: Decimal,
    /// Whether the category may take the institute's money under the version's rule set
    /// (Art. 20; Art. 21 lists those that may not).
    pub eligible: bool,
}

/// The investment plan of an awarded project: its lines, frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvestmentPlan {
    pub lines: Vec<PlanLine>,
}

impl InvestmentPlan {
    /// The plan of an approved budget; `eligible` lists the categories of Art. 20 as the rule
    /// set names them.
    pub fn from_budget(budget: &[BudgetLine], eligible: &[ExpenseCategory]) -> InvestmentPlan {
        InvestmentPlan {
            lines: budget
                .iter()
                .zip(1u32..)
                .map(|(line, number)| PlanLine {
                    number,
                    category: line.category,
                    funder: line.funder.clone(),
                    description: line.description.clone(),
                    year: line.year,
                    month: line.month,
                    amount: line.amount(),
                    eligible: eligible.contains(&line.category),
                })
                .collect(),
        }
    }

    pub fn total(&self) -> Decimal {
        self.lines.iter().map(|l| l.amount).sum()
    }

    pub fn line(&self, number: u32) -> Option<&PlanLine> {
        self.lines.iter().find(|l| l.number == number)
    }

    /// SHA-256 of the plan's canonical text: one line per plan line, its fields separated by
    /// `|`, amounts normalized (so `1000.00` and `1000` hash alike).
    pub fn sha256(&self) -> String {
        let mut text = String::new();
        for l in &self.lines {
            let _ = writeln!(
                text,
                "{}|{}|{}|{}|{}|{}|{}|{}",
                l.number,
                l.category,
                l.funder,
                l.description.replace(['|', '\n'], " "),
                l.year.map(|y| y.to_string()).unwrap_or_default(),
                l.month.map(|m| m.to_string()).unwrap_or_default(),
                l.amount.normalize(),
                l.eligible,
            );
        }
        let digest = Sha256::digest(text.as_bytes());
        digest.iter().fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
    }

    /// The plan with new amounts for some lines (a change of the plan, Art. 19.8): the same
    /// lines, no amount negative, nothing changed is refused, the total unchanged, and no line
    /// below what has been executed on it (`executed` by line number).
    pub fn changed(
        &self,
        amounts: &BTreeMap<u32, Decimal>,
        executed: &BTreeMap<u32, Decimal>,
    ) -> Result<InvestmentPlan, Message> {
        let mut next = self.clone();
        for (&number, &amount) in amounts {
            let line = next
                .lines
                .iter_mut()
                .find(|l| l.number == number)
                .ok_or_else(|| Message::new("ledger-error-no_line").with("line", number))?;
            if amount < Decimal::ZERO {
                return Err(Message::new("ledger-error-negative_amount")
                    .with("line", number)
                    .with("value", amount));
            }
            let spent = executed.get(&number).copied().unwrap_or_default();
            if amount < spent {
                return Err(Message::new("ledger-error-below_executed")
                    .with("line", number)
                    .with("value", amount)
                    .with("executed", spent)
                    .with("article", "Art. 34"));
            }
            line.amount = amount;
        }
        if next == *self {
            return Err(Message::new("ledger-error-plan_unchanged"));
        }
        if next.total() != self.total() {
            return Err(Message::new("ledger-error-plan_total")
                .with("total", self.total())
                .with("value", next.total())
                .with("article", "Art. 19.6"));
        }
        Ok(next)
    }
}

// ---------------------------------------------------------------------------------------------
// Movements

text_enum! {
    /// What moved in the controlled account.
    pub enum MovementKind ("movement kind") {
        /// A payment to a supplier, against a line of the plan.
        Payment = "payment",
        /// The institute's single disbursement (Art. 33).
        Disbursement = "disbursement",
        /// A deposit of the counterpart (Art. 29, 47).
        Counterpart = "counterpart",
        /// Interest the bank paid.
        Interest = "interest",
        /// Money returned to the account (a supplier's refund).
        Refund = "refund",
        /// The balance returned to the institute, recorded with the act of closure (Art. 34).
        Reimbursement = "reimbursement",
    }
}

impl MovementKind {
    pub fn is_outflow(self) -> bool {
        matches!(self, MovementKind::Payment | MovementKind::Reimbursement)
    }

    /// The movement's value as it changes the balance: outflows negative.
    pub fn signed(self, value: Decimal) -> Decimal {
        if self.is_outflow() { -value } else { value }
    }
}

text_enum! {
    /// Whose money a payment spends: the institute's co-financing or the counterpart.
    pub enum Source ("funding source") {
        Institute = "institute",
        Counterpart = "counterpart",
    }
}

/// A movement as an officer records it (the signatures are the store's: the officer's
/// account, and the representative of the families).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovementDraft {
    pub date: Date,
    pub value: Decimal,
    pub kind: MovementKind,
    /// For a payment: its plan line and whose money it spends.
    pub line: Option<u32>,
    pub source: Option<Source>,
    pub supplier_name: String,
    pub supplier_nit: String,
    pub reference: String,
}

/// What a movement is checked against.
#[derive(Debug, Clone)]
pub struct LedgerFacts<'a> {
    pub plan: &'a InvestmentPlan,
    /// The date of the single payment (Art. 33); nothing is recorded before it.
    pub paid_on: Option<Date>,
    pub today: Date,
    pub closed: bool,
    /// What the payments already recorded spend, by plan line.
    pub executed: &'a BTreeMap<u32, Decimal>,
}

/// A problem of a movement, on the form field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerProblem {
    pub field: &'static str,
    pub message: Message,
}

impl LedgerProblem {
    fn new(field: &'static str, message: Message) -> LedgerProblem {
        LedgerProblem { field, message }
    }
}

impl MovementDraft {
    /// The supplier's NIT read, when one was given.
    pub fn nit(&self) -> Result<Option<Nit>, Message> {
        if self.supplier_nit.trim().is_empty() {
            Ok(None)
        } else {
            Nit::parse(&self.supplier_nit).map(Some)
        }
    }

    /// Every rule of the ledger: all problems found, each on its field.
    pub fn check(&self, facts: &LedgerFacts<'_>) -> Result<(), Vec<LedgerProblem>> {
        let mut problems = Vec::new();
        if facts.closed {
            problems.push(LedgerProblem::new(
                "date",
                Message::new("ledger-error-closed").with("article", "Art. 34"),
            ));
        }
        if self.value <= Decimal::ZERO {
            problems.push(LedgerProblem::new(
                "value",
                Message::new("ledger-error-value").with("value", self.value),
            ));
        }
        match facts.paid_on {
            None => problems.push(LedgerProblem::new(
                "date",
                Message::new("ledger-error-not_paid").with("article", "Art. 33"),
            )),
            Some(paid_on) if self.date < paid_on => problems.push(LedgerProblem::new(
                "date",
                Message::new("ledger-error-before_payment")
                    .with("date", self.date)
                    .with("paid_on", paid_on)
                    .with("article", "Art. 33"),
            )),
            Some(_) => {}
        }
        if self.date > facts.today {
            problems.push(LedgerProblem::new(
                "date",
                Message::new("ledger-error-future_date")
                    .with("date", self.date)
                    .with("today", facts.today),
            ));
        }
        if let Err(message) = self.nit() {
            problems.push(LedgerProblem::new("supplier_nit", message));
        }
        if self.kind == MovementKind::Reimbursement {
            problems.push(LedgerProblem::new(
                "kind",
                Message::new("ledger-error-reimbursement").with("article", "Art. 34"),
            ));
        } else if self.kind.is_outflow() {
            if self.supplier_name.trim().is_empty() {
                problems.push(LedgerProblem::new(
                    "supplier_name",
                    Message::new("ledger-error-supplier_required").with("article", "Art. 34"),
                ));
            }
            match self.line.and_then(|n| facts.plan.line(n).map(|l| (n, l))) {
                None => problems.push(LedgerProblem::new(
                    "line",
                    Message::new("ledger-error-line_required").with("article", "Art. 29 par."),
                )),
                Some((number, line)) => {
                    let source = self.source.unwrap_or(match line.funder {
                        Funder::Institute => Source::Institute,
                        _ => Source::Counterpart,
                    });
                    if source == Source::Institute && !line.eligible {
                        problems.push(LedgerProblem::new(
                            "source",
                            Message::new("ledger-error-not_eligible")
                                .with_term("category", format!("evaluation-category_{}", line.category))
                                .with("article", line.category.article()),
                        ));
                    }
                    let spent = facts.executed.get(&number).copied().unwrap_or_default();
                    let available = line.amount - spent;
                    if self.value > Decimal::ZERO && self.value > available {
                        problems.push(LedgerProblem::new(
                            "value",
                            Message::new("ledger-error-over_plan")
                                .with("line", number)
                                .with("planned", line.amount)
                                .with("executed", spent)
                                .with("available", available.max(Decimal::ZERO))
                                .with("value", self.value)
                                .with("article", "Art. 29 par."),
                        ));
                    }
                }
            }
        } else if self.line.is_some() {
            problems.push(LedgerProblem::new(
                "line",
                Message::new("ledger-error-line_on_inflow"),
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// Whether two movements are the same one recorded twice: same date, value and (trimmed,
/// case-folded) reference.
pub fn is_duplicate(a: (Date, Decimal, &str), b: (Date, Decimal, &str)) -> bool {
    a.0 == b.0 && a.1 == b.1 && fold(a.2) == fold(b.2)
}

fn fold(reference: &str) -> String {
    reference
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Execution

/// A recorded movement, as the figures read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: i32,
    pub date: Date,
    pub kind: MovementKind,
    pub value: Decimal,
    pub line: Option<u32>,
    pub reference: String,
}

/// The account's figures: balance, what came in and went out, what each line and category
/// executed, and the share of the disbursement executed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Execution {
    pub inflows: Decimal,
    pub outflows: Decimal,
    pub balance: Decimal,
    pub disbursed: Decimal,
    /// What the payments spent, by plan line.
    pub by_line: BTreeMap<u32, Decimal>,
    /// By category, with what the plan planned: (planned, executed).
    pub by_category: BTreeMap<String, (Decimal, Decimal)>,
    /// Floor of 100 × the payments charged to the institute / the disbursement.
    pub executed_of_disbursement_percent: Option<Decimal>,
}

/// The figures of a ledger against its plan; `institute_spent` is what the payments charged
/// to the institute's money spent.
pub fn execution(plan: &InvestmentPlan, entries: &[Entry], institute_spent: Decimal) -> Execution {
    let mut figures = Execution::default();
    for line in &plan.lines {
        figures
            .by_category
            .entry(line.category.to_string())
            .or_default()
            .0 += line.amount;
    }
    for e in entries {
        if e.kind.is_outflow() {
            figures.outflows += e.value;
            if let Some(number) = e.line {
                *figures.by_line.entry(number).or_default() += e.value;
                if let Some(line) = plan.line(number) {
                    figures
                        .by_category
                        .entry(line.category.to_string())
                        .or_default()
                        .1 += e.value;
                }
            }
        } else {
            figures.inflows += e.value;
            if e.kind == MovementKind::Disbursement {
                figures.disbursed += e.value;
            }
        }
    }
    figures.balance = figures.inflows - figures.outflows;
    if figures.disbursed > Decimal::ZERO {
        figures.executed_of_disbursement_percent =
            Some((Decimal::ONE_HUNDRED * institute_spent / figures.disbursed).floor());
    }
    figures
}

// ---------------------------------------------------------------------------------------------
// Reconciliation

/// A line of a bank statement (fecha, descripción, referencia, débito, crédito, saldo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    pub id: i32,
    pub date: Date,
    pub description: String,
    pub reference: String,
    pub debit: Decimal,
    pub credit: Decimal,
    pub balance: Option<Decimal>,
}

impl StatementLine {
    /// Credits in, debits out.
    pub fn signed(&self) -> Decimal {
        self.credit - self.debit
    }
}

/// How many days a bank may book a movement before or after its ledger date.
pub const RECONCILE_DAYS: i32 = 3;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    /// (ledger entry id, statement line id).
    pub matched: Vec<(i32, i32)>,
    pub ledger_only: Vec<i32>,
    pub statement_only: Vec<i32>,
    pub ledger_balance: Decimal,
    /// The balance of the statement's last line (by date, then order), or the sum of its
    /// movements when it gives none.
    pub statement_balance: Decimal,
    pub difference: Decimal,
}

/// Matches each statement line with one ledger entry of the same signed amount, within
/// [`RECONCILE_DAYS`], whose reference agrees when both have one; the nearest date wins, and
/// an equal reference before that.
pub fn reconcile(entries: &[Entry], statement: &[StatementLine]) -> Reconciliation {
    let mut taken = vec![false; entries.len()];
    let mut result = Reconciliation::default();
    let mut lines: Vec<&StatementLine> = statement.iter().collect();
    lines.sort_by_key(|l| (l.date, l.id));
    for line in &lines {
        let amount = line.signed();
        let reference = fold(&line.reference);
        let best = entries
            .iter()
            .enumerate()
            .filter(|(i, e)| !taken[*i] && e.kind.signed(e.value) == amount)
            .filter_map(|(i, e)| {
                let days = (e.date - line.date).get_days().abs();
                if days > RECONCILE_DAYS {
                    return None;
                }
                let theirs = fold(&e.reference);
                let same = !reference.is_empty() && !theirs.is_empty() && reference == theirs;
                if !reference.is_empty() && !theirs.is_empty() && !same {
                    return None;
                }
                Some((i, !same, days))
            })
            .min_by_key(|&(i, not_same, days)| (not_same, days, i));
        match best {
            Some((i, _, _)) => {
                taken[i] = true;
                result.matched.push((entries[i].id, line.id));
            }
            None => result.statement_only.push(line.id),
        }
    }
    result.ledger_only = entries
        .iter()
        .zip(&taken)
        .filter(|(_, t)| !**t)
        .map(|(e, _)| e.id)
        .collect();
    result.ledger_balance = entries.iter().map(|e| e.kind.signed(e.value)).sum();
    result.statement_balance = match lines.last().and_then(|l| l.balance) {
        Some(balance) => balance,
        None => lines.iter().map(|l| l.signed()).sum(),
    };
    result.difference = result.statement_balance - result.ledger_balance;
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use rust_decimal_macros::dec;

    #[test]
    fn nit_digits_of_published_nits() {
        // DIAN, Bancolombia, Davivienda, Banco Agrario, SENA, and the example of the brief.
        for (number, digit) in [
            ("800197268", 4),
            ("890903938", 8),
            ("860034313", 7),
            ("800037800", 8),
            ("899999034", 1),
            ("899999063", 3),
        ] {
            assert_eq!(nit_check_digit(number), Some(digit), "{number}");
            let nit = Nit::parse(&format!("{number}-{digit}")).expect("valid");
            assert!(nit.is_company());
        }
        assert_eq!(
            Nit::parse("800.197.268-4").expect("dots").to_string(),
            "800197268-4"
        );
        let wrong = Nit::parse("800197268-5").expect_err("wrong digit");
        assert_eq!(wrong.code(), "ledger-error-nit_digit");
        assert_eq!(wrong.arg("expected"), Some(&crate::message::Arg::Count(4)));
        assert_eq!(
            Nit::parse("800197268").expect_err("no digit").code(),
            "ledger-error-nit_format"
        );
        assert_eq!(
            Nit::parse("8001x7268-4").expect_err("letter").code(),
            "ledger-error-nit_format"
        );
        assert_eq!(nit_check_digit(""), None);
        assert_eq!(nit_check_digit("1234567890123456"), None);
    }

    fn line(category: ExpenseCategory, funder: Funder, amount: Decimal) -> BudgetLine {
        BudgetLine {
            category,
            funder,
            description: "línea".into(),
            quantity: Decimal::ONE,
            unit: String::new(),
            unit_price: amount,
            year: Some(0),
            month: None,
        }
    }

    fn plan() -> InvestmentPlan {
        InvestmentPlan::from_budget(
            &[
                line(ExpenseCategory::GoodsAndEquipment, Funder::Institute, dec!(1000)),
                line(
                    ExpenseCategory::MaterialsAndSupplies,
                    Funder::Institute,
                    dec!(500),
                ),
                line(ExpenseCategory::PersonalServices, Funder::Counterpart, dec!(300)),
            ],
            &[
                ExpenseCategory::GoodsAndEquipment,
                ExpenseCategory::MaterialsAndSupplies,
            ],
        )
    }

    #[test]
    fn the_plan_is_the_budget_with_a_stable_hash() {
        let p = plan();
        assert_eq!(p.total(), dec!(1800));
        assert_eq!(p.lines.iter().map(|l| l.number).collect::<Vec<_>>(), [1, 2, 3]);
        assert!(!p.line(3).expect("line").eligible);
        assert_eq!(p.sha256().len(), 64);
        let mut same = p.clone();
        same.lines[0].amount = dec!(1000.00);
        assert_eq!(same.sha256(), p.sha256(), "amounts normalized");
        same.lines[0].amount = dec!(1001);
        assert_ne!(same.sha256(), p.sha256());
    }

    #[test]
    fn a_change_moves_money_and_keeps_the_total() {
        let p = plan();
        let none = BTreeMap::new();
        let moved = p
            .changed(&BTreeMap::from([(1, dec!(800)), (2, dec!(700))]), &none)
            .expect("moved");
        assert_eq!(
            (moved.line(1).expect("1").amount, moved.total()),
            (dec!(800), dec!(1800))
        );
        let total = p
            .changed(&BTreeMap::from([(1, dec!(900))]), &none)
            .expect_err("total");
        assert_eq!(total.code(), "ledger-error-plan_total");
        assert_eq!(
            p.changed(&BTreeMap::from([(1, dec!(1000))]), &none)
                .expect_err("same")
                .code(),
            "ledger-error-plan_unchanged"
        );
        assert_eq!(
            p.changed(&BTreeMap::from([(9, dec!(1))]), &none)
                .expect_err("line")
                .code(),
            "ledger-error-no_line"
        );
        let spent = BTreeMap::from([(1, dec!(900))]);
        let below = p
            .changed(&BTreeMap::from([(1, dec!(800)), (2, dec!(700))]), &spent)
            .expect_err("below");
        assert_eq!(below.code(), "ledger-error-below_executed");
    }

    fn payment(line: u32, value: Decimal) -> MovementDraft {
        MovementDraft {
            date: date(2014, 3, 1),
            value,
            kind: MovementKind::Payment,
            line: Some(line),
            source: None,
            supplier_name: "Agroinsumos del Caquetá S.A.S.".into(),
            supplier_nit: "890903938-8".into(),
            reference: "FV-1".into(),
        }
    }

    fn codes(result: Result<(), Vec<LedgerProblem>>) -> Vec<(&'static str, String)> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.field, p.message.code().to_owned()))
            .collect()
    }

    #[test]
    fn a_payment_stays_within_its_line_and_its_dates() {
        let p = plan();
        let executed = BTreeMap::from([(1, dec!(700))]);
        let facts = LedgerFacts {
            plan: &p,
            paid_on: Some(date(2014, 1, 10)),
            today: date(2014, 6, 1),
            closed: false,
            executed: &executed,
        };
        assert_eq!(codes(payment(1, dec!(300)).check(&facts)), []);
        let over = payment(1, dec!(300.01)).check(&facts).expect_err("over");
        assert_eq!(over[0].message.code(), "ledger-error-over_plan");
        assert_eq!(
            over[0].message.arg("available"),
            Some(&crate::message::Arg::Amount(dec!(300)))
        );
        let early = MovementDraft {
            date: date(2014, 1, 9),
            ..payment(2, dec!(1))
        };
        assert_eq!(
            codes(early.check(&facts)),
            [("date", "ledger-error-before_payment".to_owned())]
        );
        let future = MovementDraft {
            date: date(2014, 6, 2),
            ..payment(2, dec!(1))
        };
        assert_eq!(
            codes(future.check(&facts)),
            [("date", "ledger-error-future_date".to_owned())]
        );
        let unpaid = LedgerFacts {
            paid_on: None,
            ..facts.clone()
        };
        assert_eq!(
            codes(payment(2, dec!(1)).check(&unpaid)),
            [("date", "ledger-error-not_paid".to_owned())]
        );
        let closed = LedgerFacts {
            closed: true,
            ..facts.clone()
        };
        assert_eq!(
            codes(payment(2, dec!(1)).check(&closed)),
            [("date", "ledger-error-closed".to_owned())]
        );
        let no_line = MovementDraft {
            line: Some(9),
            ..payment(2, dec!(1))
        };
        assert_eq!(
            codes(no_line.check(&facts)),
            [("line", "ledger-error-line_required".to_owned())]
        );
        let bad_nit = MovementDraft {
            supplier_nit: "890903938-1".into(),
            ..payment(2, dec!(1))
        };
        assert_eq!(
            codes(bad_nit.check(&facts)),
            [("supplier_nit", "ledger-error-nit_digit".to_owned())]
        );
        let zero = payment(2, dec!(0));
        assert_eq!(
            codes(zero.check(&facts)),
            [("value", "ledger-error-value".to_owned())]
        );
    }

    #[test]
    fn the_institutes_money_is_not_spent_on_what_article_21_excludes() {
        let p = plan();
        let none = BTreeMap::new();
        let facts = LedgerFacts {
            plan: &p,
            paid_on: Some(date(2014, 1, 10)),
            today: date(2014, 6, 1),
            closed: false,
            executed: &none,
        };
        // Personal services (Art. 21.1): the counterpart's line, paid by the counterpart.
        assert_eq!(codes(payment(3, dec!(100)).check(&facts)), []);
        let charged = MovementDraft {
            source: Some(Source::Institute),
            ..payment(3, dec!(100))
        };
        let refused = charged.check(&facts).expect_err("Art. 21");
        assert_eq!(refused[0].message.code(), "ledger-error-not_eligible");
        assert_eq!(
            refused[0].message.arg("article"),
            Some(&crate::message::Arg::Text("Art. 21.1".into()))
        );
    }

    #[test]
    fn duplicates_are_the_same_date_value_and_reference() {
        let d = date(2014, 3, 1);
        assert!(is_duplicate((d, dec!(10), "FV-1 "), (d, dec!(10.0), "fv-1")));
        assert!(!is_duplicate((d, dec!(10), "FV-1"), (d, dec!(10), "FV-2")));
        assert!(!is_duplicate(
            (d, dec!(10), "FV-1"),
            (date(2014, 3, 2), dec!(10), "FV-1")
        ));
    }

    fn entry(id: i32, day: i8, kind: MovementKind, value: Decimal, reference: &str) -> Entry {
        Entry {
            id,
            date: date(2014, 3, day),
            kind,
            value,
            line: None,
            reference: reference.into(),
        }
    }

    fn statement_line(
        id: i32,
        day: i8,
        debit: Decimal,
        credit: Decimal,
        reference: &str,
        balance: Option<Decimal>,
    ) -> StatementLine {
        StatementLine {
            id,
            date: date(2014, 3, day),
            description: String::new(),
            reference: reference.into(),
            debit,
            credit,
            balance,
        }
    }

    #[test]
    fn reconciliation_matches_amount_date_and_reference() {
        let entries = [
            entry(1, 1, MovementKind::Disbursement, dec!(1000), ""),
            entry(2, 5, MovementKind::Payment, dec!(200), "FV-1"),
            entry(3, 5, MovementKind::Payment, dec!(200), "FV-2"),
            entry(4, 20, MovementKind::Payment, dec!(50), "FV-3"),
        ];
        let statement = [
            statement_line(10, 2, dec!(0), dec!(1000), "", Some(dec!(1000))),
            statement_line(11, 7, dec!(200), dec!(0), "FV-2", Some(dec!(800))),
            statement_line(12, 8, dec!(200), dec!(0), "", Some(dec!(600))),
            statement_line(13, 9, dec!(5), dec!(0), "GMF", Some(dec!(595))),
        ];
        let r = reconcile(&entries, &statement);
        assert_eq!(r.matched, [(1, 10), (3, 11), (2, 12)]);
        assert_eq!(r.ledger_only, [4]);
        assert_eq!(r.statement_only, [13]);
        assert_eq!(
            (r.ledger_balance, r.statement_balance, r.difference),
            (dec!(550), dec!(595), dec!(45))
        );
        // Too far apart: no match.
        let far = reconcile(
            &entries[..1],
            &[statement_line(10, 9, dec!(0), dec!(1000), "", None)],
        );
        assert!(far.matched.is_empty());
        assert_eq!(
            far.statement_balance,
            dec!(1000),
            "the sum when no balance is given"
        );
    }

    #[test]
    fn execution_by_line_category_and_disbursement() {
        let p = plan();
        let mut entries = vec![
            entry(1, 1, MovementKind::Disbursement, dec!(1500), ""),
            entry(2, 2, MovementKind::Payment, dec!(400), "a"),
            entry(3, 3, MovementKind::Payment, dec!(100), "b"),
        ];
        entries[1].line = Some(1);
        entries[2].line = Some(3);
        let figures = execution(&p, &entries, dec!(400));
        assert_eq!(
            (figures.inflows, figures.outflows, figures.balance),
            (dec!(1500), dec!(500), dec!(1000))
        );
        assert_eq!(figures.by_line, BTreeMap::from([(1, dec!(400)), (3, dec!(100))]));
        assert_eq!(
            figures.by_category["goods_and_equipment"],
            (dec!(1000), dec!(400))
        );
        assert_eq!(figures.executed_of_disbursement_percent, Some(dec!(26)));
    }
}
