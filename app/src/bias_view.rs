//! Bias (SageMaker Clarify's metrics) as a page section: a form that picks the facet, its
//! sensitive values or threshold, the positive label and an optional group column (a GET
//! form: asking changes nothing), and the metrics the engine computed for it.

use glassbox_engine::reports::{BiasMetric, BiasReport};
use leptos::prelude::*;

use crate::format::num;
use crate::model::BiasAsk;

/// What the metric tells, in a few words (Clarify's documentation, shortened).
fn meaning(name: &str) -> &'static str {
    match name {
        "CI" => "(other − sensitive) / all rows: under-representation of the facet",
        "DPL" => "positive-label share: other − sensitive",
        "KL" | "JS" | "LP" | "TVD" | "KS" => "how different the label distributions of the two groups are (0 = same)",
        "CDDL" | "CDDPL" => "the facet's share of rejections minus its share of acceptances, per group, weighted",
        "DPPL" => "predicted-positive share: other − sensitive",
        "DI" => "predicted-positive share: sensitive ÷ other (1 = parity)",
        "DCA" => "conditional acceptance (labels ÷ predictions, positive): other − sensitive",
        "DCR" => "conditional rejection (labels ÷ predictions, negative): sensitive − other",
        "RD" => "recall: other − sensitive",
        "DAR" => "precision: other − sensitive",
        "DRR" => "negative predictive value: sensitive − other",
        "AD" => "accuracy: other − sensitive",
        "TE" => "false negatives ÷ false positives: sensitive − other",
        "FT" => "flip test: how many sensitive rows the other group's nearest neighbours would label differently",
        _ => "",
    }
}

fn metric_rows(ms: &[BiasMetric]) -> impl IntoView {
    ms.iter()
        .map(|m| {
            let value = match (m.value, &m.error) {
                (Some(v), _) if v.is_infinite() => {
                    if v > 0.0 {
                        "∞".to_string()
                    } else {
                        "−∞".to_string()
                    }
                }
                (Some(v), _) => num(Some(v)),
                (None, Some(e)) => format!("— ({e})"),
                (None, None) => "—".to_string(),
            };
            view! {
                <tr data-metric=m.name.clone()><th>{m.name.clone()}</th><td class="num">{value}</td>
                <td class="muted small">{m.description.clone()}" — "{meaning(&m.name)}</td></tr>
            }
        })
        .collect_view()
}

/// The bias section: the form, and the report (or why there is none).
/// `label_columns`: the columns a data set's label may be (a job's label is fixed).
pub fn bias_card(
    action: String,
    columns: &[String],
    label_columns: Option<&[String]>,
    ask: &BiasAsk,
    result: Option<&Result<BiasReport, String>>,
) -> impl IntoView {
    let options = |selected: &str, blank: bool| {
        let mut v: Vec<_> = Vec::new();
        if blank {
            v.push(
                view! { <option value="" selected=selected.is_empty()>"(none)"</option> }
                    .into_any(),
            );
        }
        for c in columns {
            v.push(
                view! { <option value=c.clone() selected=*c == selected>{c.clone()}</option> }
                    .into_any(),
            );
        }
        v
    };
    let label_field = label_columns.map(|cols| {
        let opts = cols
            .iter()
            .map(
                |c| view! { <option value=c.clone() selected=*c == ask.label>{c.clone()}</option> },
            )
            .collect_view();
        view! {
            <label>"Label column"<select name="LabelName" id="bias-label">{opts}</select></label>
        }
    });
    let outcome = result.map(|r| match r {
        Ok(rep) => view! {
            <p class="muted small" id="bias-summary">{format!(
                "{} rows: {} in the sensitive facet ({} = {}), {} with a positive label ({} = {}).{}",
                rep.rows, rep.sensitive_rows, rep.facet, rep.facet_values_or_threshold,
                rep.positive_rows, rep.label, rep.label_values_or_threshold,
                if rep.post_training.is_empty() { String::new() } else {
                    format!(" The flip test compares rows on {} numeric column(s).", rep.flip_test_columns.len())
                }
            )}</p>
            <h3>"Pre-training"</h3>
            <table class="grid compact" id="bias-pre"><tbody>{metric_rows(&rep.pre_training)}</tbody></table>
            {(!rep.post_training.is_empty()).then(|| view! {
                <h3>"Post-training (this candidate's predicted labels)"</h3>
                <table class="grid compact" id="bias-post"><tbody>{metric_rows(&rep.post_training)}</tbody></table>
            })}
        }
        .into_any(),
        Err(e) => view! { <p class="error" id="bias-error" role="alert">{e.clone()}</p> }.into_any(),
    });
    view! {
        <section class="card" id="bias">
            <h2>"Bias"</h2>
            <p class="muted small">"SageMaker Clarify's metrics for one facet: the sensitive group is the facet's chosen values (or the values above a threshold); the other group is everyone else."</p>
            <form method="get" action=format!("{action}#bias") class="inline-form" id="bias-form">
                <label>"Facet column"<select name="FacetName" id="bias-facet">{options(&ask.facet, false)}</select></label>
                <label>"Sensitive value(s) or threshold"<input name="FacetValuesOrThreshold" id="bias-facet-values" value=ask.facet_values.clone() placeholder="e.g. Female, or 40" required/></label>
                {label_field}
                <label>"Positive label(s) or threshold"<input name="LabelValuesOrThreshold" id="bias-label-values" value=ask.label_values.clone() required/></label>
                <label>"Group column (optional)"<select name="GroupName" id="bias-group">{options(&ask.group, true)}</select></label>
                <button type="submit" id="bias-submit">"Measure bias"</button>
            </form>
            {outcome}
        </section>
    }
}
