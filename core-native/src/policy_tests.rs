//! The label policy end to end in the core: folding never loses counts, top-N picks heavy
//! hitters, the series cap overflows into one series, and TTL eviction revives on demand.

use crate::definition::{Definition, Kind, Limits};
use crate::record;
use crate::handle::{self, FOLDED};
use crate::definition::LabelRule;
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

/// Records `n` samples of `value` for `labels` the way JS does: bind, then recordFolded when the
/// binding says FOLDED alone (top-N folds it now), else buffered apply with the handle (without
/// the FOLDED bit a shared fold carries).
fn record(family: u32, thread: u32, labels: &[&str], value: f64, n: usize) {
    let labels: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
    for _ in 0..n {
        let h = registry::bind(family, &labels).unwrap();
        if h == FOLDED {
            record::record_folded(family, thread, &labels, value).unwrap();
        } else {
            record::apply(thread, &[(h & !FOLDED) as f64, value]);
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
fn shared_folds_carry_the_folded_bit_with_their_handle() {
    let rule = LabelRule { allow: Some(vec!["main".into()]), ..Default::default() };
    let f = define("p-shared", Kind::Counter, &["cache", "id"], Limits { rules: vec![rule, LabelRule::default()], max_series: 2, ..Default::default() });
    let l = |a: &str, b: &str| vec![a.to_string(), b.to_string()];
    let own = registry::bind(f, &l("main", "1")).unwrap();
    assert_eq!(own & FOLDED, 0);
    // An allowlist miss: the __other__ series, flagged so JS does not cache it per raw value.
    let miss = registry::bind(f, &l("evil", "1")).unwrap();
    assert_eq!(miss & FOLDED, FOLDED);
    assert_eq!(registry::bind(f, &l("evil-2", "1")).unwrap(), miss);
    // Past the cap: the overflow series, flagged too.
    let over = registry::bind(f, &l("main", "2")).unwrap();
    assert_eq!(over & FOLDED, FOLDED);
    assert_ne!(over & !FOLDED, 0);
    assert_eq!(record::bind_and_record(f, 1, &l("main", "3"), 2.0, false).unwrap(), over);
    assert!(values(f).contains(&(vec!["__overflow__".to_string(), "__overflow__".to_string()], 2.0)));
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

/// Runs `f` with the core's clock fixed for this test's thread (tests run in parallel threads).
struct ManualClock;

impl ManualClock {
    fn at(ms: u64) -> ManualClock {
        crate::clock::set_thread_manual(Some(ms));
        ManualClock
    }

    fn set(&self, ms: u64) {
        crate::clock::set_thread_manual(Some(ms));
    }
}

impl Drop for ManualClock {
    fn drop(&mut self) {
        crate::clock::set_thread_manual(None);
    }
}

fn text(reg: &str) -> String {
    String::from_utf8(render(registry::registry(reg), Format::Text, &[])).unwrap()
}

#[test]
fn a_demoted_series_stays_for_its_demoted_ttl_then_leaves_and_its_memory_is_reused() {
    let clock = ManualClock::at(0);
    let rule = LabelRule { top_n: Some(2), hysteresis: 0.25, demoted_ttl_ms: Some(5000), ..Default::default() };
    let f = define(
        "p-demoted",
        Kind::Counter,
        &["org", "route"],
        Limits { rules: vec![rule, LabelRule::default()], rerank_interval_ms: 1000, ..Default::default() },
    );
    let l = |org: &str, route: &str| vec![org.to_string(), route.to_string()];
    // "a" and "b" take the two free places; JS caches their handles.
    let a = registry::bind(f, &l("a", "/")).unwrap();
    let b = registry::bind(f, &l("b", "/")).unwrap();
    assert_eq!(a & FOLDED, 0);
    record::apply(1, &[a as f64, 10.0, b as f64, 10.0]);
    let mut recorded = 20.0;
    // "c" sends 100/s (folded until admitted), "a" 50/s, "b" nothing: "b" loses its place to "c".
    let family = registry::family(f).unwrap();
    let demoted = || family.topn_changes(0, crate::family::TopNChange::Demoted);
    // Steps the clock 10 ms at a time to `to`, recording "c" and "a", re-ranking every second.
    let run = |from: u64, to: u64, recorded: &mut f64, stop: &dyn Fn() -> bool| -> Option<u64> {
        for ms in (from..=to).step_by(10) {
            clock.set(ms);
            record(f, 1, &["c", "/"], 1.0, 1);
            *recorded += 1.0;
            if ms % 20 == 0 {
                record::apply(1, &[a as f64, 1.0]);
                *recorded += 1.0;
            }
            if ms % 1000 == 0 {
                registry::maintain("p-demoted").unwrap();
                if stop() {
                    return Some(ms);
                }
            }
        }
        None
    };
    let demoted_at = run(10, 4000, &mut recorded, &|| demoted() > 0).expect("b demoted within 4 re-ranks");
    assert_eq!(demoted(), 1);
    assert_eq!(family.topn_changes(0, crate::family::TopNChange::Admitted), 1);
    assert_eq!(family.demoted_count(), 1);
    // Still exposed with its final value; new samples of "b" go to __other__ at once, also through
    // the handle JS cached, and resolving that handle tells JS to drop it.
    let get = |org: &str| values(f).into_iter().find(|(v, _)| v[0] == org).map(|(_, n)| n);
    assert_eq!(get("b"), Some(10.0));
    let other = get("__other__").unwrap_or(0.0);
    record::apply(1, &[b as f64, 3.0]);
    record(f, 1, &["b", "/"], 2.0, 1);
    recorded += 5.0;
    assert_eq!(get("b"), Some(10.0));
    assert_eq!(get("__other__"), Some(other + 5.0));
    assert_eq!(registry::resolve(f, &[a, b]).unwrap(), vec![a, 0]);
    assert_eq!(total(f), recorded);
    // Exposed until demotedTtl after the demotion, then it leaves the exposition (its 10 with it).
    run(demoted_at + 10, demoted_at + 4000, &mut recorded, &|| false);
    assert_eq!(get("b"), Some(10.0));
    clock.set(demoted_at + 4999);
    registry::maintain("p-demoted").unwrap();
    assert_eq!(get("b"), Some(10.0));
    clock.set(demoted_at + 5000);
    registry::maintain("p-demoted").unwrap();
    assert_eq!(get("b"), None);
    assert_eq!(family.demoted_count(), 0);
    assert_eq!(family.retired_count(), 1);
    assert_eq!(total(f), recorded - 10.0);
    // A sample on the stale handle does not bring "b" back: it is folded (and ranked) as "b".
    record::apply(1, &[b as f64, 1.0]);
    recorded += 1.0;
    assert_eq!(get("b"), None);
    assert_eq!(total(f), recorded - 10.0);
    // The next new series takes the retired series' memory.
    let fresh = registry::bind(f, &l("a", "/new")).unwrap();
    assert_eq!(handle::slot(fresh), handle::slot(b));
    assert_eq!(family.retired_count(), 0);
    let text = text("p-demoted");
    assert!(text.contains("metricore_topn_changes_total{family=\"m\",label=\"org\",change=\"admitted\"} 1\n"), "{text}");
    assert!(text.contains("metricore_topn_changes_total{family=\"m\",label=\"org\",change=\"demoted\"} 1\n"), "{text}");
    assert!(text.contains("metricore_topn_threshold{family=\"m\",label=\"org\"} "), "{text}");
}

#[test]
fn bursts_then_quiet_are_exposed_within_two_reranks_and_series_stay_bounded() {
    // The stream: each phase, 5 new orgs send 6,000 builds each over 1.5 s, then go quiet
    // until the next phase 4 s later; topN 5, re-rank 1 s, demotedTtl 3 s.
    let clock = ManualClock::at(0);
    let rule = LabelRule { top_n: Some(5), hysteresis: 0.25, demoted_ttl_ms: Some(3000), ..Default::default() };
    let f = define("p-bursts", Kind::Histogram, &["org"], Limits { rules: vec![rule], rerank_interval_ms: 1000, ..Default::default() });
    let mut next_rerank = 1000u64;
    let mut series_over_time = Vec::new();
    // Moves the clock to `t`, running the upkeep at every whole second passed.
    let mut tick_to = |t: u64, series_over_time: &mut Vec<usize>| {
        while next_rerank <= t {
            clock.set(next_rerank);
            registry::maintain("p-bursts").unwrap();
            series_over_time.push(values(f).len());
            next_rerank += 1000;
        }
        clock.set(t);
    };
    let mut recorded = 0.0;
    for phase in 0..6u64 {
        let orgs: Vec<String> = (0..5).map(|i| format!("burst{phase}-{i}")).collect();
        let start = phase * 4000 + 300;
        let mut exposed_at = None;
        for i in 0..6000u64 {
            let t = start + i * 1500 / 6000;
            tick_to(t, &mut series_over_time);
            for org in &orgs {
                record(f, 1, &[org], 0.5, 1);
            }
            recorded += 5.0;
            if exposed_at.is_none() {
                let exposed = values(f);
                if orgs.iter().all(|o| exposed.iter().any(|(v, _)| &v[0] == o)) {
                    exposed_at = Some(t);
                }
            }
        }
        let exposed_at = exposed_at.unwrap_or_else(|| panic!("phase {phase}: the burst's orgs were never exposed"));
        let reranks = exposed_at / 1000 - start / 1000;
        assert!(if phase == 0 { exposed_at == start } else { reranks <= 2 }, "phase {phase}: exposed {reranks} re-ranks after the burst began");
        tick_to((phase + 1) * 4000, &mut series_over_time);
    }
    // At most N + 1 + the demotions within demotedTtl (one set of 5 at a time) ever exposed, and
    // the last phase's orgs hold the places.
    assert!(series_over_time.iter().all(|&n| n <= 5 + 1 + 5), "{series_over_time:?}");
    assert!(*series_over_time.iter().max().unwrap() > 6, "demoted series stay exposed for a while: {series_over_time:?}");
    let exposed: Vec<String> = values(f).into_iter().map(|(v, _)| v[0].clone()).collect();
    assert!((0..5).all(|i| exposed.contains(&format!("burst5-{i}"))), "{exposed:?}");
    assert!(total(f) <= recorded);
    assert!(registry::family(f).unwrap().tracked_values() <= 100);
}
