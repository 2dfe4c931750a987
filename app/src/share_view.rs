//! The sharing card on a job's page (for its owner): make a read-only link, see the links
//! with their last access, revoke them.

use leptos::prelude::*;

use crate::format::when;
use crate::job_pages::Sharing;

pub(crate) fn share_card(job: &str, s: &Sharing) -> impl IntoView {
    let rows = s
        .shares
        .iter()
        .map(|l| {
            let active = l.status == "Active";
            view! {
                <tr data-share=l.share_id.clone()>
                    <td class="nowrap">{l.share_id.clone()}</td>
                    <td>{if l.include_data { "with data" } else { "without data" }}</td>
                    <td>{l.created_by.clone().unwrap_or_default()}</td>
                    <td class="muted">{when(&l.creation_time)}</td>
                    <td class="muted">{l.expiration_time.as_deref().map(when).unwrap_or_else(|| "never".into())}</td>
                    <td class="muted">{l.last_access_time.as_deref().map(when).unwrap_or_else(|| "not yet".into())}</td>
                    <td>{l.status.clone()}</td>
                    <td>{active.then(|| view! {
                        <form method="post" action=format!("/shares/{}/revoke", l.share_id) class="inline-form">
                            <button type="submit" class="danger" aria-label=format!("revoke {}", l.share_id)>"Revoke"</button>
                        </form>
                    })}</td>
                </tr>
            }
        })
        .collect_view();
    let new_link = s.new_url.map(|url| {
        view! {
            <div class="notice" id="new-share" role="status">
                <p><strong>"Share link made."</strong>" Copy it now: it is not shown again (only its hash is kept)."</p>
                <input type="text" readonly value=url.to_string() id="new-share-url" aria-label="the share link" class="wide"/>
            </div>
        }
    });
    view! {
        <section class="card" id="sharing">
            <h2>"Share"</h2>
            <p class="muted small">"A link opens this job's leaderboard, candidate pages, reports and notebook views, read-only, to anyone who has it, without an account. It opens nothing else."</p>
            {new_link}
            <form method="post" action=format!("/jobs/{job}/shares") class="inline-form" id="share-form">
                <label class="inline"><input type="checkbox" name="include_data" value="1" id="share-include-data"/>" include data (the notebooks zip, model files and validation predictions)"</label>
                <label class="inline">" expires "
                    <select name="expires" id="share-expires">
                        <option value="86400">"in a day"</option>
                        <option value="604800" selected=true>"in a week"</option>
                        <option value="2592000">"in 30 days"</option>
                        <option value="">"never (until revoked)"</option>
                    </select>
                </label>
                <button type="submit" id="share-create">"Make a share link"</button>
            </form>
            {(!s.shares.is_empty()).then(|| view! {
                <div class="scroll" tabindex="0" role="region" aria-label="Share links">
                    <table class="grid" id="shares">
                        <thead><tr><th>"Link"</th><th>"Data"</th><th>"By"</th><th>"Made (UTC)"</th><th>"Expires"</th><th>"Last opened"</th><th>"Status"</th><th></th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            })}
        </section>
    }
}
