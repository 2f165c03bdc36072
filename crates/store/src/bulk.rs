//! Inserting many new rows of one table in one statement, for a screening's chunks: the rows
//! come as the entity's models and go in with every column but the id, skipping any row a
//! unique index already holds (`ON CONFLICT … DO NOTHING`), and the statement returns the
//! columns asked of the rows it inserted.
//!
//! PostgreSQL gets the rows as one JSON parameter expanded by `json_populate_recordset` with
//! the table's own row type, so a statement of thousands of rows is parsed, planned and bound
//! as one value instead of one parameter per cell. SQLite gets one multi-row `VALUES`
//! statement, whose text is the same for every full batch and so stays prepared.

use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, IdenStatic, Iterable, ModelTrait,
    PrimaryKeyToColumn, QueryResult, Statement, Value,
};

// How many rows one SQLite statement inserts (bound as one variable per cell): the rows a
// statement of the screening writes.
use crate::screening::ROWS_PER_STATEMENT as SQLITE_ROWS_PER_STATEMENT;

/// Inserts `models` (their ids are not used: the database gives them) except those whose
/// `unique` columns a stored row already holds, and returns `returning` of the rows inserted,
/// in no particular order.
pub(crate) async fn insert_new<E>(
    db: &impl ConnectionTrait,
    models: &[E::Model],
    unique: &[E::Column],
    returning: &[E::Column],
) -> Result<Vec<QueryResult>, DbErr>
where
    E: EntityTrait,
{
    if models.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<E::Column> = E::PrimaryKey::iter().map(|key| key.into_column()).collect();
    let columns: Vec<E::Column> = E::Column::iter()
        .filter(|c| !keys.iter().any(|key| key.as_str() == c.as_str()))
        .collect();
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let statement = postgres_statement::<E>(models, &columns, unique, returning)?;
            db.query_all_raw(statement).await
        }
        backend => {
            let mut inserted = Vec::new();
            for batch in models.chunks(SQLITE_ROWS_PER_STATEMENT) {
                let mut insert = Query::insert();
                insert
                    .into_table(E::default().table_ref())
                    .columns(columns.iter().copied());
                for model in batch {
                    let values = columns.iter().map(|column| model.get(*column).into());
                    insert
                        .values(values)
                        .map_err(|e| DbErr::Custom(format!("a row of {}: {e}", table_name::<E>())))?;
                }
                if !unique.is_empty() {
                    insert.on_conflict(
                        OnConflict::columns(unique.iter().copied())
                            .do_nothing()
                            .to_owned(),
                    );
                }
                if !returning.is_empty() {
                    insert.returning(Query::returning().columns(returning.iter().copied()));
                }
                inserted.extend(db.query_all_raw(backend.build(&insert)).await?);
            }
            Ok(inserted)
        }
    }
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
    let names: Vec<String> = columns.iter().map(|c| quoted(c.as_str())).collect();
    let list = names.join(", ");
    let mut sql = format!(
        "INSERT INTO {table} ({list}) SELECT {list} FROM json_populate_recordset(NULL::{table}, $1::json)"
    );
    if !unique.is_empty() {
        let unique: Vec<String> = unique.iter().map(|c| quoted(c.as_str())).collect();
        sql.push_str(&format!(" ON CONFLICT ({}) DO NOTHING", unique.join(", ")));
    }
    if !returning.is_empty() {
        let returning: Vec<String> = returning.iter().map(|c| quoted(c.as_str())).collect();
        sql.push_str(&format!(" RETURNING {}", returning.join(", ")));
    }
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
