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
    match chart.svg().map(|svg| with_page_fonts(&svg)) {
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

/// A gauge: a half ring filled to `progress` (1.0 = the target), coloured by status, with the
/// value and the target written under it. Hand-drawn SVG (charts-rs has no gauge).
pub fn gauge(
    title: &str,
    progress: Option<f64>,
    value: &str,
    target: &str,
    status: &str,
) -> String {
    use std::f64::consts::PI;
    let (w, h, r, cx, cy) = (180.0_f64, 128.0_f64, 64.0_f64, 90.0_f64, 82.0_f64);
    let colour = match status {
        "met" => "#2e7d32",
        "on_track" => "#1565c0",
        "behind" => "#c62828",
        _ => "#9e9e9e",
    };
    let p = progress.unwrap_or(0.0).clamp(0.0, 1.0);
    let point = |f: f64| {
        let a = PI * (1.0 - f);
        (cx + r * a.cos(), cy - r * a.sin())
    };
    let (x0, y0) = point(0.0);
    let (x1, y1) = point(1.0);
    let (xp, yp) = point(p);
    let filled = if p > 0.0 {
        format!(
            "<path d=\"M{x0:.1} {y0:.1} A{r} {r} 0 0 1 {xp:.1} {yp:.1}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"14\"/>"
        )
    } else {
        String::new()
    };
    let pct = match progress {
        Some(p) => format!("{:.0}%", p * 100.0),
        None => "—".into(),
    };
    let e = crate::pages::escape;
    format!(
        "<svg class=\"gauge\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{t}: {pct}\">\
<path d=\"M{x0:.1} {y0:.1} A{r} {r} 0 0 1 {x1:.1} {y1:.1}\" fill=\"none\" stroke=\"#e0e0e0\" stroke-width=\"14\"/>{filled}\
<text x=\"{cx}\" y=\"{cy:.0}\" text-anchor=\"middle\" font-size=\"22\" font-weight=\"bold\" fill=\"{colour}\">{pct}</text>\
<text x=\"{cx}\" y=\"104\" text-anchor=\"middle\" font-size=\"12\" fill=\"#333\">{v}</text>\
<text x=\"{cx}\" y=\"120\" text-anchor=\"middle\" font-size=\"11\" fill=\"#777\">{tg}</text></svg>",
        t = e(title),
        v = e(value),
        tg = e(target),
    )
}

/// A line chart of series over labelled points (`None` = no data: a gap).
pub fn line(
    title: &str,
    x: &[String],
    series: &[(String, Vec<Option<f64>>)],
    width: f32,
    empty_text: &str,
) -> String {
    if x.is_empty() || series.iter().all(|(_, v)| v.iter().all(Option::is_none)) {
        return format!(
            "<p class=\"empty\">{}</p>",
            crate::pages::escape(empty_text)
        );
    }
    let list: Vec<Series> = series
        .iter()
        .map(|(name, vals)| {
            Series::new(
                name.clone(),
                vals.iter()
                    .map(|v| v.map(|v| v as f32).unwrap_or(charts_rs::NIL_VALUE))
                    .collect(),
            )
        })
        .collect();
    let mut chart = charts_rs::LineChart::new(list, x.to_vec());
    chart.width = width;
    chart.height = 260.0;
    chart.series_colors = vec!["#b0282d".into(), "#1565c0".into(), "#2e7d32".into()];
    chart.legend_show = Some(series.len() > 1);
    match chart.svg().map(|svg| with_page_fonts(&svg)) {
        Ok(svg) => format!(
            "<div class=\"chart\" role=\"img\" aria-label=\"{}\">{svg}</div>",
            crate::pages::escape(title)
        ),
        Err(e) => {
            tracing::warn!(error = %e, "chart rendering failed");
            String::new()
        }
    }
}

/// A vertical bar chart of one or more series over labelled categories (e.g. months), values in
/// any unit the caller chose (the series names say which). Empty-state paragraph without data.
pub fn bars(
    title: &str,
    labels: &[String],
    series: &[(String, Vec<f32>)],
    width: f32,
    empty_text: &str,
) -> String {
    if labels.is_empty() || series.iter().all(|(_, v)| v.iter().all(|x| *x == 0.0)) {
        return format!(
            "<p class=\"empty\">{}</p>",
            crate::pages::escape(empty_text)
        );
    }
    let list: Vec<Series> = series
        .iter()
        .map(|(n, v)| Series::new(n.clone(), v.clone()))
        .collect();
    let mut chart = charts_rs::BarChart::new(list, labels.to_vec());
    chart.width = width;
    chart.height = 300.0;
    chart.legend_show = Some(series.len() > 1);
    chart.series_colors = vec!["#b0282d".into(), "#1f6feb".into(), "#9a6700".into()];
    chart.margin.left = 10.0;
    chart.margin.right = 10.0;
    match chart.svg().map(|svg| with_page_fonts(&svg)) {
        Ok(svg) => format!(
            "<div class=\"chart\" role=\"img\" aria-label=\"{}\">{svg}</div>",
            crate::pages::escape(title)
        ),
        Err(e) => {
            tracing::warn!(error = %e, "chart rendering failed");
            String::new()
        }
    }
}

/// charts-rs names its measuring font (Roboto) in the SVG; browsers without it would fall back to a
/// serif face. Draw with the page's own font stack instead.
pub fn with_page_fonts(svg: &str) -> String {
    svg.replace(
        "font-family=\"Roboto\"",
        "font-family=\"Roboto, 'Noto Sans CJK SC', 'Noto Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif\"",
    )
}
