//! Finding "the next meetup" date in the wording organisers actually use:
//! "Our next meetup will be on Wednesday 7th April", "The next meetup is on Wednesday 6
//! February", "Join us at the next meetup on Wednesday, April 7th at 6:30pm".

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};

/// A date found in a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProseDate {
    /// The date, with the year inferred when the text has none.
    pub date: NaiveDate,
    /// The weekday the text states, if any (it may disagree with the date).
    pub weekday: Option<Weekday>,
    /// A time of day the text states (`6:30pm`, `18:30`).
    pub time: Option<NaiveTime>,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const WEEKDAYS: [(&str, Weekday); 7] = [
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
];

fn month(word: &str) -> Option<u32> {
    let w = word.to_lowercase();
    if w.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| {
            *m == w || (w.len() == 3 && m.starts_with(&w)) || (w == "sept" && *m == "september")
        })
        .map(|i| i as u32 + 1)
}

fn weekday(word: &str) -> Option<Weekday> {
    let w = word.to_lowercase();
    WEEKDAYS
        .iter()
        .find(|(name, _)| *name == w || (w.len() == 3 && name.starts_with(&w)))
        .map(|(_, d)| *d)
}

/// `7`, `7th`, `21st`, `2nd`, `3rd` -> 7, 21, 2, 3.
fn day(word: &str) -> Option<u32> {
    let lower = word.to_lowercase();
    let digits = lower
        .strip_suffix("st")
        .or_else(|| lower.strip_suffix("nd"))
        .or_else(|| lower.strip_suffix("rd"))
        .or_else(|| lower.strip_suffix("th"))
        .unwrap_or(&lower);
    let n: u32 = digits.parse().ok()?;
    (1..=31).contains(&n).then_some(n)
}

fn year(word: &str) -> Option<i32> {
    (word.len() == 4)
        .then(|| word.parse().ok())
        .flatten()
        .filter(|y| (1990..=2200).contains(y))
}

fn time(words: &[&str]) -> Option<NaiveTime> {
    for (i, w) in words.iter().enumerate() {
        let lower = w.to_lowercase();
        let (body, pm) = if let Some(b) = lower.strip_suffix("pm") {
            (b.to_owned(), Some(true))
        } else if let Some(b) = lower.strip_suffix("am") {
            (b.to_owned(), Some(false))
        } else {
            let next = words.get(i + 1).map(|n| n.to_lowercase());
            match next.as_deref() {
                Some("pm") => (lower.clone(), Some(true)),
                Some("am") => (lower.clone(), Some(false)),
                _ => (lower.clone(), None),
            }
        };
        let (h, m) = match body.split_once([':', '.']) {
            Some((h, m)) => (h.parse::<u32>().ok(), m.parse::<u32>().ok()),
            None if pm.is_some() => (body.parse::<u32>().ok(), Some(0)),
            None => (None, None),
        };
        let (Some(mut h), Some(m)) = (h, m) else {
            continue;
        };
        if pm.is_none() && !body.contains(':') {
            continue;
        }
        match pm {
            Some(true) if h < 12 => h += 12,
            Some(false) if h == 12 => h = 0,
            _ => {}
        }
        if let Some(t) = NaiveTime::from_hms_opt(h, m, 0) {
            return Some(t);
        }
    }
    None
}

/// Finds the first "day month" or "month day" date in `text`. Without a year, it is the first
/// such date on or after `not_before` (so a December post's "8th January" is next January).
pub fn find(text: &str, not_before: NaiveDate) -> Option<ProseDate> {
    let words: Vec<&str> = text
        .split(|c: char| {
            c.is_whitespace()
                || matches!(c, ',' | '(' | ')' | '!' | '?' | ';' | '*' | '_' | '[' | ']')
        })
        .map(|w| w.trim_matches(|c: char| matches!(c, '.' | ':' | '\'' | '"' | '’')))
        .filter(|w| !w.is_empty())
        .collect();
    for (i, w) in words.iter().enumerate() {
        let Some(m) = month(w) else { continue };
        // "7th April" (day before) or "April 7th" (day after).
        let (d, day_index, after) = if let Some(d) = i.checked_sub(1).and_then(|j| day(words[j])) {
            (d, i - 1, i + 1)
        } else if let Some(d) = words.get(i + 1).and_then(|w| day(w)) {
            (d, i + 1, i + 2)
        } else {
            continue;
        };
        let first = day_index.min(i);
        let weekday = first
            .checked_sub(1)
            .and_then(|j| weekday(words[j]))
            .or_else(|| {
                first
                    .checked_sub(2)
                    .filter(|_| words[first - 1].eq_ignore_ascii_case("the"))
                    .and_then(|j| weekday(words[j]))
            });
        let explicit_year = words.get(after).and_then(|w| year(w));
        let date = match explicit_year {
            Some(y) => NaiveDate::from_ymd_opt(y, m, d)?,
            None => {
                let this_year = NaiveDate::from_ymd_opt(not_before.year(), m, d);
                match this_year {
                    Some(date) if date >= not_before => date,
                    _ => NaiveDate::from_ymd_opt(not_before.year() + 1, m, d)?,
                }
            }
        };
        return Some(ProseDate {
            date,
            weekday,
            time: time(&words[i..]).or_else(|| time(&words[..i])),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn organisers_wordings() {
        let post = d(2021, 3, 3);
        let found = find(
            "Our next meetup will be Wednesday 7th April, when we'll be joined by",
            post,
        )
        .unwrap();
        assert_eq!(found.date, d(2021, 4, 7));
        assert_eq!(found.weekday, Some(Weekday::Wed));
        let found = find("The next meetup is on Wednesday 6 February", d(2019, 1, 10)).unwrap();
        assert_eq!(found.date, d(2019, 2, 6));
        let found = find(
            "Join us at the next meetup on Wednesday, April 7th at 6:30pm.",
            post,
        )
        .unwrap();
        assert_eq!(
            (found.date, found.time),
            (d(2021, 4, 7), NaiveTime::from_hms_opt(18, 30, 0))
        );
        let found = find(
            "The next meetup is on Wednesday 8th July: observability.",
            d(2026, 5, 14),
        )
        .unwrap();
        assert_eq!(found.date, d(2026, 7, 8));
        let found = find("next meetup on 7 November", d(2018, 10, 9)).unwrap();
        assert_eq!((found.date, found.weekday), (d(2018, 11, 7), None));
    }

    #[test]
    fn december_posts_roll_into_january() {
        let found = find(
            "Join us at the next meetup on Wednesday 8th January",
            d(2019, 12, 10),
        )
        .unwrap();
        assert_eq!(found.date, d(2020, 1, 8));
    }

    #[test]
    fn explicit_years_are_kept_and_times_parsed() {
        let found = find("on Thursday 3 March 2022 from 18:00", d(2021, 12, 1)).unwrap();
        assert_eq!(
            (found.date, found.time),
            (d(2022, 3, 3), NaiveTime::from_hms_opt(18, 0, 0))
        );
        assert_eq!(
            find("doors at 7pm on 9 Dec", d(2026, 11, 1)).unwrap().time,
            NaiveTime::from_hms_opt(19, 0, 0)
        );
    }

    #[test]
    fn no_date_means_none() {
        assert_eq!(
            find(
                "Looking forward to the next event in August!",
                d(2017, 7, 5)
            ),
            None
        );
        assert_eq!(find("may the force be with you", d(2017, 7, 5)), None);
        assert_eq!(find("", d(2017, 7, 5)), None);
        assert_eq!(find("on 31st February", d(2017, 7, 5)), None);
    }
}
