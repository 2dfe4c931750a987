//! A candidate's explainability report (`explainability.json`) as a page section: the
//! mean |SHAP| per input column, the dependence of the top numeric column, and how the
//! values were computed. The numbers are the report's; nothing is recomputed.

use glassbox_engine::explain::OutputSpace;
use glassbox_engine::reports::Explainability;
use leptos::prelude::*;

use crate::charts::{hbar_chart_to, scatter_chart};
use crate::format::num;
use crate::quality_view::figure;

const TOP_COLUMNS: usize = 15;

fn space_words(s: OutputSpace) -> &'static str {
    match s {
        OutputSpace::LogOdds => "log-odds",
        OutputSpace::Probability => "probability",
        OutputSpace::Raw => "raw model output",
    }
}

/// The explainability section of a candidate's page; `link`: where `explainability.json`
/// is served (none in a report file).
pub fn explain_card(e: &Explainability, link: Option<String>) -> impl IntoView {
    let top: Vec<_> = e.global.iter().take(TOP_COLUMNS).collect();
    let labels: Vec<String> = top.iter().map(|g| g.feature.clone()).collect();
    let values: Vec<f64> = top.iter().map(|g| g.mean_abs_shap).collect();
    let largest = values.first().copied().unwrap_or(0.0);
    let global = (!top.is_empty()).then(|| {
        figure(
            "explain-global",
            format!(
                "Mean |SHAP| per input column ({})",
                space_words(e.output_space)
            ),
            format!(
                "Bar chart of the mean absolute SHAP value of the {} most important input columns",
                top.len()
            ),
            hbar_chart_to(&labels, &values, 560, largest * 1.1),
        )
    });
    let table = e
        .global
        .iter()
        .take(TOP_COLUMNS)
        .map(|g| view! { <tr><td>{g.feature.clone()}</td><td class="num">{num(Some(g.mean_abs_shap))}</td></tr> })
        .collect_view();
    // The first dependence column whose values are all numbers.
    let dependence = e.dependence.iter().find_map(|d| {
        let pts: Option<Vec<(f64, f64)>> = d
            .values
            .iter()
            .zip(&d.shap)
            .filter(|(v, _)| !v.trim().is_empty())
            .map(|(v, s)| v.trim().parse::<f64>().ok().map(|x| (x, *s)))
            .collect();
        let pts = pts.filter(|p| p.len() >= 2)?;
        Some(figure(
            "explain-dependence",
            format!("SHAP value of {} against its value", d.feature),
            format!(
                "Scatter plot of {} against its SHAP value, one point per explained row",
                d.feature
            ),
            scatter_chart(&pts, &d.feature, "SHAP value", 300),
        ))
    });
    let expected = match &e.expected_value {
        serde_json::Value::Number(n) => num(n.as_f64()),
        serde_json::Value::Object(m) => m
            .iter()
            .map(|(k, v)| format!("{k}: {}", num(v.as_f64())))
            .collect::<Vec<_>>()
            .join(", "),
        _ => "—".to_string(),
    };
    let background = if e.background_rows.is_empty() {
        String::new()
    } else {
        format!(
            " against {} training rows as background",
            e.background_rows.len()
        )
    };
    view! {
        <section class="card" id="explainability">
            <h2>"Explainability (SHAP)"</h2>
            <p class="muted small" id="explain-method">{format!(
                "{:?}: {}. {} of {} validation rows explained{background}. Values explain {}; the expected value is {expected}, and it plus a row's SHAP values gives that row's output (largest difference {:.1e}). ",
                e.method, e.method_detail, e.rows_explained, e.rows_available, e.output, e.additivity_error
            )}{link.map(|l| view! { <a href=l download="">"explainability.json"</a> })}</p>
            {e.note.clone().map(|n| view! { <p class="muted small" id="explain-note">{n}</p> })}
            <div class="split">
                {global}
                {dependence}
            </div>
            <table class="grid compact" id="explain-table"><thead><tr><th>"Input column"</th><th>"Mean |SHAP|"</th></tr></thead><tbody>{table}</tbody></table>
        </section>
    }
}
