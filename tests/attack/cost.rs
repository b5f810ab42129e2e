//! Family 4, costly GraphQL (DESIGN §5 Cost, issue 8 item 4): a query is priced by its
//! work before any of it is done. Each distinct `asOf` instant is a replay (at most 2 per
//! query) and each `history` field costs the events it may read; a query over the limit
//! is refused with BAD_USER_INPUT, quickly. A leak is an answer with data, or an answer
//! (of any kind) that took more than 2 s. Meanwhile another caller's `asOf` must not wait
//! behind the attacker's replays.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use auth::Role;
use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use super::fixture::Fixture;
use super::tools::{Tally, Target, clip, graphql, graphql_code, mint};

const QUICK: Duration = Duration::from_secs(2);
/// A query the cost limit admits is cheap by construction; this bounds it generously,
/// for a debug build on a busy machine.
const ADMITTED: Duration = Duration::from_secs(5);

/// `n` aliases of `organisation(code: "X24", asOf: …)`, each at its own instant.
fn as_of_aliases(n: usize) -> String {
    let now = Utc::now();
    let mut query = String::from("{");
    for i in 0..n {
        let at = now - chrono::Duration::milliseconds(i as i64 + 1);
        let _ = write!(
            query,
            r#" o{i}: organisation(code: "X24", asOf: "{}") {{ code }}"#,
            at.to_rfc3339_opts(SecondsFormat::Millis, true)
        );
    }
    query.push_str(" }");
    query
}

/// `n` aliases of `history(stream: $s, first: 1)`.
fn history_aliases(n: usize) -> String {
    let mut query = String::from("query($s: String!) {");
    for i in 0..n {
        let _ = write!(query, "h{i}:history(stream:$s,first:1){{totalCount}}");
    }
    query.push('}');
    query
}

/// Whether any field of the answer's `data` holds something.
fn has_data(answer: &Value) -> bool {
    answer["data"]
        .as_object()
        .is_some_and(|fields| fields.values().any(|v| !v.is_null()))
}

/// A costly query: refused (BAD_USER_INPUT, or PAYLOAD_TOO_LARGE / 413 for a body over
/// the limit) within 2 s, with no data.
async fn costly(
    t: &Target,
    tally: &mut Tally,
    what: &str,
    token: &str,
    query: &str,
    variables: Value,
    refusals: &[&str],
) {
    let started = Instant::now();
    let answer = graphql(
        &t.http_addr,
        Some(token),
        query,
        variables,
        Duration::from_secs(30),
    )
    .await;
    let took = started.elapsed();
    tally.note(format!("{what} ({} KiB): {took:?}", query.len() / 1024));
    let leak = match &answer {
        Ok(a) if has_data(a) => Some(format!("answered with data in {took:?}")),
        _ if took > QUICK => Some(format!("took {took:?}")),
        Ok(a) => match graphql_code(a) {
            Some(code) if refusals.contains(&code) => None,
            _ => Some(format!("refused otherwise: {}", clip(&a.to_string(), 200))),
        },
        Err(err)
            if refusals
                .iter()
                .any(|r| err.starts_with(&format!("HTTP {r}"))) =>
        {
            None
        }
        // A body over the limit is answered 413 and the connection closed before the rest
        // is read: a client still sending may see only the close. Refused either way.
        Err(err)
            if query.len() > gateway::http::MAX_BODY && err.contains("error writing a body") =>
        {
            None
        }
        Err(err) => Some(err.clone()),
    };
    tally.attempt(what, None, leak);
}

pub async fn run(t: &Target, f: &Fixture) -> Tally {
    let mut tally = Tally::new("4 costly GraphQL", "cost");
    let national = mint(&tally.subject(), "X24", &[Role::NationalLead]);
    let bystander = mint(&tally.subject(), "QE1", &[Role::IcbCommissioner]);

    // Replays: 1000 distinct instants, while someone else asks for one.
    let query = as_of_aliases(1000);
    let attack = costly(
        t,
        &mut tally,
        "1000 aliases of organisation(asOf) at distinct instants",
        &national,
        &query,
        json!({}),
        &["BAD_USER_INPUT"],
    );
    let other = async {
        // Let the attack reach the server first.
        tokio::time::sleep(Duration::from_millis(100)).await;
        // The present: the fixture may have been written less than a second ago.
        let at = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let started = Instant::now();
        let answer = graphql(
            &t.http_addr,
            Some(&bystander),
            &format!(r#"{{ organisation(code: "QE1", asOf: "{at}") {{ code }} }}"#),
            json!({}),
            Duration::from_secs(30),
        )
        .await;
        (started.elapsed(), answer)
    };
    let ((), (took, answer)) = tokio::join!(attack, other);
    tally.note(format!("a bystander's asOf during the attack: {took:?}"));
    tally.attempt(
        "another caller's asOf during the attack",
        None,
        (took > QUICK).then(|| format!("waited {took:?}")),
    );
    tally.control(
        "another caller's asOf is answered",
        match &answer {
            Ok(a) if a["data"]["organisation"]["code"] == "QE1" => None,
            other => Some(clip(&format!("{other:?}"), 200)),
        },
    );
    costly(
        t,
        &mut tally,
        "3 aliases of organisation(asOf) at distinct instants",
        &national,
        &as_of_aliases(3),
        json!({}),
        &["BAD_USER_INPUT"],
    )
    .await;
    let answer = graphql(
        &t.http_addr,
        Some(&national),
        &as_of_aliases(2),
        json!({}),
        Duration::from_secs(10),
    )
    .await;
    tally.control(
        "2 distinct asOf instants in one query are answered",
        match &answer {
            Ok(a) if a["data"]["o0"]["code"] == "X24" && a["data"]["o1"]["code"] == "X24" => None,
            other => Some(clip(&format!("{other:?}"), 200)),
        },
    );

    // History: 50,000 aliases (a body over the limit as well), and as many as fit under it.
    costly(
        t,
        &mut tally,
        "50,000 aliases of history(first: 1)",
        &national,
        &history_aliases(50_000),
        json!({ "s": f.small_stream }),
        &["BAD_USER_INPUT", "PAYLOAD_TOO_LARGE", "413"],
    )
    .await;
    let started = Instant::now();
    let query = history_aliases(4_000);
    let answer = graphql(
        &t.http_addr,
        Some(&national),
        &query,
        json!({ "s": f.bulk_stream }),
        Duration::from_secs(30),
    )
    .await;
    let took = started.elapsed();
    tally.note(format!(
        "4,000 aliases of history(first: 1) over 50 events ({} KiB): {took:?}, {}",
        query.len() / 1024,
        match &answer {
            Ok(a) if has_data(a) => "answered".to_owned(),
            Ok(a) => format!("refused {:?}", graphql_code(a)),
            Err(err) => clip(err, 80),
        }
    ));
    tally.attempt(
        "4,000 aliases of history(first: 1) over 50 events",
        None,
        (took > ADMITTED).then(|| format!("took {took:?}")),
    );

    // Control: the query GraphiQL sends on load stays within the limits.
    let answer = graphql(
        &t.http_addr,
        Some(&national),
        INTROSPECTION,
        json!({}),
        Duration::from_secs(20),
    )
    .await;
    tally.control(
        "the standard introspection query is answered",
        match &answer {
            Ok(a) if a["data"]["__schema"]["types"].is_array() => None,
            other => Some(clip(&format!("{other:?}"), 300)),
        },
    );
    tally.finish()
}

/// The introspection query GraphiQL sends.
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name description
  type { ...TypeRef }
  defaultValue
}
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}
"#;
