//! `/models/{group}/compare?v=1&v=2…`: registered versions side by side — approval,
//! validation and test-set metrics (the better value of each metric marked), lineage and
//! hyperparameters (rows whose values differ marked), so a reviewer sees what changed
//! before approving.

use leptos::prelude::*;

use glassbox_engine::automl::metrics::Metric;

use crate::format::num;
use crate::model::{GroupInfo, PackageInfo, Who};
use crate::pages::document;

/// The most versions shown side by side.
pub const MAX_VERSIONS: usize = 6;

/// Metric names in the order they first appear.
fn metric_names(lists: &[Vec<(String, f64)>]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (n, _) in lists.iter().flatten() {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    names
}

/// One metric's row: each version's value, the best ones marked (by the metric's
/// direction; unknown names are not marked).
fn metric_row(name: &str, values: &[Option<f64>]) -> impl IntoView {
    let best = Metric::parse(name).and_then(|m| {
        let known = values.iter().flatten().copied();
        if m.maximize() {
            known.reduce(f64::max)
        } else {
            known.reduce(f64::min)
        }
    });
    let several = values.iter().flatten().count() > 1;
    let cells = values
        .iter()
        .map(|v| {
            let is_best = several && v.is_some() && *v == best;
            view! {
                <td class=if is_best { "num best" } else { "num" }>
                    {num(*v)}{is_best.then_some(" ★")}
                </td>
            }
        })
        .collect_view();
    view! { <tr><th scope="row">{name.to_string()}</th>{cells}</tr> }
}

fn metric_rows(title: &str, lists: Vec<Vec<(String, f64)>>) -> impl IntoView {
    let names = metric_names(&lists);
    let width = lists.len() + 1;
    let rows = names
        .iter()
        .map(|n| {
            let values: Vec<Option<f64>> = lists
                .iter()
                .map(|l| l.iter().find(|(m, _)| m == n).map(|(_, v)| *v))
                .collect();
            metric_row(n, &values)
        })
        .collect_view();
    view! {
        <tr class="section"><th colspan=width.to_string()>{title.to_string()}</th></tr>
        {if names.is_empty() {
            view! { <tr><td colspan=width.to_string() class="muted">"none"</td></tr> }.into_any()
        } else {
            rows.into_any()
        }}
    }
}

/// Rows of text values by name (each version's pairs), those that differ marked.
fn text_rows(title: &str, per_version: &[Vec<(String, String)>]) -> impl IntoView {
    let width = per_version.len() + 1;
    let mut keys: Vec<&str> = Vec::new();
    for (k, _) in per_version.iter().flatten() {
        if !keys.contains(&k.as_str()) {
            keys.push(k);
        }
    }
    let rows = keys
        .iter()
        .map(|k| {
            let cells: Vec<String> = per_version
                .iter()
                .map(|pairs| {
                    pairs
                        .iter()
                        .find(|(n, _)| n == k)
                        .map_or_else(|| "–".to_string(), |(_, v)| v.clone())
                })
                .collect();
            let differs = cells.iter().any(|c| *c != cells[0]);
            let tds = cells
                .into_iter()
                .map(|c| view! { <td class="small">{c}</td> })
                .collect_view();
            view! {
                <tr class=if differs { "differs" } else { "" }>
                    <th scope="row">{k.to_string()}{differs.then_some(" ≠")}</th>{tds}
                </tr>
            }
        })
        .collect_view();
    view! {
        <tr class="section"><th colspan=width.to_string()>{title.to_string()}</th></tr>
        {rows}
    }
}

pub fn version_compare_page(who: &Who, group: &GroupInfo, versions: &[PackageInfo]) -> String {
    let heads = versions
        .iter()
        .map(|p| view! { <th scope="col" class="num">{format!("version {}", p.version)}</th> })
        .collect_view();
    let approvals = versions
        .iter()
        .map(|p| view! { <td>{p.approval.clone()}</td> })
        .collect_view();
    let candidates = versions
        .iter()
        .map(|p| {
            view! {
                <td><a href=format!("/jobs/{}/candidates/{}", p.job, p.candidate)>{p.candidate.clone()}</a>
                    <div class="muted small">{format!("job {}", p.job)}</div></td>
            }
        })
        .collect_view();
    let lineage: Vec<_> = versions.iter().map(PackageInfo::lineage_pairs).collect();
    let hyper: Vec<_> = versions
        .iter()
        .map(PackageInfo::hyperparameter_pairs)
        .collect();
    let body = view! {
        <section class="page-head">
            <div>
                <h1>{format!("{}: versions side by side", group.name)}</h1>
                <p class="muted"><a href=format!("/models/{}", group.name)>"back to the group"</a>
                    " · ★ the better value of each metric · ≠ values that differ"</p>
            </div>
        </section>
        <section class="card">
            <div class="scroll" tabindex="0" role="region" aria-label="Versions compared">
                <table class="grid" id="version-compare">
                    <thead><tr><th></th>{heads}</tr></thead>
                    <tbody>
                        <tr><th scope="row">"Approval"</th>{approvals}</tr>
                        <tr><th scope="row">"Candidate"</th>{candidates}</tr>
                        {metric_rows("Validation", versions.iter().map(|p| p.metrics.clone()).collect())}
                        {metric_rows("Test set", versions.iter().map(|p| p.test_metrics()).collect())}
                        {text_rows("Lineage", &lineage)}
                        {text_rows("Hyperparameters", &hyper)}
                    </tbody>
                </table>
            </div>
        </section>
    };
    document(who, &format!("{} — compare", group.name), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_better_value_follows_the_metric() {
        let html = metric_row("RMSE", &[Some(2.0), Some(1.5), None]).to_html();
        assert_eq!(html.matches('★').count(), 1);
        assert!(html.contains("1.5") && html.find('★') > html.find("1.5"));
        let html = metric_row("Accuracy", &[Some(0.8), Some(0.9)]).to_html();
        assert!(html.find('★') > html.find("0.9"));
        // One value alone is not "better"; a name Glassbox does not know is not judged.
        assert!(!metric_row("AUC", &[Some(0.9)]).to_html().contains('★'));
        assert!(!metric_row("Custom", &[Some(1.0), Some(2.0)])
            .to_html()
            .contains('★'));
    }
}
