//! Project formulations (Art. 18-22) with their drafts and versions.
//!
//! A formulation is known by its project code (`frame.code`), unique across calls: the code
//! names one project wherever it is presented, and a unique index on a nullable `call_id`
//! would not hold for formulations without a call. Saving a formulation whose code is new
//! creates it; saving one whose code exists saves a version of it.
//!
//! While a formulation is a draft, its latest version is edited in place. Submitting it
//! freezes that version: the next save (after a submission or a return by the committee,
//! Art. 23-24) creates a new version and makes it a draft again, and every earlier version is
//! kept. Content identical to the latest version (same SHA-256 of its JSON) saves nothing.
//! An approved formulation is not saved again. Every change is audited.

use std::fmt;
use std::str::FromStr;
use vereda_domain::accounts::Permission;

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use vereda_domain::audit::Actor;
use vereda_domain::finance::formulation::Formulation;
use vereda_domain::procedure::ProcedureState;

use crate::custody::{self, Scrutiny};
use crate::entity::{call, formulation, formulation_version};
use crate::types::DbTimestamp;
use crate::{Message, Store, StoreError, StoreResult, audit, corrupt, duplicate_or};

/// Where a formulation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormulationStatus {
    /// Being written: the latest version is edited in place.
    Draft,
    /// Presented to the committee: its latest version is frozen.
    Submitted,
    /// Sent back by the committee for correction: the next save is a new version.
    Returned,
    Approved,
}

impl FormulationStatus {
    pub const ALL: [FormulationStatus; 4] = [
        FormulationStatus::Draft,
        FormulationStatus::Submitted,
        FormulationStatus::Returned,
        FormulationStatus::Approved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FormulationStatus::Draft => "draft",
            FormulationStatus::Submitted => "submitted",
            FormulationStatus::Returned => "returned",
            FormulationStatus::Approved => "approved",
        }
    }
}

impl fmt::Display for FormulationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FormulationStatus {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        FormulationStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| format!("unknown formulation status {text:?}"))
    }
}

impl Serialize for FormulationStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A formulation to save, with the evaluation made of it before saving.
#[derive(Debug, Clone)]
pub struct NewFormulationDraft<'a> {
    pub formulation: &'a Formulation,
    /// The call it is presented to; `None` keeps the call it has (or none).
    pub call_id: Option<i32>,
    pub note: Option<String>,
    /// The verdict; `None` when it could not be evaluated (an incomplete draft).
    pub viable: Option<bool>,
    /// The internal rate of return, as text.
    pub irr: Option<String>,
    pub rule_set_id: String,
    pub rule_set_hash: Option<String>,
}

/// What a save did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SaveOutcome {
    /// A new formulation, with its version 1.
    Created,
    /// The draft's latest version was replaced in place.
    Replaced,
    /// A new version after a submission or a return.
    NewVersion,
    /// The content is that of the latest version: nothing was saved.
    Unchanged,
}

/// The result of [`Store::save_formulation_draft`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedFormulation {
    pub id: i32,
    /// The latest version after the save.
    pub version: i32,
    pub outcome: SaveOutcome,
}

/// A formulation as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormulationSummary {
    pub id: i32,
    pub code: String,
    pub call_id: Option<i32>,
    pub title: String,
    pub municipality_code: String,
    pub status: FormulationStatus,
    pub return_reason: Option<String>,
    pub created_at: jiff::Timestamp,
    pub updated_at: jiff::Timestamp,
}

/// One version as listed (without its content: see [`Store::formulation_version`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormulationVersionSummary {
    pub number: i32,
    pub created_at: jiff::Timestamp,
    pub created_by: Option<i32>,
    pub note: Option<String>,
    pub content_sha256: String,
    pub viable: Option<bool>,
    pub irr: Option<String>,
    pub rule_set_id: String,
    pub rule_set_hash: Option<String>,
}

/// A formulation with its versions, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormulationRecord {
    #[serde(flatten)]
    pub formulation: FormulationSummary,
    pub versions: Vec<FormulationVersionSummary>,
}

/// Which formulations to list.
#[derive(Debug, Clone, Default)]
pub struct FormulationQuery {
    pub call_id: Option<i32>,
    pub status: Option<FormulationStatus>,
    /// Only the formulations in the reader's reach (their municipality's department).
    pub reach: vereda_domain::accounts::Reach,
    /// Keyset paging: only the formulations whose code sorts after this one (the API's cursor).
    pub after_code: Option<String>,
}

impl FormulationQuery {
    fn select(&self) -> sea_orm::Select<formulation::Entity> {
        let mut select = formulation::Entity::find()
            .filter(crate::scope::municipality_within(
                formulation::Column::MunicipalityCode,
                &self.reach,
            ))
            .order_by_asc(formulation::Column::Code);
        if let Some(call_id) = self.call_id {
            select = select.filter(formulation::Column::CallId.eq(call_id));
        }
        if let Some(status) = self.status {
            select = select.filter(formulation::Column::Status.eq(status.as_str()));
        }
        if let Some(after) = &self.after_code {
            select = select.filter(formulation::Column::Code.gt(after.as_str()));
        }
        select
    }
}

/// One formulation as the list shows it: with its latest version's number and verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormulationLine {
    #[serde(flatten)]
    pub formulation: FormulationSummary,
    /// The latest version's number; 0 if it has none (never, for a formulation saved here).
    pub version: i32,
    /// The latest version's verdict.
    pub viable: Option<bool>,
    /// Where it stands in the procedure: the one status every page shows of it.
    pub state: ProcedureState,
}

/// One page of the formulation list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormulationPage {
    pub lines: Vec<FormulationLine>,
    /// The page's number, from 1.
    pub page: u64,
    /// Whether a next page has lines.
    pub has_next: bool,
}

pub(crate) fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn summary(row: formulation::Model) -> StoreResult<FormulationSummary> {
    Ok(FormulationSummary {
        status: row
            .status
            .parse()
            .map_err(|e| corrupt("formulation", row.id, e))?,
        id: row.id,
        code: row.code,
        call_id: row.call_id,
        title: row.title,
        municipality_code: row.municipality_code,
        return_reason: row.return_reason,
        created_at: row.created_at.0,
        updated_at: row.updated_at.0,
    })
}

fn version_summary(row: formulation_version::Model) -> FormulationVersionSummary {
    FormulationVersionSummary {
        number: row.number,
        created_at: row.created_at.0,
        created_by: row.created_by,
        note: row.note,
        content_sha256: row.content_sha256,
        viable: row.viable,
        irr: row.irr,
        rule_set_id: row.rule_set_id,
        rule_set_hash: row.rule_set_hash,
    }
}

fn not_found(id: i32) -> StoreError {
    StoreError::NotFound {
        entity: "formulation",
        id: id.to_string(),
    }
}

impl Store {
    /// Saves a formulation: creates it, replaces its draft, or adds a version (see the module
    /// documentation). Identical content saves nothing.
    pub async fn save_formulation_draft(
        &self,
        actor: &Actor,
        new: NewFormulationDraft<'_>,
    ) -> StoreResult<SavedFormulation> {
        let frame = &new.formulation.frame;
        let code = frame.code.trim().to_owned();
        if code.is_empty() {
            return Err(StoreError::Invalid(Message::new("formulation-error-no_code")));
        }
        let content = serde_json::to_string(new.formulation)
            .map_err(|e| StoreError::Fault(format!("cannot store formulation {code}: {e}")))?;
        let sha256 = hex_sha256(content.as_bytes());
        let now = DbTimestamp::now();

        let txn = self.write_transaction().await?;
        if let Some(call_id) = new.call_id {
            call::Entity::find_by_id(call_id)
                .one(&txn)
                .await?
                .ok_or_else(|| StoreError::NotFound {
                    entity: "call",
                    id: call_id.to_string(),
                })?;
        }
        let call_id = match new.call_id {
            Some(id) => Some(id),
            None => formulation::Entity::find()
                .filter(formulation::Column::Code.eq(code.as_str()))
                .one(&txn)
                .await?
                .and_then(|f| f.call_id),
        };
        custody::check_households(&txn, call_id, &code, new.formulation, Scrutiny::Draft).await?;
        let version_row = |formulation_id: i32, number: i32| formulation_version::ActiveModel {
            formulation_id: Set(formulation_id),
            number: Set(number),
            content: Set(content.clone()),
            content_sha256: Set(sha256.clone()),
            note: Set(new.note.clone()),
            viable: Set(new.viable),
            irr: Set(new.irr.clone()),
            rule_set_id: Set(new.rule_set_id.clone()),
            rule_set_hash: Set(new.rule_set_hash.clone()),
            created_by: Set(actor.user_id()),
            created_at: Set(now),
            ..Default::default()
        };

        let existing = formulation::Entity::find()
            .filter(formulation::Column::Code.eq(code.as_str()))
            .one(&txn)
            .await?;
        if let Some(existing) = &existing {
            crate::scope::check_formulation_editor(&txn, actor, Permission::Formulate, existing.id).await?;
        }
        crate::scope::check_may_place(&txn, actor, Permission::Formulate, frame.municipality.trim()).await?;
        let Some(existing) = existing else {
            let row = formulation::ActiveModel {
                code: Set(code.clone()),
                call_id: Set(new.call_id),
                title: Set(frame.title.trim().to_owned()),
                search_key: Set(vereda_domain::text::formulation_search_key(&frame.title, &code)),
                municipality_code: Set(frame.municipality.trim().to_owned()),
                status: Set(FormulationStatus::Draft.to_string()),
                return_reason: Set(None),
                created_by: Set(actor.user_id()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            };
            let created = audit::insert(&txn, actor, row)
                .await
                .map_err(duplicate_or("formulation", || code.clone()))?;
            audit::insert(&txn, actor, version_row(created.id, 1)).await?;
            txn.commit().await?;
            return Ok(SavedFormulation {
                id: created.id,
                version: 1,
                outcome: SaveOutcome::Created,
            });
        };

        let status: FormulationStatus = existing
            .status
            .parse()
            .map_err(|e| corrupt("formulation", existing.id, e))?;
        if status == FormulationStatus::Approved {
            return Err(StoreError::Invalid(
                Message::new("formulation-error-approved").with("code", &code),
            ));
        }
        if let (Some(wanted), Some(has)) = (new.call_id, existing.call_id)
            && wanted != has
        {
            return Err(StoreError::Invalid(
                Message::new("formulation-error-other_call")
                    .with("code", &code)
                    .with("has", has)
                    .with("wanted", wanted),
            ));
        }
        let latest = formulation_version::Entity::find()
            .filter(formulation_version::Column::FormulationId.eq(existing.id))
            .order_by_desc(formulation_version::Column::Number)
            .one(&txn)
            .await?
            .ok_or_else(|| corrupt("formulation", existing.id, "it has no version"))?;
        if latest.content_sha256 == sha256 {
            // The same content filed in a call it had none of: only the call is recorded.
            if existing.call_id.is_none() && new.call_id.is_some() {
                let mut row = existing.clone().into_active_model();
                row.call_id = Set(new.call_id);
                row.updated_at = Set(now);
                audit::update(&txn, actor, &existing, row).await?;
            }
            txn.commit().await?;
            return Ok(SavedFormulation {
                id: existing.id,
                version: latest.number,
                outcome: SaveOutcome::Unchanged,
            });
        }

        let (version, outcome) = if status == FormulationStatus::Draft {
            let mut row = version_row(existing.id, latest.number);
            row.id = Set(latest.id);
            audit::update(&txn, actor, &latest, row).await?;
            (latest.number, SaveOutcome::Replaced)
        } else {
            let number = latest.number + 1;
            audit::insert(&txn, actor, version_row(existing.id, number))
                .await
                .map_err(duplicate_or("formulation version", || format!("{code} {number}")))?;
            (number, SaveOutcome::NewVersion)
        };
        let mut row = existing.clone().into_active_model();
        row.call_id = Set(existing.call_id.or(new.call_id));
        row.title = Set(frame.title.trim().to_owned());
        row.search_key = Set(vereda_domain::text::formulation_search_key(&frame.title, &code));
        row.municipality_code = Set(frame.municipality.trim().to_owned());
        row.status = Set(FormulationStatus::Draft.to_string());
        row.updated_at = Set(now);
        audit::update(&txn, actor, &existing, row).await?;
        txn.commit().await?;
        Ok(SavedFormulation {
            id: existing.id,
            version,
            outcome,
        })
    }

    /// Presents a draft to the committee, freezing its latest version. The committee's
    /// concept, not this store call, returns or approves it (`Store::issue_concept`).
    pub async fn submit_formulation(&self, actor: &Actor, id: i32) -> StoreResult<FormulationSummary> {
        let txn = self.write_transaction().await?;
        crate::scope::check_formulation_editor(&txn, actor, Permission::Formulate, id).await?;
        let existing = formulation::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| not_found(id))?;
        let status: FormulationStatus = existing
            .status
            .parse()
            .map_err(|e| corrupt("formulation", id, e))?;
        if status != FormulationStatus::Draft {
            return Err(StoreError::Conflict(
                Message::new("formulation-error_not_draft")
                    .with_term("status", format!("formulation-status_{status}")),
            ));
        }
        let latest = formulation_version::Entity::find()
            .filter(formulation_version::Column::FormulationId.eq(id))
            .order_by_desc(formulation_version::Column::Number)
            .one(&txn)
            .await?
            .ok_or_else(|| corrupt("formulation", id, "it has no version"))?;
        let content = custody::content_of(&latest)?;
        custody::check_households(
            &txn,
            existing.call_id,
            &existing.code,
            &content,
            Scrutiny::Presented,
        )
        .await?;
        let mut row = existing.clone().into_active_model();
        row.status = Set(FormulationStatus::Submitted.to_string());
        row.updated_at = Set(DbTimestamp::now());
        let updated = audit::update(&txn, actor, &existing, row).await?;
        txn.commit().await?;
        summary(updated)
    }

    /// A formulation with its versions, oldest first.
    pub async fn formulation(&self, id: i32) -> StoreResult<Option<FormulationRecord>> {
        let Some(row) = formulation::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        let versions = formulation_version::Entity::find()
            .filter(formulation_version::Column::FormulationId.eq(id))
            .order_by_asc(formulation_version::Column::Number)
            .all(&self.db)
            .await?
            .into_iter()
            .map(version_summary)
            .collect();
        Ok(Some(FormulationRecord {
            formulation: summary(row)?,
            versions,
        }))
    }

    /// The content of one version, as it was saved.
    pub async fn formulation_version(&self, id: i32, number: i32) -> StoreResult<Option<Formulation>> {
        let Some(row) = formulation_version::Entity::find()
            .filter(formulation_version::Column::FormulationId.eq(id))
            .filter(formulation_version::Column::Number.eq(number))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let parsed =
            serde_json::from_str(&row.content).map_err(|e| corrupt("formulation version", row.id, e))?;
        Ok(Some(parsed))
    }

    /// One page of formulations by code (page 1 is the first), optionally of one call or in
    /// one status, each with its latest version's number and verdict. Two statements whatever
    /// the page's size: the formulations, then the latest versions' summary columns (never
    /// their content, which is the whole project).
    pub async fn formulation_page(
        &self,
        query: &FormulationQuery,
        page: u64,
        per_page: u64,
    ) -> StoreResult<FormulationPage> {
        let page = page.max(1);
        let per_page = per_page.max(1);
        let select = query.select();
        // One row more than the page tells whether there is a next page, without counting.
        let mut rows = select
            .offset((page - 1).saturating_mul(per_page))
            .limit(per_page + 1)
            .all(&self.db)
            .await?;
        let has_next = rows.len() as u64 > per_page;
        rows.truncate(usize::try_from(per_page).unwrap_or(usize::MAX));
        let lines = formulation_lines(&self.db, rows).await?;
        Ok(FormulationPage {
            lines,
            page,
            has_next,
        })
    }

    /// The formulation of a project code, if there is one.
    pub async fn formulation_by_code(&self, code: &str) -> StoreResult<Option<FormulationSummary>> {
        formulation::Entity::find()
            .filter(formulation::Column::Code.eq(code))
            .one(&self.db)
            .await?
            .map(summary)
            .transpose()
    }

    /// Formulations by code, optionally of one call or in one status.
    pub async fn formulations(&self, query: &FormulationQuery) -> StoreResult<Vec<FormulationSummary>> {
        query
            .select()
            .all(&self.db)
            .await?
            .into_iter()
            .map(summary)
            .collect()
    }
}

/// A page of formulations as the lists show them: each with its latest version's number and
/// verdict and its procedure state, read for the whole page in a fixed number of statements.
pub(crate) async fn formulation_lines(
    db: &impl sea_orm::ConnectionTrait,
    rows: Vec<formulation::Model>,
) -> StoreResult<Vec<FormulationLine>> {
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let latest: HashMap<i32, (i32, Option<bool>)> = if ids.is_empty() {
        HashMap::new()
    } else {
        use formulation_version::Column as V;
        use sea_orm::sea_query::ExprTrait;
        formulation_version::Entity::find()
            .select_only()
            .columns([V::FormulationId, V::Number, V::Viable])
            .filter(
                Expr::tuple([Expr::col(V::FormulationId), Expr::col(V::Number)])
                    .in_subquery(latest_numbers_query(&ids)),
            )
            .into_tuple::<(i32, i32, Option<bool>)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(id, number, viable)| (id, (number, viable)))
            .collect()
    };
    let states = crate::procedure::procedure_states_of(db, &rows).await?;
    rows.into_iter()
        .map(|row| {
            let (version, viable) = latest.get(&row.id).copied().unwrap_or((0, None));
            let state = states.get(&row.id).copied().unwrap_or(ProcedureState::Draft);
            Ok(FormulationLine {
                formulation: summary(row)?,
                version,
                viable,
                state,
            })
        })
        .collect::<StoreResult<_>>()
}

/// The number of the latest version of each of `ids` (at most [`crate::IN_LIST_LIMIT`]), as a
/// subquery of `(formulation_id, number)`.
fn latest_numbers_query(ids: &[i32]) -> sea_orm::sea_query::SelectStatement {
    // In scope here only: its `max` would shadow `Ord::max` on numbers.
    use formulation_version::Column as V;
    use sea_orm::sea_query::ExprTrait;
    Query::select()
        .column(V::FormulationId)
        .expr(Expr::col(V::Number).max())
        .from(formulation_version::Entity)
        .and_where(Expr::col(V::FormulationId).is_in(ids.iter().copied()))
        .group_by_col(V::FormulationId)
        .to_owned()
}

/// The number of the latest version of each of `ids` (at most [`crate::IN_LIST_LIMIT`]).
pub(crate) async fn latest_version_numbers(
    db: &impl sea_orm::ConnectionTrait,
    ids: &[i32],
) -> StoreResult<HashMap<i32, i32>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(db
        .query_all(&latest_numbers_query(ids))
        .await?
        .into_iter()
        .filter_map(|row| {
            let id: i32 = row.try_get_by_index(0).ok()?;
            let number: i32 = row.try_get_by_index(1).ok()?;
            Some((id, number))
        })
        .collect())
}
