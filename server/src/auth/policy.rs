//! Every route and what it needs: *the one table of who may call what*. A route missing
//! here is refused to everyone but local mode (and a test asks every route in team mode).

use axum::http::Method;

/// The object a changing route acts on, named by its path parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    Dataset,
    Job,
    Share,
    /// A model package group (its versions' approval).
    Group,
    Endpoint,
    /// A SageMaker-protocol model (a named model source).
    Model,
    /// A SageMaker-protocol endpoint configuration.
    EndpointConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Anyone: the health check, the login page, static files, share links (which check
    /// their own token).
    Public,
    /// Any account (or local mode).
    Read,
    /// Members and admins: upload a data set, start a job.
    Create,
    /// The object's owner or an admin.
    Change(Object),
    /// Signed in (or local mode): one's own settings, password and keys.
    Account,
    /// Admins (and local mode, which creates the first admin).
    Admin,
    /// A method the route does not take (405); in local mode the router answers.
    Unknown,
}

pub fn need(method: &Method, route: &str) -> Need {
    use Need::*;
    use Object::*;
    let read = method == Method::GET || method == Method::HEAD;
    let post = method == Method::POST;
    match route {
        "/healthz" | "/login" | "/static/glassbox.css" | "/static/glassbox.js" | "/logout" => {
            Public
        }
        r if r.starts_with("/share/") => Public,
        // Answers 404 to any method.
        "/api/{*rest}" => Read,
        _ if read => match route {
            "/settings" => Account,
            "/settings/audit" => Admin,
            // Which endpoints exist and how they are used: for the team.
            "/metrics" => Read,
            "/api/automl-jobs/{name}/shares" => Change(Job),
            _ => Read,
        },
        // Invoking an endpoint reads a model.
        "/endpoints/{name}/invocations" if post => Read,
        // The SageMaker protocol: each operation is checked by `operation` below.
        "/" if post => Read,
        "/api/datasets"
        | "/api/automl-jobs"
        | "/datasets/{id}/jobs"
        | "/api/model-package-groups"
        | "/api/model-packages"
        | "/api/endpoints"
        | "/api/transform-jobs"
        | "/api/pipeline-executions"
            if post =>
        {
            Create
        }
        "/models/groups" | "/models/register" | "/models/{group}/{version}/deploy" if post => {
            Create
        }
        "/api/model-packages/{group}/{version}" if method == Method::PATCH => Change(Group),
        "/models/{group}/{version}/approval" if post => Change(Group),
        "/api/endpoints/{name}" if method == Method::PUT || method == Method::DELETE => {
            Change(Endpoint)
        }
        "/api/endpoints/{name}/drift-schedule" if method == Method::PUT => Change(Endpoint),
        "/endpoints/{name}/update"
        | "/endpoints/{name}/delete"
        | "/endpoints/{name}/drift-schedule"
            if post =>
        {
            Change(Endpoint)
        }
        "/api/datasets/{id}" if method == Method::DELETE => Change(Dataset),
        "/api/datasets/{id}/target" if method == Method::PUT => Change(Dataset),
        "/datasets/{id}/delete" | "/datasets/{id}/target" if post => Change(Dataset),
        "/api/automl-jobs/{name}" if method == Method::DELETE => Change(Job),
        "/api/automl-jobs/{name}/stop"
        | "/api/automl-jobs/{name}/train"
        | "/api/automl-jobs/{name}/shares"
        | "/jobs/{name}/stop"
        | "/jobs/{name}/delete"
        | "/jobs/{name}/train"
        | "/jobs/{name}/shares"
            if post =>
        {
            Change(Job)
        }
        "/api/shares/{share_id}" if method == Method::DELETE => Change(Share),
        "/shares/{share_id}/revoke" if post => Change(Share),
        "/settings/password" | "/settings/keys" | "/settings/keys/{key_id}/revoke" if post => {
            Account
        }
        "/settings/users" | "/settings/users/{user}/remove" if post => Admin,
        _ => Unknown,
    }
}

/// What a SageMaker-protocol operation needs (`POST /` with `X-Amz-Target`).
pub fn operation(op: &str) -> Need {
    use Need::*;
    if let Some((object, _)) = operation_object(op) {
        return Change(object);
    }
    match op {
        o if o.starts_with("Describe") || o.starts_with("List") => Read,
        o if o.starts_with("Create") => Create,
        "AddTags" | "DeleteTags" => Create,
        _ => Unknown,
    }
}

/// The object a changing operation acts on, and the request field naming it.
pub fn operation_object(op: &str) -> Option<(Object, &'static str)> {
    use Object::*;
    Some(match op {
        "StopAutoMLJob" => (Job, "AutoMLJobName"),
        "UpdateEndpoint" | "DeleteEndpoint" => (Endpoint, "EndpointName"),
        "DeleteModel" => (Model, "ModelName"),
        "DeleteEndpointConfig" => (EndpointConfig, "EndpointConfigName"),
        "UpdateModelPackage" => (Group, "ModelPackageArn"),
        _ => return None,
    })
}

/// The path parameter naming the object.
pub fn param(object: Object) -> &'static str {
    match object {
        Object::Dataset => "id",
        Object::Job => "name",
        Object::Share => "share_id",
        Object::Group => "group",
        Object::Endpoint => "name",
        // Named in the request body, never in a path.
        Object::Model | Object::EndpointConfig => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_is_for_accounts_and_changing_for_owners() {
        assert_eq!(need(&Method::GET, "/jobs/{name}"), Need::Read);
        assert_eq!(
            need(&Method::POST, "/jobs/{name}/delete"),
            Need::Change(Object::Job)
        );
        assert_eq!(
            need(&Method::DELETE, "/api/datasets/{id}"),
            Need::Change(Object::Dataset)
        );
        assert_eq!(need(&Method::POST, "/api/automl-jobs"), Need::Create);
        assert_eq!(need(&Method::GET, "/share/{token}"), Need::Public);
        assert_eq!(need(&Method::POST, "/settings/users"), Need::Admin);
        assert_eq!(need(&Method::PATCH, "/jobs/{name}"), Need::Unknown);
        assert_eq!(need(&Method::POST, "/api/{*rest}"), Need::Read);
        assert_eq!(operation("DescribeEndpoint"), Need::Read);
        assert_eq!(operation("CreateAutoMLJob"), Need::Create);
        assert_eq!(operation("DeleteEndpoint"), Need::Change(Object::Endpoint));
        assert_eq!(operation("UpdateModelPackage"), Need::Change(Object::Group));
        assert_eq!(operation("DeleteCluster"), Need::Unknown);
    }
}
