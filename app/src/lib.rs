#![recursion_limit = "256"]
//! Glassbox pages, rendered on the server with Leptos. Each page is a function from plain
//! data to an HTML string; text and attributes are escaped by Leptos, and charts are SVG
//! from plotters. A small script (`static/glassbox.js`) adds the upload progress bar, live
//! polling and sortable tables; every page also works without it.

mod account_pages;
mod bias_view;
mod candidate_page;
pub mod charts;
mod compare_page;
mod explain_view;
mod format;
mod job_form;
mod job_pages;
pub mod links;
pub mod model;
mod model_pages;
mod notebook_view;
mod pages;
mod quality_view;
mod report_page;
mod share_view;
mod status_page;
mod version_compare;

pub use account_pages::{audit_page, login_page, settings_page, Settings};
pub use candidate_page::candidate_page;
pub use compare_page::{compare_page, Compared, MAX_COMPARED};
pub use job_form::{new_job_page, FormError, TargetOption};
pub use job_pages::{job_live, job_page, jobs_page, ReviewDraft, Sharing};
pub use links::JobLinks;
pub use model_pages::{
    drift_page, endpoint_page, group_page, models_page, pipeline_page, register_page, DriftSchedule,
};
pub use notebook_view::{markdown_html, notebook_page};
pub use pages::{dataset_page, error_page, error_page_for, home_page};
pub use report_page::candidate_report_html;
pub use status_page::status_page;
pub use version_compare::{version_compare_page, MAX_VERSIONS};

/// The stylesheet, served at `/static/glassbox.css`.
pub const STYLESHEET: &str = include_str!("../../style/glassbox.css");
/// The page script, served at `/static/glassbox.js`.
pub const SCRIPT: &str = include_str!("../static/glassbox.js");
