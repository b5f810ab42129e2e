//! One step of the demo: a command of one of the four services, sent in-process by
//! someone with the role the policy asks for, on the day it happens, so validation, policy
//! and the store run exactly as they do for a gRPC call sent that day.

use auth::{Principal, Role};
use chrono::NaiveDate;
use domain::registry::Registry;
use handlers::partner::Partner;
use handlers::practice::Practice;
use handlers::provider::Provider;
use handlers::{Icb, Store};
use import::IcbCommand;
use proto::v1 as pb;
use proto::v1::icb_service_server::IcbService;
use proto::v1::partner_service_server::PartnerService;
use proto::v1::practice_service_server::PracticeService;
use proto::v1::provider_service_server::ProviderService;
use std::sync::Arc;
use tonic::{Request, Status};

use super::ods::Extract;

/// Who sends a step: a person acting for an organisation, by its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Who {
    /// NHS England's national team (X24).
    National,
    RegionalLead(String),
    Commissioner(String),
    PcnLead(String),
    PracticeManager(String),
    Coordinator(String),
    ProviderAdmin(String),
}

impl Who {
    /// The caller as the auth layer would have put it in the request. Subjects are fixed
    /// per organisation, because a request id is unique per subject.
    pub fn principal(&self) -> Principal {
        let (person, organisation, roles) = match self {
            Who::National => ("national-lead", "X24", vec![Role::NationalLead]),
            Who::RegionalLead(code) => ("regional-lead", code.as_str(), vec![Role::RegionalLead]),
            Who::Commissioner(code) => ("commissioner", code.as_str(), vec![Role::IcbCommissioner]),
            Who::PcnLead(code) => ("pcn-lead", code.as_str(), vec![Role::PcnLead]),
            Who::PracticeManager(code) => (
                "practice-manager",
                code.as_str(),
                vec![Role::PracticeManager, Role::PracticeStaff],
            ),
            Who::Coordinator(code) => {
                ("coordinator", code.as_str(), vec![Role::PartnerCoordinator])
            }
            Who::ProviderAdmin(code) => {
                ("provider-admin", code.as_str(), vec![Role::ProviderAdmin])
            }
        };
        Principal {
            subject: format!("demo-{person}@{organisation}"),
            organisation: organisation.to_owned(),
            roles,
        }
    }
}

/// The four services, in-process, over one store.
#[derive(Debug, Clone)]
pub(crate) struct Services {
    store: Arc<Store>,
    icb: Icb,
    practice: Practice,
    partner: Partner,
    provider: Provider,
}

impl Services {
    pub fn new(store: Arc<Store>) -> Self {
        Self {
            icb: Icb::new(store.clone()),
            practice: Practice::new(store.clone()),
            partner: Partner::new(store.clone()),
            provider: Provider::new(store.clone()),
            store,
        }
    }

    /// The registry as the log holds it now.
    pub async fn registry(&self) -> Result<Arc<Registry>, handlers::error::ServiceError> {
        self.store.registry().await
    }

    /// An import's command, sent as `principal`.
    pub async fn icb_command(
        &self,
        command: IcbCommand,
        principal: Principal,
    ) -> Result<pb::CommandResult, Status> {
        fn called<T>(body: T, principal: Principal) -> Request<T> {
            let mut request = Request::new(body);
            request.extensions_mut().insert(principal);
            request
        }
        let icb = &self.icb;
        let reply = match command {
            IcbCommand::Register(b) => icb.register_organisation(called(b, principal)).await,
            IcbCommand::Rename(b) => icb.rename_organisation(called(b, principal)).await,
            IcbCommand::Reparent(b) => icb.reparent_organisation(called(b, principal)).await,
            IcbCommand::Merge(b) => icb.merge_organisations(called(b, principal)).await,
            IcbCommand::Close(b) => icb.close_organisation(called(b, principal)).await,
            IcbCommand::RecordImport(b) => icb.record_registry_import(called(b, principal)).await,
        };
        reply.map(tonic::Response::into_inner)
    }
}

/// What a step sent and recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sent {
    pub commands: u64,
    pub events: u64,
}

/// Declares [`Cmd`]: one variant per command the demo sends, with the service method that
/// handles it.
macro_rules! commands {
    ($($variant:ident($request:ident) => $service:ident.$method:ident),* $(,)?) => {
        /// A command with its request body (request id included).
        // Steps live only between planning and sending, a script at a time: boxing the
        // larger bodies would buy nothing.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone, PartialEq)]
        pub(crate) enum Cmd {
            $($variant(pb::$request),)*
            /// NHS files brought in by the importer, which sends the commands they call
            /// for.
            ImportOds(Box<Extract>),
        }

        impl Cmd {
            /// The command's name, as in DESIGN.md §9.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => stringify!($variant),)*
                    Self::ImportOds(_) => "difacto import ods",
                }
            }

            pub fn request_id(&self) -> &str {
                match self {
                    $(Self::$variant(body) => &body.request_id,)*
                    Self::ImportOds(extract) => &extract.ids,
                }
            }

            /// Sends the command to its service's handler as `principal`.
            pub async fn send(self, services: &Services, principal: Principal) -> Result<Sent, Status> {
                let result = match self {
                    $(Self::$variant(body) => {
                        let mut request = Request::new(body);
                        request.extensions_mut().insert(principal);
                        services
                            .$service
                            .$method(request)
                            .await
                            .map(tonic::Response::into_inner)
                    })*
                    Self::ImportOds(extract) => return extract.import(services, principal).await,
                };
                result.map(|r| Sent { commands: 1, events: r.event_ids.len() as u64 })
            }
        }

        $(
            impl From<pb::$request> for Cmd {
                fn from(body: pb::$request) -> Self {
                    Self::$variant(body)
                }
            }
        )*

        impl From<Extract> for Cmd {
            fn from(extract: Extract) -> Self {
                Self::ImportOds(Box::new(extract))
            }
        }
    };
}

commands! {
    RegisterOrganisation(RegisterOrganisationRequest) => icb.register_organisation,
    ReparentOrganisation(ReparentOrganisationRequest) => icb.reparent_organisation,
    MergeOrganisations(MergeOrganisationsRequest) => icb.merge_organisations,
    DefineDuty(DefineDutyRequest) => icb.define_duty,
    ProposeResponsibility(ProposeResponsibilityRequest) => icb.propose_responsibility,
    AcceptResponsibility(AcceptResponsibilityRequest) => icb.accept_responsibility,
    DeclineResponsibility(DeclineResponsibilityRequest) => icb.decline_responsibility,
    EndResponsibility(EndResponsibilityRequest) => icb.end_responsibility,
    AttributeResponsibility(AttributeResponsibilityRequest) => icb.attribute_responsibility,
    LaunchTrainingProgramme(LaunchTrainingProgrammeRequest) => icb.launch_training_programme,
    CommissionPartner(CommissionPartnerRequest) => icb.commission_partner,
    EndCommission(EndCommissionRequest) => icb.end_commission,
    SetRolloutTarget(SetRolloutTargetRequest) => icb.set_rollout_target,
    RecordFacilitation(RecordFacilitationRequest) => practice.record_facilitation,
    ChangeServiceStatus(ChangeServiceStatusRequest) => practice.change_service_status,
    NameDigitalChampion(NameDigitalChampionRequest) => practice.name_digital_champion,
    EnrolStaff(EnrolStaffRequest) => practice.enrol_staff,
    CompleteModule(CompleteModuleRequest) => practice.complete_module,
    CompleteTraining(CompleteTrainingRequest) => practice.complete_training,
    AdoptPlatform(AdoptPlatformRequest) => practice.adopt_platform,
    ReportStaffInPost(ReportStaffInPostRequest) => practice.report_staff_in_post,
    ScheduleSession(ScheduleSessionRequest) => partner.schedule_session,
    ConfirmHosting(ConfirmHostingRequest) => partner.confirm_hosting,
    DeclineHosting(DeclineHostingRequest) => partner.decline_hosting,
    BookSeat(BookSeatRequest) => partner.book_seat,
    CancelBooking(CancelBookingRequest) => partner.cancel_booking,
    JoinWaitlist(JoinWaitlistRequest) => partner.join_waitlist,
    CancelSession(CancelSessionRequest) => partner.cancel_session,
    RecordAttendance(RecordAttendanceRequest) => partner.record_attendance,
    RegisterPlatform(RegisterPlatformRequest) => provider.register_platform,
    AnnouncePlatformChange(AnnouncePlatformChangeRequest) => provider.announce_platform_change,
    PublishTrainingMaterial(PublishTrainingMaterialRequest) => provider.publish_training_material,
    ReportUsabilityIssue(ReportUsabilityIssueRequest) => provider.report_usability_issue,
    AcknowledgeUsabilityIssue(AcknowledgeUsabilityIssueRequest) => provider.acknowledge_usability_issue,
    ResolveUsabilityIssue(ResolveUsabilityIssueRequest) => provider.resolve_usability_issue,
}

/// One command, who sends it and the day they do.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    /// The day the command is sent: the clock stands on it while the step runs, so the
    /// events are recorded that day and the domain judges the command as of that day.
    pub on: NaiveDate,
    pub who: Who,
    pub cmd: Cmd,
}

impl Step {
    pub fn new(on: NaiveDate, who: Who, cmd: impl Into<Cmd>) -> Self {
        Self {
            on,
            who,
            cmd: cmd.into(),
        }
    }
}

/// Steps that must reach the log in order (they touch one stream, or one depends on the
/// other), in the order of their days; scripts run concurrently with each other, day by
/// day.
pub(crate) type Script = Vec<Step>;
