//! The command line (DESIGN.md §8). Every flag can also come from `DIFACTO_<FLAG>`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::settings::LogTarget;

#[derive(Debug, Parser)]
#[command(
    name = "difacto",
    version,
    about = "Who supports patients and staff to go digital, who trains whom, and who owns what."
)]
pub struct Cli {
    #[command(flatten)]
    pub auth: AuthArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run everything in one process on an embedded sled log.
    Dev(DevArgs),
    /// Run one part of difacto on its own.
    #[command(subcommand)]
    Serve(ServeCommand),
    /// Mint a development token (HS256 with the development secret).
    Token(TokenArgs),
    /// Check every record's checksum and the hash chain of a log.
    Verify(VerifyArgs),
    /// Print the GraphQL schema (SDL), exactly as the gateway serves it.
    Schema,
    /// Bring in data the NHS publishes: the ODS registry, the GP workforce.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Measure difacto against references taken in the same run; writes BENCHMARKS.md.
    Bench(BenchArgs),
}

/// How tokens are checked. Without a public key, HS256 with the development secret.
#[derive(Debug, Args)]
pub struct AuthArgs {
    /// The HS256 development secret. Without it, `dev` and `serve log` keep one in the data directory.
    #[arg(
        long,
        env = "DIFACTO_JWT_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub jwt_secret: Option<String>,
    /// A PEM public key: production tokens are then checked with it (see --jwt-algorithm).
    #[arg(long, env = "DIFACTO_JWT_PUBLIC_KEY", global = true)]
    pub jwt_public_key: Option<PathBuf>,
    /// The PEM private key of --jwt-public-key, for the gateway only when people sign in
    /// through --oidc-issuer: it signs their web sessions' tokens.
    #[arg(
        long,
        env = "DIFACTO_JWT_SIGNING_KEY",
        global = true,
        requires = "jwt_public_key"
    )]
    pub jwt_signing_key: Option<PathBuf>,
    /// The algorithm of --jwt-public-key.
    #[arg(long, env = "DIFACTO_JWT_ALGORITHM", global = true, value_enum, default_value_t = PublicKeyAlgorithm::Eddsa)]
    pub jwt_algorithm: PublicKeyAlgorithm,
    /// The `iss` every token must carry.
    #[arg(long, env = "DIFACTO_JWT_ISSUER", global = true, default_value = auth::DEFAULT_ISSUER)]
    pub jwt_issuer: String,
    /// The `aud` every token must carry.
    #[arg(long, env = "DIFACTO_JWT_AUDIENCE", global = true, default_value = auth::DEFAULT_AUDIENCE)]
    pub jwt_audience: String,
    /// Mark the web app's session cookie Secure: set it when difacto is served behind TLS.
    #[arg(long, env = "DIFACTO_SECURE_COOKIES", global = true)]
    pub secure_cookies: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PublicKeyAlgorithm {
    Rs256,
    Eddsa,
}

#[derive(Debug, Args)]
pub struct DataDirArg {
    /// Where the sled log keeps its files.
    #[arg(long, env = "DIFACTO_DATA_DIR", default_value = "./difacto-data")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct DevArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    /// Where gRPC listens (the log and every domain service on one port).
    #[arg(long, env = "DIFACTO_GRPC_ADDR", default_value = "127.0.0.1:50051")]
    pub grpc_addr: SocketAddr,
    /// Where the GraphQL gateway listens (/graphql, /graphql/ws, /healthz, /metrics).
    #[arg(long, env = "DIFACTO_HTTP_ADDR", default_value = "127.0.0.1:8080")]
    pub http_addr: SocketAddr,
    /// The log: the sled log in --data-dir by default, or a JetStream cluster,
    /// `nats://host:port[,host:port…]` (--data-dir then keeps only the secret and the
    /// read models' checkpoint).
    #[arg(long, env = "DIFACTO_LOG", value_parser = parse_dev_log)]
    pub log: Option<LogTarget>,
    /// Load the synthetic England-wide demo dataset (once; a restart keeps it).
    #[arg(long, env = "DIFACTO_DEMO")]
    pub demo: bool,
    /// The seed of the demo dataset: the same seed gives the same data.
    #[arg(long, env = "DIFACTO_DEMO_SEED", default_value_t = 2026)]
    pub demo_seed: u64,
    /// How big the demo dataset is: England-sized, or a few thousand events with every
    /// kind of fact (loads in seconds; the browser journeys use it).
    #[arg(long, env = "DIFACTO_DEMO_SCALE", value_enum, default_value_t = DemoScale::Full)]
    pub demo_scale: DemoScale,
    #[command(flatten)]
    pub gateway: GatewayArgs,
}

/// The sizes of the demo dataset `dev --demo` loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DemoScale {
    /// About 6,300 practices, 300 partners, 3,000 sessions and a year of weekly records.
    Full,
    /// 60 PCNs, a few thousand events.
    Tiny,
}

impl DemoScale {
    pub fn scale(self) -> demo::Scale {
        match self {
            DemoScale::Full => demo::Scale::full(),
            DemoScale::Tiny => demo::Scale::tiny(),
        }
    }
}

#[derive(Debug, Args)]
pub struct XapiArgs {
    /// A JSON file that turns on /xapi/statements: the pseudonym key, the platforms'
    /// Basic credentials and practices, and which activities are which programme's
    /// modules (see the gateway README).
    #[arg(long, env = "DIFACTO_XAPI_CONFIG")]
    pub xapi_config: Option<PathBuf>,
}

/// The gateway's flags wherever it runs, in `dev` or as `serve gateway`.
#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// Ignore the read models' checkpoint and rebuild them by replaying the whole log.
    #[arg(long, env = "DIFACTO_REPLAY")]
    pub replay: bool,
    #[command(flatten)]
    pub xapi: XapiArgs,
    #[command(flatten)]
    pub oidc: crate::oidc::OidcArgs,
}

// Parsed once at start: the size of the largest variant (the gateway's, with its
// OpenID Connect flags) costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum ServeCommand {
    /// The event log's gRPC API (EventLogService) on a sled directory.
    Log(ServeLogArgs),
    /// PracticeService: facilitation, service status, champions, staff training, platforms.
    Practice(ServeServiceArgs<50052>),
    /// IcbService: the organisation tree, duties, responsibility, training programmes.
    Icb(ServeServiceArgs<50053>),
    /// PartnerService: community sessions, hosting, bookings, waitlists, attendance.
    Partner(ServeServiceArgs<50054>),
    /// ProviderService: platforms, changes, training material, usability issues.
    Provider(ServeServiceArgs<50055>),
    /// The GraphQL gateway: views from the log, mutations forwarded to the services.
    Gateway(ServeGatewayArgs),
}

#[derive(Debug, Args)]
pub struct ServeGatewayArgs {
    #[arg(long, env = "DIFACTO_HTTP_ADDR", default_value = "127.0.0.1:8080")]
    pub http_addr: SocketAddr,
    /// The log the views are built from: `grpc://host:port`, `sled:<dir>` or
    /// `nats://host:port[,host:port…]`.
    #[arg(long, env = "DIFACTO_LOG", default_value = "grpc://127.0.0.1:50051")]
    pub log: LogTarget,
    /// Where the four domain services listen: one URL for all
    /// (`http://127.0.0.1:50051`, as `dev` serves them) or
    /// `icb=URL,practice=URL,partner=URL,provider=URL`.
    #[arg(
        long,
        env = "DIFACTO_SERVICES",
        default_value = "http://127.0.0.1:50051"
    )]
    pub services: String,
    /// Where the read models' checkpoint and the development secret live.
    #[arg(
        long,
        env = "DIFACTO_DATA_DIR",
        default_value = "./difacto-gateway-data"
    )]
    pub data_dir: PathBuf,
    #[command(flatten)]
    pub gateway: GatewayArgs,
}

/// A domain service on its own port, on a log it shares with other processes.
#[derive(Debug, Args)]
pub struct ServeServiceArgs<const PORT: u16> {
    #[arg(long, env = "DIFACTO_GRPC_ADDR", default_value_t = std::net::SocketAddr::from(([127, 0, 0, 1], PORT)))]
    pub grpc_addr: SocketAddr,
    /// The log: `grpc://host:port` (a `difacto serve log`), `sled:<dir>` (this process
    /// alone opens the directory) or `nats://host:port[,host:port…]` (JetStream).
    #[arg(long, env = "DIFACTO_LOG", default_value = "grpc://127.0.0.1:50051")]
    pub log: LogTarget,
    /// Where the development secret lives when DIFACTO_JWT_SECRET is not set.
    #[command(flatten)]
    pub data: DataDirArg,
    /// Where /metrics, /healthz and /readyz are served over HTTP: by default port
    /// 9152 (practice), 9153 (icb), 9154 (partner) or 9155 (provider).
    #[arg(long, env = "DIFACTO_METRICS_ADDR", default_value_t = metrics_addr(PORT))]
    pub metrics_addr: SocketAddr,
}

/// The default `--metrics-addr` of a process whose gRPC port is `grpc_port`: 9151 for
/// the log's 50051, 9152 for 50052, and so on.
pub fn metrics_addr(grpc_port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], grpc_port.saturating_sub(50051 - 9151)))
}

#[derive(Debug, Args)]
pub struct ServeLogArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    #[arg(long, env = "DIFACTO_GRPC_ADDR", default_value = "127.0.0.1:50051")]
    pub grpc_addr: SocketAddr,
    /// Where /metrics, /healthz and /readyz are served over HTTP.
    #[arg(long, env = "DIFACTO_METRICS_ADDR", default_value = "127.0.0.1:9151")]
    pub metrics_addr: SocketAddr,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The caller's organisation code (claim `org`), e.g. A81001 or QE1.
    #[arg(long, env = "DIFACTO_ORG")]
    pub org: String,
    /// A role (claim `roles`); repeat for several.
    #[arg(
        long = "role",
        env = "DIFACTO_ROLE",
        value_delimiter = ',',
        required = true
    )]
    pub roles: Vec<auth::Role>,
    /// The subject (claim `sub`); defaults to a name built from the organisation.
    #[arg(long, env = "DIFACTO_SUB")]
    pub sub: Option<String>,
    /// How long the token lives, e.g. 30m, 1h, 7d.
    #[arg(long, env = "DIFACTO_TTL", default_value = "1h", value_parser = parse_ttl)]
    pub ttl: Duration,
    #[command(flatten)]
    pub data: DataDirArg,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The sled directory to check (the whole chain is checked).
    #[arg(long, env = "DIFACTO_DATA_DIR", conflicts_with = "log")]
    pub data_dir: Option<PathBuf>,
    /// A log to check: `sled:<dir>` (checksums and chain), `nats://host:port[,…]`
    /// (checksums and chains, read from JetStream) or `grpc://host:port` (through the
    /// API: density and stream versions).
    #[arg(long, env = "DIFACTO_LOG")]
    pub log: Option<LogTarget>,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// The organisation tree from NHS ODS files: epraccur.csv and gp-reg-pat-prac-map.csv.
    Ods(ImportOdsArgs),
    /// Staff in post per practice and role from the NHS "General Practice Workforce"
    /// practice-level CSV.
    Workforce(ImportWorkforceArgs),
}

/// Where an import reads the registry from and sends its commands to: by default the
/// sled log in --data-dir, opened by the import itself (difacto must not be running on
/// it); with --services, a running difacto, through its gRPC services.
#[derive(Debug, Args)]
pub struct ImportTargetArgs {
    /// The sled directory of a difacto that is not running; also where the development
    /// secret lives when DIFACTO_JWT_SECRET is not set.
    #[arg(long, env = "DIFACTO_DATA_DIR", default_value = "./difacto-data")]
    pub data_dir: PathBuf,
    /// The log to read the registry from: `sled:<dir>`, or `grpc://host:port` with
    /// --services (by default where --services points, as `dev` serves both).
    #[arg(long, env = "DIFACTO_LOG")]
    pub log: Option<LogTarget>,
    /// Where a running difacto's services listen: one URL for all (as `dev` serves them,
    /// e.g. `http://127.0.0.1:50051`) or `icb=URL,practice=URL,…`.
    #[arg(long, env = "DIFACTO_SERVICES")]
    pub services: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportOdsArgs {
    /// epraccur.csv as NHS ODS publishes it (27 columns, no header).
    #[arg(long, env = "DIFACTO_EPRACCUR", required_unless_present = "map")]
    pub epraccur: Option<PathBuf>,
    /// gp-reg-pat-prac-map.csv (with header): PCNs and the names of areas.
    #[arg(long, env = "DIFACTO_MAP")]
    pub map: Option<PathBuf>,
    /// The date the files were extracted (YYYY-MM-DD): the date of changes the files do
    /// not date themselves. Defaults to the map's EXTRACT_DATE, else today.
    #[arg(long, env = "DIFACTO_EXTRACT_DATE", value_parser = parse_date)]
    pub extract_date: Option<chrono::NaiveDate>,
    /// Also bring in Welsh practices (codes starting W).
    #[arg(long, env = "DIFACTO_INCLUDE_WALES")]
    pub include_wales: bool,
    /// Say what would be recorded, and record nothing.
    #[arg(long, env = "DIFACTO_DRY_RUN")]
    pub dry_run: bool,
    #[command(flatten)]
    pub target: ImportTargetArgs,
}

#[derive(Debug, Args)]
pub struct ImportWorkforceArgs {
    /// The practice-level CSV (with header; PRAC_CODE and headcount columns ending _HC).
    pub file: PathBuf,
    /// The date the headcounts are as of (YYYY-MM-DD); defaults to today.
    #[arg(long, env = "DIFACTO_AS_OF", value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Say what would be recorded, and record nothing.
    #[arg(long, env = "DIFACTO_DRY_RUN")]
    pub dry_run: bool,
    #[command(flatten)]
    pub target: ImportTargetArgs,
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a date like 2026-01-31"))
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Which benchmark.
    #[arg(value_enum, default_value_t = BenchTarget::Log)]
    pub target: BenchTarget,
    /// Events written for the replay and disk measurements.
    #[arg(long, env = "DIFACTO_BENCH_REPLAY_EVENTS", default_value_t = 1_000_000)]
    pub replay_events: u64,
    /// Seconds each throughput measurement runs.
    #[arg(long, env = "DIFACTO_BENCH_SECONDS", default_value_t = 3.0)]
    pub seconds: f64,
    /// The Markdown file the results go into (its own section is replaced, others kept).
    #[arg(long, env = "DIFACTO_BENCH_OUT", default_value = "BENCHMARKS.md")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BenchTarget {
    /// The event log against raw sled.
    Log,
    /// RecordFacilitation and BookSeat end to end over gRPC, against the log's append rate.
    Services,
    /// The GraphQL views over HTTP on the demo dataset, against `{ __typename }`.
    Gateway,
    /// Every page of the web app on the demo dataset, against `{ __typename }`.
    Web,
    /// RecordFacilitation to practice-service processes on JetStream (1 and 3 nodes,
    /// 1 and 3 processes) and the gateway's replay from it, against sled.
    Cluster,
}

/// Parses `90s`, `30m`, `1h`, `7d` or a bare number of seconds.
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, "s"), |i| text.split_at(i));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 90s, 30m, 1h or 7d"))?;
    let seconds = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("{text:?} has unit {unit:?}; use s, m, h or d")),
    };
    if seconds == 0 {
        return Err("a token must live for at least one second".into());
    }
    Ok(Duration::from_secs(seconds))
}

/// `dev --log` takes the logs `dev` can hold itself: `sled:<dir>` or `nats://…`.
fn parse_dev_log(text: &str) -> Result<LogTarget, String> {
    match text.parse::<LogTarget>()? {
        LogTarget::Grpc(_) => Err(
            "dev serves the log itself: --log takes sled:<dir> or nats://host:port[,host:port…]"
                .into(),
        ),
        target => Ok(target),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_units() {
        assert_eq!(parse_ttl("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_ttl("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_ttl("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_ttl("7d"), Ok(Duration::from_secs(604_800)));
        assert!(parse_ttl("1w").is_err());
        assert!(parse_ttl("0").is_err());
        assert!(parse_ttl("soon").is_err());
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
