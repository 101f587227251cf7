//! The table of ratios, as Markdown.

use std::fmt::Write as _;

use crate::measure::Measured;

/// A Markdown table: one row per case with both medians, the ratio, the
/// target and whether it is met.
pub fn markdown(rows: &[Measured]) -> String {
    let mut out = String::from(
        "| query | anchor command | lines | ferrule median ms | anchor median ms | ferrule / anchor | target | met |\n|---|---|---:|---:|---:|---:|---:|---|\n",
    );
    for row in rows {
        let ferrule = row
            .ferrule
            .map_or_else(|| "—".to_string(), |s| format!("{:.1}", s.median_ms));
        let ratio = row
            .ratio()
            .map_or_else(|| "—".to_string(), |r| format!("{r:.2}×"));
        let target = row
            .target
            .map_or_else(|| "—".to_string(), |t| format!("≤ {t:.2}×"));
        let met = match (&row.mismatch, row.met()) {
            (Some(_), _) => "**results differ**",
            (None, Some(true)) => "yes",
            (None, Some(false)) => "**no**",
            (None, None) => "—",
        };
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {ferrule} | {:.1} | {ratio} | {target} | {met} |",
            row.name, row.command, row.lines, row.anchor.median_ms
        );
    }
    for row in rows {
        if let Some(what) = &row.mismatch {
            let _ = writeln!(out, "\n{}: results differ, not timed: {what}", row.name);
        }
    }
    out
}

/// A tab-separated table with min and max too, for machines.
pub fn tsv(rows: &[Measured]) -> String {
    let mut out = String::from(
        "name\tferrule\tferrule_median_ms\tferrule_min_ms\tferrule_max_ms\tanchor_median_ms\tanchor_min_ms\tanchor_max_ms\tratio\ttarget\tlines\tcommand\n",
    );
    for row in rows {
        let (fm, fmin, fmax) = row.ferrule.map_or((f64::NAN, f64::NAN, f64::NAN), |s| {
            (s.median_ms, s.min_ms, s.max_ms)
        });
        let _ = writeln!(
            out,
            "{}\t{}\t{fm:.2}\t{fmin:.2}\t{fmax:.2}\t{:.2}\t{:.2}\t{:.2}\t{:.3}\t{}\t{}\t{}",
            row.name,
            row.ferrule_label,
            row.anchor.median_ms,
            row.anchor.min_ms,
            row.anchor.max_ms,
            row.ratio().unwrap_or(f64::NAN),
            row.target.map_or_else(String::new, |t| format!("{t}")),
            row.lines,
            row.command
        );
    }
    out
}
