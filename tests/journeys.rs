//! Each user of DESIGN.md §1 does their job in headless Chromium against the real
//! `difacto dev --demo --demo-scale tiny`: signs in through the form, finds the answer to
//! each of their questions on their pages (checked against what the GraphQL API answers
//! the same user), does each of their writes through the page's forms and sees the
//! result, and downloads a CSV whose rows are the API's. A booking made in one browser
//! shows live in another's session page. Each journey is bounded in time; the test says
//! how long each took.
//!
//! With `DIFACTO_SCREENSHOTS=1` the journeys also write a PNG of each main page to
//! `docs/screenshots/` (committed; CI leaves them alone). Needs `chromium` and
//! `/usr/bin/chromedriver` (`scripts/install-test-deps`).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use auth::Role;
use futures::future::BoxFuture;
use gateway::browser::fantoccini::{Client, Locator};
use gateway::browser::{
    Driver, attribute, bounded, browser, check_page, click, fill, follow, screenshot, sign_in_as,
    start_driver, text, wait_for_text, wait_until_listening,
};
use serde_json::{Value, json};
use support::gateway::{Dev, data, graphql, token};

/// One journey; a hung browser or page fails it instead of the CI run.
const JOURNEY: Duration = Duration::from_secs(240);
/// The demo's seed: the same data each run.
const SEED: &str = "7";

/// The usability problem the practice reports and the provider answers (each run has a
/// fresh log, so it is the only one worded so).
const REPORTED: &str = "The repeat prescription button is hidden below the fold on small screens";

/// What every journey is given.
#[derive(Clone)]
struct Ctx {
    origin: String,
    /// The gateway's `127.0.0.1:PORT`, for the API.
    addr: String,
    driver: Arc<Driver>,
    client: Client,
    /// Where screenshots go, when they are wanted.
    shots: Option<PathBuf>,
}

impl Ctx {
    /// `org` as `role`, to ask the API what their pages should show.
    fn user(&self, org: &str, role: Role) -> User {
        User {
            addr: self.addr.clone(),
            org: org.to_owned(),
            role,
        }
    }

    /// The national lead, who may ask about everything.
    fn national_lead(&self) -> User {
        self.user("X24", Role::NationalLead)
    }

    /// Signs the browser in as `org` with `role`; the same user, to ask the API.
    async fn sign_in(&self, org: &str, role: Role) -> User {
        sign_in_as(&self.client, &self.origin, org, role.as_str()).await;
        self.user(org, role)
    }

    /// Opens `path` and checks it: no serious axe-core finding, nothing from elsewhere,
    /// no error summary.
    async fn open(&self, path: &str) -> String {
        self.client
            .goto(&format!("{}{path}", self.origin))
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        self.checked(path).await
    }

    /// Checks the page now shown (see [`Ctx::open`]); its main text.
    async fn checked(&self, what: &str) -> String {
        let mut violations = Vec::new();
        check_page(&self.client, &self.origin, &mut violations).await;
        assert!(violations.is_empty(), "axe-core on {what}: {violations:#?}");
        let main = text(&self.client, "main").await;
        assert!(!main.contains("There is a problem"), "{what}: {main}");
        assert!(!main.contains("You cannot see this page"), "{what}: {main}");
        main
    }

    /// Writes the page now shown to `docs/screenshots/<name>.png`, if asked to.
    async fn shot(&self, name: &str) {
        if let Some(dir) = &self.shots {
            screenshot(&self.client, &dir.join(format!("{name}.png"))).await;
        }
    }

    /// Submits the form whose button's text starts with `button`.
    async fn submit(&self, button: &str) {
        follow(
            &self.client,
            &format!("//main//button[starts-with(normalize-space(), '{button}')]"),
        )
        .await;
    }

    /// The CSV behind the page's first link to `/export/<view>.csv`, downloaded by the
    /// browser with its session: one map per row, column name to cell.
    async fn export(&self, view: &str) -> Vec<BTreeMap<String, String>> {
        let href = attribute(
            &self.client,
            &format!("main a[href^='/export/{view}.csv']"),
            "href",
        )
        .await;
        let body = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   fetch(arguments[0]).then(r => r.ok ? r.text() : "HTTP " + r.status)
                     .then(done).catch(e => done("failed: " + e));"#,
                vec![json!(href)],
            )
            .await
            .expect("fetch the CSV");
        let body = body.as_str().unwrap_or_default();
        let mut reader = csv::Reader::from_reader(body.as_bytes());
        let headers = reader
            .headers()
            .unwrap_or_else(|e| panic!("{href}: not CSV ({e}): {body}"))
            .clone();
        reader
            .records()
            .map(|r| {
                let r = r.unwrap_or_else(|e| panic!("{href}: {e}"));
                headers
                    .iter()
                    .zip(r.iter())
                    .map(|(h, c)| (h.to_owned(), c.to_owned()))
                    .collect()
            })
            .collect()
    }
}

/// Somebody the API answers: what the journey checks a page against.
#[derive(Clone)]
struct User {
    /// The gateway's `127.0.0.1:PORT`.
    addr: String,
    org: String,
    role: Role,
}

impl User {
    /// `query` answered by the API to this user: its data, which must hold no error.
    async fn api(&self, query: &str, variables: Value) -> Value {
        let token = token(&self.org, self.role);
        data(&graphql(&self.addr, Some(&token), query, variables).await).clone()
    }
}

/// Asserts that the CSV's `columns` hold, row for row, what the API's `list` holds at
/// `fields` (dotted paths), in any order.
fn same_rows(
    what: &str,
    rows: &[BTreeMap<String, String>],
    columns: &[&str],
    list: &Value,
    fields: &[&str],
) {
    let from_csv: BTreeSet<Vec<String>> = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| {
                    r.get(*c)
                        .cloned()
                        .unwrap_or_else(|| panic!("no column {c}"))
                })
                .collect()
        })
        .collect();
    let items = list
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"));
    let from_api: BTreeSet<Vec<String>> = items
        .iter()
        .map(|item| {
            fields
                .iter()
                .map(|f| cell(f.split('.').fold(item, |v, f| &v[f])))
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), items.len(), "{what}: one CSV row per item");
    assert_eq!(from_csv, from_api, "the {what} CSV is the API's");
}

/// `column` of each row.
fn column(rows: &[BTreeMap<String, String>], name: &str) -> BTreeSet<String> {
    rows.iter()
        .map(|r| r.get(name).cloned().unwrap_or_default())
        .collect()
}

/// The strings at `field` of each item of `list`.
fn strings(list: &Value, field: &str) -> BTreeSet<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|v| {
            field
                .split('.')
                .fold(v, |v, f| &v[f])
                .as_str()
                .map_or_else(String::new, str::to_owned)
        })
        .collect()
}

/// The records of a facilitation CSV, over its modes.
fn records(rows: &[BTreeMap<String, String>]) -> u64 {
    rows.iter()
        .filter_map(|r| r["records"].parse::<u64>().ok())
        .sum()
}

/// A number or string cell as the CSV writes it.
fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn all_sessions() -> &'static str {
    "{ sessions(first: 500) { nodes { id title startsAt cancelled capacity booked available \
     waitlisted partner { code name } icb { code name } hostPractice { code name } } } }"
}

/// The ICB the journeys act in: the one with the most community sessions.
async fn busiest_icb(ctx: &Ctx) -> String {
    let all = ctx.national_lead().api(all_sessions(), json!({})).await;
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for s in all["sessions"]["nodes"].as_array().expect("sessions") {
        *count
            .entry(s["icb"]["code"].as_str().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    count
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(icb, _)| icb)
        .expect("the demo has sessions")
}

/// The commissioner: gaps in the responsibility map, a drill-down to a unit and an
/// assignment's history, disagreement, service status, commissioning and its CSV.
async fn commissioner(ctx: Ctx) {
    let icb = busiest_icb(&ctx).await;
    let c = &ctx.client;
    ctx.open("/").await;
    ctx.shot("home-signed-out").await;
    let me = ctx.sign_in(&icb, Role::IcbCommissioner).await;
    let home = ctx.checked("home").await;
    assert!(home.contains("Signed in as ICB commissioner"), "{home}");
    ctx.shot("home").await;

    // Which duties have nobody responsible or accountable, at each level.
    let gaps = me
        .api(
            "query ($area: String!) { responsibilityGaps(area: $area) { area { name } \
             coverage { duty { id title } level units counts { flag units } } } }",
            json!({ "area": icb }),
        )
        .await;
    let gaps = &gaps["responsibilityGaps"];
    follow(c, "//header//a[normalize-space()='Responsibility map']").await;
    let map = ctx.checked("the responsibility map").await;
    assert!(
        map.contains(gaps["area"]["name"].as_str().expect("name")),
        "{map}"
    );
    let table: Vec<Vec<String>> = serde_json::from_value(
        c.execute(
            "return [...document.querySelectorAll('main table')[0].tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent.trim()))",
            vec![],
        )
        .await
        .expect("the map's table"),
    )
    .expect("rows of cells");
    let coverage = gaps["coverage"].as_array().expect("coverage");
    assert!(!coverage.is_empty(), "the demo's ICB has duties to own");
    assert_eq!(table.len(), coverage.len(), "a row per duty and level");
    for entry in coverage {
        let title = entry["duty"]["title"].as_str().expect("title");
        let units = entry["units"].to_string();
        let missing = entry["counts"]
            .as_array()
            .expect("counts")
            .iter()
            .find(|c| c["flag"] == "MISSING_RESPONSIBLE")
            .map(|c| c["units"].to_string())
            .expect("a MISSING_RESPONSIBLE count");
        assert!(
            table
                .iter()
                .any(|row| row[0] == title && row[2] == units && row.contains(&missing)),
            "no row shows {title}: {units} units, {missing} with nobody responsible: {table:?}"
        );
    }
    ctx.shot("responsibility").await;

    // Drill down: who owns a duty in the ICB, who believes who does (a duty somebody
    // stated beliefs about, when there is one).
    let mut believed = None;
    for entry in coverage {
        let duty = entry["duty"]["id"].as_str().expect("id");
        let matrix = me
            .api(
                "query ($area: String!, $duty: String!) { perceptions(area: $area, duty: $duty) { \
                 matrix { believer { code } believedOwner { code } } } }",
                json!({ "area": icb, "duty": duty }),
            )
            .await["perceptions"]["matrix"]
            .clone();
        let any = !matrix.as_array().expect("matrix").is_empty();
        if believed.is_none() || any {
            believed = Some((entry.clone(), matrix));
        }
        if any {
            break;
        }
    }
    let (entry, matrix) = believed.expect("a duty");
    let duty = entry["duty"]["id"].as_str().expect("id");
    follow(
        c,
        &format!("//main//a[contains(@href, 'duty={duty}') and starts-with(normalize-space(), 'Who owns')]"),
    )
    .await;
    let unit = ctx.checked("the drill-down").await;
    assert!(
        unit.contains(entry["duty"]["title"].as_str().expect("title")),
        "{unit}"
    );
    assert!(unit.contains("Who believes who owns it"), "{unit}");
    ctx.shot("drill-down").await;
    if matrix.as_array().is_some_and(|m| m.is_empty()) {
        assert!(unit.contains("0 beliefs stated"), "{unit}");
    } else {
        let beliefs = ctx.export("perceptions.matrix").await;
        assert_eq!(
            column(&beliefs, "believer"),
            strings(&matrix, "believer.code"),
            "the beliefs' CSV is the API's matrix"
        );
    }
    // The history of an assignment, when the unit has one.
    if c.find(Locator::Css("main a[href^='/responsibility/assignments/']"))
        .await
        .is_ok()
    {
        follow(
            c,
            "(//main//a[starts-with(@href, '/responsibility/assignments/')])[1]",
        )
        .await;
        let history = ctx.checked("an assignment's history").await;
        assert!(!history.is_empty());
    }

    // Which practices switched a digital service off, and why.
    ctx.open("/service-status").await;
    let status = me
        .api(
            "query ($within: String) { serviceStatus(within: $within, first: 500) { nodes { practice { code } service status } } }",
            json!({ "within": icb }),
        )
        .await;
    let rows = ctx.export("serviceStatus").await;
    assert_eq!(
        column(&rows, "practice_code"),
        strings(&status["serviceStatus"]["nodes"], "practice.code"),
        "the service status CSV is the API's"
    );
    let page = text(c, "main").await;
    for code in column(&rows, "practice_code") {
        assert!(page.contains(&code), "{code} is not on the page: {page}");
    }

    // Which partners were commissioned, and did they deliver.
    ctx.open("/commissioning").await;
    let commissioning = me
        .api(
            "query ($area: String) { commissioning(area: $area) { commissions(first: 500) { \
             nodes { id partner { name } delivery { sessionsHeld } } } } }",
            json!({ "area": icb }),
        )
        .await;
    let commissions = &commissioning["commissioning"]["commissions"]["nodes"];
    let page = text(c, "main").await;
    for name in strings(commissions, "partner.name") {
        assert!(page.contains(&name), "{name} is not on the page: {page}");
    }
    let rows = ctx.export("commissioning").await;
    same_rows(
        "commissioning",
        &rows,
        &["commission_id", "sessions_held"],
        commissions,
        &["id", "delivery.sessionsHeld"],
    );
}

/// The national lead: the heat map, the rollout by region with its weekly chart, a
/// drill-down to an ICB, the practices with no trained receptionist and their CSV; then a
/// regional lead sees the rollout of their region only.
async fn national_lead(ctx: Ctx) {
    let c = &ctx.client;
    let me = ctx.sign_in("X24", Role::NationalLead).await;

    ctx.open("/heatmap").await;
    let heat = me
        .api(
            "{ responsibilityGaps(area: \"X24\") { coverage { byArea { area { name } } } } }",
            json!({}),
        )
        .await;
    let page = text(c, "main").await;
    for entry in heat["responsibilityGaps"]["coverage"]
        .as_array()
        .expect("coverage")
    {
        for name in strings(&entry["byArea"], "area.name") {
            assert!(page.contains(&name), "{name} is not on the heat map");
        }
    }
    ctx.shot("heatmap").await;

    ctx.open("/rollout").await;
    let programme = attribute(c, "#programme option:checked", "value").await;
    let rollout = |within: Option<String>, group: &'static str| {
        let me = me.clone();
        let programme = programme.clone();
        async move {
            me.api(
                "query ($p: String!, $g: AreaLevel!, $w: String) { trainingRollout(programme: $p, groupBy: $g, within: $w) { \
                 groups(first: 100) { nodes { area { code name kind } figures { trained staffInPost } } } \
                 weekly { weekStarting } \
                 practicesWithoutTrainedReception(first: 500) { nodes { code } } } }",
                json!({ "p": programme, "g": group, "w": within }),
            )
            .await["trainingRollout"]
                .clone()
        }
    };
    let regions = rollout(None, "REGION").await;
    let page = text(c, "main").await;
    let groups = regions["groups"]["nodes"].as_array().expect("groups");
    assert!(!groups.is_empty());
    for g in groups {
        let name = g["area"]["name"].as_str().expect("name");
        assert!(page.contains(name), "{name} is not in the rollout: {page}");
    }
    assert!(
        c.find(Locator::Css("main svg")).await.is_ok(),
        "the weekly chart"
    );
    let without = ctx
        .export("trainingRollout.practicesWithoutTrainedReception")
        .await;
    assert_eq!(
        column(&without, "practice_code"),
        strings(
            &regions["practicesWithoutTrainedReception"]["nodes"],
            "code"
        ),
        "the CSV of practices with no trained receptionist is the API's"
    );
    let weekly = ctx.export("trainingRollout.weekly").await;
    assert_eq!(
        weekly.len(),
        regions["weekly"].as_array().expect("weeks").len()
    );
    ctx.shot("rollout").await;

    // Down a level: the first region's ICBs.
    let region = groups[0]["area"]["code"].as_str().expect("code").to_owned();
    let region_name = groups[0]["area"]["name"].as_str().expect("name");
    follow(
        c,
        &format!("//main//a[normalize-space()='{region_name} ({region})']"),
    )
    .await;
    let icbs = rollout(Some(region.clone()), "ICB").await;
    let page = ctx.checked("the rollout of a region").await;
    for name in strings(&icbs["groups"]["nodes"], "area.name") {
        assert!(page.contains(&name), "{name} is not in {region_name}");
    }

    // A regional lead: the same question for their region.
    ctx.sign_in(&region, Role::RegionalLead).await;
    let page = ctx.open("/rollout").await;
    for name in strings(&icbs["groups"]["nodes"], "area.name") {
        assert!(page.contains(&name), "{name} is not in {region_name}");
    }
}

/// The partner: my sessions with fill and waitlist and their CSV; a booking made in one
/// browser shows live in another; cancelling it; recording who came; host practices.
async fn partner(ctx: Ctx) {
    let now = chrono::Utc::now().to_rfc3339();
    let all = ctx.national_lead().api(all_sessions(), json!({})).await;
    let nodes = all["sessions"]["nodes"].as_array().expect("sessions");
    let open = |s: &&Value| {
        s["cancelled"] == false
            && s["available"].as_u64().unwrap_or(0) > 0
            && s["startsAt"].as_str().unwrap_or_default() > now.as_str()
    };
    let coming = nodes
        .iter()
        .find(open)
        .expect("a session to come with places free");
    let partner = coming["partner"]["code"].as_str().expect("partner");
    let id = coming["id"].as_str().expect("id");
    let past = nodes.iter().find(|s| {
        s["partner"]["code"] == partner
            && s["cancelled"] == false
            && s["startsAt"].as_str().unwrap_or_default() < now.as_str()
    });
    let c = &ctx.client;
    let me = ctx.sign_in(partner, Role::PartnerCoordinator).await;

    // Which sessions do I run, how full are they, who is waiting.
    let page = ctx.open("/sessions").await;
    let mine = me
        .api(
            "query ($w: String) { sessions(within: $w, first: 500) { nodes { id title booked waitlisted } } }",
            json!({ "w": partner }),
        )
        .await;
    let mine = &mine["sessions"]["nodes"];
    for title in strings(mine, "title") {
        assert!(page.contains(&title), "{title} is not on the page: {page}");
    }
    let rows = ctx.export("sessions").await;
    same_rows(
        "sessions",
        &rows,
        &["session_id", "booked", "waitlisted"],
        mine,
        &["id", "booked", "waitlisted"],
    );
    ctx.shot("sessions").await;

    // The session's fill, as the API says; then a booking from another browser.
    let figures = |id: String| {
        let me = me.clone();
        async move {
            me.api(
                "query ($id: String!) { session(id: $id) { capacity booked available waitlisted \
             bookings { reference places state } } }",
                json!({ "id": id }),
            )
            .await["session"]
                .clone()
        }
    };
    let before = figures(id.to_owned()).await;
    let fill_of = |s: &Value| {
        format!(
            "{} of {} booked, {} free, {} waiting",
            s["booked"], s["capacity"], s["available"], s["waitlisted"]
        )
    };
    ctx.open(&format!("/sessions/{id}")).await;
    assert_eq!(text(c, "#fill").await, fill_of(&before));
    wait_until_listening(c).await;
    ctx.shot("session").await;

    let profile = tempfile::tempdir().expect("profile dir");
    let other = browser(&ctx.driver, profile.path()).await;
    let booked_elsewhere = async {
        sign_in_as(
            &other,
            &ctx.origin,
            partner,
            Role::PartnerCoordinator.as_str(),
        )
        .await;
        other
            .goto(&format!("{}/sessions/{id}", ctx.origin))
            .await
            .expect("the session in the other browser");
        fill(&other, "referringOrganisationCode", partner).await;
        fill(&other, "places", "1").await;
        click(&other, "(//main//input[@name='accessNeeds'])[1]").await;
        follow(&other, "//main//button[normalize-space()='Book places']").await;
        text(&other, "main").await
    }
    .await;
    let _ = other.close().await;
    assert!(
        booked_elsewhere.contains("The places are booked."),
        "the other browser's page after booking: {booked_elsewhere}"
    );
    let after = figures(id.to_owned()).await;
    assert_eq!(after["booked"], before["booked"].as_u64().expect("n") + 1);
    let shown = wait_for_text(c, "fill", Duration::from_secs(10), |f| f == fill_of(&after)).await;
    let url = c.current_url().await.expect("url");
    assert_eq!(url.path(), format!("/sessions/{id}"), "no navigation");
    eprintln!("live: {shown}");

    // Cancel that booking on the page: its place is free again.
    let known = strings(&before["bookings"], "reference");
    let reference = strings(&after["bookings"], "reference")
        .into_iter()
        .find(|r| !known.contains(r))
        .expect("the new booking's reference");
    c.refresh().await.expect("reload");
    follow(
        c,
        &format!("//form[input[@name='bookingReference' and @value='{reference}']]//button"),
    )
    .await;
    ctx.checked("the session after cancelling").await;
    let cancelled = figures(id.to_owned()).await;
    assert_eq!(cancelled["booked"], before["booked"]);
    assert_eq!(text(c, "#fill").await, fill_of(&cancelled));

    // Who came to a session already held.
    if let Some(past) = past {
        let past_id = past["id"].as_str().expect("id");
        ctx.open(&format!("/sessions/{past_id}")).await;
        // Everyone booked came but one, and two more without a booking.
        let booked = past["booked"].as_u64().expect("booked");
        let no_shows = booked.min(1);
        let attended = (booked - no_shows + 2).to_string();
        fill(c, "attended", &attended).await;
        fill(c, "noShows", &no_shows.to_string()).await;
        fill(c, "walkIns", "2").await;
        fill(c, "registeredForNhsApp", "4").await;
        ctx.submit("Record attendance").await;
        let page = ctx.checked("the session after recording attendance").await;
        let came = me
            .api(
                "query ($id: String!) { session(id: $id) { attendance { attended { display } walkIns { display } } } }",
                json!({ "id": past_id }),
            )
            .await;
        let display = came["session"]["attendance"]["attended"]["display"]
            .as_str()
            .expect("attended");
        assert_eq!(display, attended, "the partner sees its own counts");
        let walk_ins = &came["session"]["attendance"]["walkIns"]["display"];
        assert!(
            page.contains(&format!(
                "{display} came ({} without a booking)",
                cell(walk_ins)
            )),
            "{page}"
        );
    }

    // Which practices host me.
    let page = ctx.open("/host-practices").await;
    let hosts = me
        .api("{ hostPractices { practice { code name } } }", json!({}))
        .await;
    for name in strings(&hosts["hostPractices"], "practice.name") {
        assert!(page.contains(&name), "{name} is not on the page");
    }
    let rows = ctx.export("hostPractices").await;
    assert_eq!(
        column(&rows, "practice_code"),
        strings(&hosts["hostPractices"], "practice.code"),
        "the host practices CSV is the API's"
    );
}

/// The practice manager: a duty proposed by the ICB accepted from the inbox and a session
/// a partner asked it to host confirmed, this week's
/// facilitation recorded in one form, staff and training, a usability problem reported.
async fn practice_manager(ctx: Ctx) {
    let icb = busiest_icb(&ctx).await;
    let all = ctx.national_lead().api(all_sessions(), json!({})).await;
    let practice = all["sessions"]["nodes"]
        .as_array()
        .expect("sessions")
        .iter()
        .filter(|s| s["icb"]["code"] == icb.as_str())
        .find_map(|s| s["hostPractice"]["code"].as_str())
        .expect("a practice of the ICB hosts a session")
        .to_owned();
    let commissioner = ctx.user(&icb, Role::IcbCommissioner);
    // The ICB proposes the practice as Responsible for a duty, through the API.
    let gaps = commissioner
        .api(
            "query ($area: String!) { responsibilityGaps(area: $area, level: LOCAL) { coverage { duty { id title } } } }",
            json!({ "area": practice }),
        )
        .await;
    let duty = &gaps["responsibilityGaps"]["coverage"][0]["duty"];
    let proposed = commissioner
        .api(
            "mutation ($input: ProposeResponsibilityInput!) { proposeResponsibility(input: $input) { aggregateId } }",
            json!({ "input": {
                "dutyId": duty["id"], "areaCode": practice, "level": "LOCAL",
                "assigneeCode": practice, "role": "RESPONSIBLE",
            } }),
        )
        .await;
    let proposal = proposed["proposeResponsibility"]["aggregateId"]
        .as_str()
        .expect("id")
        .to_owned();
    // A partner of the ICB asks the practice to host a session, through the API.
    let partner = all["sessions"]["nodes"]
        .as_array()
        .expect("sessions")
        .iter()
        .filter(|s| s["icb"]["code"] == icb.as_str())
        .find_map(|s| s["partner"]["code"].as_str())
        .expect("a partner works in the ICB")
        .to_owned();
    let day = chrono::Utc::now().date_naive() + chrono::Days::new(7);
    let scheduled = ctx
        .user(&partner, Role::PartnerCoordinator)
        .api(
            "mutation ($input: ScheduleSessionInput!) { scheduleSession(input: $input) { aggregateId } }",
            json!({ "input": {
                "partnerCode": partner, "icbCode": icb, "hostPracticeCode": practice,
                "startsAt": format!("{day}T10:00:00Z"), "endsAt": format!("{day}T12:00:00Z"),
                "capacity": 8, "topics": ["NHS_APP"], "title": "NHS App help at the surgery",
            } }),
        )
        .await;
    let hosting = scheduled["scheduleSession"]["aggregateId"]
        .as_str()
        .expect("id")
        .to_owned();

    let c = &ctx.client;
    let me = ctx.sign_in(&practice, Role::PracticeManager).await;
    let inbox = || {
        let me = me.clone();
        async move {
            me.api(
                "{ inbox { total proposals { id } hostingRequests { id } retraining { summary } } }",
                json!({}),
            )
            .await["inbox"]
                .clone()
        }
    };
    // The requests reach the read models a moment after the mutations return.
    let waiting = {
        let mut waited = 0;
        loop {
            let now = inbox().await;
            let there = strings(&now["proposals"], "id").contains(&proposal)
                && strings(&now["hostingRequests"], "id").contains(&hosting);
            if there || waited > 50 {
                break now;
            }
            waited += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let page = ctx.open("/inbox").await;
    let things = waiting["total"].as_u64().expect("total");
    assert!(
        page.contains(&format!("{things} thing")),
        "the inbox's total: {page}"
    );
    // The platform changes the total counts are listed too.
    for summary in strings(&waiting["retraining"], "summary") {
        assert!(page.contains(&summary), "{summary}: {page}");
    }
    let title = duty["title"].as_str().expect("title");
    assert!(page.contains(title), "{page}");
    ctx.shot("inbox").await;
    follow(
        c,
        &format!("//form[input[@name='id' and @value='{proposal}']]//button[starts-with(normalize-space(), 'Accept')]"),
    )
    .await;
    let page = ctx.checked("the inbox after accepting").await;
    assert!(page.contains("You accepted the duty."), "{page}");
    let after = inbox().await;
    assert!(!strings(&after["proposals"], "id").contains(&proposal));
    assert_eq!(after["total"].as_u64(), Some(things - 1));
    follow(
        c,
        &format!("//form[input[@name='id' and @value='{hosting}']]//button[starts-with(normalize-space(), 'Confirm hosting')]"),
    )
    .await;
    let page = ctx.checked("the inbox after confirming hosting").await;
    assert!(
        page.contains("You confirmed hosting the session."),
        "{page}"
    );
    let after = inbox().await;
    assert!(!strings(&after["hostingRequests"], "id").contains(&hosting));
    assert_eq!(after["total"].as_u64(), Some(things - 2));

    // This week's facilitation, in one form.
    ctx.open("/facilitation").await;
    let week = attribute(c, "#week", "value").await;
    let mix = || {
        let (ctx, me, practice) = (ctx.clone(), me.clone(), practice.clone());
        async move {
            let rows = ctx.export("facilitationMix.totals.byMode").await;
            // The same week the page's link asks for.
            let href = attribute(
                &ctx.client,
                "main a[href^='/export/facilitationMix']",
                "href",
            )
            .await;
            let from = href
                .split("from=")
                .nth(1)
                .and_then(|rest| rest.split('&').next())
                .expect("a week in the link")
                .to_owned();
            let api = me
                .api(
                    "query ($w: String, $f: NaiveDate) { facilitationMix(within: $w, from: $f, to: $f) { totals { byMode { key records } } } }",
                    json!({ "w": practice, "f": from }),
                )
                .await;
            (rows, api)
        }
    };
    // Before anything is recorded this week the page has no figures to download.
    let records_before = if c
        .find(Locator::Css("main a[href^='/export/facilitationMix']"))
        .await
        .is_ok()
    {
        records(&mix().await.0)
    } else {
        assert_eq!(
            text(c, "#week-figures").await,
            "Nothing is recorded for this week yet."
        );
        0
    };
    click(c, "(//main//input[@name='mode'])[last()]").await;
    for select in ["service", "channel", "deliveredBy"] {
        click(
            c,
            &format!("//main//select[@id='{select}']/option[@value!=''][1]"),
        )
        .await;
    }
    click(c, "(//main//input[@name='patientGroups'])[1]").await;
    fill(c, "patientsSupported", "12").await;
    fill(c, "registeredForNhsApp", "5").await;
    ctx.submit("Record this help").await;
    let page = ctx.checked("facilitation after recording").await;
    assert!(page.contains(&week), "{page}");
    let mode = c.find(Locator::Css("main input[name=mode]")).await.is_ok();
    assert!(mode, "the form is there for the next record");
    let (rows_after, api_after) = mix().await;
    same_rows(
        "facilitation by mode",
        &rows_after,
        &["mode", "records"],
        &api_after["facilitationMix"]["totals"]["byMode"],
        &["key", "records"],
    );
    assert_eq!(records(&rows_after), records_before + 1, "{rows_after:?}");
    ctx.shot("facilitation").await;

    // Staff in post and training: a member of staff, by a reference, through the first
    // programme the page lists, and the CSV checked against the API before and after.
    let page = ctx.open("/staff").await;
    assert!(page.contains("Staff and training"), "{page}");
    let programme = me
        .api(
            "{ programmes(first: 100) { nodes { id code moduleIds audienceRoles } } }",
            json!({}),
        )
        .await["programmes"]["nodes"][0]
        .clone();
    let (id, code) = (cell(&programme["id"]), cell(&programme["code"]));
    let role = cell(&programme["audienceRoles"][0]);
    let by_role = || {
        let (ctx, me, practice, code, role) = (
            ctx.clone(),
            me.clone(),
            practice.clone(),
            code.clone(),
            role.clone(),
        );
        async move {
            let rows = ctx.export("trainingRollout.totals.byRole").await;
            let api = me
                .api(
                    "query ($p: String!, $w: String!) { trainingRollout(programme: $p, groupBy: PRACTICE, within: $w) { totals { byRole { role enrolled completed staffInPost } } } }",
                    json!({ "p": code, "w": practice }),
                )
                .await;
            let list = api["trainingRollout"]["totals"]["byRole"].clone();
            same_rows(
                "staff training by role",
                &rows,
                &["role", "staff_in_post", "enrolled", "completed"],
                &list,
                &["role", "staffInPost", "enrolled", "completed"],
            );
            let figure = |name: &str| {
                list.as_array()
                    .into_iter()
                    .flatten()
                    .find(|r| r["role"] == role.as_str())
                    .and_then(|r| r[name].as_u64())
                    .unwrap_or(0)
            };
            [
                figure("staffInPost"),
                figure("enrolled"),
                figure("completed"),
            ]
        }
    };
    let [_, enrolled, completed] = by_role().await;
    click(
        c,
        &format!("//main//select[@id='staffRole']/option[@value='{role}']"),
    )
    .await;
    fill(c, "headcount", "17").await;
    ctx.submit("Record staff in post").await;
    let page = ctx.checked("staff after staff in post").await;
    assert!(page.contains("The staff in post are recorded."), "{page}");
    fill(c, "enrolStaffRef", "JRN-01").await;
    click(
        c,
        &format!("//main//select[@id='enrolStaffRole']/option[@value='{role}']"),
    )
    .await;
    click(
        c,
        &format!("//main//select[@id='programmeId']/option[@value='{id}']"),
    )
    .await;
    ctx.submit("Record the enrolment").await;
    let page = ctx.checked("staff after enrolling").await;
    assert!(page.contains("The enrolment is recorded."), "{page}");
    let modules = programme["moduleIds"].as_array().expect("modules");
    let finished = modules
        .iter()
        .map(|m| format!("{id}:{}", cell(m)))
        .chain(std::iter::once(id.clone()));
    for value in finished {
        fill(c, "staffRef", "JRN-01").await;
        click(
            c,
            &format!("//main//select[@id='finished']/option[@value='{value}']"),
        )
        .await;
        ctx.submit("Record the training").await;
        let page = ctx.checked("staff after a completion").await;
        assert!(
            page.contains("The completed training is recorded."),
            "{page}"
        );
    }
    assert_eq!(
        by_role().await,
        [17, enrolled + 1, completed + 1],
        "the {role} row of {code} after the forms"
    );
    ctx.shot("staff").await;

    // A usability problem, reported.
    ctx.open("/usability").await;
    let description = REPORTED;
    click(c, "//main//select[@id='platformId']/option[@value!=''][1]").await;
    click(c, "(//main//input[@name='category'])[1]").await;
    click(c, "(//main//input[@name='severity'])[last()]").await;
    fill(c, "description", description).await;
    ctx.submit("Send the report").await;
    let page = ctx.checked("usability after reporting").await;
    assert!(page.contains(description), "{page}");
    ctx.shot("usability").await;
}

/// The provider: the issue the practice just reported, acknowledged then resolved; a
/// change that needs retraining announced; training material published; the issues' CSV.
async fn provider(ctx: Ctx) {
    let issues = ctx
        .national_lead()
        .api(
            "{ platformIssues(first: 500) { nodes { id status description reportedAt platform { provider { code } } } } }",
            json!({}),
        )
        .await;
    let latest = issues["platformIssues"]["nodes"]
        .as_array()
        .expect("issues")
        .iter()
        .filter(|i| i["description"].as_str().is_some_and(|d| d == REPORTED))
        .max_by_key(|i| i["reportedAt"].as_str().unwrap_or_default().to_owned())
        .expect("the practice's report")
        .clone();
    let provider = latest["platform"]["provider"]["code"]
        .as_str()
        .expect("provider")
        .to_owned();
    let id = latest["id"].as_str().expect("id").to_owned();
    let c = &ctx.client;
    let me = ctx.sign_in(&provider, Role::ProviderAdmin).await;

    let page = ctx.open("/provider/issues").await;
    let description = latest["description"].as_str().expect("description");
    assert!(page.contains(description), "{page}");
    let rows = ctx.export("platformIssues").await;
    let mine = me
        .api(
            "query ($p: String) { platformIssues(provider: $p, first: 500) { nodes { id status } } }",
            json!({ "p": provider }),
        )
        .await;
    same_rows(
        "platform issues",
        &rows,
        &["issue_id", "status"],
        &mine["platformIssues"]["nodes"],
        &["id", "status"],
    );
    ctx.shot("provider-issues").await;

    let status = || {
        let me = me.clone();
        let (provider, id) = (provider.clone(), id.clone());
        async move {
            let all = me
                .api(
                    "query ($p: String) { platformIssues(provider: $p, first: 500) { nodes { id status } } }",
                    json!({ "p": provider }),
                )
                .await;
            all["platformIssues"]["nodes"]
                .as_array()
                .expect("issues")
                .iter()
                .find(|i| i["id"] == id.as_str())
                .map(|i| cell(&i["status"]))
                .expect("the issue")
        }
    };
    follow(
        c,
        &format!("//form[input[@name='id' and @value='{id}']]//button[starts-with(normalize-space(), 'Acknowledge')]"),
    )
    .await;
    ctx.checked("issues after acknowledging").await;
    assert_eq!(status().await, "ACKNOWLEDGED");
    let resolution = format!("resolution-{id}");
    fill(c, &resolution, "The button is back on the home screen").await;
    follow(
        c,
        &format!("//form[input[@name='id' and @value='{id}']]//button[starts-with(normalize-space(), 'Resolve')]"),
    )
    .await;
    let page = ctx.checked("issues after resolving").await;
    assert_eq!(status().await, "RESOLVED");
    let (waiting, resolved) = page
        .split_once("\nResolved\n")
        .unwrap_or_else(|| panic!("no Resolved section: {page}"));
    assert!(resolved.contains(description), "{page}");
    assert!(!waiting.contains(description), "{page}");

    // A change that needs retraining, announced.
    ctx.open("/provider/changes").await;
    let summary = "Repeat prescriptions move to their own tab";
    click(c, "//main//select[@id='platformId']/option[@value!=''][1]").await;
    let soon = chrono::Utc::now().date_naive() + chrono::Days::new(30);
    fill(c, "effectiveDate", &soon.to_string()).await;
    fill(c, "summary", summary).await;
    click(c, "//main//input[@name='retrainingRequired']").await;
    click(c, "(//main//input[@name='rolesAffected'])[1]").await;
    ctx.submit("Announce the change").await;
    let page = ctx.checked("changes after announcing").await;
    assert!(page.contains(summary), "{page}");

    // Training material for it, published.
    ctx.open("/provider/materials").await;
    let title = "Finding repeat prescriptions in their new tab";
    click(c, "//main//select[@id='platformId']/option[@value!=''][1]").await;
    fill(c, "title", title).await;
    fill(c, "url", "https://example.org/guide").await;
    click(c, "(//main//input[@name='formats'])[1]").await;
    fill(c, "languages", "en").await;
    click(c, "(//main//input[@name='audienceRoles'])[1]").await;
    ctx.submit("Publish the material").await;
    let page = ctx.checked("materials after publishing").await;
    assert!(page.contains(title), "{page}");
}

type Journey = fn(Ctx) -> BoxFuture<'static, ()>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_user_does_their_job_in_the_browser_against_difacto_dev() {
    let dir = tempfile::tempdir().expect("dir");
    let dev = Dev::launch(
        dir.path(),
        &["--demo", "--demo-scale", "tiny", "--demo-seed", SEED],
        &[("CI", "1")],
        "difacto ready",
    );
    eprintln!(
        "difacto dev --demo --demo-scale tiny ready in {:?}",
        dev.ready_in
    );
    let driver = Arc::new(start_driver().await);
    let shots = std::env::var_os("DIFACTO_SCREENSHOTS").map(|_| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
        std::fs::create_dir_all(&dir).expect("docs/screenshots");
        dir
    });
    // In this order: the provider answers what the practice reported.
    let journeys: [(&str, Journey); 5] = [
        ("commissioner", |ctx| Box::pin(commissioner(ctx))),
        ("national and regional lead", |ctx| {
            Box::pin(national_lead(ctx))
        }),
        ("partner", |ctx| Box::pin(partner(ctx))),
        ("practice manager", |ctx| Box::pin(practice_manager(ctx))),
        ("provider", |ctx| Box::pin(provider(ctx))),
    ];
    let mut failed = Vec::new();
    for (role, journey) in journeys {
        let profile = tempfile::tempdir().expect("profile dir");
        let client = browser(&driver, profile.path()).await;
        let ctx = Ctx {
            origin: format!("http://{}", dev.http_addr),
            addr: dev.http_addr.clone(),
            driver: driver.clone(),
            client: client.clone(),
            shots: shots.clone(),
        };
        let outcome =
            tokio::spawn(async move { bounded(JOURNEY, &client, journey(ctx)).await }).await;
        match outcome {
            Ok(took) => eprintln!("journey of the {role}: passed in {took:.1?}"),
            Err(e) => {
                eprintln!("journey of the {role}: FAILED");
                failed.push(role);
                if let Ok(panic) = e.try_into_panic() {
                    let why = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default();
                    eprintln!("  {why}");
                }
            }
        }
    }
    assert!(failed.is_empty(), "journeys that failed: {failed:?}");
}
