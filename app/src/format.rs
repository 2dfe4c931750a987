//! Small formatting helpers the job pages share.

use leptos::prelude::*;

/// A metric value: four decimals, one for large values, a dash when there is none.
pub fn num(v: Option<f64>) -> String {
    v.map_or("–".into(), |x| {
        if x.abs() >= 1e4 {
            format!("{x:.1}")
        } else {
            format!("{x:.4}")
        }
    })
}

pub fn status_badge(status: &str) -> impl IntoView {
    let class = format!("badge status-{}", status.to_ascii_lowercase());
    view! { <span class=class>{status.to_string()}</span> }
}

/// An RFC 3339 time as `YYYY-MM-DD HH:MM:SS`.
pub fn when(t: &str) -> String {
    t.replace('T', " ").chars().take(19).collect()
}

/// A hyperparameter value as a person reads it: strings unquoted, `null` as "none".
pub fn param_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "none".into(),
        other => other.to_string(),
    }
}
