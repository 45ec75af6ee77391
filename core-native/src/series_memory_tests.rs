//! What one series costs in native memory, measured with glibc's own accounting (`mallinfo2`):
//! 100,000 series of the memory benchmark's family (a 20-bucket histogram with labels route,
//! method and code; 25,000 routes, 4 methods, 5 codes), bound and recorded into like JS does.
//! Ignored by default (other tests allocating in parallel would count too); run alone with
//! `cargo test -p metricore-core-native --lib series_memory -- --ignored --nocapture`.

use crate::definition::{Definition, Kind, Limits};
use crate::registry;

#[repr(C)]
#[derive(Default)]
struct Mallinfo2 {
    arena: usize,
    ordblks: usize,
    smblks: usize,
    hblks: usize,
    hblkhd: usize,
    usmblks: usize,
    fsmblks: usize,
    uordblks: usize,
    fordblks: usize,
    keepcost: usize,
}

extern "C" {
    fn mallinfo2() -> Mallinfo2;
}

/// Bytes in use (heap chunks with their headers, plus mmapped blocks) and bytes the heap holds
/// from the system (in use or free).
fn malloc_bytes() -> (usize, usize) {
    // SAFETY: a plain glibc call with no arguments.
    let m = unsafe { mallinfo2() };
    (m.uordblks + m.hblkhd, m.arena + m.hblkhd)
}

#[test]
#[ignore]
fn series_memory_per_histogram_series() {
    const N: usize = 100_000;
    let bounds: Vec<f64> = (0..20).map(|i| format!("{:.6}", 0.001 * 1.6f64.powi(i)).parse().unwrap()).collect();
    let def = Definition {
        name: "series_memory_seconds".into(),
        help: "h".into(),
        unit: None,
        kind: Kind::Histogram,
        label_names: vec!["route".into(), "method".into(), "code".into()],
        bounds,
    };
    let limits = Limits { max_series: 1_000_000, ..Limits::default() };
    let family = registry::define_with_limits("series-memory", def, limits).unwrap().id;
    let methods = ["GET", "POST", "PUT", "DELETE"];
    let labels = |i: usize| vec![format!("/api/v1/projects/{}/builds", i >> 2), methods[i & 3].to_string(), (200 + i % 5).to_string()];
    crate::record::bind_and_record(family, 1, &labels(N + 10), 0.1, false).unwrap();
    let (used0, held0) = malloc_bytes();
    for i in 0..N {
        crate::record::bind_and_record(family, 1, &labels(i), 0.001 * (i % 1000) as f64, false).unwrap();
    }
    let (used1, held1) = malloc_bytes();
    let per = |a: usize, b: usize| (b as f64 - a as f64) / N as f64;
    println!(
        "series memory: {:.0} B/series in use, {:.0} B/series held from the system; Series struct {} B, cells {} B, ids {} B",
        per(used0, used1),
        per(held0, held1),
        std::mem::size_of::<crate::series::Series>(),
        crate::histogram::block_words(21) * 8,
        3 * 4,
    );
    assert_eq!(registry::family(family).unwrap().series_count(), N + 1);
}
