//! The new-job form. Its choices (problem types, metrics, modes, algorithms) come from
//! the engine, so it offers exactly what a job accepts.

use leptos::prelude::*;

use glassbox_engine::automl::job::ALL_MODES;
use glassbox_engine::automl::learners::ALL_ALGORITHMS;
use glassbox_engine::automl::metrics::ALL_METRICS;
use glassbox_engine::data::ALL_PROBLEM_TYPES;

use crate::model::{DatasetInfo, JobForm};
use crate::pages::document;

/// The new-job form. `inferred` is the profile's problem type for the chosen target.
pub fn new_job_page(
    ds: &DatasetInfo,
    form: &JobForm,
    inferred: Option<&str>,
    usable: &[String],
    error: Option<(&str, &str)>,
) -> String {
    let targets = ds
        .column_names
        .iter()
        .map(
            |c| view! { <option value=c.clone() selected={*c == form.target}>{c.clone()}</option> },
        )
        .collect_view();
    let choice = |name: &'static str, options: &[(&str, String)], current: &str| {
        let opts = options
            .iter()
            .map(|(v, label)| view! { <option value=v.to_string() selected={*v == current}>{label.clone()}</option> })
            .collect_view();
        view! { <select name=name id=format!("job-{name}")>{opts}</select> }
    };
    // The choices come from the engine, so the form offers exactly what a job accepts.
    let same = |v: &'static str| (v, v.to_string());
    let problem_types: Vec<(&str, String)> =
        std::iter::once(("", "infer (Autopilot's rule)".to_string()))
            .chain(ALL_PROBLEM_TYPES.iter().map(|p| same(p.as_str())))
            .collect();
    let metrics: Vec<(&str, String)> =
        std::iter::once(("", "default (F1 / Accuracy / MSE)".to_string()))
            .chain(ALL_METRICS.iter().map(|m| same(m.as_str())))
            .collect();
    let modes: Vec<(&str, String)> = ALL_MODES.iter().map(|m| same(m.as_str())).collect();
    let algos = ALL_ALGORITHMS
        .iter()
        .map(|a| a.as_str())
        .map(|a| {
            let checked = form.algorithms.iter().any(|x| x == a);
            view! { <label class="check"><input type="checkbox" name="algorithms" value=a.to_string() checked=checked/>" "{a.to_string()}</label> }
        })
        .collect_view();
    let feats = usable
        .iter()
        .map(|f| {
            let checked = form.features.iter().any(|x| x == f);
            view! { <label class="check"><input type="checkbox" name="features" value=f.clone() checked=checked/>" "{f.clone()}</label> }
        })
        .collect_view();
    let err = error.map(|(field, msg)| {
        view! { <p class="error" id="job-error" role="alert">{format!("{field}: {msg}")}</p> }
    });
    let action = format!("/datasets/{}/jobs", ds.dataset_id);
    let body = view! {
        <section class="card">
            <h1>{format!("New AutoML job on {}", ds.name)}</h1>
            {err}
            <form method="post" action=action id="new-job" class="job-form">
                <label>"Job name" <input type="text" name="name" id="job-name" value=form.name.clone() required/></label>
                <label>"Target column" <select name="target" id="job-target">{targets}</select></label>
                <p class="muted small" id="inferred">{inferred.map(|p| format!("Inferred problem type for this target: {p}")).unwrap_or_else(|| "The problem type is inferred from the target when the job starts.".into())}</p>
                <label>"Problem type" {choice("problem_type", &problem_types, &form.problem_type)}</label>
                <label>"Objective metric" {choice("metric", &metrics, &form.metric)}</label>
                <label>"Mode" {choice("mode", &modes, &form.mode)}</label>
                <label>"Max candidates" <input type="number" min="1" name="max_candidates" value=form.max_candidates.clone()/></label>
                <label>"Max job runtime (s)" <input type="number" min="1" step="any" name="max_job_runtime" id="job-runtime" value=form.max_job_runtime.clone()/></label>
                <label>"Max runtime per candidate (s)" <input type="number" min="1" step="any" name="max_runtime_per_candidate" value=form.max_runtime_per_candidate.clone()/></label>
                <label>"Validation fraction" <input type="number" min="0.01" max="0.99" step="0.01" name="validation_fraction" value=form.validation_fraction.clone()/></label>
                <fieldset><legend>"Algorithms"</legend>{algos}</fieldset>
                <fieldset><legend>"Features"</legend><div class="checks">{feats}</div></fieldset>
                <label class="check"><input type="checkbox" name="candidates_only" value="1" checked=form.candidates_only/>" Generate candidate definitions only (review before training)"</label>
                <div><button type="submit" class="primary" id="start-job">"Start job"</button></div>
            </form>
        </section>
    };
    document("New job", body)
}
