//! Line charts as server-rendered SVG (DESIGN.md §10: charts are SVG, pages read without
//! JavaScript). A chart is only a picture of a table the page also shows, so it carries
//! no figure the table does not: it is laid out here and drawn by the template.

/// One series: its name in the legend and a value (a percentage) per point; `None` where
/// the figure is not known, which breaks the line rather than drawing a zero.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// One line of a chart, ready to draw: each unbroken run of known values as the
/// `points` of a `<polyline>`.
#[derive(Debug, Clone)]
pub struct Line {
    pub name: String,
    pub runs: Vec<String>,
}

/// A label on an axis at `at` (x for the time axis, y for the percent axis).
#[derive(Debug, Clone)]
pub struct Tick {
    pub at: f64,
    pub text: String,
}

/// A percent-over-time chart laid out in the template's coordinates.
#[derive(Debug, Clone)]
pub struct Chart {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub lines: Vec<Line>,
    pub x_ticks: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

/// Lays out `series` over the points labelled `labels` on a 0–100% axis (higher if a
/// value is above 100, so nothing is drawn off the chart).
pub fn percent_over_time(labels: &[String], series: &[Series]) -> Chart {
    let top_value = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(100.0_f64, |m, v| m.max(*v));
    let top_value = (top_value / 25.0).ceil() * 25.0;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let n = labels.len();
    let x = |i: usize| {
        if n <= 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| TOP + plot_h * (1.0 - v / top_value);
    let lines = series
        .iter()
        .map(|s| {
            let mut runs = Vec::new();
            let mut run: Vec<String> = Vec::new();
            for (i, value) in s.values.iter().enumerate().take(n) {
                match value {
                    Some(v) => run.push(format!("{:.1},{:.1}", x(i), y(*v))),
                    None if !run.is_empty() => runs.push(std::mem::take(&mut run).join(" ")),
                    None => {}
                }
            }
            if !run.is_empty() {
                runs.push(run.join(" "));
            }
            Line {
                name: s.name.clone(),
                runs,
            }
        })
        .collect();
    // The first and last weeks, and up to three between, so labels never overlap.
    let mut x_ticks: Vec<Tick> = Vec::new();
    if n > 0 {
        let step = ((n - 1) / 4).max(1);
        let mut i = 0;
        while i < n {
            if n - 1 - i >= step / 2 || i == n - 1 {
                x_ticks.push(Tick {
                    at: x(i),
                    text: labels[i].clone(),
                });
            }
            i += step;
        }
        if x_ticks.last().is_none_or(|t| t.text != labels[n - 1]) {
            x_ticks.push(Tick {
                at: x(n - 1),
                text: labels[n - 1].clone(),
            });
        }
    }
    let y_ticks = (0..=4)
        .map(|k| {
            let v = top_value * f64::from(k) / 4.0;
            Tick {
                at: y(v),
                text: format!("{v:.0}%"),
            }
        })
        .collect();
    Chart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: WIDTH - RIGHT,
        top: TOP,
        bottom: HEIGHT - BOTTOM,
        lines,
        x_ticks,
        y_ticks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_break_the_line_and_the_axis_fits_every_value() {
        let labels: Vec<String> = (1..=5).map(|w| format!("W{w}")).collect();
        let chart = percent_over_time(
            &labels,
            &[Series {
                name: "trained".into(),
                values: vec![Some(0.0), Some(10.0), None, Some(120.0), Some(50.0)],
            }],
        );
        assert_eq!(chart.lines[0].runs.len(), 2);
        assert_eq!(chart.lines[0].runs[0], "48.0,220.0 192.0,203.7");
        // 120% raises the axis to 125%; the point stays inside the plot.
        assert_eq!(chart.y_ticks.last().map(|t| t.text.as_str()), Some("125%"));
        assert!(chart.lines[0].runs[1].contains(",24.2"));
        assert_eq!(chart.x_ticks.first().map(|t| t.text.as_str()), Some("W1"));
        assert_eq!(chart.x_ticks.last().map(|t| t.text.as_str()), Some("W5"));
    }

    #[test]
    fn one_week_is_a_point_in_the_middle() {
        let chart = percent_over_time(
            &["W1".to_owned()],
            &[Series {
                name: "trained".into(),
                values: vec![Some(50.0)],
            }],
        );
        assert_eq!(chart.lines[0].runs, vec!["336.0,118.0".to_owned()]);
        assert_eq!(chart.x_ticks.len(), 1);
    }
}
