//! Signing in to the web app through a real OpenID provider (DESIGN.md §10), end to end:
//! npm's `oidc-provider` (`tests/oidc/provider.mjs`, installed by
//! `scripts/install-test-node-deps`) on a free port, the real `difacto dev` configured for
//! it, and an HTTP client that keeps cookies and posts the provider's login and consent
//! forms as a browser would. Checked: the mapped organisation and role are who the pages
//! show; a tampered state, a replayed code, an account with no usable role and one of an
//! unknown organisation get no session; the development form is refused; sign-out ends
//! the session and sends the visitor to the provider's end_session_endpoint.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth::{KeyAlgorithm, Role, TokenIssuer};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::{StatusCode, Url, header};
use serde_json::json;
use support::gateway::{Dev, data, graphql, token};

const CLIENT_ID: &str = "difacto";
const CLIENT_SECRET: &str = "difacto-test-client-secret";

fn provider_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc")
}

/// The test provider, stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Provider {
    /// Starts it, or says why it cannot: under CI a missing install is a failure, not a
    /// skip.
    fn start() -> Option<Provider> {
        let dir = provider_dir();
        if !dir.join("node_modules/oidc-provider").is_dir() {
            let why = "tests/oidc/node_modules is missing: run scripts/install-test-node-deps";
            assert!(std::env::var("CI").is_err(), "{why}");
            eprintln!("SKIPPED: {why}");
            return None;
        }
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(&dir)
            .env("OIDC_CLIENT_ID", CLIENT_ID)
            .env("OIDC_CLIENT_SECRET", CLIENT_SECRET)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs tests/oidc/provider.mjs (is Node.js installed?)");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(issuer) = line.strip_prefix("issuer=") {
                    let _ = tx.send(issuer.to_owned());
                }
            }
        });
        let issuer = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the provider printed issuer=<url> within 30 s");
        Some(Provider { child, issuer })
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser: cookies kept; redirects followed, except the provider's redirect back to
/// difacto's callback and to the provider's sign-out, where the test looks.
fn browser(jar: Arc<Jar>) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            let path = attempt.url().path();
            if path == "/signin/callback" || path.starts_with("/session/end") {
                attempt.stop()
            } else if attempt.previous().len() > 10 {
                attempt.error("more than 10 redirects")
            } else {
                attempt.follow()
            }
        }))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

/// The first form of `html`: its action and hidden fields.
fn form(html: &str) -> (String, Vec<(String, String)>) {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[start..].find('"')? + start;
        Some(tag[start..end].replace("&amp;", "&"))
    };
    let start = html.find("<form").expect("a form on the page");
    let end = html[start..].find('>').expect("the form tag closes") + start;
    let action = attr(&html[start..end], "action").expect("the form has an action");
    let hidden = html[end..]
        .split("<input")
        .skip(1)
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| Some((attr(tag, "name")?, attr(tag, "value")?)))
        .collect();
    (action, hidden)
}

/// Signs in at the provider as `login`, from difacto's sign-in page to the provider's
/// redirect back; returns the callback URL the provider sent the browser to.
async fn to_callback(client: &reqwest::Client, base: &str, login: &str) -> Url {
    let signin = client
        .get(format!("{base}/signin"))
        .send()
        .await
        .expect("GET /signin");
    let page = signin.text().await.expect("the sign-in page");
    assert!(
        page.contains("Sign in with Test provider") && page.contains("href=\"/signin/oidc\""),
        "the sign-in page offers the issuer's button: {page}"
    );
    assert!(
        !page.contains("/signin/dev"),
        "no development form beside an issuer"
    );

    // The provider's pages, as they come: its login form (unless the browser is already
    // signed in there) and its consent form, until it sends the browser back.
    let mut response = client
        .get(format!("{base}/signin/oidc"))
        .send()
        .await
        .expect("GET /signin/oidc");
    for _ in 0..4 {
        if response.status() != StatusCode::OK {
            break;
        }
        let at = response.url().clone();
        let html = response.text().await.expect("a page of the provider");
        let (action, mut fields) = form(&html);
        if fields.contains(&("prompt".into(), "login".into())) {
            fields.push(("login".into(), login.into()));
            fields.push(("password".into(), "any".into()));
        } else {
            assert!(
                fields.contains(&("prompt".into(), "consent".into())),
                "a login or consent form: {html}"
            );
        }
        response = client
            .post(at.join(&action).expect("the form's URL"))
            .form(&fields)
            .send()
            .await
            .expect("POST the provider's form");
    }
    assert!(
        response.status().is_redirection(),
        "the provider sends the browser back to difacto: {}",
        response.status()
    );
    let location = response.headers()[header::LOCATION]
        .to_str()
        .expect("a Location")
        .to_owned();
    let callback = response.url().join(&location).expect("a callback URL");
    assert_eq!(callback.path(), "/signin/callback");
    assert!(
        callback.as_str().starts_with(base),
        "back to this difacto: {callback}"
    );
    callback
}

/// What `/` says about who is signed in.
async fn home(client: &reqwest::Client, base: &str) -> String {
    client
        .get(format!("{base}/"))
        .send()
        .await
        .expect("GET /")
        .text()
        .await
        .expect("the home page")
}

fn signed_in(home: &str) -> bool {
    home.contains("action=\"/signout\"")
}

fn with_query(url: &Url, name: &str, value: &str) -> Url {
    let mut changed = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    changed.query_pairs_mut().clear().extend_pairs(pairs);
    changed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_through_a_real_openid_provider() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let data_dir = tempfile::tempdir().expect("a temporary directory");
    let dev = Dev::launch(
        data_dir.path(),
        &provider.flags(),
        &[("DIFACTO_OIDC_CLIENT_SECRET", CLIENT_SECRET)],
        "difacto ready",
    );
    let base = format!("http://{}", dev.http_addr);

    // Given the organisation the commissioner's account names.
    register_london(&dev.http_addr, &token("X24", Role::NationalLead)).await;

    let jar = Arc::new(Jar::default());
    let client = browser(jar.clone());
    assert!(!signed_in(&home(&client, &base).await));

    // When the commissioner signs in at the provider, the callback with a tampered state
    // is refused and makes no session.
    let started = Instant::now();
    let callback = to_callback(&client, &base, "commissioner").await;
    let state = callback
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("the callback carries the state");
    let tampered = with_query(&callback, "state", &format!("{state}x"));
    let refused = client
        .get(tampered)
        .send()
        .await
        .expect("GET the tampered callback");
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(
        refused
            .text()
            .await
            .expect("a page")
            .contains("This sign-in was refused")
    );
    assert!(!signed_in(&home(&client, &base).await));
    // The started sign-in is used up by that refusal: the genuine answer now finds
    // nothing to finish.
    let late = client
        .get(callback.clone())
        .send()
        .await
        .expect("GET the callback");
    assert_eq!(late.status(), StatusCode::BAD_REQUEST);
    assert!(!signed_in(&home(&client, &base).await));

    // Then a clean sign-in makes the session of the mapped organisation and role.
    let callback = to_callback(&client, &base, "commissioner").await;
    let pending_cookies = jar
        .cookies(&callback)
        .expect("the browser holds the sign-in cookie")
        .to_str()
        .expect("cookies are text")
        .to_owned();
    assert!(
        pending_cookies.contains("difacto_oidc="),
        "{pending_cookies}"
    );
    let done = client
        .get(callback.clone())
        .send()
        .await
        .expect("GET the callback");
    assert_eq!(done.status(), StatusCode::OK, "redirected home");
    assert_eq!(done.url().path(), "/");
    let page = done.text().await.expect("the home page");
    assert!(signed_in(&page), "signed in: {page}");
    assert!(
        page.contains("ICB commissioner, North Central London ICB (QOP)"),
        "the header names the mapped role and organisation: {page}"
    );
    eprintln!(
        "signed in through the provider in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    // The session is the mapped caller for the API too.
    assert_the_api_answers_qop(&client, &base).await;

    // The development form is refused while an issuer is configured, even with the
    // session's own CSRF token.
    let csrf = form_token(&home(&client, &base).await);
    let dev_form = client
        .post(format!("{base}/signin/dev"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("org", "X24"),
            ("role", "national_lead"),
        ])
        .send()
        .await
        .expect("POST /signin/dev");
    assert_eq!(dev_form.status(), StatusCode::NOT_FOUND);
    assert!(
        home(&client, &base)
            .await
            .contains("ICB commissioner, North Central London ICB (QOP)")
    );

    // A replayed code gets no session: not from this browser (its sign-in is used up),
    // nor from one that kept the sign-in cookie (the provider refuses the code).
    let replay = client
        .get(callback.clone())
        .send()
        .await
        .expect("replay here");
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    let thief = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let stolen = thief
        .get(callback.clone())
        .header(
            header::COOKIE,
            pending_cookies_without_session(&pending_cookies),
        )
        .send()
        .await
        .expect("replay with the sign-in cookie");
    assert_eq!(stolen.status(), StatusCode::BAD_GATEWAY);
    assert!(
        !stolen
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|c| c.to_str().is_ok_and(|c| c.starts_with("difacto_session="))),
        "no session for a replayed code"
    );

    // Sign-out ends the session and sends the browser to the provider's sign-out.
    let page = home(&client, &base).await;
    let csrf = form_token(&page);
    let out = client
        .post(format!("{base}/signout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("POST /signout");
    assert!(out.status().is_redirection(), "{}", out.status());
    let location = out.headers()[header::LOCATION]
        .to_str()
        .expect("a Location")
        .to_owned();
    assert!(
        location.starts_with(&format!("{}/session/end", provider.issuer)),
        "RP-initiated logout at the provider: {location}"
    );
    assert!(
        location.contains(&format!("client_id={CLIENT_ID}")),
        "{location}"
    );
    assert!(!signed_in(&home(&client, &base).await), "signed out");

    // An account with no usable role, and one naming an unknown organisation, get a page
    // saying so and no session.
    for (login, status, says) in [
        (
            "unmapped",
            StatusCode::FORBIDDEN,
            "Your account cannot use difacto",
        ),
        (
            "stranger",
            StatusCode::FORBIDDEN,
            "Your organisation is not in difacto",
        ),
    ] {
        let jar = Arc::new(Jar::default());
        let client = browser(jar);
        let callback = to_callback(&client, &base, login).await;
        let answer = client.get(callback).send().await.expect("GET the callback");
        assert_eq!(answer.status(), status, "{login}");
        let text = answer.text().await.expect("a page");
        assert!(text.contains(says), "{login}: {text}");
        assert!(
            !signed_in(&home(&client, &base).await),
            "{login} is not signed in"
        );
    }

    // A refusal at the provider (the visitor cancels) is a clear page.
    let jar = Arc::new(Jar::default());
    let client = browser(jar);
    let login_page = client
        .get(format!("{base}/signin/oidc"))
        .send()
        .await
        .expect("GET /signin/oidc");
    let at = login_page.url().clone();
    let cancel = at
        .join(&format!("{}/abort", at.path()))
        .expect("the abort URL");
    let back = client
        .get(cancel)
        .send()
        .await
        .expect("cancel at the provider");
    let location = back.headers()[header::LOCATION]
        .to_str()
        .expect("a Location")
        .to_owned();
    let callback = back.url().join(&location).expect("the callback");
    assert!(
        callback.as_str().contains("error=access_denied"),
        "{callback}"
    );
    let answer = client.get(callback).send().await.expect("GET the callback");
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    assert!(
        answer
            .text()
            .await
            .expect("a page")
            .contains("the sign-in was cancelled or Test provider refused it")
    );
    drop(dev);
}

impl Provider {
    /// `difacto dev`'s flags for this provider and its claims.
    fn flags(&self) -> Vec<&str> {
        vec![
            "--oidc-issuer",
            &self.issuer,
            "--oidc-name",
            "Test provider",
            "--oidc-client-id",
            CLIENT_ID,
            "--oidc-scope",
            "difacto",
            "--oidc-org-claim",
            "difacto_org",
            "--oidc-roles-claim",
            "difacto_roles",
        ]
    }
}

/// Registers NHS England, London and North Central London ICB (`QOP`, the commissioner
/// account's organisation) as `national`.
async fn register_london(http_addr: &str, national: &str) {
    for (code, kind, parent, name) in [
        ("X24", "NATIONAL", None, "NHS England"),
        ("Y56", "REGION", Some("X24"), "London"),
        ("QOP", "ICB", Some("Y56"), "North Central London ICB"),
    ] {
        let mut input =
            json!({ "code": code, "kind": kind, "name": name, "effectiveDate": "2020-01-01" });
        if let Some(parent) = parent {
            input["parentCode"] = json!(parent);
        }
        let answer = graphql(
            http_addr,
            Some(national),
            "mutation($input: RegisterOrganisationInput!) { registerOrganisation(input: $input) { aggregateId } }",
            json!({ "input": input }),
        )
        .await;
        assert_eq!(
            data(&answer)["registerOrganisation"]["aggregateId"],
            code,
            "{answer}"
        );
    }
}

/// The auth crate's test keys.
fn key_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../auth/tests/fixtures")
        .join(name)
}

/// A deployment that checks tokens with a public key gives the gateway its private half
/// (`--jwt-signing-key`): a session made through the provider then carries a token the
/// public key accepts. A signing key that is not that half is refused at start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_key_deployment_signs_web_sessions_with_its_private_half() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let public = key_fixture("ed25519-public.pem");
    let private = key_fixture("ed25519-private.pem");
    let other_public = key_fixture("ed25519-other-public.pem");

    let data_dir = tempfile::tempdir().expect("a temporary directory");
    let mut flags = provider.flags();
    flags.extend([
        "--jwt-public-key",
        path_str(&other_public),
        "--jwt-signing-key",
        path_str(&private),
    ]);
    let refused = support::command()
        .args(["dev", "--data-dir"])
        .arg(data_dir.path())
        .args(["--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"])
        .args(&flags)
        .env("DIFACTO_OIDC_CLIENT_SECRET", CLIENT_SECRET)
        .output()
        .expect("run difacto dev");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("--jwt-signing-key (DIFACTO_JWT_SIGNING_KEY): is not the private half of --jwt-public-key"),
        "{stderr}"
    );

    let mut flags = provider.flags();
    flags.extend([
        "--jwt-public-key",
        path_str(&public),
        "--jwt-signing-key",
        path_str(&private),
    ]);
    let dev = Dev::launch(
        data_dir.path(),
        &flags,
        &[("DIFACTO_OIDC_CLIENT_SECRET", CLIENT_SECRET)],
        "difacto ready",
    );
    let base = format!("http://{}", dev.http_addr);
    // The API's own callers hold tokens of the external issuer: here, signed with the
    // same private key, as the deployment's issuer would.
    let national = TokenIssuer::from_private_key_pem(
        KeyAlgorithm::EdDsa,
        &std::fs::read(&private).expect("the fixture key"),
        auth::DEFAULT_ISSUER,
        auth::DEFAULT_AUDIENCE,
    )
    .expect("the fixture key")
    .mint(
        "national@X24",
        "X24",
        &[Role::NationalLead],
        Duration::from_secs(600),
    )
    .expect("a token");
    register_london(&dev.http_addr, &national).await;
    // A development token is not accepted here.
    let forged = graphql(
        &dev.http_addr,
        Some(&token("X24", Role::NationalLead)),
        "{ organisation(code: \"QOP\") { code } }",
        json!({}),
    )
    .await;
    assert!(forged["errors"].is_array(), "{forged}");

    let jar = Arc::new(Jar::default());
    let client = browser(jar);
    let callback = to_callback(&client, &base, "commissioner").await;
    let done = client.get(callback).send().await.expect("GET the callback");
    assert_eq!(done.status(), StatusCode::OK, "redirected home");
    let page = done.text().await.expect("the home page");
    assert!(
        page.contains("ICB commissioner, North Central London ICB (QOP)"),
        "{page}"
    );
    assert_the_api_answers_qop(&client, &base).await;
    drop(dev);
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// The session is the mapped caller for the API too: it reads its ICB, QOP.
async fn assert_the_api_answers_qop(client: &reqwest::Client, base: &str) {
    let me = client
        .post(format!("{base}/graphql"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(json!({ "query": "{ organisation(code: \"QOP\") { code name } }" }).to_string())
        .send()
        .await
        .expect("POST /graphql with the session")
        .text()
        .await
        .expect("an answer");
    let me: serde_json::Value = serde_json::from_str(&me).expect("a JSON answer");
    assert_eq!(data(&me)["organisation"]["code"], "QOP", "{me}");
}

/// The CSRF token of the page's forms.
fn form_token(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 19;
    let end = page[at..].find('"').expect("the token's closing quote");
    page[at..at + end].to_owned()
}

/// The sign-in cookie alone, as a second browser that stole it would send it.
fn pending_cookies_without_session(cookies: &str) -> String {
    cookies
        .split("; ")
        .filter(|c| c.starts_with("difacto_oidc="))
        .collect::<Vec<_>>()
        .join("; ")
}
