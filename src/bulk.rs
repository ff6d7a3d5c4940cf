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

#[derive(Clone, Copy)]
pub enum Bulk {
    ToFloat64,
    ToArray,
    Assemble,
}

struct Compiled {
    env: sys::napi_env,
    to_float64: sys::napi_ref,
    to_array: sys::napi_ref,
    assemble: sys::napi_ref,
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
            });
        }
        cell.as_ref().map(|c| match which {
            Bulk::ToFloat64 => c.to_float64,
            Bulk::ToArray => c.to_array,
            Bulk::Assemble => c.assemble,
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
