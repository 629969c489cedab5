//! Wall-clock time in a time zone, shared by post dates, events and the schedule.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// Midnight (or any local time) in `tz`. A time that does not exist because clocks jumped
/// forward is moved forward by the gap; an ambiguous one takes the earlier instant.
pub fn in_zone(naive: NaiveDateTime, tz: Tz) -> DateTime<FixedOffset> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(dt) => dt.fixed_offset(),
        LocalResult::Ambiguous(earliest, _) => earliest.fixed_offset(),
        LocalResult::None => {
            // In a DST gap: try each later minute (gaps are at most a few hours).
            (1..=180)
                .find_map(|m| {
                    tz.from_local_datetime(&(naive + chrono::Duration::minutes(m)))
                        .earliest()
                })
                .map(|dt| dt.fixed_offset())
                .unwrap_or_else(|| naive.and_utc().fixed_offset())
        }
    }
}
