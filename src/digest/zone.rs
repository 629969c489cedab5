//! A time stated with a time zone ("11:59 PM (PT)", "7pm UK time", "18:00 UTC+2") is put on
//! the site's clock: converted when the zone is clear, refused when it is not (an ambiguous
//! abbreviation, or one that contradicts the date: "7pm GMT" in July, when London is on BST).
//! It is never relabelled: "11:59 PM PT" is never shown as "23:59 BST".

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Offset, TimeZone};
use chrono_tz::Tz;

use super::vocabulary::{SEASONAL_ZONES, ZONES};
use crate::content::dates::in_zone;

/// How a stated time was put on the site's clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placed {
    /// No zone stated, or the site's own.
    Site,
    /// Converted from the zone written ("PT").
    Converted {
        /// The zone as written, in capitals.
        from: String,
    },
}

/// `utc+2`, `gmt-05:00`, `utc`: a fixed offset written after UTC or GMT.
pub fn fixed_offset(word: &str) -> Option<FixedOffset> {
    let rest = word
        .strip_prefix("utc")
        .or_else(|| word.strip_prefix("gmt"))?;
    let (sign, rest) = match rest.as_bytes().first()? {
        b'+' => (1, &rest[1..]),
        b'-' => (-1, &rest[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let digits = |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m >= 60 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// The start of a meetup on `date` at `time` written in `zone` (lowercase, as
/// [`super::prose_date::ProseDate::zone`] gives it), on the site's clock; or why the time
/// cannot be trusted.
pub fn place(
    date: NaiveDate,
    time: NaiveTime,
    zone: Option<&str>,
    site: Tz,
) -> Result<(DateTime<FixedOffset>, Placed), String> {
    let naive = date.and_time(time);
    let Some(zone) = zone else {
        return Ok((in_zone(naive, site), Placed::Site));
    };
    let shown = zone.to_uppercase();
    let stated: DateTime<FixedOffset> = match fixed_offset(zone) {
        Some(offset) => offset
            .from_local_datetime(&naive)
            .single()
            .ok_or_else(|| format!("{shown} time {naive} cannot be read"))?,
        None => in_named_zone(naive, zone, &shown)?,
    };
    let on_site = stated.with_timezone(&site);
    let placed = if on_site.offset().fix() == stated.offset().fix() {
        Placed::Site
    } else {
        Placed::Converted { from: shown }
    };
    Ok((on_site.fixed_offset(), placed))
}

/// A local time in a zone named by a word ("pt", "bst", "uk time").
fn in_named_zone(
    naive: chrono::NaiveDateTime,
    zone: &str,
    shown: &str,
) -> Result<DateTime<FixedOffset>, String> {
    let word = zone.split(' ').next().unwrap_or(zone);
    let name = ZONES
        .iter()
        .find(|(z, _)| *z == word)
        .ok_or_else(|| format!("the time zone {shown} is not one crier knows"))?
        .1
        .ok_or_else(|| format!("{shown} names more than one time zone"))?;
    let tz: Tz = name
        .parse()
        .map_err(|_| format!("the time zone {shown} is not one crier knows"))?;
    let local = tz
        .from_local_datetime(&naive)
        .single()
        .ok_or_else(|| format!("{naive} does not exist or happens twice in {shown}"))?;
    let in_use = local.format("%Z").to_string();
    if SEASONAL_ZONES.contains(&word) && !in_use.eq_ignore_ascii_case(word) {
        return Err(format!(
            "it says {shown}, but on {} {} is on {in_use}",
            naive.date().format("%-d %B %Y"),
            tz.name()
        ));
    }
    Ok(local.fixed_offset())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(date: &str, time: &str, zone: Option<&str>) -> Result<(String, Placed), String> {
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        let time = NaiveTime::parse_from_str(time, "%H:%M").unwrap();
        place(date, time, zone, chrono_tz::Europe::London).map(|(t, p)| (t.to_rfc3339(), p))
    }

    #[test]
    fn other_zones_are_converted_to_the_sites_clock() {
        assert_eq!(
            at("2026-09-13", "23:59", Some("pt")),
            Ok((
                "2026-09-14T07:59:00+01:00".into(),
                Placed::Converted { from: "PT".into() }
            ))
        );
        assert_eq!(
            at("2026-04-09", "13:00", Some("et")).unwrap().0,
            "2026-04-09T18:00:00+01:00"
        );
        assert_eq!(
            at("2026-01-14", "19:00", Some("cet")).unwrap().0,
            "2026-01-14T18:00:00+00:00"
        );
        assert_eq!(
            at("2026-07-08", "18:00", Some("utc+2")).unwrap().0,
            "2026-07-08T17:00:00+01:00"
        );
    }

    #[test]
    fn the_sites_own_zone_is_no_conversion() {
        for (date, zone) in [
            ("2026-07-08", Some("bst")),
            ("2026-01-14", Some("gmt")),
            ("2026-07-08", Some("uk time")),
            ("2026-01-14", Some("utc")),
            ("2026-07-08", None),
        ] {
            assert_eq!(at(date, "18:30", zone).unwrap().1, Placed::Site, "{zone:?}");
        }
    }

    #[test]
    fn unclear_zones_are_refused() {
        assert_eq!(
            at("2026-07-08", "19:00", Some("gmt")),
            Err("it says GMT, but on 8 July 2026 Europe/London is on BST".into())
        );
        assert_eq!(
            at("2026-07-08", "19:00", Some("ist")),
            Err("IST names more than one time zone".into())
        );
        assert!(at("2026-09-13", "19:00", Some("pst")).is_err());
        assert!(at("2026-03-29", "01:30", Some("bst")).is_err());
        assert_eq!(fixed_offset("utc+99"), None);
        assert_eq!(fixed_offset("gmt"), None);
    }
}
