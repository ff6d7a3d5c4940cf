//! An owned copy of a JS value, read once on the JS thread so the rest of a call can run on
//! the Tokio runtime.
//!
//! Reading goes through raw N-API calls: one call per scalar, and a single `memcpy` for typed
//! arrays and `Buffer`s, whatever their length.

use napi::bindgen_prelude::{JsValue, Unknown};
use napi::{sys, Env};
use std::ffi::c_void;
use std::ptr;

use crate::bulk::{self, Bulk};
use crate::error::ClientError;

/// A JS value copied out of the V8 heap.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    /// A `bigint`, kept exactly when it fits in an `i128`.
    BigInt(i128),
    String(String),
    Array(Vec<Value>),
    /// Own enumerable properties, in insertion order.
    Object(Vec<(String, Value)>),
    Float32Array(Vec<f32>),
    Float64Array(Vec<f64>),
    Int8Array(Vec<i8>),
    /// `Buffer`, `Uint8Array` and `ArrayBuffer` contents.
    Bytes(Vec<u8>),
    /// Any other typed array, widened to numbers.
    Numbers(Vec<f64>),
    /// Functions and symbols: kept only so an error can name them.
    Other(&'static str),
}

/// Number arrays at least this long are copied through a typed array in one call; shorter ones
/// stay `Value::Array`, element by element.
const BULK_MIN_LEN: u32 = 16;

/// Nesting deeper than this is refused rather than risking the JS thread's stack.
const MAX_DEPTH: usize = 64;

impl Value {
    /// Copies `value` (and everything it reaches) out of the JS heap.
    pub fn from_js(env: &Env, value: Unknown) -> Result<Value, ClientError> {
        // SAFETY: `value` is a live handle of this env, and we are on the JS thread.
        unsafe { read(env.raw(), value.raw(), 0) }
    }

    /// The JS type name used in error messages ("string", "an array", ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Undefined => "undefined",
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::BigInt(_) => "a bigint",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
            Value::Float32Array(_) => "a Float32Array",
            Value::Float64Array(_) => "a Float64Array",
            Value::Int8Array(_) => "an Int8Array",
            Value::Bytes(_) => "a Buffer",
            Value::Numbers(_) => "a typed array",
            Value::Other(kind) => kind,
        }
    }

    /// The elements of an array, or of a typed array as numbers; `None` for anything else.
    /// Long number arrays arrive as `Float64Array`, so list-reading code goes through this.
    pub fn items(&self) -> Option<std::borrow::Cow<'_, [Value]>> {
        use std::borrow::Cow;
        let numbers =
            |it: &mut dyn Iterator<Item = f64>| Cow::Owned(it.map(Value::Number).collect());
        Some(match self {
            Value::Array(items) => Cow::Borrowed(items.as_slice()),
            Value::Float64Array(v) | Value::Numbers(v) => numbers(&mut v.iter().copied()),
            Value::Float32Array(v) => numbers(&mut v.iter().map(|x| *x as f64)),
            Value::Int8Array(v) => numbers(&mut v.iter().map(|x| *x as f64)),
            _ => return None,
        })
    }

    /// True for `undefined` and `null`, which request objects treat as "not given".
    pub fn is_nullish(&self) -> bool {
        matches!(self, Value::Undefined | Value::Null)
    }

    /// The property `key` of an object; `None` when absent, nullish, or `self` is no object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(props) => props
                .iter()
                .find(|(k, v)| k == key && !v.is_nullish())
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Converts to JSON for JSON fields and key/value parameters. Typed arrays become arrays,
    /// bigints become numbers when exact and decimal strings otherwise.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        let nums = |it: &mut dyn Iterator<Item = f64>| {
            J::Array(
                it.map(|n| serde_json::Number::from_f64(n).map_or(J::Null, J::Number))
                    .collect(),
            )
        };
        match self {
            Value::Undefined | Value::Null | Value::Other(_) => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => number_json(*n),
            Value::BigInt(b) => match i64::try_from(*b) {
                Ok(i) => J::Number(i.into()),
                Err(_) => J::String(b.to_string()),
            },
            Value::String(s) => J::String(s.clone()),
            Value::Array(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Object(props) => J::Object(
                props
                    .iter()
                    .filter(|(_, v)| !matches!(v, Value::Undefined | Value::Other(_)))
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            Value::Float32Array(v) => nums(&mut v.iter().map(|&x| x as f64)),
            Value::Float64Array(v) | Value::Numbers(v) => nums(&mut v.iter().copied()),
            Value::Int8Array(v) => nums(&mut v.iter().map(|&x| x as f64)),
            Value::Bytes(v) => nums(&mut v.iter().map(|&x| x as f64)),
        }
    }
}

/// Integral numbers serialise without a fraction (`3`, not `3.0`), as `JSON.stringify` does.
pub fn number_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        serde_json::Value::Number((n as i64).into())
    } else {
        serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

fn check(status: sys::napi_status) -> Result<(), ClientError> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(ClientError::internal(format!(
            "reading a JS value failed (napi status {status})"
        )))
    }
}

unsafe fn read(env: sys::napi_env, v: sys::napi_value, depth: usize) -> Result<Value, ClientError> {
    if depth > MAX_DEPTH {
        return Err(ClientError::invalid_arg(
            "request",
            format!("nesting deeper than {MAX_DEPTH} levels"),
        ));
    }
    let mut ty = 0;
    check(sys::napi_typeof(env, v, &mut ty))?;
    match ty {
        sys::ValueType::napi_undefined => Ok(Value::Undefined),
        sys::ValueType::napi_null => Ok(Value::Null),
        sys::ValueType::napi_boolean => {
            let mut b = false;
            check(sys::napi_get_value_bool(env, v, &mut b))?;
            Ok(Value::Bool(b))
        }
        sys::ValueType::napi_number => {
            let mut n = 0.0;
            check(sys::napi_get_value_double(env, v, &mut n))?;
            Ok(Value::Number(n))
        }
        sys::ValueType::napi_string => Ok(Value::String(read_string(env, v)?)),
        sys::ValueType::napi_bigint => read_bigint(env, v),
        sys::ValueType::napi_object => read_object(env, v, depth),
        sys::ValueType::napi_function => Ok(Value::Other("a function")),
        sys::ValueType::napi_symbol => Ok(Value::Other("a symbol")),
        _ => Ok(Value::Other("an external value")),
    }
}

unsafe fn read_string(env: sys::napi_env, v: sys::napi_value) -> Result<String, ClientError> {
    let mut len = 0;
    check(sys::napi_get_value_string_utf8(
        env,
        v,
        ptr::null_mut(),
        0,
        &mut len,
    ))?;
    let mut buf = vec![0u8; len + 1];
    let mut written = 0;
    check(sys::napi_get_value_string_utf8(
        env,
        v,
        buf.as_mut_ptr().cast(),
        buf.len(),
        &mut written,
    ))?;
    buf.truncate(written);
    // N-API writes valid UTF-8 (lone surrogates become U+FFFD).
    Ok(String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into()))
}

unsafe fn read_bigint(env: sys::napi_env, v: sys::napi_value) -> Result<Value, ClientError> {
    // `count` goes in as the capacity of `words` and comes back as the words the value needs.
    let mut sign = 0;
    let mut words = [0u64; 2];
    let mut count = words.len();
    check(sys::napi_get_value_bigint_words(
        env,
        v,
        &mut sign,
        &mut count,
        words.as_mut_ptr(),
    ))?;
    let magnitude = (words[0] as u128) | ((words[1] as u128) << 64);
    if count > 2 || magnitude > i128::MAX as u128 {
        return Err(ClientError::invalid_arg(
            "bigint",
            "a value within the 128-bit integer range",
        ));
    }
    let value = magnitude as i128;
    Ok(Value::BigInt(if sign != 0 { -value } else { value }))
}

unsafe fn read_object(
    env: sys::napi_env,
    v: sys::napi_value,
    depth: usize,
) -> Result<Value, ClientError> {
    let mut flag = false;
    check(sys::napi_is_typedarray(env, v, &mut flag))?;
    if flag {
        return read_typed_array(env, v);
    }
    check(sys::napi_is_arraybuffer(env, v, &mut flag))?;
    if flag {
        let mut data: *mut c_void = ptr::null_mut();
        let mut len = 0;
        check(sys::napi_get_arraybuffer_info(env, v, &mut data, &mut len))?;
        return Ok(Value::Bytes(copy_slice::<u8>(data.cast(), len)));
    }
    check(sys::napi_is_array(env, v, &mut flag))?;
    if flag {
        let mut len = 0u32;
        check(sys::napi_get_array_length(env, v, &mut len))?;
        if len >= BULK_MIN_LEN && first_is_number(env, v)? {
            if let Some(numbers) = bulk::call(env, Bulk::ToFloat64, v) {
                let mut kind = 0;
                check(sys::napi_typeof(env, numbers, &mut kind))?;
                if kind == sys::ValueType::napi_object {
                    return read_typed_array(env, numbers);
                }
            }
        }
        let mut items = Vec::with_capacity(len as usize);
        for i in 0..len {
            // A scope per element keeps the handles of a large array from piling up.
            let mut scope = ptr::null_mut();
            check(sys::napi_open_handle_scope(env, &mut scope))?;
            let mut item = ptr::null_mut();
            let result = check(sys::napi_get_element(env, v, i, &mut item))
                .and_then(|_| read(env, item, depth + 1));
            check(sys::napi_close_handle_scope(env, scope))?;
            items.push(result?);
        }
        return Ok(Value::Array(items));
    }
    let mut names = ptr::null_mut();
    check(sys::napi_get_property_names(env, v, &mut names))?;
    let mut len = 0u32;
    check(sys::napi_get_array_length(env, names, &mut len))?;
    let mut props = Vec::with_capacity(len as usize);
    for i in 0..len {
        let mut key = ptr::null_mut();
        check(sys::napi_get_element(env, names, i, &mut key))?;
        let mut item = ptr::null_mut();
        check(sys::napi_get_property(env, v, key, &mut item))?;
        let mut key_type = 0;
        check(sys::napi_typeof(env, key, &mut key_type))?;
        let name = if key_type == sys::ValueType::napi_string {
            read_string(env, key)?
        } else {
            // Integer-like keys come back as numbers.
            let mut n = 0.0;
            check(sys::napi_get_value_double(env, key, &mut n))?;
            format!("{n}")
        };
        props.push((name, read(env, item, depth + 1)?));
    }
    Ok(Value::Object(props))
}

unsafe fn first_is_number(env: sys::napi_env, v: sys::napi_value) -> Result<bool, ClientError> {
    let mut first = ptr::null_mut();
    check(sys::napi_get_element(env, v, 0, &mut first))?;
    let mut kind = 0;
    check(sys::napi_typeof(env, first, &mut kind))?;
    Ok(kind == sys::ValueType::napi_number)
}

unsafe fn read_typed_array(env: sys::napi_env, v: sys::napi_value) -> Result<Value, ClientError> {
    let mut kind = 0;
    let mut len = 0usize;
    let mut data: *mut c_void = ptr::null_mut();
    let mut buffer = ptr::null_mut();
    let mut offset = 0usize;
    check(sys::napi_get_typedarray_info(
        env,
        v,
        &mut kind,
        &mut len,
        &mut data,
        &mut buffer,
        &mut offset,
    ))?;
    use sys::TypedarrayType as T;
    Ok(match kind {
        T::float32_array => Value::Float32Array(copy_slice::<f32>(data.cast(), len)),
        T::float64_array => Value::Float64Array(copy_slice::<f64>(data.cast(), len)),
        T::int8_array => Value::Int8Array(copy_slice::<i8>(data.cast(), len)),
        T::uint8_array | T::uint8_clamped_array => Value::Bytes(copy_slice::<u8>(data.cast(), len)),
        T::int16_array => widen::<i16>(data, len),
        T::uint16_array => widen::<u16>(data, len),
        T::int32_array => widen::<i32>(data, len),
        T::uint32_array => widen::<u32>(data, len),
        T::bigint64_array => Value::Array(
            copy_slice::<i64>(data.cast(), len)
                .into_iter()
                .map(|x| Value::BigInt(x as i128))
                .collect(),
        ),
        T::biguint64_array => Value::Array(
            copy_slice::<u64>(data.cast(), len)
                .into_iter()
                .map(|x| Value::BigInt(x as i128))
                .collect(),
        ),
        _ => Value::Other("an unsupported typed array"),
    })
}

/// Copies `len` elements; the source may be unaligned (a `Buffer` slice of a shared pool).
unsafe fn copy_slice<T: Copy + Default>(data: *const T, len: usize) -> Vec<T> {
    let mut out = vec![T::default(); len];
    if len > 0 && !data.is_null() {
        ptr::copy_nonoverlapping(
            data.cast::<u8>(),
            out.as_mut_ptr().cast::<u8>(),
            len * std::mem::size_of::<T>(),
        );
    }
    out
}

unsafe fn widen<T: Copy + Default + Into<f64>>(data: *mut c_void, len: usize) -> Value {
    Value::Numbers(
        copy_slice::<T>(data.cast(), len)
            .into_iter()
            .map(Into::into)
            .collect(),
    )
}
