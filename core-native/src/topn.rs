//! Top-N by recent activity with bounded memory: a Space-Saving sketch (Metwally et al.) per label
//! whose counts decay exponentially with elapsed time, re-ranked on an interval with hysteresis so
//! values do not flap in and out between scrapes.
//!
//! - **Bounded memory.** The sketch keeps at most `capacity` values whatever the number of distinct
//!   values offered; an unseen value replaces the least active one that is not admitted and inherits
//!   its count as its error bound.
//! - **Decay by time, not by re-ranks or samples.** Activity halves every `half_life_ms` of elapsed
//!   time (forward decay, Cormode et al. 2009): a sample at time `t` adds `weight · 2^((t − L)/h)` to
//!   its value's count, where `L` is a landmark. Every count shares that scale, so comparing two
//!   counts needs no per-entry work, and the decayed count at `now` is `count · 2^(−(now − L)/h)`.
//!   The landmark moves to `now` at each re-rank (and whenever the scale would grow past 2^64), which
//!   folds the decay into the stored counts lazily. A re-rank skipped or doubled changes nothing.
//! - **Admission.** While fewer than N values are admitted a new value is admitted at once (the first
//!   N seen win until the first re-rank). At a re-rank, candidates are ranked by their *guaranteed*
//!   count (count minus inherited error, i.e. activity the sketch saw itself); a candidate must stand
//!   out from the sketch's noise floor (the count an unseen value would inherit) and beat the weakest
//!   admitted value by the hysteresis factor. So a stream of one-off values never churns the top N.
//! - **Stopped values.** An admitted value with no activity for `STALE_HALF_LIVES` half-lives counts
//!   as 0 at a re-rank: any candidate that stands out takes its place, however heavy it used to be;
//!   and a stopped value is no candidate, so its past activity cannot win its place back.
//!
//! Timing (half-life 2 re-rank intervals, hysteresis 0.25): a burst that outweighs the incumbents'
//! decayed activity is admitted at the first re-rank after it; under steady traffic a value that
//! replaced an incumbent of the same rate is admitted at the third re-rank after the switch (its
//! decayed count passes 1.25× the incumbent's after 2.34 intervals); a value that stopped loses its
//! place to an active candidate within 3 intervals (4 re-ranks).

use std::collections::{HashMap, HashSet};

/// HALF_LIFE_INTERVALS: the half-life of activity, in re-rank intervals, that the label policy uses.
pub const HALF_LIFE_INTERVALS: f64 = 2.0;
/// DEFAULT_HALF_LIFE_MS: the half-life `TopN::new` uses (2 × the default 10 s re-rank interval).
pub const DEFAULT_HALF_LIFE_MS: f64 = 20_000.0;
/// STALE_HALF_LIVES: an admitted value with no activity for this many half-lives counts as 0 at a re-rank.
pub const STALE_HALF_LIVES: f64 = 1.5;
/// Scale exponent (in half-lives since the landmark) past which counts are renormalised first:
/// 2^64 keeps every count far from f64's range (2^1023) whatever weights are offered.
const MAX_SCALE_HALF_LIVES: f64 = 64.0;

/// One tracked value. Entries are kept dense so the eviction scan is a tight loop over a small
/// vector; the first version walked a hash map with a set lookup per entry, and recording an unseen
/// org through top-N cost 5.8 µs end to end on our 2-core machine against 2.4 µs with this layout.
/// The scan itself reads `TopN::evict_keys`, a parallel `f64` slice (see there).
#[derive(Debug)]
struct Entry {
    value: Box<str>,
    /// Decayed activity, on the landmark's scale.
    count: f64,
    /// Count inherited from the value this one replaced (an upper bound of its overestimate), same scale.
    error: f64,
    /// When activity was last offered for this value (ms on the caller's clock).
    last_seen_ms: u64,
    admitted: bool,
}

/// TopN: the ranking of one top-N label. Not thread-safe by itself: the family's lock guards it.
/// Memory: at most `capacity` entries plus N admitted values, whatever is offered.
#[derive(Debug)]
pub struct TopN {
    n: usize,
    capacity: usize,
    /// A newcomer replaces the weakest admitted value only when its count exceeds that value's
    /// count by this factor (e.g. 1.25): the hysteresis that stops flapping.
    hysteresis: f64,
    half_life_ms: f64,
    /// The time counts are scaled to (see the module comment).
    landmark_ms: u64,
    /// The latest time the sketch was told about (offers and re-ranks).
    latest_ms: u64,
    entries: Vec<Entry>,
    /// Per entry: its count, or +∞ when admitted (never evicted). The eviction scan for every unseen
    /// value in a full sketch reads this 8-byte-per-entry slice instead of the 48-byte entries: an
    /// unseen value offered into a full 200-value sketch measured 1.07–1.88 µs scanning the entries
    /// and 0.57–0.63 µs scanning this slice (the sketch before time decay: 0.32–0.97 µs), two runs
    /// each on the loaded 2-core machine, release build.
    evict_keys: Vec<f64>,
    index: HashMap<Box<str>, usize>,
    admitted: HashSet<Box<str>>,
    /// The last scale factor computed and its time: offers in the same millisecond skip `exp2`.
    scale_memo: (u64, f64),
}

impl TopN {
    /// TopN::new: a ranking of `n` values with the given hysteresis (0.25 = 25%) and the default
    /// half-life; `with_half_life` sets another.
    pub fn new(n: usize, hysteresis: f64) -> TopN {
        TopN {
            n,
            capacity: (n * 10).max(100),
            hysteresis: 1.0 + hysteresis,
            half_life_ms: DEFAULT_HALF_LIFE_MS,
            landmark_ms: 0,
            latest_ms: 0,
            entries: Vec::new(),
            evict_keys: Vec::new(),
            index: HashMap::new(),
            admitted: HashSet::new(),
            scale_memo: (u64::MAX, 1.0),
        }
    }

    /// with_half_life: the same ranking with activity halving every `half_life_ms` (at least 1 ms).
    pub fn with_half_life(mut self, half_life_ms: f64) -> TopN {
        self.half_life_ms = if half_life_ms.is_finite() { half_life_ms.max(1.0) } else { DEFAULT_HALF_LIFE_MS };
        self
    }

    pub fn is_admitted(&self, value: &str) -> bool {
        self.admitted.contains(value)
    }

    /// Admits `value` at once while fewer than N values are admitted (so a fresh family does not
    /// fold everything until its first re-rank). Returns whether `value` is admitted.
    pub fn admit_if_room(&mut self, value: &str) -> bool {
        if self.admitted.contains(value) {
            return true;
        }
        if self.admitted.len() >= self.n {
            return false;
        }
        self.admitted.insert(value.into());
        // Every admitted value has an entry, so its activity and idleness are always known. Its
        // samples are all reported by its own series, so it starts exact (no inherited error).
        let now = self.latest_ms;
        match self.index.get(value) {
            Some(&i) => {
                let e = &mut self.entries[i];
                e.admitted = true;
                e.count -= e.error;
                e.error = 0.0;
                e.last_seen_ms = e.last_seen_ms.max(now);
                self.evict_keys[i] = f64::INFINITY;
            }
            None => self.insert(value, 0.0, now),
        }
        true
    }

    #[cfg(test)]
    pub fn admitted(&self) -> impl Iterator<Item = &str> {
        self.admitted.iter().map(|s| &**s)
    }

    /// offer_at: adds `weight` of activity for `value` at `now_ms`. O(1), or O(capacity) when an
    /// unseen value enters a full sketch. Non-positive or non-finite weights are ignored.
    pub fn offer_at(&mut self, value: &str, weight: f64, now_ms: u64) {
        if !(weight > 0.0 && weight.is_finite()) {
            return;
        }
        let scaled = weight * self.scale(now_ms);
        self.add(value, scaled, now_ms);
    }

    /// offer_spread: adds `weight` of activity for `value` as if spread evenly over
    /// `[from_ms, to_ms]` (a bound series reports its activity since the last re-rank in one lump;
    /// counting it all at `to_ms` would favour incumbents by up to 2^(interval/half-life)).
    pub fn offer_spread(&mut self, value: &str, weight: f64, from_ms: u64, to_ms: u64) {
        if !(weight > 0.0 && weight.is_finite()) {
            return;
        }
        if to_ms <= from_ms {
            return self.offer_at(value, weight, to_ms);
        }
        let end = self.scale(to_ms);
        // Mean of 2^((t − L)/h) over the span: (end − start) / (span/h · ln 2).
        let span = (to_ms - from_ms) as f64 / self.half_life_ms;
        let start = end * (-span).exp2();
        let mean = (end - start) / (span * std::f64::consts::LN_2);
        self.add(value, weight * mean, to_ms);
    }

    fn add(&mut self, value: &str, scaled: f64, now_ms: u64) {
        if let Some(&i) = self.index.get(value) {
            let e = &mut self.entries[i];
            e.count += scaled;
            e.last_seen_ms = e.last_seen_ms.max(now_ms);
            if !e.admitted {
                self.evict_keys[i] = e.count;
            }
            return;
        }
        self.insert(value, scaled, now_ms);
    }

    /// Inserts an unseen value, replacing the least counted value that is not admitted when the
    /// sketch is full (admitted values keep their place so their ranking is always known).
    fn insert(&mut self, value: &str, scaled: f64, now_ms: u64) {
        let admitted = self.admitted.contains(value);
        if self.entries.len() < self.capacity {
            self.index.insert(value.into(), self.entries.len());
            self.entries.push(Entry { value: value.into(), count: scaled, error: 0.0, last_seen_ms: now_ms, admitted });
            self.evict_keys.push(if admitted { f64::INFINITY } else { scaled });
            return;
        }
        let Some((victim, min)) = self.weakest_unadmitted() else { return };
        // An admitted value's samples all reach its own series: it owes nothing to the victim.
        let inherited = if admitted { 0.0 } else { min };
        let entry = &mut self.entries[victim];
        self.index.remove(&entry.value);
        *entry = Entry { value: value.into(), count: inherited + scaled, error: inherited, last_seen_ms: now_ms, admitted };
        self.evict_keys[victim] = if admitted { f64::INFINITY } else { inherited + scaled };
        self.index.insert(value.into(), victim);
    }

    fn weakest_unadmitted(&self) -> Option<(usize, f64)> {
        let mut victim = None;
        let mut min = f64::INFINITY;
        for (i, &key) in self.evict_keys.iter().enumerate() {
            if key < min {
                min = key;
                victim = Some(i);
            }
        }
        victim.map(|v| (v, min))
    }

    /// The factor a sample at `now_ms` is scaled by: 2^((now − landmark)/half-life). Moves the
    /// landmark first when that would exceed 2^64.
    fn scale(&mut self, now_ms: u64) -> f64 {
        if self.scale_memo.0 == now_ms {
            return self.scale_memo.1;
        }
        self.latest_ms = self.latest_ms.max(now_ms);
        let exponent = (now_ms as f64 - self.landmark_ms as f64) / self.half_life_ms;
        if exponent > MAX_SCALE_HALF_LIVES {
            self.renormalize(now_ms);
            return 1.0;
        }
        let factor = exponent.exp2();
        self.scale_memo = (now_ms, factor);
        factor
    }

    /// Moves the landmark to `now_ms`: every count becomes its decayed value at `now_ms`.
    fn renormalize(&mut self, now_ms: u64) {
        let factor = (-(now_ms as f64 - self.landmark_ms as f64) / self.half_life_ms).exp2();
        for (e, key) in self.entries.iter_mut().zip(&mut self.evict_keys) {
            e.count *= factor;
            e.error *= factor;
            if key.is_finite() {
                *key *= factor;
            }
        }
        self.landmark_ms = now_ms;
        self.scale_memo = (u64::MAX, 1.0);
    }

    /// The decayed activity of `value` at `now_ms` (0 when the sketch does not hold it).
    #[cfg(test)]
    pub fn activity(&self, value: &str, now_ms: u64) -> f64 {
        let decay = (-(now_ms as f64 - self.landmark_ms as f64) / self.half_life_ms).exp2();
        self.index.get(value).map_or(0.0, |&i| self.entries[i].count * decay)
    }

    /// activity_rate: `activity` as an exponentially weighted rate per second (activity · ln 2 / half-life).
    #[cfg(test)]
    pub fn activity_rate(&self, value: &str, now_ms: u64) -> f64 {
        self.activity(value, now_ms) * std::f64::consts::LN_2 * 1000.0 / self.half_life_ms
    }

    /// threshold_rate: the rate per second (as `activity_rate`) a candidate must exceed at a re-rank
    /// to take a place: the weakest admitted value's times the hysteresis, or the sketch's noise floor
    /// when higher (a stopped admitted value counts 0). 0 while there is room.
    pub fn threshold_rate(&self, now_ms: u64) -> f64 {
        let decay = (-(now_ms as f64 - self.landmark_ms as f64) / self.half_life_ms).exp2();
        let to_rate = std::f64::consts::LN_2 * 1000.0 / self.half_life_ms;
        if self.admitted.len() < self.n {
            return 0.0;
        }
        let weakest = self
            .entries
            .iter()
            .filter(|e| e.admitted)
            .map(|e| self.strength(e, now_ms))
            .fold(f64::INFINITY, f64::min);
        let weakest = if weakest.is_finite() { weakest } else { 0.0 };
        (weakest * self.hysteresis).max(self.noise_floor()) * decay * to_rate
    }

    /// The count an admitted value defends its place with: 0 once it stopped, else its count.
    fn strength(&self, e: &Entry, now_ms: u64) -> f64 {
        if self.stopped(e, now_ms) {
            0.0
        } else {
            e.count
        }
    }

    /// Whether a value had no activity for `STALE_HALF_LIVES` half-lives: it neither keeps nor
    /// takes a place, however much it did before.
    fn stopped(&self, e: &Entry, now_ms: u64) -> bool {
        now_ms.saturating_sub(e.last_seen_ms) as f64 >= STALE_HALF_LIVES * self.half_life_ms
    }

    /// The count an unseen value would inherit (the least count of a value not admitted) when the
    /// sketch is full, else 0: a candidate must have seen more than that itself to stand out.
    fn noise_floor(&self) -> f64 {
        if self.entries.len() < self.capacity {
            return 0.0;
        }
        self.weakest_unadmitted().map_or(0.0, |(_, min)| min)
    }

    /// rerank_at: admits the candidates that stand out, each replacing the weakest admitted value
    /// only past the hysteresis factor. Returns the (admitted, demoted) values, each sorted.
    /// O(capacity · log capacity).
    pub fn rerank_at(&mut self, now_ms: u64) -> (Vec<Box<str>>, Vec<Box<str>>) {
        self.latest_ms = self.latest_ms.max(now_ms);
        self.renormalize(now_ms);
        let floor = self.noise_floor();
        // (value, strength) of the admitted values; every admitted value has an entry.
        let mut next: Vec<(Box<str>, f64)> =
            self.entries.iter().filter(|e| e.admitted).map(|e| (e.value.clone(), self.strength(e, now_ms))).collect();
        for v in self.admitted.iter().filter(|v| !self.index.contains_key(&**v)) {
            next.push((v.clone(), 0.0));
        }
        let mut candidates: Vec<(&str, f64)> = self
            .entries
            .iter()
            .filter(|e| !e.admitted && !self.stopped(e, now_ms))
            .map(|e| (&*e.value, e.count - e.error))
            .filter(|&(_, guaranteed)| guaranteed > floor && guaranteed > 0.0)
            .collect();
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        for (candidate, guaranteed) in candidates {
            if next.len() < self.n {
                next.push((candidate.into(), guaranteed));
                continue;
            }
            let (weakest, weakest_count) = next
                .iter()
                .enumerate()
                .min_by(|a, b| a.1 .1.total_cmp(&b.1 .1).then_with(|| b.1 .0.cmp(&a.1 .0)))
                .map(|(i, (_, c))| (i, *c))
                .expect("n > 0");
            if guaranteed <= weakest_count * self.hysteresis {
                // Candidates come strongest first: none of the rest can win either.
                break;
            }
            next[weakest] = (candidate.into(), guaranteed);
        }
        let next_set: HashSet<Box<str>> = next.into_iter().map(|(v, _)| v).collect();
        let mut admitted: Vec<Box<str>> = next_set.difference(&self.admitted).cloned().collect();
        let mut demoted: Vec<Box<str>> = self.admitted.difference(&next_set).cloned().collect();
        admitted.sort();
        demoted.sort();
        self.admitted = next_set;
        for (e, key) in self.entries.iter_mut().zip(&mut self.evict_keys) {
            let now_admitted = self.admitted.contains(&e.value);
            if now_admitted && !e.admitted {
                // From now on its series reports every sample: keep only what it was seen to do.
                e.count -= e.error;
                e.error = 0.0;
            }
            e.admitted = now_admitted;
            *key = if now_admitted { f64::INFINITY } else { e.count };
        }
        (admitted, demoted)
    }

    /// Values currently held by the sketch (bounded by its capacity).
    pub fn tracked(&self) -> usize {
        self.entries.len()
    }

    /// The most values the sketch holds.
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64: a deterministic generator for the streams below.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// A deterministic Zipf-like stream: value i appears about 1/i as often as value 1.
    fn zipf_stream(distinct: usize, len: usize, seed: u64) -> Vec<String> {
        let weights: Vec<f64> = (1..=distinct).map(|i| 1.0 / i as f64).collect();
        let total: f64 = weights.iter().sum();
        let mut cumulative = Vec::with_capacity(distinct);
        let mut acc = 0.0;
        for w in &weights {
            acc += w / total;
            cumulative.push(acc);
        }
        let mut rng = Rng(seed);
        (0..len)
            .map(|_| {
                let u = rng.next();
                let i = cumulative.partition_point(|&c| c < u).min(distinct - 1);
                format!("org{}", i + 1)
            })
            .collect()
    }

    const INTERVAL: u64 = 1000;

    /// A ranking as the label policy makes it for a 1 s re-rank interval.
    fn ranking(n: usize) -> TopN {
        TopN::new(n, 0.25).with_half_life(HALF_LIFE_INTERVALS * INTERVAL as f64)
    }

    fn sorted(top: &TopN) -> Vec<String> {
        let mut v: Vec<String> = top.admitted().map(str::to_string).collect();
        v.sort();
        v
    }

    fn names(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    }

    /// (time, admitted, demoted) of one re-rank.
    type Change = (u64, Vec<Box<str>>, Vec<Box<str>>);

    /// Drives a ranking the way a family does: values are admitted while there is room, samples
    /// are offered at their time, and a re-rank runs at every whole interval.
    struct Sim {
        top: TopN,
        now: u64,
        next_rerank: u64,
        /// (time, admitted, demoted) of every re-rank that changed something.
        changes: Vec<Change>,
        /// Distinct values ever admitted (the series a family would have created).
        ever_admitted: HashSet<String>,
        /// The admitted set after every re-rank.
        history: Vec<(u64, HashSet<String>)>,
    }

    impl Sim {
        fn new(top: TopN) -> Sim {
            Sim { top, now: 0, next_rerank: INTERVAL, changes: Vec::new(), ever_admitted: HashSet::new(), history: Vec::new() }
        }

        /// One sample of `value` at the current time.
        fn sample(&mut self, value: &str, weight: f64) {
            if self.top.admit_if_room(value) {
                self.ever_admitted.insert(value.to_string());
            }
            self.top.offer_at(value, weight, self.now);
        }

        /// Moves the clock to `t`, re-ranking at every interval boundary passed.
        fn advance_to(&mut self, t: u64) {
            while self.next_rerank <= t {
                self.now = self.next_rerank;
                let (admitted, demoted) = self.top.rerank_at(self.now);
                self.ever_admitted.extend(admitted.iter().map(|v| v.to_string()));
                if !admitted.is_empty() || !demoted.is_empty() {
                    self.changes.push((self.now, admitted, demoted));
                }
                self.history.push((self.now, self.top.admitted().map(str::to_string).collect()));
                self.next_rerank += INTERVAL;
            }
            self.now = t;
        }

        /// How many re-ranks after `since` it took until all of `values` were admitted at once.
        fn reranks_until_admitted(&self, since: u64, values: &[String]) -> Option<u64> {
            let (t, _) = self.history.iter().find(|(t, set)| *t > since && values.iter().all(|v| set.contains(v)))?;
            Some(t / INTERVAL - since / INTERVAL)
        }
    }

    #[test]
    fn picks_the_heavy_hitters_of_a_zipf_stream() {
        // 200,000 samples over 100,000 distinct values in 20 s, re-ranked every second.
        let mut sim = Sim::new(ranking(5));
        let stream = zipf_stream(100_000, 200_000, 42);
        for (i, v) in stream.iter().enumerate() {
            sim.advance_to(i as u64 / 10);
            sim.sample(v, 1.0);
        }
        sim.advance_to(20_000);
        assert_eq!(sorted(&sim.top), vec!["org1", "org2", "org3", "org4", "org5"]);
        assert!(sim.top.tracked() <= 100);
        // The first five values seen held the places until the first re-rank, then the heavy
        // hitters took them and kept them: every change happened by the second re-rank.
        assert!(sim.changes.iter().all(|(t, _, _)| *t <= 2 * INTERVAL), "{:?}", sim.changes);
        assert!(sim.ever_admitted.len() <= 10, "{:?}", sim.ever_admitted);
    }

    #[test]
    fn a_shifting_heavy_set_under_steady_traffic_is_followed() {
        // Every 6 s a new set of 5 orgs sends 200 builds/s each and the previous set stops; 20
        // light orgs send 20/s each and 300 one-off orgs arrive every second throughout.
        let mut sim = Sim::new(ranking(5));
        let light = names("light", 20);
        let mut switches = Vec::new();
        for phase in 0..5 {
            let heavy = names(&format!("heavy{phase}-"), 5);
            switches.push((sim.now, heavy.clone()));
            let mut all = heavy.clone();
            all.extend(light.iter().cloned());
            // Light orgs at 20/s: run them as a second steady set within the same ticks.
            let start = sim.now;
            for tick in 0..600u64 {
                sim.advance_to(start + tick * 10);
                for v in &heavy {
                    sim.sample(v, 1.0);
                    sim.sample(v, 1.0);
                }
                if tick % 5 == 0 {
                    for v in &light {
                        sim.sample(v, 1.0);
                    }
                }
                for k in 0..3 {
                    sim.sample(&format!("once-{phase}-{tick}-{k}"), 1.0);
                }
            }
            sim.advance_to(start + 6000);
            assert_eq!(sorted(&sim.top), heavy, "phase {phase}");
        }
        // The first phase's orgs are the first ones seen after the first re-rank; afterwards a
        // set that replaced one of the same rate is admitted by the third re-rank after the switch.
        for (since, heavy) in switches.iter().skip(1) {
            let reranks = sim.reranks_until_admitted(*since, heavy).expect("admitted");
            assert!(reranks <= 3, "admitted {reranks} re-ranks after the switch at {since} ms");
        }
        // One-off orgs never got a place (they cannot stand out from the sketch's noise floor).
        assert!(sim.ever_admitted.iter().all(|v| !v.starts_with("once-") && !v.starts_with("light")), "{:?}", sim.ever_admitted);
        assert!(sim.top.tracked() <= sim.top.capacity());
    }

    #[test]
    fn bursts_followed_by_quiet_are_admitted_within_two_reranks() {
        // The stream: 5 orgs send a burst of 6,000 builds each (within 200 ms), then go
        // quiet; a new set every 3 s; topN 5, re-rank 1 s; 100 one-off orgs per second meanwhile.
        let mut sim = Sim::new(ranking(5));
        for phase in 0..6u64 {
            let start = phase * 3000 + 100;
            sim.advance_to(start);
            let heavy = names(&format!("burst{phase}-"), 5);
            for i in 0..6000u64 {
                sim.advance_to(start + i * 200 / 6000);
                for v in &heavy {
                    sim.sample(v, 1.0);
                }
                if i % 200 == 0 {
                    sim.sample(&format!("once-{phase}-{i}"), 1.0);
                }
            }
            // Quiet but for one-off orgs, until the next phase.
            for k in 0..28u64 {
                sim.advance_to(start + 200 + k * 100);
                sim.sample(&format!("quiet-{phase}-{k}"), 1.0);
            }
            let reranks = sim.reranks_until_admitted(start, &heavy);
            if phase == 0 {
                assert_eq!(sorted(&sim.top), heavy, "the first five seen are admitted at once");
            } else {
                let reranks = reranks.unwrap_or(u64::MAX);
                assert!(reranks <= 2, "phase {phase}: admitted after {reranks} re-ranks: {:?}", sim.changes);
            }
            assert_eq!(sorted(&sim.top), heavy, "phase {phase}");
        }
        // Each phase demoted exactly the previous set: 5 admissions and 5 demotions per switch.
        assert!(sim.changes.iter().all(|(_, a, d)| a.len() == d.len()));
        assert_eq!(sim.changes.iter().map(|(_, a, _)| a.len()).sum::<usize>(), 25);
    }

    #[test]
    fn a_heavy_value_that_stops_entirely_loses_its_place_within_a_few_intervals() {
        // Five orgs at 100/s are admitted; "big" at 5,000/s is admitted too, then stops; "steady"
        // at 50/s (1% of big's rate) must take its place.
        let mut sim = Sim::new(ranking(5));
        let mut admitted = names("org", 4);
        admitted.push("big".into());
        let start = sim.now;
        for tick in 0..1000u64 {
            sim.advance_to(start + tick * 10);
            for v in &admitted[..4] {
                sim.sample(v, 1.0);
            }
            for _ in 0..50 {
                sim.sample("big", 1.0);
            }
            if tick % 2 == 0 {
                sim.sample("steady", 1.0);
            }
        }
        assert!(sim.top.is_admitted("big") && !sim.top.is_admitted("steady"));
        let stopped = sim.now;
        for tick in 0..1000u64 {
            sim.advance_to(stopped + tick * 10);
            for v in &admitted[..4] {
                sim.sample(v, 1.0);
            }
            if tick % 2 == 0 {
                sim.sample("steady", 1.0);
            }
        }
        let (at, a, d) = sim.changes.iter().find(|(_, _, d)| d.iter().any(|v| &**v == "big")).expect("big demoted");
        assert_eq!((a.as_slice(), d.as_slice()), (&[Box::from("steady")][..], &[Box::from("big")][..]));
        let reranks = (at - stopped).div_ceil(INTERVAL);
        // Stale after 1.5 half-lives = 3 intervals, so demoted at the fourth re-rank at the latest.
        assert!(reranks <= 4, "demoted {reranks} re-ranks after it stopped");
        assert!(sim.top.is_admitted("steady") && !sim.top.is_admitted("big"));
        // Its decayed past still outweighs "steady", but a stopped value is no candidate.
        assert_eq!(sim.changes.len(), 1, "{:?}", sim.changes);
    }

    #[test]
    fn a_stable_stream_does_not_flap() {
        // Random arrivals at 100, 90, 80/s for the leaders and 78/s for the runner-up, plus one-off
        // noise, for 5 minutes: after the first re-rank, nothing changes.
        let mut sim = Sim::new(ranking(3));
        for v in ["a", "b", "c"] {
            sim.sample(v, 1.0);
        }
        let mut rng = Rng(7);
        let rates = [("a", 100.0), ("b", 90.0), ("c", 80.0), ("d", 78.0)];
        let total: f64 = rates.iter().map(|r| r.1).sum::<f64>() + 50.0;
        let mut t = 0.0f64;
        let mut id = 0;
        while t < 300_000.0 {
            // Poisson arrivals of the merged stream, each assigned by its rate's share.
            t += -(1.0 - rng.next()).ln() / total * 1000.0;
            sim.advance_to(t as u64);
            let mut pick = rng.next() * total;
            let mut chosen = None;
            for (v, r) in rates {
                if pick < r {
                    chosen = Some(v);
                    break;
                }
                pick -= r;
            }
            match chosen {
                Some(v) => sim.sample(v, 1.0),
                None => {
                    id += 1;
                    sim.sample(&format!("noise{id}"), 1.0);
                }
            }
        }
        assert!(sim.changes.iter().all(|(t, _, _)| *t <= INTERVAL), "{:?}", sim.changes);
        assert_eq!(sorted(&sim.top), vec!["a", "b", "c"]);
    }

    #[test]
    fn a_clear_newcomer_replaces_the_weakest() {
        let mut top = ranking(2);
        for _ in 0..100 {
            top.admit_if_room("a");
            top.admit_if_room("b");
            top.offer_at("a", 1.0, 500);
            top.offer_at("b", 1.0, 500);
        }
        top.rerank_at(1000);
        for _ in 0..100 {
            top.offer_at("a", 1.0, 1500);
            top.offer_at("c", 3.0, 1500);
        }
        let (admitted, demoted) = top.rerank_at(2000);
        assert_eq!(admitted, vec![Box::from("c")]);
        assert_eq!(demoted, vec![Box::from("b")]);
    }

    #[test]
    fn activity_decays_by_elapsed_time_not_by_reranks() {
        let mut often = ranking(2);
        let mut rarely = ranking(2);
        for top in [&mut often, &mut rarely] {
            top.admit_if_room("a");
            top.offer_at("a", 100.0, 0);
            top.offer_spread("a", 100.0, 0, 2000);
        }
        for t in (100..=4000).step_by(100) {
            often.rerank_at(t);
        }
        rarely.rerank_at(4000);
        let (a, b) = (often.activity("a", 4000), rarely.activity("a", 4000));
        assert!((a - b).abs() < 1e-9 * a, "{a} vs {b}");
        // 100 at t=0 has halved twice by t=4000 (half-life 2 s); 100 spread over [0, 2000] is
        // worth 100 · (1 − 1/2) / ln 2 at t=2000, halved once more.
        let expected = 25.0 + 100.0 * 0.5 / std::f64::consts::LN_2 / 2.0;
        assert!((a - expected).abs() < 1e-9 * expected, "{a} vs {expected}");
        // As a rate: activity · ln 2 / 2 s.
        assert!((often.activity_rate("a", 4000) - a * std::f64::consts::LN_2 / 2.0).abs() < 1e-9);
    }

    #[test]
    fn counts_stay_finite_over_a_long_run_without_reranks() {
        let mut top = ranking(1);
        top.admit_if_room("a");
        for hour in 0..200u64 {
            top.offer_at("a", 1e300, hour * 3_600_000);
        }
        let a = top.activity("a", 199 * 3_600_000);
        assert!(a.is_finite() && (a - 1e300).abs() < 1e286, "{a}");
    }

    #[test]
    fn one_off_values_never_displace_the_admitted_ones() {
        // 20 tenants admitted, then 1,000,000 distinct one-off values over 100 s, re-ranked every
        // second: memory stays bounded and no one-off value gets a place, even once the tenants
        // are quiet (they stopped, but nothing that stands out is there to replace them).
        let mut sim = Sim::new(ranking(20));
        let tenants = names("tenant", 20);
        for _ in 0..50 {
            for v in &tenants {
                sim.sample(v, 4.0);
            }
        }
        sim.advance_to(INTERVAL);
        for i in 0..1_000_000u64 {
            sim.advance_to(INTERVAL + i / 10);
            sim.sample(&format!("org{i}"), 1.0);
        }
        assert!(sim.top.tracked() <= 200);
        assert_eq!(sorted(&sim.top), { let mut t = tenants.clone(); t.sort(); t });
        assert!(sim.changes.is_empty(), "{:?}", &sim.changes[..sim.changes.len().min(3)]);
        // The threshold a newcomer must pass is the sketch's noise floor (tenants count 0 now).
        assert!(sim.top.threshold_rate(sim.now) > 0.0);
    }
}
