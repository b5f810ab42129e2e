//! The eager walk must answer exactly as async-graphql's derived resolver does: the same
//! rows served both ways, under every field the schema declares (so a field added to a
//! row type and forgotten in its `eager_object!` table fails here), aliases, merged
//! response keys, fragments, `__typename` and `@skip`/`@include`.

use async_graphql::registry::{MetaTypeName, Registry};
use async_graphql::{
    EmptyMutation, EmptySubscription, Object, OutputType, Request, Schema, Variables,
};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

use super::Eagerly;
use crate::model::coverage::CoverageFlag;
use crate::model::responsibility::AssignmentStatus;
use crate::views::coverage::{AreaCoverage, FlagCount, UnitOwnership};
use crate::views::organisations::OrganisationSummary;
use crate::views::responsibilities::{Assignment, DutySummary, Misattribution};
use crate::vocabulary::{Level, OrganisationKind, RaciRole};

struct Derived(Vec<UnitOwnership>);

#[Object]
impl Derived {
    async fn rows(&self) -> &[UnitOwnership] {
        &self.0
    }

    async fn areas(&self) -> Vec<AreaCoverage> {
        areas(&self.0)
    }
}

struct Walked(Vec<Eagerly<UnitOwnership>>);

#[Object]
impl Walked {
    async fn rows(&self) -> &[Eagerly<UnitOwnership>] {
        &self.0
    }

    async fn areas(&self) -> Vec<Eagerly<AreaCoverage>> {
        let rows: Vec<UnitOwnership> = self.0.iter().map(|row| row.0.clone()).collect();
        areas(&rows).into_iter().map(Eagerly).collect()
    }
}

/// A roll-up row per unit: its code as the area, with its flags counted.
fn areas(rows: &[UnitOwnership]) -> Vec<AreaCoverage> {
    rows.iter()
        .map(|row| AreaCoverage {
            area: row.unit.clone(),
            units: row.flags.len() + 1,
            counts: row
                .flags
                .iter()
                .map(|&flag| FlagCount {
                    flag,
                    units: row.responsible.len(),
                })
                .collect(),
        })
        .collect()
}

/// The answers of both resolvers to `query`, as JSON, errors included.
fn both(
    rows: &[UnitOwnership],
    query: &str,
    variables: serde_json::Value,
) -> [serde_json::Value; 2] {
    let request = || Request::new(query).variables(Variables::from_json(variables.clone()));
    let run = |response: async_graphql::Response| {
        serde_json::to_value(response).expect("a response is JSON")
    };
    let derived = Schema::new(Derived(rows.to_vec()), EmptyMutation, EmptySubscription);
    let walked = Schema::new(
        Walked(rows.iter().cloned().map(Eagerly).collect()),
        EmptyMutation,
        EmptySubscription,
    );
    futures::executor::block_on(async {
        [
            run(derived.execute(request()).await),
            run(walked.execute(request()).await),
        ]
    })
}

/// Every field the schema declares on `type_name`, and on the objects below it.
fn every_field(registry: &Registry, type_name: &str) -> String {
    let fields = registry.types[type_name].fields().expect("an object type");
    let selected: Vec<String> = fields
        .values()
        .filter(|field| !field.name.starts_with("__"))
        .map(|field| {
            let below = MetaTypeName::concrete_typename(&field.ty);
            if registry.types[below].is_composite() {
                format!("{} {{ {} }}", field.name, every_field(registry, below))
            } else {
                field.name.clone()
            }
        })
        .collect();
    selected.join(" ")
}

fn full_query() -> String {
    let mut registry = Registry::default();
    UnitOwnership::create_type_info(&mut registry);
    AreaCoverage::create_type_info(&mut registry);
    format!(
        "{{ rows {{ {} }} areas {{ {} }} }}",
        every_field(&registry, "UnitOwnership"),
        every_field(&registry, "AreaCoverage"),
    )
}

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_780_000_000 + seconds, 0).unwrap()
}

fn organisation(code: &str, kind: Option<OrganisationKind>) -> OrganisationSummary {
    OrganisationSummary {
        code: code.to_owned(),
        name: format!("{code} \"name\" \u{e9}\n"),
        kind,
    }
}

fn assignment(n: usize, status: AssignmentStatus) -> Assignment {
    Assignment {
        id: format!("assignment-{n}"),
        duty: DutySummary {
            id: format!("duty-{n}"),
            title: "Help patients sign up".into(),
        },
        area: organisation("U12345", Some(OrganisationKind::Pcn)),
        level: n.is_multiple_of(2).then_some(Level::Local),
        assignee: organisation("A81001", Some(OrganisationKind::Practice)),
        role: (!n.is_multiple_of(3)).then_some(RaciRole::Responsible),
        status,
        proposer: organisation("QOP", None),
        reason: if n.is_multiple_of(2) {
            String::new()
        } else {
            "no staff".into()
        },
        proposed_at: at(n as i64),
        changed_at: at(n as i64 + 60),
    }
}

fn row(n: usize) -> UnitOwnership {
    UnitOwnership {
        unit: organisation(&format!("P{n:05}"), Some(OrganisationKind::Practice)),
        flags: CoverageFlag::ALL
            .iter()
            .copied()
            .skip(n % 7)
            .take(n % 3)
            .collect(),
        responsible: (0..n % 3)
            .map(|i| organisation(&format!("R{i}"), None))
            .collect(),
        accountable: (0..n % 2)
            .map(|i| organisation(&format!("Q{i}"), None))
            .collect(),
        pending: (0..n % 2)
            .map(|i| assignment(i, AssignmentStatus::Proposed))
            .collect(),
        declined: (0..n % 4)
            .map(|i| assignment(i + 1, AssignmentStatus::Declined))
            .collect(),
        misattributions: (0..n % 3)
            .map(|i| Misattribution {
                attributed_by: organisation("B1", Some(OrganisationKind::Practice)),
                believed_owner: organisation(&format!("O{i}"), None),
                role: (i == 0).then_some(RaciRole::Accountable),
                at: at(i as i64),
            })
            .collect(),
    }
}

fn rows(count: usize) -> Vec<UnitOwnership> {
    (0..count).map(row).collect()
}

#[test]
fn every_declared_field_answers_as_the_derived_resolver_does() {
    let [derived, walked] = both(&rows(12), &full_query(), serde_json::json!({}));
    assert!(derived.get("errors").is_none(), "{derived}");
    assert_eq!(derived, walked);
    // The query reached every kind of value the rows hold.
    assert!(
        walked["data"]["areas"][4]["counts"][0]["flag"].is_string(),
        "{walked}"
    );
    let text = walked.to_string();
    for part in [
        "DECLINED",
        "RESPONSIBLE",
        "PRACTICE",
        "assignment-1",
        "\\\"name\\\"",
    ] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
}

#[test]
fn aliases_merged_keys_fragments_and_typename_answer_alike() {
    let query = r#"
        query($skip: Boolean!, $keep: Boolean!) {
            rows {
                __typename
                first: unit { code }
                first: unit { name kind __typename }
                unit { code }
                declined { id }
                declined { reason duty { title } }
                responsible @skip(if: $skip) { code }
                accountable @include(if: $keep) { code }
                ...more
                ... on UnitOwnership { flags u: unit { ...named } }
                ... { pending { status } }
                ... @skip(if: true) { misattributions { at } }
            }
        }
        fragment more on UnitOwnership { misattributions { believedOwner { ...named } role } }
        fragment named on OrganisationSummary { code name }
    "#;
    for (skip, keep) in [(true, true), (false, false), (true, false)] {
        let variables = serde_json::json!({ "skip": skip, "keep": keep });
        let [derived, walked] = both(&rows(9), query, variables);
        assert!(derived.get("errors").is_none(), "{derived}");
        assert_eq!(derived, walked, "skip {skip}, keep {keep}");
    }
}

#[test]
fn an_empty_page_and_a_field_without_rows_answer_alike() {
    let [derived, walked] = both(&[], "{ rows { unit { code } } }", serde_json::json!({}));
    assert_eq!(derived, walked);
    assert_eq!(walked["data"]["rows"], serde_json::json!([]));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any rows, any strings: the full selection answers alike.
    #[test]
    fn any_rows_answer_alike(
        picks in prop::collection::vec((0usize..40, "\\PC{0,12}", any::<bool>()), 0..8),
    ) {
        let rows: Vec<UnitOwnership> = picks
            .iter()
            .map(|(n, text, kind)| {
                let mut row = row(*n);
                row.unit.name = text.clone();
                row.unit.kind = kind.then_some(OrganisationKind::Icb);
                if let Some(first) = row.declined.first_mut() {
                    first.reason = text.clone();
                }
                row
            })
            .collect();
        let [derived, walked] = both(&rows, &full_query(), serde_json::json!({}));
        prop_assert!(derived.get("errors").is_none());
        prop_assert_eq!(derived, walked);
    }
}
