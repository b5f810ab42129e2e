//! `difacto import` end to end: a real `difacto dev` on free ports, the real binary's
//! `import ods` and `import workforce` sent to it over gRPC, and what they recorded read
//! back from the log (event by event) and through GraphQL. The registry is the 48 real
//! rows of `services/import/tests/data/epraccur-sample.csv`; a later extract is the
//! same file with a practice renamed, one closed and one moved.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use auth::Role;
use serde_json::{Value, json};
use support::gateway::{Dev, data, error_code, graphql, token};

/// How long a view may lag the log before the test gives up on it.
const CATCH_UP: Duration = Duration::from_secs(10);

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../import/tests/data/epraccur-sample.csv")
}

/// Runs `difacto import <args> --services <dev>` and returns what it printed.
fn import(dev: &Dev, args: &[&str]) -> Output {
    let services = dev.server.url();
    support::command()
        .arg("import")
        .args(args)
        .args(["--services", &services])
        // The secret is the test's (DIFACTO_JWT_SECRET); no data directory is read.
        .args(["--data-dir", &dev.server.data_dir.to_string_lossy()])
        .output()
        .expect("difacto import runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "the import failed:\n{}\n{}",
        stdout(output),
        stderr(output)
    );
    stdout(output)
}

/// Every event type in the log, in log order.
async fn event_types(dev: &Dev) -> Vec<String> {
    let mut client = support::client(&dev.server.url(), &support::service_token()).await;
    support::read_everything(&mut client)
        .await
        .into_iter()
        .map(|e| e.event_type)
        .collect()
}

fn count(types: &[String], name: &str) -> usize {
    types.iter().filter(|t| t.ends_with(name)).count()
}

/// Asks `query` as the national lead until `done` holds of its data.
async fn eventually(dev: &Dev, query: &str, done: impl Fn(&Value) -> bool) -> Value {
    let national = token("X24", Role::NationalLead);
    let deadline = Instant::now() + CATCH_UP;
    loop {
        let answer = graphql(&dev.http_addr, Some(&national), query, json!({})).await;
        let answer = data(&answer).clone();
        if done(&answer) || Instant::now() > deadline {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const PRACTICE: &str = r#"{ organisation(code: "CODE") { name kind parent { code } closedOn } }"#;

async fn practice(dev: &Dev, code: &str, done: impl Fn(&Value) -> bool) -> Value {
    let answer = eventually(dev, &PRACTICE.replace("CODE", code), |d| {
        done(&d["organisation"])
    })
    .await;
    answer["organisation"].clone()
}

/// The sample as a later extract: F86082 renamed, F86083 closed on 15 January 2026,
/// F86085 moved from sub-ICB location 08N to 08W.
fn later_extract(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(sample()).expect("the sample");
    let changed: Vec<String> = text
        .lines()
        .map(|line| {
            if line.starts_with("\"F86082\"") {
                line.replace("ILFORD LANE SURGERY", "ILFORD LANE MEDICAL CENTRE")
            } else if line.starts_with("\"F86083\"") {
                line.replace("\"19740401\",\"\",\"A\"", "\"19740401\",\"20260115\",\"C\"")
            } else if line.starts_with("\"F86085\"") {
                line.replace("\"08N\"", "\"08W\"")
            } else {
                line.to_owned()
            }
        })
        .collect();
    assert_ne!(changed.join("\n"), text.trim_end(), "the extract differs");
    let path = dir.join("epraccur.csv");
    std::fs::write(&path, changed.join("\n") + "\n").expect("written");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ods_import_builds_the_tree_then_records_only_what_changes() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let dev = Dev::start(&dir.path().join("data"));
    let sample = sample();
    let sample = sample.to_string_lossy();

    // Given an empty log, when the sample is imported, then its tree is created.
    let started = Instant::now();
    let first = import(
        &dev,
        &["ods", "--epraccur", &sample, "--extract-date", "2026-01-31"],
    );
    let took = started.elapsed();
    let printed = succeeded(&first);
    assert!(printed.contains("read 48 rows"), "{printed}");
    assert!(
        printed.contains(
            "skipped 23: 7 closed, 4 dormant or proposed, 8 not a GP practice, 4 outside England, 0 malformed"
        ),
        "{printed}"
    );
    assert!(printed.contains("created 30: "), "{printed}");
    assert!(printed.contains("changed 0: "), "{printed}");
    eprintln!("imported the sample in {took:?}");
    let types = event_types(&dev).await;
    assert_eq!(count(&types, "OrganisationRegistered"), 30, "{types:?}");
    assert_eq!(count(&types, "RegistryImported"), 1);
    assert_eq!(types.len(), 31, "{types:?}");

    let ilford = practice(&dev, "F86082", |o| o.is_object()).await;
    assert_eq!(ilford["name"], "ILFORD LANE SURGERY");
    assert_eq!(ilford["kind"], "PRACTICE");
    assert_eq!(ilford["parent"]["code"], "08N");
    let children = eventually(
        &dev,
        r#"{ n: organisation(code: "08N") { children { totalCount } }
             w: organisation(code: "08W") { children { totalCount } }
             q: organisation(code: "Q71") { parent { code } } }"#,
        |d| d["w"].is_object(),
    )
    .await;
    assert_eq!(children["n"]["children"]["totalCount"], 12);
    assert_eq!(children["w"]["children"]["totalCount"], 13);
    assert_eq!(children["q"]["parent"]["code"], "Y56");
    // A practice closed before the first import is not created; Wales is left out.
    let national = token("X24", Role::NationalLead);
    for code in ["F81162", "W00010"] {
        let query = format!(r#"{{ organisation(code: "{code}") {{ code }} }}"#);
        let answer = graphql(&dev.http_addr, Some(&national), &query, json!({})).await;
        assert_eq!(error_code(&answer), "NOT_FOUND", "{code}: {answer}");
    }

    // When the same file is imported again, then only RegistryImported is recorded.
    let again = succeeded(&import(
        &dev,
        &["ods", "--epraccur", &sample, "--extract-date", "2026-01-31"],
    ));
    assert!(again.contains("created 0: nothing new"), "{again}");
    let after_again = event_types(&dev).await;
    assert_eq!(after_again.len(), types.len() + 1);
    assert!(after_again[types.len()].ends_with("RegistryImported"));

    // When a later extract is imported, then only its changes are recorded.
    let later = later_extract(dir.path());
    let printed = succeeded(&import(
        &dev,
        &[
            "ods",
            "--epraccur",
            &later.to_string_lossy(),
            "--extract-date",
            "2026-02-28",
        ],
    ));
    assert!(
        printed.contains("changed 3: 1 renamed, 1 moved, 1 closed, 0 merged"),
        "{printed}"
    );
    let after_later = event_types(&dev).await;
    let new: Vec<&str> = after_later[after_again.len()..]
        .iter()
        .map(|t| t.rsplit('.').next().unwrap_or(t))
        .collect();
    assert_eq!(
        new,
        [
            "OrganisationReparented",
            "OrganisationRenamed",
            "OrganisationClosed",
            "RegistryImported"
        ]
    );
    let renamed = practice(&dev, "F86082", |o| o["name"] != "ILFORD LANE SURGERY").await;
    assert_eq!(renamed["name"], "ILFORD LANE MEDICAL CENTRE");
    let moved = practice(&dev, "F86085", |o| o["parent"]["code"] == "08W").await;
    assert_eq!(moved["parent"]["code"], "08W");
    let closed = practice(&dev, "F86083", |o| !o["closedOn"].is_null()).await;
    assert_eq!(closed["closedOn"], "2026-01-15");

    // A file of the wrong format: one sentence, a non-zero exit, nothing recorded.
    let with_header = dir.path().join("with-header.csv");
    let text = std::fs::read_to_string(later).expect("the extract");
    std::fs::write(
        &with_header,
        format!("\"Organisation Code\",\"Name\"\n{text}"),
    )
    .expect("written");
    for (file, says) in [
        (with_header, "header"),
        (dir.path().join("empty.csv"), "empty"),
    ] {
        if !file.exists() {
            std::fs::write(&file, "").expect("written");
        }
        let refused = import(&dev, &["ods", "--epraccur", &file.to_string_lossy()]);
        assert!(!refused.status.success(), "{}", stdout(&refused));
        let message = stderr(&refused);
        let errors: Vec<&str> = message
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect();
        assert_eq!(errors.len(), 1, "one sentence: {message}");
        assert!(errors[0].contains(says), "{message}");
    }
    assert_eq!(
        event_types(&dev).await.len(),
        after_later.len(),
        "nothing recorded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workforce_import_reports_staff_in_post_for_known_practices() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let dev = Dev::start(&dir.path().join("data"));
    succeeded(&import(
        &dev,
        &[
            "ods",
            "--epraccur",
            &sample().to_string_lossy(),
            "--extract-date",
            "2026-01-31",
        ],
    ));
    let before = event_types(&dev).await.len();
    // The real layout's columns (and one it does not know); NA and blank are unknown.
    let workforce = dir.path().join("workforce.csv");
    std::fs::write(
        &workforce,
        "PRAC_CODE,PRAC_NAME,TOTAL_GP_HC,TOTAL_GP_FTE,TOTAL_NURSES_HC,TOTAL_DPC_HC,TOTAL_ADMIN_HC,ADMIN_RECEPT_HC,ADMIN_MANAGER_HC,SOME_NEW_COLUMN\n\
         F86082,ILFORD LANE SURGERY,6,4.2,3,4,14,8,2,x\n\
         F86083,THE EASTERN AVENUE MEDICAL CENTRE,NA,,2,,9,5,1,\n\
         A81001,NOT IN THIS REGISTRY,5,5,1,1,1,1,1,\n",
    )
    .expect("written");
    let args = [
        "workforce",
        &*workforce.to_string_lossy(),
        "--as-of",
        "2026-01-31",
    ]
    .map(str::to_owned);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let printed = succeeded(&import(&dev, &args));
    assert!(
        printed.contains("1 practices not in the registry"),
        "{printed}"
    );
    // F86082: GP, nurse, receptionist, manager, other staff; F86083: no GP (NA) and no
    // other staff (its direct patient care is blank).
    assert!(printed.contains("reported 8 figures"), "{printed}");
    let types = event_types(&dev).await;
    assert_eq!(types.len() - before, 8);
    assert_eq!(count(&types, "StaffInPostReported"), 8);

    // The same file again changes nothing.
    let again = succeeded(&import(&dev, &args));
    assert!(
        again.contains("reported 0 figures (8 already so)"),
        "{again}"
    );
    assert_eq!(event_types(&dev).await.len(), types.len());
}
