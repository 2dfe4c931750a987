//! The new-job form. Its choices (problem types, metrics, modes, algorithms) come from
//! the engine, so it offers exactly what a job accepts.

use leptos::prelude::*;

use glassbox_engine::automl::job::ALL_MODES;
use glassbox_engine::automl::learners::ALL_ALGORITHMS;
use glassbox_engine::automl::metrics::ALL_METRICS;
use glassbox_engine::data::ALL_PROBLEM_TYPES;

use glassbox_engine::profile::TargetGuess;

use crate::model::{DatasetInfo, JobForm};
use crate::pages::document;

/// A column the form offers as the target, with what a job would make of it.
pub struct TargetOption<'a> {
    pub name: &'a str,
    pub guess: Option<&'a TargetGuess>,
}

/// A form error: the form field it is about (`None` for the form as a whole) and what
/// is wrong.
pub struct FormError<'a> {
    pub field: Option<&'a str>,
    pub message: &'a str,
}

/// The new-job form. The target has no default unless the data set was profiled for one;
/// the features, the inferred problem type and the positive class follow the target (the
/// page script updates them; the server applies the same rules without it). `scheme`
/// is the validation the job will get, in words. An error is shown beside its field.
#[allow(clippy::too_many_arguments)] // one page, many independent inputs
pub fn new_job_page(
    who: &crate::model::Who,
    ds: &DatasetInfo,
    form: &JobForm,
    targets: &[TargetOption],
    usable: &[String],
    scheme: &str,
    fraction_used: bool,
    error: Option<FormError>,
) -> String {
    let chosen = targets.iter().find(|t| t.name == form.target);
    let guess = chosen.and_then(|t| t.guess);
    let target_options = std::iter::once(view! {
        <option value="" disabled=true selected={form.target.is_empty()}>"Choose the column to predict…"</option>
    }.into_any())
    .chain(targets.iter().map(|t| {
        let (problem, reason, classes) = match t.guess {
            Some(g) => (
                g.problem_type.map(|p| p.as_str().to_string()).unwrap_or_default(),
                g.reason.clone(),
                serde_json::to_string(&g.classes).unwrap_or_default(),
            ),
            None => (String::new(), String::new(), "[]".to_string()),
        };
        view! {
            <option value=t.name.to_string() selected={t.name == form.target}
                data-problem=problem data-reason=reason data-classes=classes>{t.name.to_string()}</option>
        }
        .into_any()
    }))
    .collect_view();
    let field_error = |name: &str| {
        error
            .as_ref()
            .filter(|e| e.field == Some(name))
            .map(|e| view! { <span class="field-error" id=format!("error-{name}") role="alert">{e.message.to_string()}</span> })
    };
    let invalid = |name: &str| error.as_ref().is_some_and(|e| e.field == Some(name));
    let described = |name: &str| invalid(name).then(|| format!("error-{name}"));
    let choice = |name: &'static str, options: &[(&str, String)], current: &str| {
        let opts = options
            .iter()
            .map(|(v, label)| view! { <option value=v.to_string() selected={*v == current}>{label.clone()}</option> })
            .collect_view();
        view! { <select name=name id=format!("job-{name}") aria-invalid=invalid(name).then_some("true") aria-describedby=described(name)>{opts}</select> }
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
            let is_target = *f == form.target;
            let checked = !is_target && form.features.iter().any(|x| x == f);
            view! { <label class="check"><input type="checkbox" name="features" value=f.clone() checked=checked disabled=is_target/>" "{f.clone()}</label> }
        })
        .collect_view();
    let inferred = match guess {
        Some(TargetGuess {
            problem_type: Some(p),
            ..
        }) => {
            format!("Inferred problem type for this target: {}", p.as_str())
        }
        Some(g) => format!("This column cannot be the target: {}", g.reason),
        None => "The problem type is inferred from the target when the job starts.".into(),
    };
    let classes: Vec<String> = guess.map(|g| g.classes.clone()).unwrap_or_default();
    let positive = if form.positive_class.is_empty() {
        classes.first().cloned().unwrap_or_default()
    } else {
        form.positive_class.clone()
    };
    let class_options = classes
        .iter()
        .map(|c| view! { <option value=c.clone() selected={*c == positive}>{c.clone()}</option> })
        .collect_view();
    let general = error.as_ref().filter(|e| e.field.is_none()).map(
        |e| view! { <p class="error" id="job-error" role="alert">{e.message.to_string()}</p> },
    );
    let summary = error.as_ref().map(|_| {
        view! { <p class="error" id="job-error-summary" role="alert">"The job was not started: see the field marked below."</p> }
    });
    let action = format!("/datasets/{}/jobs", ds.dataset_id);
    let body = view! {
        <section class="card">
            <h1>{format!("New AutoML job on {}", ds.name)}</h1>
            {summary}
            {general}
            <form method="post" action=action id="new-job" class="job-form">
                <label>"Job name" <input type="text" name="name" id="job-name" value=form.name.clone() required
                    aria-invalid=invalid("name").then_some("true") aria-describedby=described("name")/>{field_error("name")}</label>
                <label>"Target column" <select name="target" id="job-target" required
                    aria-invalid=invalid("target").then_some("true") aria-describedby=described("target")>{target_options}</select>{field_error("target")}</label>
                <p class="muted small" id="inferred" aria-live="polite">{inferred}</p>
                <label id="positive-class-field" hidden=classes.is_empty()>"Positive class (F1, precision and recall are computed for it) "
                    <select name="positive_class" id="job-positive-class" disabled=classes.is_empty()
                        aria-invalid=invalid("positive_class").then_some("true") aria-describedby=described("positive_class")>{class_options}</select>
                    {field_error("positive_class")}</label>
                <label>"Problem type" {choice("problem_type", &problem_types, &form.problem_type)}{field_error("problem_type")}</label>
                <label>"Objective metric" {choice("metric", &metrics, &form.metric)}{field_error("metric")}</label>
                <label>"Mode" {choice("mode", &modes, &form.mode)}{field_error("mode")}</label>
                <label>"Max candidates" <input type="number" min="1" name="max_candidates" value=form.max_candidates.clone()
                    aria-invalid=invalid("max_candidates").then_some("true") aria-describedby=described("max_candidates")/>{field_error("max_candidates")}</label>
                <label>"Max job runtime (s)" <input type="number" min="1" step="any" name="max_job_runtime" id="job-runtime" value=form.max_job_runtime.clone()
                    aria-invalid=invalid("max_job_runtime").then_some("true") aria-describedby=described("max_job_runtime")/>{field_error("max_job_runtime")}</label>
                <label>"Max runtime per candidate (s)" <input type="number" min="1" step="any" name="max_runtime_per_candidate" value=form.max_runtime_per_candidate.clone()
                    aria-invalid=invalid("max_runtime_per_candidate").then_some("true") aria-describedby=described("max_runtime_per_candidate")/>{field_error("max_runtime_per_candidate")}</label>
                {invalid("max_job_runtime").then(|| view! {
                    <label class="check"><input type="checkbox" name="start_anyway" value="1" id="job-start-anyway" checked=form.start_anyway/>" Start anyway, with this budget"</label>
                })}
                <div class="field" id="validation-scheme">
                    <span>"Validation"</span>
                    <p class="muted small" id="scheme">{scheme.to_string()}</p>
                    {fraction_used.then(|| view! {
                        <label>"Validation fraction" <input type="number" min="0.01" max="0.99" step="0.01" name="validation_fraction" value=form.validation_fraction.clone()
                            aria-invalid=invalid("validation_fraction").then_some("true") aria-describedby=described("validation_fraction")/>{field_error("validation_fraction")}</label>
                    })}
                </div>
                <fieldset><legend>"Algorithms"</legend>{algos}{field_error("algorithms")}</fieldset>
                <fieldset id="features"><legend>"Features"</legend><div class="checks">{feats}</div>{field_error("features")}</fieldset>
                <label class="check"><input type="checkbox" name="candidates_only" value="1" checked=form.candidates_only/>" Generate candidate definitions only (review before training)"</label>
                <div><button type="submit" class="primary" id="start-job">"Start job"</button></div>
            </form>
        </section>
    };
    document(who, "New job", body)
}
