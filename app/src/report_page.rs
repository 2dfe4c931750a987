//! `report.html`: one candidate's reports in one self-contained file — its metrics,
//! definition, model quality and explainability, with the charts as inline SVG and the
//! stylesheet inline. No script, no link to the server, nothing fetched: it opens offline
//! and prints cleanly to PDF, so it can be mailed to a teammate.

use glassbox_engine::automl::job::{CandidateResult, Resolved};
use glassbox_engine::reports::{Explainability, Quality};
use leptos::prelude::*;

use crate::candidate_page::{metric_rows, param_rows, pipeline_steps};
use crate::explain_view::explain_card;
use crate::format::num;
use crate::quality_view::quality_card;

/// Print rules added to the app's stylesheet.
const PRINT_CSS: &str = "
@media print {
  body { background: #fff; }
  .card { break-inside: avoid; box-shadow: none; border: 1px solid #ccc; }
  .split { display: block; }
  a { color: inherit; text-decoration: none; }
}
.report-head { margin: 1.5rem 0 1rem; }
";

pub fn candidate_report_html(
    job: &str,
    r: &CandidateResult,
    resolved: &Resolved,
    quality: Option<&Quality>,
    explained: Option<&Explainability>,
    generated: &str,
) -> String {
    let metrics = metric_rows(r, quality);
    let params = param_rows(r);
    let members = r
        .members
        .iter()
        .map(|(m, w)| view! { <tr><td>{m.clone()}</td><td class="num">{format!("{w:.2}")}</td></tr> })
        .collect_view();
    let steps = pipeline_steps(r, resolved);
    let title = format!("{} · {job}", r.name);
    let page = view! {
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>{format!("{title} · Glassbox report")}</title>
                <style>{crate::STYLESHEET}{PRINT_CSS}</style>
            </head>
            <body>
                <main>
                    <section class="report-head">
                        <h1>{r.name.clone()}</h1>
                        <p class="muted">{format!(
                            "Glassbox report · job {job} · {} · {} = {} · made {generated}",
                            r.algorithm_name(), resolved.metric.as_str(), num(r.objective)
                        )}</p>
                    </section>
                    <div class="split">
                        <section class="card" id="report-metrics">
                            <h2>"Validation metrics"</h2>
                            <table class="grid compact"><tbody>{metrics}</tbody></table>
                        </section>
                        <section class="card" id="report-definition">
                            <h2>{format!("Algorithm: {}", r.algorithm_name())}</h2>
                            {if r.members.is_empty() {
                                view! {
                                    <table class="grid compact"><tbody>{params}</tbody></table>
                                    <h2>{format!("Feature pipeline {}", r.pipeline_name())}</h2>
                                    <ol class="steps">{steps}</ol>
                                }.into_any()
                            } else {
                                view! { <table class="grid compact"><thead><tr><th>"Member"</th><th>"Weight"</th></tr></thead><tbody>{members}</tbody></table> }.into_any()
                            }}
                        </section>
                    </div>
                    {quality.map(|q| quality_card(q, None))}
                    {explained.map(|e| explain_card(e, None))}
                </main>
            </body>
        </html>
    };
    format!("<!DOCTYPE html>{}", page.to_html())
}
