//! `difacto bench services`: commands end to end over gRPC on loopback, through the same
//! server `difacto dev` runs (log, auth, the domain services, group commit), with 64
//! concurrent clients. Reference, measured in the same run: the log's own append rate
//! with 64 in-process writers (single-event appends), which is the ceiling a command that
//! appends one event can approach.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use auth::{BearerToken, Role, TokenIssuer, TokenVerifier};
use eventlog::EventLog;
use handlers::{DomainService, Store};
use proto::v1 as pb;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use super::measure::{Throughput, closed_loop};
use super::report;
use crate::cli::BenchArgs;
use crate::grpc::Served;

pub(super) const CLIENTS: usize = 64;
/// Enough seats (500 each) that bookings measure booking, not refusals of full sessions:
/// each pair of clients shares eight sessions.
const SESSIONS: usize = 256;
/// The HS256 secret the bench's servers and clients share.
pub(super) const SECRET: &[u8] = b"difacto-bench-secret-difacto-bench";

pub(super) fn bearer(org: &str, role: Role) -> anyhow::Result<BearerToken> {
    let token = TokenIssuer::hs256(SECRET, "difacto", "difacto").mint(
        &format!("bench@{org}"),
        org,
        &[role],
        Duration::from_secs(3600),
    )?;
    Ok(BearerToken::new(token)?)
}

type IcbClient = pb::icb_service_client::IcbServiceClient<InterceptedService<Channel, BearerToken>>;

async fn register(
    icb: &mut IcbClient,
    code: &str,
    kind: pb::OrganisationKind,
    parent: &str,
) -> anyhow::Result<()> {
    icb.register_organisation(pb::RegisterOrganisationRequest {
        code: code.into(),
        kind: kind.into(),
        name: format!("Bench {code}"),
        parent_code: parent.into(),
        effective_date: "2020-01-01".into(),
        ..Default::default()
    })
    .await?;
    Ok(())
}

pub(super) fn practice_code(i: usize) -> String {
    format!("A{:05}", 80_000 + i)
}

/// A gRPC server like `difacto dev`'s (the log's API and every domain service) on a free
/// loopback port, inside this process.
pub(super) struct InProcess {
    pub url: String,
    shutdown: CancellationToken,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl InProcess {
    pub async fn start(log: Arc<dyn EventLog>) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let shutdown = CancellationToken::new();
        let served = Served {
            log_api: Some(log.clone()),
            domain: DomainService::ALL.to_vec(),
            store: Some(Arc::new(Store::new(log))),
            ..Served::default()
        };
        let verifier = Arc::new(TokenVerifier::hs256(SECRET, "difacto", "difacto"));
        let server = tokio::spawn(crate::grpc::serve(
            listener,
            served,
            verifier,
            shutdown.clone(),
        ));
        Ok(Self {
            url,
            shutdown,
            server,
        })
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.server.await?
    }
}

/// `count` connections to each of `urls`, as separate client processes would have.
pub(super) async fn connect(urls: &[String], count: usize) -> anyhow::Result<Vec<Channel>> {
    let mut channels = Vec::new();
    for _ in 0..count {
        for url in urls {
            channels.push(
                Endpoint::from_shared(url.clone())?
                    .tcp_nodelay(true)
                    .connect()
                    .await?,
            );
        }
    }
    Ok(channels)
}

/// The organisation tree down to the [`CLIENTS`] practices the clients act for, and the
/// partner that schedules sessions.
pub(super) async fn register_practices(channel: &Channel) -> anyhow::Result<()> {
    let mut icb: IcbClient = pb::icb_service_client::IcbServiceClient::with_interceptor(
        channel.clone(),
        bearer("X24", Role::NationalLead)?,
    );
    use pb::OrganisationKind::*;
    for (code, kind, parent) in [
        ("X24", NationalBody, ""),
        ("Y56", Region, "X24"),
        ("QE1", Icb, "Y56"),
        ("00L", SubIcb, "QE1"),
        ("U00001", Pcn, "00L"),
        ("P-bench", Partner, "QE1"),
    ] {
        register(&mut icb, code, kind, parent).await?;
    }
    for i in 0..CLIENTS {
        register(&mut icb, &practice_code(i), Practice, "U00001").await?;
    }
    Ok(())
}

/// RecordFacilitation from [`CLIENTS`] clients for `seconds`, each client acting for its
/// own practice, the clients spread round-robin over `channels`.
pub(super) async fn record_facilitations(
    channels: &[Channel],
    seconds: f64,
) -> anyhow::Result<Throughput> {
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            Ok(
                pb::practice_service_client::PracticeServiceClient::with_interceptor(
                    channels[i % channels.len()].clone(),
                    bearer(&practice_code(i), Role::PracticeManager)?,
                ),
            )
        })
        .collect::<anyhow::Result<_>>()?;
    let clients = Arc::new(clients);
    closed_loop(
        CLIENTS,
        Duration::from_secs_f64(seconds),
        move |worker, _| {
            let mut client = clients[worker].clone();
            async move {
                client
                    .record_facilitation(pb::RecordFacilitationRequest {
                        practice_code: practice_code(worker),
                        week: "2026-W10".into(),
                        mode: pb::FacilitationMode::Proactive.into(),
                        service: pb::DigitalService::NhsApp.into(),
                        channel: pb::FacilitationChannel::FaceToFace.into(),
                        delivered_by: pb::StaffRole::Receptionist.into(),
                        patient_groups: vec![
                            pb::PatientGroup::OlderPeople.into(),
                            pb::PatientGroup::LimitedEnglish.into(),
                        ],
                        patients_supported: 12,
                        ..Default::default()
                    })
                    .await?;
                Ok(())
            }
        },
    )
    .await
}

pub async fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let scratch = tempfile::tempdir_in(std::env::current_dir()?)?;
    let seconds = args.seconds;

    eprintln!("reference: log appends, {CLIENTS} in-process writers…");
    let reference = {
        let log = super::log::open_log(&scratch.path().join("reference"))?;
        let result = super::log::appends(Arc::new(log.clone()), CLIENTS, seconds).await?;
        log.close().await?;
        result
    };

    let log = super::log::open_log(&scratch.path().join("dev"))?;
    let server = InProcess::start(Arc::new(log.clone())).await?;
    let channels = connect(std::slice::from_ref(&server.url), 8).await?;

    eprintln!("seeding {CLIENTS} practices and {SESSIONS} sessions…");
    register_practices(&channels[0]).await?;
    let mut partner = pb::partner_service_client::PartnerServiceClient::with_interceptor(
        channels[0].clone(),
        bearer("P-bench", Role::PartnerCoordinator)?,
    );
    let mut sessions = Vec::new();
    for i in 0..SESSIONS {
        let session = partner
            .schedule_session(pb::ScheduleSessionRequest {
                partner_code: "P-bench".into(),
                host_practice_code: practice_code(i % CLIENTS),
                icb_code: "QE1".into(),
                starts_at: "2099-05-01T10:00:00Z".into(),
                ends_at: "2099-05-01T12:00:00Z".into(),
                capacity: 500,
                title: "NHS App drop-in".into(),
                topics: vec![pb::DigitalService::NhsApp.into()],
                ..Default::default()
            })
            .await?
            .into_inner();
        sessions.push(session.aggregate_id);
    }

    eprintln!("RecordFacilitation, {CLIENTS} clients…");
    let facilitation = record_facilitations(&channels, seconds).await?;

    eprintln!("BookSeat, {CLIENTS} clients…");
    let bookers: Vec<_> = (0..CLIENTS)
        .map(|i| {
            Ok(
                pb::partner_service_client::PartnerServiceClient::with_interceptor(
                    channels[i % channels.len()].clone(),
                    bearer(&practice_code(i), Role::PracticeManager)?,
                ),
            )
        })
        .collect::<anyhow::Result<_>>()?;
    let bookers = Arc::new(bookers);
    let sessions = Arc::new(sessions);
    let full = Arc::new(AtomicU64::new(0));
    let refused = full.clone();
    // Two clients per session, so bookings also contend on a session's stream.
    let booking = closed_loop(
        CLIENTS,
        Duration::from_secs_f64(seconds),
        move |worker, i| {
            let mut client = bookers[worker].clone();
            let session = sessions[(worker / 2) * 8 + (i % 8) as usize].clone();
            let refused = refused.clone();
            async move {
                let result = client
                    .book_seat(pb::BookSeatRequest {
                        session_id: session,
                        booking_reference: format!("B-{worker:03}-{i:06}"),
                        referring_organisation_code: practice_code(worker),
                        places: 1,
                        ..Default::default()
                    })
                    .await;
                match result {
                    Ok(_) => Ok(()),
                    // A full session is an answer too; it is counted apart.
                    Err(status) if status.code() == tonic::Code::FailedPrecondition => {
                        refused.fetch_add(1, Ordering::Relaxed);
                        Ok(())
                    }
                    Err(status) => Err(status.into()),
                }
            }
        },
    )
    .await?;
    server.stop().await?;
    log.close().await?;

    let body = render(
        &reference,
        &facilitation,
        &booking,
        full.load(Ordering::Relaxed),
        seconds,
    );
    report::write_section(&args.out, "services", &body)?;
    eprintln!("{body}");
    Ok(())
}

/// One table row: rate, p50, p99 and the rate's ratio to `reference` (per second).
pub(super) fn row(what: &str, t: &Throughput, reference: f64) -> String {
    format!(
        "| {what} | {:.0} | {:.2} ms | {:.2} ms | {:.2} |",
        t.per_second(),
        t.p50.as_secs_f64() * 1e3,
        t.p99.as_secs_f64() * 1e3,
        t.per_second() / reference
    )
}

fn render(
    reference: &Throughput,
    facilitation: &Throughput,
    booking: &Throughput,
    full: u64,
    seconds: f64,
) -> String {
    let base = reference.per_second();
    let floor_rate = facilitation.per_second() >= 10_000.0;
    let floor_p99 = facilitation.p99 <= Duration::from_millis(20);
    let yes = |met: bool| if met { "yes" } else { "**no**" };
    format!(
        "## Domain services (`difacto bench services`)\n\n\
         Machine: {}. {CLIENTS} concurrent clients for {seconds} s each, over gRPC on loopback, to one server like `difacto dev` \
         (auth, domain, group-committed sled log). Every command is durable before it is answered.\n\n\
         | measurement | per second | p50 | p99 | ratio to reference |\n|---|---:|---:|---:|---:|\n\
         {}\n{}\n{}\n\n\
         BookSeat: {SESSIONS} sessions of 500 seats, each pair of clients booking round-robin on eight of them (so two clients contend on each session's stream); \
         {full} of the calls found their session full (FAILED_PRECONDITION; counted in the rate, so it should be 0).\n\n\
         | floor | measured | met |\n|---|---:|:---:|\n\
         | RecordFacilitation ≥ 10,000/s | {:.0}/s | {} |\n\
         | RecordFacilitation p99 ≤ 20 ms | {:.2} ms | {} |\n",
        report::machine(),
        row(
            "**reference:** log appends, 64 in-process writers",
            reference,
            base
        ),
        row("RecordFacilitation over gRPC", facilitation, base),
        row("BookSeat over gRPC", booking, base),
        facilitation.per_second(),
        yes(floor_rate),
        facilitation.p99.as_secs_f64() * 1e3,
        yes(floor_p99),
    )
}
