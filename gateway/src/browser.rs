//! The web app in headless Chromium, for tests (feature `testing`): chromedriver started
//! and ended with the test, a browser that cannot reach another origin, signing in
//! through the development form (with the mouse's clicks, or the keyboard alone), the
//! keyboard with its visible focus checked at every control it reaches, axe-core and
//! screenshots. The gateway's
//! own browser tests and the end-to-end journeys against the real binary share it.
//!
//! Needs `chromium` and `/usr/bin/chromedriver` (`scripts/install-test-deps`).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub use fantoccini;

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Tab presses before giving up on reaching a control.
const MAX_TABS: usize = 80;
pub const TAB: &str = "\u{e004}";
pub const ENTER: &str = "\u{e007}";
pub const CONTROL: &str = "\u{e009}";
/// Releases the modifier keys held down.
pub const RELEASE: &str = "\u{e000}";
/// How wide the browser's window is: the screenshots' width.
const WIDTH: u32 = 1280;
/// The tallest screenshot: the top of a long page is what it is about, and the file
/// stays small.
const TALLEST: u64 = 1600;
/// How long a page may take to show what a step waits for.
const WAIT: Duration = Duration::from_secs(20);

/// chromedriver, ended when the test ends however it ends.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    pub port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts chromedriver on a free port and waits until it listens.
pub async fn start_driver() -> Driver {
    assert!(
        Path::new(CHROMEDRIVER).exists(),
        "{CHROMEDRIVER} is missing: run scripts/install-test-deps (as root) first"
    );
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver { child, port };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen on port {port} within 10 s");
}

/// A headless Chromium session with its profile in `profile`, 1280 pixels wide.
pub async fn browser(driver: &Driver, profile: &Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                format!("--window-size={WIDTH},900"),
                // Anything not on loopback goes to a proxy that is not there, so a
                // request to another origin fails instead of leaving the machine.
                "--proxy-server=http://127.0.0.1:9",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session")
}

/// Runs `journey` on `client` within `limit`, closes the browser whatever happens, and
/// fails with the journey's own panic, or with the bound it overran; how long it took.
pub async fn bounded<F>(limit: Duration, client: &Client, journey: F) -> Duration
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let started = std::time::Instant::now();
    let outcome = tokio::time::timeout(limit, tokio::spawn(journey)).await;
    let _ = client.clone().close().await;
    match outcome {
        Err(_) => panic!("the journey took longer than {limit:?}"),
        Ok(Err(failed)) => std::panic::resume_unwind(failed.into_panic()),
        Ok(Ok(())) => started.elapsed(),
    }
}

/// Whether the focused element looks focused (WCAG 2.4.7): how it is drawn focused (its
/// outline, shadow, colours and underline, and those of its labels and their `::before`,
/// where the design system draws a radio's or a checkbox's focus) differs from how it
/// is drawn once it lets go of the focus, which it then takes back.
const FOCUS_SHOWN: &str = r#"
const e = document.activeElement;
if (!e || e === document.body) return false;
const look = () => {
  const styles = [getComputedStyle(e)];
  for (const label of e.labels ?? []) {
    styles.push(getComputedStyle(label), getComputedStyle(label, "::before"));
  }
  return styles.map(s => [s.outlineStyle, s.outlineColor, s.outlineWidth, s.boxShadow,
    s.backgroundColor, s.color, s.textDecorationLine, s.borderColor].join(" ")).join(" / ");
};
const focused = look();
e.blur();
const unfocused = look();
e.focus();
return focused !== unfocused;"#;

/// Whether the focused element shows it has the focus (see [`FOCUS_SHOWN`]).
pub async fn focus_shown(client: &Client) -> bool {
    client.execute(FOCUS_SHOWN, vec![]).await.expect("script") == Value::Bool(true)
}

/// Presses Tab until the focused element satisfies `test` (a JS expression on `e`), and
/// checks that it shows it has the focus.
pub async fn tab_to(client: &Client, test: &str) {
    let script = format!("const e = document.activeElement; return !!(e && ({test}));");
    for _ in 0..MAX_TABS {
        if client.execute(&script, vec![]).await.expect("script") == Value::Bool(true) {
            assert!(
                focus_shown(client).await,
                "{test} has the focus but does not look it"
            );
            return;
        }
        type_here(client, TAB).await;
    }
    panic!("{MAX_TABS} presses of Tab never reached {test}");
}

/// Types `text`, or presses a key such as [`TAB`], where the focus is.
pub async fn type_here(client: &Client, text: &str) {
    client
        .active_element()
        .await
        .expect("a focused element")
        .send_keys(text)
        .await
        .expect("typing");
}

/// The visible text of the first element matching `css`, read by script: a page that
/// just navigated or updated itself leaves no stale reference behind.
pub async fn text(client: &Client, css: &str) -> String {
    let found = client
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;",
            vec![json!(css)],
        )
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    match found {
        Value::String(text) => text,
        _ => panic!("{css}: no such element on {:?}", client.current_url().await),
    }
}

/// The attribute `name` of the first element matching `css`, as the page wrote it (a
/// link's `href` as a path, a field's first `value`).
pub async fn attribute(client: &Client, css: &str, name: &str) -> String {
    let found = client
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
            vec![json!(css), json!(name)],
        )
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    match found {
        Value::String(value) => value,
        _ => panic!("{css} has no {name} on {:?}", client.current_url().await),
    }
}

/// The text of the element with `id`, read by script: a live page replaces elements
/// under a held reference.
pub async fn text_of_id(client: &Client, id: &str) -> String {
    client
        .execute(
            "return document.getElementById(arguments[0])?.textContent ?? ''",
            vec![json!(id)],
        )
        .await
        .expect("script")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Polls the element with `id` until its text satisfies `wanted`, for up to `limit`; its
/// text then, or a failure saying what it showed last.
pub async fn wait_for_text(
    client: &Client,
    id: &str,
    limit: Duration,
    wanted: impl Fn(&str) -> bool,
) -> String {
    let started = std::time::Instant::now();
    loop {
        let shown = text_of_id(client, id).await;
        if wanted(&shown) {
            return shown;
        }
        assert!(
            started.elapsed() < limit,
            "#{id} did not show what was awaited within {limit:?}; it shows {shown:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the page's script has sent its `events` subscription (it marks the body).
pub async fn wait_until_listening(client: &Client) {
    let listening = async {
        while client
            .find(Locator::Css("body[data-live=listening]"))
            .await
            .is_err()
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    if tokio::time::timeout(Duration::from_secs(10), listening)
        .await
        .is_err()
    {
        let state = client
            .execute(
                "return [document.body.dataset.live ?? 'unset', document.getElementById('maincontent')?.dataset.liveStream ?? 'no stream', document.body.className]",
                vec![],
            )
            .await;
        panic!("the page does not listen within 10 s: {state:?}");
    }
}

/// Every URL the page loaded (itself and its resources) is on `origin`.
pub async fn assert_stays_home(client: &Client, origin: &str) {
    let urls = client
        .execute(
            "return [document.location.href].concat(performance.getEntriesByType('resource').map(e => e.name));",
            vec![],
        )
        .await
        .expect("resource list");
    for url in urls.as_array().expect("a list") {
        let url = url.as_str().unwrap_or_default();
        assert!(url.starts_with(origin), "a request left {origin}: {url}");
    }
}

/// axe-core's serious and critical violations on the page, as readable lines.
pub async fn axe(client: &Client) -> Vec<String> {
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/vendor/axe-core/axe.min.js"
    ))
    .expect("the vendored axe-core");
    client.execute(&source, vec![]).await.expect("axe loads");
    let found = client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, { resultTypes: ["violations"] })
                 .then(r => done(r.violations
                   .filter(v => v.impact === "serious" || v.impact === "critical")
                   .map(v => v.impact + " " + v.id + ": " + v.help + " at " +
                        v.nodes.map(n => n.target.join(" ")).join(", "))))
                 .catch(e => done(["axe failed: " + e]));"#,
            vec![],
        )
        .await
        .expect("axe runs");
    found
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Checks the page now shown: axe finds nothing serious, nothing left loopback.
pub async fn check_page(client: &Client, origin: &str, violations: &mut Vec<String>) {
    assert_stays_home(client, origin).await;
    let url = client.current_url().await.expect("url");
    violations.extend(axe(client).await.into_iter().map(|v| format!("{url}: {v}")));
}

/// Signs in as `role` of `org` with the development form (a new session each time).
pub async fn sign_in_as(client: &Client, origin: &str, org: &str, role: &str) {
    client
        .goto(&format!("{origin}/signin"))
        .await
        .expect("sign-in page");
    let field = client
        .find(Locator::Id("org"))
        .await
        .expect("the organisation field");
    field.clear().await.expect("clear the field");
    field.send_keys(org).await.expect("typing");
    client
        .find(Locator::Id("role"))
        .await
        .expect("the role list")
        .select_by_value(role)
        .await
        .expect("a role");
    follow(client, "//main//button[normalize-space()='Sign in']").await;
    // The home page that follows says who is signed in.
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//main//p[starts-with(normalize-space(), 'Signed in as')]",
        ))
        .await
        .unwrap_or_else(|e| panic!("{org} {role} not signed in: {e}"));
}

/// Clicks the element at `xpath`.
pub async fn click(client: &Client, xpath: &str) {
    client
        .find(Locator::XPath(xpath))
        .await
        .unwrap_or_else(|e| panic!("{xpath}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {xpath}: {e}"));
}

/// Clicks the link or button at `xpath` and waits until the page it leads to has loaded
/// (a new document, not the one clicked on).
pub async fn follow(client: &Client, xpath: &str) {
    leaving(client).await;
    click(client, xpath).await;
    arrived(client, xpath).await;
}

/// Presses Tab until the focus is on the link or button `test` (see [`tab_to`]), then
/// Enter, and waits until the page it leads to has loaded.
pub async fn enter_on(client: &Client, test: &str) {
    tab_to(client, test).await;
    leaving(client).await;
    type_here(client, ENTER).await;
    arrived(client, test).await;
}

/// Marks the page shown, so that [`arrived`] knows it from the next.
async fn leaving(client: &Client) {
    client
        .execute("window.difactoLeaving = true;", vec![])
        .await
        .expect("mark the page");
}

/// Waits until a new page (not the one [`leaving`] marked) has loaded, after `what`.
async fn arrived(client: &Client, what: &str) {
    let started = std::time::Instant::now();
    loop {
        let arrived = client
            .execute(
                "return window.difactoLeaving === undefined && document.readyState === 'complete';",
                vec![],
            )
            .await
            .unwrap_or(Value::Bool(false));
        if arrived == Value::Bool(true) {
            return;
        }
        assert!(
            started.elapsed() < WAIT,
            "{what} led to no new page within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Presses Tab until the focus is on the control with `id`, and types `text` there: over
/// what a text field held (Ctrl+A first), or, in a list, the start of the option to choose.
pub async fn type_into(client: &Client, id: &str, text: &str) {
    tab_to(client, &format!("e.id === {}", json!(id))).await;
    type_here(client, &format!("{CONTROL}a{RELEASE}{text}")).await;
}

/// What a keyboard test reaches with Tab: the link or button whose text is `words`.
pub fn named(words: &str) -> String {
    format!(
        "(e.tagName === 'A' || e.tagName === 'BUTTON') && e.textContent.trim().startsWith({})",
        json!(words)
    )
}

/// Opens the development sign-in form, fills it with the keyboard alone and sends it:
/// Tab to the organisation field, its text replaced by `org`, Tab to the role, chosen by
/// typing the start of its name (`role`, such as "Practice" or "ICB"), Tab to the button,
/// Enter. The page that follows is the caller's to read (home, or the form's errors).
pub async fn sign_in_with_keys(client: &Client, origin: &str, org: &str, role: &str) {
    client
        .goto(&format!("{origin}/signin"))
        .await
        .expect("sign-in page");
    type_into(client, "org", org).await;
    type_into(client, "role", role).await;
    enter_on(
        client,
        "e.tagName === 'BUTTON' && e.textContent.trim() === 'Sign in'",
    )
    .await;
}

/// Types `value` into the field with `id`, over what it held.
pub async fn fill(client: &Client, id: &str, value: &str) {
    let field = client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("field #{id}: {e}"));
    field.clear().await.expect("clear the field");
    field.send_keys(value).await.expect("typing");
}

/// Writes the page now shown (the window grown to its height, up to [`TALLEST`]) to
/// `path` as PNG.
pub async fn screenshot(client: &Client, path: &Path) {
    let height = client
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .expect("page height")
        .as_u64()
        .unwrap_or(900)
        .clamp(600, TALLEST);
    client
        .set_window_size(WIDTH, u32::try_from(height).unwrap_or(900))
        .await
        .expect("resize");
    let png = client.screenshot().await.expect("screenshot");
    client
        .set_window_size(WIDTH, 900)
        .await
        .expect("resize back");
    std::fs::write(path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}
