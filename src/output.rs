//! Response values built on the Tokio runtime and turned into JS values on the JS thread.
//!
//! Small responses are written with `serde_json::json!` and converted; rows of query and
//! search results are built as [`Out`] directly, so that int64 cells can become `bigint`.

use crate::bulk::{self, Bulk};
use napi::bindgen_prelude::ToNapiValue;
use napi::sys;
use std::ptr;

/// A JS value to be created.
#[derive(Clone, Debug, PartialEq)]
pub enum Out {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    BigInt(i64),
    /// A float vector: a `number[]`, or a `Float32Array` when `typed`.
    Floats(Vec<f32>, bool),
    Array(Vec<Out>),
    /// Properties in insertion order.
    Object(Vec<(String, Out)>),
}

impl Out {
    /// Sets `key` on an object, replacing an existing value; a no-op on other values.
    pub fn set(&mut self, key: &str, value: Out) {
        if let Out::Object(props) = self {
            match props.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value,
                None => props.push((key.to_string(), value)),
            }
        }
    }
}

impl From<serde_json::Value> for Out {
    fn from(v: serde_json::Value) -> Self {
        use serde_json::Value as J;
        match v {
            J::Null => Out::Null,
            J::Bool(b) => Out::Bool(b),
            J::Number(n) => Out::Number(n.as_f64().unwrap_or(f64::NAN)),
            J::String(s) => Out::String(s),
            J::Array(items) => Out::Array(items.into_iter().map(Out::from).collect()),
            J::Object(map) => {
                Out::Object(map.into_iter().map(|(k, v)| (k, Out::from(v))).collect())
            }
        }
    }
}

fn check(status: sys::napi_status) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(
            napi::Status::GenericFailure,
            format!("creating a JS value failed (napi status {status})"),
        ))
    }
}

unsafe fn string(env: sys::napi_env, s: &str) -> napi::Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    check(sys::napi_create_string_utf8(
        env,
        s.as_ptr().cast(),
        s.len() as isize,
        &mut out,
    ))?;
    Ok(out)
}

impl ToNapiValue for Out {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        create(env, &val)
    }
}

/// A `Float32Array` holding a copy of `values`.
unsafe fn float32_array(env: sys::napi_env, values: &[f32]) -> napi::Result<sys::napi_value> {
    let bytes = std::mem::size_of_val(values);
    let mut data: *mut std::ffi::c_void = ptr::null_mut();
    let mut buffer = ptr::null_mut();
    check(sys::napi_create_arraybuffer(
        env,
        bytes,
        &mut data,
        &mut buffer,
    ))?;
    if bytes > 0 {
        ptr::copy_nonoverlapping(values.as_ptr().cast::<u8>(), data.cast::<u8>(), bytes);
    }
    let mut out = ptr::null_mut();
    check(sys::napi_create_typedarray(
        env,
        sys::TypedarrayType::float32_array,
        values.len(),
        buffer,
        0,
        &mut out,
    ))?;
    Ok(out)
}

unsafe fn create(env: sys::napi_env, val: &Out) -> napi::Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    match val {
        Out::Null => check(sys::napi_get_null(env, &mut out))?,
        Out::Bool(b) => check(sys::napi_get_boolean(env, *b, &mut out))?,
        Out::Number(n) => check(sys::napi_create_double(env, *n, &mut out))?,
        Out::String(s) => out = string(env, s)?,
        Out::BigInt(n) => check(sys::napi_create_bigint_int64(env, *n, &mut out))?,
        Out::Floats(values, typed) => {
            let typed_array = float32_array(env, values)?;
            out = if *typed {
                typed_array
            } else {
                match bulk::call(env, Bulk::ToArray, typed_array) {
                    Some(array) => array,
                    None => {
                        let numbers = values.iter().map(|x| Out::Number(*x as f64)).collect();
                        create(env, &Out::Array(numbers))?
                    }
                }
            };
        }
        Out::Array(items) => {
            check(sys::napi_create_array_with_length(
                env,
                items.len(),
                &mut out,
            ))?;
            for (i, item) in items.iter().enumerate() {
                // A scope per element keeps the handles of large results from piling up; the
                // element stays alive through the array.
                let mut scope = ptr::null_mut();
                check(sys::napi_open_handle_scope(env, &mut scope))?;
                let set = create(env, item)
                    .and_then(|v| check(sys::napi_set_element(env, out, i as u32, v)));
                check(sys::napi_close_handle_scope(env, scope))?;
                set?;
            }
        }
        Out::Object(props) => {
            check(sys::napi_create_object(env, &mut out))?;
            for (key, value) in props {
                check(sys::napi_set_property(
                    env,
                    out,
                    string(env, key)?,
                    create(env, value)?,
                ))?;
            }
        }
    }
    Ok(out)
}
