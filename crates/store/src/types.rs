//! Column types that keep values exact on both backends.
//!
//! SeaORM reads SQLite decimals through `f64`, which would round money. [`Dec`] is stored as
//! `TEXT` on SQLite and `NUMERIC` on PostgreSQL, and read back exactly from either. Dates are
//! ISO-8601 text (`YYYY-MM-DD`, which sorts as dates do) and instants are microseconds since
//! the Unix epoch, so both read the same on both backends.

use std::str::FromStr;

use rust_decimal::Decimal;
use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, DbErr, QueryResult, TryGetError, TryGetable, Value};
use serde::{Serialize, Serializer};

fn decode_error(what: &str, detail: impl std::fmt::Display) -> TryGetError {
    TryGetError::DbErr(DbErr::Type(format!("cannot read {what}: {detail}")))
}

/// An exact decimal column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Dec(pub Decimal);

impl From<Decimal> for Dec {
    fn from(value: Decimal) -> Self {
        Dec(value)
    }
}

impl From<Dec> for Value {
    fn from(value: Dec) -> Self {
        Value::Decimal(Some(value.0))
    }
}

impl Nullable for Dec {
    fn null() -> Value {
        Value::Decimal(None)
    }
}

impl ValueType for Dec {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::Decimal(Some(d)) => Ok(Dec(d.normalize())),
            Value::String(Some(s)) => Decimal::from_str(&s)
                .map(|d| Dec(d.normalize()))
                .map_err(|_| ValueTypeErr),
            _ => Err(ValueTypeErr),
        }
    }
    fn type_name() -> String {
        "Dec".to_owned()
    }
    fn array_type() -> ArrayType {
        ArrayType::Decimal
    }
    fn column_type() -> ColumnType {
        ColumnType::Decimal(None)
    }
}

impl TryGetable for Dec {
    /// Read without trailing zeros, so a figure is the same text on both backends: SQLite
    /// keeps the text we wrote (`933000000`), PostgreSQL hands back `NUMERIC(24, 6)`
    /// (`933000000.000000`); both come out `933000000`, in every page, export and API.
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        let exact = match String::try_get_by(res, index) {
            Ok(text) => Decimal::from_str(&text).map_err(|e| decode_error("decimal", e))?,
            Err(TryGetError::Null(column)) => return Err(TryGetError::Null(column)),
            Err(_) => Decimal::try_get_by(res, index)?,
        };
        Ok(Dec(exact.normalize()))
    }
}

impl Serialize for Dec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.normalize().to_string())
    }
}

/// A calendar date, stored as `YYYY-MM-DD` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DbDate(pub jiff::civil::Date);

impl From<jiff::civil::Date> for DbDate {
    fn from(value: jiff::civil::Date) -> Self {
        DbDate(value)
    }
}

impl From<DbDate> for Value {
    fn from(value: DbDate) -> Self {
        Value::String(Some(value.0.to_string()))
    }
}

impl Nullable for DbDate {
    fn null() -> Value {
        Value::String(None)
    }
}

impl ValueType for DbDate {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::String(Some(s)) => s.parse().map(DbDate).map_err(|_| ValueTypeErr),
            _ => Err(ValueTypeErr),
        }
    }
    fn type_name() -> String {
        "DbDate".to_owned()
    }
    fn array_type() -> ArrayType {
        ArrayType::String
    }
    fn column_type() -> ColumnType {
        ColumnType::String(Default::default())
    }
}

impl TryGetable for DbDate {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        let text = String::try_get_by(res, index)?;
        text.parse().map(DbDate).map_err(|e| decode_error("date", e))
    }
}

impl Serialize for DbDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// An instant, stored as microseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DbTimestamp(pub jiff::Timestamp);

impl DbTimestamp {
    pub fn now() -> Self {
        DbTimestamp(jiff::Timestamp::now())
    }
}

impl From<DbTimestamp> for Value {
    fn from(value: DbTimestamp) -> Self {
        Value::BigInt(Some(value.0.as_microsecond()))
    }
}

impl Nullable for DbTimestamp {
    fn null() -> Value {
        Value::BigInt(None)
    }
}

impl ValueType for DbTimestamp {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::BigInt(Some(us)) => jiff::Timestamp::from_microsecond(us)
                .map(DbTimestamp)
                .map_err(|_| ValueTypeErr),
            _ => Err(ValueTypeErr),
        }
    }
    fn type_name() -> String {
        "DbTimestamp".to_owned()
    }
    fn array_type() -> ArrayType {
        ArrayType::BigInt
    }
    fn column_type() -> ColumnType {
        ColumnType::BigInteger
    }
}

impl TryGetable for DbTimestamp {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        let micros = i64::try_get_by(res, index)?;
        jiff::Timestamp::from_microsecond(micros)
            .map(DbTimestamp)
            .map_err(|e| decode_error("timestamp", e))
    }
}

impl Serialize for DbTimestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}
