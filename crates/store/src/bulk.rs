//! Inserting many new rows of one table, for a screening's chunks: the rows come as the
//! entity's models and go in with every column but the id.
//!
//! PostgreSQL gets the rows as one JSON parameter expanded by `json_populate_recordset` with
//! the table's own row type, so a statement of thousands of rows is parsed, planned and bound
//! as one value instead of one parameter per cell. SQLite gets one multi-row `VALUES`
//! statement per [`SQLITE_ROWS_PER_STATEMENT`] rows, whose text is the same for every full
//! batch and so stays prepared; its cells are bound in order, with no query builder between.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, IdenStatic, Iterable, ModelTrait,
    PrimaryKeyToColumn, QueryFilter, QuerySelect, Statement, Value,
};

// How many rows one SQLite statement inserts (bound as one variable per cell): the rows a
// statement of the screening writes.
use crate::screening::ROWS_PER_STATEMENT as SQLITE_ROWS_PER_STATEMENT;

/// Inserts every one of `models` (their ids are not used: the database gives them).
pub(crate) async fn insert_all<E>(db: &impl ConnectionTrait, models: &[E::Model]) -> Result<(), DbErr>
where
    E: EntityTrait,
{
    let columns = inserted_columns::<E>();
    let backend = db.get_database_backend();
    let batch = match backend {
        DatabaseBackend::Postgres => models.len().max(1),
        _ => SQLITE_ROWS_PER_STATEMENT,
    };
    for rows in models.chunks(batch) {
        let inserted = db
            .execute_raw(statement::<E>(backend, rows, &columns, &[])?)
            .await?;
        if inserted.rows_affected() != rows.len() as u64 {
            return Err(DbErr::Custom(format!(
                "{} of {} rows of {} were inserted",
                inserted.rows_affected(),
                rows.len(),
                table_name::<E>()
            )));
        }
    }
    Ok(())
}

/// Inserts those of `models` whose `key` the table holds for none of `scope` (the table's
/// unique index is on the two, in that order; each model's `scope` is `scope`'s value), and
/// returns the ids the rows inserted got, by key.
///
/// SQLite returns no rows: a table's new rows take ids one above the largest it has given
/// (its ids are `AUTOINCREMENT`), one after another in the statement's order, so when
/// every row of a statement went in, the last id it gives names them all; the first row's id
/// is read back to make sure. When some row was already held, the statement's rows are read
/// by key and those with the ids it gave are the new ones.
pub(crate) async fn insert_new_keyed<E>(
    db: &impl ConnectionTrait,
    models: &[E::Model],
    scope: (E::Column, i32),
    key: E::Column,
) -> Result<HashMap<String, i32>, DbErr>
where
    E: EntityTrait,
{
    let id = id_column::<E>()?;
    let columns = inserted_columns::<E>();
    let unique = [scope.0, key];
    let mut inserted = HashMap::with_capacity(models.len());
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            if models.is_empty() {
                return Ok(inserted);
            }
            let statement = postgres_statement::<E>(models, &columns, &unique, &[id, key])?;
            for row in db.query_all_raw(statement).await? {
                inserted.insert(row.try_get("", key.as_str())?, row.try_get("", id.as_str())?);
            }
        }
        backend => {
            for rows in models.chunks(SQLITE_ROWS_PER_STATEMENT) {
                let keys = rows
                    .iter()
                    .map(|model| key_of::<E>(model, key))
                    .collect::<Result<Vec<_>, _>>()?;
                let result = db
                    .execute_raw(statement::<E>(backend, rows, &columns, &unique)?)
                    .await?;
                let added = i64::try_from(result.rows_affected()).unwrap_or(i64::MAX);
                if added == 0 {
                    continue;
                }
                let last = i64::try_from(result.last_insert_id()).unwrap_or(i64::MAX);
                let first = last - added + 1;
                if added == keys.len() as i64 {
                    if id_of_key::<E>(db, scope, key, &keys[0]).await?.map(i64::from) != Some(first) {
                        return Err(DbErr::Custom(format!(
                            "the rows inserted into {} did not take consecutive ids",
                            table_name::<E>()
                        )));
                    }
                    for (offset, key) in keys.into_iter().enumerate() {
                        let id = i32::try_from(first + offset as i64)
                            .map_err(|e| DbErr::Custom(format!("an id of {}: {e}", table_name::<E>())))?;
                        inserted.insert(key, id);
                    }
                } else {
                    inserted.extend(
                        ids_by_key::<E>(db, scope, key, &keys)
                            .await?
                            .into_iter()
                            .filter(|&(_, id)| i64::from(id) >= first),
                    );
                }
            }
        }
    }
    Ok(inserted)
}

/// The ids of the rows of `scope` with these keys.
async fn ids_by_key<E>(
    db: &impl ConnectionTrait,
    scope: (E::Column, i32),
    key: E::Column,
    keys: &[String],
) -> Result<HashMap<String, i32>, DbErr>
where
    E: EntityTrait,
{
    let rows: Vec<(i32, String)> = E::find()
        .select_only()
        .column(id_column::<E>()?)
        .column(key)
        .filter(scope.0.eq(scope.1))
        .filter(key.is_in(keys.iter().map(String::as_str)))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, key)| (key, id)).collect())
}

/// The id of the row of `scope` with this key, if any.
async fn id_of_key<E>(
    db: &impl ConnectionTrait,
    scope: (E::Column, i32),
    key: E::Column,
    value: &str,
) -> Result<Option<i32>, DbErr>
where
    E: EntityTrait,
{
    E::find()
        .select_only()
        .column(id_column::<E>()?)
        .filter(scope.0.eq(scope.1))
        .filter(key.eq(value))
        .into_tuple()
        .one(db)
        .await
}

fn key_of<E: EntityTrait>(model: &E::Model, key: E::Column) -> Result<String, DbErr> {
    match model.get(key) {
        Value::String(Some(key)) => Ok(key),
        other => Err(DbErr::Custom(format!(
            "{}.{} is not a key: {other:?}",
            table_name::<E>(),
            key.as_str()
        ))),
    }
}

/// The table's one key column.
fn id_column<E: EntityTrait>() -> Result<E::Column, DbErr> {
    let mut keys = E::PrimaryKey::iter().map(|key| key.into_column());
    match (keys.next(), keys.next()) {
        (Some(id), None) => Ok(id),
        _ => Err(DbErr::Custom(format!(
            "{} has no single key column",
            table_name::<E>()
        ))),
    }
}

/// Every column but the key, which the database gives.
fn inserted_columns<E: EntityTrait>() -> Vec<E::Column> {
    let keys: Vec<E::Column> = E::PrimaryKey::iter().map(|key| key.into_column()).collect();
    E::Column::iter()
        .filter(|c| !keys.iter().any(|key| key.as_str() == c.as_str()))
        .collect()
}

/// The insert of `models` that returns nothing, skipping those `unique` names already held.
fn statement<E: EntityTrait>(
    backend: DatabaseBackend,
    models: &[E::Model],
    columns: &[E::Column],
    unique: &[E::Column],
) -> Result<Statement, DbErr> {
    match backend {
        DatabaseBackend::Postgres => postgres_statement::<E>(models, columns, unique, &[]),
        backend => Ok(sqlite_statement::<E>(backend, models, columns, unique)),
    }
}

/// `INSERT INTO t (a, b) VALUES (?, ?), (?, ?) [ON CONFLICT (u) DO NOTHING]`, a variable per
/// cell, row by row.
fn sqlite_statement<E: EntityTrait>(
    backend: DatabaseBackend,
    models: &[E::Model],
    columns: &[E::Column],
    unique: &[E::Column],
) -> Statement {
    let table = quoted(&table_name::<E>());
    let list = column_list(columns);
    let row = format!("({})", vec!["?"; columns.len()].join(", "));
    let mut sql = String::with_capacity(64 + list.len() + models.len() * (row.len() + 2));
    sql.push_str(&format!("INSERT INTO {table} ({list}) VALUES "));
    for index in 0..models.len() {
        if index > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&row);
    }
    sql.push_str(&conflict_and_returning(unique, &[]));
    let mut values = Vec::with_capacity(models.len() * columns.len());
    for model in models {
        values.extend(columns.iter().map(|column| model.get(*column)));
    }
    Statement::from_sql_and_values(backend, sql, values)
}

/// The columns quoted, comma separated.
fn column_list<C: IdenStatic>(columns: &[C]) -> String {
    columns
        .iter()
        .map(|c| quoted(c.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// ` ON CONFLICT (u) DO NOTHING` when `unique` names columns, ` RETURNING r` when `returning`
/// does.
fn conflict_and_returning<C: IdenStatic>(unique: &[C], returning: &[C]) -> String {
    let mut tail = String::new();
    if !unique.is_empty() {
        tail.push_str(&format!(" ON CONFLICT ({}) DO NOTHING", column_list(unique)));
    }
    if !returning.is_empty() {
        tail.push_str(&format!(" RETURNING {}", column_list(returning)));
    }
    tail
}

fn table_name<E: EntityTrait>() -> String {
    E::default().table_name().to_owned()
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `INSERT INTO t (a, b) SELECT a, b FROM json_populate_recordset(NULL::t, $1) [ON CONFLICT (u)
/// DO NOTHING] [RETURNING r]`, with the rows as one JSON array of objects.
fn postgres_statement<E: EntityTrait>(
    models: &[E::Model],
    columns: &[E::Column],
    unique: &[E::Column],
    returning: &[E::Column],
) -> Result<Statement, DbErr> {
    let table = quoted(&table_name::<E>());
    let list = column_list(columns);
    let mut sql = format!(
        "INSERT INTO {table} ({list}) SELECT {list} FROM json_populate_recordset(NULL::{table}, $1::json)"
    );
    sql.push_str(&conflict_and_returning(unique, returning));
    // The JSON text is written straight out, each key once escaped: no map per row.
    let keys: Vec<String> = columns
        .iter()
        .map(|c| format!("{}:", serde_json::Value::from(c.as_str())))
        .collect();
    let mut rows: Vec<u8> = Vec::with_capacity(models.len() * 256);
    rows.push(b'[');
    for (index, model) in models.iter().enumerate() {
        if index > 0 {
            rows.push(b',');
        }
        rows.push(b'{');
        for (position, (column, key)) in columns.iter().zip(&keys).enumerate() {
            if position > 0 {
                rows.push(b',');
            }
            rows.extend_from_slice(key.as_bytes());
            write_json(&mut rows, model.get(*column), column.as_str())?;
        }
        rows.push(b'}');
    }
    rows.push(b']');
    let rows = String::from_utf8(rows).map_err(|e| DbErr::Custom(format!("rows of {table}: {e}")))?;
    Ok(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        sql,
        [Value::String(Some(rows))],
    ))
}

/// Writes a cell as JSON: numbers as numbers, decimals as their exact text (PostgreSQL reads
/// it into the numeric column as written).
fn write_json(out: &mut Vec<u8>, value: Value, column: &str) -> Result<(), DbErr> {
    let written = match value {
        Value::Bool(v) => serde_json::to_writer(&mut *out, &v),
        Value::SmallInt(v) => serde_json::to_writer(&mut *out, &v),
        Value::Int(v) => serde_json::to_writer(&mut *out, &v),
        Value::BigInt(v) => serde_json::to_writer(&mut *out, &v),
        Value::String(v) => serde_json::to_writer(&mut *out, &v),
        Value::Decimal(v) => serde_json::to_writer(&mut *out, &v.map(|v| v.to_string())),
        other => {
            return Err(DbErr::Custom(format!(
                "column {column} holds a value a bulk insert does not write: {other:?}"
            )));
        }
    };
    written.map_err(|e| DbErr::Custom(format!("column {column}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::person;
    use crate::types::DbDate;

    fn head(household_id: i32) -> person::Model {
        person::Model {
            id: 0,
            household_id,
            document_type: "CC".to_owned(),
            document: "1.234".to_owned(),
            document_key: "1234".to_owned(),
            first_name: "Ana \"la\" María".to_owned(),
            last_name: "Peña".to_owned(),
            sex: "F".to_owned(),
            birth_date: Some(DbDate(jiff::civil::date(1980, 2, 29))),
            is_head: true,
        }
    }

    #[test]
    fn postgres_gets_every_column_but_the_id_as_one_json_parameter() {
        let statement = postgres_statement::<person::Entity>(
            &[head(7), head(8)],
            &person::Column::iter()
                .filter(|c| c.as_str() != "id")
                .collect::<Vec<_>>(),
            &[],
            &[person::Column::Id],
        )
        .expect("a statement");
        assert!(
            statement
                .sql
                .starts_with("INSERT INTO \"persons\" (\"household_id\", ")
        );
        assert!(
            statement
                .sql
                .contains("json_populate_recordset(NULL::\"persons\", $1::json)")
        );
        assert!(statement.sql.ends_with(" RETURNING \"id\""));
        assert!(!statement.sql.contains("ON CONFLICT"));
        let values = statement.values.expect("values").0;
        assert_eq!(values.len(), 1);
        let Value::String(Some(rows)) = &values[0] else {
            panic!("the rows are one text parameter");
        };
        let rows: serde_json::Value = serde_json::from_str(rows).expect("JSON");
        assert_eq!(rows[1]["household_id"], 8);
        assert_eq!(rows[0]["first_name"], "Ana \"la\" María");
        assert_eq!(rows[0]["birth_date"], "1980-02-29");
        assert_eq!(rows[0]["is_head"], true);
        assert!(rows[0].get("id").is_none());
    }

    #[test]
    fn sqlite_binds_every_column_but_the_id_row_by_row() {
        let columns = inserted_columns::<person::Entity>();
        let statement = sqlite_statement::<person::Entity>(
            DatabaseBackend::Sqlite,
            &[head(7), head(8)],
            &columns,
            &[person::Column::HouseholdId, person::Column::DocumentKey],
        );
        let row = format!("({})", vec!["?"; columns.len()].join(", "));
        assert_eq!(
            statement.sql,
            format!(
                "INSERT INTO \"persons\" ({}) VALUES {row}, {row} ON CONFLICT (\"household_id\", \"document_key\") DO NOTHING",
                column_list(&columns)
            )
        );
        assert!(!statement.sql.contains("\"id\""));
        let values = statement.values.expect("values").0;
        assert_eq!(values.len(), 2 * columns.len());
        assert_eq!(values[0], Value::Int(Some(7)));
        assert_eq!(values[columns.len()], Value::Int(Some(8)));
    }

    #[test]
    fn a_decimal_goes_as_its_exact_text_and_an_absent_value_as_null() {
        let mut out = Vec::new();
        write_json(
            &mut out,
            Value::Decimal(Some(rust_decimal::Decimal::new(3_210, 2))),
            "document",
        )
        .expect("a decimal");
        out.push(b',');
        write_json(&mut out, Value::Int(None), "household_id").expect("a null");
        assert_eq!(String::from_utf8(out).expect("text"), "\"32.10\",null");
    }
}
