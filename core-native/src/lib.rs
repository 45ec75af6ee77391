#![deny(clippy::all)]
//! metricore's native core: metric storage, label interning and exposition, reached from
//! `@metricore/framework` through napi-rs. Exports are free functions with primitive or slice
//! arguments (a `#[napi]` class method pays an unwrap and a global borrow lock per call), and
//! every export catches panics so a bug here surfaces as a JS `Error`, never an abort.

mod arena;
mod buckets;
mod buffer_pool;
mod clock;
mod counter;
mod definition;
pub mod errors;
mod family;
mod format;
mod gauge;
mod handle;
mod histogram;
mod label_values;
mod labels;
mod lifecycle;
mod policy;
#[cfg(test)]
mod policy_tests;
mod record;
mod registry;
mod render;
mod sample_buffer;
mod self_metrics;
mod series;
mod series_table;
#[cfg(test)]
mod series_memory_tests;
mod snapshot;
mod topn;

use definition::{Definition, Kind, LabelRule, Limits, Weight};
use series::RejectReason;
use errors::{from_napi, map_error, panic_message, CoreError, ErrorCode, NativeResult};
use format::Format;
use napi::bindgen_prelude::{ArrayBuffer, AsyncTask, BufferSlice, Float64ArraySlice, JsError, Uint32Array};
use napi::{Env, ScopedTask};
use napi_derive::napi;

/// A metric family as JS defines it.
#[napi(object)]
pub struct FamilyDefinition {
    /// Registry the family belongs to; every thread naming it shares the family's storage.
    pub registry: String,
    /// `"counter"`, `"gauge"` or `"histogram"`.
    pub kind: String,
    /// Metric name (Prometheus rules: `[a-zA-Z_:][a-zA-Z0-9_:]*`).
    pub name: String,
    /// HELP text; any UTF-8, escaped on output.
    pub help: String,
    /// Optional unit, written as `# UNIT` in OpenMetrics.
    pub unit: Option<String>,
    /// Label names, in the order label values are bound.
    pub label_names: Vec<String>,
    /// Histogram upper bounds, strictly increasing and finite, without `+Inf`.
    pub buckets: Option<Vec<f64>>,
    /// One label rule per label name, in order (omit for no policy).
    pub label_rules: Option<Vec<LabelRuleDefinition>>,
    /// Series beyond this many fold into one overflow series. Default 10,000.
    pub max_series: Option<u32>,
    /// Evict series not recorded into for this many milliseconds. Default: never.
    pub ttl_ms: Option<f64>,
    /// How often top-N labels are re-ranked, in milliseconds. Default 10,000.
    pub rerank_interval_ms: Option<f64>,
}

/// The label-policy rule of one label.
#[napi(object)]
#[derive(Default)]
pub struct LabelRuleDefinition {
    /// Opt-in values; any other value folds into `__other__`.
    pub allow: Option<Vec<String>>,
    /// Keep the N most active values; the rest fold into `__other__`.
    pub top_n: Option<u32>,
    /// Aggregate the label away.
    pub drop: Option<bool>,
    /// Cut values longer than this many characters to this length.
    pub max_length: Option<u32>,
    /// How much more active a newcomer must be to replace an admitted value (0.25 = 25%).
    pub hysteresis: Option<f64>,
    /// `"samples"` (1 per sample) or `"value"` (the sample's value, e.g. bytes).
    pub weight: Option<String>,
    /// How long the series of a value that lost its top-N place stays exposed, in milliseconds,
    /// before it leaves the exposition and its memory is reused. Default 300,000 (5 minutes).
    pub demoted_ttl_ms: Option<f64>,
}

/// The values of one series, as read by `familySnapshot`.
#[napi(object)]
pub struct SeriesSnapshot {
    /// Label values in the family's label-name order.
    pub label_values: Vec<String>,
    /// Counter or gauge value; a histogram's sum.
    pub value: f64,
    /// Cumulative bucket counts with `+Inf` last; empty for counters and gauges.
    pub buckets: Vec<f64>,
    /// A histogram's observation count (equals the `+Inf` bucket); 0 otherwise.
    pub count: f64,
}

/// Runs `f`, turning a panic into `CoreError::Panic`.
fn caught<T>(f: impl FnOnce() -> Result<T, CoreError>) -> Result<T, CoreError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => Err(CoreError::Panic { detail: panic_message(payload) }),
    }
}

/// Runs `f` for an export: a panic or a domain error becomes a JS error whose `code` is set here.
fn guarded<T>(f: impl FnOnce() -> Result<T, CoreError>) -> NativeResult<T> {
    caught(f).map_err(map_error)
}

/// FOLDED: alone, what binding returns when top-N folds the label set right now (do not cache it;
/// record each sample with `recordFolded`); with a handle, a label set folded into a series other
/// sets share (record with the handle; cache only within a bound).
#[napi]
pub const FOLDED: u32 = handle::FOLDED;

/// SET_FLAG: the bit on a sample's handle that makes a gauge sample a `set`, not an `add`.
#[napi]
pub const SET_FLAG: u32 = handle::SET_FLAG;

/// MAX_SERIES: how many series one process can hold; binding more throws
/// `METRICORE_SERIES_TABLE_FULL`.
#[napi]
pub const MAX_SERIES: u32 = series_table::MAX_SERIES as u32;

/// SELF_METRIC_PREFIX: the name prefix reserved for metricore's self-metrics; the framework
/// refuses user metrics that carry it.
#[napi]
pub const SELF_METRIC_PREFIX: &str = self_metrics::PREFIX;

/// nativeErrorCodes: every `code` the core's own errors carry (besides napi-rs statuses).
#[napi(catch_unwind)]
pub fn native_error_codes() -> Vec<String> {
    ErrorCode::ALL.iter().map(|c| c.as_ref().to_string()).collect()
}

/// selfMetricNames: the names of the self-metric families the core renders (text 0.0.4
/// spelling); the `metricore_` prefix is reserved for them.
#[napi(catch_unwind)]
pub fn self_metric_names() -> Vec<String> {
    self_metrics::ALL.iter().map(|m| m.name.to_string()).collect()
}

/// registerThread: a fresh id for the calling JS thread, passed back with every batch it applies.
#[napi(catch_unwind)]
pub fn register_thread() -> u32 {
    registry::register_thread()
}

/// defineFamily: registers a family (or finds the identical one) and returns its id.
/// Throws `code: METRICORE_FAMILY_CLASH` when the name exists with another type, labels or buckets.
#[napi(catch_unwind)]
pub fn define_family(definition: FamilyDefinition) -> napi::Result<u32, ErrorCode> {
    guarded(|| {
        let kind = Kind::parse(&definition.kind).ok_or_else(|| CoreError::InvalidDefinition {
            metric: definition.name.clone(),
            detail: format!("unknown type \"{}\"", definition.kind),
        })?;
        let rules = definition
            .label_rules
            .unwrap_or_default()
            .into_iter()
            .map(|r| -> Result<LabelRule, CoreError> {
                Ok(LabelRule {
                allow: r.allow,
                top_n: r.top_n,
                drop: r.drop.unwrap_or(false),
                max_length: r.max_length,
                hysteresis: r.hysteresis.unwrap_or(0.25),
                demoted_ttl_ms: r.demoted_ttl_ms.map(|t| t.max(0.0) as u64),
                weight: match r.weight.as_deref() {
                    None => None,
                    Some(w) => Some(Weight::parse(w).ok_or_else(|| CoreError::InvalidDefinition {
                        metric: definition.name.clone(),
                        detail: format!("label rule weight \"{w}\" is not \"samples\" or \"value\""),
                    })?),
                },
                })
            })
            .collect::<Result<Vec<_>, CoreError>>()?;
        let defaults = Limits::default();
        let limits = Limits {
            rules,
            max_series: definition.max_series.unwrap_or(defaults.max_series),
            ttl_ms: definition.ttl_ms.map(|t| t.max(0.0) as u64),
            rerank_interval_ms: definition.rerank_interval_ms.map_or(defaults.rerank_interval_ms, |t| t.max(0.0) as u64),
        };
        let def = Definition {
            name: definition.name,
            help: definition.help,
            unit: definition.unit,
            kind,
            label_names: definition.label_names,
            bounds: definition.buckets.unwrap_or_default(),
        };
        Ok(registry::define_with_limits(&definition.registry, def, limits)?.id)
    })
}

/// bindSeries: the handle of the series with these label values (same values, same handle).
/// `FOLDED` alone: top-N folds the set right now (record with `recordFolded`, do not cache);
/// `FOLDED | handle`: the set folds into a series other sets share (allowlist miss, cut or
/// dropped value, overflow): record with `handle`, cache only within a bound.
#[napi(catch_unwind)]
pub fn bind_series(family_id: u32, label_values: Vec<String>) -> napi::Result<u32, ErrorCode> {
    guarded(|| registry::bind(family_id, &label_values))
}

/// createSampleBuffer: this thread's sample buffer (`pairs` pairs) over native memory; whatever
/// is pending in it when the thread's environment ends is applied by a cleanup hook.
#[napi(catch_unwind)]
pub fn create_sample_buffer(env: Env, thread: u32, pairs: u32) -> napi::Result<Float64ArraySlice<'static>, ErrorCode> {
    let buffer = sample_buffer::SampleBuffer::new(pairs.max(1) as usize);
    let for_hook = buffer.clone();
    env.add_env_cleanup_hook(for_hook, move |buffer| {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| buffer.drain(thread)));
    })
    .map_err(from_napi)?;
    let (ptr, len) = (buffer.ptr(), buffer.len());
    // SAFETY: the memory stays alive until both the finalizer and the hook dropped their Arc.
    unsafe { Float64ArraySlice::from_external(&env, ptr, len, buffer, |_, buffer| drop(buffer)) }.map_err(from_napi)
}

/// createDeltaCells: this thread's counter delta cells (`cells` deltas, then `cells` handles, one
/// Float64Array over native memory, see sample_buffer.rs); pending deltas are applied by
/// `applyDeltas` and, when the thread's environment ends (even by `worker.terminate()`), by a cleanup hook.
#[napi(catch_unwind)]
pub fn create_delta_cells(env: Env, thread: u32, cells: u32) -> napi::Result<Float64ArraySlice<'static>, ErrorCode> {
    let buffer = sample_buffer::SampleBuffer::new(cells.max(1) as usize);
    let for_hook = buffer.clone();
    env.add_env_cleanup_hook(for_hook, move |buffer| {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| buffer.drain_as_deltas(thread)));
    })
    .map_err(from_napi)?;
    let (ptr, len) = (buffer.ptr(), buffer.len());
    // SAFETY: the memory stays alive until both the finalizer and the hook dropped their Arc.
    unsafe { Float64ArraySlice::from_external(&env, ptr, len, buffer, |_, buffer| drop(buffer)) }.map_err(from_napi)
}

/// applyDeltas: applies every non-zero delta among the first `used` cells of `cells` (made by
/// `createDeltaCells`) to its series as one sample and zeroes it. One call per flush, not per increment.
#[napi(catch_unwind)]
pub fn apply_deltas(thread: u32, cells: Float64ArraySlice, used: u32) -> napi::Result<(), ErrorCode> {
    // SAFETY: the typed array belongs to the calling JS thread, which is blocked in this call.
    let data = unsafe { std::slice::from_raw_parts_mut(cells.as_ptr() as *mut f64, cells.len()) };
    guarded(|| {
        sample_buffer::drain_deltas_used(thread, data, used as usize);
        Ok(())
    })
}

/// bindAndRecord: binds a label set and records one sample in one call (`set`: a gauge set).
/// Returns what `bindSeries` returns for the set (the sample is recorded in every case).
#[napi(catch_unwind)]
pub fn bind_and_record(family_id: u32, thread: u32, label_values: Vec<String>, value: f64, set: bool) -> napi::Result<u32, ErrorCode> {
    guarded(|| record::bind_and_record(family_id, thread, &label_values, value, set))
}

/// applySamples: records the first `length` doubles of `samples` as `(handle, value)` pairs,
/// then zeroes them (a zero handle marks the end of what is pending, see sample_buffer.rs).
/// One call per batch: the crossing (~10 ns) is paid once per up to 1,024 samples.
#[napi(catch_unwind)]
pub fn apply_samples(thread: u32, samples: Float64ArraySlice, length: u32) -> napi::Result<(), ErrorCode> {
    // SAFETY: the typed array belongs to the calling JS thread, which is blocked in this call.
    let samples = unsafe { std::slice::from_raw_parts_mut(samples.as_ptr() as *mut f64, samples.len()) };
    guarded(|| {
        let n = (length as usize).min(samples.len()) & !1;
        record::apply(thread, &samples[..n]);
        samples[..n].fill(0.0);
        Ok(())
    })
}

/// recordFolded: records one sample of a label set that binding answered with the FOLDED bit
/// (top-N folds it right now): its activity counts for the ranking. One napi call per sample.
#[napi(catch_unwind)]
pub fn record_folded(family_id: u32, thread: u32, label_values: Vec<String>, value: f64) -> napi::Result<(), ErrorCode> {
    guarded(|| record::record_folded(family_id, thread, &label_values, value))
}

/// setManualClock: fixes the core's clock (top-N decay and re-ranks, TTLs, demoted TTLs) at `ms`
/// milliseconds, or returns it to the monotonic clock when `ms` is null. Process-wide; for tests.
#[napi(catch_unwind)]
pub fn set_manual_clock(ms: Option<f64>) {
    clock::set_manual(ms.filter(|m| m.is_finite()).map(|m| m.max(0.0) as u64));
}

/// maintain: re-ranks top-N labels and evicts idle series of a registry when due (call ~1/s).
#[napi(catch_unwind)]
pub fn maintain(registry: String) -> napi::Result<(), ErrorCode> {
    guarded(|| registry::maintain(&registry))
}

/// resolveHandles: the live handle for each cached handle (0 when evicted), after TTL sweeps.
#[napi(catch_unwind)]
pub fn resolve_handles(family_id: u32, handles: Uint32Array) -> napi::Result<Vec<u32>, ErrorCode> {
    guarded(|| registry::resolve(family_id, &handles))
}

/// removeSeries: takes the series of these label values out of the exposition (true if it existed).
/// Recording into it again brings it back from zero.
#[napi(catch_unwind)]
pub fn remove_series(family_id: u32, label_values: Vec<String>) -> napi::Result<bool, ErrorCode> {
    guarded(|| registry::remove(family_id, &label_values))
}

/// retiredSeries: how many removed, reset or evicted series of a family wait for their memory to
/// be reused (bounded by the most series the family ever held at once; for tests and benchmarks).
#[napi(catch_unwind)]
pub fn retired_series(family_id: u32) -> napi::Result<u32, ErrorCode> {
    guarded(|| Ok(registry::family(family_id)?.retired_count() as u32))
}

/// clearFamily: removes every series of a family.
#[napi(catch_unwind)]
pub fn clear_family(family_id: u32) -> napi::Result<(), ErrorCode> {
    guarded(|| registry::clear(family_id))
}

/// trackedValues: how many values a family's top-N sketches hold (bounded; for tests and benchmarks).
#[napi(catch_unwind)]
pub fn tracked_values(family_id: u32) -> napi::Result<u32, ErrorCode> {
    guarded(|| Ok(registry::family(family_id)?.tracked_values() as u32))
}

/// countRejected: counts a sample JS dropped itself, under `reason` (e.g. `invalid_labels`).
#[napi(catch_unwind)]
pub fn count_rejected(family_id: u32, reason: String) -> napi::Result<(), ErrorCode> {
    guarded(|| {
        let reason = RejectReason::parse(&reason).ok_or_else(|| CoreError::InvalidDefinition {
            metric: format!("family #{family_id}"),
            detail: format!("unknown reject reason \"{reason}\""),
        })?;
        registry::count_rejected(family_id, reason)
    })
}

/// familySnapshot: every series of a family with its current values (rare path: interop, tests).
#[napi(catch_unwind)]
pub fn family_snapshot(family_id: u32) -> napi::Result<Vec<SeriesSnapshot>, ErrorCode> {
    guarded(|| {
        let family = registry::family(family_id)?;
        Ok(snapshot::family_values(family)
            .into_iter()
            .map(|s| SeriesSnapshot { label_values: s.label_values, value: s.value, buckets: s.buckets, count: s.count })
            .collect())
    })
}

/// exponentialBuckets: `count` bounds from `start`, each `factor` times the previous.
#[napi(catch_unwind)]
pub fn exponential_buckets(start: f64, factor: f64, count: u32) -> napi::Result<Vec<f64>, ErrorCode> {
    guarded(|| buckets::exponential(start, factor, count))
}

/// linearBuckets: `count` bounds from `start`, `width` apart.
#[napi(catch_unwind)]
pub fn linear_buckets(start: f64, width: f64, count: u32) -> napi::Result<Vec<f64>, ErrorCode> {
    guarded(|| buckets::linear(start, width, count))
}

fn render_bytes(registry_name: &str, openmetrics: bool, gzip: bool, exclude: &[u32]) -> Result<Vec<u8>, CoreError> {
    let format = if openmetrics { Format::OpenMetrics } else { Format::Text };
    let body = render::render(registry::registry(registry_name), format, exclude);
    if gzip {
        let packed = render::gzip(&body).map_err(|e| CoreError::Panic { detail: format!("gzip failed: {e}") });
        buffer_pool::give(body);
        packed
    } else {
        Ok(body)
    }
}

/// Hands a rendered body to JS without a copy; the memory returns to the pool when V8 frees it.
fn to_js_buffer(env: &Env, mut body: Vec<u8>) -> napi::Result<BufferSlice<'_>> {
    if body.is_empty() {
        return BufferSlice::from_data(env, body);
    }
    let (ptr, len, capacity) = (body.as_mut_ptr(), body.len(), body.capacity());
    buffer_pool::lend(capacity);
    // napi-rs runs the finalizer at once when the runtime allows no external buffers (it copies),
    // and drops neither it nor `body` when napi fails otherwise (e.g. a worker's environment being
    // torn down): then the buffer would stay lent for good, and the pool would keep its scrape-time
    // budget and never hand memory back. `returned` tells the two apart.
    let returned = std::rc::Rc::new(std::cell::Cell::new(false));
    let finalized = returned.clone();
    // SAFETY: `body` is moved into the finalizer, so the memory outlives the JS Buffer.
    let buffer = unsafe {
        BufferSlice::from_external(env, ptr, len, body, move |_, body| {
            finalized.set(true);
            buffer_pool::give_back(body)
        })
    };
    if buffer.is_err() && !returned.get() {
        buffer_pool::forget_lent(capacity);
    }
    buffer
}

pub struct RenderTask {
    registry: String,
    openmetrics: bool,
    gzip: bool,
    exclude: Vec<u32>,
}

impl<'task> ScopedTask<'task> for RenderTask {
    /// The body, or the domain error (a task's own error type cannot carry a custom code).
    type Output = Result<Vec<u8>, CoreError>;
    type JsValue = BufferSlice<'task>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        // AsyncTask has no unwind guard of its own.
        Ok(caught(|| render_bytes(&self.registry, self.openmetrics, self.gzip, &self.exclude)))
    }

    fn resolve(&mut self, env: &'task Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        match output {
            Ok(body) => to_js_buffer(env, body),
            // Rejects with a JS error that already carries the code: napi-rs rethrows a referenced
            // error object as it is.
            Err(err) => Err(napi::Error::from(JsError::from(map_error(err)).into_unknown(*env))),
        }
    }
}

/// render: renders a registry on the libuv pool and resolves a Buffer (gzipped if asked),
/// leaving out the families in `exclude`.
#[napi(catch_unwind, ts_return_type = "Promise<Buffer>")]
pub fn render(registry: String, openmetrics: bool, gzip: bool, exclude: Vec<u32>) -> AsyncTask<RenderTask> {
    AsyncTask::new(RenderTask { registry, openmetrics, gzip, exclude })
}

/// renderSync: the blocking twin of `render`, for tests and tiny registries.
#[napi(catch_unwind)]
pub fn render_sync(env: &Env, registry: String, openmetrics: bool, gzip: bool, exclude: Vec<u32>) -> napi::Result<BufferSlice<'_>, ErrorCode> {
    let body = guarded(|| render_bytes(&registry, openmetrics, gzip, &exclude))?;
    to_js_buffer(env, body).map_err(from_napi)
}

/// recycleBody: detaches the ArrayBuffer of a body `render` returned, once it was written out, so
/// its memory goes back to the render pool now instead of when V8 collects it. Only for bodies
/// made by `render`/`renderSync`: their ArrayBuffer is external and no one else views it.
#[napi(catch_unwind)]
pub fn recycle_body(body: ArrayBuffer) -> napi::Result<(), ErrorCode> {
    body.detach().map_err(from_napi)
}

/// RenderStream: a body rendered piece by piece on the libuv pool (`renderStream`). Each piece is
/// a Buffer of about 1 MiB of text (or 1 MiB of text gzipped, ~65 KiB) from the render pool;
/// hand it back with `recycleBody` once written. `close` (or V8 collecting the stream) stops the render.
#[napi]
pub struct RenderStream {
    shared: std::sync::Arc<render::Stream>,
}

#[napi]
impl RenderStream {
    /// next: renders the next piece on the libuv pool; resolves `null` once the body is complete
    /// or the stream was closed. Several calls may be pending at once (the pieces resolve in the
    /// order asked for, gzip pieces compress in parallel); each resolves the piece of its call.
    #[napi(ts_return_type = "Promise<Buffer | null>")]
    pub fn next(&self) -> AsyncTask<RenderChunkTask> {
        AsyncTask::new(RenderChunkTask { shared: self.shared.clone(), ticket: self.shared.take_ticket() })
    }

    /// close: stops the render early and frees what it holds (idempotent, never blocks).
    #[napi]
    pub fn close(&self) {
        self.shared.close();
    }
}

pub struct RenderChunkTask {
    shared: std::sync::Arc<render::Stream>,
    ticket: u64,
}

impl<'task> ScopedTask<'task> for RenderChunkTask {
    /// The next piece (None at the end), or the domain error.
    type Output = Result<Option<Vec<u8>>, CoreError>;
    type JsValue = Option<BufferSlice<'task>>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let (shared, ticket) = (&self.shared, self.ticket);
        // AsyncTask has no unwind guard of its own.
        Ok(caught(|| match shared.piece(ticket) {
            // Closed while this piece rendered: nobody reads it.
            Ok(Some(piece)) if shared.is_closed() => {
                buffer_pool::give(piece);
                Ok(None)
            }
            Ok(piece) => Ok(piece),
            Err(e) => Err(CoreError::Panic { detail: format!("gzip failed: {e}") }),
        }))
    }

    fn resolve(&mut self, env: &'task Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        match output {
            Ok(Some(body)) => to_js_buffer(env, body).map(Some),
            Ok(None) => Ok(None),
            Err(err) => Err(napi::Error::from(JsError::from(map_error(err)).into_unknown(*env))),
        }
    }
}

/// renderStream: starts a render of a registry that `RenderStream.next()` hands out piece by piece,
/// so a scrape's first bytes leave before the render ends and no memory holds the whole body
/// (gzipped as it goes if asked), leaving out the families in `exclude`.
#[napi(catch_unwind)]
pub fn render_stream(registry: String, openmetrics: bool, gzip: bool, exclude: Vec<u32>) -> RenderStream {
    let format = if openmetrics { Format::OpenMetrics } else { Format::Text };
    let stream = render::Stream::new(registry::registry(&registry), format, &exclude, gzip);
    RenderStream { shared: std::sync::Arc::new(stream) }
}

/// What the render pool holds now (`renderPoolStats`); for tests.
#[napi(object)]
pub struct RenderPoolStats {
    /// Bytes of buffers kept for reuse.
    pub kept_bytes: f64,
    /// Renders in progress.
    pub renders: u32,
    /// Bodies and pieces handed to JS and not given back yet.
    pub lent: u32,
    /// The most bytes kept between scrapes.
    pub idle_keep_bytes: f64,
}

/// renderPoolStats: what the render pool holds now; between scrapes, at most `idleKeepBytes` (tests).
#[napi(catch_unwind)]
pub fn render_pool_stats() -> RenderPoolStats {
    let (kept, renders, lent) = buffer_pool::stats();
    RenderPoolStats { kept_bytes: kept as f64, renders: renders as u32, lent: lent as u32, idle_keep_bytes: buffer_pool::IDLE_KEEP_BYTES as f64 }
}

/// contentTypes: `[text 0.0.4, OpenMetrics 1.0.0]` content types, as the renderer writes them.
#[napi(catch_unwind)]
pub fn content_types() -> Vec<String> {
    vec![format::TEXT_CONTENT_TYPE.to_string(), format::OPENMETRICS_CONTENT_TYPE.to_string()]
}

/// triggerPanic: panics inside the core, to prove a panic becomes a JS error (tests only).
#[napi(catch_unwind)]
pub fn trigger_panic() -> napi::Result<(), ErrorCode> {
    guarded(|| -> Result<(), CoreError> { panic!("deliberate panic for tests") })
}
