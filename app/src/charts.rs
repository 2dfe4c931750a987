//! SVG charts drawn with plotters. Text goes through plotters' SVG backend, which escapes
//! it, so column names and labels are safe to embed in a page.

use glassbox_engine::profile::stats::Histogram;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const ACCENT: RGBColor = RGBColor(61, 110, 168);
const INK: RGBColor = RGBColor(60, 64, 72);

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// Compact tick labels: 12k, 3.4M, 0.25.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// Vertical bars, one per label (class counts, top categories).
pub fn bar_chart(labels: &[String], values: &[f64], width: u32, height: u32) -> String {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (width, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let n = labels.len().max(1);
        let top = values.iter().cloned().fold(0.0, f64::max).max(1.0) * 1.1;
        let chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..top);
        if let Ok(mut chart) = chart {
            let fmt_x = |x: &SegmentValue<usize>| match x {
                SegmentValue::CenterOf(i) => {
                    labels.get(*i).map(|l| short(l, 14)).unwrap_or_default()
                }
                _ => String::new(),
            };
            let _ = chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(n.min(20))
                .x_label_formatter(&fmt_x)
                .y_label_formatter(&|v| compact(*v))
                .label_style(("sans-serif", 12).into_font().color(&INK))
                .axis_style(INK.mix(0.4))
                .light_line_style(INK.mix(0.08))
                .bold_line_style(INK.mix(0.15))
                .draw();
            let _ = chart.draw_series(
                plotters::series::Histogram::vertical(&chart)
                    .style(ACCENT.filled())
                    .margin(6)
                    .data(values.iter().enumerate().map(|(i, v)| (i, *v))),
            );
        }
        let _ = root.present();
    }
    buf
}

/// Horizontal bars, one per label, largest first: readable with long or many labels.
/// The axis reaches at least 1 (for shares).
pub fn hbar_chart(labels: &[String], values: &[f64], width: u32) -> String {
    let top = values.iter().cloned().fold(0.0, f64::max).max(1.0) * 1.1;
    hbar_chart_to(labels, values, width, top)
}

/// Horizontal bars on an axis from 0 to `top`.
pub fn hbar_chart_to(labels: &[String], values: &[f64], width: u32, top: f64) -> String {
    let n = labels.len().max(1);
    let height = (28 + 22 * n) as u32;
    let top = if top > 0.0 && top.is_finite() {
        top
    } else {
        1.0
    };
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (width, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let longest = labels
            .iter()
            .map(|l| l.chars().count().min(18))
            .max()
            .unwrap_or(4) as u32;
        if let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(6)
            .x_label_area_size(20)
            .y_label_area_size(12 + 7 * longest)
            .build_cartesian_2d(0f64..top, (0..n - 1).into_segmented())
        {
            // Row 0 at the top: plotters counts upwards, so labels are looked up reversed.
            let fmt_y = |y: &SegmentValue<usize>| match y {
                SegmentValue::CenterOf(i) => labels
                    .get(n - 1 - *i)
                    .map(|l| short(l, 18))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            let _ = chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(n)
                .x_labels(4)
                .y_label_formatter(&fmt_y)
                .x_label_formatter(&|v| compact(*v))
                .label_style(("sans-serif", 11).into_font().color(&INK))
                .axis_style(INK.mix(0.4))
                .light_line_style(INK.mix(0.06))
                .bold_line_style(INK.mix(0.12))
                .draw();
            let _ = chart.draw_series(
                plotters::series::Histogram::horizontal(&chart)
                    .style(ACCENT.filled())
                    .margin(3)
                    .data(values.iter().enumerate().map(|(i, v)| (n - 1 - i, *v))),
            );
        }
        let _ = root.present();
    }
    buf
}

/// A numeric column's histogram, from the profile's bin edges and counts.
pub fn histogram_chart(h: &Histogram, width: u32, height: u32) -> String {
    let mut buf = String::new();
    if h.counts.is_empty() {
        return buf;
    }
    {
        let root = SVGBackend::with_string(&mut buf, (width, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let (lo, hi) = (h.edges[0], h.edges[h.edges.len() - 1]);
        let top = h.counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.1;
        if let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(6)
            .x_label_area_size(24)
            .y_label_area_size(40)
            .build_cartesian_2d(lo..hi, 0f64..top)
        {
            let _ = chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(4)
                .y_labels(4)
                .x_label_formatter(&|v| compact(*v))
                .y_label_formatter(&|v| compact(*v))
                .label_style(("sans-serif", 11).into_font().color(&INK))
                .axis_style(INK.mix(0.4))
                .light_line_style(INK.mix(0.06))
                .bold_line_style(INK.mix(0.12))
                .draw();
            let _ = chart.draw_series(h.counts.iter().enumerate().map(|(i, c)| {
                Rectangle::new(
                    [(h.edges[i], 0.0), (h.edges[i + 1], *c as f64)],
                    ACCENT.mix(0.85).filled(),
                )
            }));
        }
        let _ = root.present();
    }
    buf
}

/// Diverging colour for a correlation in [-1, 1]: red for negative, blue for positive.
fn corr_colour(r: f64) -> RGBColor {
    let t = r.clamp(-1.0, 1.0).abs();
    let (base_r, base_g, base_b) = if r >= 0.0 {
        (61.0, 110.0, 168.0)
    } else {
        (192.0, 80.0, 77.0)
    };
    let mix = |b: f64| (255.0 + (b - 255.0) * t) as u8;
    RGBColor(mix(base_r), mix(base_g), mix(base_b))
}

/// Correlation heat map with the coefficient written in each cell.
pub fn heatmap(columns: &[String], matrix: &[Vec<Option<f64>>]) -> String {
    let k = columns.len();
    let cell = if k <= 8 { 56 } else { 40 };
    let longest = columns
        .iter()
        .map(|c| c.chars().count().min(20))
        .max()
        .unwrap_or(4);
    let label_w = 16 + 7 * longest;
    let (w, h) = (
        (label_w + cell * k + 10) as u32,
        (label_w + cell * k + 10) as u32,
    );
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (w, h)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let font = ("sans-serif", 11).into_font().color(&INK);
        let centered = font.clone().pos(Pos::new(HPos::Center, VPos::Center));
        let right = font.clone().pos(Pos::new(HPos::Right, VPos::Center));
        for (i, row) in matrix.iter().enumerate() {
            let y = label_w + i * cell;
            let _ = root.draw(&Text::new(
                short(&columns[i], 20),
                (label_w as i32 - 6, (y + cell / 2) as i32),
                right.clone(),
            ));
            for (j, v) in row.iter().enumerate() {
                let x = label_w + j * cell;
                let colour = v.map_or(RGBColor(235, 235, 235), corr_colour);
                let _ = root.draw(&Rectangle::new(
                    [
                        (x as i32, y as i32),
                        ((x + cell - 1) as i32, (y + cell - 1) as i32),
                    ],
                    colour.filled(),
                ));
                let txt = v.map_or("–".to_string(), |r| format!("{r:.2}"));
                let style = if v.is_some_and(|r| r.abs() > 0.6) {
                    centered.clone().color(&WHITE)
                } else {
                    centered.clone()
                };
                let _ = root.draw(&Text::new(
                    txt,
                    ((x + cell / 2) as i32, (y + cell / 2) as i32),
                    style,
                ));
            }
        }
        // Column labels along the top, rotated.
        let vert = ("sans-serif", 11)
            .into_font()
            .transform(FontTransform::Rotate270)
            .color(&INK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        for (j, c) in columns.iter().enumerate() {
            let x = label_w + j * cell + cell / 2;
            let _ = root.draw(&Text::new(
                short(c, 20),
                (x as i32, label_w as i32 - 6),
                vert.clone(),
            ));
        }
        let _ = root.present();
    }
    buf
}

/// A curve (or scatter of points joined in order) on the unit square, such as ROC,
/// precision-recall or calibration, with the axes named and, optionally, the diagonal.
pub fn curve_chart(
    points: &[(f64, f64)],
    x_label: &str,
    y_label: &str,
    diagonal: bool,
    size: u32,
) -> String {
    if points.is_empty() {
        return String::new();
    }
    curves_chart(
        &[(String::new(), points.to_vec())],
        x_label,
        y_label,
        diagonal,
        size,
    )
}

/// Points on axes fitted to them, with the axes named (a SHAP dependence plot).
pub fn scatter_chart(points: &[(f64, f64)], x_label: &str, y_label: &str, size: u32) -> String {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let mut buf = String::new();
    if pts.is_empty() {
        return buf;
    }
    let span = |v: &mut dyn Iterator<Item = f64>| {
        let (lo, hi) = v.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
        let pad = if hi > lo { (hi - lo) * 0.05 } else { 0.5 };
        (lo - pad)..(hi + pad)
    };
    let xr = span(&mut pts.iter().map(|p| p.0));
    let yr = span(&mut pts.iter().map(|p| p.1));
    {
        let root = SVGBackend::with_string(&mut buf, (size * 4 / 3, size)).into_drawing_area();
        let _ = root.fill(&WHITE);
        if let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(50)
            .build_cartesian_2d(xr, yr)
        {
            let _ = chart
                .configure_mesh()
                .x_labels(6)
                .y_labels(6)
                .x_desc(x_label)
                .y_desc(y_label)
                .x_label_formatter(&|v| compact(*v))
                .y_label_formatter(&|v| compact(*v))
                .label_style(("sans-serif", 11).into_font().color(&INK))
                .axis_style(INK.mix(0.4))
                .light_line_style(INK.mix(0.06))
                .bold_line_style(INK.mix(0.12))
                .draw();
            let _ = chart.draw_series(
                pts.iter()
                    .map(|p| Circle::new(*p, 2, ACCENT.mix(0.6).filled())),
            );
        }
        let _ = root.present();
    }
    buf
}

/// Colour-blind-safe series colours (Okabe–Ito) for overlaid curves.
const SERIES: [RGBColor; 4] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
];

/// Several curves on the unit square (ROC or precision-recall of candidates side by side),
/// each in its colour and named in the legend.
pub fn curves_chart(
    series: &[(String, Vec<(f64, f64)>)],
    x_label: &str,
    y_label: &str,
    diagonal: bool,
    size: u32,
) -> String {
    let mut buf = String::new();
    if series.is_empty() {
        return buf;
    }
    {
        let root = SVGBackend::with_string(&mut buf, (size, size)).into_drawing_area();
        let _ = root.fill(&WHITE);
        if let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(44)
            .build_cartesian_2d(0f64..1f64, 0f64..1.02f64)
        {
            let _ = chart
                .configure_mesh()
                .x_labels(6)
                .y_labels(6)
                .x_desc(x_label)
                .y_desc(y_label)
                .label_style(("sans-serif", 11).into_font().color(&INK))
                .axis_style(INK.mix(0.4))
                .light_line_style(INK.mix(0.06))
                .bold_line_style(INK.mix(0.12))
                .draw();
            if diagonal {
                let _ = chart.draw_series(LineSeries::new(
                    [(0.0, 0.0), (1.0, 1.0)],
                    INK.mix(0.3).stroke_width(1),
                ));
            }
            let single = series.len() == 1;
            for (i, (name, points)) in series.iter().enumerate() {
                let colour = if single {
                    ACCENT
                } else {
                    SERIES[i % SERIES.len()]
                };
                let pts: Vec<(f64, f64)> = points
                    .iter()
                    .copied()
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .collect();
                if let Ok(drawn) = chart.draw_series(LineSeries::new(pts, colour.stroke_width(2))) {
                    if !name.is_empty() {
                        drawn.label(short(name, 28)).legend(move |(x, y)| {
                            PathElement::new([(x, y), (x + 14, y)], colour.stroke_width(2))
                        });
                    }
                }
            }
            if series.iter().any(|(n, _)| !n.is_empty()) {
                let _ = chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::LowerRight)
                    .background_style(WHITE.mix(0.85))
                    .border_style(INK.mix(0.2))
                    .label_font(("sans-serif", 11).into_font().color(&INK))
                    .draw();
            }
        }
        let _ = root.present();
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        let svg = bar_chart(
            &["</script><b>".to_string(), "a\"b".to_string()],
            &[3.0, 4.0],
            300,
            200,
        );
        assert!(svg.starts_with("<svg"));
        assert!(!svg.contains("</script>"));
        assert!(svg.contains("&lt;/script&gt;"));
        let svg = heatmap(
            &["x<y".into(), "z".into()],
            &[vec![Some(1.0), Some(-0.5)], vec![Some(-0.5), Some(1.0)]],
        );
        assert!(svg.contains("x&lt;y"));
        assert!(svg.contains("-0.50"));
    }
}
