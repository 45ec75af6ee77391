//! One series: its family, its label prefix prepared once at binding time, and its cells.

use crate::counter::CounterCell;
use crate::family::Family;
use crate::gauge::GaugeCell;
use crate::histogram::HistogramCells;
use std::sync::Arc;

pub enum Cells {
    Counter(CounterCell),
    Gauge(GaugeCell),
    Histogram(HistogramCells),
}

pub struct Series {
    pub family: &'static Family,
    /// Escaped `name="value",...` pairs without braces, written verbatim on every scrape.
    pub labels: Arc<str>,
    pub cells: Cells,
}
