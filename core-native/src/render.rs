//! Exposition: Prometheus text 0.0.4 and OpenMetrics 1.0.0, written into one byte buffer.
//!
//! Label values were escaped once when interned (label_values.rs); `le` values once per family.
//! Per series we only copy bytes and format numbers (10k series x 20 buckets: ~3 ms, see benchmarks/).

use crate::family::Family;
use crate::label_values::LabelValues;
use crate::format::{family_name, write_f64, write_header, write_sample_start, write_u64, Format};
use crate::registry::Registry;
use crate::self_metrics;
use crate::series::{Cells, Series};

thread_local! {
    /// Reused per series: its label value ids and its `name="value",...` text.
    static LABELS: std::cell::RefCell<(Vec<u32>, Vec<u8>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
    /// Reused per histogram series: the start its `_bucket` lines share, `name_bucket{labels,le="`.
    static BUCKET_START: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Renders one series; a series retired since the family's list was taken is left out.
fn render_series(out: &mut Vec<u8>, family: &Family, name: &str, series: &Series, format: Format, values: &LabelValues) {
    LABELS.with_borrow_mut(|(ids, text)| {
        if !series.read_key(ids) {
            return;
        }
        text.clear();
        values.write_pairs(ids.iter().copied(), text);
        // Label names and escaped values are UTF-8, so this never falls back.
        let labels = std::str::from_utf8(text).unwrap_or("");
        render_cells(out, family, name, series, format, labels);
    })
}

fn render_cells(out: &mut Vec<u8>, family: &Family, name: &str, series: &Series, format: Format, labels: &str) {
    let name = name.as_bytes();
    match series.cells() {
        Cells::Counter(c) => {
            let suffix: &[u8] = if format == Format::OpenMetrics { b"_total" } else { b"" };
            write_sample_start(out, name, suffix, labels);
            write_f64(out, c.get());
            out.push(b'\n');
        }
        Cells::Gauge(g) => {
            write_sample_start(out, name, b"", labels);
            write_f64(out, g.get());
            out.push(b'\n');
        }
        Cells::Histogram(h) => {
            let snap = h.snapshot();
            let mut cumulative = 0u64;
            // A bucket line is two copies, the series' shared start (built once per series) and the
            // bucket's prepared `le` tail, then the count; seven small copies per line before. A 10k-series
            // plain renderStream in process: median 5.4 against 6.2 ms, min 4.5 against 5.0 ms (five
            // alternating runs of 30 renders, each pair 6-30% faster, load 3.3; memmove was 18% of the render).
            BUCKET_START.with_borrow_mut(|start| {
                start.clear();
                start.extend_from_slice(name);
                start.extend_from_slice(b"_bucket{");
                if !labels.is_empty() {
                    start.extend_from_slice(labels.as_bytes());
                    start.push(b',');
                }
                start.extend_from_slice(b"le=\"");
                for (count, tail) in snap.buckets.iter().zip(&family.le_tails) {
                    cumulative += count;
                    out.extend_from_slice(start);
                    out.extend_from_slice(tail);
                    write_u64(out, cumulative);
                    out.push(b'\n');
                }
            });
            write_sample_start(out, name, b"_sum", labels);
            write_f64(out, snap.sum);
            out.push(b'\n');
            write_sample_start(out, name, b"_count", labels);
            write_u64(out, cumulative);
            out.push(b'\n');
        }
    }
}

fn render_family_header(out: &mut Vec<u8>, family: &Family, format: Format) {
    let def = &family.def;
    write_header(out, family_name(&def.name, def.kind, format), &def.help, def.kind, def.unit.as_deref(), format);
}

/// The name samples of `family` carry: in text 0.0.4 a counter's samples carry the name as
/// defined (prom-client's convention), in OpenMetrics the family name plus suffixes.
fn sample_name(family: &Family, format: Format) -> &str {
    let def = &family.def;
    if format == Format::Text {
        def.name.as_str()
    } else {
        family_name(&def.name, def.kind, format)
    }
}

/// How far a `Cursor` got.
enum Stage {
    /// Rendering the family at `family` (its header written once `series` is `Some`).
    Families { family: usize, series: Option<(Vec<&'static Series>, usize)> },
    /// Only the self-metrics (and OpenMetrics' `# EOF`) are left.
    Tail,
    Done,
}

/// A render in progress, resumable between pieces of the body: a scrape renders and sends a
/// piece at a time, so it never holds the whole exposition (a 100k-series body is ~230 MB).
///
/// A family's series list is taken when its first series is rendered and each series' cells are
/// read when it is rendered, so a scrape sees every sample applied before it started (the host
/// applies buffered samples before opening the cursor) and possibly some applied later; each
/// histogram series stays self-consistent (`_count` = `+Inf` = sum of buckets). Series bound
/// after their family was started appear in the next scrape.
pub(crate) struct Cursor {
    registry: &'static Registry,
    format: Format,
    /// Every family at the start (the self-metrics cover them all).
    families: Vec<&'static Family>,
    /// Families whose collector failed this scrape: left out.
    exclude: Vec<u32>,
    stage: Stage,
    written: usize,
    /// Keeps the render pool's buffers while this render is in progress (buffer_pool.rs).
    _lease: crate::buffer_pool::Lease,
}

impl Cursor {
    pub(crate) fn new(registry: &'static Registry, format: Format, exclude: &[u32]) -> Cursor {
        Cursor { registry, format, families: registry.families(), exclude: exclude.to_vec(), stage: Stage::Families { family: 0, series: None }, written: 0, _lease: crate::buffer_pool::lease() }
    }

    /// The size of the last complete body of this registry (a hint for buffer sizes).
    pub(crate) fn last_body_bytes(&self) -> usize {
        self.registry.last_render_bytes.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }

    /// Appends the next part of the body to `out` until `out` holds at least `limit` bytes (it
    /// stops after the series that crosses it) or the body is complete. Returns true when complete.
    pub(crate) fn fill(&mut self, out: &mut Vec<u8>, limit: usize) -> bool {
        let start = out.len();
        loop {
            if out.len() >= limit {
                break;
            }
            match &mut self.stage {
                Stage::Families { family, series } => {
                    let Some(&current) = self.families.get(*family) else {
                        self.stage = Stage::Tail;
                        continue;
                    };
                    if self.exclude.contains(&current.id) {
                        *family += 1;
                        continue;
                    }
                    let (list, next) = series.get_or_insert_with(|| {
                        render_family_header(out, current, self.format);
                        (current.series(), 0)
                    });
                    let name = sample_name(current, self.format);
                    let values = current.label_values();
                    while *next < list.len() && out.len() < limit {
                        render_series(out, current, name, list[*next], self.format, &values);
                        *next += 1;
                    }
                    if *next == list.len() {
                        *family += 1;
                        *series = None;
                    }
                }
                Stage::Tail => {
                    self_metrics::render(out, &self.families, self.format);
                    if self.format == Format::OpenMetrics {
                        out.extend_from_slice(b"# EOF\n");
                    }
                    self.stage = Stage::Done;
                }
                Stage::Done => break,
            }
        }
        self.written += out.len() - start;
        if self.is_done() {
            self.registry.last_render_bytes.store(self.written, std::sync::atomic::Ordering::Relaxed);
        }
        self.is_done()
    }
}

/// Renders every family of `registry` except those in `exclude` (families whose collector
/// failed this scrape), then the core's self-metrics, in `format`, into one buffer.
pub(crate) fn render(registry: &'static Registry, format: Format, exclude: &[u32]) -> Vec<u8> {
    let mut cursor = Cursor::new(registry, format, exclude);
    // Sized from the last render of this registry, so the body is written without regrowing.
    let hint = cursor.last_body_bytes();
    let mut out = crate::buffer_pool::take((hint + hint / 8).max(64 * 1024));
    loop {
        let limit = out.len() + CHUNK_BYTES;
        if cursor.fill(&mut out, limit) {
            return out;
        }
        yield_cpu();
    }
}

/// YIELD_BYTES: text rendered or compressed between two `yield_cpu` calls (~0.15 ms of gzip).
const YIELD_BYTES: usize = 256 << 10;

/// Offers the CPU to another runnable thread, such as the JS thread woken by a timer or a socket.
/// Renders run on the libuv pool; Linux lets a running thread finish its slice (several ms) before
/// a thread that woke up on the same CPU gets it, so on a busy 2-core machine the event loop waited
/// behind the compressing pool thread. Yielding every 256 KiB of text took the worst event-loop
/// block of a 10k-series gzip scrape over HTTP from 2.9-4.1 ms to 1.4-2.4 ms (median of 14, three
/// interleaved A/B runs, load 6-7) and the JS thread's time runnable-but-waiting from 4.3-9.1 ms
/// to 2.7-4.3 ms, at the same total time. A yield with nothing else runnable costs a syscall (~1 µs).
fn yield_cpu() {
    std::thread::yield_now();
}

/// Compresses `text` in `YIELD_BYTES` parts, yielding the CPU between them (see `yield_cpu`).
fn compress_all<W: std::io::Write>(encoder: &mut flate2::write::GzEncoder<W>, text: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    for part in text.chunks(YIELD_BYTES) {
        encoder.write_all(part)?;
        yield_cpu();
    }
    Ok(())
}

/// CHUNK_BYTES: the text a chunked render produces per piece (1 MiB: the body writer's slice,
/// so one chunk is one write; see packages/framework/src/body-writer.ts).
pub(crate) const CHUNK_BYTES: usize = 1 << 20;
/// GZIP_TEXT_BYTES: the text behind one gzip piece. Each gzip piece is compressed on its own
/// (an independent run of deflate blocks, see `Stream`), so two pieces compress at once on two
/// pool threads. 1 MiB, the size of a plain piece, so both kinds reuse the same pooled buffers:
/// with 2 MiB the pool's buffers grew and a 100k-series gzip scrape left resident memory 18.0 MiB
/// above its level (10.7 MiB before, the target is 16 MiB; load 3.6-6). Restarting the dictionary
/// every 1 MiB costs 0.25% of the gzipped size (10k series: 1,586,126 against 1,582,077 bytes).
const GZIP_TEXT_BYTES: usize = 1 << 20;

/// A body rendered piece by piece into pooled buffers, optionally gzipped, shared by the tasks
/// that produce its pieces on the libuv pool.
///
/// Each piece has a ticket, taken in order on the JS thread (`take_ticket`); `piece(ticket)` may
/// run for several tickets at once on different threads. The text is rendered in ticket order
/// under the lock (fast: ~0.25 ms per MiB); the compression, most of a gzip scrape's CPU, runs
/// outside it, so consecutive pieces compress in parallel. A gzip body is one gzip member whose
/// deflate stream is the concatenation of every piece's blocks: each piece is compressed by a
/// reset compressor and ends with a sync flush (byte-aligned, not final), the last one with the
/// final block, then the trailer's CRC-32 (the pieces' CRCs combined in ticket order) and length.
/// This is how pigz compresses in parallel; any gzip reader sees one ordinary stream.
pub(crate) struct Stream {
    state: std::sync::Mutex<StreamState>,
    /// Signalled whenever a turn advances.
    turn: std::sync::Condvar,
    gzip: bool,
    tickets: std::sync::atomic::AtomicU64,
    closed: std::sync::atomic::AtomicBool,
}

struct StreamState {
    /// The render; `None` once the text is complete, or the stream was closed or failed.
    cursor: Option<Cursor>,
    /// The ticket whose text is rendered next.
    render_turn: u64,
    /// The ticket whose CRC is combined next (gzip).
    crc_turn: u64,
    /// CRC-32 and length of the text of every piece combined so far (gzip).
    crc: flate2::Crc,
    /// Compressors of finished pieces, reset and reused (their tables are ~300 KiB of memory each).
    spare: Vec<flate2::Compress>,
}

/// Locks, recovering from a panic in another task (the state stays consistent: see `Turns`).
fn lock(m: &std::sync::Mutex<StreamState>) -> std::sync::MutexGuard<'_, StreamState> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Advances a ticket's turns if its task ends early (panic or error), so later tickets never wait forever.
struct Turns<'a> {
    stream: &'a Stream,
    ticket: u64,
    rendered: bool,
    combined: bool,
}

impl Drop for Turns<'_> {
    fn drop(&mut self) {
        if self.rendered && self.combined {
            return;
        }
        let s = self.stream;
        let mut st = lock(&s.state);
        if !self.rendered {
            while st.render_turn < self.ticket {
                st = s.turn.wait(st).unwrap_or_else(|e| e.into_inner());
            }
            // The body cannot be completed any more: later pieces end it.
            st.cursor = None;
            st.render_turn = self.ticket + 1;
        }
        if !self.combined {
            while st.crc_turn < self.ticket {
                st = s.turn.wait(st).unwrap_or_else(|e| e.into_inner());
            }
            st.crc_turn = self.ticket + 1;
        }
        drop(st);
        s.turn.notify_all();
    }
}

impl Stream {
    pub(crate) fn new(registry: &'static Registry, format: Format, exclude: &[u32], gzip: bool) -> Stream {
        let state = StreamState { cursor: Some(Cursor::new(registry, format, exclude)), render_turn: 0, crc_turn: 0, crc: flate2::Crc::new(), spare: Vec::new() };
        Stream { state: std::sync::Mutex::new(state), turn: std::sync::Condvar::new(), gzip, tickets: 0.into(), closed: false.into() }
    }

    /// The ticket of the next piece asked for (on the JS thread, in the order of the asks).
    pub(crate) fn take_ticket(&self) -> u64 {
        self.tickets.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Stops the render: later pieces are `None`; the cursor is dropped now unless a task holds the lock.
    pub(crate) fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::Release);
        if let Ok(mut st) = self.state.try_lock() {
            st.cursor = None;
        }
    }

    /// Waits (on a pool thread) until `pick(state)` reaches `ticket`: an earlier ticket's task is
    /// running, since the pool dequeues tasks in order, and a render turn takes ~0.25-0.5 ms.
    fn wait_turn(&self, ticket: u64, pick: fn(&StreamState) -> u64) -> std::sync::MutexGuard<'_, StreamState> {
        let mut st = lock(&self.state);
        while pick(&st) < ticket {
            st = self.turn.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        st
    }

    /// The piece of `ticket`, or `None` once the body was all handed out (or the stream closed).
    /// Safe to run for several tickets at once on different threads.
    pub(crate) fn piece(&self, ticket: u64) -> std::io::Result<Option<Vec<u8>>> {
        let mut turns = Turns { stream: self, ticket, rendered: false, combined: !self.gzip };
        let mut st = self.wait_turn(ticket, |s| s.render_turn);
        let closed = self.is_closed();
        let Some(cursor) = st.cursor.as_mut().filter(|_| !closed) else {
            st.cursor = None;
            st.render_turn = ticket + 1;
            turns.rendered = true;
            drop(st);
            self.turn.notify_all();
            return Ok(None);
        };
        let limit = if self.gzip { GZIP_TEXT_BYTES } else { CHUNK_BYTES };
        let mut text = crate::buffer_pool::take(limit + (64 << 10));
        // Gzip: in YIELD_BYTES steps with a yield between them, as the compression does (a 1 MiB
        // piece renders in ~0.25 ms), as two pool threads share the CPUs with the event loop; the
        // tasks waiting for this turn sleep on the condvar meanwhile. Plain text: in one go, as
        // before pieces were rendered in parallel; yields there measured no better (10k series
        // over HTTP, plain only, load 2.1: 21.0 ms with them, 17.1 without, 20.9 before). Tried
        // again with the curl client (a yield every 64 KiB): the event loop waited behind this
        // thread 0.4 instead of 1.3-1.7 ms per request (perf sched), but neither the worst block
        // nor the total moved beyond the noise of a loaded 2-core VM (80 interleaved requests at
        // load 2.4: worst block 3.08 against 2.75 ms, total 37.3 against 34.0 ms; 100 at load 3.4:
        // 1.91 against 2.07 ms, 25.3 against 26.0 ms), as yields hand the CPU to other processes too.
        let step_bytes = if self.gzip { YIELD_BYTES } else { limit };
        let last = loop {
            let step = (text.len() + step_bytes).min(limit);
            if cursor.fill(&mut text, step) {
                break true;
            }
            if text.len() >= limit {
                break false;
            }
            yield_cpu();
        };
        if last || self.is_closed() {
            // Done, or closed while this piece rendered (`close` could not take the lock): the
            // cursor's series list goes now, not when the stream is collected.
            st.cursor = None;
        }
        let compressor = if self.gzip { Some(st.spare.pop().unwrap_or_else(|| flate2::Compress::new(gzip_level(), false))) } else { None };
        st.render_turn = ticket + 1;
        turns.rendered = true;
        drop(st);
        self.turn.notify_all();
        let Some(mut compressor) = compressor else {
            return Ok(Some(text));
        };

        // Outside the lock: compress this piece while the next one renders and compresses.
        let mut out = crate::buffer_pool::take(text.len() / 8 + (64 << 10));
        if ticket == 0 {
            out.extend_from_slice(&GZIP_HEADER);
        }
        let mut crc = flate2::Crc::new();
        crc.update(&text);
        let deflated = deflate(&mut compressor, &text, &mut out, last);
        crate::buffer_pool::give(text);
        compressor.reset();

        let mut st = self.wait_turn(ticket, |s| s.crc_turn);
        st.crc.combine(&crc);
        if !last {
            st.spare.push(compressor);
        } else {
            // Every earlier piece's compressor is back (their CRCs came first): freed now, not
            // when the stream is collected, so the end of the scrape hands their memory back too.
            st.spare.clear();
            let (sum, amount) = (st.crc.sum(), st.crc.amount());
            out.extend_from_slice(&sum.to_le_bytes());
            out.extend_from_slice(&amount.to_le_bytes());
        }
        st.crc_turn = ticket + 1;
        turns.combined = true;
        drop(st);
        self.turn.notify_all();
        match deflated {
            Ok(()) => Ok(Some(out)),
            Err(e) => {
                crate::buffer_pool::give(out);
                Err(e)
            }
        }
    }
}

/// A gzip member header: deflate, no name, no time, "fast" (XFL 4, as flate2 writes it), unknown OS.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255];

/// Deflates `text` into `out` with a reset compressor, `YIELD_BYTES` at a time (yielding the CPU
/// between them, see `yield_cpu`), then ends with the final block (`last`) or a sync flush.
fn deflate(compressor: &mut flate2::Compress, text: &[u8], out: &mut Vec<u8>, last: bool) -> std::io::Result<()> {
    use flate2::{FlushCompress, Status};
    let mut run = |mut input: &[u8], flush: FlushCompress| -> std::io::Result<()> {
        loop {
            if out.capacity() - out.len() < (32 << 10) {
                out.reserve(256 << 10);
            }
            let before = compressor.total_in();
            let status = compressor.compress_vec(input, out, flush).map_err(std::io::Error::other)?;
            input = &input[(compressor.total_in() - before) as usize..];
            let room_left = out.len() < out.capacity();
            match (status, flush) {
                (Status::StreamEnd, _) => return Ok(()),
                (_, FlushCompress::None) if input.is_empty() => return Ok(()),
                (_, FlushCompress::Sync) if input.is_empty() && room_left => return Ok(()),
                (Status::BufError, _) if room_left => return Err(std::io::Error::other("deflate made no progress")),
                _ => {}
            }
        }
    };
    for part in text.chunks(YIELD_BYTES) {
        run(part, FlushCompress::None)?;
        yield_cpu();
    }
    run(&[], if last { FlushCompress::Finish } else { FlushCompress::Sync })
}

/// GZIP_LEVEL: flate2's fast level, compressed by zlib-rs (core-native/Cargo.toml). A 10k-series
/// x 20-bucket body (25 MB), compressed in 1 MiB writes, thread CPU time, median of 7, three
/// interleaved rounds on our 2-core machine (load 11): miniz_oxide level 1 20.0 ms, 18.8x;
/// zlib-rs level 1 14.6 ms, 15.8x; zlib-rs level 2 20.2 ms, 21.5x. A whole streamed gzip scrape
/// (render + compress) took 18-22 ms of process CPU against 23-24 ms with miniz_oxide (load 12).
/// Compression is most of a gzip scrape's cost, so the faster level wins; the body is ~19% larger
/// on the wire (1.58 MB against 1.33 MB), and decompresses to the same bytes.
fn gzip_level() -> flate2::Compression {
    flate2::Compression::fast()
}

/// Gzips a rendered body (see `gzip_level`).
pub(crate) fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 8), gzip_level());
    compress_all(&mut encoder, body)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::{Definition, Kind};
    use crate::registry;

    fn define(reg: &str, name: &str, kind: Kind, labels: &[&str], bounds: &[f64], unit: Option<&str>) -> u32 {
        registry::define(
            reg,
            Definition {
                name: name.into(),
                help: "Help with \\ and \"quotes\"\nand a newline.".into(),
                unit: unit.map(Into::into),
                kind,
                label_names: labels.iter().map(|s| s.to_string()).collect(),
                bounds: bounds.to_vec(),
            },
        )
        .unwrap()
        .id
    }

    fn text(reg: &str, format: Format) -> String {
        String::from_utf8(render(registry::registry(reg), format, &[])).unwrap()
    }

    #[test]
    fn renders_text_0_0_4() {
        let reg = "render-text";
        let c = define(reg, "jobs_total", Kind::Counter, &["org"], &[], None);
        let h = define(reg, "build_seconds", Kind::Histogram, &[], &[1.0, 2.5], Some("seconds"));
        let s1 = registry::bind(c, &["a\"b".into()]).unwrap();
        let s2 = registry::bind(h, &[]).unwrap();
        crate::record::apply(1, &[s1 as f64, 2.0, s2 as f64, 0.5, s2 as f64, 2.0, s2 as f64, 100.0, s2 as f64, f64::NAN]);
        let out = text(reg, Format::Text);
        let expected = "# HELP build_seconds Help with \\\\ and \"quotes\"\\nand a newline.\n\
# TYPE build_seconds histogram\n\
build_seconds_bucket{le=\"1\"} 1\n\
build_seconds_bucket{le=\"2.5\"} 2\n\
build_seconds_bucket{le=\"+Inf\"} 3\n\
build_seconds_sum 102.5\n\
build_seconds_count 3\n\
# HELP jobs_total Help with \\\\ and \"quotes\"\\nand a newline.\n\
# TYPE jobs_total counter\n\
jobs_total{org=\"a\\\"b\"} 2\n";
        assert!(out.starts_with(expected), "{out}");
        assert!(out.contains("metricore_rejected_samples_total{metric=\"build_seconds\",reason=\"nan\"} 1\n"), "{out}");
        assert!(out.contains("metricore_series{family=\"jobs_total\"} 1\n"));
    }

    #[test]
    fn renders_openmetrics_1_0_0() {
        let reg = "render-om";
        let c = define(reg, "jobs_total", Kind::Counter, &[], &[], None);
        let h = define(reg, "build_seconds", Kind::Histogram, &[], &[1.0], Some("seconds"));
        registry::bind(h, &[]).unwrap();
        let s = registry::bind(c, &[]).unwrap();
        crate::record::apply(1, &[s as f64, 1.0]);
        let out = text(reg, Format::OpenMetrics);
        assert!(out.contains("# TYPE build_seconds histogram\n# UNIT build_seconds seconds\n"), "{out}");
        assert!(out.contains("# HELP jobs Help with \\\\ and \\\"quotes\\\"\\nand a newline.\n# TYPE jobs counter\njobs_total 1\n"), "{out}");
        assert!(out.contains("# TYPE metricore_rejected_samples counter\n"));
        assert!(out.ends_with("# EOF\n"));
    }

    #[test]
    fn excluded_families_are_left_out() {
        let reg = "render-exclude";
        let a = define(reg, "kept", Kind::Gauge, &[], &[], None);
        let b = define(reg, "dropped", Kind::Gauge, &[], &[], None);
        registry::bind(a, &[]).unwrap();
        registry::bind(b, &[]).unwrap();
        let out = String::from_utf8(render(registry::registry(reg), Format::Text, &[b])).unwrap();
        assert!(out.contains("kept 0\n"));
        assert!(!out.contains("# TYPE dropped"));
    }

    /// A registry of `n` two-label histogram series with a few samples each, plus a counter.
    fn big_registry(reg: &str, n: usize) {
        let h = define(reg, "chunk_seconds", Kind::Histogram, &["route", "code"], &[0.01, 0.1, 1.0, 10.0], None);
        let c = define(reg, "chunk_total", Kind::Counter, &["route"], &[], None);
        let mut samples = Vec::new();
        for i in 0..n {
            let s = registry::bind(h, &[format!("/api/v1/projects/{i}/builds"), (200 + i % 5).to_string()]).unwrap();
            samples.extend_from_slice(&[s as f64, (i % 17) as f64 * 0.3, s as f64, 0.05]);
        }
        let s = registry::bind(c, &["/".into()]).unwrap();
        samples.extend_from_slice(&[s as f64, 7.0]);
        crate::record::apply(1, &samples);
    }

    fn all_chunks(reg: &str, format: Format, gzip: bool, exclude: &[u32]) -> Vec<Vec<u8>> {
        let stream = Stream::new(registry::registry(reg), format, exclude, gzip);
        std::iter::from_fn(|| stream.piece(stream.take_ticket()).unwrap()).collect()
    }

    /// Every piece of a stream, asked for `threads` at a time on as many threads (the endpoint
    /// keeps several pieces in flight), in ticket order.
    fn parallel_chunks(reg: &str, format: Format, gzip: bool, threads: usize) -> Vec<Vec<u8>> {
        let stream = Stream::new(registry::registry(reg), format, &[], gzip);
        let mut pieces = Vec::new();
        loop {
            let tickets: Vec<u64> = (0..threads).map(|_| stream.take_ticket()).collect();
            let round: Vec<Option<Vec<u8>>> = std::thread::scope(|scope| {
                let handles: Vec<_> = tickets.iter().rev().map(|&t| scope.spawn({ let stream = &stream; move || stream.piece(t).unwrap() })).collect();
                handles.into_iter().rev().map(|h| h.join().unwrap()).collect()
            });
            let ended = round.iter().any(Option::is_none);
            pieces.extend(round.into_iter().flatten());
            if ended {
                return pieces;
            }
        }
    }

    #[test]
    fn pieces_made_in_parallel_form_the_whole_body() {
        use std::io::Read;
        let reg = "render-chunks-parallel";
        big_registry(reg, 12_000);
        let whole = render(registry::registry(reg), Format::Text, &[]);
        for threads in [2, 3] {
            let plain = parallel_chunks(reg, Format::Text, false, threads);
            assert_eq!(plain.concat(), whole);
            let packed = parallel_chunks(reg, Format::Text, true, threads).concat();
            let mut unpacked = Vec::new();
            flate2::read::GzDecoder::new(&packed[..]).read_to_end(&mut unpacked).unwrap();
            assert_eq!(unpacked, whole, "{threads} threads");
            // One gzip member: the trailer's CRC and length are checked by the decoder above.
            assert!(packed.len() < whole.len() / 8, "{} of {}", packed.len(), whole.len());
        }
    }

    #[test]
    fn a_small_body_is_one_gzip_piece_and_tickets_after_the_end_are_none() {
        use std::io::Read;
        let reg = "render-chunks-small";
        big_registry(reg, 3);
        let stream = Stream::new(registry::registry(reg), Format::Text, &[], true);
        let (a, b, c) = (stream.take_ticket(), stream.take_ticket(), stream.take_ticket());
        let first = stream.piece(a).unwrap().unwrap();
        assert!(stream.piece(b).unwrap().is_none());
        assert!(stream.piece(c).unwrap().is_none());
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(&first[..]).read_to_end(&mut unpacked).unwrap();
        assert_eq!(unpacked, render(registry::registry(reg), Format::Text, &[]));
        let closed = Stream::new(registry::registry(reg), Format::Text, &[], false);
        closed.close();
        assert!(closed.piece(closed.take_ticket()).unwrap().is_none());
    }

    #[test]
    fn chunked_render_equals_the_whole_body_in_both_formats() {
        let reg = "render-chunks";
        big_registry(reg, 12_000);
        for format in [Format::Text, Format::OpenMetrics] {
            let whole = render(registry::registry(reg), format, &[]);
            assert!(whole.len() > 3 * CHUNK_BYTES, "the body spans several chunks ({} bytes)", whole.len());
            let chunks = all_chunks(reg, format, false, &[]);
            assert!(chunks.len() >= 3);
            // Every piece but the last reaches the chunk size and overshoots by less than one series.
            for chunk in &chunks[..chunks.len() - 1] {
                assert!(chunk.len() >= CHUNK_BYTES && chunk.len() < CHUNK_BYTES + 4096, "{}", chunk.len());
            }
            assert_eq!(String::from_utf8(chunks.concat()).unwrap(), String::from_utf8(whole).unwrap());
        }
    }

    #[test]
    fn gzipped_chunks_decompress_to_the_whole_body() {
        use std::io::Read;
        let reg = "render-chunks-gzip";
        big_registry(reg, 12_000);
        let whole = render(registry::registry(reg), Format::OpenMetrics, &[]);
        let chunks = all_chunks(reg, Format::OpenMetrics, true, &[]);
        assert!(chunks.len() >= 2, "{} pieces", chunks.len());
        let packed = chunks.concat();
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(&packed[..]).read_to_end(&mut unpacked).unwrap();
        assert_eq!(unpacked, whole);
    }

    #[test]
    fn chunked_render_leaves_out_excluded_families_and_sees_samples_applied_before_it() {
        let reg = "render-chunks-exclude";
        big_registry(reg, 10);
        let families = registry::registry(reg).families();
        let counter = families.iter().find(|f| f.def.name == "chunk_total").unwrap().id;
        let text = String::from_utf8(all_chunks(reg, Format::Text, false, &[counter]).concat()).unwrap();
        assert!(text.contains("# TYPE chunk_seconds histogram"));
        assert!(!text.contains("# TYPE chunk_total"));
        assert!(text.contains("chunk_seconds_count{route=\"/api/v1/projects/9/builds\",code=\"204\"} 2\n"), "{text}");
        // A stream that is dropped half way leaves the registry as it was.
        let stream = Stream::new(registry::registry(reg), Format::Text, &[], true);
        stream.piece(stream.take_ticket()).unwrap();
        drop(stream);
        assert_eq!(render(registry::registry(reg), Format::Text, &[counter]), text.into_bytes());
    }

    #[test]
    fn gzip_round_trips() {
        use std::io::Read;
        let body = b"metric 1\n".repeat(1000);
        let packed = gzip(&body).unwrap();
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(&packed[..]).read_to_end(&mut unpacked).unwrap();
        assert_eq!(unpacked, body);
        assert!(packed.len() < body.len() / 10);
    }
}
