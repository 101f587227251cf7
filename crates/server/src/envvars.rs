//! Session `environment_variables`: the docs' `"K=V;K2=V2"` string or the
//! SDK's object, validated into one map (`cloud-api.md` §6.2).

use serde_json::{Map, Value};

use crate::error::ApiError;

const PARAM: &str = "environment_variables";
const RESERVED: [&str; 3] = ["SERVER_ENDPOINT", "USER_ID", "WORK_DIR"];

/// Parses and validates the field's value.
pub(crate) fn parse(value: &Value) -> Result<Map<String, Value>, ApiError> {
    let pairs: Vec<(String, String)> = match value {
        Value::Null => return Ok(Map::new()),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(ApiError::field(
                    PARAM,
                    format!("Variable '{k}' must have a string value."),
                )),
            })
            .collect::<Result<_, _>>()?,
        Value::String(text) => text
            .split([';', '\n', '；'])
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.split_once('=')
                    .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                    .ok_or_else(|| ApiError::field(PARAM, format!("'{part}' is not NAME=value.")))
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(ApiError::field(
                PARAM,
                "Field 'environment_variables' must be a \"K=V;K2=V2\" string or an object.",
            ));
        }
    };
    if pairs.len() > 64 {
        return Err(ApiError::field(
            PARAM,
            "At most 64 environment variables are allowed.",
        ));
    }
    let mut total = 0;
    let mut out = Map::new();
    for (name, value) in pairs {
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(ApiError::field(
                PARAM,
                format!("'{name}' is not a valid variable name."),
            ));
        }
        if RESERVED.contains(&name.as_str())
            || name.starts_with("CAW_")
            || name.starts_with("QODER_")
        {
            return Err(ApiError::field(
                PARAM,
                format!("Variable name '{name}' is reserved."),
            ));
        }
        if value.len() > 8 * 1024 {
            return Err(ApiError::field(
                PARAM,
                format!("The value of '{name}' exceeds 8 KiB."),
            ));
        }
        total += name.len() + value.len();
        if out.insert(name.clone(), Value::String(value)).is_some() {
            return Err(ApiError::field(
                PARAM,
                format!("Variable '{name}' is given twice."),
            ));
        }
    }
    if total > 64 * 1024 {
        return Err(ApiError::field(
            PARAM,
            "Environment variables exceed 64 KiB in total.",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_and_object_forms() {
        let from_string = parse(&json!("A=1；B=x=y\nC=")).unwrap();
        assert_eq!(
            Value::Object(from_string),
            json!({"A": "1", "B": "x=y", "C": ""})
        );
        assert_eq!(
            Value::Object(parse(&json!({"A": "1"})).unwrap()),
            json!({"A": "1"})
        );
    }

    #[test]
    fn bad_names_duplicates_and_reserved() {
        assert!(parse(&json!("1A=x")).is_err());
        assert!(parse(&json!("A=1;A=2")).is_err());
        assert!(parse(&json!("QODER_X=1")).is_err());
        assert!(parse(&json!("novalue")).is_err());
        assert!(parse(&json!(5)).is_err());
    }
}
