//! The registry and endpoint pages: groups and endpoints, a group's versions (approve,
//! reject, deploy; compare side by side), registering a candidate, an endpoint's page
//! (counts, update, delete).

use axum::extract::{Form, Path, Query, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use serde::Deserialize;

use super::error_page;
use crate::auth::Actor;
use crate::endpoints::Source;
use crate::error::ApiError;
use crate::registry::Registration;
use crate::service::Service;

pub(super) async fn models(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
) -> Response {
    let loaded = async {
        Ok::<_, ApiError>((
            svc.groups().await?,
            svc.endpoints().await?,
            svc.pipelines().await?,
        ))
    };
    match loaded.await {
        Ok((groups, endpoints, runs)) => {
            let runs: Vec<_> = runs.iter().map(Into::into).collect();
            Html(glassbox_app::models_page(
                &actor.who(None),
                &groups,
                &endpoints,
                &runs,
            ))
            .into_response()
        }
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
pub(super) struct GroupForm {
    name: String,
    #[serde(default)]
    description: String,
}

pub(super) async fn create_group(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Form(f): Form<GroupForm>,
) -> Response {
    let name = f.name.trim();
    let description = Some(f.description.trim()).filter(|d| !d.is_empty());
    match svc.create_group(&actor, name, description).await {
        Ok(()) => Redirect::to(&format!("/models/{name}")).into_response(),
        Err(e) => error_page(e),
    }
}

pub(super) async fn group(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
) -> Response {
    let loaded = async {
        let owner = svc.group_owner(&name).await?;
        let group = svc.group(&name).await?;
        let versions = svc.packages(Some(&name)).await?;
        let endpoints: Vec<_> = svc
            .endpoints()
            .await?
            .into_iter()
            .filter(|e| e.package.as_ref().is_some_and(|(g, _)| *g == name))
            .collect();
        Ok::<_, ApiError>((owner, group, versions, endpoints))
    };
    match loaded.await {
        Ok((owner, group, versions, endpoints)) => Html(glassbox_app::group_page(
            &actor.who(owner),
            &group,
            &versions,
            &endpoints,
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}

/// `/models/{group}/compare?v=1&v=2…`: versions side by side.
pub(super) async fn compare(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let loaded = async {
        let group = svc.group(&name).await?;
        let mut wanted: Vec<i64> = Vec::new();
        for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            if k == "v" {
                let n = v.parse().map_err(|_| {
                    ApiError::bad_request("v", format!("{v:?} is not a version number"))
                })?;
                if !wanted.contains(&n) {
                    wanted.push(n);
                }
            }
        }
        if !(2..=glassbox_app::MAX_VERSIONS).contains(&wanted.len()) {
            return Err(ApiError::bad_request(
                "v",
                format!(
                    "tick 2 to {} versions to compare (there were {})",
                    glassbox_app::MAX_VERSIONS,
                    wanted.len()
                ),
            ));
        }
        wanted.sort_unstable();
        let mut versions = Vec::new();
        for v in wanted {
            versions.push(svc.package(&name, v).await?);
        }
        Ok::<_, ApiError>((group, versions))
    };
    match loaded.await {
        Ok((group, versions)) => Html(glassbox_app::version_compare_page(
            &actor.who(None),
            &group,
            &versions,
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
pub(super) struct RegisterQuery {
    job: String,
    candidate: String,
}

pub(super) async fn register_form(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Query(q): Query<RegisterQuery>,
) -> Response {
    render_register(&svc, &actor, &q.job, &q.candidate, None).await
}

async fn render_register(
    svc: &Service,
    actor: &Actor,
    job: &str,
    candidate: &str,
    error: Option<&str>,
) -> Response {
    if let Err(e) = svc.candidate(job, candidate).await {
        return error_page(e);
    }
    let groups = svc.groups().await.unwrap_or_default();
    let tests: Vec<(String, String)> = svc
        .list_datasets()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d.is_ready())
        .map(|d| (d.dataset_id, d.name))
        .collect();
    let status = if error.is_some() {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::OK
    };
    (
        status,
        Html(glassbox_app::register_page(
            &actor.who(None),
            job,
            candidate,
            &groups,
            &tests,
            error,
        )),
    )
        .into_response()
}

#[derive(Deserialize)]
pub(super) struct RegisterForm {
    job: String,
    candidate: String,
    group: String,
    #[serde(default)]
    test_dataset: String,
}

pub(super) async fn register(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Form(f): Form<RegisterForm>,
) -> Response {
    let r = svc
        .register(
            &actor,
            Registration {
                group: &f.group,
                job: &f.job,
                candidate: &f.candidate,
                approval: None,
                test_dataset: Some(f.test_dataset.as_str()).filter(|t| !t.is_empty()),
                model_metrics: None,
            },
        )
        .await;
    match r {
        Ok(_) => Redirect::to(&format!("/models/{}", f.group)).into_response(),
        Err(e) if e.status.is_client_error() => {
            render_register(&svc, &actor, &f.job, &f.candidate, Some(&e.message)).await
        }
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
pub(super) struct ApprovalForm {
    status: String,
    #[serde(default)]
    description: String,
}

pub(super) async fn approval(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path((group, version)): Path<(String, i64)>,
    Form(f): Form<ApprovalForm>,
) -> Response {
    let description = Some(f.description.trim()).filter(|d| !d.is_empty());
    match svc
        .set_approval(&actor, &group, version, &f.status, description)
        .await
    {
        Ok(()) => Redirect::to(&format!("/models/{group}")).into_response(),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
pub(super) struct DeployForm {
    endpoint: String,
}

pub(super) async fn deploy(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path((group, version)): Path<(String, i64)>,
    Form(f): Form<DeployForm>,
) -> Response {
    let name = f.endpoint.trim();
    match svc
        .create_endpoint(&actor, name, Source::Package { group, version }, None)
        .await
    {
        Ok(()) => Redirect::to(&format!("/endpoints/{name}")).into_response(),
        Err(e) => error_page(e),
    }
}

pub(super) async fn endpoint(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
) -> Response {
    let loaded = async {
        let owner = svc.endpoint_owner(&name).await?;
        let e = svc.endpoint(&name).await?;
        let approved: Vec<_> = svc
            .packages(None)
            .await?
            .into_iter()
            .filter(|p| p.approval == "Approved")
            .collect();
        Ok::<_, ApiError>((owner, e, approved))
    };
    match loaded.await {
        Ok((owner, e, approved)) => {
            let columns = svc.endpoint_columns(&name);
            Html(glassbox_app::endpoint_page(
                &actor.who(owner),
                &e,
                &svc.stats.summary(&name),
                &approved,
                &columns,
            ))
            .into_response()
        }
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
pub(super) struct UpdateForm {
    package: String,
}

pub(super) async fn update_endpoint(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
    Form(f): Form<UpdateForm>,
) -> Response {
    let source = match Source::given(Some(&f.package), None) {
        Ok(s) => s,
        Err(e) => return error_page(e),
    };
    match svc.update_endpoint(&actor, &name, source).await {
        Ok(()) => Redirect::to(&format!("/endpoints/{name}")).into_response(),
        Err(e) => error_page(e),
    }
}

pub(super) async fn delete_endpoint(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
) -> Response {
    match svc.delete_endpoint(&actor, &name).await {
        Ok(()) => Redirect::to("/models").into_response(),
        Err(e) => error_page(e),
    }
}

pub(super) async fn pipeline(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
) -> Response {
    match svc.pipeline(&name).await {
        Ok(p) => Html(glassbox_app::pipeline_page(&actor.who(None), &(&p).into())).into_response(),
        Err(e) => error_page(e),
    }
}

pub(super) async fn drift(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
) -> Response {
    let report = svc.drift(&name).await;
    if let Err(e) = &report {
        if e.status == axum::http::StatusCode::NOT_FOUND {
            return error_page(report.unwrap_err());
        }
    }
    let schedule = async {
        let owner = svc.endpoint_owner(&name).await?;
        Ok::<_, ApiError>((
            owner,
            svc.drift_schedule(&name).await?,
            svc.drift_history(&name).await?,
        ))
    };
    match schedule.await {
        Ok((owner, every_seconds, runs)) => Html(glassbox_app::drift_page(
            &actor.who(owner),
            &name,
            report.as_ref().map_err(|e| e.message.as_str()),
            &glassbox_app::DriftSchedule {
                every_seconds,
                runs: &runs,
            },
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
pub(super) struct ScheduleForm {
    every_seconds: String,
}

/// The drift page's schedule form: a number of seconds, or empty for none.
pub(super) async fn drift_schedule(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
    Form(f): Form<ScheduleForm>,
) -> Response {
    let every = match f.every_seconds.trim() {
        "" => Ok(None),
        n => n.parse::<i64>().map(Some).map_err(|_| {
            ApiError::bad_request(
                "every_seconds",
                format!("{n:?} is not a whole number of seconds"),
            )
        }),
    };
    let done = match every {
        Ok(every) => svc.set_drift_schedule(&actor, &name, every).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => Redirect::to(&format!("/endpoints/{name}/drift")).into_response(),
        Err(e) => error_page(e),
    }
}
