//! A candidate's model quality report (`quality.json`) as a page section: confusion
//! matrices, ROC, precision-recall and calibration curves, gain and lift, thresholds,
//! per-class scores or residuals. The numbers are the report's; nothing is recomputed.

use glassbox_engine::profile::stats::Histogram as ProfileHistogram;
use glassbox_engine::reports::{Confusion, Quality};
use leptos::prelude::*;

use crate::charts::{curve_chart, histogram_chart};
use crate::format::num;

pub(crate) fn figure(
    id: &'static str,
    caption: String,
    label: String,
    svg: String,
) -> impl IntoView {
    view! {
        <figure class="chart" id=id>
            <figcaption>{caption}</figcaption>
            <div role="img" aria-label=label inner_html=svg></div>
        </figure>
    }
}

fn confusion_table(id: &'static str, c: &Confusion) -> impl IntoView {
    let heads = c
        .labels
        .iter()
        .map(|l| view! { <th scope="col">{format!("predicted {l}")}</th> })
        .collect_view();
    let rows = c
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let cells = c.matrix[i]
                .iter()
                .enumerate()
                .map(|(j, n)| {
                    let pct = c
                        .percent
                        .get(i)
                        .and_then(|r| r.get(j))
                        .copied()
                        .unwrap_or(0.0);
                    view! { <td class="num">{n.to_string()}<span class="muted small">{format!(" ({pct:.1} %)")}</span></td> }
                })
                .collect_view();
            view! { <tr><th scope="row">{format!("actual {l}")}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <div class="scroll" tabindex="0" role="region" aria-label="Confusion matrix">
            <table class="grid compact" id=id><thead><tr><th>"rows"</th>{heads}</tr></thead><tbody>{rows}</tbody></table>
        </div>
    }
}

fn binary_parts(q: &Quality) -> impl IntoView {
    let positive = q.positive_class.clone().unwrap_or_default();
    let roc = q.roc.as_ref().map(|r| {
        let pts: Vec<(f64, f64)> = r.fpr.iter().copied().zip(r.tpr.iter().copied()).collect();
        figure(
            "quality-roc",
            format!("ROC curve · AUC {}", num(Some(r.auc))),
            format!("ROC curve for class {positive}: true positive rate against false positive rate, area {:.4}", r.auc),
            curve_chart(&pts, "false positive rate", "true positive rate", true, 300),
        )
    });
    let pr = q.pr.as_ref().map(|p| {
        let pts: Vec<(f64, f64)> = p
            .recall
            .iter()
            .copied()
            .zip(p.precision.iter().copied())
            .collect();
        figure(
            "quality-pr",
            format!(
                "Precision-recall · average precision {}",
                num(Some(p.average_precision))
            ),
            format!(
                "Precision against recall for class {positive}, average precision {:.4}",
                p.average_precision
            ),
            curve_chart(&pts, "recall", "precision", false, 300),
        )
    });
    let calibration = q.calibration.as_ref().map(|c| {
        let pts: Vec<(f64, f64)> = c
            .mean_predicted
            .iter()
            .copied()
            .zip(c.fraction_positive.iter().copied())
            .collect();
        figure(
            "quality-calibration",
            format!("Calibration · Brier score {}", num(Some(c.brier))),
            format!("Share of class {positive} against the mean predicted probability, in ten bins; Brier score {:.4}", c.brier),
            curve_chart(&pts, "mean predicted probability", "share positive", true, 300),
        )
    });
    let gain = q.gain_lift.as_ref().map(|g| {
        let rows = g
            .iter()
            .map(|r| {
                view! { <tr><td class="num">{format!("{:.0} %", r.fraction * 100.0)}</td><td class="num">{format!("{:.1} %", r.gain * 100.0)}</td><td class="num">{format!("{:.2}", r.lift)}</td></tr> }
            })
            .collect_view();
        view! {
            <table class="grid compact" id="quality-gain"><thead><tr><th>"top rows by score"</th><th>"share of positives found (gain)"</th><th>"lift"</th></tr></thead><tbody>{rows}</tbody></table>
        }
    });
    let thresholds = q.thresholds.as_ref().map(|t| {
        let rows = t
            .iter()
            .filter(|r| ((r.threshold * 20.0).round() as i64) % 2 == 0)
            .map(|r| {
                view! { <tr><td class="num">{format!("{:.2}", r.threshold)}</td><td class="num">{num(Some(r.precision))}</td><td class="num">{num(Some(r.recall))}</td><td class="num">{num(Some(r.f1))}</td><td class="num">{num(Some(r.false_positive_rate))}</td><td class="num">{r.predicted_positive.to_string()}</td></tr> }
            })
            .collect_view();
        view! {
            <div class="scroll" tabindex="0" role="region" aria-label="Thresholds">
                <table class="grid compact" id="quality-thresholds"><thead><tr><th>"threshold"</th><th>"precision"</th><th>"recall"</th><th>"F1"</th><th>"false positive rate"</th><th>"predicted positive"</th></tr></thead><tbody>{rows}</tbody></table>
            </div>
        }
    });
    let best = match (
        q.best_f1_threshold,
        q.best_f1,
        q.confusion_matrix_at_best_f1.as_ref(),
    ) {
        (Some(t), Some(f1), Some(c)) => Some(view! {
            <h3>{format!("At the F1-best threshold {t:.4} (F1 {f1:.4})")}</h3>
            {confusion_table("quality-confusion-best", c)}
        }),
        _ => None,
    };
    view! {
        <p class="muted small">{format!("Curves for the positive class {positive}; the predicted label is the more probable class (threshold 0.5).")}</p>
        {q.confusion_matrix.as_ref().map(|c| view! { <h3>"Confusion matrix"</h3>{confusion_table("quality-confusion", c)} })}
        {best}
        <div class="charts">{roc}{pr}{calibration}</div>
        <h3>"Cumulative gain and lift"</h3>
        {gain}
        <h3>"Thresholds"</h3>
        {thresholds}
    }
}

fn multiclass_parts(q: &Quality) -> impl IntoView {
    let per_class = q.per_class.as_ref().map(|pc| {
        let rows = pc
            .iter()
            .map(|c| {
                view! { <tr><td>{c.label.clone()}</td><td class="num">{num(Some(c.precision))}</td><td class="num">{num(Some(c.recall))}</td><td class="num">{num(Some(c.f1))}</td><td class="num">{c.support.to_string()}</td></tr> }
            })
            .collect_view();
        view! {
            <table class="grid compact" id="quality-per-class"><thead><tr><th>"class"</th><th>"precision"</th><th>"recall"</th><th>"F1"</th><th>"rows"</th></tr></thead><tbody>{rows}</tbody></table>
        }
    });
    view! {
        {q.confusion_matrix.as_ref().map(|c| view! { <h3>"Confusion matrix"</h3>{confusion_table("quality-confusion", c)} })}
        <h3>"Per class"</h3>
        {per_class}
    }
}

fn regression_parts(q: &Quality) -> impl IntoView {
    let residuals = q.residuals.as_ref().map(|r| {
        let h = ProfileHistogram {
            edges: r.histogram.edges.clone(),
            counts: r.histogram.counts.clone(),
        };
        let outliers = r.standardized_outlier_rows.len();
        view! {
            {figure(
                "quality-residuals",
                format!("Residuals (actual − predicted): mean {}, standard deviation {}", num(Some(r.mean)), num(Some(r.std))),
                "Histogram of the residuals, actual minus predicted, in 20 bins".to_string(),
                histogram_chart(&h, 560, 220),
            )}
            <p id="quality-outliers">{format!("{outliers} rows are more than 3 standard deviations from the mean residual.")}</p>
        }
    });
    let fit = q.actual_vs_predicted.as_ref().map(|f| {
        view! {
            <p id="quality-fit">{format!(
                "Predicted against actual: slope {}, intercept {}, R² {}.",
                num(Some(f.slope)),
                num(Some(f.intercept)),
                num(Some(f.r2))
            )}</p>
        }
    });
    view! { {residuals}{fit} }
}

/// The model quality section of a candidate's page; `link`: where `quality.json` is served
/// (none in a report file, which opens offline).
pub fn quality_card(q: &Quality, link: Option<String>) -> impl IntoView {
    let parts = if q.pr.is_some() || q.roc.is_some() {
        binary_parts(q).into_any()
    } else if q.per_class.is_some() {
        multiclass_parts(q).into_any()
    } else {
        regression_parts(q).into_any()
    };
    view! {
        <section class="card" id="quality">
            <h2>"Model quality"</h2>
            <p class="muted small">{format!("On the {} validation rows the leaderboard was scored on", q.rows)}
                {link.map(|l| view! { " · "<a href=l download="">"quality.json"</a> })}</p>
            {parts}
        </section>
    }
}
