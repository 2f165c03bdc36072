//! Citizens' petitions (PQRSD, Ley 1755 de 2015; migration 19). Anyone files one without an
//! account; it is numbered `PQRSD-{year}-{nnnnnn}` per year without gaps (as awards are) and
//! gets its legal deadline from the process's calendar. The staff who may answer petitions
//! (`Permission::AnswerPetitions`) assign, answer (the answer goes out as a letter, pending
//! for the outbox) and extend the term once (Art. 14 par.), each step in its own transaction,
//! gated by permission and by the office's reach over the petition's municipality, audited.
//! `petition_report` counts per month in the query, with no personal data (Ley 1712 de 2014).

use jiff::civil::Date;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement,
};
use serde::Serialize;
use vereda_domain::accounts::{EmailAddress, Permission, Role};
use vereda_domain::audit::Actor;
use vereda_domain::calendar::{self, date_in_colombia};
use vereda_domain::petition::{
    self, ExtensionRefusal, ExtensionRequest, PetitionKind, PetitionState, filing_number,
};
use vereda_domain::territory::DaneCode;
use vereda_domain::verification::{LetterFacts, LetterKind, PetitionAnswerFacts};

use crate::entity::{petition as petition_row, user};
use crate::scope::{Target, check_may};
use crate::types::{DbDate, DbTimestamp};
use crate::verification::{LetterRecord, letter_from};
use crate::{Message, Store, StoreError, StoreResult, audit, corrupt};

/// The longest name, document, e-mail and subject a petition takes, in characters.
pub const SHORT_MAX: usize = 200;
/// The longest text (the petition's, the answer's, an address, a motivation), in characters.
pub const TEXT_MAX: usize = 20_000;

/// A file the petitioner attached, already kept by the web under its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PetitionAttachment {
    pub name: String,
    pub sha256: String,
    pub size: i64,
}

/// A petition as filed.
#[derive(Debug, Clone, Default)]
pub struct NewPetition {
    pub kind: Option<PetitionKind>,
    pub petitioner_name: String,
    pub petitioner_document: String,
    pub email: String,
    pub postal_address: String,
    pub subject: String,
    pub text: String,
    pub municipality: Option<DaneCode>,
    pub attachment: Option<PetitionAttachment>,
}

/// A petition as the staff read it (its personal data whole: the caller masks it per role).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Petition {
    pub id: i32,
    pub number: String,
    pub kind: PetitionKind,
    pub petitioner_name: String,
    pub petitioner_document: Option<String>,
    pub email: Option<String>,
    pub postal_address: Option<String>,
    pub subject: String,
    pub text: String,
    pub attachment: Option<PetitionAttachment>,
    pub municipality_code: Option<String>,
    pub filed_at: jiff::Timestamp,
    pub filed_on: Date,
    /// The legal deadline (Art. 14).
    pub deadline: Date,
    pub extended_deadline: Option<Date>,
    pub extension_motivation: Option<String>,
    pub assigned_to: Option<i32>,
    pub answer_text: Option<String>,
    pub answered_on: Option<Date>,
    pub letter_id: Option<i32>,
    pub state: PetitionState,
}

impl Petition {
    /// The deadline in force: the extension's, else the legal one.
    pub fn deadline_in_force(&self) -> Date {
        self.extended_deadline.unwrap_or(self.deadline)
    }

    /// Business days left on `today` (negative when overdue).
    pub fn days_left(&self, today: Date) -> i64 {
        petition::business_days_left(today, self.deadline_in_force(), calendar::current())
    }
}

/// What the receipt of a filing shows: no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub id: i32,
    pub number: String,
    pub kind: PetitionKind,
    pub filed_on: Date,
    pub deadline: Date,
    pub term_business_days: u32,
    pub article: &'static str,
}

impl Petition {
    pub fn receipt(&self) -> Receipt {
        Receipt {
            id: self.id,
            number: self.number.clone(),
            kind: self.kind,
            filed_on: self.filed_on,
            deadline: self.deadline,
            term_business_days: self.kind.term_business_days(),
            article: self.kind.article(),
        }
    }
}

/// One month of the public report: counts only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthReport {
    /// `YYYY-MM`, the month of filing.
    pub month: String,
    pub received: i64,
    pub answered_on_time: i64,
    pub answered_late: i64,
    pub pending: i64,
}

fn petition_from(row: petition_row::Model) -> StoreResult<Petition> {
    let kind: PetitionKind = row.kind.parse().map_err(|e| corrupt("petition", row.id, e))?;
    let deadline_in_force = row.extended_deadline.unwrap_or(row.deadline).0;
    let state = PetitionState::of(
        row.assigned_to.is_some(),
        row.extended_deadline.is_some(),
        row.answered_on.map(|d| d.0),
        deadline_in_force,
    );
    let attachment = match (row.attachment_name, row.attachment_sha256, row.attachment_size) {
        (Some(name), Some(sha256), Some(size)) => Some(PetitionAttachment { name, sha256, size }),
        _ => None,
    };
    Ok(Petition {
        id: row.id,
        number: row.number,
        kind,
        petitioner_name: row.petitioner_name,
        petitioner_document: row.petitioner_document,
        email: row.email,
        postal_address: row.postal_address,
        subject: row.subject,
        text: row.petition_text,
        attachment,
        municipality_code: row.municipality_code,
        filed_at: row.filed_at.0,
        filed_on: row.filed_on.0,
        deadline: row.deadline.0,
        extended_deadline: row.extended_deadline.map(|d| d.0),
        extension_motivation: row.extension_motivation,
        assigned_to: row.assigned_to,
        answer_text: row.answer_text,
        answered_on: row.answered_on.map(|d| d.0),
        letter_id: row.letter_id,
        state,
    })
}

fn not_found(id: i32) -> StoreError {
    StoreError::NotFound {
        entity: "petition",
        id: id.to_string(),
    }
}

/// A field's text, trimmed, within `max` characters; `required` refuses it blank.
fn field(value: &str, name: &'static str, max: usize, required: bool) -> StoreResult<Option<String>> {
    let text = value.trim();
    if text.is_empty() {
        return if required {
            Err(StoreError::Invalid(
                Message::new("petition-error-required").with_term("field", format!("petition-field-{name}")),
            ))
        } else {
            Ok(None)
        };
    }
    if text.chars().count() > max {
        return Err(StoreError::Invalid(
            Message::new("petition-error-too_long")
                .with_term("field", format!("petition-field-{name}"))
                .with("max", max),
        ));
    }
    Ok(Some(text.to_owned()))
}

fn refusal(error: &ExtensionRefusal) -> StoreError {
    match error {
        ExtensionRefusal::AlreadyExtended
        | ExtensionRefusal::Answered
        | ExtensionRefusal::AfterDeadline { .. } => StoreError::Conflict(error.message()),
        // Said beside the form's field it is about.
        ExtensionRefusal::NoMotivation => StoreError::Invalid(error.message().with("field", "motivation")),
        _ => StoreError::Invalid(error.message().with("field", "new_deadline")),
    }
}

async fn row_of<C: ConnectionTrait>(conn: &C, id: i32) -> StoreResult<petition_row::Model> {
    petition_row::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| not_found(id))
}

impl Store {
    /// Files a petition at `filed_at` (anyone may: the actor is the public form's process or
    /// an account). Checks the fields, numbers it as the year's next (retrying when another
    /// filing took the number meanwhile), computes its deadline, and keeps it audited.
    pub async fn file_petition(
        &self,
        actor: &Actor,
        new: &NewPetition,
        filed_at: jiff::Timestamp,
    ) -> StoreResult<Petition> {
        let kind = new.kind.ok_or_else(|| {
            StoreError::Invalid(
                Message::new("petition-error-required").with_term("field", "petition-field-kind"),
            )
        })?;
        let name = field(&new.petitioner_name, "petitioner_name", SHORT_MAX, true)?.unwrap_or_default();
        let document = field(&new.petitioner_document, "petitioner_document", SHORT_MAX, false)?;
        let email = field(&new.email, "email", SHORT_MAX, false)?
            .map(|text| {
                EmailAddress::parse(&text)
                    .map(|e| e.as_str().to_owned())
                    .map_err(|e| StoreError::Invalid(e.message()))
            })
            .transpose()?;
        let address = field(&new.postal_address, "postal_address", TEXT_MAX, false)?;
        if email.is_none() && address.is_none() {
            return Err(StoreError::Invalid(
                Message::new("petition-error-contact").with("article", "Ley 1755 de 2015, art. 16"),
            ));
        }
        let subject = field(&new.subject, "subject", SHORT_MAX, true)?.unwrap_or_default();
        let text = field(&new.text, "text", TEXT_MAX, true)?.unwrap_or_default();
        let filed_on = date_in_colombia(filed_at);
        let deadline = petition::deadline(filed_on, kind, calendar::current())
            .map_err(|e| StoreError::Invalid(e.message()))?;
        let year = filed_on.year();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let txn = self.write_transaction().await?;
            let last = petition_row::Entity::find()
                .filter(petition_row::Column::Year.eq(i32::from(year)))
                .order_by_desc(petition_row::Column::Sequence)
                .one(&txn)
                .await?
                .map_or(0, |p| p.sequence);
            let sequence = last + 1;
            let inserted = audit::insert(
                &txn,
                actor,
                petition_row::ActiveModel {
                    year: Set(i32::from(year)),
                    sequence: Set(sequence),
                    number: Set(filing_number(year, sequence)),
                    kind: Set(kind.to_string()),
                    petitioner_name: Set(name.clone()),
                    petitioner_document: Set(document.clone()),
                    email: Set(email.clone()),
                    postal_address: Set(address.clone()),
                    subject: Set(subject.clone()),
                    petition_text: Set(text.clone()),
                    attachment_name: Set(new.attachment.as_ref().map(|a| a.name.clone())),
                    attachment_sha256: Set(new.attachment.as_ref().map(|a| a.sha256.clone())),
                    attachment_size: Set(new.attachment.as_ref().map(|a| a.size)),
                    municipality_code: Set(new.municipality.map(|m| m.to_string())),
                    filed_at: Set(DbTimestamp(filed_at)),
                    filed_on: Set(DbDate(filed_on)),
                    deadline: Set(DbDate(deadline)),
                    ..Default::default()
                },
            )
            .await;
            let committed = match inserted {
                Ok(row) => txn.commit().await.map(|()| row).map_err(StoreError::from),
                Err(error) => Err(StoreError::from(error)),
            };
            match committed {
                Err(StoreError::Database(e)) if crate::procedure::retryable(&e) && attempt < 8 => {
                    tokio::task::yield_now().await;
                }
                other => return petition_from(other?),
            }
        }
    }

    /// A petition by id, whole (the caller checks the reader's reach and masks per role).
    pub async fn petition(&self, id: i32) -> StoreResult<Option<Petition>> {
        petition_row::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(petition_from)
            .transpose()
    }

    /// The petitions the actor may answer (permission and office reach), oldest deadline first;
    /// `open_only` leaves out the answered ones.
    pub async fn petitions_for(&self, actor: &Actor, open_only: bool) -> StoreResult<Vec<Petition>> {
        let (reach, role) = crate::scope::reach_of(&self.db, actor).await?;
        crate::scope::refuse_unpermitted(role, Permission::AnswerPetitions)?;
        let mut query = petition_row::Entity::find().filter(crate::scope::municipality_within(
            petition_row::Column::MunicipalityCode,
            &reach,
        ));
        if open_only {
            query = query.filter(petition_row::Column::AnsweredOn.is_null());
        }
        let mut list: Vec<Petition> = query
            .order_by_asc(petition_row::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(petition_from)
            .collect::<StoreResult<_>>()?;
        list.sort_by_key(|p| (p.answered_on.is_some(), p.deadline_in_force(), p.id));
        Ok(list)
    }

    /// The answer letter of a petition the actor may answer (permission and the office's reach
    /// over its municipality, checked here): `None` before the answer; a petition out of reach
    /// or missing is refused as the other steps refuse it.
    pub async fn petition_answer_letter(&self, actor: &Actor, id: i32) -> StoreResult<Option<LetterRecord>> {
        check_may(&self.db, actor, Permission::AnswerPetitions, Target::Petition(id)).await?;
        let Some(letter_id) = row_of(&self.db, id).await?.letter_id else {
            return Ok(None);
        };
        crate::entity::letter::Entity::find_by_id(letter_id)
            .one(&self.db)
            .await?
            .map(letter_from)
            .transpose()
    }

    /// Whether the actor may read and act on the petition (permission and reach).
    pub async fn may_answer_petition(&self, actor: &Actor, id: i32) -> StoreResult<bool> {
        Ok(
            check_may(&self.db, actor, Permission::AnswerPetitions, Target::Petition(id))
                .await
                .is_ok(),
        )
    }

    /// Assigns a petition to an account that may answer petitions.
    pub async fn assign_petition(&self, actor: &Actor, id: i32, assignee: i32) -> StoreResult<Petition> {
        let txn = self.write_transaction().await?;
        check_may(&txn, actor, Permission::AnswerPetitions, Target::Petition(id)).await?;
        let before = row_of(&txn, id).await?;
        if before.answered_on.is_some() {
            return Err(StoreError::Conflict(
                Message::new("petition-error-answered").with("article", petition::TERMS_ARTICLE),
            ));
        }
        let account = user::Entity::find_by_id(assignee)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "account",
                id: assignee.to_string(),
            })?;
        let role: Option<Role> = account.role.parse().ok();
        if !account.active || !role.is_some_and(|r| r.can(Permission::AnswerPetitions)) {
            return Err(StoreError::Invalid(
                Message::new("petition-error-assignee").with("email", account.email.as_str()),
            ));
        }
        let after = audit::update(
            &txn,
            actor,
            &before,
            petition_row::ActiveModel {
                id: sea_orm::ActiveValue::Unchanged(id),
                assigned_to: Set(Some(assignee)),
                ..Default::default()
            },
        )
        .await?;
        txn.commit().await?;
        petition_from(after)
    }

    /// Answers a petition at `answered_at`: the answer is kept and a letter to the petitioner
    /// is written in the same transaction, pending, for delivery. Answered once.
    pub async fn answer_petition(
        &self,
        actor: &Actor,
        id: i32,
        answer: &str,
        answered_at: jiff::Timestamp,
    ) -> StoreResult<(Petition, LetterRecord)> {
        let answer = field(answer, "answer", TEXT_MAX, true)?.unwrap_or_default();
        let txn = self.write_transaction().await?;
        check_may(&txn, actor, Permission::AnswerPetitions, Target::Petition(id)).await?;
        let before = row_of(&txn, id).await?;
        if before.answered_on.is_some() {
            return Err(StoreError::Conflict(
                Message::new("petition-error-answered").with("article", petition::TERMS_ARTICLE),
            ));
        }
        let answered_on = date_in_colombia(answered_at);
        let kind: PetitionKind = before.kind.parse().map_err(|e| corrupt("petition", id, e))?;
        let facts = LetterFacts {
            petition: Some(PetitionAnswerFacts {
                number: before.number.clone(),
                kind,
                subject: before.subject.clone(),
                filed_on: before.filed_on.0,
                answer: answer.clone(),
            }),
            ..LetterFacts::to_person(&before.petitioner_name, answered_on)
        };
        let to = crate::verification::Addressee {
            call_id: None,
            household_id: None,
            petition_id: Some(id),
            recipient: before.petitioner_name.clone(),
            email: before.email.clone(),
        };
        let letter = audit::insert(
            &txn,
            actor,
            crate::verification::letter_row(LetterKind::PetitionAnswer, to, &facts)?,
        )
        .await?;
        let after = audit::update(
            &txn,
            actor,
            &before,
            petition_row::ActiveModel {
                id: sea_orm::ActiveValue::Unchanged(id),
                answer_text: Set(Some(answer)),
                answered_at: Set(Some(DbTimestamp(answered_at))),
                answered_on: Set(Some(DbDate(answered_on))),
                answered_by: Set(actor.user_id()),
                letter_id: Set(Some(letter.id)),
                ..Default::default()
            },
        )
        .await?;
        txn.commit().await?;
        Ok((petition_from(after)?, letter_from(letter)?))
    }

    /// Extends a petition's term once (Art. 14 par.), on `today` (in Colombia): motivated,
    /// before the deadline, to a later date not beyond twice the initial term.
    pub async fn extend_petition(
        &self,
        actor: &Actor,
        id: i32,
        new_deadline: Date,
        motivation: &str,
        today: Date,
    ) -> StoreResult<Petition> {
        let txn = self.write_transaction().await?;
        check_may(&txn, actor, Permission::AnswerPetitions, Target::Petition(id)).await?;
        let before = row_of(&txn, id).await?;
        let kind: PetitionKind = before.kind.parse().map_err(|e| corrupt("petition", id, e))?;
        if motivation.trim().chars().count() > TEXT_MAX {
            return Err(StoreError::Invalid(
                Message::new("petition-error-too_long")
                    .with_term("field", "petition-field-motivation")
                    .with("max", TEXT_MAX),
            ));
        }
        petition::check_extension(
            &ExtensionRequest {
                kind,
                filed_on: before.filed_on.0,
                deadline: before.deadline.0,
                already_extended: before.extended_deadline.is_some(),
                answered: before.answered_on.is_some(),
                today,
                new_deadline,
                motivation,
            },
            calendar::current(),
        )
        .map_err(|e| refusal(&e))?;
        let after = audit::update(
            &txn,
            actor,
            &before,
            petition_row::ActiveModel {
                id: sea_orm::ActiveValue::Unchanged(id),
                extended_deadline: Set(Some(DbDate(new_deadline))),
                extension_motivation: Set(Some(motivation.trim().to_owned())),
                extended_at: Set(Some(DbTimestamp::now())),
                ..Default::default()
            },
        )
        .await?;
        txn.commit().await?;
        petition_from(after)
    }

    /// The public report (Ley 1712 de 2014): per month of filing, the petitions received,
    /// answered by the deadline in force, answered after it, and pending. Counted in the query;
    /// no personal data is read.
    pub async fn petition_report(&self) -> StoreResult<Vec<MonthReport>> {
        let sql = "SELECT substr(filed_on, 1, 7) AS month, \
             COUNT(*) AS received, \
             SUM(CASE WHEN answered_on IS NOT NULL AND answered_on <= COALESCE(extended_deadline, deadline) THEN 1 ELSE 0 END) AS on_time, \
             SUM(CASE WHEN answered_on IS NOT NULL AND answered_on > COALESCE(extended_deadline, deadline) THEN 1 ELSE 0 END) AS late, \
             SUM(CASE WHEN answered_on IS NULL THEN 1 ELSE 0 END) AS pending \
             FROM petitions GROUP BY substr(filed_on, 1, 7) ORDER BY month";
        let rows = self
            .db
            .query_all_raw(Statement::from_string(self.db.get_database_backend(), sql))
            .await?;
        rows.into_iter()
            .map(|row| {
                Ok(MonthReport {
                    month: row.try_get("", "month")?,
                    received: row.try_get("", "received")?,
                    answered_on_time: row.try_get("", "on_time")?,
                    answered_late: row.try_get("", "late")?,
                    pending: row.try_get("", "pending")?,
                })
            })
            .collect::<Result<_, sea_orm::DbErr>>()
            .map_err(StoreError::from)
    }
}
