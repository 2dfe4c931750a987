//! Signing in and out, and the settings page: password, access keys, accounts (admins),
//! the audit log (admins). In local mode the settings page creates the first admin.

use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use glassbox_app::model::KeyInfo;
use serde::Deserialize;

use super::error_page;
use crate::auth::{session_token, Actor, ClientAddress, LoginError, Role, SESSION_COOKIE};
use crate::error::ApiError;
use crate::service::Service;

/// Where to go after signing in: a path on this server, never another site.
fn local_path(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control());
    if ok {
        next
    } else {
        "/"
    }
}

fn session_cookie(svc: &Service, token: &str, max_age: i64) -> HeaderValue {
    let secure = if svc.settings.hosts.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("a cookie of hex digits")
}

/// Signed in: a new session (the old one, if any, ends) and back to `next`.
async fn signed_in(svc: &Service, headers: &HeaderMap, token: &str, next: &str) -> Response {
    if let Some(old) = session_token(headers) {
        let _ = svc.end_session(old).await;
    }
    let mut r = Redirect::to(local_path(next)).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(svc, token, crate::auth::SESSION_SECONDS),
    );
    r
}

#[derive(Deserialize, Default)]
pub(super) struct LoginQuery {
    #[serde(default)]
    next: String,
}

pub(super) async fn login_form(
    State(svc): State<Service>,
    Query(q): Query<LoginQuery>,
) -> Response {
    match svc.team_mode().await {
        Ok(false) if !svc.settings.exposed => Redirect::to("/").into_response(),
        Ok(_) => Html(glassbox_app::login_page("", local_path(&q.next), None)).into_response(),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

pub(super) async fn login(
    State(svc): State<Service>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let name = f.username.trim();
    match svc.login(name, &f.password, &address.0).await {
        Ok((_, token)) => signed_in(&svc, &headers, &token, &f.next).await,
        Err(LoginError::Wrong) => (
            StatusCode::UNAUTHORIZED,
            Html(glassbox_app::login_page(
                name,
                local_path(&f.next),
                Some("Wrong account name or password."),
            )),
        )
            .into_response(),
        Err(LoginError::Locked(wait)) => {
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                Html(glassbox_app::login_page(
                    name,
                    local_path(&f.next),
                    Some(&format!("Too many failed sign-ins for this account or from this address: try again in {wait} s.")),
                )),
            )
                .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
            r
        }
    }
}

pub(super) async fn logout(State(svc): State<Service>, headers: HeaderMap) -> Response {
    if let Some(token) = session_token(&headers) {
        if let Err(e) = svc.end_session(token).await {
            return error_page(e);
        }
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&svc, "", 0));
    r
}

/// The settings page, with what just happened.
async fn settings_with(
    svc: &Service,
    actor: &Actor,
    new_key: Option<&KeyInfo>,
    message: Option<(bool, String)>,
) -> Response {
    let (accounts, keys) = match actor {
        Actor::User(u) => {
            let admin = u.role == Role::Admin;
            let accounts = if admin { svc.users().await.ok() } else { None };
            let keys = svc
                .keys(if admin { None } else { Some(u.id) })
                .await
                .unwrap_or_default();
            (accounts, keys)
        }
        _ => (None, vec![]),
    };
    let page = glassbox_app::settings_page(
        &actor.who(None),
        &glassbox_app::Settings {
            accounts: accounts.as_deref(),
            keys: &keys,
            new_key,
            message: message.clone(),
        },
    );
    let status = match message {
        Some((false, _)) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    (status, Html(page)).into_response()
}

fn outcome(r: Result<(), ApiError>, ok: String) -> Option<(bool, String)> {
    Some(match r {
        Ok(()) => (true, ok),
        Err(e) => (false, e.message),
    })
}

pub(super) async fn settings(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
) -> Response {
    settings_with(&svc, &actor, None, None).await
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    current_password: String,
    new_password: String,
}

pub(super) async fn change_password(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Response {
    let Actor::User(user) = &actor else {
        return error_page(ApiError::bad_request(
            "user",
            "local mode has no password to change",
        ));
    };
    let r = svc
        .change_password(
            user,
            &f.current_password,
            &f.new_password,
            session_token(&headers),
        )
        .await;
    let message = outcome(
        r,
        "Password changed; your other sessions are signed out.".into(),
    );
    settings_with(&svc, &actor, None, message).await
}

pub(super) async fn create_key(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
) -> Response {
    let Actor::User(user) = &actor else {
        return error_page(ApiError::bad_request(
            "user",
            "access keys belong to accounts: create the first account first",
        ));
    };
    match svc.create_key(&user.name, &user.name).await {
        Ok(key) => settings_with(&svc, &actor, Some(&key), None).await,
        Err(e) => settings_with(&svc, &actor, None, Some((false, e.message))).await,
    }
}

pub(super) async fn revoke_key(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Response {
    let Actor::User(user) = &actor else {
        return error_page(ApiError::not_found("no such key"));
    };
    let r = svc.revoke_key(user, &id).await;
    settings_with(
        &svc,
        &actor,
        None,
        outcome(r, format!("Access key {id} revoked.")),
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct UserForm {
    username: String,
    password: String,
    role: String,
}

pub(super) async fn add_user(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    Form(f): Form<UserForm>,
) -> Response {
    let name = f.username.trim().to_string();
    let role = match crate::auth::parse_role(&f.role) {
        Ok(r) => r,
        Err(e) => return settings_with(&svc, &actor, None, Some((false, e.message))).await,
    };
    let r = svc
        .add_user(&actor.audit_name(), &name, role, &f.password)
        .await;
    if r.is_ok() && matches!(actor, Actor::Local) {
        // The first admin, made in local mode: signed in at once, since from now on
        // nothing opens without it.
        return match svc.login(&name, &f.password, &address.0).await {
            Ok((_, token)) => signed_in(&svc, &headers, &token, "/settings").await,
            Err(_) => Redirect::to("/login").into_response(),
        };
    }
    let message = outcome(r, format!("Account {name} added as {}.", role.as_str()));
    settings_with(&svc, &actor, None, message).await
}

pub(super) async fn remove_user(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
) -> Response {
    let r = svc.remove_user(&actor.audit_name(), &name).await;
    settings_with(
        &svc,
        &actor,
        None,
        outcome(r, format!("Account {name} removed.")),
    )
    .await
}

pub(super) async fn audit(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
) -> Response {
    match svc.audit_log(1000).await {
        Ok(entries) => Html(glassbox_app::audit_page(&actor.who(None), &entries)).into_response(),
        Err(e) => error_page(e),
    }
}
