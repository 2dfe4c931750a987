//! Signing in, the settings page (password, access keys, and for admins the accounts)
//! and the admin's audit log.

use leptos::prelude::*;

use crate::format::when;
use crate::model::{AccountInfo, AuditInfo, KeyInfo, Who};
use crate::pages::document;

/// The sign-in page; `next` is where to go after (a path on this server).
pub fn login_page(name: &str, next: &str, error: Option<&str>) -> String {
    let body = view! {
        <section class="card narrow">
            <h1>"Sign in"</h1>
            {error.map(|e| view! { <p class="error" id="login-error" role="alert">{e.to_string()}</p> })}
            <form method="post" action="/login" id="login-form" class="stack">
                <input type="hidden" name="next" value=next.to_string()/>
                <label>"Account name "<input type="text" name="username" id="username" value=name.to_string() autocomplete="username" required autofocus/></label>
                <label>"Password "<input type="password" name="password" id="password" autocomplete="current-password" required/></label>
                <button type="submit" class="primary" id="sign-in">"Sign in"</button>
            </form>
        </section>
    };
    let signed_out = Who {
        team: true,
        ..Who::default()
    };
    document(&signed_out, "Sign in", body)
}

/// What the settings page shows.
pub struct Settings<'a> {
    /// Every account (for admins).
    pub accounts: Option<&'a [AccountInfo]>,
    /// The reader's access keys (an admin sees everyone's).
    pub keys: &'a [KeyInfo],
    /// A key just made: its secret is shown this once.
    pub new_key: Option<&'a KeyInfo>,
    /// The outcome of the last action: (succeeded, what).
    pub message: Option<(bool, String)>,
}

fn message_view(m: &Option<(bool, String)>) -> impl IntoView {
    m.clone().map(|(ok, text)| {
        if ok {
            view! { <p class="notice" id="settings-message" role="status">{text}</p> }.into_any()
        } else {
            view! { <p class="error" id="settings-message" role="alert">{text}</p> }.into_any()
        }
    })
}

fn first_account_card() -> impl IntoView {
    view! {
        <section class="card" id="first-account">
            <h2>"Local mode"</h2>
            <p>"No account exists, so Glassbox is open to anyone who can reach it, which is only this machine (it refuses to listen on a network address in this mode)."</p>
            <p>"Create the first account to switch to team mode: from then on every page and API call needs a sign-in or an access key, and everything made so far becomes this admin's."</p>
            <form method="post" action="/settings/users" class="stack" id="first-admin-form">
                <input type="hidden" name="role" value="admin"/>
                <label>"Admin account name "<input type="text" name="username" required autocomplete="username"/></label>
                <label>"Password (8 characters or more) "<input type="password" name="password" required minlength="8" autocomplete="new-password"/></label>
                <button type="submit" class="primary">"Create the admin account"</button>
            </form>
        </section>
    }
}

fn password_card() -> impl IntoView {
    view! {
        <section class="card" id="password">
            <h2>"Password"</h2>
            <form method="post" action="/settings/password" class="stack" id="password-form">
                <label>"Current password "<input type="password" name="current_password" required autocomplete="current-password"/></label>
                <label>"New password (8 characters or more) "<input type="password" name="new_password" required minlength="8" autocomplete="new-password"/></label>
                <button type="submit">"Change the password"</button>
            </form>
            <p class="muted small">"Changing it signs out your other sessions."</p>
        </section>
    }
}

fn keys_card(s: &Settings) -> impl IntoView {
    let rows = s
        .keys
        .iter()
        .map(|k| {
            view! {
                <tr>
                    <td class="nowrap">{k.id.clone()}</td>
                    <td>{k.user.clone()}</td>
                    <td class="muted">{when(&k.created_at)}</td>
                    <td class="muted">{k.last_used_at.as_deref().map(when).unwrap_or_else(|| "never".into())}</td>
                    <td>
                        <form method="post" action=format!("/settings/keys/{}/revoke", k.id) class="inline-form">
                            <button type="submit" class="danger" aria-label=format!("revoke {}", k.id)>"Revoke"</button>
                        </form>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let new_key = s.new_key.map(|k| {
        view! {
            <div class="notice" id="new-key" role="status">
                <p><strong>"Access key made."</strong>" Copy the secret now: it is not shown again."</p>
                <p>"AccessKeyId "<code id="new-key-id">{k.id.clone()}</code></p>
                <p>"SecretAccessKey "<code id="new-key-secret">{k.secret.clone().unwrap_or_default()}</code></p>
                <p class="muted small">"REST: Authorization: Bearer "{k.id.clone()}":SECRET. boto3: aws_access_key_id and aws_secret_access_key."</p>
            </div>
        }
    });
    view! {
        <section class="card" id="keys">
            <h2>"Access keys"</h2>
            <p class="muted small">"For scripts: the REST API takes Authorization: Bearer ID:SECRET. A key acts as its account, with its role."</p>
            {new_key}
            <form method="post" action="/settings/keys" class="inline-form">
                <button type="submit" id="create-key">"Make an access key"</button>
            </form>
            {(!s.keys.is_empty()).then(|| view! {
                <table class="grid" id="key-list">
                    <thead><tr><th>"AccessKeyId"</th><th>"Account"</th><th>"Made (UTC)"</th><th>"Last used"</th><th></th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            })}
        </section>
    }
}

fn accounts_card(accounts: &[AccountInfo]) -> impl IntoView {
    let rows = accounts
        .iter()
        .map(|a| {
            view! {
                <tr>
                    <td>{a.name.clone()}</td>
                    <td>{a.role.clone()}</td>
                    <td class="muted">{when(&a.created_at)}</td>
                    <td>
                        <form method="post" action=format!("/settings/users/{}/remove", a.name) class="inline-form" data-confirm=format!("Remove the account {}? Its sessions and keys stop working at once; what it made stays.", a.name)>
                            <button type="submit" class="danger" aria-label=format!("remove {}", a.name)>"Remove"</button>
                        </form>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" id="accounts">
            <h2>"Accounts"</h2>
            <table class="grid" id="account-list">
                <thead><tr><th>"Name"</th><th>"Role"</th><th>"Made (UTC)"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <form method="post" action="/settings/users" class="inline-form" id="add-user-form">
                <label class="inline">"Name "<input type="text" name="username" required autocomplete="off"/></label>
                <label class="inline">"Password "<input type="password" name="password" required minlength="8" autocomplete="new-password"/></label>
                <label class="inline">"Role "
                    <select name="role">
                        <option value="member" selected=true>"member: sees all, changes their own"</option>
                        <option value="viewer">"viewer: read-only"</option>
                        <option value="admin">"admin: everything, and accounts"</option>
                    </select>
                </label>
                <button type="submit" id="add-user">"Add the account"</button>
            </form>
            <p><a href="/settings/audit" id="audit-link">"Audit log"</a></p>
        </section>
    }
}

pub fn settings_page(who: &Who, s: &Settings) -> String {
    let body = if !who.team {
        view! {
            <h1>"Accounts"</h1>
            {message_view(&s.message)}
            {first_account_card()}
        }
        .into_any()
    } else {
        view! {
            <h1>"Settings"</h1>
            {message_view(&s.message)}
            {password_card()}
            {keys_card(s)}
            {s.accounts.map(accounts_card)}
        }
        .into_any()
    };
    document(who, "Settings", body)
}

pub fn audit_page(who: &Who, entries: &[AuditInfo]) -> String {
    let rows = entries
        .iter()
        .map(|e| {
            view! {
                <tr>
                    <td class="muted nowrap">{when(&e.at)}</td>
                    <td>{e.actor.clone()}</td>
                    <td>{e.action.clone()}</td>
                    <td>{e.object.clone()}</td>
                    <td class="muted">{e.detail.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let body = view! {
        <section class="card">
            <h1>"Audit log"</h1>
            <p class="muted small">"Who created, deleted, shared or revoked what, newest first."</p>
            <div class="scroll" tabindex="0" role="region" aria-label="Audit log">
                <table class="grid" id="audit">
                    <thead><tr><th>"When (UTC)"</th><th>"Who"</th><th>"Did"</th><th>"What"</th><th>"Detail"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <p><a href="/settings">"Back to the settings"</a></p>
        </section>
    };
    document(who, "Audit log", body)
}
