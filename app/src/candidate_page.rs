//! A candidate's page: its validation metrics, its definition (hyperparameters and
//! feature pipeline, or an ensemble's members) and its feature importance.

use glassbox_engine::automl::job::{CandidateStatus, Resolved};
use glassbox_engine::reports::{BiasReport, Explainability, Quality};
use leptos::prelude::*;

use crate::bias_view::bias_card;
use crate::explain_view::explain_card;
use crate::format::{num, param_value, status_badge};
use crate::model::{BiasAsk, CandidateInfo};
use crate::pages::document;
use crate::quality_view::quality_card;

pub fn candidate_page(
    job: &str,
    c: &CandidateInfo,
    resolved: &Resolved,
    quality: Option<&Quality>,
    explained: Option<&Explainability>,
    bias: (&[String], &BiasAsk, Option<&Result<BiasReport, String>>),
) -> String {
    let r = &c.result;
    let name = r.name.clone();
    let steps = resolved
        .pipelines
        .iter()
        .find(|p| Some(p.name) == r.pipeline)
        .map(|p| p.describe())
        .unwrap_or_default()
        .into_iter()
        .map(|st| view! { <li>{st}</li> })
        .collect_view();
    let params = r
        .hyperparameters
        .iter()
        .map(|(k, v)| view! { <tr><th>{k.clone()}</th><td>{param_value(v)}</td></tr> })
        .collect_view();
    // Each metric with its spread across the folds, when the quality report has it.
    let spread = |name: &str| {
        quality
            .and_then(|q| q.metrics.iter().find(|m| m.name == name))
            .and_then(|m| m.standard_deviation)
            .map(|s| format!("± {}", num(Some(s))))
            .unwrap_or_default()
    };
    let metrics = r
        .metrics
        .iter()
        .map(|m| view! { <tr><th>{m.metric.as_str()}</th><td class="num">{num(Some(m.value))}</td><td class="num muted">{spread(m.metric.as_str())}</td></tr> })
        .collect_view();
    let report_link = |file: &str| {
        Some(format!(
            "/api/automl-jobs/{job}/candidates/{}/reports/{file}",
            r.name
        ))
    };
    let quality_section = quality.map(|q| quality_card(q, report_link("quality.json")));
    let explain_section = explained.map(|e| explain_card(e, report_link("explainability.json")));
    // Bias on the validation rows (labels and predictions collapse to positive / not; the
    // positive class is the default positive label).
    let bias_section = (r.status == CandidateStatus::Completed).then(|| {
        let (columns, ask, result) = bias;
        let mut ask = ask.clone();
        if ask.label_values.is_empty() {
            ask.label_values = resolved.positive_class.clone().unwrap_or_default();
        }
        bias_card(
            format!("/jobs/{job}/candidates/{}", r.name),
            columns,
            None,
            &ask,
            result,
        )
    });
    let importance = r
        .feature_importance
        .iter()
        .take(15)
        .map(|(f, v)| {
            view! { <tr><td>{f.clone()}</td><td class="num"><span class="bar" style=format!("--w:{:.0}%", v * 100.0)>{format!("{v:.3}")}</span></td></tr> }
        })
        .collect_view();
    let is_ensemble = !r.members.is_empty();
    let no_importance = r.feature_importance.is_empty();
    let member_rows = r
        .members
        .iter()
        .map(|(m, w)| view! { <tr><td><a href=format!("/jobs/{job}/candidates/{m}")>{m.clone()}</a></td><td class="num">{format!("{w:.2}")}</td></tr> })
        .collect_view();
    let objective = resolved.metric.as_str();
    let value = num(r.objective);
    let body = view! {
        <section class="page-head">
            <div>
                <h1>{name.clone()}</h1>
                <p class="muted">{status_badge(r.status.as_str())}" "{format!("{objective} = {value} · trained in {:.1} s", r.train_seconds)}
                    " · " <a href=format!("/jobs/{job}") id="back-to-job">{format!("back to {job}")}</a>
                    {(r.status == CandidateStatus::Completed).then(|| view! {
                        " · " <a href=format!("/api/automl-jobs/{job}/candidates/{name}/model.zip") id="download-model" download="">"download this model"</a>
                        " · " <a href=format!("/api/automl-jobs/{job}/candidates/{name}/reports/report.html") id="report-html" download="">"report.html"</a>
                    })}</p>
            </div>
        </section>
        <div class="split">
            <section class="card" id="candidate-metrics">
                <h2>"Validation metrics"</h2>
                <p class="muted small">"± the standard deviation across the validation folds"</p>
                <table class="grid compact"><tbody>{metrics}</tbody></table>
            </section>
            <section class="card" id="candidate-definition">
                <h2>{format!("Algorithm: {}", r.algorithm_name())}</h2>
                {if is_ensemble {
                    view! {
                        <p class="muted small">"Greedy ensemble selection over the best candidates' validation predictions; each member keeps its own pipeline."</p>
                        <table class="grid compact" id="members"><thead><tr><th>"Member"</th><th>"Weight"</th></tr></thead><tbody>{member_rows}</tbody></table>
                    }.into_any()
                } else {
                    view! {
                        <table class="grid compact"><tbody>{params}</tbody></table>
                        <h2>{format!("Feature pipeline {}", r.pipeline_name())}</h2>
                        <ol class="steps">{steps}</ol>
                    }.into_any()
                }}
            </section>
        </div>
        {quality_section}
        {explain_section}
        {bias_section}
        {(!is_ensemble).then(|| view! {
            <section class="card" id="importance">
                <h2>"Feature importance"</h2>
                <p class="muted small">"Share of the model's importance per input column: split gain for trees; for linear models the spread (standard deviation over the validation rows) of the column's summed contribution, coefficient × value, so a text column's many word columns count once."</p>
                {if no_importance {
                    view! { <p class="muted">"This algorithm reports no feature importance."</p> }.into_any()
                } else {
                    view! { <table class="grid compact"><tbody>{importance}</tbody></table> }.into_any()
                }}
            </section>
        })}
    };
    document(&name, body)
}
