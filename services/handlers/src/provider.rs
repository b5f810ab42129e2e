//! `ProviderService`: platform providers' commands (platforms, changes, training
//! material, answers to usability issues) and practices' reports of usability issues.
//! Each handler takes the caller from the request (checked by the auth layer), parses
//! the request, and records the command through the [`Store`]; the domain decides.
//!
//! Ids the service chooses for things inside an aggregate (a change or a material on a
//! platform's stream) are derived from the request id, so a re-sent request names the same
//! thing, and are returned in `CommandResult.created_id`.

use domain::platform::{self, Platform, PlatformEvent, UsabilityIssue};
use domain::{Context, DomainError};
use proto::v1::provider_service_server::ProviderService;
use tonic::Request;
use uuid::Uuid;

use crate::handler::{
    Body, Reply, on_existing, on_new, on_new_reading, parse_new, record, reply_created, rpcs,
};
use crate::store::Store;

rpcs! {
    ProviderService for Provider {
        register_platform(RegisterPlatformRequest) =>
            on_new(platform::stream, Platform::register, "platform_id", |b| &b.platform_id);
        announce_platform_change(AnnouncePlatformChangeRequest) => on_platform(
            Platform::announce_change,
            "change_id",
            |b| &b.change_id,
            |c| c.platform_id,
        );
        publish_training_material(PublishTrainingMaterialRequest) => on_platform(
            Platform::publish_material,
            "material_id",
            |b| &b.material_id,
            |c| c.platform_id,
        );
        report_usability_issue(ReportUsabilityIssueRequest) => on_new_reading(
            platform::issue_stream,
            UsabilityIssue::report,
            "issue_id",
            |b| &b.issue_id,
            |c| platform::stream(&c.platform_id),
        );
        acknowledge_usability_issue(AcknowledgeUsabilityIssueRequest) =>
            on_existing(platform::issue_stream, UsabilityIssue::acknowledge, |c| c.issue_id);
        resolve_usability_issue(ResolveUsabilityIssueRequest) =>
            on_existing(platform::issue_stream, UsabilityIssue::resolve, |c| c.issue_id);
    }
}

/// Records something new on the stream of the platform `platform` names (a change, a
/// material), its id chosen from the body's `field` as `parse_new` says, and answers with
/// that id.
async fn on_platform<R, C>(
    store: &Store,
    request: Request<R>,
    decide: impl Fn(&Platform, Uuid, C, &Context) -> Result<Vec<PlatformEvent>, DomainError>,
    field: &str,
    given: impl Fn(&R) -> &str,
    platform: impl Fn(&C) -> Uuid,
) -> Reply
where
    R: Body,
    C: TryFrom<R, Error = DomainError> + Clone,
{
    let (caller, created, command) = parse_new::<R, C>(request, field, given)?;
    let id = platform(&command);
    let stream = platform::stream(&id);
    let decide = |p: &Platform, c, ctx: &Context| decide(p, created, c, ctx);
    let result = record(store, &stream, &id.to_string(), &caller, command, decide).await;
    reply_created(result, created.to_string())
}
