//! Small conversions between Rust values and the plain column types both backends share.

use chrono::{DateTime, Utc};

/// Times are stored as Unix seconds.
pub(crate) fn secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

pub(crate) fn time(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// `$start, $start+1, …` for an `IN (…)` list of `n` values.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}
