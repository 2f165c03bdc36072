//! What the program says, as data: a stable code (the message's identifier in the catalogues
//! of every language) and its arguments. The domain and the store build these and never
//! prose; presenters (pages, API, documents, CLI) turn them into words in the reader's
//! language. A code names one situation, so tests and other systems can rely on it.

use std::borrow::Cow;

use jiff::civil::Date;
use rust_decimal::Decimal;

/// A value a message refers to, kept typed so each language formats it its own way.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Arg {
    /// Shown as it is: a name, a code, what someone typed.
    Text(String),
    /// A count: also chooses the plural form.
    Count(i64),
    /// An amount of money or any decimal figure, formatted per language.
    Amount(Decimal),
    Date(Date),
    /// Another message of the catalogue, by code (the name of a status, a role, a document).
    Term(String),
    /// Several messages of the catalogue, listed in order (the documents missing, say).
    Terms(Vec<String>),
    /// Several messages with their own arguments, listed in order.
    List(Vec<Message>),
}

impl From<&str> for Arg {
    fn from(text: &str) -> Arg {
        Arg::Text(text.to_owned())
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Arg {
        Arg::Text(text)
    }
}

impl From<&String> for Arg {
    fn from(text: &String) -> Arg {
        Arg::Text(text.clone())
    }
}

impl From<Decimal> for Arg {
    fn from(value: Decimal) -> Arg {
        Arg::Amount(value)
    }
}

impl From<&Decimal> for Arg {
    fn from(value: &Decimal) -> Arg {
        Arg::Amount(*value)
    }
}

impl From<Date> for Arg {
    fn from(date: Date) -> Arg {
        Arg::Date(date)
    }
}

macro_rules! count_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(n: $t) -> Arg {
                Arg::Count(i64::try_from(n).unwrap_or(i64::MAX))
            }
        }
    )*};
}
count_from!(i16, i32, i64, u8, u16, u32, u64, usize);

/// A message: its code and its named arguments. It serializes as
/// `{"code": …, "args": [[name, {"kind": …, "value": …}], …]}` and reads back from it, so a
/// record can keep what is said as data and be shown later in any language.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Message {
    code: Cow<'static, str>,
    args: Vec<(Cow<'static, str>, Arg)>,
}

impl Message {
    pub fn new(code: &'static str) -> Message {
        Message {
            code: Cow::Borrowed(code),
            args: Vec::new(),
        }
    }

    /// A message whose code was read back from a record (see the type's documentation).
    pub fn stored(code: String) -> Message {
        Message {
            code: Cow::Owned(code),
            args: Vec::new(),
        }
    }

    /// The message with one more argument.
    pub fn with(mut self, name: &'static str, value: impl Into<Arg>) -> Message {
        self.args.push((Cow::Borrowed(name), value.into()));
        self
    }

    /// The message with an argument naming another message of the catalogue.
    pub fn with_term(mut self, name: &'static str, code: impl Into<String>) -> Message {
        self.args.push((Cow::Borrowed(name), Arg::Term(code.into())));
        self
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn args(&self) -> &[(Cow<'static, str>, Arg)] {
        &self.args
    }

    /// The value of one argument, for tests and for callers that act on it.
    /// The same message with each argument `change` answers for replaced, nested messages
    /// included (masking personal data in stored errors and explanations).
    pub fn mapping_args(&self, change: &dyn Fn(&Arg) -> Option<Arg>) -> Message {
        let map = |arg: &Arg| match (change(arg), arg) {
            (Some(changed), _) => changed,
            (None, Arg::List(items)) => Arg::List(items.iter().map(|m| m.mapping_args(change)).collect()),
            (None, other) => other.clone(),
        };
        Message {
            code: self.code.clone(),
            args: self
                .args
                .iter()
                .map(|(name, value)| (name.clone(), map(value)))
                .collect(),
        }
    }

    /// The same message with `text` replaced by `hidden` wherever an argument quotes it.
    pub fn hiding(&self, text: &str, hidden: &str) -> Message {
        self.mapping_args(&|arg| match arg {
            Arg::Text(value) => Some(Arg::Text(value.replace(text, hidden))),
            _ => None,
        })
    }

    pub fn arg(&self, name: &str) -> Option<&Arg> {
        self.args.iter().find(|(n, _)| *n == name).map(|(_, value)| value)
    }
}

impl std::fmt::Display for Message {
    /// The code and arguments, for logs; people read the catalogue's words.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.code)?;
        for (name, value) in &self.args {
            write!(f, " {name}={value:?}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_code_and_typed_arguments() {
        let code = "procedure-req_resolution";
        let message = Message::new(code)
            .with("asked", Decimal::new(400, 0))
            .with("families", 3usize)
            .with_term("role", "role-admin");
        assert_eq!(message.code(), code);
        assert_eq!(message.arg("asked"), Some(&Arg::Amount(Decimal::new(400, 0))));
        assert_eq!(message.arg("families"), Some(&Arg::Count(3)));
        assert_eq!(message.arg("role"), Some(&Arg::Term("role-admin".into())));
        assert_eq!(message.arg("other"), None);
    }

    #[test]
    fn reads_back_what_it_wrote() {
        let (code, inner) = ("procedure-req_resolution", "common-yes");
        let message = Message::new(code)
            .with("asked", Decimal::new(400, 0))
            .with("on", jiff::civil::date(2024, 2, 29))
            .with(
                "inner",
                Arg::List(vec![Message::new(inner).with_term("role", "role-admin")]),
            );
        let json = serde_json::to_string(&message).expect("serialized");
        let read: Message = serde_json::from_str(&json).expect("read back");
        assert_eq!(read, message);
    }
}
