//! Serde plumbing shared by the wire types: open tagged unions, nullable
//! fields that must keep "absent" apart from `null`, and numbers written the
//! way the JavaScript CLI writes them.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A member of an open union whose kind this crate does not know.
///
/// The Qoder protocol grows new message types, system subtypes and control
/// requests often (`sdk-protocol.md` §2: unknown types are dropped, not
/// fatal). Such values parse into this type, keep every field, and are
/// written back unchanged, so a host can log, skip or answer them.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownKind {
    /// The value of the discriminator (`type` or `subtype`).
    pub kind: String,
    /// Every other field of the object, in the order received.
    pub fields: Map<String, Value>,
}

impl JsonSchema for UnknownKind {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "UnknownKind".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <Map<String, Value>>::json_schema(generator)
    }
}

/// Writes an unknown member back with its discriminator first.
pub(crate) fn serialize_unknown<S: Serializer>(
    serializer: S,
    tag: &str,
    unknown: &UnknownKind,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap as _;
    let mut map = serializer.serialize_map(Some(unknown.fields.len() + 1))?;
    map.serialize_entry(tag, &unknown.kind)?;
    for (key, value) in &unknown.fields {
        if key != tag {
            map.serialize_entry(key, value)?;
        }
    }
    map.end()
}

/// Finds the discriminator of `map`: the first of `tags` that is present.
/// Returns the key and its string value; a non-string value is an error.
pub(crate) fn find_tag<E: serde::de::Error>(
    map: &Map<String, Value>,
    tags: &[&'static str],
    what: &str,
) -> Result<(&'static str, String), E> {
    for &tag in tags {
        match map.get(tag) {
            None => {}
            Some(Value::String(kind)) => return Ok((tag, kind.clone())),
            Some(other) => {
                return Err(E::custom(format!(
                    "{what}: `{tag}` must be a string, found {other}"
                )));
            }
        }
    }
    let names = tags
        .iter()
        .map(|tag| format!("`{tag}`"))
        .collect::<Vec<_>>()
        .join(" or ");
    Err(E::custom(format!("{what}: missing field {names}")))
}

/// Parses the payload of a known member; errors name the member.
pub(crate) fn parse_payload<T, E>(
    fields: Map<String, Value>,
    what: &str,
    kind: &str,
) -> Result<T, E>
where
    T: serde::de::DeserializeOwned,
    E: serde::de::Error,
{
    serde_json::from_value(Value::Object(fields))
        .map_err(|err| E::custom(format!("{what} `{kind}`: {err}")))
}

/// Declares an open union discriminated by a string field.
///
/// Known kinds parse into their payload type (errors name the kind and the
/// field); anything else becomes `Other(UnknownKind)`. The first listed tag
/// key is read first and is the one written.
macro_rules! open_union {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            what = $what:literal;
            tags = [$write_tag:literal $(, $tag:literal)*];
            $(
                $(#[$vmeta:meta])*
                $variant:ident($ty:ty) = $wire:literal,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, ::schemars::JsonSchema)]
        #[serde(tag = $write_tag)]
        #[non_exhaustive]
        #[allow(
            clippy::large_enum_variant,
            reason = "wire values are built and matched, rarely moved; boxes would only get in the way"
        )]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $wire)]
                $variant($ty),
            )*
            /// A kind this crate does not know, kept verbatim.
            #[serde(untagged)]
            Other($crate::wire::UnknownKind),
        }

        impl $name {
            /// The wire name of this member's kind.
            pub fn kind(&self) -> &str {
                match self {
                    $(Self::$variant(_) => $wire,)*
                    Self::Other(unknown) => &unknown.kind,
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                // Known members go through serde's own internally tagged
                // writer, on borrowed payloads: no intermediate JSON value.
                #[derive(::serde::Serialize)]
                #[serde(tag = $write_tag)]
                #[allow(clippy::enum_variant_names, reason = "mirrors the public enum")]
                enum Tagged<'a> {
                    $(
                        #[serde(rename = $wire)]
                        $variant(&'a $ty),
                    )*
                }
                match self {
                    $(Self::$variant(inner) => Tagged::$variant(inner).serialize(serializer),)*
                    Self::Other(unknown) => {
                        $crate::wire::serialize_unknown(serializer, $write_tag, unknown)
                    }
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let mut fields =
                    <::serde_json::Map<String, ::serde_json::Value>>::deserialize(deserializer)?;
                let (tag, kind) =
                    $crate::wire::find_tag::<D::Error>(&fields, &[$write_tag $(, $tag)*], $what)?;
                fields.shift_remove(tag);
                match kind.as_str() {
                    $($wire => $crate::wire::parse_payload(fields, $what, $wire).map(Self::$variant),)*
                    _ => Ok(Self::Other($crate::wire::UnknownKind { kind, fields })),
                }
            }
        }
    };
}

pub(crate) use open_union;

/// For `Option<Option<T>>` fields: absent is `None`, `null` is `Some(None)`.
///
/// Use with `#[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]`.
pub(crate) mod nullable {
    use super::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S, T>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        T: Serialize,
    {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// Largest integer an f64 holds exactly (2^53).
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

/// Writes a float the way JavaScript prints numbers: integral values without
/// a fraction (`0`, not `0.0`), so our output matches the real CLI's.
pub(crate) fn serialize_js_number<S: Serializer>(
    value: f64,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    if value.is_finite() && value.fract() == 0.0 && value.abs() <= MAX_EXACT {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "integral and within ±2^53, so the cast is exact"
        )]
        let integer = value as i64;
        serializer.serialize_i64(integer)
    } else {
        serializer.serialize_f64(value)
    }
}

/// `serialize_with` helper for `f64` fields.
pub(crate) mod js_number {
    use super::Serializer;

    pub(crate) fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        super::serialize_js_number(*value, serializer)
    }
}

/// `serialize_with` helper for `Option<f64>` fields (skip `None` separately).
pub(crate) mod js_number_opt {
    use super::Serializer;

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<f64>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => super::serialize_js_number(*value, serializer),
            None => serializer.serialize_none(),
        }
    }
}

/// Declares a string enum that keeps unknown values in an `Other` variant,
/// so a new value from a peer never fails parsing and is written back as is.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $wire:literal,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash,
            ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema,
        )]
        #[serde(from = "String", into = "String")]
        #[schemars(with = "String")]
        #[non_exhaustive]
        pub enum $name {
            $(
                $(#[$vmeta])*
                $variant,
            )*
            /// Any other value, verbatim.
            Other(String),
        }

        impl $name {
            /// The wire string.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::Other(other) => other,
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match value.as_str() {
                    $($wire => Self::$variant,)*
                    _ => Self::Other(value),
                }
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                match value {
                    $name::Other(other) => other,
                    known => known.as_str().to_owned(),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use string_enum;
