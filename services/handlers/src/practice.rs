//! `PracticeService`: what a practice records. Each handler takes the caller from the
//! request (checked by the auth layer), converts the request, loads what the command names
//! besides the practice (a programme, a platform), and records the command on the
//! practice's stream through the [`Store`]; the domain decides.

use std::sync::Arc;

use domain::platform::{self, Platform};
use domain::practice::{self, PracticeEvent};
use domain::programme::{self, Programme};
use domain::{Context, DomainError, values};
use proto::v1 as pb;
use proto::v1::practice_service_server::PracticeService;
use tonic::{Request, Status};

use crate::handler::{Reply, caller, invalid, reply};
use crate::store::{Caller, Store};

#[derive(Debug, Clone)]
pub struct Practice {
    store: Arc<Store>,
}

impl Practice {
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }

    /// Records a command on the stream of the practice the request names.
    async fn record<F>(&self, practice_code: &str, caller: &Caller, decide: F) -> Reply
    where
        F: Fn(&practice::Practice, &Context) -> Result<Vec<PracticeEvent>, DomainError>,
    {
        let code = practice::practice_code(practice_code).map_err(invalid)?;
        reply(
            self.store
                .execute::<practice::Practice, _>(&practice::stream(&code), &code, caller, decide)
                .await,
        )
    }

    /// The programme a training command names, as it stands (not launched when unknown:
    /// the domain answers NOT_FOUND after checking the caller may act for the practice).
    async fn programme(&self, programme_id: &str) -> Result<Arc<Programme>, Status> {
        let id = values::id("programme_id", programme_id).map_err(invalid)?;
        self.store
            .load::<Programme>(&programme::stream(&id))
            .await
            .map_err(Status::from)
    }
}

#[tonic::async_trait]
impl PracticeService for Practice {
    #[tracing::instrument(skip_all)]
    async fn record_facilitation(&self, request: Request<pb::RecordFacilitationRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        self.record(&body.practice_code, &caller, |p, ctx| {
            p.record_facilitation(body.clone(), ctx)
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn change_service_status(
        &self,
        request: Request<pb::ChangeServiceStatusRequest>,
    ) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        self.record(&body.practice_code, &caller, |p, ctx| {
            p.change_service_status(body.clone(), ctx)
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn name_digital_champion(
        &self,
        request: Request<pb::NameDigitalChampionRequest>,
    ) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        self.record(&body.practice_code, &caller, |p, ctx| {
            p.name_digital_champion(body.clone(), ctx)
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn enrol_staff(&self, request: Request<pb::EnrolStaffRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let programme = self.programme(&body.programme_id).await?;
        self.record(&body.practice_code, &caller, |p, ctx| {
            p.enrol_staff(body.clone(), &programme, ctx)
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn complete_module(&self, request: Request<pb::CompleteModuleRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let programme = self.programme(&body.programme_id).await?;
        self.record(&body.practice_code, &caller, |p, ctx| {
            p.complete_module(body.clone(), &programme, ctx)
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn complete_training(&self, request: Request<pb::CompleteTrainingRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let programme = self.programme(&body.programme_id).await?;
        self.record(&body.practice_code, &caller, |p, ctx| {
            p.complete_training(body.clone(), &programme, ctx)
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn adopt_platform(&self, request: Request<pb::AdoptPlatformRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = values::id("platform_id", &body.platform_id).map_err(invalid)?;
        let platform = self
            .store
            .load::<Platform>(&platform::stream(&id))
            .await
            .map_err(Status::from)?;
        self.record(&body.practice_code, &caller, |p, ctx| {
            p.adopt_platform(body.clone(), &platform, ctx)
        })
        .await
    }
}
