//! Compare 2–4 candidates of a job: their metrics side by side, their ROC and
//! precision-recall curves overlaid (binary), and their input columns' importance side by
//! side (shares of each candidate's mean |SHAP|, or of its feature importance without one).

use std::collections::BTreeMap;

use glassbox_engine::automl::job::Resolved;
use glassbox_engine::reports::{Explainability, Quality};
use leptos::prelude::*;

use crate::charts::curves_chart;
use crate::format::num;
use crate::model::CandidateInfo;
use crate::pages::document;
use crate::quality_view::figure;

/// The most candidates compared at once.
pub const MAX_COMPARED: usize = 4;
const TOP_COLUMNS: usize = 12;

/// One compared candidate: its result and reports.
pub struct Compared<'a> {
    pub info: &'a CandidateInfo,
    pub quality: Option<&'a Quality>,
    pub explained: Option<&'a Explainability>,
}

/// Each input column's share of the candidate's importance: mean |SHAP| when explained,
/// else its feature importance.
fn shares(c: &Compared) -> (BTreeMap<String, f64>, &'static str) {
    if let Some(e) = c.explained.filter(|e| !e.rows.is_empty()) {
        let total: f64 = e.global.iter().map(|g| g.mean_abs_shap).sum();
        let m = e
            .global
            .iter()
            .map(|g| {
                (
                    g.feature.clone(),
                    if total > 0.0 {
                        g.mean_abs_shap / total
                    } else {
                        0.0
                    },
                )
            })
            .collect();
        return (m, "mean |SHAP|");
    }
    (
        c.info.result.feature_importance.iter().cloned().collect(),
        "feature importance",
    )
}

pub fn compare_page(
    who: &crate::model::Who,
    links: &crate::links::JobLinks,
    resolved: &Resolved,
    items: &[Compared],
) -> String {
    let job = links.name.clone();
    let names: Vec<String> = items.iter().map(|c| c.info.result.name.clone()).collect();
    let heads = names
        .iter()
        .map(|n| view! { <th scope="col"><a href=links.candidate(n)>{n.clone()}</a></th> })
        .collect_view();
    // Metrics: the union, in the first candidate's order.
    let mut metrics: Vec<String> = Vec::new();
    for c in items {
        for m in &c.info.result.metrics {
            let n = m.metric.as_str().to_string();
            if !metrics.contains(&n) {
                metrics.push(n);
            }
        }
    }
    let metric_rows = metrics
        .iter()
        .map(|m| {
            let cells = items
                .iter()
                .map(|c| {
                    let v = c.info.result.metrics.iter().find(|x| x.metric.as_str() == m).map(|x| x.value);
                    let sd = c
                        .quality
                        .and_then(|q| q.metrics.iter().find(|x| x.name == *m))
                        .and_then(|x| x.standard_deviation)
                        .map(|s| format!(" ± {}", num(Some(s))))
                        .unwrap_or_default();
                    view! { <td class="num">{num(v)}<span class="muted small">{sd}</span></td> }
                })
                .collect_view();
            let objective = *m == resolved.metric.as_str();
            let label = if objective { format!("{m} (objective)") } else { m.clone() };
            view! { <tr data-objective=objective.to_string()><th scope="row">{label}</th>{cells}</tr> }
        })
        .collect_view();
    // Curves (binary).
    let roc: Vec<(String, Vec<(f64, f64)>)> = items
        .iter()
        .filter_map(|c| {
            let r = c.quality?.roc.as_ref()?;
            Some((
                format!("{} (AUC {})", c.info.result.name, num(Some(r.auc))),
                r.fpr.iter().copied().zip(r.tpr.iter().copied()).collect(),
            ))
        })
        .collect();
    let pr: Vec<(String, Vec<(f64, f64)>)> = items
        .iter()
        .filter_map(|c| {
            let p = c.quality?.pr.as_ref()?;
            Some((
                format!(
                    "{} (AP {})",
                    c.info.result.name,
                    num(Some(p.average_precision))
                ),
                p.recall
                    .iter()
                    .copied()
                    .zip(p.precision.iter().copied())
                    .collect(),
            ))
        })
        .collect();
    let curves = (!roc.is_empty()).then(|| {
        view! {
            <section class="card" id="compare-curves">
                <h2>"Curves"</h2>
                <div class="charts">
                    {figure("compare-roc", "ROC curves".into(), format!("ROC curves of {}", names.join(", ")), curves_chart(&roc, "false positive rate", "true positive rate", true, 360))}
                    {figure("compare-pr", "Precision-recall curves".into(), format!("Precision-recall curves of {}", names.join(", ")), curves_chart(&pr, "recall", "precision", false, 360))}
                </div>
            </section>
        }
    });
    // Importance: the top columns of any candidate, as shares.
    let all: Vec<(BTreeMap<String, f64>, &'static str)> = items.iter().map(shares).collect();
    let mut columns: Vec<String> = Vec::new();
    for (m, _) in &all {
        let mut top: Vec<(&String, &f64)> = m.iter().collect();
        top.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
        for (c, _) in top.into_iter().take(TOP_COLUMNS) {
            if !columns.contains(c) {
                columns.push(c.clone());
            }
        }
    }
    let kinds = all
        .iter()
        .map(|(_, k)| view! { <td class="muted small">{*k}</td> })
        .collect_view();
    let importance_rows = columns
        .iter()
        .map(|col| {
            let cells = all
                .iter()
                .map(|(m, _)| {
                    let v = m.get(col).copied().unwrap_or(0.0);
                    view! { <td class="num"><span class="bar" style=format!("--w:{:.0}%", v * 100.0)>{format!("{:.1} %", v * 100.0)}</span></td> }
                })
                .collect_view();
            view! { <tr><th scope="row">{col.clone()}</th>{cells}</tr> }
        })
        .collect_view();
    let body = view! {
        <section class="page-head">
            <div>
                <h1>{format!("Compare {} candidates", items.len())}</h1>
                <p class="muted"><a href=links.job() id="back-to-job">{format!("back to {job}")}</a>
                    {format!(" · {} · objective {}", resolved.problem_type.as_str(), resolved.metric.as_str())}</p>
            </div>
        </section>
        <section class="card" id="compare-metrics">
            <h2>"Validation metrics"</h2>
            <div class="scroll" tabindex="0" role="region" aria-label="Metrics side by side">
                <table class="grid compact"><thead><tr><th>"Metric"</th>{heads.clone()}</tr></thead><tbody>{metric_rows}</tbody></table>
            </div>
        </section>
        {curves}
        <section class="card" id="compare-importance">
            <h2>"Importance of the input columns"</h2>
            <p class="muted small">"Each candidate's share per column, so candidates explained in different output spaces compare."</p>
            <div class="scroll" tabindex="0" role="region" aria-label="Importance side by side">
                <table class="grid compact"><thead><tr><th>"Column"</th>{heads}</tr></thead>
                    <tbody><tr><th scope="row" class="muted small">"measured by"</th>{kinds}</tr>{importance_rows}</tbody></table>
            </div>
        </section>
    };
    document(who, &format!("Compare · {job}"), body)
}
