//! The model registry and endpoints: the groups and endpoints, a group's versions with
//! their approval and deployment, registering a candidate, and an endpoint's page with
//! its live counts.

use leptos::prelude::*;

use crate::format::{num, when};
use crate::model::{
    DriftRun, EndpointInfo, EndpointStats, GroupInfo, PackageInfo, PipelineInfo, Who,
};
use crate::pages::document;

fn approval_badge(status: &str) -> impl IntoView {
    let class = match status {
        "Approved" => "badge status-completed",
        "Rejected" => "badge status-failed",
        _ => "badge status-inprogress",
    };
    view! { <span class=class>{status.to_string()}</span> }
}

fn source_view(e: &EndpointInfo) -> AnyView {
    match (&e.package, &e.candidate) {
        (Some((g, v)), _) => {
            view! { "version " <a href=format!("/models/{g}")>{format!("{g}/{v}")}</a> }.into_any()
        }
        (_, Some((j, c))) => {
            view! { "candidate " <a href=format!("/jobs/{j}/candidates/{c}")>{c.clone()}</a>{format!(" of {j}")} }
                .into_any()
        }
        _ => view! { "–" }.into_any(),
    }
}

fn endpoints_table(endpoints: &[EndpointInfo]) -> impl IntoView {
    let rows = endpoints
        .iter()
        .map(|e| {
            view! {
                <tr>
                    <td><a href=format!("/endpoints/{}", e.name)>{e.name.clone()}</a></td>
                    <td>{e.status.clone()}</td>
                    <td>{source_view(e)}</td>
                    <td class="muted">{when(&e.updated_at)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="grid" id="endpoints">
            <thead><tr><th>"Endpoint"</th><th>"Status"</th><th>"Serves"</th><th>"Changed (UTC)"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// `/models`: the registry's groups and the endpoints.
pub fn models_page(
    who: &Who,
    groups: &[GroupInfo],
    endpoints: &[EndpointInfo],
    pipelines: &[PipelineInfo],
) -> String {
    let runs = pipelines
        .iter()
        .map(|p| {
            view! {
                <tr>
                    <td><a href=format!("/pipelines/{}", p.name)>{p.name.clone()}</a></td>
                    <td>{p.status.clone()}</td>
                    <td class="muted">{when(&p.created_at)}</td>
                </tr>
            }
        })
        .collect_view();
    let rows = groups
        .iter()
        .map(|g| {
            view! {
                <tr>
                    <td><a href=format!("/models/{}", g.name)>{g.name.clone()}</a></td>
                    <td class="num">{g.versions}</td>
                    <td>{g.description.clone().unwrap_or_default()}</td>
                    <td>{g.created_by.clone().unwrap_or_default()}</td>
                    <td class="muted">{when(&g.created_at)}</td>
                </tr>
            }
        })
        .collect_view();
    let body = view! {
        <section class="card">
            <h1>"Model registry"</h1>
            <p class="muted small">"Register a candidate from its page (Artifacts tab). A registered version's files are frozen: they stay as they are when its job is deleted. Only an approved version is deployed."</p>
            {if groups.is_empty() {
                view! { <p class="muted" id="no-groups">"No model package group yet."</p> }.into_any()
            } else {
                view! {
                    <table class="grid" id="groups">
                        <thead><tr><th>"Group"</th><th>"Versions"</th><th>"Description"</th><th>"Created by"</th><th>"Created (UTC)"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                }.into_any()
            }}
            {who.can_create.then(|| view! {
                <form method="post" action="/models/groups" class="inline-form" id="new-group-form">
                    <label class="inline">"New group "<input type="text" name="name" required pattern="[A-Za-z0-9](-*[A-Za-z0-9]){0,62}" title="letters, digits and hyphens"/></label>
                    <label class="inline">"Description "<input type="text" name="description"/></label>
                    <button type="submit" id="create-group">"Create the group"</button>
                </form>
            })}
        </section>
        <section class="card">
            <h2>"Endpoints"</h2>
            {if endpoints.is_empty() {
                view! { <p class="muted" id="no-endpoints">"No endpoint yet: deploy an approved version from its group."</p> }.into_any()
            } else {
                endpoints_table(endpoints).into_any()
            }}
        </section>
        {(!pipelines.is_empty()).then(|| view! {
            <section class="card">
                <h2>"Pipeline executions"</h2>
                <p class="muted small">"Train → Evaluate → Register, started with POST /api/pipeline-executions."</p>
                <table class="grid" id="pipelines">
                    <thead><tr><th>"Execution"</th><th>"Status"</th><th>"Started (UTC)"</th></tr></thead>
                    <tbody>{runs}</tbody>
                </table>
            </section>
        })}
    };
    document(who, "Models", body)
}

fn metric_list(ms: &[(String, f64)]) -> String {
    ms.iter()
        .take(3)
        .map(|(n, v)| format!("{n} {}", num(Some(*v))))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// `/models/{group}`: the versions, newest first, with approval and deployment.
pub fn group_page(
    who: &Who,
    group: &GroupInfo,
    versions: &[PackageInfo],
    endpoints: &[EndpointInfo],
) -> String {
    let rows = versions
        .iter()
        .map(|p| {
            let path = format!("/models/{}/{}", p.group, p.version);
            let approve = who.can_change.then(|| view! {
                <form method="post" action=format!("{path}/approval") class="inline-form approval">
                    <label class="inline">"Comment "<input type="text" name="description" aria-label=format!("comment on version {}", p.version)/></label>
                    <button type="submit" name="status" value="Approved" id=format!("approve-{}", p.version)>"Approve"</button>
                    <button type="submit" name="status" value="Rejected" class="danger" id=format!("reject-{}", p.version)>"Reject"</button>
                </form>
            });
            let deploy = (who.can_create && p.approval == "Approved").then(|| view! {
                <form method="post" action=format!("{path}/deploy") class="inline-form">
                    <label class="inline">"Endpoint "<input type="text" name="endpoint" required pattern="[A-Za-z0-9](-*[A-Za-z0-9]){0,62}" aria-label=format!("endpoint name for version {}", p.version)/></label>
                    <button type="submit" id=format!("deploy-{}", p.version)>"Deploy"</button>
                </form>
            });
            let test = metric_list(&p.test_metrics());
            view! {
                <tr data-version=p.version.to_string()>
                    <td class="num"><label class="inline">
                        <input type="checkbox" name="v" value=p.version.to_string() form="compare-versions"
                            aria-label=format!("compare version {}", p.version)/>" "{p.version}</label></td>
                    <td>{approval_badge(&p.approval)}
                        {p.approval_by.clone().map(|b| view! { <div class="muted small">{format!("by {b}, {}", p.approval_at.as_deref().map(when).unwrap_or_default())}</div> })}
                        {p.approval_description.clone().map(|d| view! { <div class="small">{d}</div> })}
                    </td>
                    <td><a href=format!("/jobs/{}/candidates/{}", p.job, p.candidate)>{p.candidate.clone()}</a><div class="muted small">{format!("job {}", p.job)}</div></td>
                    <td class="small">{metric_list(&p.metrics)}</td>
                    <td class="small">{if test.is_empty() { "–".to_string() } else { test }}</td>
                    <td>{p.registered_by.clone()}<div class="muted small">{when(&p.created_at)}</div></td>
                    <td>{approve}{deploy}</td>
                </tr>
            }
        })
        .collect_view();
    let body = view! {
        <section class="page-head">
            <div>
                <h1>{group.name.clone()}</h1>
                <p class="muted">{group.description.clone().unwrap_or_default()}" · " <a href="/models">"all models"</a></p>
            </div>
        </section>
        <section class="card">
            <h2>"Versions"</h2>
            {(versions.len() > 1).then(|| view! {
                <form method="get" action=format!("/models/{}/compare", group.name) id="compare-versions" class="inline-form">
                    <span class="muted small">"Tick 2 to 6 versions, then "</span>
                    <button type="submit" id="compare-button">"Compare side by side"</button>
                </form>
            })}
            <div class="scroll" tabindex="0" role="region" aria-label="Versions">
                <table class="grid" id="versions">
                    <thead><tr><th>"Version"</th><th>"Approval"</th><th>"Candidate"</th><th>"Validation"</th><th>"Test set"</th><th>"Registered"</th><th></th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
        {(!endpoints.is_empty()).then(|| view! {
            <section class="card"><h2>"Endpoints serving this group"</h2>{endpoints_table(endpoints)}</section>
        })}
    };
    document(who, &group.name, body)
}

/// `/models/register?job=J&candidate=C`: put a candidate in a group.
pub fn register_page(
    who: &Who,
    job: &str,
    candidate: &str,
    groups: &[GroupInfo],
    test_sets: &[(String, String)],
    error: Option<&str>,
) -> String {
    let options = groups
        .iter()
        .map(|g| view! { <option value=g.name.clone()>{g.name.clone()}</option> })
        .collect_view();
    let tests = test_sets
        .iter()
        .map(|(id, name)| view! { <option value=id.clone()>{name.clone()}</option> })
        .collect_view();
    let body = view! {
        <section class="card narrow">
            <h1>"Register a model"</h1>
            <p>{format!("Candidate {candidate} of job {job}.")}</p>
            {error.map(|e| view! { <p class="error" role="alert" id="register-error">{e.to_string()}</p> })}
            <form method="post" action="/models/register" class="stack" id="register-form">
                <input type="hidden" name="job" value=job.to_string()/>
                <input type="hidden" name="candidate" value=candidate.to_string()/>
                <label>"Group "<select name="group" id="register-group">{options}</select></label>
                <label>"Test data set (optional; labelled, with the target column) "
                    <select name="test_dataset"><option value="">"none"</option>{tests}</select>
                </label>
                <button type="submit" class="primary" id="register">"Register (pending approval)"</button>
            </form>
            {groups.is_empty().then(|| view! { <p class="muted">"Create a group on the " <a href="/models">"Models"</a> " page first."</p> })}
        </section>
    };
    document(who, "Register a model", body)
}

/// `/endpoints/{name}`: what it serves, its counts, and how to call it.
pub fn endpoint_page(
    who: &Who,
    e: &EndpointInfo,
    stats: &EndpointStats,
    approved: &[PackageInfo],
    columns: &[String],
) -> String {
    let ms = |v: Option<f64>| v.map_or("–".to_string(), |x| format!("≤ {x} ms"));
    let versions = approved
        .iter()
        .map(|p| {
            let v = format!("{}/{}", p.group, p.version);
            view! { <option value=v.clone()>{v.clone()}</option> }
        })
        .collect_view();
    let example = format!(
        "curl -X POST http://HOST/endpoints/{}/invocations -H 'Content-Type: text/csv' --data-binary @rows.csv\n# rows without a header, columns in this order: {}",
        e.name,
        columns.join(", ")
    );
    let body = view! {
        <section class="page-head">
            <div>
                <h1>{e.name.clone()}</h1>
                <p class="muted"><span id="endpoint-status">{e.status.clone()}</span>" · serves " {source_view(e)} " · " <a href="/models">"all models"</a></p>
                {e.failure_reason.clone().map(|f| view! { <p class="error">{f}</p> })}
            </div>
            {who.can_change.then(|| view! {
                <form method="post" action=format!("/endpoints/{}/delete", e.name) data-confirm=format!("Delete endpoint {}?", e.name)>
                    <button type="submit" class="danger" id="delete-endpoint">"Delete"</button>
                </form>
            })}
        </section>
        <section class="stats" id="endpoint-stats">
            <div class="stat"><div class="stat-label">"Requests"</div><div class="stat-value" id="stat-requests">{stats.requests}</div></div>
            <div class="stat"><div class="stat-label">"Errors"</div><div class="stat-value" id="stat-errors">{stats.errors}</div></div>
            <div class="stat"><div class="stat-label">"Latency p50"</div><div class="stat-value long">{ms(stats.p50_ms)}</div></div>
            <div class="stat"><div class="stat-label">"Latency p99"</div><div class="stat-value long">{ms(stats.p99_ms)}</div></div>
        </section>
        {(e.capture_percent > 0).then(|| view! {
            <section class="card" id="monitoring">
                <h2>"Monitoring"</h2>
                <p>{format!("{} % of the requests are kept (up to {} MB) to compare with the training data. ", e.capture_percent, e.capture_max_bytes / 1_000_000)}
                    <a href=format!("/endpoints/{}/drift", e.name) id="drift-link">"Drift report"</a></p>
            </section>
        })}
        <section class="card">
            <h2>"Call it"</h2>
            <pre tabindex="0"><code>{example}</code></pre>
            <p class="muted small">"JSON: {\"instances\": [{column: value, …}]}; JSON Lines: one object per line. Accept: text/csv (label, probability), application/json (with every class's probability). Counts since the server started; all endpoints at /metrics."</p>
        </section>
        {(who.can_change && !approved.is_empty()).then(|| view! {
            <section class="card">
                <h2>"Update"</h2>
                <form method="post" action=format!("/endpoints/{}/update", e.name) class="inline-form">
                    <label class="inline">"Serve the approved version "<select name="package">{versions}</select></label>
                    <button type="submit" id="update-endpoint">"Swap it in"</button>
                </form>
                <p class="muted small">"The new model is loaded first, then swapped in at once: no request fails."</p>
            </section>
        })}
    };
    document(who, &e.name, body)
}

/// `/pipelines/{name}`: each step's status, start, end and what it produced.
pub fn pipeline_page(who: &Who, p: &PipelineInfo) -> String {
    let rows = p
        .steps
        .iter()
        .map(|s| {
            view! {
                <tr data-step=s.name.clone()>
                    <td>{s.name.clone()}</td>
                    <td>{s.status.clone()}</td>
                    <td class="muted">{s.started.as_deref().map(when).unwrap_or_default()}</td>
                    <td class="muted">{s.ended.as_deref().map(when).unwrap_or_default()}</td>
                    <td>{s.detail.clone()}{s.failure_reason.clone().map(|f| view! { <div class="error">{f}</div> })}</td>
                </tr>
            }
        })
        .collect_view();
    let running = p.status == "Executing";
    let body = view! {
        <section class="page-head">
            <div>
                <h1>{p.name.clone()}</h1>
                <p class="muted"><span id="pipeline-status">{p.status.clone()}</span>{format!(" · started {}", when(&p.created_at))}" · " <a href="/models">"all models"</a></p>
                {p.failure_reason.clone().map(|f| view! { <p class="error" id="pipeline-failure">{f}</p> })}
                {running.then(|| view! { <p class="muted small">"Still running: reload to follow it."</p> })}
            </div>
        </section>
        <section class="card">
            <h2>"Steps"</h2>
            <table class="grid" id="steps">
                <thead><tr><th>"Step"</th><th>"Status"</th><th>"Started (UTC)"</th><th>"Ended (UTC)"</th><th>"Outcome"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    };
    document(who, &p.name, body)
}

/// `/endpoints/{name}/drift`: the captured requests against the training data.
/// A drift page's schedule: its interval (none when off) and the reports it has made.
pub struct DriftSchedule<'a> {
    pub every_seconds: Option<i64>,
    pub runs: &'a [DriftRun],
}

/// The schedule card: its form (for those who may change the endpoint) and the history.
fn schedule_card(who: &Who, endpoint: &str, s: &DriftSchedule) -> impl IntoView {
    let state = match s.every_seconds {
        Some(n) => format!("A report is made every {n} s; the newest 100 are kept."),
        None => "No schedule: reports are made when this page is opened.".to_string(),
    };
    let form = who.can_change.then(|| view! {
        <form method="post" action=format!("/endpoints/{endpoint}/drift-schedule") class="inline-form" id="drift-schedule-form">
            <label class="inline">"Every "<input type="number" name="every_seconds" min="5" max="604800"
                value=s.every_seconds.map(|n| n.to_string()).unwrap_or_default() aria-label="seconds between reports"/>" seconds"</label>
            <button type="submit" id="drift-schedule-save">"Save the schedule"</button>
            <span class="muted small">"(empty: no schedule)"</span>
        </form>
    });
    let rows = s
        .runs
        .iter()
        .map(|r| {
            let high = r.report.as_ref().map_or(0, |d| {
                d.columns.iter().filter(|c| c.severity == "high").count()
            });
            view! {
                <tr><td>{when(&r.created_at)}</td>
                    <td><span class=format!("badge sev-{}", if r.severity == "none" { "low" } else { r.severity.as_str() })>{r.severity.clone()}</span></td>
                    <td class="num">{r.rows}</td><td class="num">{high}</td></tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" id="drift-schedule">
            <h2>"Schedule"</h2>
            <p id="drift-schedule-state">{state}</p>
            {form}
            {(!s.runs.is_empty()).then(|| view! {
                <div class="scroll" tabindex="0" role="region" aria-label="Scheduled reports">
                    <table class="grid" id="drift-history">
                        <thead><tr><th>"When (UTC)"</th><th>"Severity"</th><th>"Captured rows"</th><th>"Columns high"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            })}
        </section>
    }
}

pub fn drift_page(
    who: &Who,
    endpoint: &str,
    report: Result<&glassbox_engine::reports::DriftReport, &str>,
    schedule: &DriftSchedule,
) -> String {
    let fmt = |v: Option<f64>| v.map_or("–".to_string(), |x| format!("{x:.3}"));
    let row = |c: &glassbox_engine::reports::ColumnDrift| {
        view! {
            <tr data-column=c.column.clone() data-severity=c.severity.clone()>
                <td>{c.column.clone()}</td>
                <td>{c.kind.clone()}</td>
                <td><span class=format!("badge sev-{}", if c.severity == "none" { "low" } else { c.severity.as_str() })>{c.severity.clone()}</span></td>
                <td class="num">{fmt(c.psi)}</td>
                <td class="num">{fmt(c.ks)}</td>
                <td class="num">{fmt(c.js)}</td>
                <td class="num">{format!("{:.1} % → {:.1} %", c.baseline_missing_rate * 100.0, c.current_missing_rate * 100.0)}</td>
                <td class="small">{c.reasons.join("; ")}</td>
            </tr>
        }
    };
    let content = match report {
        Err(e) => view! { <p class="error" id="drift-error">{e.to_string()}</p> }.into_any(),
        Ok(r) => {
            let rows = r.columns.iter().map(row).collect_view();
            let preds = r.predictions.as_ref().map(row);
            view! {
                <p>{format!("{} captured rows against {} training rows: ", r.current_rows, r.baseline_rows)}
                    <strong id="drift-severity">{r.severity.clone()}</strong></p>
                <div class="scroll" tabindex="0" role="region" aria-label="Drift per column">
                    <table class="grid" id="drift">
                        <thead><tr><th>"Column"</th><th>"Kind"</th><th>"Severity"</th><th>"PSI"</th><th>"KS"</th><th>"JS"</th><th>"Missing"</th><th>"Why"</th></tr></thead>
                        <tbody>{rows}{preds}</tbody>
                    </table>
                </div>
                <p class="muted small">"PSI over ten quantile bins of the training values (≥ 0.1 medium, ≥ 0.25 high); KS: the largest gap between the two CDFs (≥ 0.1, ≥ 0.2); JS: Jensen–Shannon divergence of the category shares, base 2 (≥ 0.05, ≥ 0.1). The last row compares the predictions with those on the validation rows."</p>
            }
            .into_any()
        }
    };
    let body = view! {
        <section class="page-head"><div>
            <h1>{format!("Drift · {endpoint}")}</h1>
            <p class="muted"><a href=format!("/endpoints/{endpoint}")>{format!("back to {endpoint}")}</a>" · as JSON: "<a href=format!("/api/endpoints/{endpoint}/drift")>"drift"</a></p>
        </div></section>
        <section class="card">{content}</section>
        {schedule_card(who, endpoint, schedule)}
    };
    document(who, &format!("Drift · {endpoint}"), body)
}
