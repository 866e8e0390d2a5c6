//! Statistical process control: the XmR chart as NHS England's "Making
//! data count" draws it, for a series of counts (incidents a month).
//!
//! The mean, the mean moving range and the process limits (the mean ±
//! 2.66 × the mean moving range) are fractions of whole numbers; every
//! comparison of a point with the mean, a limit or two thirds of the way
//! to it is made exactly, in integers, never in floating point. The
//! special-cause rules:
//!
//! - **outside the limits**: a point above the upper or below the lower
//!   process limit;
//! - **run**: 7 or more points in a row on one side of the mean (a point on
//!   the mean belongs to neither side and ends a run);
//! - **trend**: 6 or more points in a row each higher than the one before,
//!   or each lower (an equal point ends a trend);
//! - **two of three**: 2 of 3 points in a row beyond two thirds of the way
//!   from the mean to a limit, on the same side.
//!
//! The chart's verdict is the variation of its latest point, as the
//! "Making data count" icons show it: special cause of concern, special
//! cause of improvement, or common cause.

use rust_decimal::Decimal;
use serde::Serialize;

/// The number of points in a row on one side of the mean that make a run.
pub const RUN: usize = 7;
/// The number of points in a row rising (or falling) that make a trend.
pub const TREND: usize = 6;
/// The limits' constant, in hundredths: 2.66.
const LIMIT_HUNDREDTHS: i128 = 266;

/// Which way is worse for the measure charted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Polarity {
    /// More is worse (incidents, overdue notifications).
    HigherIsWorse,
    /// Less is worse (reporting activity, where few reports hide harm).
    LowerIsWorse,
}

/// A special-cause rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    OutsideLimits,
    Run,
    Trend,
    TwoOfThree,
}

impl Rule {
    pub const fn as_str(self) -> &'static str {
        match self {
            Rule::OutsideLimits => "outside-limits",
            Rule::Run => "run",
            Rule::Trend => "trend",
            Rule::TwoOfThree => "two-of-three",
        }
    }

    /// In words, for a chart's description.
    pub const fn words(self) -> &'static str {
        match self {
            Rule::OutsideLimits => "a point outside the process limits",
            Rule::Run => "a run of 7 or more points on one side of the mean",
            Rule::Trend => "6 or more points in a row rising or falling",
            Rule::TwoOfThree => "2 of 3 points close to a process limit",
        }
    }
}

/// Which way a signal points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    High,
    Low,
}

impl Direction {
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::High => "high",
            Direction::Low => "low",
        }
    }
}

/// One point that a rule marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Signal {
    /// The point's place in the series, from 0.
    pub index: usize,
    pub rule: Rule,
    pub direction: Direction,
}

/// What the latest point says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Fewer than two points: no limits can be drawn.
    TooFewPoints,
    CommonCause,
    Concern,
    Improvement,
}

impl Verdict {
    pub const fn words(self) -> &'static str {
        match self {
            Verdict::TooFewPoints => "Too few points to tell signal from noise",
            Verdict::CommonCause => "Common cause variation: no signal in the latest month",
            Verdict::Concern => "Special cause variation of concern in the latest month",
            Verdict::Improvement => "Special cause variation of improvement in the latest month",
        }
    }
}

/// An XmR chart of a series of counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Chart {
    pub points: Vec<u64>,
    /// The mean, to 2 decimal places (for people; the rules use it exactly).
    #[serde(serialize_with = "number")]
    pub mean: Decimal,
    #[serde(serialize_with = "number")]
    pub upper_limit: Decimal,
    /// May be below zero, where a count cannot go: shown as calculated.
    #[serde(serialize_with = "number")]
    pub lower_limit: Decimal,
    /// Every point a rule marks, in order of the point, then the rule.
    pub signals: Vec<Signal>,
    pub verdict: Verdict,
}

/// A decimal as a JSON number with its exact digits.
pub(crate) fn number<S: serde::Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    match value.to_string().parse::<serde_json::Number>() {
        Ok(n) => n.serialize(s),
        Err(_) => s.collect_str(value),
    }
}

/// The chart's figures as exact fractions over one denominator:
/// `value × denominator` for a point, beside the scaled mean and the
/// scaled distance from it to a limit.
struct Scale {
    denominator: i128,
    mean: i128,
    to_limit: i128,
}

impl Scale {
    fn of(points: &[u64]) -> Scale {
        let n = points.len() as i128;
        let sum: i128 = points.iter().map(|p| i128::from(*p)).sum();
        let ranges: i128 = points
            .windows(2)
            .map(|w| (i128::from(w[1]) - i128::from(w[0])).abs())
            .sum();
        // mean = sum / n; limit distance = 2.66 × ranges / (n − 1).
        // Over the denominator 100 n (n − 1):
        Scale {
            denominator: 100 * n * (n - 1),
            mean: 100 * sum * (n - 1),
            to_limit: LIMIT_HUNDREDTHS * ranges * n,
        }
    }

    /// The point's signed distance from the mean, scaled.
    fn offset(&self, point: u64) -> i128 {
        i128::from(point) * self.denominator - self.mean
    }

    fn decimal(&self, scaled: i128) -> Decimal {
        let value = Decimal::from_i128_with_scale(scaled, 0)
            / Decimal::from_i128_with_scale(self.denominator, 0);
        value.round_dp(2)
    }
}

/// The XmR chart of `points` (oldest first), with its signals and verdict.
pub fn xmr(points: &[u64], polarity: Polarity) -> Chart {
    if points.len() < 2 {
        let value = points.first().map_or(Decimal::ZERO, |p| Decimal::from(*p));
        return Chart {
            points: points.to_vec(),
            mean: value,
            upper_limit: value,
            lower_limit: value,
            signals: Vec::new(),
            verdict: Verdict::TooFewPoints,
        };
    }
    let scale = Scale::of(points);
    let side = |d: i128| match d.signum() {
        1 => Some(Direction::High),
        -1 => Some(Direction::Low),
        _ => None,
    };
    let mut signals = Vec::new();
    // Outside the limits.
    for (i, p) in points.iter().enumerate() {
        let d = scale.offset(*p);
        if d.abs() > scale.to_limit {
            signals.extend(side(d).map(|direction| Signal {
                index: i,
                rule: Rule::OutsideLimits,
                direction,
            }));
        }
    }
    // Runs: points in a row on one side.
    let sides: Vec<Option<Direction>> = points.iter().map(|p| side(scale.offset(*p))).collect();
    for (first, last, direction) in stretches(&sides) {
        if last - first + 1 >= RUN {
            signals.extend((first..=last).map(|index| Signal {
                index,
                rule: Rule::Run,
                direction,
            }));
        }
    }
    // Trends: each point higher (lower) than the one before; a stretch of
    // k steps is k + 1 points.
    let steps: Vec<Option<Direction>> = points
        .windows(2)
        .map(|w| match w[1].cmp(&w[0]) {
            std::cmp::Ordering::Greater => Some(Direction::High),
            std::cmp::Ordering::Less => Some(Direction::Low),
            std::cmp::Ordering::Equal => None,
        })
        .collect();
    for (first, last, direction) in stretches(&steps) {
        // Steps first..=last join the points first..=last + 1.
        if last - first + 2 >= TREND {
            signals.extend((first..=last + 1).map(|index| Signal {
                index,
                rule: Rule::Trend,
                direction,
            }));
        }
    }
    // Two of three beyond two thirds of the way to a limit, one side:
    // 3 × distance > 2 × the distance to the limit.
    let near: Vec<Option<Direction>> = points
        .iter()
        .map(|p| {
            let d = scale.offset(*p);
            (3 * d.abs() > 2 * scale.to_limit)
                .then(|| side(d))
                .flatten()
        })
        .collect();
    for window in 0..points.len().saturating_sub(2) {
        for direction in [Direction::High, Direction::Low] {
            let hits: Vec<usize> = (window..window + 3)
                .filter(|i| near[*i] == Some(direction))
                .collect();
            if hits.len() >= 2 {
                for index in hits {
                    signals.push(Signal {
                        index,
                        rule: Rule::TwoOfThree,
                        direction,
                    });
                }
            }
        }
    }
    signals.sort_by_key(|s| (s.index, s.rule));
    signals.dedup();
    let last = points.len() - 1;
    let worse = match polarity {
        Polarity::HigherIsWorse => Direction::High,
        Polarity::LowerIsWorse => Direction::Low,
    };
    let latest: Vec<&Signal> = signals.iter().filter(|s| s.index == last).collect();
    let verdict = if latest.iter().any(|s| s.direction == worse) {
        Verdict::Concern
    } else if latest.is_empty() {
        Verdict::CommonCause
    } else {
        Verdict::Improvement
    };
    Chart {
        points: points.to_vec(),
        mean: scale.decimal(scale.mean),
        upper_limit: scale.decimal(scale.mean + scale.to_limit),
        lower_limit: scale.decimal(scale.mean - scale.to_limit),
        signals,
        verdict,
    }
}

/// Each stretch of one direction in a row: (first, last, direction), the
/// places inclusive; `None` belongs to no stretch and ends one.
fn stretches(directions: &[Option<Direction>]) -> Vec<(usize, usize, Direction)> {
    let mut found = Vec::new();
    let mut start = 0;
    while start < directions.len() {
        let Some(direction) = directions[start] else {
            start += 1;
            continue;
        };
        let mut end = start;
        while end + 1 < directions.len() && directions[end + 1] == Some(direction) {
            end += 1;
        }
        found.push((start, end, direction));
        start = end + 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(chart: &Chart) -> Vec<(usize, Rule)> {
        chart.signals.iter().map(|s| (s.index, s.rule)).collect()
    }

    fn fired(chart: &Chart, rule: Rule) -> Vec<usize> {
        chart
            .signals
            .iter()
            .filter(|s| s.rule == rule)
            .map(|s| s.index)
            .collect()
    }

    /// Noise around 10 that breaks no rule.
    const STEADY: [u64; 12] = [10, 12, 9, 11, 10, 13, 9, 10, 12, 8, 11, 10];

    #[test]
    fn the_limits_are_the_mean_plus_or_minus_2_66_mean_moving_ranges() {
        let chart = xmr(&STEADY, Polarity::HigherIsWorse);
        // Sum 125 over 12: 10.4166…; moving ranges 2+3+2+1+3+4+1+2+4+3+1 = 26
        // over 11; 2.66 × 26 / 11 = 6.2872…
        assert_eq!(chart.mean, Decimal::new(1042, 2));
        assert_eq!(chart.upper_limit, Decimal::new(1670, 2));
        assert_eq!(chart.lower_limit, Decimal::new(413, 2));
        assert_eq!(rules(&chart), []);
        assert_eq!(chart.verdict, Verdict::CommonCause);
    }

    #[test]
    fn a_point_outside_the_limits_is_a_signal_and_on_the_limit_is_not() {
        let mut points = STEADY.to_vec();
        points.push(40);
        let chart = xmr(&points, Polarity::HigherIsWorse);
        assert_eq!(fired(&chart, Rule::OutsideLimits), [12]);
        assert_eq!(chart.verdict, Verdict::Concern);
        assert_eq!(
            xmr(&points, Polarity::LowerIsWorse).verdict,
            Verdict::Improvement
        );
        // Equal points have no moving range: the limits are the mean, and
        // a point on a limit is not outside it.
        let flat = xmr(&[5, 5, 5], Polarity::HigherIsWorse);
        assert_eq!(fired(&flat, Rule::OutsideLimits), Vec::<usize>::new());
        assert_eq!(flat.upper_limit, flat.mean);
    }

    #[test]
    fn a_run_is_seven_points_on_one_side_and_six_are_not() {
        // Six low points, then seven above the mean.
        let seven = [2, 3, 2, 3, 2, 3, 9, 8, 9, 8, 9, 8, 9];
        let chart = xmr(&seven, Polarity::HigherIsWorse);
        assert_eq!(fired(&chart, Rule::Run), (6..13).collect::<Vec<_>>());
        assert!(
            chart
                .signals
                .iter()
                .filter(|s| s.rule == Rule::Run)
                .all(|s| s.direction == Direction::High)
        );
        let six = [2, 3, 2, 3, 2, 3, 2, 9, 8, 9, 8, 9, 8];
        assert_eq!(
            fired(&xmr(&six, Polarity::HigherIsWorse), Rule::Run),
            (0..7).collect::<Vec<_>>(),
            "the 7 low points are a run; the 6 high ones are not"
        );
        // A point on the mean ends a run.
        let broken = [1, 1, 1, 5, 1, 1, 1, 9, 9, 9, 5, 9, 9, 9];
        let chart = xmr(&broken, Polarity::HigherIsWorse);
        assert_eq!(chart.mean, Decimal::from(5));
        assert_eq!(fired(&chart, Rule::Run), Vec::<usize>::new());
    }

    #[test]
    fn a_trend_is_six_points_rising_or_falling_and_five_are_not() {
        let rising = [5, 6, 5, 6, 1, 2, 3, 4, 5, 6, 5, 6];
        let chart = xmr(&rising, Polarity::HigherIsWorse);
        assert_eq!(fired(&chart, Rule::Trend), (4..10).collect::<Vec<_>>());
        let five = [5, 6, 5, 6, 2, 3, 4, 5, 6, 5, 6, 5];
        assert_eq!(
            fired(&xmr(&five, Polarity::HigherIsWorse), Rule::Trend),
            Vec::<usize>::new()
        );
        // An equal point ends a trend.
        let flat_step = [6, 5, 4, 4, 3, 2, 1, 6, 5, 6];
        assert_eq!(
            fired(&xmr(&flat_step, Polarity::HigherIsWorse), Rule::Trend),
            Vec::<usize>::new()
        );
        let falling = [9, 8, 7, 6, 5, 4, 9, 8, 9];
        let chart = xmr(&falling, Polarity::HigherIsWorse);
        assert_eq!(fired(&chart, Rule::Trend), (0..6).collect::<Vec<_>>());
        assert!(
            chart
                .signals
                .iter()
                .filter(|s| s.rule == Rule::Trend)
                .all(|s| s.direction == Direction::Low)
        );
    }

    #[test]
    fn two_of_three_close_to_a_limit_on_one_side_is_a_signal() {
        // Steady noise, then two of three points high but inside the
        // limit: mean 11.67, upper limit 18.32, the two-thirds line 16.1.
        let mut points = STEADY.to_vec();
        points.extend([17, 16, 17]);
        let chart = xmr(&points, Polarity::HigherIsWorse);
        let upper = chart.upper_limit;
        assert!(Decimal::from(17) < upper, "inside the limits: {upper}");
        assert_eq!(fired(&chart, Rule::TwoOfThree), [12, 14]);
        assert_eq!(fired(&chart, Rule::OutsideLimits), Vec::<usize>::new());
        assert_eq!(chart.verdict, Verdict::Concern);
        // One close point in three is not a signal.
        let mut once = STEADY.to_vec();
        once.extend([17, 16, 10]);
        assert_eq!(
            fired(&xmr(&once, Polarity::HigherIsWorse), Rule::TwoOfThree),
            Vec::<usize>::new()
        );
    }

    #[test]
    fn the_two_thirds_line_is_compared_exactly() {
        // 0 and 6 alternating: mean 3, mean moving range 6, the distance
        // to a limit 15.96 exactly (no rounding on the way).
        let scale = Scale::of(&[0, 6, 0, 6]);
        // 3 × |6 − 3| = 9 against 2 × 15.96 = 31.92 (scaled): not near.
        assert!(3 * scale.offset(6).abs() <= 2 * scale.to_limit);
        assert_eq!(scale.decimal(scale.mean), Decimal::from(3));
        assert_eq!(scale.decimal(scale.to_limit), Decimal::new(1596, 2));
    }

    #[test]
    fn one_point_has_no_limits() {
        let chart = xmr(&[4], Polarity::HigherIsWorse);
        assert_eq!(chart.verdict, Verdict::TooFewPoints);
        assert!(chart.signals.is_empty());
        assert_eq!(
            xmr(&[], Polarity::HigherIsWorse).verdict,
            Verdict::TooFewPoints
        );
    }
}
