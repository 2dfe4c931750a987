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

/// A time span as a person reads it: `42 s`, `3 min 05 s`, `1 h 02 min`.
pub fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
    }
}

pub fn status_badge(status: &str) -> impl IntoView {
    let class = format!("badge status-{}", status.to_ascii_lowercase());
    view! { <span class=class>{status.to_string()}</span> }
}

/// An RFC 3339 time as `YYYY-MM-DD HH:MM:SS`.
pub fn when(t: &str) -> String {
    t.replace('T', " ").chars().take(19).collect()
}

/// A hyperparameter value as a person reads it: strings unquoted, `null` as "none",
/// fractions to four significant digits (`0.3162`, not `0.31622776601683794`; the
/// notebook has every digit).
pub fn param_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "none".into(),
        serde_json::Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            if x == 0.0 || x.fract() == 0.0 && x.abs() < 1e15 {
                format!("{x}")
            } else {
                let digits = (3 - x.abs().log10().floor() as i32).clamp(0, 12) as usize;
                let s = format!("{x:.digits$}");
                let s = if s.contains('.') {
                    s.trim_end_matches('0').trim_end_matches('.').to_string()
                } else {
                    s
                };
                if x.abs() < 1e-4 {
                    format!("{x:.3e}")
                } else {
                    s
                }
            }
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_read_as_a_person_reads_them() {
        let v = |j: &str| param_value(&serde_json::from_str(j).unwrap());
        assert_eq!(v("0.31622776601683794"), "0.3162");
        assert_eq!(v("12.345678"), "12.35");
        assert_eq!(v("0.05"), "0.05");
        assert_eq!(v("200"), "200");
        assert_eq!(v("2.0"), "2");
        assert_eq!(v("0.00001234"), "1.234e-5");
        assert_eq!(v("\"balanced\""), "balanced");
        assert_eq!(v("null"), "none");
        assert_eq!(duration(42.4), "42 s");
        assert_eq!(duration(185.0), "3 min 05 s");
        assert_eq!(duration(3720.0), "1 h 02 min");
    }
}
