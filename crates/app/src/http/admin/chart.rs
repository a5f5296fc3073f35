//! The admin's chart of the last twelve months, raised against goal, as server-rendered
//! SVG: no script, no chart library; axes and every amount written out, so nothing needs
//! hovering, and readable by screen readers through its text.

use std::fmt::Write;

/// One month's column.
pub struct ChartMonth {
    /// "Jul": under the column.
    pub label: String,
    pub raised_minor: i64,
    pub goal_minor: Option<i64>,
    /// "$307": written above the column.
    pub raised_label: String,
    /// "July 2020: $307 of $5,000": the column's title, for screen readers.
    pub description: String,
}

const WIDTH: i64 = 720;
const HEIGHT: i64 = 280;
/// Room for the amounts of the vertical axis.
const LEFT: i64 = 72;
/// Room for the month names.
const BOTTOM: i64 = 28;
/// Room for the amount above the tallest column.
const TOP: i64 = 24;
const PLOT: i64 = HEIGHT - BOTTOM - TOP;

/// Draws the columns; `axis_label` writes an amount in minor units for the vertical axis.
pub fn raised_vs_goal(months: &[ChartMonth], axis_label: &dyn Fn(i64) -> String) -> String {
    let top = nice_ceiling(
        months.iter().flat_map(|m| [m.raised_minor, m.goal_minor.unwrap_or(0)]).max().unwrap_or(0),
    );
    let slot = (WIDTH - LEFT) / months.len().max(1) as i64;
    let base = HEIGHT - BOTTOM;
    // Saturating, in f64: an absurd total draws a full column, never a wrapped one.
    let scale = |v: i64| (v.max(0) as f64 / top as f64 * PLOT as f64).round().min(PLOT as f64) as i64;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title"><title id="chart-title">Raised against goal, last {} months</title>"#,
        months.len()
    );
    for tick in [0, top / 2, top] {
        let y = base - scale(tick);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{WIDTH}" y1="{y}" y2="{y}" stroke="#d0d0d0" stroke-width="1"></line><text x="{}" y="{}" text-anchor="end" font-size="12" fill="#3d3d3d">{}</text>"##,
            LEFT - 6,
            y + 4,
            escape(&axis_label(tick)),
        );
    }
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{base}" stroke="#5b5b5b" stroke-width="1"></line>"##
    );
    for (i, m) in months.iter().enumerate() {
        svg.push_str(&column(m, LEFT + i as i64 * slot, slot, &scale));
    }
    svg.push_str("</svg>");
    svg
}

fn column(m: &ChartMonth, x: i64, slot: i64, scale: &dyn Fn(i64) -> i64) -> String {
    let base = HEIGHT - BOTTOM;
    let h = scale(m.raised_minor);
    let mut out = format!(
        r##"<g><title>{}</title><rect x="{}" y="{}" width="{}" height="{h}" fill="#1a7f37"></rect>"##,
        escape(&m.description),
        x + slot / 4,
        base - h,
        slot / 2,
    );
    if let Some(goal) = m.goal_minor {
        let y = base - scale(goal);
        let _ = write!(
            out,
            r##"<line x1="{}" x2="{}" y1="{y}" y2="{y}" stroke="#b00020" stroke-width="2"></line>"##,
            x + 4,
            x + slot - 4
        );
    }
    let _ = write!(
        out,
        r##"<text x="{mid}" y="{}" text-anchor="middle" font-size="11" fill="#1d1d1d">{}</text><text x="{mid}" y="{}" text-anchor="middle" font-size="12" fill="#3d3d3d">{}</text></g>"##,
        base - h - 5,
        escape(&m.raised_label),
        HEIGHT - 8,
        escape(&m.label),
        mid = x + slot / 2,
    );
    out
}

/// The top of the vertical axis: the largest value rounded up to 1, 2 or 5 times a power
/// of ten, so that the axis reads in round amounts. At least 1; saturating at i64::MAX.
fn nice_ceiling(largest: i64) -> i64 {
    let largest = largest.max(1);
    let mut power: i64 = 1;
    while power <= largest / 10 {
        power *= 10;
    }
    [1, 2, 5, 10].iter().find_map(|k| power.checked_mul(*k).filter(|v| *v >= largest)).unwrap_or(i64::MAX)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(label: &str, raised_minor: i64, goal_minor: Option<i64>, description: &str) -> ChartMonth {
        ChartMonth {
            label: label.into(),
            raised_minor,
            goal_minor,
            raised_label: format!("${}", raised_minor / 100),
            description: description.into(),
        }
    }

    fn dollars(minor: i64) -> String {
        format!("${}", minor / 100)
    }

    #[test]
    fn draws_a_column_per_month_and_a_goal_line_where_there_is_a_goal() {
        let months = vec![month("Jun", 10_000, None, "June"), month("Jul", 40_000, Some(20_000), "<July>")];
        let svg = raised_vs_goal(&months, &dollars);
        assert_eq!(svg.matches("<rect").count(), 2);
        // Three grid lines, the vertical axis, one goal line.
        assert_eq!(svg.matches("<line").count(), 5);
        assert!(svg.contains("&lt;July&gt;") && !svg.contains("<July>"));
        // $400 on an axis that runs to $500: four fifths of the plot's 228 px.
        assert!(svg.contains(r#"height="182""#), "{svg}");
    }

    #[test]
    fn axes_and_amounts_are_written_out() {
        let months = vec![month("Jun", 10_000, None, "June"), month("Jul", 40_000, Some(20_000), "July")];
        let svg = raised_vs_goal(&months, &dollars);
        // The axis runs to $500 (rounded up from $400), with $0 and $250 below.
        for text in
            [">$0</text>", ">$250</text>", ">$500</text>", ">$100</text>", ">$400</text>", ">Jul</text>"]
        {
            assert!(svg.contains(text), "{text}: {svg}");
        }
    }

    #[test]
    fn the_axis_rounds_up_to_a_round_amount() {
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(-5), 1);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(10), 10);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(40_000), 50_000);
        assert_eq!(nice_ceiling(500_001), 1_000_000);
        assert_eq!(nice_ceiling(i64::MAX), i64::MAX);
    }

    #[test]
    fn absurd_amounts_draw_within_the_chart() {
        let months = vec![month("Jun", i64::MAX, Some(1), "June"), month("Jul", -50, Some(i64::MAX), "July")];
        let svg = raised_vs_goal(&months, &dollars);
        assert!(svg.contains(&format!(r#"height="{PLOT}""#)), "{svg}");
        assert!(!svg.contains("height=\"-"), "{svg}");
    }
}
