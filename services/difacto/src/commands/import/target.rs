//! Where an import reads the registry and sends its commands: the services in-process
//! over a sled log the import opens itself, or a running difacto over gRPC. Either way
//! every change is a command of IcbService or PracticeService, so validation, policy and
//! the store run as for any client (DESIGN.md §11).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use auth::{BearerToken, Principal, Role};
use domain::registry::Registry;
use eventlog::{EventLog, SledConfig, SledLog};
use eventlog_grpc::RemoteLog;
use gateway::services::{DomainEndpoints, IcbClient, PracticeClient, ServiceUrls};
use handlers::practice::Practice;
use handlers::{Icb, Store};
use import::IcbCommand;
use proto::v1 as pb;
use proto::v1::icb_service_server::IcbService;
use proto::v1::practice_service_server::PracticeService;
use tonic::{Request, Status};

use crate::cli::{AuthArgs, ImportTargetArgs};
use crate::settings::LogTarget;

/// The subject imports are recorded under, so the log says which changes came from a file.
const SUBJECT: &str = "difacto-import";

/// Sends commands to the services.
// One per import, never moved in a loop: boxing the larger variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Sender {
    /// The services' handlers called in-process, as the auth layer would call them.
    InProcess {
        icb: Icb,
        practice: Practice,
        principal: Principal,
    },
    /// A running difacto's services, over gRPC with a service token.
    Remote {
        icb: IcbClient,
        practice: PracticeClient,
    },
}

fn in_process<T>(body: T, principal: &Principal) -> Request<T> {
    let mut request = Request::new(body);
    request.extensions_mut().insert(principal.clone());
    request
}

impl Sender {
    pub async fn icb(&self, command: IcbCommand) -> Result<pb::CommandResult, Status> {
        let reply = match self {
            Self::InProcess { icb, principal, .. } => match command {
                IcbCommand::Register(b) => {
                    icb.register_organisation(in_process(b, principal)).await
                }
                IcbCommand::Rename(b) => icb.rename_organisation(in_process(b, principal)).await,
                IcbCommand::Reparent(b) => {
                    icb.reparent_organisation(in_process(b, principal)).await
                }
                IcbCommand::Merge(b) => icb.merge_organisations(in_process(b, principal)).await,
                IcbCommand::Close(b) => icb.close_organisation(in_process(b, principal)).await,
                IcbCommand::RecordImport(b) => {
                    icb.record_registry_import(in_process(b, principal)).await
                }
            },
            Self::Remote { icb, .. } => {
                // A client is a handle on the shared channel: cloning lets calls overlap.
                let mut icb = icb.clone();
                match command {
                    IcbCommand::Register(b) => icb.register_organisation(b).await,
                    IcbCommand::Rename(b) => icb.rename_organisation(b).await,
                    IcbCommand::Reparent(b) => icb.reparent_organisation(b).await,
                    IcbCommand::Merge(b) => icb.merge_organisations(b).await,
                    IcbCommand::Close(b) => icb.close_organisation(b).await,
                    IcbCommand::RecordImport(b) => icb.record_registry_import(b).await,
                }
            }
        };
        reply.map(tonic::Response::into_inner)
    }

    pub async fn staff_in_post(
        &self,
        body: pb::ReportStaffInPostRequest,
    ) -> Result<pb::CommandResult, Status> {
        let reply = match self {
            Self::InProcess {
                practice,
                principal,
                ..
            } => {
                practice
                    .report_staff_in_post(in_process(body, principal))
                    .await
            }
            Self::Remote { practice, .. } => practice.clone().report_staff_in_post(body).await,
        };
        reply.map(tonic::Response::into_inner)
    }
}

/// The import crate sends its plans through the same calls as every other command.
#[async_trait::async_trait]
impl import::Registrar for Sender {
    async fn send(&self, command: IcbCommand) -> Result<usize, String> {
        self.icb(command)
            .await
            .map(|result| result.event_ids.len())
            .map_err(|status| status.message().to_owned())
    }
}

/// The registry as the log holds it, and the way to change it.
#[derive(Debug)]
pub struct Target {
    /// Reads the registry through the domain's own fold (the store the handlers use).
    store: Arc<Store>,
    pub sender: Sender,
    /// The log the import opened itself, closed (flushed) when the import ends.
    sled: Option<SledLog>,
    /// What the user would call this target in a message.
    pub name: String,
}

impl Target {
    pub async fn open(args: &ImportTargetArgs, auth: &AuthArgs) -> anyhow::Result<Self> {
        let log = match (&args.log, &args.services) {
            (Some(log), _) => log.clone(),
            (None, Some(services)) => LogTarget::Grpc(default_log(services)?),
            (None, None) => LogTarget::Sled(args.data_dir.clone()),
        };
        match (log, &args.services) {
            (LogTarget::Sled(dir), None) => Self::open_sled(&dir),
            (LogTarget::Nats(servers), None) => {
                let nats = crate::settings::connect_nats(&servers).await?;
                let clock = nats.clock().clone();
                let name = format!("nats://{}", servers.join(","));
                Ok(Self::in_process(Arc::new(nats), clock, None, name))
            }
            (LogTarget::Grpc(url), Some(services)) => {
                let token = crate::settings::service_token(auth, &args.data_dir, SUBJECT)?;
                let remote = RemoteLog::connect_lazy(&url, BearerToken::new(token)?)
                    .with_context(|| format!("--log: cannot use {url}"))?;
                Self::connect(Arc::new(remote), services, &args.data_dir, auth)
            }
            (LogTarget::Nats(servers), Some(services)) => {
                let nats = crate::settings::connect_nats(&servers).await?;
                Self::connect(Arc::new(nats), services, &args.data_dir, auth)
            }
            (LogTarget::Sled(_), Some(_)) => anyhow::bail!(
                "--services sends to a running difacto, which holds its sled log itself: give --log grpc://host:port or leave --log out"
            ),
            (LogTarget::Grpc(_), None) => anyhow::bail!(
                "--log grpc://… needs --services: a running difacto is changed only through its services"
            ),
        }
    }

    fn open_sled(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("--data-dir: cannot create {}", dir.display()))?;
        let sled = SledLog::open(&SledConfig::new(dir.join("log"))).with_context(|| {
            format!(
                "--data-dir: cannot open the log in {} (is difacto running on it? then use --services)",
                dir.display()
            )
        })?;
        let log: Arc<dyn EventLog> = Arc::new(sled.clone());
        let clock = sled.clock().clone();
        let name = format!("sled:{}", dir.display());
        Ok(Self::in_process(log, clock, Some(sled), name))
    }

    /// The handlers in this process over `log`, deciding by the log's clock.
    fn in_process(
        log: Arc<dyn EventLog>,
        clock: eventlog::Clock,
        sled: Option<SledLog>,
        name: String,
    ) -> Self {
        let store = Arc::new(Store::new(log).with_clock(clock));
        let principal = Principal {
            subject: SUBJECT.to_owned(),
            organisation: domain::registry::NATIONAL_CODE.to_owned(),
            roles: vec![Role::Service],
        };
        Self {
            sender: Sender::InProcess {
                icb: Icb::new(store.clone()),
                practice: Practice::new(store.clone()),
                principal,
            },
            store,
            sled,
            name,
        }
    }

    /// Reads the registry from `log` and sends commands to a running difacto's services.
    fn connect(
        log: Arc<dyn EventLog>,
        services: &str,
        secret_dir: &Path,
        auth: &AuthArgs,
    ) -> anyhow::Result<Self> {
        let token = crate::settings::service_token(auth, secret_dir, SUBJECT)?;
        let endpoints =
            DomainEndpoints::from_flag(services).map_err(|err| anyhow::anyhow!("{err}"))?;
        let icb = endpoints
            .icb(&token)
            .map_err(|err| anyhow::anyhow!("the service token cannot be sent: {err:?}"))?;
        let practice = endpoints
            .practice(&token)
            .map_err(|err| anyhow::anyhow!("the service token cannot be sent: {err:?}"))?;
        Ok(Self {
            store: Arc::new(Store::new(log)),
            sender: Sender::Remote { icb, practice },
            sled: None,
            name: services.to_owned(),
        })
    }

    /// The registry as the log holds it now.
    pub async fn registry(&self) -> anyhow::Result<Arc<Registry>> {
        self.store
            .registry()
            .await
            .with_context(|| format!("cannot read the organisation tree from {}", self.name))
    }

    /// Flushes and closes a log the import opened itself.
    pub async fn close(self) -> anyhow::Result<()> {
        if let Some(sled) = self.sled {
            sled.close().await.context("closing the log")?;
        }
        Ok(())
    }
}

/// The log of a `dev`, which serves the log's API on the services' port: `grpc://` and
/// the IcbService's host and port.
fn default_log(services: &str) -> anyhow::Result<String> {
    let urls: ServiceUrls = services.parse().map_err(|err| anyhow::anyhow!("{err}"))?;
    let authority = urls
        .icb
        .authority()
        .map(ToString::to_string)
        .unwrap_or_default();
    Ok(format!("http://{authority}"))
}
