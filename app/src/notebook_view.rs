//! A read-only view of a generated notebook: markdown cells rendered (raw HTML in them is
//! shown as text, never interpreted), code cells as escaped code, and the pre-rendered
//! outputs (text, and SVG charts as images, which cannot run scripts).

use base64::Engine;
use leptos::prelude::*;
use pulldown_cmark::{Event, Options, Parser};
use serde_json::Value;

use crate::pages::document;

fn source(cell: &Value) -> String {
    match cell.get("source") {
        Some(Value::Array(lines)) => lines.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// Markdown to HTML, with any HTML in the markdown turned into text.
pub fn markdown_html(md: &str) -> String {
    let parser = Parser::new_ext(md, Options::ENABLE_TABLES).map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        other => other,
    });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, parser);
    out
}

fn text_of(v: &Value) -> String {
    match v {
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        Value::String(s) => s.clone(),
        _ => String::new(),
    }
}

fn output_view(o: &Value) -> AnyView {
    let data = o.get("data");
    if let Some(svg) = data.and_then(|d| d.get("image/svg+xml")) {
        let b64 = base64::engine::general_purpose::STANDARD.encode(text_of(svg));
        let alt = data
            .and_then(|d| d.get("text/plain"))
            .map(text_of)
            .unwrap_or_default();
        return view! { <img class="nb-figure" alt=alt src=format!("data:image/svg+xml;base64,{b64}")/> }
            .into_any();
    }
    let text = data
        .and_then(|d| d.get("text/plain"))
        .or_else(|| o.get("text"))
        .map(text_of)
        .unwrap_or_default();
    view! { <pre class="nb-output" tabindex="0">{text}</pre> }.into_any()
}

/// The page for notebook `nb` of job `job`; `download` is its download URL.
pub fn notebook_page(job: &str, title: &str, download: &str, nb: &Value) -> String {
    let cells = nb
        .get("cells")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let rendered = cells
        .iter()
        .map(|c| {
            let src = source(c);
            if c.get("cell_type").and_then(Value::as_str) == Some("markdown") {
                view! { <div class="nb-markdown" inner_html=markdown_html(&src)></div> }.into_any()
            } else {
                let outputs = c
                    .get("outputs")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .map(output_view)
                    .collect_view();
                view! {
                    <div class="nb-code">
                        <pre tabindex="0"><code>{src}</code></pre>
                        {outputs}
                    </div>
                }
                .into_any()
            }
        })
        .collect_view();
    let body = view! {
        <section class="page-head">
            <div>
                <h1>{title.to_string()}</h1>
                <p class="muted">
                    <a href=format!("/jobs/{job}")>{format!("job {job}")}</a>
                    " · read-only view · "
                    <a href=download.to_string() download="">"download the notebook"</a>
                    " · " <a href=format!("/api/automl-jobs/{job}/notebooks/notebooks.zip")>"everything as a zip"</a>
                </p>
            </div>
        </section>
        <article class="notebook" id="notebook">{rendered}</article>
    };
    document(title, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_html_is_shown_as_text() {
        let html = markdown_html(
            "# T\n\n<script>alert(1)</script> and <b>x</b>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert!(html.contains("<h1>T</h1>"));
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("<table>"));
    }
}
