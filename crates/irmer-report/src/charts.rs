//! Charts drawn on the server as SVG, inline in the page: an XmR control
//! chart and a bar chart. Each is an image with its title and a text
//! description (`role="img"`, `aria-labelledby`); the page puts the table
//! of its numbers beside it, so the chart is never the only way to read
//! them. Sizes are in the viewBox: the chart scales to the width it has
//! (320 px included). Colours are presentation attributes and classes,
//! never inline styles (the pages' CSP allows none). Floating point is used
//! only to place marks; every figure shown comes from the exact values.

use irmer_stats::spc::{Chart, Direction, Rule, Verdict};
use irmer_stats::tally::{self, Field, Trend};
use irmer_stats::taxonomy::Taxonomy;
use maud::{Markup, html};

/// The charts' CSS: colours and lines by class.
pub const STYLE: &str = include_str!("charts.css");

/// A chart as an SVG document of its own, its style inside it (what a PDF
/// embeds as an image).
pub fn standalone(chart: &Markup) -> String {
    let svg = chart.clone().into_string();
    match svg.find('>') {
        Some(end) => format!(
            "{}<style>{}</style>{}",
            &svg[..=end],
            STYLE,
            &svg[end + 1..]
        ),
        None => svg,
    }
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 64.0;

/// A round step for an axis from 0 to `max` in about 5 ticks.
fn step(max: f64) -> f64 {
    if max <= 5.0 {
        return 1.0;
    }
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude)
}

fn number(d: impl ToString) -> f64 {
    d.to_string().parse().unwrap_or(0.0)
}

/// `2025-04` as `Apr 25`, for an axis.
fn short_month(month: &str) -> String {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let Some((year, m)) = month.split_once('-') else {
        return month.to_owned();
    };
    let name = m
        .parse::<usize>()
        .ok()
        .and_then(|m| NAMES.get(m.checked_sub(1)?))
        .copied()
        .unwrap_or(m);
    format!("{name} {}", year.get(2..).unwrap_or(year))
}

/// An XmR chart: the monthly counts joined by a line, the mean, the
/// process limits dashed, each point a rule marks drawn larger (orange
/// above the mean, blue below, as "Making data count" colours concern and
/// improvement when more is worse). `id` makes the title's and the
/// description's ids unique on the page.
pub fn xmr(id: &str, title: &str, months: &[String], chart: &Chart, description: &str) -> Markup {
    let n = chart.points.len().max(1);
    let max_point = chart.points.iter().copied().max().unwrap_or(0) as f64;
    let top = max_point.max(number(chart.upper_limit)).max(1.0);
    let step = step(top);
    let y_max = (top / step).ceil() * step;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |i: usize| {
        if n == 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| TOP + plot_h * (1.0 - (v.max(0.0) / y_max).min(1.0));
    let line: String = chart
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(*p as f64)))
        .collect::<Vec<_>>()
        .join(" ");
    let ticks: Vec<f64> = (0..)
        .map(|k| k as f64 * step)
        .take_while(|t| *t <= y_max + 1e-9)
        .collect();
    // Every month labelled when they fit, else every second or third.
    let every = n.div_ceil(12);
    let limits = chart.verdict != Verdict::TooFewPoints;
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    html! {
        svg class="chart" viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img"
            aria-labelledby=(format!("{title_id} {desc_id}")) xmlns="http://www.w3.org/2000/svg" {
            title id=(title_id) { (title) }
            desc id=(desc_id) { (description) }
            @for t in &ticks {
                line class="grid" x1=(LEFT) x2=(WIDTH - RIGHT) y1=(format!("{:.1}", y(*t))) y2=(format!("{:.1}", y(*t))) {}
                text class="tick" x=(LEFT - 6.0) y=(format!("{:.1}", y(*t) + 4.0)) text-anchor="end" { (t) }
            }
            text class="axis-label" x="12" y=(format!("{:.1}", TOP + plot_h / 2.0)) text-anchor="middle"
                transform=(format!("rotate(-90 12 {:.1})", TOP + plot_h / 2.0)) { "Incidents" }
            @for (i, m) in months.iter().enumerate() {
                @if i % every == 0 || i + 1 == months.len() {
                    text class="tick" x=(format!("{:.1}", x(i))) y=(HEIGHT - BOTTOM + 16.0) text-anchor="end"
                        transform=(format!("rotate(-45 {:.1} {})", x(i), HEIGHT - BOTTOM + 16.0)) { (short_month(m)) }
                }
            }
            text class="axis-label" x=(LEFT + plot_w / 2.0) y=(HEIGHT - 4.0) text-anchor="middle" { "Month discovered" }
            @if limits {
                line class="limit" x1=(LEFT) x2=(WIDTH - RIGHT)
                    y1=(format!("{:.1}", y(number(chart.upper_limit)))) y2=(format!("{:.1}", y(number(chart.upper_limit)))) {}
                @if number(chart.lower_limit) > 0.0 {
                    line class="limit" x1=(LEFT) x2=(WIDTH - RIGHT)
                        y1=(format!("{:.1}", y(number(chart.lower_limit)))) y2=(format!("{:.1}", y(number(chart.lower_limit)))) {}
                }
                line class="mean" x1=(LEFT) x2=(WIDTH - RIGHT)
                    y1=(format!("{:.1}", y(number(chart.mean)))) y2=(format!("{:.1}", y(number(chart.mean)))) {}
            }
            polyline class="series" points=(line) {}
            @for (i, p) in chart.points.iter().enumerate() {
                @let marked = chart.signals.iter().find(|s| s.index == i);
                @match marked {
                    Some(s) => {
                        circle class=(if s.direction == Direction::High { "point signal high" } else { "point signal low" })
                            cx=(format!("{:.1}", x(i))) cy=(format!("{:.1}", y(*p as f64))) r="5.5" {}
                    }
                    None => {
                        circle class="point" cx=(format!("{:.1}", x(i))) cy=(format!("{:.1}", y(*p as f64))) r="3" {}
                    }
                }
            }
        }
    }
}

/// One bar of a bar chart: its label and value, and the part of it shown
/// darker (notifiable of all incidents).
pub struct Bar<'a> {
    pub label: &'a str,
    pub value: u64,
    pub part: u64,
}

/// Horizontal bars, longest scale first as given, each labelled with its
/// name and value; the darker part is `part` of the bar.
pub fn bars(id: &str, title: &str, description: &str, bars: &[Bar<'_>]) -> Markup {
    let row_h = 28.0;
    let label_w = 0.0;
    let height = TOP + row_h * bars.len().max(1) as f64 + 8.0;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1) as f64;
    let plot_w = WIDTH - RIGHT - 48.0;
    let w = |v: u64| plot_w * v as f64 / max;
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    html! {
        svg class="chart" viewBox=(format!("0 0 {WIDTH} {height:.0}")) role="img"
            aria-labelledby=(format!("{title_id} {desc_id}")) xmlns="http://www.w3.org/2000/svg" {
            title id=(title_id) { (title) }
            desc id=(desc_id) { (description) }
            @for (i, b) in bars.iter().enumerate() {
                @let top = TOP + row_h * i as f64;
                text class="bar-label" x=(label_w) y=(format!("{:.1}", top + 9.0)) { (b.label) }
                rect class="bar" x=(label_w) y=(format!("{:.1}", top + 12.0)) width=(format!("{:.1}", w(b.value))) height="10" {}
                rect class="bar part" x=(label_w) y=(format!("{:.1}", top + 12.0)) width=(format!("{:.1}", w(b.part))) height="10" {}
                text class="tick" x=(format!("{:.1}", label_w + w(b.value) + 6.0)) y=(format!("{:.1}", top + 21.0)) { (b.value) }
            }
        }
    }
}

/// A special-cause rule in words, on its side of the mean.
pub fn rule_words(rule: Rule, direction: Direction) -> String {
    let side = match direction {
        Direction::High => "above",
        Direction::Low => "below",
    };
    match rule {
        Rule::OutsideLimits => format!("outside the process limits ({side})"),
        Rule::Run => format!("a run of 7 or more {side} the mean"),
        Rule::Trend => match direction {
            Direction::High => "6 or more rising in a row".to_owned(),
            Direction::Low => "6 or more falling in a row".to_owned(),
        },
        Rule::TwoOfThree => format!("2 of 3 close to the limit {side} the mean"),
    }
}

/// A group's name for people: each field's value in words ("All
/// incidents" for the whole).
pub fn group_name(key: &[(Field, Option<String>)], taxonomy: &Taxonomy) -> String {
    if key.is_empty() {
        return "All incidents".to_owned();
    }
    key.iter()
        .map(|(f, v)| tally::describe(*f, v.as_deref(), taxonomy))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A control chart's text description: every point, the mean, the limits,
/// each signal and the verdict (what a screen reader reads for the chart).
pub fn trend_description(t: &Trend, name: &str) -> String {
    let c = &t.chart;
    let first = t
        .months
        .first()
        .and_then(|m| tally::month_name(m))
        .unwrap_or_default();
    let last = t
        .months
        .last()
        .and_then(|m| tally::month_name(m))
        .unwrap_or_default();
    let signalled: Vec<String> = c
        .signals
        .iter()
        .filter_map(|s| {
            let month = tally::month_name(t.months.get(s.index)?)?;
            Some(format!("{month}: {}", rule_words(s.rule, s.direction)))
        })
        .collect();
    let group = if t.key.is_empty() {
        String::new()
    } else {
        format!(" ({name})")
    };
    format!(
        "Control chart of incidents a month{group} from {first} to {last}: {}. Mean {}, upper process limit {}, lower process limit {}. {}. {}",
        c.points
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        c.mean,
        c.upper_limit,
        c.lower_limit,
        if signalled.is_empty() {
            "No special-cause signals".to_owned()
        } else {
            format!("Signals: {}", signalled.join("; "))
        },
        c.verdict.words()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_steps_are_round() {
        assert_eq!(step(3.0), 1.0);
        assert_eq!(step(12.0), 5.0);
        assert_eq!(step(40.0), 10.0);
        assert_eq!(step(730.0), 200.0);
    }

    #[test]
    fn an_xmr_chart_names_itself_and_marks_its_signals() {
        let points = [1, 1, 1, 1, 1, 1, 1, 1, 1, 9];
        let chart = irmer_stats::spc::xmr(&points, irmer_stats::spc::Polarity::HigherIsWorse);
        let months: Vec<String> = (1..=10).map(|m| format!("2025-{m:02}")).collect();
        let svg = xmr("c1", "All incidents", &months, &chart, "Ten months.").into_string();
        assert!(
            svg.contains(r#"role="img" aria-labelledby="c1-title c1-desc""#),
            "{svg}"
        );
        assert!(svg.contains("<title id=\"c1-title\">All incidents</title>"));
        assert_eq!(svg.matches("point signal high").count(), 1, "{svg}");
        assert!(svg.contains("Oct 25"));
        assert!(!svg.contains("style="), "no inline styles under the CSP");
    }
}
