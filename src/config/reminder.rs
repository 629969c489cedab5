//! `newsletter.reminder`: when the reminder before a meetup goes out.
//!
//! Written as `reminder: false` (or `off`) to turn it off, `true` (or leaving it out) for the
//! default, or a mapping:
//!
//! ```yaml
//! reminder:
//!   days_before: 1    # 0 = on the day of the meetup
//!   time: "09:00"     # in site.timezone
//! ```

use chrono::NaiveTime;
use serde_yaml::Value;

pub use crate::schedule::ReminderSettings;

/// Most days ahead a reminder may be sent: beyond that it is an announcement, not a reminder.
const MAX_DAYS_BEFORE: u64 = 14;

/// Reads `newsletter.reminder` as written (`None` when absent: the default applies). Returns
/// `Ok(None)` when it is turned off, or why it is not understood.
pub fn parse(raw: Option<&Value>) -> Result<Option<ReminderSettings>, String> {
    let expected = "expected `false` (or `off`) to turn it off, or a mapping with `days_before` (0 to 14) and `time` such as `09:00`";
    let Some(raw) = raw else {
        return Ok(Some(ReminderSettings::default()));
    };
    match raw {
        Value::Null | Value::Bool(true) => Ok(Some(ReminderSettings::default())),
        Value::Bool(false) => Ok(None),
        Value::String(word) => match word.trim().to_ascii_lowercase().as_str() {
            "off" | "no" | "false" | "none" => Ok(None),
            "on" | "yes" | "true" => Ok(Some(ReminderSettings::default())),
            _ => Err(format!("{expected}, found `{word}`")),
        },
        Value::Mapping(map) => table(map, expected),
        _ => Err(format!("{expected}, found {}", kind(raw))),
    }
}

fn table(map: &serde_yaml::Mapping, expected: &str) -> Result<Option<ReminderSettings>, String> {
    let mut settings = ReminderSettings::default();
    for (key, value) in map {
        match key.as_str() {
            Some("days_before") => {
                settings.days_before = value
                    .as_u64()
                    .filter(|d| *d <= MAX_DAYS_BEFORE)
                    .and_then(|d| u32::try_from(d).ok())
                    .ok_or_else(|| {
                        format!(
                            "`days_before`: expected a whole number from 0 to {MAX_DAYS_BEFORE}, found {}",
                            kind(value)
                        )
                    })?;
            }
            Some("time") => {
                let text = value.as_str().unwrap_or_default();
                settings.time = NaiveTime::parse_from_str(text.trim(), "%H:%M").map_err(|_| {
                    format!(
                        "`time`: expected a time of day such as `09:00`, found {}",
                        kind(value)
                    )
                })?;
            }
            _ => return Err(format!("{expected}; unknown key {}", kind(key))),
        }
    }
    Ok(Some(settings))
}

/// A value as it would be written, for messages.
fn kind(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        Value::Number(n) => format!("`{n}`"),
        Value::Bool(b) => format!("`{b}`"),
        Value::Null => "nothing".to_owned(),
        Value::Sequence(_) => "a list".to_owned(),
        Value::Mapping(_) => "a mapping".to_owned(),
        Value::Tagged(_) => "a tagged value".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(yaml: &str) -> Result<Option<ReminderSettings>, String> {
        let value: Value = serde_yaml::from_str(yaml).unwrap();
        parse(Some(&value))
    }

    #[test]
    fn on_by_default_and_off_when_asked() {
        let day_before = Some(ReminderSettings::default());
        assert_eq!(parse(None), Ok(day_before));
        assert_eq!(read("true"), Ok(day_before));
        assert_eq!(read("~"), Ok(day_before));
        assert_eq!(read("false"), Ok(None));
        assert_eq!(read("off"), Ok(None));
        assert_eq!(read("Off"), Ok(None));
        assert_eq!(
            day_before.map(|s| (s.days_before, s.time.to_string())),
            Some((1, "09:00:00".to_owned()))
        );
    }

    #[test]
    fn a_mapping_sets_the_day_and_time() {
        let s = read("{days_before: 0, time: \"17:15\"}").unwrap().unwrap();
        assert_eq!((s.days_before, s.time.to_string()), (0, "17:15:00".into()));
        let s = read("{days_before: 2}").unwrap().unwrap();
        assert_eq!((s.days_before, s.time.to_string()), (2, "09:00:00".into()));
    }

    #[test]
    fn nonsense_is_explained() {
        assert!(read("sometimes").unwrap_err().contains("found `sometimes`"));
        assert!(read("{days_before: 30}")
            .unwrap_err()
            .contains("from 0 to 14, found `30`"));
        assert!(read("{days_before: -1}")
            .unwrap_err()
            .contains("found `-1`"));
        assert!(read("{time: \"25:00\"}").unwrap_err().contains("`time`"));
        assert!(read("{at: \"09:00\"}")
            .unwrap_err()
            .contains("unknown key `at`"));
        assert!(read("[1]").unwrap_err().contains("found a list"));
    }
}
