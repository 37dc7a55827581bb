//! Charts rendered on the server as SVG (charts-rs), embedded inline in pages: no JavaScript.

use charts_rs::{HorizontalBarChart, Series};

/// A horizontal bar chart of labelled counts. Returns an empty-state paragraph when there is no data.
pub fn hbar(series_name: &str, items: &[(String, i64)], width: f32, empty_text: &str) -> String {
    if items.is_empty() {
        return format!(
            "<p class=\"empty\">{}</p>",
            crate::pages::escape(empty_text)
        );
    }
    // charts-rs draws the first category at the bottom; reverse so the largest stays on top.
    let labels: Vec<String> = items
        .iter()
        .rev()
        .map(|(l, _)| pad_for_measure(l))
        .collect();
    let values: Vec<f32> = items.iter().rev().map(|(_, v)| *v as f32).collect();
    let mut chart =
        HorizontalBarChart::new(vec![Series::new(series_name.to_string(), values)], labels);
    chart.width = width;
    chart.height = (60.0 + 28.0 * items.len() as f32).max(160.0);
    chart.legend_show = Some(false);
    chart.series_colors = vec!["#b0282d".into()];
    chart.series_label_position = Some(charts_rs::Position::Right);
    chart.margin.left = 10.0;
    chart.margin.right = 40.0;
    match chart.svg() {
        Ok(svg) => format!(
            "<div class=\"chart\" role=\"img\" aria-label=\"{}\">{svg}</div>",
            crate::pages::escape(series_name)
        ),
        Err(e) => {
            tracing::warn!(error = %e, "chart rendering failed");
            String::new()
        }
    }
}

/// charts-rs measures label widths with its bundled Latin font, which has no CJK glyphs and
/// under-measures Chinese labels by about half an em per character, so they would slide under the
/// bars. Leading spaces are measured but collapsed when the SVG is drawn: two per wide character
/// make up the difference without changing what is shown.
fn pad_for_measure(label: &str) -> String {
    let wide = label.chars().filter(|c| (*c as u32) >= 0x2E80).count();
    format!("{}{label}", " ".repeat(wide * 2))
}
