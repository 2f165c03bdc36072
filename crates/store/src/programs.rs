//! Territorial offices, the program and its calls (vigencias).

use std::collections::HashMap;
use vereda_domain::accounts::{Permission, Reach};

use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use vereda_domain::audit::Actor;
use vereda_domain::program::{CallStatus, ProgramLine};
use vereda_domain::territory::{CallTerritory, DepartmentCode};

use crate::entity::{call, call_office, program, territorial_office};
use crate::types::{DbTimestamp, Dec};
use crate::{Message, Store, StoreError, StoreResult, audit, corrupt, duplicate_or};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TerritorialOffice {
    pub id: i32,
    pub name: String,
    pub department_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Program {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct NewCall {
    pub program_id: i32,
    pub code: String,
    pub name: String,
    pub budget_year: i16,
    pub budget_cop: Decimal,
    /// The year's SMMLV; the shipped one for `budget_year` when absent.
    pub smmlv_cop: Option<Decimal>,
    pub rule_set_id: String,
    pub line: ProgramLine,
    pub territorial_office_ids: Vec<i32>,
    /// AREL calls only, and required for them: the maximum co-financing in % of the
    /// project's value and the cap in SMMLV (Art. 43).
    pub arel_max_pct: Option<Decimal>,
    pub arel_cap_smmlv: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Call {
    pub id: i32,
    pub program: String,
    pub code: String,
    pub name: String,
    pub budget_year: i16,
    pub budget_cop: Decimal,
    pub smmlv_cop: Decimal,
    pub rule_set_id: String,
    pub line: ProgramLine,
    pub status: CallStatus,
    pub territorial_offices: Vec<String>,
    /// The ids of `territorial_offices`, in the same order.
    pub territorial_office_ids: Vec<i32>,
    pub households: u64,
    pub arel_max_pct: Option<Decimal>,
    pub arel_cap_smmlv: Option<Decimal>,
}

impl Store {
    pub async fn create_territorial_office(
        &self,
        actor: &Actor,
        name: &str,
        department: DepartmentCode,
    ) -> StoreResult<TerritorialOffice> {
        let txn = self.write_transaction().await?;
        crate::scope::check_permission(&txn, actor, Permission::ManageUsers).await?;
        let row = territorial_office::ActiveModel {
            name: Set(name.trim().to_owned()),
            department_code: Set(department.to_string()),
            ..Default::default()
        };
        let model = audit::insert(&txn, actor, row)
            .await
            .map_err(duplicate_or("territorial office", || name.to_owned()))?;
        txn.commit().await?;
        Ok(TerritorialOffice {
            id: model.id,
            name: model.name,
            department_code: model.department_code,
        })
    }

    pub async fn territorial_offices(&self) -> StoreResult<Vec<TerritorialOffice>> {
        Ok(territorial_office::Entity::find()
            .order_by_asc(territorial_office::Column::Name)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|o| TerritorialOffice {
                id: o.id,
                name: o.name,
                department_code: o.department_code,
            })
            .collect())
    }

    pub async fn create_program(
        &self,
        actor: &Actor,
        code: &str,
        name: &str,
        description: &str,
    ) -> StoreResult<Program> {
        let txn = self.write_transaction().await?;
        crate::scope::check_permission(&txn, actor, Permission::ManageCalls).await?;
        let row = program::ActiveModel {
            code: Set(code.trim().to_owned()),
            name: Set(name.trim().to_owned()),
            description: Set(description.trim().to_owned()),
            created_at: Set(DbTimestamp::now()),
            ..Default::default()
        };
        let model = audit::insert(&txn, actor, row)
            .await
            .map_err(duplicate_or("program", || code.to_owned()))?;
        txn.commit().await?;
        Ok(Program {
            id: model.id,
            code: model.code,
            name: model.name,
            description: model.description,
        })
    }

    pub async fn programs(&self) -> StoreResult<Vec<Program>> {
        Ok(program::Entity::find()
            .order_by_asc(program::Column::Code)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| Program {
                id: p.id,
                code: p.code,
                name: p.name,
                description: p.description,
            })
            .collect())
    }

    /// Creates a call and its territorial offices in one transaction.
    pub async fn create_call(&self, actor: &Actor, new: NewCall) -> StoreResult<Call> {
        if new.budget_cop <= Decimal::ZERO {
            return Err(StoreError::Invalid(
                Message::new("call-error-budget_positive").with("value", new.budget_cop),
            ));
        }
        check_arel_limits(&new)?;
        let smmlv = match new.smmlv_cop {
            Some(amount) => amount,
            None => self.minimum_wage(new.budget_year).await?.ok_or_else(|| {
                StoreError::Invalid(Message::new("call_form-error_no_smmlv").with("value", new.budget_year))
            })?,
        };
        let txn = self.write_transaction().await?;
        crate::scope::check_permission(&txn, actor, Permission::ManageCalls).await?;
        program::Entity::find_by_id(new.program_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "program",
                id: new.program_id.to_string(),
            })?;
        let row = call::ActiveModel {
            program_id: Set(new.program_id),
            code: Set(new.code.trim().to_owned()),
            name: Set(new.name.trim().to_owned()),
            budget_year: Set(new.budget_year),
            budget_cop: Set(Dec(new.budget_cop)),
            smmlv_cop: Set(Dec(smmlv)),
            rule_set_id: Set(new.rule_set_id.clone()),
            line: Set(new.line.to_string()),
            status: Set(CallStatus::Draft.to_string()),
            created_at: Set(DbTimestamp::now()),
            arel_max_pct: Set(new.arel_max_pct.map(Dec)),
            arel_cap_smmlv: Set(new.arel_cap_smmlv.map(Dec)),
            ..Default::default()
        };
        let model = audit::insert(&txn, actor, row)
            .await
            .map_err(duplicate_or("call", || new.code.clone()))?;
        for office_id in &new.territorial_office_ids {
            territorial_office::Entity::find_by_id(*office_id)
                .one(&txn)
                .await?
                .ok_or_else(|| StoreError::NotFound {
                    entity: "territorial office",
                    id: office_id.to_string(),
                })?;
            let link = call_office::ActiveModel {
                call_id: Set(model.id),
                territorial_office_id: Set(*office_id),
            };
            audit::insert(&txn, actor, link).await?;
        }
        txn.commit().await?;
        self.call(model.id).await?.ok_or_else(|| StoreError::NotFound {
            entity: "call",
            id: model.id.to_string(),
        })
    }

    /// Every call, latest budget year first. Five statements however many calls there are:
    /// the calls, programs, offices, office links, and the households counted per call in one
    /// grouped query.
    pub async fn calls(&self) -> StoreResult<Vec<Call>> {
        self.calls_within(&Reach::National).await
    }

    /// The calls a reader with `reach` sees: those opened with an office of its department.
    pub async fn calls_within(&self, reach: &Reach) -> StoreResult<Vec<Call>> {
        let rows = call::Entity::find()
            .filter(crate::scope::calls_within(reach))
            .order_by_desc(call::Column::BudgetYear)
            .order_by_asc(call::Column::Code)
            .all(&self.db)
            .await?;
        self.calls_of(rows, *reach != Reach::National).await
    }

    /// The call's territory (Art. 5, read by departments in the rule set's `[[readings]]`):
    /// the departments of its territorial offices; unlimited for a call without offices.
    pub async fn call_territory(&self, call_id: i32) -> StoreResult<CallTerritory> {
        let offices: Vec<i32> = call_office::Entity::find()
            .filter(call_office::Column::CallId.eq(call_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|link| link.territorial_office_id)
            .collect();
        let departments = territorial_office::Entity::find()
            .filter(territorial_office::Column::Id.is_in(offices))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|office| {
                DepartmentCode::parse(&office.department_code)
                    .map_err(|e| corrupt("territorial office", office.id, e))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(CallTerritory::new(departments, []))
    }

    pub async fn call(&self, id: i32) -> StoreResult<Option<Call>> {
        let rows = call::Entity::find()
            .filter(call::Column::Id.eq(id))
            .all(&self.db)
            .await?;
        Ok(self.calls_of(rows, true).await?.pop())
    }

    /// A page of the calls within `reach` by id: those after `after`, at most `limit` (keyset
    /// paging in the query).
    pub async fn call_page(&self, reach: &Reach, after: Option<i32>, limit: u64) -> StoreResult<Vec<Call>> {
        let mut select = call::Entity::find()
            .filter(crate::scope::calls_within(reach))
            .order_by_asc(call::Column::Id);
        if let Some(after) = after {
            select = select.filter(call::Column::Id.gt(after));
        }
        let rows = select.limit(limit).all(&self.db).await?;
        self.calls_of(rows, true).await
    }

    /// The calls of `rows`, in their order; with `only_these`, their offices are read for these
    /// rows alone, else for every call.
    async fn calls_of(&self, rows: Vec<call::Model>, only_these: bool) -> StoreResult<Vec<Call>> {
        let mut links = call_office::Entity::find();
        if only_these {
            let ids: Vec<i32> = rows.iter().map(|c| c.id).collect();
            links = links.filter(call_office::Column::CallId.is_in(ids));
        }
        let programs: HashMap<i32, String> = program::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        let offices: HashMap<i32, String> = territorial_office::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let mut offices_of: HashMap<i32, Vec<(String, i32)>> = HashMap::new();
        for link in links.all(&self.db).await? {
            if let Some(name) = offices.get(&link.territorial_office_id) {
                offices_of
                    .entry(link.call_id)
                    .or_default()
                    .push((name.clone(), link.territorial_office_id));
            }
        }
        let mut calls = Vec::with_capacity(rows.len());
        for row in rows {
            let mut mine = offices_of.remove(&row.id).unwrap_or_default();
            mine.sort();
            let (office_names, office_ids) = mine.into_iter().unzip();
            calls.push(Call {
                id: row.id,
                program: programs.get(&row.program_id).cloned().unwrap_or_default(),
                line: row.line.parse().map_err(|e| corrupt("call", row.id, e))?,
                status: row.status.parse().map_err(|e| corrupt("call", row.id, e))?,
                households: u64::try_from(row.households).unwrap_or(0),
                code: row.code,
                name: row.name,
                budget_year: row.budget_year,
                budget_cop: row.budget_cop.0,
                smmlv_cop: row.smmlv_cop.0,
                rule_set_id: row.rule_set_id,
                territorial_offices: office_names,
                territorial_office_ids: office_ids,
                arel_max_pct: row.arel_max_pct.map(|d| d.0),
                arel_cap_smmlv: row.arel_cap_smmlv.map(|d| d.0),
            });
        }
        Ok(calls)
    }
}

/// An AREL call carries both limits of Art. 43 (a percentage in (0, 100] and a positive cap in
/// SMMLV); a general call carries none.
fn check_arel_limits(new: &NewCall) -> StoreResult<()> {
    match new.line {
        ProgramLine::General => {
            if new.arel_max_pct.is_some() || new.arel_cap_smmlv.is_some() {
                return Err(StoreError::Invalid(Message::new(
                    "call-error-general_has_arel_limits",
                )));
            }
        }
        ProgramLine::Arel => {
            match new.arel_max_pct {
                None => {
                    return Err(StoreError::Invalid(Message::new(
                        "call-error-arel_max_pct_required",
                    )));
                }
                Some(pct) if pct <= Decimal::ZERO || pct > Decimal::ONE_HUNDRED => {
                    return Err(StoreError::Invalid(
                        Message::new("call-error-arel_max_pct_range").with("value", pct),
                    ));
                }
                Some(_) => {}
            }
            match new.arel_cap_smmlv {
                None => {
                    return Err(StoreError::Invalid(Message::new("call-error-arel_cap_required")));
                }
                Some(cap) if cap <= Decimal::ZERO => {
                    return Err(StoreError::Invalid(
                        Message::new("call-error-arel_cap_positive").with("value", cap),
                    ));
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// Adds `registered` households to call `call_id`'s count, in the transaction that registers
/// them.
pub(crate) async fn count_households(
    txn: &impl sea_orm::ConnectionTrait,
    call_id: i32,
    registered: u64,
) -> Result<(), sea_orm::DbErr> {
    if registered == 0 {
        return Ok(());
    }
    call::Entity::update_many()
        .col_expr(
            call::Column::Households,
            Expr::col(call::Column::Households).add(i64::try_from(registered).unwrap_or(i64::MAX)),
        )
        .filter(call::Column::Id.eq(call_id))
        .exec(txn)
        .await?;
    Ok(())
}
