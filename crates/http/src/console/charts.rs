//! Charts drawn on the server as inline SVG: plotters draws the grid and the lines; the
//! labels (axis figures, dates) are SVG `<text>` written here, because wagate builds
//! plotters without font rendering. Any page can use [`line_chart`].

use plotters::prelude::*;

/// One line of a chart.
pub struct Series<'a> {
    pub name: &'a str,
    /// `#rrggbb`-style colour as RGB.
    pub color: (u8, u8, u8),
    /// One value per label, in order.
    pub values: Vec<i64>,
}

const W: u32 = 640;
const H: u32 = 240;
const LEFT: u32 = 70;
const RIGHT: u32 = 14;
const TOP: u32 = 12;
const BOTTOM: u32 = 30;

/// A line chart of `series` over `labels` (the x axis: one label per point, the first,
/// middle and last written under it), with the y axis from 0 to a round maximum and its
/// figures written by `figure`. `title` names the chart for screen readers; the SVG carries
/// a `<desc>` with every point, for people who cannot see it.
pub fn line_chart(
    title: &str,
    labels: &[String],
    series: &[Series<'_>],
    figure: impl Fn(i64) -> String,
) -> String {
    let n = labels.len().max(2);
    let top = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0);
    let top = round_up(top.max(1));
    let mut svg = String::new();
    let drawn = draw(&mut svg, n, top, series);
    if drawn.is_err() {
        // plotters' SVG backend writes into a String and cannot fail; keep the page anyway.
        svg = format!(r#"<svg viewBox="0 0 {W} {H}" xmlns="http://www.w3.org/2000/svg"></svg>"#);
    }
    let mut extra = String::new();
    let (pw, ph) = ((W - LEFT - RIGHT) as f64, (H - TOP - BOTTOM) as f64);
    for i in 0..=2 {
        let v = top * i / 2;
        let y = TOP as f64 + ph - ph * (i as f64) / 2.0;
        extra.push_str(&format!(
            r##"<text x="{}" y="{:.1}" text-anchor="end" font-size="12" fill="#54656f">{}</text>"##,
            LEFT - 6,
            y + 4.0,
            escape(&figure(v))
        ));
    }
    if !labels.is_empty() {
        let mut picks = vec![0, labels.len() / 2, labels.len() - 1];
        picks.dedup();
        for i in picks {
            let x = LEFT as f64 + pw * (i as f64) / ((n - 1) as f64);
            let anchor = match i {
                0 => "start",
                i if i == labels.len() - 1 => "end",
                _ => "middle",
            };
            extra.push_str(&format!(
                r##"<text x="{x:.1}" y="{}" text-anchor="{anchor}" font-size="12" fill="#54656f">{}</text>"##,
                H - 8,
                escape(&labels[i])
            ));
        }
    }
    let mut desc = String::new();
    for s in series {
        desc.push_str(&format!("{}: ", s.name));
        let points: Vec<String> = labels
            .iter()
            .zip(&s.values)
            .map(|(l, v)| format!("{l} {}", figure(*v)))
            .collect();
        desc.push_str(&points.join(", "));
        desc.push_str(". ");
    }
    let head = format!(
        r#"<svg role="img" aria-label="{}" "#,
        escape(title).replace('"', "&quot;")
    );
    let svg = svg.replacen("<svg ", &head, 1);
    let inner = format!("<desc>{}</desc>{extra}</svg>", escape(desc.trim_end()));
    match svg.rfind("</svg>") {
        Some(at) => format!("{}{inner}", &svg[..at]),
        None => svg,
    }
}

fn draw(svg: &mut String, n: usize, top: i64, series: &[Series<'_>]) -> Result<(), String> {
    let root = SVGBackend::with_string(svg, (W, H)).into_drawing_area();
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let area = root.margin(TOP, BOTTOM, LEFT, RIGHT);
    let mut chart = ChartBuilder::on(&area)
        .build_cartesian_2d(0f64..(n - 1) as f64, 0f64..top as f64)
        .map_err(err)?;
    let grid = RGBColor(0xe0, 0xe4, 0xe7);
    for i in 0..=2 {
        let y = top as f64 * i as f64 / 2.0;
        chart
            .draw_series(LineSeries::new(
                [(0.0, y), ((n - 1) as f64, y)],
                grid.stroke_width(1),
            ))
            .map_err(err)?;
    }
    for s in series {
        let (r, g, b) = s.color;
        chart
            .draw_series(LineSeries::new(
                s.values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (i as f64, *v as f64)),
                RGBColor(r, g, b).stroke_width(2),
            ))
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// The smallest of 1, 2, 5 × 10ⁿ at or above `v` (an axis that ends on a round figure).
fn round_up(v: i64) -> i64 {
    let mut step = 1i64;
    loop {
        for m in [1, 2, 5] {
            if let Some(c) = step.checked_mul(m)
                && c >= v
            {
                return c;
            }
        }
        match step.checked_mul(10) {
            Some(s) => step = s,
            None => return v,
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(n: usize) -> Vec<String> {
        (1..=n).map(|d| format!("2026-12-{d:02}")).collect()
    }

    /// The points of the SVG's polylines, in order.
    fn polylines(svg: &str) -> Vec<Vec<(f64, f64)>> {
        svg.split("<polyline")
            .skip(1)
            .map(|p| {
                let start = p.find("points=\"").expect("points") + 8;
                let end = start + p[start..].find('"').expect("end");
                p[start..end]
                    .split_whitespace()
                    .map(|xy| {
                        let (x, y) = xy.split_once(',').expect("x,y");
                        (x.parse().expect("x"), y.parse().expect("y"))
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_series_is_a_polyline_through_its_points() {
        let svg = line_chart(
            "Sent per day",
            &labels(4),
            &[Series {
                name: "sent",
                color: (0, 128, 105),
                values: vec![0, 10, 5, 10],
            }],
            |v| v.to_string(),
        );
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\"Sent per day\""));
        let lines = polylines(&svg);
        // Three grid lines, then the series.
        assert_eq!(lines.len(), 4, "{svg}");
        let points = &lines[3];
        assert_eq!(points.len(), 4);
        // Higher values are higher up (smaller y); equal values at equal heights.
        assert!(points[1].1 < points[2].1 && points[2].1 < points[0].1);
        assert_eq!(points[1].1, points[3].1);
        // Left to right.
        assert!(points.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(svg.contains("stroke=\"#008069\""), "{svg}");
        assert!(svg.contains(
            "<desc>sent: 2026-12-01 0, 2026-12-02 10, 2026-12-03 5, 2026-12-04 10.</desc>"
        ));
        // The axis: 0 to 10, and the first, middle and last dates.
        assert!(
            svg.contains(">10</text>") && svg.contains(">5</text>") && svg.contains(">0</text>")
        );
        assert!(svg.contains(">2026-12-01</text>") && svg.contains(">2026-12-04</text>"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn every_series_is_drawn_and_labels_are_escaped() {
        let svg = line_chart(
            "Cost <daily>",
            &labels(30),
            &[
                Series {
                    name: "a",
                    color: (1, 2, 3),
                    values: vec![1; 30],
                },
                Series {
                    name: "b",
                    color: (4, 5, 6),
                    values: (0..30).collect(),
                },
            ],
            |v| format!("EUR {v} & more"),
        );
        assert_eq!(polylines(&svg).len(), 5);
        assert_eq!(polylines(&svg)[4].len(), 30);
        assert!(svg.contains("aria-label=\"Cost &lt;daily&gt;\""));
        assert!(svg.contains("EUR 50 &amp; more</text>"));
        assert!(!svg.contains("<daily>"));
    }

    #[test]
    fn an_empty_chart_still_draws() {
        let svg = line_chart(
            "Nothing",
            &labels(30),
            &[Series {
                name: "sent",
                color: (0, 0, 0),
                values: vec![0; 30],
            }],
            |v| v.to_string(),
        );
        assert_eq!(polylines(&svg)[3].len(), 30);
        assert!(svg.contains(">1</text>"));
    }

    #[test]
    fn axes_end_on_round_figures() {
        assert_eq!(round_up(1), 1);
        assert_eq!(round_up(3), 5);
        assert_eq!(round_up(11), 20);
        assert_eq!(round_up(1_234_567), 2_000_000);
        assert_eq!(round_up(50), 50);
    }
}
