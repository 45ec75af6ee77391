//! Bucket bound helpers, shaped like prom-client's `exponentialBuckets` / `linearBuckets`.

use crate::errors::CoreError;

fn invalid(detail: String) -> CoreError {
    CoreError::InvalidDefinition { metric: "(buckets)".into(), detail }
}

/// `count` bounds: `start`, `start * factor`, ... (e.g. 1 s to 1 h: start 1, factor 2, count 13).
pub(crate) fn exponential(start: f64, factor: f64, count: u32) -> Result<Vec<f64>, CoreError> {
    if !(start.is_finite() && start > 0.0) {
        return Err(invalid(format!("exponential buckets need a finite start > 0, got {start}")));
    }
    if !(factor.is_finite() && factor > 1.0) {
        return Err(invalid(format!("exponential buckets need a finite factor > 1, got {factor}")));
    }
    if count < 1 {
        return Err(invalid("exponential buckets need a count >= 1, got 0".into()));
    }
    let bounds: Vec<f64> = (0..count as i32).map(|i| start * factor.powi(i)).collect();
    match bounds.iter().find(|b| !b.is_finite()) {
        Some(_) => Err(invalid(format!("exponential buckets overflow: {start} * {factor}^{}", count - 1))),
        None => Ok(bounds),
    }
}

/// `count` bounds: `start`, `start + width`, ...
pub(crate) fn linear(start: f64, width: f64, count: u32) -> Result<Vec<f64>, CoreError> {
    if !start.is_finite() {
        return Err(invalid(format!("linear buckets need a finite start, got {start}")));
    }
    if !(width.is_finite() && width > 0.0) {
        return Err(invalid(format!("linear buckets need a finite width > 0, got {width}")));
    }
    if count < 1 {
        return Err(invalid("linear buckets need a count >= 1, got 0".into()));
    }
    Ok((0..count).map(|i| start + width * i as f64).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_one_second_to_one_hour() {
        let b = exponential(1.0, 2.0, 13).unwrap();
        assert_eq!(b.first(), Some(&1.0));
        assert_eq!(b.last(), Some(&4096.0));
        assert!(exponential(0.0, 2.0, 3).is_err());
        assert!(exponential(1.0, 1.0, 3).is_err());
        assert!(exponential(1.0, 1e300, 5).is_err());
    }

    #[test]
    fn linear_steps() {
        assert_eq!(linear(0.5, 0.5, 4).unwrap(), vec![0.5, 1.0, 1.5, 2.0]);
        assert!(linear(0.0, -1.0, 3).is_err());
        assert!(linear(0.0, 1.0, 0).is_err());
    }
}
