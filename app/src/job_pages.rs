//! The jobs list and a job's page: its live part (status, leaderboard, notebooks) that
//! refreshes itself while the job runs, and the review form of a candidates-only job.
//! They render the service's plain records (`JobInfo`, `CandidateInfo`) and the engine's
//! candidate definitions.

use glassbox_engine::automl::job::{CandidateDefinition, CandidateStatus};
use glassbox_engine::automl::learners::Range;
use glassbox_engine::automl::metrics::Metric;
use leptos::prelude::*;

use crate::format::{duration, num, param_value, status_badge, when};
use crate::links::JobLinks;
use crate::model::{CandidateInfo, JobInfo, ShareInfo, Who};
use crate::pages::document;

pub fn jobs_page(who: &Who, jobs: &[JobInfo]) -> String {
    let team = who.team;
    let rows = jobs
        .iter()
        .map(|j| {
            let name = j.name.clone();
            let metric = j.resolved.as_ref().map(|r| r.metric);
            let objective = j
                .best
                .as_ref()
                .zip(metric)
                .and_then(|(b, m)| b.result.objective.map(|v| format!("{} {}", m.as_str(), num(Some(v)))))
                .unwrap_or_else(|| "–".into());
            let dataset = match &j.dataset_name {
                Some(d) => view! { <a href=format!("/datasets/{}", j.dataset_id)>{d.clone()}</a> }.into_any(),
                None => view! { <span class="muted">"deleted"</span> }.into_any(),
            };
            let best = j.best.as_ref().map(|b| {
                let c = b.result.name.clone();
                view! { <a href=format!("/jobs/{name}/candidates/{c}")>{c.clone()}</a> }
            });
            view! {
                <tr>
                    <td><a href=format!("/jobs/{name}")>{name.clone()}</a></td>
                    <td>{dataset}</td>
                    <td>{status_badge(&j.status)}<span class="muted small">{format!(" {}", j.secondary_status)}</span></td>
                    <td class="num">{objective}</td>
                    <td>{best}</td>
                    <td class="num">{duration(j.elapsed_seconds)}</td>
                    <td class="muted">{when(&j.created_at)}</td>
                    {team.then(|| view! { <td>{j.created_by.clone().unwrap_or_default()}</td> })}
                </tr>
            }
        })
        .collect_view();
    let empty = jobs.is_empty();
    document(
        who,
        "Jobs",
        view! {
            <section class="card">
                <h1>"AutoML jobs"</h1>
                {if empty {
                    view! { <p class="muted">"No jobs yet. Open a data set and start one."</p> }.into_any()
                } else {
                    view! {
                        <table class="grid" id="jobs">
                            <thead><tr><th>"Job"</th><th>"Data set"</th><th>"Status"</th><th>"Objective"</th><th>"Best candidate"</th><th>"Duration"</th><th>"Created (UTC)"</th>{team.then(|| view! { <th>"Created by"</th> })}</tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    }.into_any()
                }}
            </section>
        },
    )
}

/// The metrics the candidates report, the objective first.
fn metric_columns(candidates: &[CandidateInfo], objective: Option<Metric>) -> Vec<Metric> {
    let mut metrics: Vec<Metric> = Vec::new();
    for m in candidates.iter().flat_map(|c| &c.result.metrics) {
        if !metrics.contains(&m.metric) {
            metrics.push(m.metric);
        }
    }
    metrics.sort_by_key(|m| (Some(*m) != objective, m.as_str()));
    metrics
}

/// The metrics the leaderboard shows before the user picks: the objective and the three
/// others a data scientist reads first for the problem, so the table fits a laptop screen.
fn compact_metrics(columns: &[Metric], objective: Option<Metric>) -> Vec<Metric> {
    use Metric::*;
    let priority = [
        AUC,
        F1,
        Accuracy,
        LogLoss,
        F1macro,
        BalancedAccuracy,
        RMSE,
        MAE,
        R2,
        MSE,
    ];
    let mut shown: Vec<Metric> = objective
        .into_iter()
        .filter(|o| columns.contains(o))
        .collect();
    for m in priority {
        if shown.len() >= 4 {
            break;
        }
        if columns.contains(&m) && !shown.contains(&m) {
            shown.push(m);
        }
    }
    shown
}

/// A checkbox per metric column (the script shows the chooser and hides what is unticked;
/// without the script every column shows).
fn column_chooser(
    columns: &[Metric],
    shown: &[Metric],
    objective: Option<Metric>,
) -> impl IntoView {
    let boxes = columns
        .iter()
        .map(|m| {
            let id = format!("col-{}", m.as_str());
            view! {
                <label class="col-choice">
                    <input type="checkbox" id=id.clone() data-col=m.as_str() checked=shown.contains(m) disabled=Some(*m) == objective />
                    " "{m.as_str()}
                </label>
            }
        })
        .collect_view();
    (columns.len() > shown.len()).then(|| {
        view! {
            <details class="col-chooser" id="leaderboard-columns" hidden>
                <summary>"Metrics shown ("{shown.len()}" of "{columns.len()}")"</summary>
                <div class="col-choices">{boxes}</div>
            </details>
        }
    })
}

/// The part of the job page that refreshes itself while the job runs. `candidates` are
/// best first.
pub fn job_live(links: &JobLinks, job: &JobInfo, candidates: &[CandidateInfo]) -> String {
    let running = job.is_running();
    let best = job.best.as_ref().map(|b| b.result.name.clone());
    let objective = job.resolved.as_ref().map(|r| r.metric);
    let objective_name = objective.map(|m| m.as_str()).unwrap_or("");
    let columns = metric_columns(candidates, objective);
    let shown = compact_metrics(&columns, objective);
    let heads = columns
        .iter()
        .map(|m| {
            let label = if Some(*m) == objective {
                format!("{} (objective)", m.as_str())
            } else {
                m.as_str().to_string()
            };
            view! { <th data-sort="num" data-col=m.as_str()>{label}</th> }
        })
        .collect_view();
    let chooser = column_chooser(&columns, &shown, objective);
    let rows = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let r = &c.result;
            let cname = r.name.clone();
            let is_best = best.as_ref() == Some(&cname);
            let cells = columns
                .iter()
                .map(|m| {
                    let v = r.metric(*m);
                    view! { <td class="num" data-col=m.as_str() data-value=v.unwrap_or(f64::NAN).to_string()>{num(v)}</td> }
                })
                .collect_view();
            view! {
                <tr class=if is_best { "best" } else { "" }>
                    <td class="num" data-value=(i + 1).to_string()>{i + 1}</td>
                    <td class="nowrap"><a href=links.candidate(&cname)>{cname.clone()}</a>{is_best.then(|| view! { " " <span class="badge status-completed">"best"</span> })}</td>
                    <td>{r.algorithm_name()}</td>
                    <td>{r.pipeline_name()}</td>
                    <td>{status_badge(r.status.as_str())}</td>
                    {cells}
                    <td class="num" data-value=r.train_seconds.to_string()>
                        {format!("{:.1}", r.train_seconds)}
                    </td>
                    {(!running).then(|| view! {
                        <td>{(r.status == CandidateStatus::Completed).then(|| view! {
                            <input type="checkbox" name="c" value=cname.clone() form="compare-form" aria-label=format!("compare {cname}")/>
                        })}</td>
                    })}
                </tr>
            }
        })
        .collect_view();
    let notebooks = (!running && job.resolved.is_some()).then(|| notebooks_card(links));
    // A candidates-only job waiting for its review: the page reloads to show the form.
    let review = job.awaits_review();
    let summary = match &job.resolved {
        None if running => "Analysing the data: problem type and objective come next.".to_string(),
        None => "The job ended before its data was analysed.".to_string(),
        Some(r) => format!(
            "{} · objective {} · validation: {}",
            r.problem_type.as_str(),
            r.metric.as_str(),
            r.validation
        ),
    };
    let best_value = job.best.as_ref().and_then(|b| b.result.objective);
    // What a person reads as the status: a candidates-only job is waiting for them.
    let status = if review {
        "Awaiting review".to_string()
    } else {
        job.status.clone()
    };
    let time_left = elapsed_and_left(job, running, candidates.len());
    let training = job.training.clone().filter(|_| running).map(|t| {
        let what = if t.fraction < 1.0 {
            format!(
                " (a screening trial on {:.0} % of the training rows)",
                t.fraction * 100.0
            )
        } else {
            String::new()
        };
        let rest = format!(
            ": {} on {}{what}, for {} so far.",
            t.algorithm,
            t.pipeline,
            duration(t.seconds)
        );
        view! {
            <p id="job-training" class="muted">"Training "<strong>{t.name.clone()}</strong>{rest}</p>
        }
    });
    let view = view! {
        <div data-final=if running { "0" } else { "1" } data-review=if review { "1" } else { "0" }>
            <p class="muted" id="job-problem">{summary}</p>
            <section class="stats" id="job-summary">
                <div class="stat"><div class="stat-label">"Status"</div><div class="stat-value long" id="job-status">{status}</div></div>
                <div class="stat"><div class="stat-label">"Stage"</div><div class="stat-value long" id="job-secondary">{job.secondary_status.clone()}</div></div>
                <div class="stat"><div class="stat-label">"Elapsed"</div><div class="stat-value long" id="job-elapsed">{time_left}</div></div>
                <div class="stat"><div class="stat-label">"Candidates"</div><div class="stat-value" id="job-count">{candidates.len()}</div></div>
                <div class="stat"><div class="stat-label">"Best "{objective_name}</div><div class="stat-value">{num(best_value)}</div></div>
            </section>
            {(!review).then(|| view! {
                <progress id="job-progress" max="100" value=format!("{:.0}", job.progress * 100.0) aria-label="progress"></progress>
            })}
            {training}
            {job.failure_reason.clone().map(|f| view! { <p class="error" id="job-failure">{f}</p> })}
            {notebooks}
            <section class="card">
                <h2>"Leaderboard"</h2>
                <p class="muted small">"Best first by the objective; click a heading to sort by any metric."</p>
                {chooser}
                {(!running).then(|| view! {
                    <form id="compare-form" method="get" action=links.compare() class="inline-form">
                        <button type="submit" id="compare-submit">{format!("Compare the ticked candidates (2 to {})", crate::compare_page::MAX_COMPARED)}</button>
                    </form>
                })}
                <div class="scroll" tabindex="0" role="region" aria-label="Scrollable table">
                    <table class="grid sortable" id="leaderboard">
                        <thead><tr>
                            <th data-sort="num">"#"</th><th data-sort="text">"Candidate"</th><th data-sort="text">"Algorithm"</th>
                            <th data-sort="text">"Pipeline"</th><th data-sort="text">"Status"</th>{heads}<th data-sort="num">"Train s"</th>
                            {(!running).then(|| view! { <th>"Compare"</th> })}
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </section>
        </div>
    };
    view.to_html()
}

/// Time spent and, while the job runs, what remains: at most the runtime limit's rest, and
/// about the mean time per candidate so far times the candidates still allowed.
fn elapsed_and_left(job: &JobInfo, running: bool, done: usize) -> String {
    let elapsed = duration(job.elapsed_seconds);
    let r = match job.resolved.as_ref() {
        Some(r) if running => r,
        _ => return elapsed,
    };
    let limit_left = r
        .max_job_runtime
        .map(|limit| (limit - job.elapsed_seconds).max(0.0));
    let by_count = r
        .max_candidates
        .filter(|_| done > 0)
        .map(|m| job.elapsed_seconds / done as f64 * m.saturating_sub(done) as f64);
    match (limit_left, by_count) {
        (Some(l), Some(c)) if c < l => format!("{elapsed}; about {} left", duration(c)),
        (Some(l), _) => format!(
            "{elapsed} of {}; at most {} left",
            duration(r.max_job_runtime.unwrap_or_default()),
            duration(l)
        ),
        (None, Some(c)) => format!("{elapsed}; about {} left", duration(c)),
        (None, None) => elapsed,
    }
}

/// Downloads and read-only views of the job's notebooks and the files beside them.
fn notebooks_card(links: &JobLinks) -> impl IntoView {
    let file = |f: &str| links.notebook_file(f);
    let notebook = |kind: &str, title: &str, what: &str| {
        view! {
            <li>
                <strong>{title.to_string()}</strong>" — "{what.to_string()}" "
                <a href=links.notebook_view(kind) id=format!("view-{kind}")>"view"</a>
                " · "
                <a href=file(&format!("{kind}.ipynb")) download="" id=format!("download-{kind}")>"download .ipynb"</a>
            </li>
        }
    };
    let zip = file("notebooks.zip").map(|href| {
        view! {
            " · " <a href=href download="" id="download-zip">"everything as one zip"</a>
            <span class="muted small">" (with the data and the candidates' model files and reports)"</span>
        }
    });
    view! {
        <section class="card" id="notebooks">
            <h2>"Notebooks"</h2>
            <p class="muted small">"They run offline on a laptop and reproduce this page's numbers: pip install -r requirements.txt, keep glassbox_helpers.py, glassbox_models.py and splits.json beside them."</p>
            <ul class="downloads">
                {notebook("data-exploration", "Data exploration", "recomputes every number of the data set's dashboard")}
                {notebook("candidate-definition", "Candidate definitions", "every candidate as scikit-learn code; retrains them and scores the saved models")}
                {notebook("model-insights", "Model insights", "recomputes every candidate's quality and SHAP reports with scikit-learn and shap")}
            </ul>
            <p>
                <a href=file("requirements.txt") download="">"requirements.txt"</a>" · "
                <a href=file("glassbox_helpers.py") download="">"glassbox_helpers.py"</a>" · "
                <a href=file("glassbox_models.py") download="">"glassbox_models.py"</a>" · "
                <a href=file("splits.json") download="">"splits.json"</a>
                {zip}
            </p>
        </section>
    }
}

/// The editor of one search range: two bounds, or a checkbox per choice.
/// A review form that was sent back: the fields as the user sent them, and the error.
pub struct ReviewDraft<'a> {
    pub typed: &'a [(String, String)],
    pub error: &'a str,
}

impl ReviewDraft<'_> {
    fn value(&self, name: &str) -> Option<&str> {
        self.typed
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn ticked(&self, name: &str, value: &str) -> bool {
        self.typed.iter().any(|(k, v)| k == name && v == value)
    }
}

fn range_editor(field: &str, param: &str, range: &Range, draft: Option<&ReviewDraft>) -> AnyView {
    let typed = |suffix: &str, original: String| {
        draft
            .and_then(|d| d.value(&format!("{field}.{suffix}")))
            .map_or(original, str::to_string)
    };
    let (low, high, log, step) = match range {
        Range::Float { low, high, log } => (
            typed("low", low.to_string()),
            typed("high", high.to_string()),
            *log,
            "any",
        ),
        Range::Int { low, high, log } => (
            typed("low", low.to_string()),
            typed("high", high.to_string()),
            *log,
            "1",
        ),
        Range::Choice { values } => {
            let name = format!("{field}.choice");
            return values
                .iter()
                .map(|v| {
                    let checked = draft.is_none_or(|d| d.ticked(&name, &v.to_string()));
                    view! {
                        <label class="choice"><input type="checkbox" name=name.clone() value=v.to_string() checked=checked/>" "{param_value(v)}</label>
                    }
                })
                .collect_view()
                .into_any();
        }
    };
    let scale = if log { "log scale" } else { "linear" };
    view! {
        <input class="bound" type="number" step=step name=format!("{field}.low") value=low aria-label=format!("{param} low")/>
        " to "
        <input class="bound" type="number" step=step name=format!("{field}.high") value=high aria-label=format!("{param} high")/>
        <span class="muted small">" "{scale}</span>
    }
    .into_any()
}

/// The review form of a candidates-only job: choose candidates, edit their ranges, train.
fn review_form(
    name: &str,
    definitions: &[CandidateDefinition],
    draft: Option<&ReviewDraft>,
) -> impl IntoView {
    let rows = definitions
        .iter()
        .map(|d| {
            let cname = d.name.clone();
            let params = d
                .hyperparameters
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ");
            let ranges = d
                .ranges
                .iter()
                .map(|(param, r)| {
                    let editor = range_editor(&format!("range.{cname}.{param}"), param, r, draft);
                    view! { <tr><td class="nowrap">{param.clone()}</td><td>{editor}</td></tr> }
                })
                .collect_view();
            view! {
                <div class="definition" data-candidate=cname.clone()>
                    <label class="pick">
                        <input type="checkbox" name="candidate" value=cname.clone() checked=draft.is_none_or(|d| d.ticked("candidate", &cname))/>
                        " " <strong>{cname.clone()}</strong>
                        <span class="muted">{format!(" {} · {}", d.algorithm.as_str(), d.pipeline)}</span>
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
            {draft.map(|d| view! { <p class="error" id="review-error" role="alert">{d.error.to_string()}</p> })}
            <form method="post" action=format!("/jobs/{name}/train") id="review-form">
                {rows}
                <button type="submit" class="primary" id="train-chosen">"Train the chosen candidates"</button>
            </form>
        </section>
    }
}

/// The share links of a job, for its owner: the list, and a link just made (its URL is
/// shown this once).
pub struct Sharing<'a> {
    pub shares: &'a [ShareInfo],
    pub new_url: Option<&'a str>,
}

pub fn job_page(
    who: &Who,
    links: &JobLinks,
    job: &JobInfo,
    candidates: &[CandidateInfo],
    definitions: &[CandidateDefinition],
    review: Option<&ReviewDraft>,
    sharing: Option<Sharing>,
) -> String {
    let name = job.name.clone();
    let running = job.is_running();
    let change = who.can_change && !links.shared;
    let review = (change && job.awaits_review() && !definitions.is_empty())
        .then(|| review_form(&name, definitions, review));
    let live = job_live(links, job, candidates);
    let dataset = match &job.dataset_name {
        Some(d) if !links.shared => {
            view! { "data set " <a href=format!("/datasets/{}", job.dataset_id)>{d.clone()}</a> }
                .into_any()
        }
        Some(d) => view! { "data set " {d.clone()} }.into_any(),
        None => view! { <span>"its data set was deleted"</span> }.into_any(),
    };
    let controls = change.then(|| {
        if running {
            view! {
                <form method="post" action=format!("/jobs/{name}/stop")>
                    <button type="submit" id="stop-job">"Stop"</button>
                </form>
            }
            .into_any()
        } else {
            view! {
                <form method="post" action=format!("/jobs/{name}/delete") data-confirm=format!("Delete job {name} with its candidates and notebooks? This cannot be undone.")>
                    <button type="submit" id="delete-job" class="danger">"Delete job"</button>
                </form>
            }
            .into_any()
        }
    });
    let body = view! {
        <section class="page-head">
            <div>
                <h1>{name.clone()}</h1>
                <p class="muted">
                    {dataset}
                    {job.created_by.clone().map(|b| view! { " · by " <span id="created-by">{b}</span> })}
                    {(!links.shared).then(|| view! { " · " <a href="/jobs">"all jobs"</a> })}
                </p>
            </div>
            {controls}
        </section>
        {review}
        <p id="job-announce" class="visually-hidden" aria-live="polite"></p>
        <div id="live" data-live=if running { links.live() } else { String::new() } inner_html=live></div>
        {settings_card(job)}
        {sharing.filter(|_| change).map(|s| crate::share_view::share_card(&name, &s))}
    };
    document(who, &name, body)
}

/// What the job was asked to do and what it resolved: target, problem, objective,
/// budget, validation, algorithms and features.
fn settings_card(job: &JobInfo) -> impl IntoView {
    let r = job.resolved.as_ref();
    let limit = |v: Option<f64>| v.map_or_else(|| "none".to_string(), duration);
    let mut rows: Vec<(&str, String)> = vec![("Target", job.target.clone())];
    if let Some(r) = r {
        rows.push((
            "Problem type",
            format!("{} ({})", r.problem_type.as_str(), r.problem_type_reason),
        ));
        let positive = r
            .positive_class
            .as_ref()
            .map(|p| format!("; F1, precision and recall for class {p:?}"))
            .unwrap_or_default();
        rows.push(("Objective", format!("{}{positive}", r.metric.as_str())));
        rows.push(("Mode", r.mode.as_str().to_string()));
        rows.push((
            "Budget",
            format!(
                "at most {} candidates; job {}; per candidate {}",
                r.max_candidates
                    .map_or_else(|| "unlimited".into(), |n| n.to_string()),
                limit(r.max_job_runtime),
                limit(r.max_runtime_per_candidate),
            ),
        ));
        rows.push(("Validation", r.validation.clone()));
    }
    rows.push(("Algorithms", job.algorithms.join(", ")));
    let features = r.map(|r| {
        let list = r
            .features
            .iter()
            .map(|f| format!("{} ({})", f.name, f.kind.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        view! {
            <tr><th scope="row">"Features"</th><td>
                <details><summary>{format!("{} columns", r.features.len())}</summary><p class="small">{list}</p></details>
            </td></tr>
        }
    });
    view! {
        <section class="card" id="job-settings">
            <h2>"Settings"</h2>
            <table class="grid settings"><tbody>
                {rows.into_iter().map(|(k, v)| view! { <tr><th scope="row">{k}</th><td>{v}</td></tr> }).collect_view()}
                {features}
            </tbody></table>
        </section>
    }
}
