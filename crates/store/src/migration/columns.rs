//! The column, key and index shapes every migration builds its tables from, so a decimal, a
//! date or an instant is stored alike in every table and on both backends.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// An exact decimal: `NUMERIC` on PostgreSQL, `TEXT` on SQLite (whose numeric affinity would
/// turn it into a float). See `types::Dec`.
pub(super) fn exact_decimal(backend: DatabaseBackend, name: &'static str) -> ColumnDef {
    let mut column = ColumnDef::new(Alias::new(name));
    match backend {
        DatabaseBackend::Postgres => column.decimal_len(24, 6),
        _ => column.text(),
    };
    column.not_null();
    column
}

pub(super) fn exact_decimal_null(backend: DatabaseBackend, name: &'static str) -> ColumnDef {
    let mut column = exact_decimal(backend, name);
    column.null();
    column
}

/// A calendar date as `YYYY-MM-DD` text. See `types::DbDate`.
pub(super) fn iso_date(name: &'static str) -> ColumnDef {
    string_len(Alias::new(name), 10)
}

/// An instant in microseconds since the Unix epoch. See `types::DbTimestamp`.
pub(super) fn instant(name: &'static str) -> ColumnDef {
    big_integer(Alias::new(name))
}

pub(super) fn id() -> ColumnDef {
    pk_auto(Alias::new("id"))
}

pub(super) fn col(name: &'static str) -> Alias {
    Alias::new(name)
}

pub(super) fn fk(
    from_table: &'static str,
    from_column: &'static str,
    to_table: &'static str,
    to_column: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_column}"))
        .from(col(from_table), col(from_column))
        .to(col(to_table), col(to_column))
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

pub(super) fn owned_by(
    from_table: &'static str,
    from_column: &'static str,
    to_table: &'static str,
) -> ForeignKeyCreateStatement {
    let mut key = fk(from_table, from_column, to_table, "id");
    key.on_delete(ForeignKeyAction::Cascade);
    key
}

/// Drops the index [`index`] made on `table`'s `columns`.
pub(super) fn dropped_index(table: &'static str, columns: &[&'static str]) -> IndexDropStatement {
    Index::drop()
        .name(format!("ix_{table}_{}", columns.join("_")))
        .table(col(table))
        .to_owned()
}

pub(super) fn index(table: &'static str, columns: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement
        .name(format!("ix_{table}_{}", columns.join("_")))
        .table(col(table));
    for column in columns {
        statement.col(col(column));
    }
    if unique {
        statement.unique();
    }
    statement.to_owned()
}

/// Adds `call_id` to a table of rows that each belong to a household (`household_id`), and
/// gives the rows already there their household's call: a household never changes call, so
/// a row keeps it from when it is made and a call's rows are read by an index of their own.
pub(super) async fn add_household_call(db: &SchemaManagerConnection<'_>, table: &str) -> Result<(), DbErr> {
    db.execute_unprepared(&format!("ALTER TABLE {table} ADD COLUMN call_id INTEGER NULL"))
        .await?;
    db.execute_unprepared(&format!(
        "UPDATE {table} SET call_id = (SELECT households.call_id FROM households \
         WHERE households.id = {table}.household_id)"
    ))
    .await?;
    Ok(())
}

/// Adds a `TEXT NOT NULL` column to `table` and gives the rows already there `value` (an SQL
/// expression over the row). SQLite adds such a column only with a default; PostgreSQL's then
/// drops it, so that every insert names the column.
pub(super) async fn add_filled_text(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    value: &str,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    db.execute_unprepared(&format!(
        "ALTER TABLE {table} ADD COLUMN {column} TEXT NOT NULL DEFAULT ''"
    ))
    .await?;
    db.execute_unprepared(&format!("UPDATE {table} SET {column} = {value}"))
        .await?;
    if manager.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_unprepared(&format!("ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT"))
            .await?;
    }
    Ok(())
}
