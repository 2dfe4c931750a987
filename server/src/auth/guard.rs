//! The middleware every request passes, in this order:
//! 1. **Host**: only the names this server answers to (loopback names, the address it
//!    listens on, `--public-url`), against DNS rebinding.
//! 2. **Cross-site requests**: a request that changes something must come from this
//!    server's own pages (`Origin`, else `Sec-Fetch-Site`); clients that send neither
//!    (curl, boto3, requests) are not browsers and carry no ambient cookie.
//! 3. **Who**: a session cookie, `Authorization: Bearer ID:SECRET`, or a SigV4 signature
//!    made with an access key (boto3; the body is read here to check its hash) → `Actor`.
//! 4. **May they**: `policy::need` for the route, checked with the `Actor`'s rules.
//! 5. **Headers** on every answer: CSP, nosniff, frame-ancestors, Referrer-Policy (none at
//!    all on share links, whose URL is the secret).

use std::net::SocketAddr;

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{ConnectInfo, MatchedPath, RawPathParams, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::policy::{self, Need, Object};
use super::Actor;
use crate::error::ApiError;
use crate::service::Service;

pub const SESSION_COOKIE: &str = "glassbox_session";

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The host names (and origins) this server answers to.
#[derive(Debug, Clone)]
pub struct HostRules {
    names: Vec<String>,
    /// Origins of `--public-url`s, e.g. `https://glassbox.example.com`.
    origins: Vec<String>,
    /// Cookies only over TLS: a `--public-url` is https.
    pub secure_cookies: bool,
}

/// `host[:port]` → the host, lower case, without brackets or port.
fn host_name(authority: &str) -> String {
    let a = authority.trim().to_ascii_lowercase();
    if let Some(rest) = a.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("").to_string();
    }
    match a.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h.to_string(),
        _ => a,
    }
}

impl HostRules {
    pub fn new(addr: SocketAddr, public_urls: &[String]) -> anyhow::Result<HostRules> {
        let mut names: Vec<String> = ["localhost", "127.0.0.1", "::1"].map(String::from).into();
        if !addr.ip().is_unspecified() {
            names.push(addr.ip().to_string());
        }
        let mut origins = Vec::new();
        let mut secure = false;
        for u in public_urls {
            let (scheme, rest) = u.split_once("://").ok_or_else(|| {
                anyhow::anyhow!("--public-url {u:?}: expected http://HOST[:PORT] or https://…")
            })?;
            if scheme != "http" && scheme != "https" {
                anyhow::bail!("--public-url {u:?}: the scheme must be http or https");
            }
            let authority = rest.split('/').next().unwrap_or("");
            let name = host_name(authority);
            if name.is_empty() {
                anyhow::bail!("--public-url {u:?} names no host");
            }
            secure |= scheme == "https";
            names.push(name);
            origins.push(format!("{scheme}://{}", authority.to_ascii_lowercase()));
        }
        Ok(HostRules {
            names,
            origins,
            secure_cookies: secure,
        })
    }

    fn allows(&self, host: &str) -> bool {
        let h = host_name(host);
        self.names.contains(&h)
    }

    /// Where this server is reached, for links made to be sent elsewhere: the first
    /// `--public-url`, else the Host this request came to.
    pub fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(o) = self.origins.first() {
            return o.clone();
        }
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| self.allows(h))
            .unwrap_or("127.0.0.1");
        format!("http://{host}")
    }

    /// The allowed names, for the error message.
    fn list(&self) -> String {
        self.names.join(", ")
    }
}

/// Is this request from a page of this server? `Origin` must name the Host it was sent
/// to (or a public URL); without `Origin`, `Sec-Fetch-Site` must not say cross-site.
fn same_origin(headers: &HeaderMap, host: &str, rules: &HostRules) -> bool {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let origin = origin.to_ascii_lowercase();
        if rules.origins.contains(&origin) {
            return true;
        }
        return match origin.split_once("://") {
            Some((_, authority)) => authority == host.to_ascii_lowercase(),
            None => false, // "null": a sandboxed or privacy-sensitive context
        };
    }
    !matches!(
        headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
        Some("cross-site") | Some("same-site")
    )
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The session cookie's value on a request.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, SESSION_COOKIE)
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

fn refuse(path: &str, status: StatusCode, message: String) -> Response {
    if is_api(path) {
        ApiError::new(status, message).into_response()
    } else {
        (
            status,
            Html(glassbox_app::error_page(status.as_u16(), &message)),
        )
            .into_response()
    }
}

fn sign_in_first(path: &str, method: &Method, query: Option<&str>) -> Response {
    if is_api(path) {
        let mut r = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "sign in first: send Authorization: Bearer ACCESS_KEY_ID:SECRET (glassbox key create)",
        )
        .into_response();
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    }
    // Back to the page after signing in (a form's target is not a page to return to).
    let next = if method == Method::GET {
        let full = match query {
            Some(q) => format!("{path}?{q}"),
            None => path.to_string(),
        };
        format!(
            "?next={}",
            form_urlencoded::byte_serialize(full.as_bytes()).collect::<String>()
        )
    } else {
        String::new()
    };
    Redirect::to(&format!("/login{next}")).into_response()
}

/// Who sent the request: a bearer key, a session cookie, or nobody.
async fn actor(svc: &Service, headers: &HeaderMap) -> Result<Result<Actor, String>, ApiError> {
    if !svc.team_mode().await? {
        return Ok(Ok(svc.without_accounts()));
    }
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let given = auth.to_str().unwrap_or("");
        let Some((id, secret)) = given
            .strip_prefix("Bearer ")
            .and_then(|c| c.trim().split_once(':'))
        else {
            return Ok(Err(
                "the Authorization header must be Bearer ACCESS_KEY_ID:SECRET".into(),
            ));
        };
        return Ok(match svc.bearer_user(id, secret).await? {
            Some(u) => Ok(Actor::User(u)),
            None => Err(format!(
                "access key {id:?} is not valid: unknown, revoked, or a wrong secret"
            )),
        });
    }
    if let Some(token) = session_token(headers) {
        if let Some(u) = svc.session_user(token).await? {
            return Ok(Ok(Actor::User(u)));
        }
    }
    Ok(Ok(Actor::Anonymous))
}

/// The largest body a SigV4-signed request may have (its hash is checked here).
const MAX_SIGNED_BODY: usize = 8 << 20;

/// The account of a SigV4-signed request (boto3), the body hashed and put back.
async fn signed_actor(
    svc: &Service,
    auth: &str,
    req: &mut Request,
) -> Result<Result<Actor, String>, ApiError> {
    if !svc.team_mode().await? {
        // Local mode takes any signature, as it takes no credential at all.
        return Ok(Ok(svc.without_accounts()));
    }
    let c = match super::sigv4::parse_authorization(auth) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    let Some((user, secret)) = svc.key_secret(&c.key_id).await? else {
        return Ok(Err(format!(
            "access key {:?} is unknown or revoked",
            c.key_id
        )));
    };
    let body = std::mem::take(req.body_mut());
    let bytes = axum::body::to_bytes(body, MAX_SIGNED_BODY)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("a signed request's body is at most {MAX_SIGNED_BODY} bytes"),
            )
        })?;
    // The path the client signed: a SageMaker request sent to a path prefix was routed
    // as `/` (`sagemaker::route_at_any_prefix`).
    let signed_uri = req
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map(|o| o.0.clone())
        .unwrap_or_else(|| req.uri().clone());
    let checked = super::sigv4::verify(
        &c,
        &secret,
        req.method().as_str(),
        signed_uri.path(),
        signed_uri.query().unwrap_or(""),
        req.headers(),
        &bytes,
        chrono::Utc::now(),
    );
    *req.body_mut() = axum::body::Body::from(bytes);
    Ok(match checked {
        Ok(()) => {
            svc.key_used(&c.key_id).await?;
            Ok(Actor::User(user))
        }
        Err(e) => Err(e),
    })
}

async fn owner(svc: &Service, object: Object, id: &str) -> Result<Option<i64>, ApiError> {
    match object {
        Object::Dataset => svc.dataset_owner(id).await,
        Object::Job => svc.job_owner(id).await,
        Object::Share => {
            let job = svc.share_job(id).await?;
            svc.job_owner(&job).await
        }
        Object::Group => svc.group_owner(id).await,
        Object::Endpoint => svc.endpoint_owner(id).await,
        Object::Model => svc.deploy_model_owner(id).await,
        Object::EndpointConfig => svc.endpoint_config_owner(id).await,
    }
}

/// May `actor` call a route that needs `need`?
async fn allowed(
    svc: &Service,
    actor: &Actor,
    need: Need,
    params: Option<&RawPathParams>,
) -> Result<bool, ApiError> {
    let id = match need {
        Need::Change(object) => {
            let name = policy::param(object);
            params
                .into_iter()
                .flat_map(|p| p.iter())
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
                .unwrap_or_default()
        }
        _ => String::new(),
    };
    may(svc, actor, need, &id).await
}

/// May `actor` do what needs `need`, to the object named `id` when it changes one? An
/// object that does not exist is a 404.
pub async fn may(svc: &Service, actor: &Actor, need: Need, id: &str) -> Result<bool, ApiError> {
    Ok(match need {
        Need::Public => true,
        Need::Read => actor.can_read(),
        Need::Create => actor.can_create(),
        Need::Account => matches!(actor, Actor::Local | Actor::User(_)),
        Need::Admin => actor.is_admin(),
        Need::Unknown => matches!(actor, Actor::Local),
        Need::Change(object) => actor.can_read() && actor.can_change(owner(svc, object, id).await?),
    })
}

fn add_security_headers(path: &str, r: &mut Response) {
    let h = r.headers_mut();
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &'static str| {
        if !h.contains_key(&k) {
            h.insert(k, HeaderValue::from_static(v));
        }
    };
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(
        h,
        "cross-origin-opener-policy".parse().expect("header name"),
        "same-origin",
    );
    if path.starts_with("/share/") {
        // The URL is the secret: never sent on as a referrer, never kept by a cache.
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    } else {
        set(h, header::REFERRER_POLICY, "same-origin");
    }
}

pub async fn guard(
    State(svc): State<Service>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    let mut r = match check(&svc, params.as_ref().ok(), &mut req).await {
        Ok(()) => next.run(req).await,
        Err(refused) => refused,
    };
    add_security_headers(&path, &mut r);
    r
}

/// Every check; on success the `Actor` and the client's address are in the request.
async fn check(
    svc: &Service,
    params: Option<&RawPathParams>,
    req: &mut Request,
) -> Result<(), Response> {
    let path = req.uri().path().to_string();
    // A SageMaker-protocol client (boto3) reads refusals in its own error shape.
    let sagemaker = crate::sagemaker::is_sagemaker(req.headers());
    let refuse = |path: &str, status: StatusCode, message: String| {
        if sagemaker {
            crate::sagemaker::refusal(status, message)
        } else {
            refuse(path, status, message)
        }
    };
    let rules = &svc.settings.hosts;
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_default();
    if !rules.allows(&host) {
        return Err(refuse(
            &path,
            StatusCode::BAD_REQUEST,
            format!(
                "this server does not answer to the host name {host:?}; it answers to {} (start it with --public-url to add one)",
                rules.list()
            ),
        ));
    }
    let method = req.method().clone();
    let safe = matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !same_origin(req.headers(), &host, rules) {
        return Err(refuse(
            &path,
            StatusCode::FORBIDDEN,
            "a request from another site may not change anything here (cross-site request refused)"
                .into(),
        ));
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| path.clone());
    let need = policy::need(&method, &route);
    let signed = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .filter(|a| a.starts_with(super::sigv4::SCHEME))
        .map(str::to_string);
    let who = match signed {
        Some(auth) => signed_actor(svc, &auth, req).await,
        None => actor(svc, req.headers()).await,
    };
    let actor = match who {
        Ok(Ok(a)) => a,
        Ok(Err(message)) if need != Need::Public => {
            let mut r = refuse(&path, StatusCode::UNAUTHORIZED, message);
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return Err(r);
        }
        Ok(Err(_)) => Actor::Anonymous,
        Err(e) => return Err(refuse(&path, e.status, e.message)),
    };
    match allowed(svc, &actor, need, params).await {
        Ok(true) => {}
        Ok(false) if need == Need::Unknown => {
            return Err(refuse(
                &path,
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{path} does not take {method}"),
            ))
        }
        Ok(false) if matches!(actor, Actor::Anonymous) && sagemaker => {
            return Err(refuse(
                &path,
                StatusCode::UNAUTHORIZED,
                "sign the request with a Glassbox access key (glassbox key create)".into(),
            ))
        }
        Ok(false) if matches!(actor, Actor::Anonymous) => {
            return Err(sign_in_first(&path, &method, req.uri().query()))
        }
        Ok(false) => {
            let what = match need {
                Need::Create => "viewers cannot create data sets or jobs",
                Need::Admin => "only an admin may do this",
                _ => "only its owner or an admin may change this",
            };
            return Err(refuse(
                &path,
                StatusCode::FORBIDDEN,
                format!("forbidden: {what}"),
            ));
        }
        Err(e) => return Err(refuse(&path, e.status, e.message)),
    }
    let address = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    req.extensions_mut().insert(actor);
    req.extensions_mut().insert(ClientAddress(address));
    Ok(())
}

/// The client's IP address (for the sign-in rate limit).
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_without_ports() {
        assert_eq!(host_name("127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host_name("[::1]:8080"), "::1");
        assert_eq!(host_name("Example.COM"), "example.com");
        let rules = HostRules::new("127.0.0.1:8080".parse().unwrap(), &[]).unwrap();
        assert!(rules.allows("localhost:8080") && rules.allows("[::1]:1"));
        assert!(!rules.allows("attacker.example") && !rules.allows("127.0.0.1.evil.example"));
        let public = HostRules::new(
            "0.0.0.0:80".parse().unwrap(),
            &["https://gb.example.com".into()],
        )
        .unwrap();
        assert!(public.allows("gb.example.com") && public.secure_cookies);
        assert!(!public.allows("0.0.0.0"));
        assert!(HostRules::new("0.0.0.0:80".parse().unwrap(), &["gb.example.com".into()]).is_err());
    }

    #[test]
    fn cross_site_requests_are_told_apart() {
        let rules = HostRules::new("127.0.0.1:8080".parse().unwrap(), &[]).unwrap();
        let with = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            h
        };
        let host = "127.0.0.1:8080";
        assert!(same_origin(
            &with(&[("origin", "http://127.0.0.1:8080")]),
            host,
            &rules
        ));
        assert!(!same_origin(
            &with(&[("origin", "http://evil.example")]),
            host,
            &rules
        ));
        assert!(!same_origin(
            &with(&[("origin", "http://127.0.0.1:9999")]),
            host,
            &rules
        ));
        assert!(!same_origin(&with(&[("origin", "null")]), host, &rules));
        assert!(!same_origin(
            &with(&[("sec-fetch-site", "cross-site")]),
            host,
            &rules
        ));
        assert!(same_origin(
            &with(&[("sec-fetch-site", "same-origin")]),
            host,
            &rules
        ));
        assert!(
            same_origin(&with(&[]), host, &rules),
            "curl, boto3: no browser"
        );
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; glassbox_session=abc; b=2"),
        );
        assert_eq!(session_token(&h), Some("abc"));
    }
}
