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
use serde_json::json;
use std::alloc::Layout;
use std::ffi::CStr;
use std::ptr::{self, NonNull};
use std::sync::{Arc, Mutex, Weak};

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
    F32(Shared<f32>),
    F64(Shared<f64>),
}

/// A block of numbers that a typed array of the preparer and the write share, so that neither
/// the native read nor the protobuf encoder copies a column into a new buffer. JS fills it
/// before the write starts and never touches it again; the block is freed when both the typed
/// array (through its finalizer) and the write have let go.
pub struct Shared<T>(Arc<Block<T>>);

struct Block<T> {
    ptr: NonNull<T>,
    len: usize,
}

// SAFETY: the block is plain numbers; after the preparer's last write it is only read.
unsafe impl<T: Send> Send for Block<T> {}
unsafe impl<T: Sync> Sync for Block<T> {}

impl<T: Copy> Shared<T> {
    /// `len` zeroed numbers (the pages are only touched when JS fills them).
    fn zeroed(len: usize) -> Option<Shared<T>> {
        let layout = Layout::array::<T>(len.max(1)).ok()?;
        // SAFETY: the layout has a non-zero size; zero bytes are a valid f32 or f64.
        let ptr = NonNull::new(unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>())?;
        Some(Shared(Arc::new(Block { ptr, len })))
    }

    /// A copy of `values`.
    fn copied(values: &[T]) -> Option<Shared<T>> {
        let block = Self::zeroed(values.len())?;
        // SAFETY: a fresh block of the same length, not shared yet.
        unsafe { ptr::copy_nonoverlapping(values.as_ptr(), block.0.ptr.as_ptr(), values.len()) };
        Some(block)
    }

    fn address(&self) -> usize {
        self.0.ptr.as_ptr() as usize
    }
}

impl<T> Drop for Block<T> {
    fn drop(&mut self) {
        if let Ok(layout) = Layout::array::<T>(self.len.max(1)) {
            // SAFETY: allocated in `zeroed` with this layout.
            unsafe { std::alloc::dealloc(self.ptr.as_ptr().cast(), layout) }
        }
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `len` initialised numbers, no longer written (see the type's comment).
        unsafe { std::slice::from_raw_parts(self.0.ptr.as_ptr(), self.0.len) }
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Shared({} numbers)", self.0.len)
    }
}

impl<T: Copy> From<Vec<T>> for Shared<T> {
    fn from(values: Vec<T>) -> Self {
        Shared::copied(&values).expect("a block as large as an existing Vec")
    }
}

impl Shared<f32> {
    /// The numbers as little-endian bytes, for the protobuf encoder; no copy on little-endian
    /// machines.
    pub fn to_le_bytes(&self) -> bytes::Bytes {
        #[cfg(target_endian = "little")]
        {
            struct AsBytes(Shared<f32>);
            impl AsRef<[u8]> for AsBytes {
                fn as_ref(&self) -> &[u8] {
                    // SAFETY: any f32 is 4 initialised bytes, and u8 has no alignment.
                    unsafe { std::slice::from_raw_parts(self.0.as_ptr().cast(), self.0.len() * 4) }
                }
            }
            bytes::Bytes::from_owner(AsBytes(self.clone()))
        }
        #[cfg(target_endian = "big")]
        {
            crate::wire::f32_bytes(self.to_vec())
        }
    }
}

/// The blocks handed to JS whose typed arrays are still alive, by address, so that the second
/// call finds the block behind a typed array instead of copying it.
static LENT: Mutex<Vec<(usize, Lent)>> = Mutex::new(Vec::new());

#[derive(Clone)]
enum Lent {
    F32(Weak<Block<f32>>),
    F64(Weak<Block<f64>>),
}

/// `allocColumn(f32, length)`, called by the preparer: a `Float32Array` or `Float64Array` over
/// a new shared block, or `undefined` when the runtime refuses external buffers (Electron),
/// in which case the preparer makes an ordinary typed array.
unsafe extern "C" fn alloc_column(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let mut undefined = ptr::null_mut();
    sys::napi_get_undefined(env, &mut undefined);
    lend(env, info).unwrap_or(undefined)
}

unsafe fn lend(env: sys::napi_env, info: sys::napi_callback_info) -> Option<sys::napi_value> {
    let mut argc = 2usize;
    let mut argv = [ptr::null_mut(); 2];
    let ok = |status| (status == sys::Status::napi_ok).then_some(());
    ok(sys::napi_get_cb_info(
        env,
        info,
        &mut argc,
        argv.as_mut_ptr(),
        ptr::null_mut(),
        ptr::null_mut(),
    ))?;
    let (mut f32, mut len) = (false, 0f64);
    ok(sys::napi_get_value_bool(env, argv[0], &mut f32))?;
    ok(sys::napi_get_value_double(env, argv[1], &mut len))?;
    if !(len >= 1.0 && len <= (1u64 << 32) as f64) {
        return None;
    }
    let len = len as usize;
    let (address, bytes, lent, kind, hint): (usize, usize, Lent, _, Box<dyn std::any::Any>) = if f32
    {
        let block = Shared::<f32>::zeroed(len)?;
        let lent = Lent::F32(Arc::downgrade(&block.0));
        (
            block.address(),
            len * 4,
            lent,
            sys::TypedarrayType::float32_array,
            Box::new(block),
        )
    } else {
        let block = Shared::<f64>::zeroed(len)?;
        let lent = Lent::F64(Arc::downgrade(&block.0));
        (
            block.address(),
            len * 8,
            lent,
            sys::TypedarrayType::float64_array,
            Box::new(block),
        )
    };
    let hint = Box::into_raw(Box::new(hint));
    let mut buffer = ptr::null_mut();
    if sys::napi_create_external_arraybuffer(
        env,
        address as *mut std::ffi::c_void,
        bytes,
        Some(release_column),
        hint.cast(),
        &mut buffer,
    ) != sys::Status::napi_ok
    {
        drop(Box::from_raw(hint));
        return None;
    }
    LENT.lock().ok()?.push((address, lent));
    let mut array = ptr::null_mut();
    ok(sys::napi_create_typedarray(
        env, kind, len, buffer, 0, &mut array,
    ))?;
    Some(array)
}

/// The typed array's finalizer: its share of the block goes.
unsafe extern "C" fn release_column(
    _env: sys::napi_env,
    data: *mut std::ffi::c_void,
    hint: *mut std::ffi::c_void,
) {
    if let Ok(mut lent) = LENT.lock() {
        lent.retain(|(address, _)| *address != data as usize);
    }
    drop(Box::from_raw(hint.cast::<Box<dyn std::any::Any>>()));
}

/// The block behind the typed array `array` if it was lent by `alloc_column`, else a copy.
unsafe fn column_of(env: sys::napi_env, array: sys::napi_value) -> Option<Numbers> {
    let mut kind = 0;
    let mut len = 0usize;
    let mut data: *mut std::ffi::c_void = ptr::null_mut();
    let mut buffer = ptr::null_mut();
    let mut offset = 0usize;
    if sys::napi_get_typedarray_info(
        env,
        array,
        &mut kind,
        &mut len,
        &mut data,
        &mut buffer,
        &mut offset,
    ) != sys::Status::napi_ok
    {
        return None;
    }
    let lent = LENT.lock().ok().and_then(|lent| {
        lent.iter()
            .find(|(address, _)| *address == data as usize)
            .map(|(_, lent)| lent.clone())
    });
    let whole = |n: usize| n == len;
    match (kind, lent) {
        (sys::TypedarrayType::float32_array, Some(Lent::F32(block))) => {
            let block = block.upgrade().filter(|b| whole(b.len))?;
            Some(Numbers::F32(Shared(block)))
        }
        (sys::TypedarrayType::float64_array, Some(Lent::F64(block))) => {
            let block = block.upgrade().filter(|b| whole(b.len))?;
            Some(Numbers::F64(Shared(block)))
        }
        (sys::TypedarrayType::float32_array, _) => {
            Shared::copied(std::slice::from_raw_parts(data.cast::<f32>(), len)).map(Numbers::F32)
        }
        (sys::TypedarrayType::float64_array, _) => {
            Shared::copied(std::slice::from_raw_parts(data.cast::<f64>(), len)).map(Numbers::F64)
        }
        _ => None,
    }
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
        let mut alloc = ptr::null_mut();
        if sys::napi_create_function(
            env,
            c"allocColumn".as_ptr(),
            11,
            Some(alloc_column),
            ptr::null_mut(),
            &mut alloc,
        ) != sys::Status::napi_ok
        {
            return None;
        }
        let args = [this.object.raw(), method_name, request, rows, fields, alloc];
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
    let raw_env = env.raw();
    // SAFETY: `request` is a live handle of this call, on the JS thread.
    unsafe {
        if !is_object(raw_env, request.raw()) || !flag(raw_env, request.raw(), PREPARED) {
            return Ok(None);
        }
        let Some(columns) =
            property(raw_env, request.raw(), COLUMNS).filter(|v| is_object(raw_env, *v))
        else {
            return Ok(None);
        };
        read_prepared(env, columns)
            .map(Some)
            .ok_or_else(|| ClientError::internal("the write preparer produced unreadable columns"))
    }
}

/// `{ rows, names, dims, data, rounded }` as the preparer made it.
unsafe fn read_prepared(env: &Env, columns: sys::napi_value) -> Option<Prepared> {
    let raw_env = env.raw();
    let read = |key: &CStr| {
        property(raw_env, columns, key)
            .and_then(|v| Value::from_js(env, Unknown::from_raw_unchecked(raw_env, v)).ok())
    };
    let rows = match read(c"rows")? {
        Value::Number(n) if n >= 0.0 => n as usize,
        _ => return None,
    };
    let (Value::Array(names), Some(dims), Value::Array(rounded)) = (
        read(c"names")?,
        read(c"dims")?.items().map(|d| d.into_owned()),
        read(c"rounded")?,
    ) else {
        return None;
    };
    let data = property(raw_env, columns, c"data").filter(|v| is_array(raw_env, *v))?;
    if [dims.len(), rounded.len()] != [names.len(); 2] {
        return None;
    }
    let mut out = Vec::with_capacity(names.len());
    for (i, ((name, dim), rounded)) in names.into_iter().zip(dims).zip(rounded).enumerate() {
        let (Value::String(name), Value::Number(dim), Value::Bool(rounded)) = (name, dim, rounded)
        else {
            return None;
        };
        let dim = dim as usize;
        let mut array = ptr::null_mut();
        if sys::napi_get_element(raw_env, data, i as u32, &mut array) != sys::Status::napi_ok {
            return None;
        }
        let data = column_of(raw_env, array)?;
        let len = match &data {
            Numbers::F32(v) => v.len(),
            Numbers::F64(v) => v.len(),
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
