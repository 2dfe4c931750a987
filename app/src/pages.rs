use glassbox_engine::profile::{ColumnProfile, Profile, Severity};
use leptos::prelude::*;

use crate::bias_view::bias_card;
use crate::charts;
use crate::format::status_badge;
use crate::model::{BiasAsk, DatasetInfo, Who};
use glassbox_engine::reports::BiasReport;

pub(crate) fn document(who: &Who, title: &str, body: impl IntoView) -> String {
    let nav = if who.shared {
        view! {
            <span class="muted small" id="shared-view">"A read-only view shared with you"</span>
        }
        .into_any()
    } else if who.team && who.user.is_none() {
        // Signed out: nothing here opens before signing in.
        ().into_any()
    } else {
        let account = who.user.clone().map(|(name, role)| {
            view! {
                <span class="account" id="account">{name}<span class="muted small">{format!(" ({role})")}</span></span>
                <form method="post" action="/logout" class="inline-form">
                    <button type="submit" class="link-button" id="logout">"Log out"</button>
                </form>
            }
        });
        view! {
            <nav>
                <a href="/">"Data sets"</a>
                <a href="/jobs">"Jobs"</a>
                <a href="/models">"Models"</a>
                <a href="/status">"Status"</a>
                <a href="/settings" id="settings-link">{if who.team { "Settings" } else { "Accounts" }}</a>
                {account}
            </nav>
        }
        .into_any()
    };
    let home = if who.shared { None } else { Some("/") };
    let page = view! {
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>{format!("{title} · Glassbox")}</title>
                <link rel="stylesheet" href="/static/glassbox.css"/>
                <link rel="icon" href="data:,"/>
                <script src="/static/glassbox.js" defer></script>
            </head>
            <body>
                <header class="topbar">
                    <a class="brand" href=home>"Glassbox"</a>
                    {nav}
                </header>
                <main>{body}</main>
            </body>
        </html>
    };
    format!("<!DOCTYPE html>{}", page.to_html())
}

pub fn human_bytes(n: i64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.1} GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1} kB", n / 1e3)
    } else {
        format!("{n} B")
    }
}

/// A statistic as a table shows it. One style for every size that fits a column of
/// figures (thousands grouped: `160,000` beside `180,812.5`); scientific notation only
/// for the very large and the very small.
fn fmt_num(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(x) if !x.is_finite() => x.to_string(),
        Some(x) if x.abs() >= 1e15 || (x.abs() < 1e-3 && x != 0.0) => format!("{x:.3e}"),
        Some(x) if x.fract() == 0.0 => grouped(&format!("{x:.0}")),
        Some(x) if x.abs() >= 1e3 => grouped(&format!("{x:.1}")),
        Some(x) => format!("{x:.3}"),
    }
}

/// Thousands separators in a number's integer part: `-1234567.5` → `-1,234,567.5`.
fn grouped(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// `low_space`: the free bytes left on the data folder, when they are few.
pub fn home_page(
    who: &Who,
    datasets: &[DatasetInfo],
    max_upload_bytes: u64,
    low_space: Option<u64>,
) -> String {
    let team = who.team;
    let rows = datasets
        .iter()
        .map(|d| {
            let href = format!("/datasets/{}", d.dataset_id);
            view! {
                <tr>
                    <td><a href=href>{d.name.clone()}</a></td>
                    <td class="num">{d.rows.map(|r| r.to_string()).unwrap_or_else(|| "–".into())}</td>
                    <td class="num">{d.columns.map(|r| r.to_string()).unwrap_or_else(|| "–".into())}</td>
                    <td class="num">{human_bytes(d.size_bytes)}</td>
                    <td>{d.target_attribute_name.clone().unwrap_or_default()}</td>
                    <td>{status_badge(&d.dataset_status)}</td>
                    <td class="muted">{d.creation_time.replace('T', " ").chars().take(19).collect::<String>()}</td>
                    {team.then(|| view! { <td>{d.created_by.clone().unwrap_or_default()}</td> })}
                </tr>
            }
        })
        .collect_view();
    let empty = datasets.is_empty();
    let body = view! {
        <section class="hero">
            <h1>"Explore a data set, then let Glassbox build the models"</h1>
            <p class="muted">"Upload a CSV (plain or .gz) or Parquet file. Glassbox reads it, works out each column's type and the problem type, and shows what it finds."</p>
        </section>
        {low_space.map(|free| view! {
            <p class="card failure" id="low-space" role="alert">
                {format!("The server's data folder has only {} free; a larger upload will be refused. ", human_bytes(free as i64))}
                <a href="/status">"Server status"</a>
            </p>
        })}
        {who.can_create.then(|| view! { <section class="card">
            <h2>"Upload"</h2>
            <form id="upload-form" action="/api/datasets" method="post" enctype="multipart/form-data" data-max-bytes=max_upload_bytes.to_string()>
                <label class="file-drop">"Data file "
                    <input type="file" name="file" id="upload-file" accept=".csv,.gz,.tsv,.txt,.parquet,.pq" required/>
                </label>
                <label class="inline">"Target column (optional) "
                    <input type="text" name="target" id="upload-target" placeholder="e.g. Survived"/>
                </label>
                <button type="submit" class="primary">"Upload"</button>
                <div class="progress-wrap" hidden>
                    <progress id="upload-progress" max="100" value="0"></progress>
                    <span id="upload-status" class="muted"></span>
                </div>
                <p id="upload-error" class="error" role="alert" hidden></p>
            </form>
            <p class="muted small">{format!("Files up to {} are accepted.", human_bytes(max_upload_bytes as i64))}</p>
        </section> })}
        <section class="card">
            <h2>"Data sets"</h2>
            {if empty {
                view! { <p class="muted" id="no-datasets">"No data sets yet. Upload one above."</p> }.into_any()
            } else {
                view! {
                    <table class="grid" id="datasets">
                        <thead><tr><th>"Name"</th><th>"Rows"</th><th>"Columns"</th><th>"Size"</th><th>"Target"</th><th>"Status"</th><th>"Uploaded (UTC)"</th>{team.then(|| view! { <th>"Created by"</th> })}</tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                }.into_any()
            }}
        </section>
    };
    document(who, "Data sets", body)
}

/// An error page titled for what happened (`status` is the HTTP status code).
pub fn error_page(status: u16, what: &str) -> String {
    error_page_for(&Who::default(), status, what)
}

/// An error page with the reader's top bar (none of the team's links on a shared view).
pub fn error_page_for(who: &Who, status: u16, what: &str) -> String {
    let title = match status {
        404 => "Not found",
        409 => "Not possible right now",
        400..=499 => "That did not work",
        _ => "Something went wrong on our side",
    };
    let body = view! {
        <section class="card">
            <h1>{title}</h1>
            <p id="error-message">{what.to_string()}</p>
            {(!who.shared).then(|| view! { <p><a href="/">"Back to the data sets"</a></p> })}
        </section>
    };
    document(who, title, body)
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::High => "badge sev-high",
        Severity::Medium => "badge sev-medium",
        Severity::Low => "badge sev-low",
    }
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
    }
}

fn target_form(ds: &DatasetInfo) -> impl IntoView {
    let action = format!("/datasets/{}/target", ds.dataset_id);
    let current = ds.target_attribute_name.clone().unwrap_or_default();
    let options = ds
        .column_names
        .iter()
        .map(|c| {
            let selected = *c == current;
            view! { <option value=c.clone() selected=selected>{c.clone()}</option> }
        })
        .collect_view();
    let none_selected = current.is_empty();
    view! {
        <form class="target-form" method="post" action=action>
            <label>"Target column "
                <select name="target" id="target-select">
                    <option value="" selected=none_selected>"(none)"</option>
                    {options}
                </select>
            </label>
            // An explicit button: moving through the list with the arrow keys must not
            // start a new profile at every step.
            <button type="submit" id="choose-target">"Profile for this target"</button>
        </form>
    }
}

pub fn dataset_page(
    who: &Who,
    ds: &DatasetInfo,
    profile: Option<&Profile>,
    ask: &BiasAsk,
    bias: Option<&Result<BiasReport, String>>,
) -> String {
    let title = ds.name.clone();
    let poll = matches!(ds.dataset_status.as_str(), "Profiling" | "Uploading")
        .then(|| format!("/api/datasets/{}", ds.dataset_id));
    let header = view! {
        <section class="page-head">
            <div>
                <h1>{ds.name.clone()}</h1>
                <p class="muted">
                    {status_badge(&ds.dataset_status)}" "
                    {format!("{} rows × {} columns · {}",
                        ds.rows.map(|r| r.to_string()).unwrap_or_else(|| "?".into()),
                        ds.columns.map(|r| r.to_string()).unwrap_or_else(|| "?".into()),
                        human_bytes(ds.size_bytes))}
                    {ds.created_by.clone().map(|b| view! { " · uploaded by " <span id="created-by">{b}</span> })}
                </p>
            </div>
            {(!ds.column_names.is_empty() && ds.dataset_status != "Failed").then(|| view! {
                <div class="head-actions">
                    {who.can_change.then(|| target_form(ds))}
                    {who.can_create.then(|| view! { <a class="button primary" id="new-job-link" href=format!("/datasets/{}/new-job", ds.dataset_id)>"Start an AutoML job"</a> })}
                </div>
            })}
        </section>
    };
    let state = match (ds.dataset_status.as_str(), profile) {
        ("Failed", _) => view! {
            <section class="card failure" id="dataset-error">
                <h2>"This file could not be read"</h2>
                <p class="error">{ds.failure_reason.clone().unwrap_or_default()}</p>
                <p class="muted">"Fix the file and upload it again. Nothing else was changed."</p>
            </section>
        }
        .into_any(),
        ("Ready", Some(p)) => dashboard(p).into_any(),
        ("Uploading", _) => view! {
            <section class="card" id="profiling" data-poll=poll.clone().unwrap_or_default()>
                <p><span class="spinner"></span>" The file is still arriving… this page updates by itself."</p>
            </section>
        }
        .into_any(),
        _ => view! {
            <section class="card" id="profiling" data-poll=poll.unwrap_or_default()>
                <p><span class="spinner"></span>" Exploring the data… this page updates by itself."</p>
            </section>
        }
        .into_any(),
    };
    // Bias in the labels, for a data set that has been read.
    let bias_section = (ds.is_ready() && !ds.column_names.is_empty()).then(|| {
        let mut ask = ask.clone();
        if ask.label.is_empty() {
            ask.label = ds.target_attribute_name.clone().unwrap_or_default();
        }
        bias_card(
            format!("/datasets/{}", ds.dataset_id),
            &ds.column_names,
            Some(&ds.column_names),
            &ask,
            bias,
        )
    });
    document(
        who,
        &title,
        view! { {header} {state} {bias_section} {dataset_jobs(ds, who.can_change)} },
    )
}

/// The jobs that train on a data set, and the button that deletes it (its confirmation
/// names those jobs).
fn dataset_jobs(ds: &DatasetInfo, can_delete: bool) -> impl IntoView {
    let confirm = if ds.jobs.is_empty() {
        format!(
            "Delete {} and its exploration? This cannot be undone.",
            ds.name
        )
    } else {
        format!(
            "Delete {}? {} job(s) trained on it: {}. They keep their leaderboards, models and notebooks, but their notebooks will no longer find the data here. This cannot be undone.",
            ds.name,
            ds.jobs.len(),
            ds.jobs.join(", ")
        )
    };
    let jobs = ds
        .jobs
        .iter()
        .map(|j| view! { <li><a href=format!("/jobs/{j}")>{j.clone()}</a></li> })
        .collect_view();
    view! {
        <section class="card" id="dataset-jobs">
            <h2>"Jobs on this data set"</h2>
            {if ds.jobs.is_empty() {
                view! { <p class="muted">"No job has trained on this data set yet."</p> }.into_any()
            } else {
                view! { <ul>{jobs}</ul> }.into_any()
            }}
            {can_delete.then(|| view! {
                <form method="post" action=format!("/datasets/{}/delete", ds.dataset_id) data-confirm=confirm>
                    <button type="submit" id="delete-dataset" class="danger">"Delete data set"</button>
                </form>
            })}
        </section>
    }
}

fn summary_cards(p: &Profile) -> impl IntoView {
    let cells = (p.rows * p.columns).max(1) as f64;
    let mut cards: Vec<(String, String)> = vec![
        ("Rows".into(), p.rows.to_string()),
        ("Columns".into(), p.columns.to_string()),
        ("Duplicate rows".into(), p.duplicate_rows.to_string()),
        (
            "Missing cells".into(),
            format!(
                "{} ({:.1}%)",
                p.missing_cells,
                100.0 * p.missing_cells as f64 / cells
            ),
        ),
    ];
    if let Some(t) = &p.target {
        cards.push((
            "Problem type".into(),
            t.problem_type
                .map(|pt| pt.as_str().to_string())
                .unwrap_or_else(|| "undetermined".into()),
        ));
    }
    let types = p
        .column_types
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(" · ");
    let cards = cards
        .into_iter()
        .map(|(k, v)| {
            let class = if v.len() > 12 { "stat-value long" } else { "stat-value" };
            view! { <div class="stat"><div class="stat-label">{k}</div><div class=class>{v}</div></div> }
        })
        .collect_view();
    view! {
        <section class="stats" id="summary">{cards}</section>
        <p class="muted small">{format!("Column types: {types}. Missing values read from: {}.",
            if p.missing_tokens.is_empty() { "none found".to_string() } else {
                p.missing_tokens.iter().map(|(t, c)| format!("{:?} ×{c}", t)).collect::<Vec<_>>().join(", ")
            })}</p>
    }
}

fn insights_section(p: &Profile) -> impl IntoView {
    let items = p
        .insights
        .iter()
        .map(|i| {
            view! {
                <li class="insight">
                    <span class=severity_class(i.severity)>{severity_word(i.severity)}</span>
                    <span class="insight-text">{i.message.clone()}</span>
                </li>
            }
        })
        .collect_view();
    let none = p.insights.is_empty();
    view! {
        <section class="card" id="insights">
            <h2>"Insights"</h2>
            {if none { view! { <p class="muted">"Nothing stands out."</p> }.into_any() }
             else { view! { <ul class="insights">{items}</ul> }.into_any() }}
        </section>
    }
}

fn target_section(p: &Profile) -> impl IntoView {
    let Some(t) = &p.target else {
        return view! {
            <section class="card" id="target">
                <h2>"Target"</h2>
                <p class="muted">"Choose a target column above to see its distribution, the problem type and each column's prediction power."</p>
            </section>
        }
        .into_any();
    };
    let described = if let Some(classes) = &t.classes {
        let counts: Vec<String> = classes
            .iter()
            .take(30)
            .map(|c| format!("{}: {}", c.label, c.count))
            .collect();
        format!(
            "Bar chart of the target's classes, rows per class: {}",
            counts.join(", ")
        )
    } else {
        format!("Histogram of the target {}", t.name)
    };
    let chart = if let Some(classes) = &t.classes {
        let shown: Vec<_> = classes.iter().take(30).collect();
        let labels: Vec<String> = shown.iter().map(|c| c.label.clone()).collect();
        let values: Vec<f64> = shown.iter().map(|c| c.count as f64).collect();
        if labels.len() <= 6 && labels.iter().all(|l| l.chars().count() <= 12) {
            charts::bar_chart(&labels, &values, 560, 260)
        } else {
            charts::hbar_chart(&labels, &values, 560)
        }
    } else if let Some(s) = &t.stats {
        charts::histogram_chart(&s.histogram, 560, 260)
    } else {
        String::new()
    };
    let table = t.classes.as_ref().map(|classes| {
        let rows = classes
            .iter()
            .take(30)
            .map(|c| view! { <tr><td>{c.label.clone()}</td><td class="num">{c.count}</td><td class="num">{format!("{:.1}%", c.percent)}</td></tr> })
            .collect_view();
        view! { <table class="grid compact"><thead><tr><th>"Class"</th><th>"Rows"</th><th>"Share"</th></tr></thead><tbody>{rows}</tbody></table> }
    });
    let stats = t.stats.as_ref().map(|s| {
        view! {
            <table class="grid compact">
                <tbody>
                    <tr><th>"Mean"</th><td class="num">{fmt_num(Some(s.mean))}</td></tr>
                    <tr><th>"Median"</th><td class="num">{fmt_num(Some(s.median))}</td></tr>
                    <tr><th>"Min"</th><td class="num">{fmt_num(Some(s.min))}</td></tr>
                    <tr><th>"Max"</th><td class="num">{fmt_num(Some(s.max))}</td></tr>
                    <tr><th>"Skew"</th><td class="num">{fmt_num(s.skew)}</td></tr>
                    <tr><th>"Excess kurtosis"</th><td class="num">{fmt_num(s.kurtosis)}</td></tr>
                    <tr><th>"Outliers"</th><td class="num">{format!("{:.2}%", 100.0 * s.outlier_ratio)}</td></tr>
                </tbody>
            </table>
        }
    });
    view! {
        <section class="card" id="target">
            <h2>{format!("Target: {}", t.name)}</h2>
            <p class="muted">{format!("{} — {}",
                t.problem_type.map(|p| p.as_str()).unwrap_or("no problem type"), t.problem_type_reason)}</p>
            <div class="split">
                <figure class="chart" id="target-chart"><div role="img" aria-label=described inner_html=chart></div></figure>
                <div>{table}{stats}</div>
            </div>
        </section>
    }
    .into_any()
}

fn column_row(c: &ColumnProfile) -> impl IntoView {
    let pct = 100.0 * c.missing_ratio;
    let power = c.prediction_power;
    view! {
        <tr>
            <td>{c.name.clone()}</td>
            <td><span class=format!("type type-{}", c.kind.as_str())>{c.kind.as_str()}</span></td>
            <td class="num" data-value=pct.to_string()>{format!("{pct:.1}%")}</td>
            <td class="num" data-value=c.unique.to_string()>{c.unique}</td>
            <td class="num" data-value=c.mean.unwrap_or(f64::NAN).to_string()>{fmt_num(c.mean)}</td>
            <td class="num" data-value=c.median.unwrap_or(f64::NAN).to_string()>{fmt_num(c.median)}</td>
            <td class="num" data-value=c.std.unwrap_or(f64::NAN).to_string()>{fmt_num(c.std)}</td>
            <td class="num" data-value=c.min.unwrap_or(f64::NAN).to_string()>{fmt_num(c.min)}</td>
            <td class="num" data-value=c.max.unwrap_or(f64::NAN).to_string()>{fmt_num(c.max)}</td>
            <td class="num" data-value=power.unwrap_or(-1.0).to_string()>
                {power.map(|p| view! { <span class="bar" style=format!("--w:{:.0}%", p * 100.0)>{format!("{p:.3}")}</span> })}
            </td>
        </tr>
    }
}

fn columns_section(p: &Profile) -> impl IntoView {
    let rows = p.columns_detail.iter().map(column_row).collect_view();
    view! {
        <section class="card" id="columns">
            <h2>"Columns"</h2>
            <p class="muted small">"Click a heading to sort."</p>
            <div class="scroll" tabindex="0" role="region" aria-label="Scrollable table">
                <table class="grid sortable" id="columns-table">
                    <thead><tr>
                        <th data-sort="text">"Column"</th><th data-sort="text">"Type"</th>
                        <th data-sort="num">"Missing"</th><th data-sort="num">"Distinct"</th>
                        <th data-sort="num">"Mean"</th><th data-sort="num">"Median"</th><th data-sort="num">"Std"</th>
                        <th data-sort="num">"Min"</th><th data-sort="num">"Max"</th>
                        <th data-sort="num">"Prediction power"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
}

fn histograms_section(p: &Profile) -> impl IntoView {
    let target = p.target.as_ref().map(|t| t.name.as_str());
    let mut cols: Vec<&ColumnProfile> = p
        .columns_detail
        .iter()
        .filter(|c| {
            c.numeric.is_some() && c.kind.as_str() == "numeric" && Some(c.name.as_str()) != target
        })
        .collect();
    cols.sort_by(|a, b| {
        b.prediction_power
            .unwrap_or(0.0)
            .total_cmp(&a.prediction_power.unwrap_or(0.0))
    });
    let figures = cols
        .iter()
        .take(12)
        .map(|c| {
            let svg = charts::histogram_chart(&c.numeric.as_ref().unwrap().histogram, 300, 170);
            let label = format!("Histogram of {}", c.name);
            view! { <figure class="chart small"><figcaption>{c.name.clone()}</figcaption><div role="img" aria-label=label inner_html=svg></div></figure> }
        })
        .collect_view();
    let cats = p
        .columns_detail
        .iter()
        .filter(|c| c.kind.as_str() == "categorical" && !c.top_categories.is_empty() && Some(c.name.as_str()) != target)
        .take(8)
        .map(|c| {
            let labels: Vec<String> = c.top_categories.iter().map(|t| t.value.clone()).collect();
            let values: Vec<f64> = c.top_categories.iter().map(|t| t.count as f64).collect();
            let label = format!(
                "Bar chart of the most frequent values of {}: {}",
                c.name,
                c.top_categories.iter().map(|t| format!("{}: {}", t.value, t.count)).collect::<Vec<_>>().join(", ")
            );
            let svg = charts::hbar_chart(&labels, &values, 300);
            view! { <figure class="chart small"><figcaption>{c.name.clone()}</figcaption><div role="img" aria-label=label inner_html=svg></div></figure> }
        })
        .collect_view();
    view! {
        <section class="card" id="distributions">
            <h2>"Distributions"</h2>
            <div class="chart-grid">{figures}{cats}</div>
        </section>
    }
}

fn correlation_section(p: &Profile) -> impl IntoView {
    p.correlations.as_ref().map(|c| {
        let svg = charts::heatmap(&c.columns, &c.matrix);
        view! {
            <section class="card" id="correlations">
                <h2>"Correlations"</h2>
                <p class="muted small">"Pearson coefficients among the most predictive numeric columns (pairwise-complete rows)."</p>
                <figure class="chart" id="heatmap"><div role="img" aria-label=format!("Heat map of the Pearson correlations among {}", c.columns.join(", ")) inner_html=svg></div></figure>
            </section>
        }
    })
}

fn cells(values: &[Option<String>]) -> impl IntoView {
    values
        .iter()
        .map(|v| match v {
            Some(s) => view! { <td>{truncate(s, 80)}</td> }.into_any(),
            None => view! { <td class="missing">"∅"</td> }.into_any(),
        })
        .collect_view()
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n).collect::<String>())
    } else {
        s.to_string()
    }
}

fn table_sections(p: &Profile) -> impl IntoView {
    let head = p
        .sample
        .columns
        .iter()
        .map(|c| view! { <th>{c.clone()}</th> })
        .collect_view();
    let head2 = p
        .sample
        .columns
        .iter()
        .map(|c| view! { <th>{c.clone()}</th> })
        .collect_view();
    let rows = p
        .sample
        .rows
        .iter()
        .map(|r| view! { <tr>{cells(r)}</tr> })
        .collect_view();
    let anomalies = p
        .anomalies
        .rows
        .iter()
        .map(|a| view! { <tr><td class="num">{a.row + 1}</td><td class="num">{format!("{:.3}", a.score)}</td>{cells(&a.values)}</tr> })
        .collect_view();
    let has_anomalies = !p.anomalies.rows.is_empty();
    view! {
        {has_anomalies.then(|| view! {
            <section class="card" id="anomalies">
                <h2>"Anomalous rows"</h2>
                <p class="muted small">{format!("{}. {:.1}% of sampled rows score above 0.6.", p.anomalies.method, 100.0 * p.anomalies.share_above_0_6)}</p>
                <div class="scroll" tabindex="0" role="region" aria-label="Scrollable table"><table class="grid compact"><thead><tr><th>"Row"</th><th>"Score"</th>{head2}</tr></thead><tbody>{anomalies}</tbody></table></div>
            </section>
        })}
        <section class="card" id="sample">
            <h2>"Sample"</h2>
            <p class="muted small">"The first rows as read; ∅ marks a missing cell."</p>
            <div class="scroll" tabindex="0" role="region" aria-label="Scrollable table"><table class="grid compact"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>
        </section>
    }
}

fn dashboard(p: &Profile) -> impl IntoView {
    view! {
        {summary_cards(p).into_any()}
        {insights_section(p).into_any()}
        {target_section(p).into_any()}
        {columns_section(p).into_any()}
        {histograms_section(p).into_any()}
        {correlation_section(p).into_any()}
        {table_sections(p).into_any()}
        <p class="muted small">{format!("Profiled in {:.2} s. Prediction power and anomalies use {} sampled rows.", p.elapsed_seconds, p.sampling.rows)}</p>
    }
}

#[cfg(test)]
mod tests {
    use super::fmt_num;

    #[test]
    fn statistics_share_one_style() {
        assert_eq!(fmt_num(Some(160000.0)), "160,000");
        assert_eq!(fmt_num(Some(180812.456)), "180,812.5");
        assert_eq!(fmt_num(Some(-1234567.0)), "-1,234,567");
        assert_eq!(fmt_num(Some(12.34567)), "12.346");
        assert_eq!(fmt_num(Some(0.0004)), "4.000e-4");
        assert_eq!(fmt_num(Some(2e16)), "2.000e16");
        assert_eq!(fmt_num(None), "–");
    }
}
