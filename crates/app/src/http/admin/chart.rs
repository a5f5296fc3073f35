//! The admin's chart of the last twelve months, raised against goal, as server-rendered
//! SVG: no script, no chart library, readable by screen readers through its text.

use std::fmt::Write;

/// One month's column.
pub struct ChartMonth {
    /// "Jul": under the column.
    pub label: String,
    pub raised_minor: i64,
    pub goal_minor: Option<i64>,
    /// "July 2020: $307 of $5,000": the column's title, for hover and screen readers.
    pub description: String,
}

const WIDTH: i64 = 720;
const HEIGHT: i64 = 240;
const BOTTOM: i64 = 24;

pub fn raised_vs_goal(months: &[ChartMonth]) -> String {
    let top =
        months.iter().flat_map(|m| [m.raised_minor, m.goal_minor.unwrap_or(0)]).max().unwrap_or(0).max(1);
    let n = months.len().max(1) as i64;
    let slot = WIDTH / n;
    let scale = |v: i64| (v.max(0) as f64 / top as f64 * (HEIGHT - BOTTOM - 8) as f64).round() as i64;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title"><title id="chart-title">Raised against goal, last {} months</title>"#,
        months.len()
    );
    for (i, m) in months.iter().enumerate() {
        let x = i as i64 * slot;
        let h = scale(m.raised_minor);
        let base = HEIGHT - BOTTOM;
        let _ = write!(
            svg,
            r##"<g><title>{}</title><rect x="{}" y="{}" width="{}" height="{h}" fill="#1a7f37"></rect>"##,
            escape(&m.description),
            x + slot / 4,
            base - h,
            slot / 2,
        );
        if let Some(goal) = m.goal_minor {
            let y = base - scale(goal);
            let _ = write!(
                svg,
                r##"<line x1="{}" x2="{}" y1="{y}" y2="{y}" stroke="#b00020" stroke-width="2"></line>"##,
                x + 4,
                x + slot - 4
            );
        }
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" text-anchor="middle" font-size="12" fill="#5b5b5b">{}</text></g>"##,
            x + slot / 2,
            HEIGHT - 6,
            escape(&m.label)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_column_per_month_and_a_goal_line_where_there_is_a_goal() {
        let months = vec![
            ChartMonth {
                label: "Jun".into(),
                raised_minor: 100,
                goal_minor: None,
                description: "June".into(),
            },
            ChartMonth {
                label: "Jul".into(),
                raised_minor: 400,
                goal_minor: Some(200),
                description: "<July>".into(),
            },
        ];
        let svg = raised_vs_goal(&months);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert_eq!(svg.matches("<line").count(), 1);
        assert!(svg.contains("&lt;July&gt;") && !svg.contains("<July>"));
        assert!(svg.contains(r#"height="208""#), "the largest value fills the chart: {svg}");
    }
}
