//! The web app in-process (DESIGN.md §10): the vendored files and GraphiQL served with
//! nothing from another origin, signing in with the development form (CSRF on every
//! POST), a session that is exactly the caller a bearer token makes, the responsibility
//! map and the CSV export answering what the API answers.

use std::sync::Arc;

use auth::{DEFAULT_AUDIENCE, DEFAULT_ISSUER, Role, TokenIssuer, TokenVerifier};
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use gateway::http::Gateway;
use gateway::web::WebConfig;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::world::{World, world};

pub(crate) const SECRET: &[u8] = b"web-test-secret-0123456789abcdef";

pub(crate) struct Site {
    pub(crate) router: axum::Router,
    pub(crate) world: World,
    /// The verifier of the site's tokens, for tests that make their own callers.
    pub(crate) verifier: Arc<TokenVerifier>,
    /// The domain services behind the mutations, when the test writes.
    _served: Option<handlers::testing::Served>,
}

pub(crate) async fn site() -> Site {
    site_on(world().await, None)
}

/// The site with the domain services serving its log, for pages whose forms write.
pub(crate) async fn live_site() -> Site {
    let served = handlers::testing::Served::start(SECRET).await;
    let log: Arc<dyn eventlog::EventLog> = served.log.clone();
    let endpoints = gateway::services::DomainEndpoints::from_channel(served.channel.clone());
    let world = crate::world::world_on(log, endpoints, None).await;
    site_on(world, Some(served))
}

fn site_on(world: World, served: Option<handlers::testing::Served>) -> Site {
    let verifier = Arc::new(TokenVerifier::hs256(
        SECRET,
        DEFAULT_ISSUER,
        DEFAULT_AUDIENCE,
    ));
    let router = Gateway::new(
        world.schema.clone(),
        verifier.clone(),
        world.projection.clone(),
    )
    .with_web(WebConfig::development(
        SECRET,
        DEFAULT_ISSUER,
        DEFAULT_AUDIENCE,
    ))
    .router();
    Site {
        router,
        world,
        verifier,
        _served: served,
    }
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: String,
}

impl Answer {
    /// The session cookie this answer sets (`name=value`), if any.
    pub(crate) fn cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("difacto_session="))
            .map(|v| v.split(';').next().unwrap_or_default().to_owned())
    }

    /// Asserts the page says `text`, showing the page when it does not.
    #[track_caller]
    pub(crate) fn shows(&self, text: &str) {
        assert!(self.body.contains(text), "{text}: {}", self.body);
    }

    /// Asserts the page names an error next to `field` and links to it from the summary.
    #[track_caller]
    pub(crate) fn shows_error_at(&self, field: &str) {
        self.shows(&format!("id=\"{field}-error\""));
        self.shows(&format!("href=\"#{field}\""));
    }

    /// Asserts the form came back with `typed` still in a field.
    #[track_caller]
    pub(crate) fn keeps(&self, typed: &str) {
        assert!(
            self.body.contains(&format!("value=\"{typed}\"")),
            "the form keeps what was typed: {}",
            self.body
        );
    }

    /// Asserts the answer is `status`, showing the page when it is not.
    #[track_caller]
    pub(crate) fn assert_status(&self, status: StatusCode) {
        assert_eq!(self.status, status, "{}", self.body);
    }

    /// Where this redirect leads.
    pub(crate) fn location(&self) -> &str {
        self.headers[header::LOCATION].to_str().expect("location")
    }

    /// The CSRF token of the page's first form.
    pub(crate) fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker).expect("a form with a CSRF token") + marker.len();
        let end = self.body[start..]
            .find('"')
            .expect("the token's closing quote");
        self.body[start..start + end].to_owned()
    }
}

async fn read(response: Response<Body>) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

impl Site {
    /// Waits for the read models to fold everything appended so far.
    pub(crate) async fn caught_up(&self) {
        self.world
            .projection
            .catch_up(std::time::Duration::from_secs(10))
            .await
            .expect("caught up");
    }

    pub(crate) async fn get(&self, path: &str, cookie: Option<&str>) -> Answer {
        let mut request = Request::get(path);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).expect("request"))
            .await
    }

    async fn get_with_bearer(&self, path: &str, token: &str) -> Answer {
        let request = Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request");
        self.send(request).await
    }

    pub(crate) async fn post(&self, path: &str, cookie: Option<&str>, form: &str) -> Answer {
        let mut request =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(form.to_owned())).expect("request"))
            .await
    }

    /// `request` answered by the site, read whole.
    pub(crate) async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await;
        read(response.expect("infallible")).await
    }

    /// Signs in as `role` of `org` with the development form; the session cookie.
    pub(crate) async fn sign_in(&self, org: &str, role: &str) -> String {
        let form = self.get("/signin", None).await;
        let cookie = form.cookie().expect("a session for the sign-in form");
        let done = self
            .post(
                "/signin/dev",
                Some(&cookie),
                &format!("org={org}&role={role}&csrf={}", form.csrf()),
            )
            .await;
        done.assert_status(StatusCode::SEE_OTHER);
        done.cookie().expect("a signed-in session")
    }
}

/// A signed-in browser: its session cookie and the CSRF token of a page it was shown,
/// which every form of that session takes.
pub(crate) struct Visitor<'a> {
    site: &'a Site,
    session: String,
    csrf: String,
}

impl<'a> Visitor<'a> {
    /// The browser holding `session` that was shown `page`, whose form's token it sends.
    pub(crate) fn new(site: &'a Site, session: &str, page: &Answer) -> Self {
        Self {
            site,
            session: session.to_owned(),
            csrf: page.csrf(),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.site.get(path, Some(&self.session)).await
    }

    /// Submits `form` (`field=value&…`) to `path` with the session's CSRF token.
    pub(crate) async fn post(&self, path: &str, form: &str) -> Answer {
        let form = if form.is_empty() {
            format!("csrf={}", self.csrf)
        } else {
            format!("csrf={}&{form}", self.csrf)
        };
        self.post_without_token(path, &form).await
    }

    /// Submits `form` with the session's cookie alone, as a forged request would.
    pub(crate) async fn post_without_token(&self, path: &str, form: &str) -> Answer {
        self.site.post(path, Some(&self.session), form).await
    }

    /// Asserts `answer` redirects (303 See Other) and opens where it leads.
    pub(crate) async fn follow(&self, answer: &Answer) -> Answer {
        answer.assert_status(StatusCode::SEE_OTHER);
        self.get(answer.location()).await
    }
}

/// Every `src="…"`, `href="…"` and `url(…)` of a page or stylesheet.
fn references(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for marker in ["src=\"", "href=\"", "url("] {
        let mut rest = text;
        while let Some(at) = rest.find(marker) {
            rest = &rest[at + marker.len()..];
            let end = rest.find(['"', ')']).unwrap_or(rest.len());
            out.push(rest[..end].trim_matches(['\'', '"']).to_owned());
        }
    }
    out
}

/// Nothing in `text` names another origin: no scheme, no protocol-relative URL.
pub(crate) fn assert_one_origin(what: &str, text: &str) {
    for needle in ["http://", "https://", "src=\"//", "href=\"//", "url(//"] {
        assert!(
            !text.contains(needle),
            "{what} names another origin ({needle}): …{}…",
            text.find(needle)
                .and_then(|at| text.get(at.saturating_sub(80)..(at + 80).min(text.len())))
                .unwrap_or_default()
        );
    }
}

#[tokio::test]
async fn assets_are_embedded_typed_and_cached_by_version() {
    let site = site().await;
    let url = gateway::web::assets::url("vendor/nhsuk-frontend/nhsuk-frontend.min.css");
    let css = site.get(&url, None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert_eq!(
        css.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_one_origin("nhsuk-frontend.min.css", &css.body);
    // The icons the stylesheet names are served too.
    for icon in references(&css.body)
        .into_iter()
        .filter(|r| !r.starts_with("data:"))
    {
        assert_eq!(site.get(&icon, None).await.status, StatusCode::OK, "{icon}");
    }
    // Gzipped for a browser that says it takes it.
    let request = Request::get(&url)
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .expect("request");
    let zipped = site
        .router
        .clone()
        .oneshot(request)
        .await
        .expect("infallible");
    assert_eq!(zipped.headers()[header::CONTENT_ENCODING], "gzip");
    let zipped = zipped.into_body().collect().await.expect("body").to_bytes();
    assert!(
        zipped.len() * 5 < css.body.len(),
        "{} bytes gzipped",
        zipped.len()
    );
    let js = site
        .get("/assets/vendor/graphiql/graphiql.min.js", None)
        .await;
    assert_eq!(
        js.headers[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(js.headers[header::CACHE_CONTROL], "public, max-age=3600");
    let etag = js.headers[header::ETAG].to_str().expect("etag").to_owned();
    let request = Request::get("/assets/vendor/graphiql/graphiql.min.js")
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .expect("request");
    let again = site.send(request).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    // Only the tests inject axe-core; nothing else of the package is served.
    for missing in [
        "/assets/vendor/axe-core/axe.min.js",
        "/assets/../Cargo.toml",
        "/assets/vendor/nope.js",
    ] {
        assert_eq!(
            site.get(missing, None).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
}

#[tokio::test]
async fn graphiql_loads_only_what_difacto_serves() {
    let site = site().await;
    let page = site.get("/graphiql", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("csp")
            .starts_with("default-src 'self'")
    );
    assert_one_origin("/graphiql", &page.body);
    let refs = references(&page.body);
    assert!(
        refs.iter().any(|r| r.contains("graphiql.min.js")),
        "{refs:?}"
    );
    for r in refs {
        assert!(r.starts_with("/assets/"), "{r}");
        let asset = site.get(&r, None).await;
        assert_eq!(asset.status, StatusCode::OK, "{r}");
        if r.contains(".css") {
            assert_one_origin(&r, &asset.body);
        }
    }
}

/// Pages are gzipped for browsers that take it, which is safe only because no two pages
/// carry the CSRF token alike (BREACH): each shows it masked afresh, and each mask works.
#[tokio::test]
async fn pages_are_compressed_and_each_masks_the_csrf_token_afresh() {
    let site = site().await;
    let first = site.get("/signin", None).await;
    let cookie = first.cookie().expect("a session");
    let again = site.get("/signin", Some(&cookie)).await;
    assert_ne!(first.csrf(), again.csrf());
    for token in [first.csrf(), again.csrf()] {
        let signed_in = site
            .post(
                "/signin/dev",
                Some(&cookie),
                &format!("org=QWO&role=icb_commissioner&csrf={token}"),
            )
            .await;
        signed_in.assert_status(StatusCode::SEE_OTHER);
    }
    let request = Request::get("/signin")
        .header(header::COOKIE, &cookie)
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .expect("request");
    let gzipped = site.send(request).await;
    assert_eq!(gzipped.status, StatusCode::OK);
    assert_eq!(gzipped.headers[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn signing_in_needs_the_forms_csrf_token_and_names_bad_fields() {
    let site = site().await;
    let form = site.get("/signin", None).await;
    assert_eq!(form.status, StatusCode::OK);
    let set = form.headers[header::SET_COOKIE]
        .to_str()
        .expect("cookie")
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attribute), "{set}");
    }
    let cookie = form.cookie().expect("a session");
    // No token, a wrong token, no session: 403 and nobody signed in.
    for (cookie, body) in [
        (
            Some(cookie.as_str()),
            "org=QWO&role=icb_commissioner".to_owned(),
        ),
        (
            Some(cookie.as_str()),
            format!("org=QWO&role=icb_commissioner&csrf={}", "0".repeat(64)),
        ),
        (
            None,
            format!("org=QWO&role=icb_commissioner&csrf={}", form.csrf()),
        ),
    ] {
        let refused = site.post("/signin/dev", cookie, &body).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{body}");
        assert!(refused.cookie().is_none() || cookie.is_none());
    }
    // Bad fields are named next to the field, and the form keeps what was typed.
    let bad = site
        .post(
            "/signin/dev",
            Some(&cookie),
            &format!("org=nope&role=wizard&csrf={}", form.csrf()),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    bad.shows("id=\"org-error\"");
    bad.shows("No organisation has the code NOPE");
    bad.shows("id=\"role-error\"");
    bad.keeps("NOPE");
    // Searching by name finds the organisation's code.
    let found = site.get("/signin?search=a81", Some(&cookie)).await;
    assert!(found.body.contains("A81001") && found.body.contains("A81002"));
    // Signed in, the home page says who and what they can do; a sign-out without the
    // token is refused, with it the session ends.
    let session = site.sign_in("QWO", "icb_commissioner").await;
    assert_ne!(session, cookie, "a sign-in starts a new session");
    let home = site.get("/", Some(&session)).await;
    home.shows("Signed in as ICB commissioner for QWO");
    home.shows("href=\"/responsibility\"");
    let csrf = home.csrf();
    assert_eq!(
        site.post("/signout", Some(&session), "").await.status,
        StatusCode::FORBIDDEN
    );
    let out = site
        .post("/signout", Some(&session), &format!("csrf={csrf}"))
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = out.cookie().expect("a new session");
    assert!(
        site.get("/", Some(&after))
            .await
            .body
            .contains("Sign in to difacto")
    );
}

#[tokio::test]
async fn a_session_is_the_caller_its_bearer_token_would_be() {
    let site = site().await;
    let session = site.sign_in("QWO", "icb_commissioner").await;
    let token = TokenIssuer::hs256(SECRET, DEFAULT_ISSUER, DEFAULT_AUDIENCE)
        .mint(
            "someone",
            "QWO",
            &[Role::IcbCommissioner],
            std::time::Duration::from_secs(60),
        )
        .expect("token");
    // The same page for either, but for the session's own CSRF token.
    let by_cookie = site
        .get("/responsibility?area=U00001", Some(&session))
        .await;
    let by_token = site
        .get_with_bearer("/responsibility?area=U00001", &token)
        .await;
    by_cookie.assert_status(StatusCode::OK);
    assert_eq!(
        by_cookie.body.replace(&by_cookie.csrf(), ""),
        by_token.body.replace(&by_token.csrf(), "")
    );
    // The export too, byte for byte.
    let by_cookie = site
        .get("/export/responsibilityGaps.csv?area=QWO", Some(&session))
        .await;
    let by_token = site
        .get_with_bearer("/export/responsibilityGaps.csv?area=QWO", &token)
        .await;
    by_cookie.assert_status(StatusCode::OK);
    assert_eq!(by_cookie.body, by_token.body);
    // /graphql takes the session for a JSON POST, and only then.
    let ask = |json: bool| {
        let mut request = Request::post("/graphql").header(header::COOKIE, &session);
        if json {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        request
            .body(Body::from(
                r#"{"query":"{ organisation(code: \"QWO\") { code } }"}"#,
            ))
            .expect("request")
    };
    let answer = site.send(ask(true)).await;
    answer.shows("\"QWO\"");
    assert!(!answer.body.contains("UNAUTHENTICATED"), "{}", answer.body);
    let answer = site.send(ask(false)).await;
    assert!(!answer.body.contains("\"QWO\""), "{}", answer.body);
}

#[tokio::test]
async fn the_responsibility_map_shows_what_the_api_answers() {
    let site = site().await;
    let signed_out = site.get("/responsibility", None).await;
    assert_eq!(signed_out.status, StatusCode::UNAUTHORIZED);
    let session = site.sign_in("QWO", "icb_commissioner").await;
    let map = site.get("/responsibility", Some(&session)).await;
    map.assert_status(StatusCode::OK);
    assert_one_origin("/responsibility", &map.body);
    map.shows("NHS App sign-up support");
    // Flags in words as well as colours, and the drill-down to the PCN.
    map.shows("nhsuk-tag nhsuk-tag--red\">No one accountable");
    map.shows("href=\"/responsibility?area=U00001\"");
    // The API's own answer for the same caller: 2 practices, none covered, both
    // without an accountable owner.
    let answer = site
        .world
        .schema
        .execute(
            async_graphql::Request::new(
                r#"{ responsibilityGaps(area: "QWO") { coverage { level units counts { flag units } } } }"#,
            )
            .data(crate::world::verified("QWO", &[Role::IcbCommissioner])),
        )
        .await;
    let answer = serde_json::to_value(&answer).expect("json");
    let local = &answer["data"]["responsibilityGaps"]["coverage"][0];
    assert_eq!(local["units"], 2, "{answer}");
    let csv = site
        .get("/export/responsibilityGaps.csv?area=QWO", Some(&session))
        .await;
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next(),
        Some(
            "duty_id,duty,level,units,missing_responsible,missing_accountable,contested,declined,pending,misattributed,covered"
        )
    );
    let row: Vec<&str> = lines.next().expect("a row").split(',').collect();
    assert_eq!(row[1], "NHS App sign-up support");
    assert_eq!(row[2], local["level"].as_str().expect("level"));
    assert_eq!(row[3], local["units"].to_string());
    let count = |flag: &str| {
        local["counts"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["flag"] == flag))
            .map(|c| c["units"].to_string())
            .expect("count")
    };
    assert_eq!(row[5], count("MISSING_ACCOUNTABLE"));
    assert_eq!(row[10], count("COVERED"));
    // A bad area is named next to its field.
    let bad = site.get("/responsibility?area=ZZZ", Some(&session)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    bad.shows("id=\"area-error\"");
}

#[tokio::test]
async fn exports_refuse_what_the_api_refuses() {
    let site = site().await;
    let nobody = site
        .get("/export/responsibilityGaps.csv?area=QWO", None)
        .await;
    assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);
    assert_eq!(nobody.headers[header::WWW_AUTHENTICATE], "Bearer");
    let nobody = site.get("/export/responsibilityGaps.csv", None).await;
    nobody.assert_status(StatusCode::UNAUTHORIZED);
    let session = site.sign_in("QWO", "icb_commissioner").await;
    let unknown = site.get("/export/secrets.csv", Some(&session)).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let bad = site
        .get("/export/responsibilityGaps.csv?sort=name", Some(&session))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.starts_with("sort: not a parameter"),
        "{}",
        bad.body
    );
    // Every argument the table declares is accepted with its GraphQL type.
    let today = chrono::Utc::now().date_naive();
    let filtered = site
        .get(
            &format!("/export/responsibilityGaps.csv?area=QWO&level=LOCAL&onDate={today}"),
            Some(&session),
        )
        .await;
    filtered.assert_status(StatusCode::OK);
    assert_eq!(filtered.body.lines().count(), 2, "{}", filtered.body);
    // The caller's own area when none is named.
    let own = site
        .get("/export/responsibilityGaps.csv", Some(&session))
        .await;
    own.assert_status(StatusCode::OK);
    assert!(
        own.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .expect("disposition")
            .contains("responsibilityGaps-QWO.csv")
    );
}

#[tokio::test]
async fn no_page_names_another_origin() {
    let site = site().await;
    let session = site.sign_in("QWO", "icb_commissioner").await;
    for (path, cookie) in [
        ("/", None),
        ("/signin", None),
        ("/graphiql", None),
        ("/", Some(session.as_str())),
        ("/responsibility", Some(session.as_str())),
        ("/responsibility?area=U00001", Some(session.as_str())),
    ] {
        let page = site.get(path, cookie).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_one_origin(path, &page.body);
        for r in references(&page.body)
            .into_iter()
            .filter(|r| r.starts_with("/assets/"))
        {
            let asset = site.get(&r, None).await;
            assert_eq!(asset.status, StatusCode::OK, "{r}");
            if r.contains(".css") {
                assert_one_origin(&r, &asset.body);
            }
        }
    }
}

/// What the events socket answers a browser that opens it with `cookie` from a page of
/// `origin`: `None` when it acknowledges, else its close code.
async fn socket_answer(
    addr: std::net::SocketAddr,
    cookie: &str,
    origin: Option<&str>,
) -> Option<u16> {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .expect("request");
    let headers = request.headers_mut();
    headers.insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    headers.insert(header::COOKIE, cookie.parse().expect("header"));
    if let Some(origin) = origin {
        headers.insert(header::ORIGIN, origin.parse().expect("header"));
    }
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    let init = serde_json::json!({ "type": "connection_init", "payload": {} });
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .expect("send");
    let answer = tokio::time::timeout(std::time::Duration::from_secs(5), socket.next())
        .await
        .expect("an answer within 5 s");
    match answer {
        Some(Ok(Message::Close(Some(frame)))) => Some(u16::from(frame.code)),
        Some(Ok(Message::Text(text))) => {
            assert!(text.contains("connection_ack"), "{text}");
            None
        }
        other => panic!("unexpected answer: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_listens_with_its_session_and_another_site_cannot() {
    let site = site().await;
    let cookie = site.sign_in("QWO", "icb_commissioner").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let served = tokio::spawn(axum::serve(listener, site.router.clone()).into_future());
    let ours = format!("http://{addr}");

    assert_eq!(
        socket_answer(addr, &cookie, Some(&ours)).await,
        None,
        "our own page"
    );
    // A page of another site has the browser send the same cookie: refused.
    assert_eq!(
        socket_answer(addr, &cookie, Some("http://attacker.example")).await,
        Some(gateway::subscription::CLOSE_UNAUTHENTICATED)
    );
    assert_eq!(
        socket_answer(
            addr,
            &cookie,
            Some(&format!("http://{addr}.attacker.example"))
        )
        .await,
        Some(gateway::subscription::CLOSE_UNAUTHENTICATED)
    );
    // No Origin (not a browser): the cookie alone admits nobody; a token must be sent.
    assert_eq!(
        socket_answer(addr, &cookie, None).await,
        Some(gateway::subscription::CLOSE_UNAUTHENTICATED)
    );
    // Signed out: the session holds no token.
    let signed_out = site.get("/signin", None).await.cookie().expect("a session");
    assert_eq!(
        socket_answer(addr, &signed_out, Some(&ours)).await,
        Some(gateway::subscription::CLOSE_UNAUTHENTICATED)
    );
    served.abort();
}

#[tokio::test]
async fn pages_that_change_say_what_they_listen_for_and_what_to_refresh() {
    let site = site().await;
    let cookie = site.sign_in("A81001", "practice_manager").await;
    let inbox = site.get("/inbox", Some(&cookie)).await;
    assert_eq!(inbox.status, StatusCode::OK);
    inbox.shows("data-live-types=\"ResponsibilityProposed,");
    inbox.shows("id=\"live-inbox\" data-live");
    for page in ["/staff", "/facilitation"] {
        let body = site.get(page, Some(&cookie)).await.body;
        assert!(!body.contains("data-live-"), "{page} listens for nothing");
    }
}
