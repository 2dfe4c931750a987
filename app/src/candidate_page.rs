//! A candidate's page: its validation metrics, its definition (hyperparameters and
//! feature pipeline, or an ensemble's members) and its feature importance.

use glassbox_engine::automl::job::{CandidateResult, CandidateStatus, Resolved};
use glassbox_engine::reports::{BiasReport, Explainability, Quality};
use leptos::prelude::*;

use crate::bias_view::bias_card;
use crate::explain_view::explain_card;
use crate::format::{num, param_value, status_badge};
use crate::links::JobLinks;
use crate::model::{BiasAsk, CandidateInfo, Who};
use crate::pages::document;
use crate::quality_view::quality_card;

/// The page's tabs (id, label), like SageMaker Studio's model details. Without JavaScript
/// every panel shows, one after the other; the tabs are links to them.
const TABS: [(&str, &str); 5] = [
    ("performance", "Performance"),
    ("explainability", "Explainability"),
    ("bias", "Bias"),
    ("hyperparameters", "Hyperparameters"),
    ("artifacts", "Artifacts"),
];

/// The candidate's files the reader may download: (label, URL, what).
fn artifact_links(links: &JobLinks, name: &str) -> Vec<(&'static str, String, &'static str)> {
    [
        (
            "model.zip",
            links.model_zip(name),
            "the model, its members and the helper module to predict in Python",
        ),
        (
            "report.html",
            Some(links.report(name, "report.html")),
            "the quality and explainability reports in one file that opens offline",
        ),
        (
            "quality.json",
            Some(links.report(name, "quality.json")),
            "the model quality report",
        ),
        (
            "explainability.json",
            Some(links.report(name, "explainability.json")),
            "SHAP values per input column",
        ),
        (
            "validation_predictions.csv",
            links.validation_predictions(name),
            "the rows the leaderboard was scored on, with the predictions",
        ),
        (
            "model-insights.ipynb",
            links.notebook_file("model-insights.ipynb"),
            "recomputes these reports with scikit-learn and shap",
        ),
    ]
    .into_iter()
    .filter_map(|(label, href, what)| href.map(|h| (label, h, what)))
    .collect()
}

/// The steps of a candidate's feature pipeline, as list items.
pub(crate) fn pipeline_steps(r: &CandidateResult, resolved: &Resolved) -> impl IntoView {
    resolved
        .pipelines
        .iter()
        .find(|p| Some(p.name) == r.pipeline)
        .map(|p| p.describe())
        .unwrap_or_default()
        .into_iter()
        .map(|st| view! { <li>{st}</li> })
        .collect_view()
}

/// A candidate's hyperparameters, as table rows.
pub(crate) fn param_rows(r: &CandidateResult) -> impl IntoView {
    r.hyperparameters
        .iter()
        .map(|(k, v)| view! { <tr><th>{k.clone()}</th><td>{param_value(v)}</td></tr> })
        .collect_view()
}

/// Each validation metric with its spread across the folds (when the quality report has
/// it), as table rows.
pub(crate) fn metric_rows(r: &CandidateResult, quality: Option<&Quality>) -> impl IntoView {
    let spread = |name: &str| {
        quality
            .and_then(|q| q.metrics.iter().find(|m| m.name == name))
            .and_then(|m| m.standard_deviation)
            .map(|s| format!("± {}", num(Some(s))))
            .unwrap_or_default()
    };
    r.metrics
        .iter()
        .map(|m| view! { <tr><th>{m.metric.as_str()}</th><td class="num">{num(Some(m.value))}</td><td class="num muted">{spread(m.metric.as_str())}</td></tr> })
        .collect_view()
}

pub fn candidate_page(
    who: &Who,
    links: &JobLinks,
    c: &CandidateInfo,
    resolved: &Resolved,
    quality: Option<&Quality>,
    explained: Option<&Explainability>,
    bias: (&[String], &BiasAsk, Option<&Result<BiasReport, String>>),
) -> String {
    let job = links.name.clone();
    let r = &c.result;
    let name = r.name.clone();
    let steps = pipeline_steps(r, resolved);
    let params = param_rows(r);
    let metrics = metric_rows(r, quality);
    let report_link = |file: &str| Some(links.report(&r.name, file));
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
        bias_card(links.candidate(&r.name), columns, None, &ask, result)
    });
    let artifacts = artifact_links(links, &r.name)
        .into_iter()
        .map(|(label, href, what)| view! {
            <li><a href=href download="" data-artifact=label>{label}</a>" — "<span class="muted">{what}</span></li>
        })
        .collect_view();
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
        .map(|(m, w)| view! { <tr><td><a href=links.candidate(m)>{m.clone()}</a></td><td class="num">{format!("{w:.2}")}</td></tr> })
        .collect_view();
    let objective = resolved.metric.as_str();
    let value = num(r.objective);
    let body = view! {
        <section class="page-head">
            <div>
                <h1>{name.clone()}</h1>
                <p class="muted">{status_badge(r.status.as_str())}" "{format!("{objective} = {value} · trained in {:.1} s", r.train_seconds)}
                    " · " <a href=links.job() id="back-to-job">{format!("back to {job}")}</a>
                    {(r.status == CandidateStatus::Completed).then(|| view! {
                        {links.model_zip(&name).map(|href| view! { " · " <a href=href id="download-model" download="">"download this model"</a> })}
                        " · " <a href=links.report(&name, "report.html") id="report-html" download="">"report.html"</a>
                    })}</p>
            </div>
        </section>
        <nav class="tabs" role="tablist" aria-label="Candidate reports" id="candidate-tabs">
            {TABS.iter().enumerate().map(|(i, (id, label))| view! {
                <a role="tab" id=format!("tab-{id}") href=format!("#panel-{id}") aria-controls=format!("panel-{id}")
                    aria-selected=if i == 0 { "true" } else { "false" }>{*label}</a>
            }).collect_view()}
        </nav>
        <div role="tabpanel" id="panel-performance" aria-labelledby="tab-performance" class="tabpanel">
            <section class="card" id="candidate-metrics">
                <h2>"Validation metrics"</h2>
                <p class="muted small">"± the standard deviation across the validation folds"</p>
                <table class="grid compact"><tbody>{metrics}</tbody></table>
            </section>
            {quality_section}
        </div>
        <div role="tabpanel" id="panel-explainability" aria-labelledby="tab-explainability" class="tabpanel">
            {explain_section}
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
        </div>
        <div role="tabpanel" id="panel-bias" aria-labelledby="tab-bias" class="tabpanel">
            {bias_section}
        </div>
        <div role="tabpanel" id="panel-hyperparameters" aria-labelledby="tab-hyperparameters" class="tabpanel">
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
        <div role="tabpanel" id="panel-artifacts" aria-labelledby="tab-artifacts" class="tabpanel">
            <section class="card" id="artifacts">
                <h2>"Artifacts"</h2>
                {if r.status == CandidateStatus::Completed {
                    view! {
                        <ul class="downloads">{artifacts}</ul>
                        {(who.can_create && !links.shared).then(|| view! {
                            <p><a class="button" id="register-link" href=format!("/models/register?job={}&candidate={}", links.name, r.name)>"Register in the model registry"</a></p>
                        })}
                    }.into_any()
                } else {
                    view! { <p class="muted">"This candidate did not finish training: it has no files."</p> }.into_any()
                }}
            </section>
        </div>
    };
    document(who, &name, body)
}
