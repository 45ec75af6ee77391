#![deny(clippy::all)]
//! metricore's native core: metric storage, label interning and exposition, reached from
//! `@metricore/framework` through napi-rs. Exports are free functions with primitive or slice
//! arguments (a `#[napi]` class method pays an unwrap and a global borrow lock per call), and
//! every export catches panics so a bug here surfaces as a JS `Error`, never an abort.

pub mod buckets;
pub mod buffer_pool;
pub mod counter;
pub mod errors;
pub mod family;
pub mod format;
pub mod gauge;
pub mod handle;
pub mod histogram;
pub mod policy;
#[cfg(test)]
mod policy_tests;
pub mod registry;
pub mod render;
pub mod sample_buffer;
pub mod series;
pub mod series_table;
pub mod snapshot;
pub mod topn;

use errors::{map_error, panic_message, CoreError};
use family::{Definition, Kind, Limits, RejectReason};
use napi::bindgen_prelude::{ArrayBuffer, AsyncTask, BufferSlice, Float64ArraySlice, Uint32Array};
use policy::{LabelRule, Weight};
use napi::{Env, ScopedTask};
use napi_derive::napi;
use render::Format;

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

fn guarded<T>(f: impl FnOnce() -> Result<T, CoreError>) -> napi::Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(map_error),
        Err(payload) => Err(map_error(CoreError::Panic { detail: panic_message(payload) })),
    }
}

/// registerThread: a fresh id for the calling JS thread, passed back with every batch it applies.
#[napi(catch_unwind)]
pub fn register_thread() -> u32 {
    registry::register_thread()
}

/// defineFamily: registers a family (or finds the identical one) and returns its id.
/// Throws `[METRICORE_FAMILY_CLASH]` when the name exists with another type, labels or buckets.
#[napi(catch_unwind)]
pub fn define_family(definition: FamilyDefinition) -> napi::Result<u32> {
    guarded(|| {
        let kind = Kind::parse(&definition.kind).ok_or_else(|| CoreError::InvalidDefinition {
            metric: definition.name.clone(),
            detail: format!("unknown type \"{}\"", definition.kind),
        })?;
        let rules = definition
            .label_rules
            .unwrap_or_default()
            .into_iter()
            .map(|r| LabelRule {
                allow: r.allow,
                top_n: r.top_n,
                drop: r.drop.unwrap_or(false),
                max_length: r.max_length,
                hysteresis: r.hysteresis.unwrap_or(0.25),
                weight: r.weight.as_deref().map(|w| if w == "value" { Weight::Value } else { Weight::Samples }),
            })
            .collect();
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
#[napi(catch_unwind)]
pub fn bind_series(family_id: u32, label_values: Vec<String>) -> napi::Result<u32> {
    guarded(|| registry::bind(family_id, &label_values))
}

/// createSampleBuffer: this thread's sample buffer (`pairs` pairs) over native memory; whatever
/// is pending in it when the thread's environment ends is applied by a cleanup hook.
#[napi(catch_unwind)]
pub fn create_sample_buffer(env: Env, thread: u32, pairs: u32) -> napi::Result<Float64ArraySlice<'static>> {
    let buffer = sample_buffer::SampleBuffer::new(pairs.max(1) as usize);
    let for_hook = buffer.clone();
    env.add_env_cleanup_hook(for_hook, move |buffer| {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| buffer.drain(thread)));
    })?;
    let (ptr, len) = (buffer.ptr(), buffer.len());
    // SAFETY: the memory stays alive until both the finalizer and the hook dropped their Arc.
    unsafe { Float64ArraySlice::from_external(&env, ptr, len, buffer, |_, buffer| drop(buffer)) }
}

/// bindAndRecord: binds a label set and records one sample in one call (`set`: a gauge set).
/// Returns the handle to cache, or the FOLDED bit when top-N folds the set right now.
#[napi(catch_unwind)]
pub fn bind_and_record(family_id: u32, thread: u32, label_values: Vec<String>, value: f64, set: bool) -> napi::Result<u32> {
    guarded(|| registry::bind_and_record(family_id, thread, &label_values, value, set))
}

/// applySamples: records the first `length` doubles of `samples` as `(handle, value)` pairs,
/// then zeroes them (a zero handle marks the end of what is pending, see sample_buffer.rs).
/// One call per batch: the crossing (~10 ns) is paid once per up to 1,024 samples.
#[napi(catch_unwind)]
pub fn apply_samples(thread: u32, samples: Float64ArraySlice, length: u32) -> napi::Result<()> {
    // SAFETY: the typed array belongs to the calling JS thread, which is blocked in this call.
    let samples = unsafe { std::slice::from_raw_parts_mut(samples.as_ptr() as *mut f64, samples.len()) };
    guarded(|| {
        let n = (length as usize).min(samples.len()) & !1;
        registry::apply(thread, &samples[..n]);
        samples[..n].fill(0.0);
        Ok(())
    })
}

/// recordFolded: records one sample of a label set that binding answered with the FOLDED bit
/// (top-N folds it right now): its activity counts for the ranking. One napi call per sample.
#[napi(catch_unwind)]
pub fn record_folded(family_id: u32, thread: u32, label_values: Vec<String>, value: f64) -> napi::Result<()> {
    guarded(|| registry::record_folded(family_id, thread, &label_values, value))
}

/// maintain: re-ranks top-N labels and evicts idle series of a registry when due (call ~1/s).
#[napi(catch_unwind)]
pub fn maintain(registry: String) -> napi::Result<()> {
    guarded(|| registry::maintain(&registry))
}

/// resolveHandles: the live handle for each cached handle (0 when evicted), after TTL sweeps.
#[napi(catch_unwind)]
pub fn resolve_handles(family_id: u32, handles: Uint32Array) -> napi::Result<Vec<u32>> {
    guarded(|| registry::resolve(family_id, &handles))
}

/// removeSeries: takes the series of these label values out of the exposition (true if it existed).
/// Recording into it again brings it back from zero.
#[napi(catch_unwind)]
pub fn remove_series(family_id: u32, label_values: Vec<String>) -> napi::Result<bool> {
    guarded(|| registry::remove(family_id, &label_values))
}

/// clearFamily: removes every series of a family.
#[napi(catch_unwind)]
pub fn clear_family(family_id: u32) -> napi::Result<()> {
    guarded(|| registry::clear(family_id))
}

/// trackedValues: how many values a family's top-N sketches hold (bounded; for tests and benchmarks).
#[napi(catch_unwind)]
pub fn tracked_values(family_id: u32) -> napi::Result<u32> {
    guarded(|| Ok(registry::family(family_id)?.tracked_values() as u32))
}

/// countRejected: counts a sample JS dropped itself, under `reason` (e.g. `invalid_labels`).
#[napi(catch_unwind)]
pub fn count_rejected(family_id: u32, reason: String) -> napi::Result<()> {
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
pub fn family_snapshot(family_id: u32) -> napi::Result<Vec<SeriesSnapshot>> {
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
pub fn exponential_buckets(start: f64, factor: f64, count: u32) -> napi::Result<Vec<f64>> {
    guarded(|| buckets::exponential(start, factor, count))
}

/// linearBuckets: `count` bounds from `start`, `width` apart.
#[napi(catch_unwind)]
pub fn linear_buckets(start: f64, width: f64, count: u32) -> napi::Result<Vec<f64>> {
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
    let (ptr, len) = (body.as_mut_ptr(), body.len());
    // SAFETY: `body` is moved into the finalizer, so the memory outlives the JS Buffer.
    unsafe { BufferSlice::from_external(env, ptr, len, body, |_, body| buffer_pool::give(body)) }
}

pub struct RenderTask {
    registry: String,
    openmetrics: bool,
    gzip: bool,
    exclude: Vec<u32>,
}

impl<'task> ScopedTask<'task> for RenderTask {
    type Output = Vec<u8>;
    type JsValue = BufferSlice<'task>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        // AsyncTask has no unwind guard of its own.
        guarded(|| render_bytes(&self.registry, self.openmetrics, self.gzip, &self.exclude))
    }

    fn resolve(&mut self, env: &'task Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        to_js_buffer(env, output)
    }
}

/// render: renders a registry on the libuv pool and resolves a Buffer (gzipped if asked),
/// leaving out the families in `exclude`.
#[napi(catch_unwind)]
pub fn render(registry: String, openmetrics: bool, gzip: bool, exclude: Vec<u32>) -> AsyncTask<RenderTask> {
    AsyncTask::new(RenderTask { registry, openmetrics, gzip, exclude })
}

/// renderSync: the blocking twin of `render`, for tests and tiny registries.
#[napi(catch_unwind)]
pub fn render_sync(env: &Env, registry: String, openmetrics: bool, gzip: bool, exclude: Vec<u32>) -> napi::Result<BufferSlice<'_>> {
    let body = guarded(|| render_bytes(&registry, openmetrics, gzip, &exclude))?;
    to_js_buffer(env, body)
}

/// recycleBody: detaches the ArrayBuffer of a body `render` returned, once it was written out, so
/// its memory goes back to the render pool now instead of when V8 collects it. Only for bodies
/// made by `render`/`renderSync`: their ArrayBuffer is external and no one else views it.
#[napi(catch_unwind)]
pub fn recycle_body(body: ArrayBuffer) -> napi::Result<()> {
    body.detach()
}

/// contentTypes: `[text 0.0.4, OpenMetrics 1.0.0]` content types, as the renderer writes them.
#[napi(catch_unwind)]
pub fn content_types() -> Vec<String> {
    vec![render::TEXT_CONTENT_TYPE.to_string(), render::OPENMETRICS_CONTENT_TYPE.to_string()]
}

/// triggerPanic: panics inside the core, to prove a panic becomes a JS error (tests only).
#[napi(catch_unwind)]
pub fn trigger_panic() -> napi::Result<()> {
    guarded(|| -> Result<(), CoreError> { panic!("deliberate panic for tests") })
}
