//! `PracticeService`: what a practice records. Each handler takes the caller from the
//! request (checked by the auth layer), converts the request, loads what the command names
//! besides the practice (a programme, a platform), and records the command on the
//! practice's stream through the [`Store`]; the domain decides.

use domain::platform;
use domain::practice::{self, PracticeEvent};
use domain::programme;
use domain::{Aggregate, Context, DomainError};
use proto::v1::practice_service_server::PracticeService;
use tonic::Request;

use crate::handler::{Body, Reply, load, on_code, parse, record, reply, rpcs};
use crate::store::Store;

/// A practice as its stream folds it (the service itself is `Practice`).
type State = practice::Practice;

rpcs! {
    PracticeService for Practice {
        record_facilitation(RecordFacilitationRequest) =>
            on_code(practice::stream, State::record_facilitation, |c| c.practice_code.clone());
        change_service_status(ChangeServiceStatusRequest) =>
            on_code(practice::stream, State::change_service_status, |c| c.practice_code.clone());
        name_digital_champion(NameDigitalChampionRequest) =>
            on_code(practice::stream, State::name_digital_champion, |c| c.practice_code.clone());
        report_staff_in_post(ReportStaffInPostRequest) =>
            on_code(practice::stream, State::report_staff_in_post, |c| c.practice_code.clone());
        enrol_staff(EnrolStaffRequest) => on_practice_with(
            State::enrol_staff,
            |c| (c.practice_code.clone(), programme::stream(&c.programme_id)),
        );
        complete_module(CompleteModuleRequest) => on_practice_with(
            State::complete_module,
            |c| (c.practice_code.clone(), programme::stream(&c.programme_id)),
        );
        complete_training(CompleteTrainingRequest) => on_practice_with(
            State::complete_training,
            |c| (c.practice_code.clone(), programme::stream(&c.programme_id)),
        );
        adopt_platform(AdoptPlatformRequest) => on_practice_with(
            State::adopt_platform,
            |c| (c.practice_code.clone(), platform::stream(&c.platform_id)),
        );
    }
}

/// Records a command that names another aggregate besides the practice (`names` reads
/// the practice's code and the other's stream), handing the decision that one as it
/// stands (not there when unknown: the domain answers NOT_FOUND after checking the caller
/// may act for the practice).
async fn on_practice_with<R, C, B: Aggregate>(
    store: &Store,
    request: Request<R>,
    decide: impl Fn(&State, C, &B, &Context) -> Result<Vec<PracticeEvent>, DomainError>,
    names: impl Fn(&C) -> (String, String),
) -> Reply
where
    R: Body,
    C: TryFrom<R, Error = DomainError> + Clone,
{
    let (caller, command) = parse::<R, C>(request)?;
    let (code, with) = names(&command);
    let with = load::<B>(store, &with).await?;
    let stream = practice::stream(&code);
    let decide = |p: &State, c, ctx: &Context| decide(p, c, &with, ctx);
    reply(record(store, &stream, &code, &caller, command, decide).await)
}
