//! Dates and times for people, as GOV.UK writes them: "28 November 2026",
//! and times in UK local time (GMT, or BST in summer) as "9:30am".

use irmer_core::incident::CivilDate;
use time::OffsetDateTime;

/// `28 November 2026`.
pub fn day(date: CivilDate) -> String {
    date.words()
}

/// `5 December 2026 at 9:30am` in UK local time.
pub fn moment(t: OffsetDateTime) -> String {
    let t = irmer_core::lifecycle::uk_time(t);
    let (hour, half) = match t.hour() {
        0 => (12, "am"),
        h @ 1..=11 => (h, "am"),
        12 => (12, "pm"),
        h => (h - 12, "pm"),
    };
    format!(
        "{} at {hour}:{:02}{half}",
        irmer_core::lifecycle::long_date(t.date()),
        t.minute()
    )
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
