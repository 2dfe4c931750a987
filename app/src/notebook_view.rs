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

/// A link target a page may carry: web, mail, or relative — never `javascript:`,
/// `data:` or `vbscript:` (a scheme is whatever comes before a `:` that precedes any
/// `/`, `?` or `#`; browsers ignore tabs and newlines in it).
fn safe_url(url: &str) -> bool {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect();
    let head = cleaned.split(['/', '?', '#']).next().unwrap_or("");
    match head.split_once(':') {
        None => true,
        Some((scheme, _)) => {
            ["http", "https", "mailto"].contains(&scheme.to_ascii_lowercase().as_str())
        }
    }
}

/// Markdown to HTML, with any HTML in the markdown turned into text, and links or images
/// to unsafe schemes pointed nowhere.
pub fn markdown_html(md: &str) -> String {
    use pulldown_cmark::{CowStr, Tag};
    let parser = Parser::new_ext(md, Options::ENABLE_TABLES).map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) if !safe_url(&dest_url) => Event::Start(Tag::Link {
            link_type,
            dest_url: CowStr::Borrowed("#"),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) if !safe_url(&dest_url) => Event::Start(Tag::Image {
            link_type,
            dest_url: CowStr::Borrowed("#"),
            title,
            id,
        }),
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

/// The page for notebook `kind` (`data-exploration`, …) of a job.
pub fn notebook_page(
    who: &crate::model::Who,
    links: &crate::links::JobLinks,
    kind: &str,
    title: &str,
    nb: &Value,
) -> String {
    let job = links.name.clone();
    let download = links.notebook_file(&format!("{kind}.ipynb"));
    let zip = links.notebook_file("notebooks.zip");
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
                    <a href=links.job()>{format!("job {job}")}</a>
                    " · read-only view"
                    {download.map(|d| view! { " · " <a href=d download="">"download the notebook"</a> })}
                    {zip.map(|z| view! { " · " <a href=z>"everything as a zip"</a> })}
                </p>
            </div>
        </section>
        <article class="notebook" id="notebook">{rendered}</article>
    };
    document(who, title, body)
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

    #[test]
    fn markdown_links_never_run_script() {
        for bad in [
            "[x](javascript:alert(1))",
            "[x](JavaScript:alert(1))",
            "[x](java\tscript:alert(1))",
            "[x](<java\nscript:alert(1)>)",
            "[x](data:text/html,<script>alert(1)</script>)",
            "![x](javascript:alert(1))",
            "[x]: vbscript:msgbox\n\n[x]",
        ] {
            let html = markdown_html(bad);
            // Every link and image target left is harmless (text may still say it).
            for attr in ["href=\"", "src=\""] {
                for part in html.split(attr).skip(1) {
                    let url = part.split('"').next().unwrap_or("");
                    assert!(safe_url(url) && !url.contains(':'), "{bad} → {html}");
                }
            }
        }
        let ok = markdown_html("[docs](https://scikit-learn.org/) [here](#top) [rel](a/b.html)");
        assert!(
            ok.contains("href=\"https://scikit-learn.org/\"")
                && ok.contains("href=\"#top\"")
                && ok.contains("href=\"a/b.html\""),
            "{ok}"
        );
    }
}
