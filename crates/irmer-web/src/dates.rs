//! Dates and times for people, as GOV.UK writes them: "28 November 2026",
//! and times in UK local time (GMT, or BST in summer) as "9:30am".

use irmer_core::incident::CivilDate;
use time::{Date, Month, OffsetDateTime, UtcOffset, Weekday};

/// `28 November 2026`.
pub fn day(date: CivilDate) -> String {
    long(date.date())
}

fn long(d: Date) -> String {
    format!("{} {} {}", d.day(), d.month(), d.year())
}

/// The last Sunday of a month, at 01:00 UTC: when UK clocks change.
fn change(year: i32, month: Month) -> Option<OffsetDateTime> {
    let last = Date::from_calendar_date(year, month, 31).ok()?;
    let back = last.weekday().number_days_from_sunday();
    let sunday = last - time::Duration::days(i64::from(back));
    debug_assert_eq!(sunday.weekday(), Weekday::Sunday);
    Some(sunday.with_hms(1, 0, 0).ok()?.assume_utc())
}

/// The instant in UK local time: BST (UTC+1) from 01:00 UTC on the last
/// Sunday of March to 01:00 UTC on the last Sunday of October, else GMT.
pub fn uk(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(UtcOffset::UTC);
    let summer = match (
        change(t.year(), Month::March),
        change(t.year(), Month::October),
    ) {
        (Some(start), Some(end)) => t >= start && t < end,
        _ => false,
    };
    let offset = if summer {
        UtcOffset::from_hms(1, 0, 0).unwrap_or(UtcOffset::UTC)
    } else {
        UtcOffset::UTC
    };
    t.to_offset(offset)
}

/// `5 December 2026 at 9:30am` in UK local time.
pub fn moment(t: OffsetDateTime) -> String {
    let t = uk(t);
    let (hour, half) = match t.hour() {
        0 => (12, "am"),
        h @ 1..=11 => (h, "am"),
        12 => (12, "pm"),
        h => (h - 12, "pm"),
    };
    format!("{} at {hour}:{:02}{half}", long(t.date()), t.minute())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn days_are_written_out() {
        let d = CivilDate::parse("2026-11-28").expect("date");
        assert_eq!(day(d), "28 November 2026");
        assert_eq!(
            day(CivilDate::parse("2027-01-05").expect("date")),
            "5 January 2027"
        );
    }

    #[test]
    fn times_are_uk_local_across_the_clock_changes() {
        // 2026: BST from 29 March 01:00 UTC to 25 October 01:00 UTC.
        for (utc, shown) in [
            (datetime!(2026-03-29 00:59 UTC), "29 March 2026 at 12:59am"),
            (datetime!(2026-03-29 01:00 UTC), "29 March 2026 at 2:00am"),
            (datetime!(2026-07-01 11:30 UTC), "1 July 2026 at 12:30pm"),
            (datetime!(2026-10-25 00:59 UTC), "25 October 2026 at 1:59am"),
            (datetime!(2026-10-25 01:00 UTC), "25 October 2026 at 1:00am"),
            (datetime!(2026-12-05 09:05 UTC), "5 December 2026 at 9:05am"),
            (
                datetime!(2026-12-31 23:30 UTC),
                "31 December 2026 at 11:30pm",
            ),
            // Another offset is read as the instant it is.
            (datetime!(2026-06-30 23:30 -1), "1 July 2026 at 1:30am"),
        ] {
            assert_eq!(moment(utc), shown, "{utc}");
        }
    }
}
