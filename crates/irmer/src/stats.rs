//! `irmer stats` and `irmer trends`: the year's counts and the monthly
//! control charts, from the register.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use irmer_core::incident::CivilDate;
use irmer_stats::tally::{self, Field, Statistics, Trend};
use irmer_stats::taxonomy::Taxonomy;
use irmer_store::Store;
use irmer_store::accounts::{AccountStore, Places};
use irmer_store::register::Register;

use crate::register::report_error;

/// Which incidents: by the date they were discovered.
#[derive(Args, Clone, Debug, Default)]
pub struct PeriodArgs {
    /// A financial year, 1 April to 31 March, by the year it starts in
    /// (2025: 1 April 2025 to 31 March 2026).
    #[arg(long, value_name = "YEAR")]
    financial_year: Option<String>,
    /// The first day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// The last day (YYYY-MM-DD); today when only --from is given.
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatsFormat {
    Table,
    Json,
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CommitteeFormat {
    Html,
    Pdf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TrendsFormat {
    Table,
    Json,
}

/// `--by`: a field the statistics group by, refused with the list of
/// those accepted.
pub fn parse_field(text: &str) -> Result<Field, String> {
    Field::parse(text)
        .ok_or_else(|| format!("unknown field {text:?}; accepted: {}", Field::accepted()))
}

/// The period asked for, or the error naming the option (exit status 2,
/// before the register is opened).
pub fn resolve(
    args: &PeriodArgs,
    today: CivilDate,
    default: (CivilDate, CivilDate),
) -> Result<(CivilDate, CivilDate), ExitCode> {
    tally::period(
        args.financial_year.as_deref(),
        args.from.as_deref(),
        args.to.as_deref(),
        today,
        default,
    )
    .map_err(|e| {
        eprintln!("irmer: --{}: {e}", e.option);
        ExitCode::from(2)
    })
}

async fn counted<S: Store + AccountStore>(
    register: &Register<S>,
    period: (CivilDate, CivilDate),
    by: &[Field],
) -> Result<Statistics, ExitCode> {
    let places = match Places::load(register.store()).await {
        Ok(p) => p.for_statistics(),
        Err(e) => {
            eprintln!("irmer: {e}");
            return Err(ExitCode::from(1));
        }
    };
    register
        .statistics(period.0, period.1, by, None, &places)
        .await
        .map_err(|e| report_error(&e))
}

/// `irmer stats`.
pub async fn stats<S: Store + AccountStore>(
    register: &Register<S>,
    period: &PeriodArgs,
    by: &[Field],
    format: StatsFormat,
) -> anyhow::Result<ExitCode> {
    let today = register.today();
    let period = match resolve(period, today, tally::current_financial_year(today)) {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let stats = match counted(register, period, by).await {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let mut out = io::stdout().lock();
    match format {
        StatsFormat::Json => {
            serde_json::to_writer(&mut out, &stats)?;
            writeln!(out)?;
        }
        StatsFormat::Csv => write_csv(&mut out, &stats)?,
        StatsFormat::Table => write_table(&mut out, &stats, register.taxonomy())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `irmer trends`: by the fields given, each group's months.
pub async fn trends<S: Store + AccountStore>(
    register: &Register<S>,
    period: &PeriodArgs,
    by: &[Field],
    format: TrendsFormat,
) -> anyhow::Result<ExitCode> {
    if by.contains(&Field::Month) {
        eprintln!(
            "irmer: --by: month is the series itself; group by another field ({})",
            Field::accepted()
        );
        return Ok(ExitCode::from(2));
    }
    let today = register.today();
    let period = match resolve(period, today, tally::last_24_months(today)) {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    if let Err(e) = tally::check_trend_period(period.0, period.1) {
        eprintln!("irmer: --{}: {e}", e.option);
        return Ok(ExitCode::from(2));
    }
    let mut fields = by.to_vec();
    fields.push(Field::Month);
    let stats = match counted(register, period, &fields).await {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let trends = tally::trends(&stats);
    let mut out = io::stdout().lock();
    match format {
        TrendsFormat::Json => {
            #[derive(serde::Serialize)]
            struct Doc<'a> {
                from: CivilDate,
                to: CivilDate,
                by: &'a [Field],
                groups: &'a [Trend],
            }
            let doc = Doc {
                from: stats.from,
                to: stats.to,
                by,
                groups: &trends,
            };
            serde_json::to_writer(&mut out, &doc)?;
            writeln!(out)?;
        }
        TrendsFormat::Table => write_trends(&mut out, &trends, register.taxonomy())?,
    }
    Ok(ExitCode::SUCCESS)
}

const COUNT_HEADINGS: [&str; 7] = [
    "incidents",
    "notifiable",
    "voluntary",
    "undetermined",
    "not_notifiable",
    "out_of_scope",
    "near_misses",
];

fn count_cells(c: &tally::Counts) -> [u64; 7] {
    [
        c.incidents,
        c.notifiable,
        c.voluntary,
        c.undetermined,
        c.not_notifiable,
        c.out_of_scope,
        c.near_misses,
    ]
}

/// One row a group, the fields' values as stored (`""` for none), then
/// the counts; the total last, its fields `total`.
fn write_csv(out: &mut impl Write, stats: &Statistics) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header: Vec<&str> = stats.by.iter().map(|f| f.as_str()).collect();
    header.extend(COUNT_HEADINGS);
    w.write_record(&header)?;
    let rows = stats
        .groups
        .iter()
        .map(|g| {
            (
                g.key
                    .iter()
                    .map(|(_, v)| v.clone().unwrap_or_default())
                    .collect::<Vec<_>>(),
                &g.counts,
            )
        })
        .chain(std::iter::once((
            vec!["total".to_owned(); stats.by.len()],
            &stats.total,
        )));
    for (key, counts) in rows {
        let mut record = key;
        record.extend(count_cells(counts).iter().map(ToString::to_string));
        w.write_record(&record)?;
    }
    w.flush()?;
    Ok(())
}

fn write_table(out: &mut impl Write, stats: &Statistics, taxonomy: &Taxonomy) -> io::Result<()> {
    writeln!(out, "Incidents discovered {} to {}", stats.from, stats.to)?;
    let headings = [
        "INCIDENTS",
        "NOTIFIABLE",
        "VOLUNTARY",
        "UNDETERMINED",
        "NOT NOTIFIABLE",
        "OUT OF SCOPE",
        "NEAR MISSES",
    ];
    let mut rows: Vec<(Vec<String>, [u64; 7])> = stats
        .groups
        .iter()
        .map(|g| {
            (
                g.key
                    .iter()
                    .map(|(f, v)| tally::describe(*f, v.as_deref(), taxonomy))
                    .collect(),
                count_cells(&g.counts),
            )
        })
        .collect();
    let mut total = vec![String::new(); stats.by.len()];
    if let Some(first) = total.first_mut() {
        *first = "Total".to_owned();
    }
    rows.push((total, count_cells(&stats.total)));
    let mut widths: Vec<usize> = stats.by.iter().map(|f| f.label().chars().count()).collect();
    for (key, _) in &rows {
        for (w, v) in widths.iter_mut().zip(key) {
            *w = (*w).max(v.chars().count());
        }
    }
    let mut line = String::new();
    for (f, w) in stats.by.iter().zip(&widths) {
        line.push_str(&format!("{:<w$}  ", f.label().to_uppercase()));
    }
    line.push_str(&headings.join("  "));
    writeln!(out, "{}", line.trim_end())?;
    for (key, counts) in &rows {
        let mut line = String::new();
        for (v, w) in key.iter().zip(&widths) {
            line.push_str(&format!("{v:<w$}  "));
        }
        for (n, h) in counts.iter().zip(headings) {
            line.push_str(&format!("{n:>w$}  ", w = h.len()));
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn write_trends(out: &mut impl Write, trends: &[Trend], taxonomy: &Taxonomy) -> io::Result<()> {
    for (i, t) in trends.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let title: Vec<String> = t
            .key
            .iter()
            .map(|(f, v)| {
                format!(
                    "{}: {}",
                    f.label(),
                    tally::describe(*f, v.as_deref(), taxonomy)
                )
            })
            .collect();
        let c = &t.chart;
        writeln!(
            out,
            "{}",
            if title.is_empty() {
                "All incidents".to_owned()
            } else {
                title.join(", ")
            }
        )?;
        writeln!(
            out,
            "  mean {}, process limits {} to {}. {}.",
            c.mean,
            c.lower_limit,
            c.upper_limit,
            c.verdict.words()
        )?;
        writeln!(out, "  {:<8} {:>6}  SIGNALS", "MONTH", "COUNT")?;
        for (index, (month, count)) in t.months.iter().zip(&c.points).enumerate() {
            let marks: Vec<String> = c
                .signals
                .iter()
                .filter(|s| s.index == index)
                .map(|s| format!("{} ({})", s.rule.as_str(), s.direction.as_str()))
                .collect();
            writeln!(out, "  {month:<8} {count:>6}  {}", marks.join(", "))?;
        }
    }
    Ok(())
}

/// `irmer committee`: the committee's report for the period (by default
/// the current financial year), the whole register, through the
/// identifier gate; to `output`, or HTML to standard output.
pub async fn committee<S: Store + AccountStore>(
    register: &Register<S>,
    period: &PeriodArgs,
    format: CommitteeFormat,
    output: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    let today = register.today();
    let (from, to) = match resolve(period, today, tally::current_financial_year(today)) {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    if format == CommitteeFormat::Pdf && output.is_none() {
        eprintln!("irmer: --output: a PDF is written to a file: give its path");
        return Ok(ExitCode::from(2));
    }
    let asked = irmer_report::committee::Period {
        from,
        to,
        scope: None,
        covering: "covering the whole organisation",
    };
    let report = match irmer_report::committee::committee(register, &asked).await {
        Ok(r) => r,
        Err(e) => return Ok(report_error(&e)),
    };
    let now = register.now();
    let bytes = match format {
        CommitteeFormat::Html => irmer_report::committee::html(&report, now).into_bytes(),
        CommitteeFormat::Pdf => match irmer_pdf::committee_pdf(&report, now) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("irmer: {e}");
                return Ok(ExitCode::from(1));
            }
        },
    };
    match output {
        Some(path) => {
            std::fs::write(path, &bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            eprintln!(
                "irmer: the committee's report from {from} to {to} written to {} ({} identifier{} replaced)",
                path.display(),
                report.redacted,
                if report.redacted == 1 { "" } else { "s" }
            );
        }
        None => io::stdout().lock().write_all(&bytes)?,
    }
    Ok(ExitCode::SUCCESS)
}
