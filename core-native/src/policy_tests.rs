//! The label policy end to end in the core: folding never loses counts, top-N picks heavy
//! hitters, the series cap overflows into one series, and TTL eviction revives on demand.

use crate::definition::{Definition, Kind, Limits};
use crate::record;
use crate::handle::{self, FOLDED};
use crate::policy::LabelRule;
use crate::registry;
use crate::format::Format;
use crate::render::render;
use crate::snapshot::family_values;

fn define(reg: &str, kind: Kind, labels: &[&str], limits: Limits) -> u32 {
    let bounds = if kind == Kind::Histogram { vec![1.0, 10.0] } else { vec![] };
    registry::define_with_limits(
        reg,
        Definition {
            name: "m".into(),
            help: "h".into(),
            unit: None,
            kind,
            label_names: labels.iter().map(|s| s.to_string()).collect(),
            bounds,
        },
        limits,
    )
    .unwrap()
    .id
}

fn values(family: u32) -> Vec<(Vec<String>, f64)> {
    let mut v: Vec<_> = family_values(registry::family(family).unwrap())
        .into_iter()
        .map(|s| (s.label_values, if s.buckets.is_empty() { s.value } else { s.count }))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Records `n` samples of `value` for `labels` the way JS does: bind, then buffered apply or
/// recordFolded when the binding says FOLDED.
fn record(family: u32, thread: u32, labels: &[&str], value: f64, n: usize) {
    let labels: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
    for _ in 0..n {
        let h = registry::bind(family, &labels).unwrap();
        if h & FOLDED != 0 {
            record::record_folded(family, thread, &labels, value).unwrap();
        } else {
            record::apply(thread, &[h as f64, value]);
        }
    }
}

fn total(family: u32) -> f64 {
    values(family).iter().map(|(_, v)| v).sum()
}

#[test]
fn allowlist_folds_into_other_and_keeps_totals() {
    let rule = LabelRule { allow: Some(vec!["main".into()]), ..Default::default() };
    let f = define("p-allow", Kind::Counter, &["cache", "status"], Limits { rules: vec![rule, LabelRule::default()], ..Default::default() });
    record(f, 1, &["main", "hit"], 1.0, 5);
    record(f, 1, &["evil-1", "hit"], 1.0, 3);
    record(f, 1, &["evil-2", "hit"], 1.0, 4);
    assert_eq!(
        values(f),
        vec![(vec!["__other__".into(), "hit".into()], 7.0), (vec!["main".into(), "hit".into()], 5.0)]
    );
    let text = String::from_utf8(render(registry::registry("p-allow"), Format::Text, &[])).unwrap();
    assert!(text.contains("metricore_label_values_folded_total{family=\"m\",label=\"cache\",reason=\"allowlist\"} 7\n"), "{text}");
}

#[test]
fn drop_aggregates_the_label_away() {
    let drop = LabelRule { drop: true, ..Default::default() };
    let f = define("p-drop", Kind::Histogram, &["org", "project"], Limits { rules: vec![LabelRule::default(), drop], ..Default::default() });
    record(f, 1, &["acme", "a"], 0.5, 2);
    record(f, 1, &["acme", "b"], 5.0, 3);
    let text = String::from_utf8(render(registry::registry("p-drop"), Format::Text, &[])).unwrap();
    assert!(text.contains("m_count{org=\"acme\"} 5\n"), "{text}");
    assert!(!text.contains("project="));
}

#[test]
fn max_length_cuts_values() {
    let rule = LabelRule { max_length: Some(4), ..Default::default() };
    let f = define("p-len", Kind::Counter, &["path"], Limits { rules: vec![rule], ..Default::default() });
    record(f, 1, &["/abcdef"], 1.0, 1);
    record(f, 1, &["/abcxyz"], 1.0, 1);
    assert_eq!(values(f), vec![(vec!["/abc".to_string()], 2.0)]);
}

#[test]
fn series_cap_overflows_into_one_series() {
    let f = define("p-cap", Kind::Counter, &["id"], Limits { max_series: 10, ..Default::default() });
    for i in 0..100 {
        record(f, 1, &[&format!("id{i}")], 1.0, 1);
    }
    let v = values(f);
    assert_eq!(v.len(), 11);
    assert!(v.contains(&(vec!["__overflow__".to_string()], 90.0)));
    assert_eq!(total(f), 100.0);
}

#[test]
fn top_n_keeps_heavy_hitters_on_a_skewed_stream_and_loses_nothing() {
    let rule = LabelRule { top_n: Some(3), hysteresis: 0.25, ..Default::default() };
    let f = define(
        "p-topn",
        Kind::Histogram,
        &["org"],
        Limits { rules: vec![rule], rerank_interval_ms: 0, ..Default::default() },
    );
    // Three light values arrive first and take the free places; heavy ones must win them back.
    for org in ["light1", "light2", "light3"] {
        record(f, 1, &[org], 0.5, 1);
    }
    let mut recorded = 3.0;
    for round in 0..5 {
        for (org, n) in [("heavy1", 200), ("heavy2", 150), ("heavy3", 100), ("light1", 1), ("noise", 2)] {
            record(f, 1, &[org], 0.5, n);
            recorded += n as f64;
        }
        for i in 0..50 {
            record(f, 1, &[&format!("scan{round}-{i}")], 0.5, 1);
            recorded += 1.0;
        }
        registry::maintain("p-topn").unwrap();
    }
    // After the re-ranks, new samples of the heavy hitters land in their own series.
    let before: Vec<_> = values(f);
    record(f, 1, &["heavy1"], 0.5, 10);
    record(f, 1, &["light2"], 0.5, 10);
    recorded += 20.0;
    let after = values(f);
    let get = |v: &Vec<(Vec<String>, f64)>, org: &str| v.iter().find(|(l, _)| l[0] == org).map_or(0.0, |(_, c)| *c);
    assert_eq!(get(&after, "heavy1") - get(&before, "heavy1"), 10.0);
    assert_eq!(get(&after, "__other__") - get(&before, "__other__"), 10.0);
    assert_eq!(total(f), recorded);
    assert!(registry::family(f).unwrap().tracked_values() <= 100);
}

#[test]
fn ttl_evicts_idle_series_and_a_stale_handle_revives_it() {
    let f = define("p-ttl", Kind::Counter, &["job"], Limits { ttl_ms: Some(0), ..Default::default() });
    let a = registry::bind(f, &["a".into()]).unwrap();
    record::apply(1, &[a as f64, 2.0]);
    registry::maintain("p-ttl").unwrap(); // touched: stays, idle clock restarts
    std::thread::sleep(std::time::Duration::from_millis(2));
    registry::maintain("p-ttl").unwrap(); // idle past the TTL: evicted
    assert!(values(f).is_empty());
    let text = String::from_utf8(render(registry::registry("p-ttl"), Format::Text, &[])).unwrap();
    assert!(text.contains("metricore_series_evicted_total{family=\"m\"} 1\n"), "{text}");
    // The slot is reused by the next label set...
    let b = registry::bind(f, &["b".into()]).unwrap();
    assert_eq!(handle::slot(b), handle::slot(a));
    assert_ne!(b, a);
    // ...and a sample on the stale handle revives "a" instead of landing on "b".
    record::apply(1, &[a as f64, 1.0, b as f64, 5.0]);
    assert_eq!(values(f), vec![(vec!["a".to_string()], 1.0), (vec!["b".to_string()], 5.0)]);
    let resolved = registry::resolve(f, &[a, b]).unwrap();
    assert_eq!(resolved[1], b);
    assert_ne!(resolved[0], a);
    assert_ne!(resolved[0], 0);
}

#[test]
fn two_threads_recording_through_top_n_lose_nothing() {
    let rule = LabelRule { top_n: Some(5), hysteresis: 0.25, ..Default::default() };
    let f = define("p-threads", Kind::Counter, &["org"], Limits { rules: vec![rule], rerank_interval_ms: 0, ..Default::default() });
    let workers: Vec<_> = (0..2u32)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..20_000u32 {
                    let org = if i % 3 == 0 { format!("org{}", i % 997) } else { format!("org{}", i % 7) };
                    record(f, 10 + t, &[&org], 1.0, 1);
                    if i % 1000 == 0 {
                        registry::maintain("p-threads").unwrap();
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(total(f), 40_000.0);
    assert!(values(f).len() <= 6 + 5 * 2, "{}", values(f).len());
}

#[test]
fn removed_series_leave_the_exposition_and_come_back_when_recorded() {
    let f = define("p-remove", Kind::Gauge, &["pid"], Limits::default());
    let a = registry::bind(f, &["1".into()]).unwrap();
    let b = registry::bind(f, &["2".into()]).unwrap();
    record::apply(1, &[a as f64, 5.0, b as f64, 6.0]);
    assert!(registry::remove(f, &["1".into()]).unwrap());
    assert!(!registry::remove(f, &["1".into()]).unwrap());
    assert_eq!(values(f), vec![(vec!["2".to_string()], 6.0)]);
    // A stale handle revives the series (from zero) rather than writing into nothing.
    record::apply(1, &[a as f64, 1.0, a as f64, 1.0]);
    assert_eq!(values(f), vec![(vec!["1".to_string()], 2.0), (vec!["2".to_string()], 6.0)]);
    registry::clear(f).unwrap();
    assert!(values(f).is_empty());
}
