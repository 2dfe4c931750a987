//! Pages for AutoML jobs: list, new-job form, live job page, candidate page. Job and
//! candidate data arrive as the REST API's JSON (SageMaker shapes), so the pages show
//! exactly what the API returns.

use leptos::prelude::*;
use serde_json::Value;

use glassbox_engine::automl::job::ALL_MODES;
use glassbox_engine::automl::learners::ALL_ALGORITHMS;
use glassbox_engine::automl::metrics::ALL_METRICS;
use glassbox_engine::data::ALL_PROBLEM_TYPES;

use crate::model::{DatasetInfo, JobForm};
use crate::pages::document;

fn s(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(x)) => x.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn num(v: Option<f64>) -> String {
    v.map_or("–".into(), |x| {
        if x.abs() >= 1e4 {
            format!("{x:.1}")
        } else {
            format!("{x:.4}")
        }
    })
}

fn status_badge(status: &str) -> impl IntoView {
    let class = format!("badge status-{}", status.to_ascii_lowercase());
    view! { <span class=class>{status.to_string()}</span> }
}

fn when(t: &str) -> String {
    t.replace('T', " ").chars().take(19).collect()
}

pub fn jobs_page(jobs: &[Value]) -> String {
    let rows = jobs
        .iter()
        .map(|j| {
            let name = s(j, "AutoMLJobName");
            view! {
                <tr>
                    <td><a href=format!("/jobs/{name}")>{name.clone()}</a></td>
                    <td>{status_badge(&s(j, "AutoMLJobStatus"))}</td>
                    <td>{s(j, "AutoMLJobSecondaryStatus")}</td>
                    <td>{s(j, "BestCandidateName")}</td>
                    <td class="muted">{when(&s(j, "CreationTime"))}</td>
                    <td><a href=format!("/datasets/{}", s(j, "DatasetId"))>"data set"</a></td>
                </tr>
            }
        })
        .collect_view();
    let empty = jobs.is_empty();
    document(
        "Jobs",
        view! {
            <section class="card">
                <h1>"AutoML jobs"</h1>
                {if empty {
                    view! { <p class="muted">"No jobs yet. Open a data set and start one."</p> }.into_any()
                } else {
                    view! {
                        <table class="grid" id="jobs">
                            <thead><tr><th>"Job"</th><th>"Status"</th><th>"Stage"</th><th>"Best candidate"</th><th>"Created (UTC)"</th><th></th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    }.into_any()
                }}
            </section>
        },
    )
}

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

fn metric_value(c: &Value, name: &str) -> Option<f64> {
    c.pointer("/CandidateProperties/CandidateMetrics")?
        .as_array()?
        .iter()
        .find(|m| m.get("MetricName").and_then(Value::as_str) == Some(name))?
        .get("Value")?
        .as_f64()
}

/// The part of the job page that refreshes itself while the job runs.
pub fn job_live(job: &Value, candidates: &[Value]) -> String {
    let name = s(job, "AutoMLJobName");
    let status = s(job, "AutoMLJobStatus");
    let running = status == "InProgress" || status == "Stopping";
    let progress = job.get("Progress").and_then(Value::as_f64).unwrap_or(0.0);
    let elapsed = job
        .get("ElapsedSeconds")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    let best = job
        .pointer("/BestCandidate/CandidateName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let objective = job
        .pointer("/AutoMLJobObjective/MetricName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    // Columns: the objective first, then the other metrics the candidates report.
    let mut metric_names: Vec<String> = Vec::new();
    for c in candidates {
        for m in c
            .pointer("/CandidateProperties/CandidateMetrics")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let n = s(m, "MetricName");
            if !metric_names.contains(&n) {
                metric_names.push(n);
            }
        }
    }
    metric_names.sort_by_key(|m| (m != &objective, m.clone()));
    let heads = metric_names
        .iter()
        .map(|m| {
            let label = if *m == objective {
                format!("{m} (objective)")
            } else {
                m.clone()
            };
            view! { <th data-sort="num">{label}</th> }
        })
        .collect_view();
    let rows = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let cname = s(c, "CandidateName");
            let is_best = cname == best;
            let cells = metric_names
                .iter()
                .map(|m| {
                    let v = metric_value(c, m);
                    view! { <td class="num" data-value=v.unwrap_or(f64::NAN).to_string()>{num(v)}</td> }
                })
                .collect_view();
            view! {
                <tr class=if is_best { "best" } else { "" }>
                    <td class="num" data-value=(i + 1).to_string()>{i + 1}</td>
                    <td class="nowrap"><a href=format!("/jobs/{name}/candidates/{cname}")>{cname.clone()}</a>{is_best.then(|| view! { " " <span class="badge status-completed">"best"</span> })}</td>
                    <td>{s(c, "Algorithm")}</td>
                    <td>{s(c, "FeaturePipeline")}</td>
                    <td>{status_badge(&s(c, "CandidateStatus"))}</td>
                    {cells}
                    <td class="num" data-value=c.get("TrainingSeconds").and_then(Value::as_f64).unwrap_or(0.0).to_string()>
                        {format!("{:.1}", c.get("TrainingSeconds").and_then(Value::as_f64).unwrap_or(0.0))}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let failure = s(job, "FailureReason");
    let problem = s(job, "ProblemType");
    let notebooks = (!running && !problem.is_empty()).then(|| notebooks_card(&name));
    // A candidates-only job waiting for its review: the page reloads to show the form.
    let review = status == "Completed"
        && s(job, "AutoMLJobSecondaryStatus") == "CandidateDefinitionsGenerated";
    let view = view! {
        <div data-final=if running { "0" } else { "1" } data-review=if review { "1" } else { "0" }>
            <p class="muted" id="job-problem">{if problem.is_empty() {
                "Analysing the data: problem type and objective come next.".to_string()
            } else {
                format!("{problem} · objective {objective} · validation: {}",
                    job.pointer("/ResolvedAttributes/Validation").and_then(Value::as_str).unwrap_or(""))
            }}</p>
            <section class="stats" id="job-summary">
                <div class="stat"><div class="stat-label">"Status"</div><div class="stat-value long" id="job-status">{status.clone()}</div></div>
                <div class="stat"><div class="stat-label">"Stage"</div><div class="stat-value long" id="job-secondary">{s(job, "AutoMLJobSecondaryStatus")}</div></div>
                <div class="stat"><div class="stat-label">"Elapsed"</div><div class="stat-value">{format!("{elapsed:.0} s")}</div></div>
                <div class="stat"><div class="stat-label">"Candidates"</div><div class="stat-value" id="job-count">{candidates.len()}</div></div>
                <div class="stat"><div class="stat-label">"Best "{objective.clone()}</div><div class="stat-value">{num(job.pointer("/BestCandidate/FinalAutoMLJobObjectiveMetric/Value").and_then(Value::as_f64))}</div></div>
            </section>
            <progress id="job-progress" max="100" value=format!("{:.0}", progress * 100.0)></progress>
            {(!failure.is_empty()).then(|| view! { <p class="error" id="job-failure">{failure.clone()}</p> })}
            {notebooks}
            <section class="card">
                <h2>"Leaderboard"</h2>
                <p class="muted small">"Best first by the objective; click a heading to sort by any metric."</p>
                <div class="scroll">
                    <table class="grid sortable" id="leaderboard">
                        <thead><tr>
                            <th data-sort="num">"#"</th><th data-sort="text">"Candidate"</th><th data-sort="text">"Algorithm"</th>
                            <th data-sort="text">"Pipeline"</th><th data-sort="text">"Status"</th>{heads}<th data-sort="num">"Train s"</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </section>
        </div>
    };
    view.to_html()
}

/// Downloads and read-only views of the job's notebooks and the files beside them.
fn notebooks_card(name: &str) -> impl IntoView {
    let api = format!("/api/automl-jobs/{name}/notebooks");
    let notebook = |kind: &str, title: &str, what: &str| {
        view! {
            <li>
                <strong>{title.to_string()}</strong>" — "{what.to_string()}" "
                <a href=format!("/jobs/{name}/notebooks/{kind}") id=format!("view-{kind}")>"view"</a>
                " · "
                <a href=format!("{api}/{kind}.ipynb") download="" id=format!("download-{kind}")>"download .ipynb"</a>
            </li>
        }
    };
    view! {
        <section class="card" id="notebooks">
            <h2>"Notebooks"</h2>
            <p class="muted small">"They run offline on a laptop and reproduce this page's numbers: pip install -r requirements.txt, keep glassbox_helpers.py and splits.json beside them."</p>
            <ul class="downloads">
                {notebook("data-exploration", "Data exploration", "recomputes every number of the data set's dashboard")}
                {notebook("candidate-definition", "Candidate definitions", "every candidate as scikit-learn code; retrains them and scores the saved models")}
            </ul>
            <p>
                <a href=format!("{api}/requirements.txt") download="">"requirements.txt"</a>" · "
                <a href=format!("{api}/glassbox_helpers.py") download="">"glassbox_helpers.py"</a>" · "
                <a href=format!("{api}/splits.json") download="">"splits.json"</a>" · "
                <a href=format!("{api}/notebooks.zip") download="" id="download-zip">"everything as one zip"</a>
                <span class="muted small">" (with the data and the candidates' model files)"</span>
            </p>
        </section>
    }
}

/// The review form of a candidates-only job: choose candidates, edit their ranges, train.
fn review_form(name: &str, definitions: &[Value], error: Option<&str>) -> impl IntoView {
    let rows = definitions
        .iter()
        .map(|d| {
            let cname = s(d, "name");
            let params = d
                .get("hyperparameters")
                .and_then(Value::as_object)
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let ranges = d
                .get("ranges")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|(param, r)| {
                    let field = format!("range.{cname}.{param}");
                    let editor = match r.get("type").and_then(Value::as_str) {
                        Some("choice") => r
                            .get("values")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default()
                            .into_iter()
                            .map(|v| {
                                let label = if v.is_null() { "none".to_string() } else { v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()) };
                                view! {
                                    <label class="choice"><input type="checkbox" name=format!("{field}.choice") value=v.to_string() checked=true/>" "{label}</label>
                                }
                            })
                            .collect_view()
                            .into_any(),
                        kind => {
                            let step = if kind == Some("int") { "1" } else { "any" };
                            let scale = if r.get("log").and_then(Value::as_bool).unwrap_or(false) { "log scale" } else { "linear" };
                            view! {
                                <input class="bound" type="number" step=step name=format!("{field}.low") value=r.get("low").map(|v| v.to_string()).unwrap_or_default() aria-label=format!("{param} low")/>
                                " to "
                                <input class="bound" type="number" step=step name=format!("{field}.high") value=r.get("high").map(|v| v.to_string()).unwrap_or_default() aria-label=format!("{param} high")/>
                                <span class="muted small">" "{scale}</span>
                            }
                            .into_any()
                        }
                    };
                    view! { <tr><td class="nowrap">{param.clone()}</td><td>{editor}</td></tr> }
                })
                .collect_view();
            view! {
                <div class="definition" data-candidate=cname.clone()>
                    <label class="pick">
                        <input type="checkbox" name="candidate" value=cname.clone() checked=true/>
                        " " <strong>{cname.clone()}</strong>
                        <span class="muted">{format!(" {} · {}", s(d, "algorithm"), s(d, "pipeline"))}</span>
                    </label>
                    <p class="muted small">"starts at " {params}</p>
                    <details>
                        <summary>"search ranges"</summary>
                        <table class="grid ranges"><tbody>{ranges}</tbody></table>
                    </details>
                </div>
            }
        })
        .collect_view();
    view! {
        <section class="card" id="review">
            <h2>"Review the candidates"</h2>
            <p class="muted small">"This job generated its candidate definitions without training. Untick the ones you do not want and narrow their search ranges; training then continues in this job, within its limits, drawing new candidates only from the chosen ones' ranges."</p>
            {error.map(|e| view! { <p class="error" id="review-error">{e.to_string()}</p> })}
            <form method="post" action=format!("/jobs/{name}/train") id="review-form">
                {rows}
                <button type="submit" class="primary" id="train-chosen">"Train the chosen candidates"</button>
            </form>
        </section>
    }
}

pub fn job_page(
    job: &Value,
    candidates: &[Value],
    definitions: &[Value],
    review_error: Option<&str>,
) -> String {
    let name = s(job, "AutoMLJobName");
    let status = s(job, "AutoMLJobStatus");
    let running = status == "InProgress" || status == "Stopping";
    let reviewing = status == "Completed"
        && s(job, "AutoMLJobSecondaryStatus") == "CandidateDefinitionsGenerated";
    let review = (reviewing && !definitions.is_empty())
        .then(|| review_form(&name, definitions, review_error));
    let live = job_live(job, candidates);
    let dataset = s(job, "DatasetId");
    let body = view! {
        <section class="page-head">
            <div>
                <h1>{name.clone()}</h1>
                <p class="muted">
                    <a href=format!("/datasets/{dataset}")>"data set"</a>
                    " · " <a href="/jobs">"all jobs"</a>
                </p>
            </div>
            {running.then(|| view! {
                <form method="post" action=format!("/jobs/{name}/stop")>
                    <button type="submit" id="stop-job">"Stop"</button>
                </form>
            })}
        </section>
        {review}
        <div id="live" data-live=if running { format!("/jobs/{name}/live") } else { String::new() } inner_html=live></div>
    };
    document(&name, body)
}

pub fn candidate_page(job: &str, c: &Value) -> String {
    let name = s(c, "CandidateName");
    let steps = c
        .get("FeaturePipelineSteps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|st| view! { <li>{st.as_str().unwrap_or_default().to_string()}</li> })
        .collect_view();
    let params = c
        .get("Hyperparameters")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| view! { <tr><th>{k.clone()}</th><td>{if v.is_string() { v.as_str().unwrap().to_string() } else { v.to_string() }}</td></tr> })
        .collect_view();
    let metrics = c
        .pointer("/CandidateProperties/CandidateMetrics")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|m| view! { <tr><th>{s(m, "MetricName")}</th><td class="num">{num(m.get("Value").and_then(Value::as_f64))}</td><td class="muted">{s(m, "Set")}</td></tr> })
        .collect_view();
    let importance = c
        .get("FeatureImportance")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .take(15)
        .map(|f| {
            let v = f.get("Importance").and_then(Value::as_f64).unwrap_or(0.0);
            view! { <tr><td>{s(f, "Feature")}</td><td class="num"><span class="bar" style=format!("--w:{:.0}%", v * 100.0)>{format!("{v:.3}")}</span></td></tr> }
        })
        .collect_view();
    let members: Vec<(String, f64)> = c
        .get("EnsembleMembers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|m| {
            (
                s(m, "CandidateName"),
                m.get("Weight").and_then(Value::as_f64).unwrap_or(0.0),
            )
        })
        .collect();
    let is_ensemble = !members.is_empty();
    let no_importance = c
        .get("FeatureImportance")
        .and_then(Value::as_array)
        .is_none_or(|a| a.is_empty());
    let member_rows = members
        .iter()
        .map(|(m, w)| view! { <tr><td><a href=format!("/jobs/{job}/candidates/{m}")>{m.clone()}</a></td><td class="num">{format!("{w:.2}")}</td></tr> })
        .collect_view();
    let objective = c
        .pointer("/FinalAutoMLJobObjectiveMetric/MetricName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let value = num(c
        .pointer("/FinalAutoMLJobObjectiveMetric/Value")
        .and_then(Value::as_f64));
    let body = view! {
        <section class="page-head">
            <div>
                <h1>{name.clone()}</h1>
                <p class="muted">{status_badge(&s(c, "CandidateStatus"))}" "{format!("{objective} = {value} · trained in {:.1} s", c.get("TrainingSeconds").and_then(Value::as_f64).unwrap_or(0.0))}
                    " · " <a href=format!("/jobs/{job}") id="back-to-job">{format!("back to {job}")}</a></p>
            </div>
        </section>
        <div class="split">
            <section class="card" id="candidate-metrics">
                <h2>"Validation metrics"</h2>
                <table class="grid compact"><tbody>{metrics}</tbody></table>
            </section>
            <section class="card" id="candidate-definition">
                <h2>{format!("Algorithm: {}", s(c, "Algorithm"))}</h2>
                {if is_ensemble {
                    view! {
                        <p class="muted small">"Greedy ensemble selection over the best candidates' validation predictions; each member keeps its own pipeline."</p>
                        <table class="grid compact" id="members"><thead><tr><th>"Member"</th><th>"Weight"</th></tr></thead><tbody>{member_rows}</tbody></table>
                    }.into_any()
                } else {
                    view! {
                        <table class="grid compact"><tbody>{params}</tbody></table>
                        <h2>{format!("Feature pipeline {}", s(c, "FeaturePipeline"))}</h2>
                        <ol class="steps">{steps}</ol>
                    }.into_any()
                }}
            </section>
        </div>
        {(!is_ensemble).then(|| view! {
            <section class="card" id="importance">
                <h2>"Feature importance"</h2>
                <p class="muted small">"Share of the model's importance (split gain for trees, |coefficient| for linear models), summed per input column."</p>
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
