//! Typed reads of request objects, with errors that name the field and what was expected.

use std::time::Duration;

use crate::error::ClientError;
use crate::proto::common::KeyValuePair;
use crate::value::Value;

/// A request object as passed to a method (`{ collection_name, ... }`).
pub struct Req<'a>(pub &'a Value);

impl<'a> Req<'a> {
    /// Checks that the argument is an object at all.
    pub fn new(value: &'a Value) -> Result<Req<'a>, ClientError> {
        match value {
            Value::Object(_) => Ok(Req(value)),
            other => Err(ClientError::invalid_arg(
                "request",
                format!("an object, got {}", other.kind()),
            )),
        }
    }

    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key)
    }

    /// The first of `keys` that is set (the official SDK accepts aliases such as
    /// `filter`/`expr`).
    pub fn any(&self, keys: &[&str]) -> Option<&'a Value> {
        keys.iter().find_map(|k| self.0.get(k))
    }

    pub fn str(&self, key: &str) -> Result<String, ClientError> {
        match self.opt_str(key)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(ClientError::invalid_arg(key, "a non-empty string")),
        }
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<String>, ClientError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(ClientError::invalid_arg(
                key,
                format!("a string, got {}", other.kind()),
            )),
        }
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, ClientError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(ClientError::invalid_arg(
                key,
                format!("a boolean, got {}", other.kind()),
            )),
        }
    }

    /// An integer in `[min, max]`; numeric strings are accepted, as the official SDK does.
    pub fn opt_int(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, ClientError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let n = as_integer(v).filter(|n| (min..=max).contains(n));
        n.map(Some).ok_or_else(|| {
            ClientError::invalid_arg(
                key,
                format!("an integer from {min} to {max}, got {}", describe(v)),
            )
        })
    }

    /// A string or an array of strings.
    pub fn str_list(&self, key: &str) -> Result<Vec<String>, ClientError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(ClientError::invalid_arg(
                        format!("{key}[{i}]"),
                        format!("a string, got {}", other.kind()),
                    )),
                })
                .collect(),
            Some(other) => Err(ClientError::invalid_arg(
                key,
                format!("a string or an array of strings, got {}", other.kind()),
            )),
        }
    }

    /// The per-call `timeout` in milliseconds, when given.
    pub fn timeout(&self) -> Result<Option<Duration>, ClientError> {
        self.get("timeout")
            .map(|v| parse_duration_ms("timeout", v).map(Duration::from_millis))
            .transpose()
    }

    pub fn db_name(&self) -> Result<String, ClientError> {
        Ok(self.opt_str("db_name")?.unwrap_or_default())
    }
}

/// The value as an exact integer, from a number, a bigint or a decimal string.
pub fn as_integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 => {
            Some(*n as i64)
        }
        Value::BigInt(b) => i64::try_from(*b).ok(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A short description of a value for error messages; never used for secrets.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Number(n) => format!("{n}"),
        Value::BigInt(b) => format!("{b}n"),
        Value::Bool(b) => format!("{b}"),
        Value::String(s) if s.chars().count() <= 40 => format!("'{s}'"),
        other => other.kind().to_string(),
    }
}

/// A duration in milliseconds from a number, or a string such as `'1500'`, `'30s'`, `'2m'`.
pub fn parse_duration_ms(field: &str, v: &Value) -> Result<u64, ClientError> {
    let bad = || {
        ClientError::invalid_arg(
            field,
            format!(
                "a positive number of milliseconds or a string like '30s', got {}",
                describe(v)
            ),
        )
    };
    let ms = match v {
        Value::Number(n) if n.is_finite() && *n > 0.0 => *n,
        Value::String(s) => {
            let s = s.trim();
            let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
            let (num, unit) = s.split_at(split);
            let num: f64 = num.trim().parse().map_err(|_| bad())?;
            let scale = match unit.trim() {
                "" | "ms" => 1.0,
                "s" | "sec" => 1_000.0,
                "m" | "min" => 60_000.0,
                "h" => 3_600_000.0,
                _ => return Err(bad()),
            };
            num * scale
        }
        _ => return Err(bad()),
    };
    if !(ms.is_finite() && ms >= 1.0) {
        return Err(bad());
    }
    Ok(ms.min(u32::MAX as f64) as u64)
}

/// Renders a parameter value the way Milvus expects it in key/value pairs: strings as they
/// are, numbers without a trailing `.0`, anything else as JSON.
pub fn param_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_json().to_string(),
    }
}

/// An object of parameters (`{ nlist: 128 }`) as key/value pairs; a JSON string is parsed.
pub fn key_values(field: &str, v: Option<&Value>) -> Result<Vec<KeyValuePair>, ClientError> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::Object(props)) => Ok(props
            .iter()
            .filter(|(_, v)| !v.is_nullish())
            .map(|(k, v)| KeyValuePair {
                key: k.clone(),
                value: param_string(v),
            })
            .collect()),
        Some(Value::String(s)) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(serde_json::Value::Object(map)) => Ok(map
                .into_iter()
                .map(|(k, v)| KeyValuePair {
                    key: k,
                    value: match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    },
                })
                .collect()),
            _ => Err(ClientError::invalid_arg(
                field,
                "an object or a JSON object string",
            )),
        },
        Some(other) => Err(ClientError::invalid_arg(
            field,
            format!("an object, got {}", other.kind()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_numbers_and_units() {
        assert_eq!(parse_duration_ms("t", &Value::Number(250.0)).unwrap(), 250);
        assert_eq!(
            parse_duration_ms("t", &Value::String("30s".into())).unwrap(),
            30_000
        );
        assert_eq!(
            parse_duration_ms("t", &Value::String("2m".into())).unwrap(),
            120_000
        );
        assert!(parse_duration_ms("t", &Value::String("soon".into())).is_err());
        assert!(parse_duration_ms("t", &Value::Number(-1.0)).is_err());
    }

    #[test]
    fn params_render_like_milvus_expects() {
        assert_eq!(param_string(&Value::Number(128.0)), "128");
        assert_eq!(param_string(&Value::Number(0.5)), "0.5");
        assert_eq!(param_string(&Value::String("L2".into())), "L2");
    }
}
