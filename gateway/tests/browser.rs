//! The web app in headless Chromium (DESIGN.md §10): a commissioner signs in with the
//! keyboard alone, reads the responsibility map and signs out; a partner, a practice
//! manager, a national lead and a provider each sign in and do their page's main task
//! with the keyboard alone (Tab and Enter, every control reached showing its focus); a
//! POST without the CSRF token is refused; axe-core finds no serious or critical
//! violation on any page (the practice's and the provider's pages signed in as them); a
//! practice's inbox shows a platform change live; and no request leaves 127.0.0.1. Needs
//! `chromium` and `/usr/bin/chromedriver` (`scripts/install-test-deps`, which `.ci/run`
//! calls). Each step is bounded in time.

#[path = "api/world.rs"]
#[allow(dead_code)]
mod world;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use auth::{DEFAULT_AUDIENCE, DEFAULT_ISSUER, TokenVerifier};
use gateway::browser::fantoccini::{Client, Locator};
use gateway::browser::{
    assert_stays_home, axe, bounded, browser, check_page, enter_on, focus_shown, named, sign_in_as,
    sign_in_with_keys, start_driver, text, type_into, wait_for_text, wait_until_listening,
};
use gateway::http::Gateway;
use gateway::web::WebConfig;
use serde_json::json;
use tokio_util::sync::CancellationToken;

const SECRET: &[u8] = b"browser-test-secret-0123456789abcdef";
/// The whole journey; a hung browser fails the test instead of the CI run.
const JOURNEY: Duration = Duration::from_secs(180);

/// The pages axe-core checks besides those the journey walks through, as the ICB
/// commissioner QWO sees them.
const PAGES: [&str; 11] = [
    "/responsibility/QWO?duty=00000000-0000-4000-8000-000000000001",
    "/responsibility/A81001?duty=00000000-0000-4000-8000-000000000001",
    "/responsibility/assignments/00000000-0000-4000-8000-0000000000a1",
    "/heatmap",
    "/rollout",
    "/rollout?within=U00001",
    "/sessions",
    "/inbox",
    "/commissioning",
    "/service-status",
    "/staff",
];

/// The pages of the other roles axe-core checks: each role's organisation and role, and
/// the pages it signs in to see.
const ROLE_PAGES: [(&str, &str, &[&str]); 2] = [
    (
        "A81001",
        "practice_manager",
        &["/facilitation", "/usability"],
    ),
    (
        "V-acme",
        "provider_admin",
        &[
            "/provider/issues",
            "/provider/changes",
            "/provider/materials",
        ],
    ),
];

async fn start_gateway(world: &world::World) -> (SocketAddr, CancellationToken) {
    let verifier = Arc::new(TokenVerifier::hs256(
        SECRET,
        DEFAULT_ISSUER,
        DEFAULT_AUDIENCE,
    ));
    let gateway = Gateway::new(world.schema.clone(), verifier, world.projection.clone()).with_web(
        WebConfig::development(SECRET, DEFAULT_ISSUER, DEFAULT_AUDIENCE),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    tokio::spawn(gateway.serve(listener, shutdown.clone()));
    (addr, shutdown)
}

/// Serves `world` on loopback and runs `journey` in a fresh headless browser, given the
/// browser and the gateway's origin, within [`JOURNEY`]; how long it took.
async fn in_browser<J, F>(world: &world::World, journey: J) -> Duration
where
    J: FnOnce(Client, String) -> F,
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let (addr, shutdown) = start_gateway(world).await;
    let driver = start_driver().await;
    let profile = tempfile::tempdir().expect("profile dir");
    let client = browser(&driver, profile.path()).await;
    let took = bounded(
        JOURNEY,
        &client,
        journey(client.clone(), format!("http://{addr}")),
    )
    .await;
    shutdown.cancel();
    took
}

async fn journey(client: &Client, origin: &str) {
    let mut violations = Vec::new();

    // Signed out, the home page says what difacto is and how to sign in.
    client.goto(&format!("{origin}/")).await.expect("home");
    assert!(text(client, "main").await.contains("Sign in to difacto"));
    // axe-core finds what it should: an image without a text alternative is critical.
    client
        .execute(
            "document.querySelector('main').appendChild(document.createElement('img')).src = '/assets/vendor/nhsuk-frontend/images/favicon.svg';",
            vec![],
        )
        .await
        .expect("spoil the page");
    let spoilt = axe(client).await;
    assert!(spoilt.iter().any(|v| v.contains("image-alt")), "{spoilt:?}");
    client.refresh().await.expect("reload");
    check_page(client, origin, &mut violations).await;

    // Sign in with the keyboard alone: a wrong code first, named next to its field.
    client
        .goto(&format!("{origin}/signin"))
        .await
        .expect("sign-in page");
    check_page(client, origin, &mut violations).await;
    // The focus check finds what it should: a field drawn focused as it is unfocused.
    client
        .execute(
            "const s = document.createElement('style'); s.textContent = '#org, #org:focus { outline: 0 none black !important; box-shadow: none !important; border-color: black !important; background: white !important; color: black !important; }'; document.head.appendChild(s); document.getElementById('org').focus();",
            vec![],
        )
        .await
        .expect("spoil the focus");
    assert!(!focus_shown(client).await, "a focus drawn as nothing");
    sign_in_with_keys(client, origin, "NOPE1", "ICB").await;
    let error = text(client, "#org-error").await;
    assert!(
        error.contains("No organisation has the code NOPE1"),
        "{error}"
    );
    check_page(client, origin, &mut violations).await;
    sign_in_with_keys(client, origin, "QWO", "ICB").await;
    let home = text(client, "main").await;
    assert!(home.contains("Signed in as ICB commissioner"), "{home}");
    check_page(client, origin, &mut violations).await;

    // The responsibility map, reached from the menu.
    enter_on(client, &named("Responsibility map")).await;
    let map = text(client, "main").await;
    assert!(map.contains("NHS App sign-up support"), "{map}");
    assert!(map.contains("No one accountable"), "{map}");
    check_page(client, origin, &mut violations).await;

    // Every other page the commissioner's menu opens, and the drill-downs it offers.
    for path in PAGES {
        open_checked(client, origin, path, &mut violations).await;
    }

    // A POST without the form's CSRF token is refused, even with the session cookie.
    let status = client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               fetch("/signout", { method: "POST", body: new URLSearchParams({}) })
                 .then(r => done(r.status)).catch(e => done(String(e)));"#,
            vec![],
        )
        .await
        .expect("fetch");
    assert_eq!(status, json!(403));

    // GraphiQL loads offline, introspects the schema (its docs explorer opens) and
    // asks nothing of another origin.
    client
        .goto(&format!("{origin}/graphiql"))
        .await
        .expect("graphiql");
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".graphiql-container"))
        .await
        .expect("GraphiQL renders");
    assert_stays_home(client, origin).await;

    // Sign out, with the keyboard.
    client.goto(&format!("{origin}/")).await.expect("home");
    enter_on(client, &named("Sign out")).await;
    assert!(text(client, "main").await.contains("Sign in to difacto"));
    client
        .goto(&format!("{origin}/responsibility"))
        .await
        .expect("map");
    assert!(
        text(client, "main")
            .await
            .contains("Sign in to see this page")
    );

    // The practice's and the provider's pages, each signed in as its role.
    for (org, role, paths) in ROLE_PAGES {
        sign_in_as(client, origin, org, role).await;
        for path in paths {
            let main = open_checked(client, origin, path, &mut violations).await;
            assert!(!main.contains("You cannot see this page"), "{path}: {main}");
        }
    }

    assert!(violations.is_empty(), "axe-core: {violations:#?}");
}

/// Opens `path`, which must show no error summary, and checks it with axe-core; its main
/// text.
async fn open_checked(
    client: &Client,
    origin: &str,
    path: &str,
    violations: &mut Vec<String>,
) -> String {
    client
        .goto(&format!("{origin}{path}"))
        .await
        .expect("a page");
    let main = text(client, "main").await;
    assert!(!main.contains("There is a problem"), "{path}: {main}");
    check_page(client, origin, violations).await;
    main
}

/// The platform of [`add_a_platform`].
const PLATFORM: &str = "00000000-0000-4000-8000-0000000000c1";

/// Adds to `world` a provider, `V-acme`, its platform and one usability issue A81001
/// reported on it, for the provider's and the practice's pages.
async fn add_a_platform(world: &world::World) {
    use proto::v1 as pb;
    let log = world.log.as_ref();
    world::register(log, "V-acme", pb::OrganisationKind::Provider, "X24").await;
    let platform = PLATFORM;
    world::append(
        log,
        &format!("platform-{platform}"),
        pb::PlatformRegistered {
            platform_id: platform.into(),
            provider_code: "V-acme".into(),
            name: "Acme Patient App".into(),
            category: pb::PlatformCategory::PatientApp.into(),
            services: vec![pb::DigitalService::NhsApp.into()],
            ..Default::default()
        },
        &[],
    )
    .await;
    let issue = "00000000-0000-4000-8000-0000000000c2";
    let reported = pb::UsabilityIssueReported {
        issue_id: issue.into(),
        platform_id: platform.into(),
        provider_code: "V-acme".into(),
        practice_code: "A81001".into(),
        category: pb::UsabilityIssueCategory::Navigation.into(),
        severity: pb::IssueSeverity::Medium.into(),
        description: "The repeat prescription button is hidden".into(),
        ..Default::default()
    };
    recorded(world, &format!("issue-{issue}"), reported).await;
}

/// Appends `event` to `stream` and waits for the read models to fold it.
async fn recorded<M: prost::Message + prost::Name>(world: &world::World, stream: &str, event: M) {
    world::append(world.log.as_ref(), stream, event, &[]).await;
    world
        .projection
        .catch_up(Duration::from_secs(10))
        .await
        .expect("caught up");
}

/// A session of P-leeds-libraries in QWO with 10 places, none booked.
const SESSION: &str = "00000000-0000-4000-8000-0000000000d1";

async fn schedule_a_session(world: &world::World) {
    let scheduled = world::library_drop_in(SESSION);
    recorded(world, &format!("session-{SESSION}"), scheduled).await;
}

/// The partner's session page, open in the browser, shows a booking made elsewhere
/// without being reloaded: the page listens on the events subscription with its session.
async fn a_booking_appears_live(client: &Client, origin: &str, world: &world::World) {
    use proto::v1 as pb;
    sign_in_as(client, origin, "P-leeds-libraries", "partner_coordinator").await;
    client
        .goto(&format!("{origin}/sessions/{SESSION}"))
        .await
        .expect("session page");
    assert!(text(client, "#fill").await.starts_with("0 of 10 booked"));
    wait_until_listening(client).await;
    let booked = pb::SeatBooked {
        session_id: SESSION.into(),
        booking_reference: "REF-LIVE".into(),
        referring_organisation_code: "A81001".into(),
        places: 3,
        ..Default::default()
    };
    recorded(world, &format!("session-{SESSION}"), booked).await;
    let fill = wait_for_text(client, "fill", Duration::from_secs(10), |f| {
        f.starts_with("3 of 10 booked")
    })
    .await;
    assert!(fill.contains("7 free"), "{fill}");
    let url = client.current_url().await.expect("url");
    assert_eq!(url.path(), format!("/sessions/{SESSION}"), "no navigation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partners_session_page_shows_a_booking_live() {
    let world = Arc::new(world::world().await);
    schedule_a_session(&world).await;
    in_browser(&world.clone(), |client, origin| async move {
        a_booking_appears_live(&client, &origin, &world).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commissioner_signs_in_reads_the_map_and_signs_out_with_the_keyboard() {
    let world = world::world().await;
    world::launch_training(&world).await;
    add_a_platform(&world).await;
    let took = in_browser(&world, |client, origin| async move {
        journey(&client, &origin).await;
    })
    .await;
    eprintln!("browser journey: {took:?}");
}

/// The world of the keyboard tests, with the domain services serving its log so the
/// forms write: the commissioner's world, a training programme, a provider's platform the
/// practice A81001 uses with an issue it reported, and a session of P-leeds-libraries.
async fn live_world() -> (world::World, handlers::testing::Served) {
    use proto::v1 as pb;
    let served = handlers::testing::Served::start(SECRET).await;
    let log: Arc<dyn eventlog::EventLog> = served.log.clone();
    let endpoints = gateway::services::DomainEndpoints::from_channel(served.channel.clone());
    let world = world::world_on(log, endpoints, None).await;
    world::launch_training(&world).await;
    add_a_platform(&world).await;
    let adopted = pb::PlatformAdopted {
        practice_code: "A81001".into(),
        platform_id: PLATFORM.into(),
        effective_date: chrono::Utc::now().date_naive().to_string(),
        services: vec![],
    };
    recorded(&world, "practice-A81001", adopted).await;
    schedule_a_session(&world).await;
    (world, served)
}

/// `query` answered by the API to a caller of `org` with `role`.
async fn api(world: &world::World, org: &str, role: auth::Role, query: &str) -> serde_json::Value {
    let answer = world
        .schema
        .execute(async_graphql::Request::new(query).data(world::verified(org, &[role])))
        .await;
    assert!(answer.errors.is_empty(), "{:?}", answer.errors);
    answer.data.into_json().expect("json")
}

/// The browser of the keyboard journeys, the world behind it, and what axe-core found on
/// the pages checked so far.
struct Keys<'a> {
    client: &'a Client,
    origin: &'a str,
    world: &'a world::World,
    violations: Vec<String>,
}

impl Keys<'_> {
    /// Signs in as `org`, with the role whose label starts with `role`, and opens the
    /// page its menu names `page`, checked.
    async fn sign_in_and_open(&mut self, org: &str, role: &str, page: &str) {
        sign_in_with_keys(self.client, self.origin, org, role).await;
        self.enter_on(page).await;
        self.check().await;
    }

    /// Presses Enter on the link or button named `words`.
    async fn enter_on(&self, words: &str) {
        enter_on(self.client, &named(words)).await;
    }

    async fn type_into(&self, id: &str, text: &str) {
        type_into(self.client, id, text).await;
    }

    /// Checks the page now shown with axe-core.
    async fn check(&mut self) {
        check_page(self.client, self.origin, &mut self.violations).await;
    }

    /// The text of the element `css`.
    async fn text(&self, css: &str) -> String {
        text(self.client, css).await
    }

    /// Asserts the page's main text says `words`.
    async fn shows(&self, words: &str) {
        let page = self.text("main").await;
        assert!(page.contains(words), "{words}: {page}");
    }
}

/// The partner books two places on its session from the session list.
async fn partner_with_keys(k: &mut Keys<'_>) {
    k.sign_in_and_open("P-leeds-libraries", "Partner", "Sessions")
        .await;
    k.enter_on("NHS App drop-in").await;
    assert!(k.text("#fill").await.starts_with("0 of 10 booked"));
    k.type_into("referringOrganisationCode", "A81001").await;
    k.type_into("places", "2").await;
    k.enter_on("Book places").await;
    let fill = k.text("#fill").await;
    assert!(fill.starts_with("2 of 10 booked"), "{fill}");
    k.check().await;
}

/// The practice manager sees a platform change arrive in the inbox live, follows it to
/// the staff page and records the receptionists in post.
async fn practice_manager_with_keys(k: &mut Keys<'_>) {
    use proto::v1 as pb;
    sign_in_with_keys(k.client, k.origin, "A81001", "Practice").await;
    k.enter_on("Inbox").await;
    let before = k.text("#live-inbox").await;
    assert!(
        before.contains("No change to a platform you use"),
        "{before}"
    );
    wait_until_listening(k.client).await;
    let summary = "Repeat prescriptions move to their own tab";
    let announced = pb::PlatformChangeAnnounced {
        change_id: "c-keys".into(),
        platform_id: PLATFORM.into(),
        effective_date: chrono::Utc::now().date_naive().to_string(),
        retraining_required: true,
        roles_affected: vec![pb::StaffRole::Receptionist.into()],
        summary: summary.into(),
        ..Default::default()
    };
    recorded(k.world, &format!("platform-{PLATFORM}"), announced).await;
    let live = wait_for_text(k.client, "live-inbox", Duration::from_secs(10), |t| {
        t.contains(summary)
    })
    .await;
    assert!(live.contains("Acme Patient App from V-acme"), "{live}");
    assert!(live.contains("1 thing to answer"), "{live}");
    k.check().await;
    k.enter_on("Record your staff's training").await;
    k.type_into("staffRole", "Receptionist").await;
    k.type_into("headcount", "4").await;
    k.enter_on("Record staff in post").await;
    k.shows("The staff in post are recorded.").await;
    let answer = api(
        k.world,
        "A81001",
        auth::Role::PracticeManager,
        r#"{ trainingRollout(programme: "DFR-2027", groupBy: PRACTICE, within: "A81001") { totals { staffInPost } } }"#,
    )
    .await;
    assert_eq!(
        answer["trainingRollout"]["totals"]["staffInPost"], 4,
        "{answer}"
    );
    k.check().await;
}

/// The national lead asks the rollout page for one ICB.
async fn national_lead_with_keys(k: &mut Keys<'_>) {
    k.sign_in_and_open("X24", "National", "Training rollout")
        .await;
    k.type_into("within", "QWO").await;
    k.enter_on("Show").await;
    let url = k.client.current_url().await.expect("url");
    assert!(
        url.query().unwrap_or_default().contains("within=QWO"),
        "{url}"
    );
    k.shows("(QWO)").await;
    k.check().await;
}

/// The provider acknowledges the issue the practice reported.
async fn provider_with_keys(k: &mut Keys<'_>) {
    k.sign_in_and_open("V-acme", "Platform", "Issues to answer")
        .await;
    k.enter_on("Acknowledge").await;
    k.shows("You acknowledged the issue.").await;
    let answer = api(
        k.world,
        "V-acme",
        auth::Role::ProviderAdmin,
        "{ platformIssues { nodes { status } } }",
    )
    .await;
    assert_eq!(
        answer["platformIssues"]["nodes"][0]["status"],
        "ACKNOWLEDGED"
    );
    k.check().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_does_its_main_task_with_the_keyboard_alone() {
    let (world, _served) = live_world().await;
    let world = Arc::new(world);
    let took = in_browser(&world.clone(), |client, origin| async move {
        let mut keys = Keys {
            client: &client,
            origin: &origin,
            world: &world,
            violations: Vec::new(),
        };
        partner_with_keys(&mut keys).await;
        practice_manager_with_keys(&mut keys).await;
        national_lead_with_keys(&mut keys).await;
        provider_with_keys(&mut keys).await;
        let violations = keys.violations;
        assert!(violations.is_empty(), "axe-core: {violations:#?}");
    })
    .await;
    eprintln!("keyboard journeys: {took:?}");
}
