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
/// Large results are built over several turns of the event loop, so that other callbacks run
/// in between: each turn builds about 400,000 values' worth of rows (a vector number, or 32
/// per field: 480 rows of 768-dim vectors, at most 4,096 rows), which keeps a turn under about
/// 20 ms on this project's 2-core machine. The result is then a Promise of `response`, which
/// the method's Promise adopts.
const ASSEMBLE: &str = "(function (response, key, names, columns, dims, typed, n) { \
     const rows = new Array(n); const width = names.length; \
     const build = (start, end) => { for (let i = start; i < end; i++) { const row = {}; \
       for (let c = 0; c < width; c++) { const d = dims[c], col = columns[c]; \
         if (d === 0) { row[names[c]] = col[i]; } \
         else if (typed[c]) { row[names[c]] = col.slice(i * d, i * d + d); } \
         else { const v = new Array(d), o = i * d; for (let j = 0; j < d; j++) v[j] = col[o + j]; row[names[c]] = v; } } \
       rows[i] = row; } }; \
     let cost = 0; for (let c = 0; c < width; c++) cost += dims[c] + 32; \
     const CHUNK = Math.max(16, Math.min(4096, Math.floor(400000 / Math.max(1, cost)))); \
     if (n <= CHUNK) { build(0, n); response[key] = rows; return response; } \
     return new Promise((resolve, reject) => { let start = 0; \
       const step = () => { try { const end = Math.min(n, start + CHUNK); build(start, end); start = end; \
         if (start < n) { setImmediate(step); } else { response[key] = rows; resolve(response); } } \
         catch (e) { reject(e); } }; \
       step(); }); })";

/// Prepares the rows of a large write (see `prepare.rs`), 500 rows per turn of the event loop,
/// then calls `client[method]` again with the result.
/// - A field that holds a number, a `number[]` of one length, or a `Float32Array` of one
///   length in every row is copied into one typed array of all rows: `Float32Array` for
///   `Float32Array` vectors and for the FloatVector fields named in `floatFields` (marked
///   `rounded`), and `Float64Array` otherwise, so nothing else is rounded. `floatFields` may be
///   a Promise (while the collection is described); if it fails, no field is taken as f32.
///   The typed arrays come from `allocColumn` (memory the native write then reads in place),
///   or are ordinary ones where the runtime allows no external buffers.
/// - Other values stay in the rows. Long number arrays among them become `Float64Array`s.
/// - When a vector holds something other than numbers, the original rows are passed on as
///   they are, so that the native checks name the bad row and field.
///
/// The user's rows are never modified. The second call carries two hidden (non-enumerable)
/// properties: `__milvusNativePrepared`, so that it is not prepared again, and
/// `__milvusNativeColumns`, which holds `{ rows, names, dims, data }`. When every value went
/// into a column, `data` is empty.
const PREPARE: &str = "(function (client, method, request, rows, fieldsOrPromise, allocColumn) { \
     const prepare = (floatFields) => { const n = rows.length; \
     const call = (data, columns) => { const next = Object.assign({}, request, { data }); delete next.fields_data; \
       Object.defineProperty(next, '__milvusNativePrepared', { value: true }); \
       if (columns) Object.defineProperty(next, '__milvusNativeColumns', { value: columns }); \
       return client[method](next); }; \
     const isRow = (r) => r !== null && typeof r === 'object' && !Array.isArray(r); \
     const isNumbers = (v) => Array.isArray(v) && v.length >= 16 && typeof v[0] === 'number'; \
     const plan = []; \
     if (isRow(rows[0])) for (const k in rows[0]) { const v = rows[0][k]; \
       if (typeof v === 'number') plan.push({ k, d: 0, t: 0 }); \
       else if (isNumbers(v)) plan.push({ k, d: v.length, t: 1 }); \
       else if (v instanceof Float32Array && v.length > 0) plan.push({ k, d: v.length, t: 2 }); } \
     const fits = (v, p) => p.t === 0 ? typeof v === 'number' \
       : p.t === 1 ? Array.isArray(v) && v.length === p.d : v instanceof Float32Array && v.length === p.d; \
     const keep = plan.filter((p) => { for (let i = 0; i < n; i++) { const r = rows[i]; \
       if (!isRow(r) || !fits(r[p.k], p)) return false; } return true; }); \
     const rounded = keep.map((p) => p.t === 1 && floatFields.includes(p.k)); \
     const column = (f32, len) => allocColumn(f32, len) ?? (f32 ? new Float32Array(len) : new Float64Array(len)); \
     const cols = keep.map((p, c) => p.t === 2 || rounded[c] ? column(true, n * p.d) : column(false, n * (p.d || 1))); \
     const taken = new Set(keep.map((p) => p.k)); \
     const toFloat64 = (v) => { const m = v.length, t = new Float64Array(m); \
       for (let j = 0; j < m; j++) { const x = v[j]; if (typeof x !== 'number') return v; t[j] = x; } return t; }; \
     const copier = () => (v, col, o, d) => { for (let j = 0; j < d; j++) { const x = v[j]; \
       if (typeof x !== 'number') return false; col[o + j] = x; } return true; }; \
     const copy32 = copier(), copy64 = copier(); \
     const out = new Array(n); let left = false, i = 0; \
     return new Promise((resolve, reject) => { \
       const step = () => { try { const end = Math.min(n, i + 500); \
         for (; i < end; i++) { const r = rows[i]; \
           if (!isRow(r)) { out[i] = r; left = true; continue; } \
           const c = {}; for (const k in r) { if (taken.has(k)) continue; const v = r[k]; \
             c[k] = isNumbers(v) ? toFloat64(v) : v; left = true; } \
           out[i] = c; \
           for (let p = 0; p < keep.length; p++) { const { k, d, t } = keep[p], col = cols[p], v = r[k]; \
             if (t === 0) { col[i] = v; } \
             else if (t === 2) { col.set(v, i * d); } \
             else if (!(rounded[p] ? copy32 : copy64)(v, col, i * d, d)) { resolve(call(rows, null)); return; } } } \
         if (i < n) { setImmediate(step); } \
         else if (keep.length === 0) { resolve(call(out, null)); } \
         else { resolve(call(left ? out : [], { rows: n, names: keep.map((p) => p.k), dims: keep.map((p) => p.d), data: cols, rounded })); } } \
         catch (e) { reject(e); } }; \
       step(); }); }; \
     return Array.isArray(fieldsOrPromise) ? prepare(fieldsOrPromise) \
       : Promise.resolve(fieldsOrPromise).then(prepare, () => prepare([])); })";

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
