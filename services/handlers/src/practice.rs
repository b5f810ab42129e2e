//! `PracticeService`: what a practice records. Each handler takes the caller from the
//! request (checked by the auth layer), converts the request, loads what the command names
//! besides the practice (a programme, a platform), and records the command on the
//! practice's stream through the [`Store`]; the domain decides.

use std::sync::Arc;

use domain::platform::{self, Platform};
use domain::practice::{
    self, AdoptPlatform, ChangeServiceStatus, Completion, EnrolStaff, NameDigitalChampion,
    PracticeEvent, RecordFacilitation, ReportStaffInPost,
};
use domain::programme::{self, Programme};
use domain::{Aggregate, Context, DomainError};
use proto::v1 as pb;
use proto::v1::practice_service_server::PracticeService;
use tonic::{Request, Status};

use crate::handler::{Reply, parse, record, reply};
use crate::store::{Caller, Store};

#[derive(Debug, Clone)]
pub struct Practice {
    store: Arc<Store>,
}

/// A practice's command that also reads another aggregate (a programme, a platform).
type WithDecision<C, B> =
    fn(&practice::Practice, C, &B, &Context) -> Result<Vec<PracticeEvent>, DomainError>;

impl Practice {
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }

    /// Records a command on the stream of practice `code`.
    async fn record<C: Clone>(
        &self,
        code: &str,
        caller: &Caller,
        command: C,
        decide: impl Fn(&practice::Practice, C, &Context) -> Result<Vec<PracticeEvent>, DomainError>,
    ) -> Reply {
        let stream = practice::stream(code);
        reply(record(&self.store, &stream, code, caller, command, decide).await)
    }

    /// Records a command that names another aggregate besides the practice, `with`, as it
    /// stands (not there when unknown: the domain answers NOT_FOUND after checking the
    /// caller may act for the practice).
    async fn record_with<B: Aggregate, C: Clone>(
        &self,
        code: &str,
        caller: &Caller,
        command: C,
        with: String,
        decide: WithDecision<C, B>,
    ) -> Reply {
        let with = self.store.load::<B>(&with).await.map_err(Status::from)?;
        self.record(code, caller, command, |p, c, ctx| decide(p, c, &with, ctx))
            .await
    }
}

#[tonic::async_trait]
impl PracticeService for Practice {
    #[tracing::instrument(skip_all)]
    async fn record_facilitation(&self, request: Request<pb::RecordFacilitationRequest>) -> Reply {
        let (caller, command) = parse::<_, RecordFacilitation>(request)?;
        let code = command.practice_code.clone();
        self.record(
            &code,
            &caller,
            command,
            practice::Practice::record_facilitation,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn change_service_status(
        &self,
        request: Request<pb::ChangeServiceStatusRequest>,
    ) -> Reply {
        let (caller, command) = parse::<_, ChangeServiceStatus>(request)?;
        let code = command.practice_code.clone();
        self.record(
            &code,
            &caller,
            command,
            practice::Practice::change_service_status,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn name_digital_champion(
        &self,
        request: Request<pb::NameDigitalChampionRequest>,
    ) -> Reply {
        let (caller, command) = parse::<_, NameDigitalChampion>(request)?;
        let code = command.practice_code.clone();
        self.record(
            &code,
            &caller,
            command,
            practice::Practice::name_digital_champion,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn report_staff_in_post(&self, request: Request<pb::ReportStaffInPostRequest>) -> Reply {
        let (caller, command) = parse::<_, ReportStaffInPost>(request)?;
        let code = command.practice_code.clone();
        self.record(
            &code,
            &caller,
            command,
            practice::Practice::report_staff_in_post,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn enrol_staff(&self, request: Request<pb::EnrolStaffRequest>) -> Reply {
        let (caller, command) = parse::<_, EnrolStaff>(request)?;
        let (code, with) = (
            command.practice_code.clone(),
            programme::stream(&command.programme_id),
        );
        self.record_with::<Programme, _>(
            &code,
            &caller,
            command,
            with,
            practice::Practice::enrol_staff,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn complete_module(&self, request: Request<pb::CompleteModuleRequest>) -> Reply {
        let (caller, command) = parse::<_, Completion>(request)?;
        let (code, with) = (
            command.practice_code.clone(),
            programme::stream(&command.programme_id),
        );
        self.record_with::<Programme, _>(
            &code,
            &caller,
            command,
            with,
            practice::Practice::complete_module,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn complete_training(&self, request: Request<pb::CompleteTrainingRequest>) -> Reply {
        let (caller, command) = parse::<_, Completion>(request)?;
        let (code, with) = (
            command.practice_code.clone(),
            programme::stream(&command.programme_id),
        );
        self.record_with::<Programme, _>(
            &code,
            &caller,
            command,
            with,
            practice::Practice::complete_training,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn adopt_platform(&self, request: Request<pb::AdoptPlatformRequest>) -> Reply {
        let (caller, command) = parse::<_, AdoptPlatform>(request)?;
        let (code, with) = (
            command.practice_code.clone(),
            platform::stream(&command.platform_id),
        );
        self.record_with::<Platform, _>(
            &code,
            &caller,
            command,
            with,
            practice::Practice::adopt_platform,
        )
        .await
    }
}
