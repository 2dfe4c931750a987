//! The status page: the server's version, its data folder and free space, what it holds,
//! and the limits it runs with.

use leptos::prelude::*;

use crate::model::ServerStatus;
use crate::pages::{document, human_bytes};

fn bytes(n: Option<u64>) -> String {
    n.map_or_else(|| "unknown".into(), |b| human_bytes(b as i64))
}

pub fn status_page(who: &crate::model::Who, s: &ServerStatus) -> String {
    let used_share = s
        .free_bytes
        .zip(s.total_bytes)
        .filter(|(_, t)| *t > 0)
        .map(|(f, t)| format!(" ({:.0}% free)", 100.0 * f as f64 / t as f64))
        .unwrap_or_default();
    let rows: Vec<(&str, String)> = vec![
        ("Version", s.version.clone()),
        ("Data folder", s.data_dir.clone()),
        ("Free space", format!("{}{used_share}", bytes(s.free_bytes))),
        ("Disk size", bytes(s.total_bytes)),
        ("Data sets", s.datasets.to_string()),
        (
            "Jobs",
            format!("{} ({} running)", s.jobs, s.jobs_in_progress),
        ),
        ("Jobs training at once", s.workers.to_string()),
        ("Largest upload", bytes(Some(s.max_upload_bytes))),
        ("Largest unpacked gzip", bytes(Some(s.max_unpacked_bytes))),
        (
            "Jobs kept for",
            s.retain_jobs_days
                .map_or_else(|| "ever".into(), |d| format!("{d} days after they end")),
        ),
    ];
    let body = view! {
        <section class="page-head"><h1>"Server status"</h1></section>
        {s.low_space.then(|| view! {
            <p class="card failure" id="low-space" role="alert">
                {format!("The data folder has only {} free. Uploads and jobs fail when it is full: delete old jobs or data sets, or give the server more space.", bytes(s.free_bytes))}
            </p>
        })}
        <section class="card">
            <table class="grid" id="status">
                <tbody>
                    {rows.into_iter().map(|(k, v)| view! { <tr><th scope="row">{k}</th><td>{v}</td></tr> }).collect_view()}
                </tbody>
            </table>
        </section>
    };
    document(who, "Server status", body)
}
