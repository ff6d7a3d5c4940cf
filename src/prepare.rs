//! Large writes, prepared in JS before the native read.
//!
//! Reading 5,000 rows of 768-number arrays through N-API in one go would block the event loop
//! for a long time. Instead, the first call of `insert` or `upsert` hands the rows to the JS
//! preparer (`PREPARE` in `bulk.rs`). Over several event-loop turns, the preparer copies every
//! field that has the same shape in all rows into one typed array per field:
//! - number fields become a `Float64Array` with one value per row;
//! - `number[]` vectors of a field that the cached schema says is a FloatVector become a
//!   `Float32Array` of `rows * dim` values (rounded as Milvus stores them); other `number[]`s
//!   become a `Float64Array`, so nothing is rounded before the schema decides the type;
//! - `Float32Array` vectors become a `Float32Array` of `rows * dim` values.
//!
//! The preparer then calls the method again. The rest of each row goes in `data`, and the columns
//! go in a hidden property that only this module reads. That second native read is a few
//! `memcpy`s, and `rows_to_columns` takes a FloatVector column whole.

use napi::bindgen_prelude::{JsValue, PromiseRaw, This, Unknown};
use napi::{sys, Env};
use std::ffi::CStr;
use std::ptr;

use serde_json::json;
use std::sync::Arc;

use crate::collection::{float_vector_names, schema_of};
use crate::connection::Connection;
use crate::error::ClientError;
use crate::output::Out;
use crate::request::Req;
use crate::value::Value;

/// Rows per write above which the rows go through the preparer.
const PREPARE_MIN_ROWS: u32 = 1_000;

/// The hidden mark of a request the preparer built, so that it is never prepared twice.
const PREPARED: &CStr = c"__milvusNativePrepared";
/// The hidden property that carries the columns: `{ rows, names, dims, data }`.
const COLUMNS: &CStr = c"__milvusNativeColumns";

/// The numbers of one prepared column.
#[derive(Debug)]
pub enum Numbers {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

/// One field's values for every row: `dim` numbers per row, or one number when `dim` is 0.
#[derive(Debug)]
pub struct Prebuilt {
    pub name: String,
    pub dim: usize,
    pub data: Numbers,
    /// The rows held `number[]`s, already rounded to f32 for a FloatVector field: usable only
    /// for a FloatVector field.
    pub rounded: bool,
}

impl Prebuilt {
    /// Row `i` as the value the row object held.
    pub fn row(&self, i: usize) -> Value {
        match (&self.data, self.dim) {
            (Numbers::F64(d), 0) => Value::Number(d[i]),
            (Numbers::F32(d), 0) => Value::Number(d[i] as f64),
            (Numbers::F64(d), k) => Value::Float64Array(d[i * k..(i + 1) * k].to_vec()),
            (Numbers::F32(d), k) => Value::Float32Array(d[i * k..(i + 1) * k].to_vec()),
        }
    }
}

/// What the preparer gathered: the row count and the columns taken out of the rows.
#[derive(Debug)]
pub struct Prepared {
    pub rows: usize,
    pub columns: Vec<Prebuilt>,
}

/// For a large write, hands the rows to the JS preparer and returns its Promise (which adopts
/// the Promise of the second call). `None` when the write is small, already prepared, or the
/// preparer cannot run; the caller then reads the request as it is.
pub fn large_write<'env>(
    env: &'env Env,
    conn: &Arc<Connection>,
    this: &This,
    method: &str,
    data: Option<&Unknown>,
) -> Option<PromiseRaw<'env, Out>> {
    let request = data?.raw();
    let napi_env = env;
    let env = env.raw();
    // SAFETY: every handle comes from this call's scope, on the JS thread.
    unsafe {
        if !is_object(env, request) || flag(env, request, PREPARED) {
            return None;
        }
        let rows = property(env, request, c"data")
            .filter(|v| is_array(env, *v))
            .or_else(|| property(env, request, c"fields_data").filter(|v| is_array(env, *v)))?;
        let mut len = 0u32;
        if sys::napi_get_array_length(env, rows, &mut len) != sys::Status::napi_ok
            || len < PREPARE_MIN_ROWS
        {
            return None;
        }
        let mut method_name = ptr::null_mut();
        if sys::napi_create_string_utf8(
            env,
            method.as_ptr().cast(),
            method.len() as isize,
            &mut method_name,
        ) != sys::Status::napi_ok
        {
            return None;
        }
        let fields = float_fields_arg(napi_env, conn, request)?;
        let args = [this.object.raw(), method_name, request, rows, fields];
        let promise = crate::bulk::call_with(env, crate::bulk::Bulk::Prepare, &args)?;
        Some(PromiseRaw::new(env, promise))
    }
}

/// The FloatVector field names of the collection named in `request`: an array when its schema
/// is cached, else a Promise of one, resolved once the collection is described (a failure
/// there is left for the write itself to report).
unsafe fn float_fields_arg(
    env: &Env,
    conn: &Arc<Connection>,
    request: sys::napi_value,
) -> Option<sys::napi_value> {
    let read = |key: &CStr| {
        property(env.raw(), request, key)
            .and_then(|v| Value::from_js(env, Unknown::from_raw_unchecked(env.raw(), v)).ok())
    };
    let mut target = Vec::new();
    for (key, value) in [
        ("collection_name", read(c"collection_name")),
        ("db_name", read(c"db_name")),
    ] {
        if let Some(v @ Value::String(_)) = value {
            target.push((key.to_string(), v));
        }
    }
    let target = Value::Object(target);
    let cached = Req::new(&target)
        .ok()
        .and_then(|req| conn.schemas.float_vector_fields(&req).ok().flatten());
    if let Some(names) = cached {
        return string_array(env.raw(), &names);
    }
    let conn = conn.clone();
    let promise = crate::client::spawn(env, async move {
        let req = Req::new(&target)?;
        let info = schema_of(&conn, &req).await?;
        Ok(json!(float_vector_names(&info.schema)))
    })
    .ok()?;
    Some(promise.raw())
}

unsafe fn string_array(env: sys::napi_env, names: &[String]) -> Option<sys::napi_value> {
    let mut array = ptr::null_mut();
    if sys::napi_create_array_with_length(env, names.len(), &mut array) != sys::Status::napi_ok {
        return None;
    }
    for (i, name) in names.iter().enumerate() {
        let mut s = ptr::null_mut();
        if sys::napi_create_string_utf8(env, name.as_ptr().cast(), name.len() as isize, &mut s)
            != sys::Status::napi_ok
            || sys::napi_set_element(env, array, i as u32, s) != sys::Status::napi_ok
        {
            return None;
        }
    }
    Some(array)
}

/// The columns the preparer attached to `data`, if it did.
pub fn read_columns(env: &Env, data: Option<&Unknown>) -> Result<Option<Prepared>, ClientError> {
    let Some(request) = data else {
        return Ok(None);
    };
    // SAFETY: `request` is a live handle of this call, on the JS thread.
    let columns = unsafe {
        let raw_env = env.raw();
        if !is_object(raw_env, request.raw()) || !flag(raw_env, request.raw(), PREPARED) {
            return Ok(None);
        }
        match property(raw_env, request.raw(), COLUMNS) {
            Some(v) if is_object(raw_env, v) => {
                Value::from_js(env, Unknown::from_raw_unchecked(raw_env, v))?
            }
            _ => return Ok(None),
        }
    };
    parse(columns)
        .map(Some)
        .ok_or_else(|| ClientError::internal("the write preparer produced unreadable columns"))
}

fn parse(columns: Value) -> Option<Prepared> {
    let Value::Object(props) = columns else {
        return None;
    };
    let (mut rows, mut names, mut dims, mut data, mut rounded) = (None, None, None, None, None);
    for (key, value) in props {
        match key.as_str() {
            "rows" => rows = Some(value),
            "names" => names = Some(value),
            "dims" => dims = Some(value),
            "data" => data = Some(value),
            "rounded" => rounded = Some(value),
            _ => {}
        }
    }
    let rows = match rows? {
        Value::Number(n) if n >= 0.0 => n as usize,
        _ => return None,
    };
    let (Value::Array(names), Some(dims), Value::Array(data), Value::Array(rounded)) = (
        names?,
        dims?.items().map(|d| d.into_owned()),
        data?,
        rounded?,
    ) else {
        return None;
    };
    if [dims.len(), data.len(), rounded.len()] != [names.len(); 3] {
        return None;
    }
    let mut out = Vec::with_capacity(names.len());
    for (((name, dim), numbers), rounded) in names.into_iter().zip(dims).zip(data).zip(rounded) {
        let (Value::String(name), Value::Number(dim), Value::Bool(rounded)) = (name, dim, rounded)
        else {
            return None;
        };
        let dim = dim as usize;
        let (len, data) = match numbers {
            Value::Float32Array(v) => (v.len(), Numbers::F32(v)),
            Value::Float64Array(v) => (v.len(), Numbers::F64(v)),
            _ => return None,
        };
        if len != rows * dim.max(1) {
            return None;
        }
        out.push(Prebuilt {
            name,
            dim,
            data,
            rounded,
        });
    }
    Some(Prepared { rows, columns: out })
}

unsafe fn property(
    env: sys::napi_env,
    object: sys::napi_value,
    key: &CStr,
) -> Option<sys::napi_value> {
    let mut out = ptr::null_mut();
    (sys::napi_get_named_property(env, object, key.as_ptr(), &mut out) == sys::Status::napi_ok)
        .then_some(out)
}

unsafe fn flag(env: sys::napi_env, object: sys::napi_value, key: &CStr) -> bool {
    let mut value = false;
    if let Some(v) = property(env, object, key) {
        sys::napi_get_value_bool(env, v, &mut value);
    }
    value
}

unsafe fn is_object(env: sys::napi_env, value: sys::napi_value) -> bool {
    let mut kind = 0;
    sys::napi_typeof(env, value, &mut kind) == sys::Status::napi_ok
        && kind == sys::ValueType::napi_object
}

unsafe fn is_array(env: sys::napi_env, value: sys::napi_value) -> bool {
    let mut flag = false;
    sys::napi_is_array(env, value, &mut flag) == sys::Status::napi_ok && flag
}
