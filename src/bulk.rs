//! Two small JS functions, compiled once per JS thread, that move numbers between plain JS
//! arrays and typed arrays in bulk. Walking a 768-number array through N-API costs thousands of
//! calls; V8 runs these loops natively, and Rust then copies the typed array in one `memcpy`.

use napi::sys;
use std::cell::RefCell;
use std::ptr;

/// `number[]` to `Float64Array`, or `undefined` when an element is not a number (a hole,
/// a string, ...), so that the caller can fall back to reading element by element.
const TO_FLOAT64: &str = "(function (a) { const n = a.length; const t = new Float64Array(n); \
     for (let i = 0; i < n; i++) { const x = a[i]; if (typeof x !== 'number') return undefined; t[i] = x; } \
     return t; })";

/// A typed array to a plain `number[]`.
const TO_ARRAY: &str = "(function (t) { const n = t.length; const a = new Array(n); \
     for (let i = 0; i < n; i++) a[i] = t[i]; return a; })";

/// Builds the row objects of a query reply from its columns and stores them as
/// `response[key]`. Float vector columns arrive as one `Float32Array` of `n * dim` values.
/// Large results are built 2,048 rows per turn of the event loop, so that other callbacks run
/// in between; the result is then a Promise of `response`, which the method's Promise adopts.
const ASSEMBLE: &str = "(function (response, key, names, columns, dims, typed, n) { \
     const rows = new Array(n); const width = names.length; \
     const build = (start, end) => { for (let i = start; i < end; i++) { const row = {}; \
       for (let c = 0; c < width; c++) { const d = dims[c], col = columns[c]; \
         if (d === 0) { row[names[c]] = col[i]; } \
         else if (typed[c]) { row[names[c]] = col.slice(i * d, i * d + d); } \
         else { const v = new Array(d), o = i * d; for (let j = 0; j < d; j++) v[j] = col[o + j]; row[names[c]] = v; } } \
       rows[i] = row; } }; \
     const CHUNK = 2048; \
     if (n <= CHUNK) { build(0, n); response[key] = rows; return response; } \
     return new Promise((resolve, reject) => { let start = 0; \
       const step = () => { try { const end = Math.min(n, start + CHUNK); build(start, end); start = end; \
         if (start < n) { setImmediate(step); } else { response[key] = rows; resolve(response); } } \
         catch (e) { reject(e); } }; \
       step(); }); })";

/// Copies the rows of a large write, turning their number arrays into `Float64Array`s (or
/// `Float32Array`s for the FloatVector fields named in `floatFields`, which are sent as f32), 500
/// rows per turn of the event loop, then calls `client[method]` with the copied rows (which
/// then reads fast). Rows the copy cannot improve are passed on as they are, so validation
/// errors still name them. The user's rows are never modified. The second call carries a
/// hidden (non-enumerable) `__milvusNativePrepared` mark, so it is never prepared again.
const PREPARE: &str = "(function (client, method, request, rows, floatFields) { const PREPARED = '__milvusNativePrepared'; \
     const out = new Array(rows.length); let i = 0; \
     const convert = (v, f32) => { const n = v.length, t = f32 ? new Float32Array(n) : new Float64Array(n); \
       for (let j = 0; j < n; j++) { const x = v[j]; if (typeof x !== 'number') return v; t[j] = x; } return t; }; \
     return new Promise((resolve, reject) => { \
       const step = () => { try { const end = Math.min(rows.length, i + 500); \
         for (; i < end; i++) { const r = rows[i]; \
           if (r === null || typeof r !== 'object' || Array.isArray(r)) { out[i] = r; continue; } \
           const c = {}; for (const k in r) { const v = r[k]; \
             c[k] = Array.isArray(v) && v.length >= 16 && typeof v[0] === 'number' ? convert(v, floatFields.includes(k)) : v; } \
           out[i] = c; } \
         if (i < rows.length) { setImmediate(step); } \
         else { const next = Object.assign({}, request, { data: out }); delete next.fields_data; \
           Object.defineProperty(next, PREPARED, { value: true }); \
           resolve(client[method](next)); } } \
         catch (e) { reject(e); } }; \
       step(); }); })";

#[derive(Clone, Copy)]
pub enum Bulk {
    ToFloat64,
    ToArray,
    Assemble,
    Prepare,
}

struct Compiled {
    env: sys::napi_env,
    to_float64: sys::napi_ref,
    to_array: sys::napi_ref,
    assemble: sys::napi_ref,
    prepare: sys::napi_ref,
}

thread_local! {
    static COMPILED: RefCell<Option<Compiled>> = const { RefCell::new(None) };
}

fn ok(status: sys::napi_status) -> Option<()> {
    (status == sys::Status::napi_ok).then_some(())
}

unsafe fn compile(env: sys::napi_env, source: &str) -> Option<sys::napi_ref> {
    let mut script = ptr::null_mut();
    ok(sys::napi_create_string_utf8(
        env,
        source.as_ptr().cast(),
        source.len() as isize,
        &mut script,
    ))?;
    let mut function = ptr::null_mut();
    ok(sys::napi_run_script(env, script, &mut function))?;
    let mut reference = ptr::null_mut();
    ok(sys::napi_create_reference(env, function, 1, &mut reference))?;
    Some(reference)
}

/// Calls one of the functions on `arg`; `None` when it could not run (the caller then takes
/// the slow path, so this never fails a request by itself).
pub unsafe fn call(
    env: sys::napi_env,
    which: Bulk,
    arg: sys::napi_value,
) -> Option<sys::napi_value> {
    call_with(env, which, &[arg])
}

/// Calls one of the functions with several arguments.
pub unsafe fn call_with(
    env: sys::napi_env,
    which: Bulk,
    args: &[sys::napi_value],
) -> Option<sys::napi_value> {
    let reference = COMPILED.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.as_ref().is_none_or(|c| c.env != env) {
            *cell = Some(Compiled {
                env,
                to_float64: compile(env, TO_FLOAT64)?,
                to_array: compile(env, TO_ARRAY)?,
                assemble: compile(env, ASSEMBLE)?,
                prepare: compile(env, PREPARE)?,
            });
        }
        cell.as_ref().map(|c| match which {
            Bulk::ToFloat64 => c.to_float64,
            Bulk::ToArray => c.to_array,
            Bulk::Assemble => c.assemble,
            Bulk::Prepare => c.prepare,
        })
    })?;
    let mut function = ptr::null_mut();
    ok(sys::napi_get_reference_value(env, reference, &mut function))?;
    let mut undefined = ptr::null_mut();
    ok(sys::napi_get_undefined(env, &mut undefined))?;
    let mut result = ptr::null_mut();
    ok(sys::napi_call_function(
        env,
        undefined,
        function,
        args.len(),
        args.as_ptr(),
        &mut result,
    ))?;
    Some(result)
}
