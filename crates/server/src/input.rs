//! Reading requests: the JSON body (whatever its content type), the query
//! string (repeated, `name[]` and comma-separated lists), and typed field
//! access that names the field at fault.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::ids;

/// Largest accepted body.
pub(crate) const MAX_BODY: usize = 4 * 1024 * 1024;

/// A JSON object body. An empty body reads as `{}`; the `Content-Type` is
/// not checked (curl's `-d` sends form-encoded).
#[derive(Debug, Clone, Default)]
pub(crate) struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY)
            .await
            .map_err(|_| ApiError::invalid("Request body must be valid JSON (at most 4 MB)."))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(ApiError::invalid("Request body must be a JSON object.")),
            Err(_) => Err(ApiError::invalid("Request body must be valid JSON.")),
        }
    }
}

/// The query string as ordered pairs.
#[derive(Debug, Clone, Default)]
pub(crate) struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Ok(Self::parse(parts.uri.query().unwrap_or("")))
    }
}

impl QueryPairs {
    /// Parses `a=1&b[]=2`.
    pub(crate) fn parse(query: &str) -> Self {
        Self(
            url::form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// All values of a list parameter: `name=a,b`, repeated `name=`, `name[]=`.
    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        let bracketed = format!("{name}[]");
        self.0
            .iter()
            .filter(|(key, _)| *key == name || *key == bracketed)
            .flat_map(|(_, value)| value.split(','))
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// A boolean parameter (`true`/`false`/`1`/`0`).
    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some("true" | "1" | "True") => Ok(Some(true)),
            Some("false" | "0" | "False") => Ok(Some(false)),
            Some(_) => Err(ApiError::field(
                name,
                format!("Field '{name}' must be a boolean."),
            )),
        }
    }

    /// `limit`: 1–100, default 20.
    pub(crate) fn limit(&self) -> Result<usize, ApiError> {
        let Some(text) = self.get("limit") else {
            return Ok(20);
        };
        match text.trim().parse::<i64>() {
            Ok(n) if n > 100 => Err(ApiError::field("limit", "limit exceeds maximum of 100")),
            Ok(n) if n >= 1 => Ok(n as usize),
            _ => Err(ApiError::field(
                "limit",
                "Field 'limit' must be a positive integer.",
            )),
        }
    }

    /// `order`: `asc` or `desc`.
    pub(crate) fn order(&self, default: Order) -> Result<Order, ApiError> {
        match self.get("order") {
            None => Ok(default),
            Some("asc") => Ok(Order::Asc),
            Some("desc") => Ok(Order::Desc),
            Some(_) => Err(ApiError::field(
                "order",
                "Field 'order' must be one of: asc, desc.",
            )),
        }
    }

    /// The pagination cursor: at most one of `page`, `after_id`, `before_id`.
    pub(crate) fn cursor(&self) -> Result<Cursor, ApiError> {
        let page = self.get("page").filter(|v| !v.is_empty());
        let after = self.get("after_id").filter(|v| !v.is_empty());
        let before = self.get("before_id").filter(|v| !v.is_empty());
        match (page, after, before) {
            (None, None, None) => Ok(Cursor::Start),
            (Some(id), None, None) | (None, Some(id), None) => Ok(Cursor::After(id.to_owned())),
            (None, None, Some(id)) => Ok(Cursor::Before(id.to_owned())),
            _ => Err(ApiError::invalid(
                "Only one of 'page', 'after_id' and 'before_id' may be given.",
            )),
        }
    }

    /// `created_at[gt|gte|lt|lte]` filters as (SQL operator, microseconds).
    pub(crate) fn created_at(&self) -> Result<Vec<(&'static str, i64)>, ApiError> {
        let mut filters = Vec::new();
        for (suffix, op) in [("gt", ">"), ("gte", ">="), ("lt", "<"), ("lte", "<=")] {
            let name = format!("created_at[{suffix}]");
            if let Some(text) = self.get(&name) {
                let micros = ids::parse_timestamp(text).ok_or_else(|| {
                    ApiError::field(
                        &name,
                        format!("Field '{name}' must be an RFC 3339 timestamp."),
                    )
                })?;
                filters.push((op, micros));
            }
        }
        Ok(filters)
    }
}

/// List order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// Oldest first.
    Asc,
    /// Newest first.
    Desc,
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// The first page.
    Start,
    /// The items after this ID, in list order (`page` or `after_id`).
    After(String),
    /// The items just before this ID, in list order.
    Before(String),
}

/// Typed access to the fields of a JSON object.
pub(crate) trait Fields {
    /// A required non-empty string.
    fn required_str(&self, name: &str) -> Result<String, ApiError>;
    /// An optional string (`null` reads as absent).
    fn opt_str(&self, name: &str) -> Result<Option<String>, ApiError>;
    /// An optional array.
    fn opt_array(&self, name: &str) -> Result<Option<&Vec<Value>>, ApiError>;
    /// An optional boolean.
    fn opt_bool(&self, name: &str) -> Result<Option<bool>, ApiError>;
}

impl Fields for Map<String, Value> {
    fn required_str(&self, name: &str) -> Result<String, ApiError> {
        match self.get(name) {
            None | Some(Value::Null) => Err(ApiError::required(name)),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            Some(Value::String(_)) => Err(ApiError::field(
                name,
                format!("Field '{name}' must not be empty."),
            )),
            Some(_) => Err(ApiError::field(
                name,
                format!("Field '{name}' must be a string."),
            )),
        }
    }

    fn opt_str(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::field(
                name,
                format!("Field '{name}' must be a string."),
            )),
        }
    }

    fn opt_array(&self, name: &str) -> Result<Option<&Vec<Value>>, ApiError> {
        match self.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(_) => Err(ApiError::field(
                name,
                format!("Field '{name}' must be an array."),
            )),
        }
    }

    fn opt_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ApiError::field(
                name,
                format!("Field '{name}' must be a boolean."),
            )),
        }
    }
}

/// Validates a metadata object for create: ≤ 16 string values, keys ≤ 64,
/// values ≤ 512 characters.
pub(crate) fn metadata_create(body: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    match body.get("metadata") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => {
            for (key, value) in map {
                check_metadata_entry(key, value, false)?;
            }
            check_metadata_size(map.len())?;
            Ok(map.clone())
        }
        Some(_) => Err(ApiError::field(
            "metadata",
            "Field 'metadata' must be an object.",
        )),
    }
}

/// Applies a metadata patch: strings upsert, `null` deletes, absent keeps.
pub(crate) fn metadata_patch(
    current: &Value,
    body: &Map<String, Value>,
) -> Result<Option<Map<String, Value>>, ApiError> {
    let patch = match body.get("metadata") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(ApiError::field(
                "metadata",
                "Field 'metadata' must be an object.",
            ));
        }
    };
    let mut merged = current.as_object().cloned().unwrap_or_default();
    for (key, value) in patch {
        check_metadata_entry(key, value, true)?;
        if value.is_null() {
            merged.remove(key);
        } else {
            merged.insert(key.clone(), value.clone());
        }
    }
    check_metadata_size(merged.len())?;
    Ok(Some(merged))
}

fn check_metadata_entry(key: &str, value: &Value, allow_null: bool) -> Result<(), ApiError> {
    let param = format!("metadata.{key}");
    if key.is_empty() || key.chars().count() > 64 {
        return Err(ApiError::field(
            &param,
            "Metadata keys must be 1 to 64 characters.",
        ));
    }
    match value {
        Value::String(s) if s.chars().count() <= 512 => Ok(()),
        Value::String(_) => Err(ApiError::field(
            &param,
            "Metadata values must be at most 512 characters.",
        )),
        Value::Null if allow_null => Ok(()),
        _ => Err(ApiError::field(&param, "Metadata values must be strings.")),
    }
}

fn check_metadata_size(len: usize) -> Result<(), ApiError> {
    if len > 16 {
        return Err(ApiError::field(
            "metadata",
            "Metadata may hold at most 16 keys.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_accept_all_three_spellings() {
        let q = QueryPairs::parse("types=a,b&types[]=c&types=d");
        assert_eq!(q.list("types"), ["a", "b", "c", "d"]);
    }

    #[test]
    fn limit_bounds() {
        assert_eq!(QueryPairs::parse("").limit().unwrap(), 20);
        assert_eq!(QueryPairs::parse("limit=100").limit().unwrap(), 100);
        assert!(QueryPairs::parse("limit=0").limit().is_err());
        assert!(QueryPairs::parse("limit=x").limit().is_err());
        let over = QueryPairs::parse("limit=101").limit().unwrap_err();
        assert_eq!(over.message, "limit exceeds maximum of 100");
    }

    #[test]
    fn two_cursors_are_refused() {
        assert!(QueryPairs::parse("page=a&before_id=b").cursor().is_err());
        assert_eq!(
            QueryPairs::parse("page=a").cursor().unwrap(),
            Cursor::After("a".into())
        );
    }

    #[test]
    fn metadata_patch_upserts_and_deletes() {
        let current = json!({"a": "1", "b": "2"});
        let body = json!({"metadata": {"a": null, "c": "3"}});
        let merged = metadata_patch(&current, body.as_object().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(Value::Object(merged), json!({"b": "2", "c": "3"}));
        let bad = json!({"metadata": {"a": 1}});
        assert!(metadata_create(bad.as_object().unwrap()).is_err());
    }
}
