//! Enumerations that travel as text (CSV cells, form fields, database columns, JSON).

/// A value that is not one of an enumeration's names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}; expected one of: {}", expected.join(", "))]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static [&'static str],
}

impl UnknownValue {
    pub fn message(&self) -> crate::message::Message {
        crate::message::Message::new("error-unknown_value")
            .with("value", &self.value)
            .with("expected", self.expected.join(", "))
    }
}

/// Declares an enumeration whose variants have stable text names: `as_str`, `ALL`,
/// `Display`, `FromStr` (trimmed, ASCII case-insensitive) and serde as that text.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $( $(#[$variant_meta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant ),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The variant's place in [`Self::ALL`].
            pub fn index(self) -> usize {
                self as usize
            }

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::text_enum::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                // The exact name first: files written by programs use it on every row.
                if let Some(exact) = Self::ALL.iter().copied().find(|v| v.as_str() == s) {
                    return Ok(exact);
                }
                let wanted = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(wanted))
                    .ok_or_else(|| $crate::text_enum::UnknownValue {
                        what: $what,
                        value: s.to_owned(),
                        expected: Self::NAMES,
                    })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use text_enum;

#[cfg(test)]
mod tests {
    text_enum! {
        enum Colour ("colour") { Red = "red", DarkBlue = "dark_blue" }
    }

    #[test]
    fn parses_names_loosely_and_names_the_choices_when_it_cannot() {
        assert_eq!(" RED ".parse::<Colour>(), Ok(Colour::Red));
        assert_eq!(Colour::DarkBlue.to_string(), "dark_blue");
        let error = "green".parse::<Colour>().expect_err("not a colour");
        assert_eq!(
            error.to_string(),
            r#"unknown colour "green"; expected one of: red, dark_blue"#
        );
    }

    #[test]
    fn a_variant_knows_its_place_among_all() {
        for (place, colour) in Colour::ALL.iter().enumerate() {
            assert_eq!(colour.index(), place);
        }
    }
}
