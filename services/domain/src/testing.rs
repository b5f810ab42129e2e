//! Fixtures shared by the tests of every aggregate: one organisation tree (with a builder
//! for the few organisations a module adds), callers acting for an organisation at a
//! fixed "now" (or another), a generic given/when/then and a way to name a rejection by
//! its variant and field. Compiled for this crate's tests, and for its integration tests
//! through the `testing` feature.

use std::fmt::Debug;
use std::sync::Arc;

use auth::{Principal, Role};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use proto::v1::{OrganisationClosed, OrganisationKind, OrganisationRegistered};

use crate::aggregate::{Aggregate, Context};
use crate::error::{DomainError, Result};
use crate::registry::{OrganisationEvent, Registry};

/// Wednesday 13 May 2026, 10:00 UTC: "now" in every test.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 13, 10, 0, 0)
        .single()
        .expect("a valid time")
}

/// [`now`] as the `YYYY-MM-DD` commands default their dates to.
pub const TODAY: &str = "2026-05-13";

/// The date every organisation of [`tree`] took its place.
pub const SINCE: &str = "2020-01-01";

pub fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a YYYY-MM-DD date")
}

pub fn registered(code: &str, kind: OrganisationKind, parent: &str, on: &str) -> OrganisationEvent {
    OrganisationRegistered {
        code: code.into(),
        kind: kind.into(),
        name: format!("{code} name"),
        parent_code: parent.into(),
        effective_date: on.into(),
        ..Default::default()
    }
    .into()
}

pub fn closed(code: &str, on: &str) -> OrganisationEvent {
    OrganisationClosed {
        code: code.into(),
        effective_date: on.into(),
        reason: "the partnership dissolved".into(),
    }
    .into()
}

/// Everything registered on [`SINCE`]:
///
/// ```text
/// X24 ─┬─ Y56 ─┬─ QE1 ─┬─ 00L ─┬─ U00001 ─ A81001, A81002, A81009 (closed 2025-01-01)
///      │       │       │       └─ U00002 ─ B82001
///      │       │       └─ P-leeds-libraries
///      │       └─ QF7 ─── 02A ─── U00003 ─ C83001
///      ├─ Y63 ─── QWO ─── 01A ─── U00004 ─ D84001
///      └─ V-nhs-app
/// ```
pub fn tree() -> Registry {
    tree_with(&[])
}

/// [`tree`] with `extra` organisations (code, kind, parent) registered on [`SINCE`] too.
pub fn tree_with(extra: &[(&str, OrganisationKind, &str)]) -> Registry {
    use OrganisationKind::*;
    let mut registry = Registry::default();
    let everyone = [
        ("X24", NationalBody, ""),
        ("Y56", Region, "X24"),
        ("Y63", Region, "X24"),
        ("QE1", Icb, "Y56"),
        ("QF7", Icb, "Y56"),
        ("QWO", Icb, "Y63"),
        ("00L", SubIcb, "QE1"),
        ("02A", SubIcb, "QF7"),
        ("01A", SubIcb, "QWO"),
        ("U00001", Pcn, "00L"),
        ("U00002", Pcn, "00L"),
        ("U00003", Pcn, "02A"),
        ("U00004", Pcn, "01A"),
        ("A81001", Practice, "U00001"),
        ("A81002", Practice, "U00001"),
        ("A81009", Practice, "U00001"),
        ("B82001", Practice, "U00002"),
        ("C83001", Practice, "U00003"),
        ("D84001", Practice, "U00004"),
        ("P-leeds-libraries", Partner, "QE1"),
        ("V-nhs-app", Provider, "X24"),
    ];
    for &(code, kind, parent) in everyone.iter().chain(extra) {
        registry.apply(&registered(code, kind, parent, SINCE));
    }
    registry.apply(&closed("A81009", "2025-01-01"));
    registry
}

/// `state` after folding `events`, as the store would.
pub fn then<A: Aggregate>(state: &A, events: &[A::Event]) -> A {
    let mut state = state.clone();
    for event in events {
        state.apply(event);
    }
    state
}

/// An aggregate made of `events`.
pub fn given<A: Aggregate>(events: &[A::Event]) -> A {
    then(&A::default(), events)
}

/// [`tree`] after `events`.
pub fn tree_after(events: &[OrganisationEvent]) -> Registry {
    then(&tree(), events)
}

/// A caller acting for `org` with `roles`, over `registry`, at [`now`].
pub fn caller_over(registry: &Registry, org: &str, roles: &[Role]) -> Context {
    Context {
        actor: Principal {
            subject: format!("user@{org}"),
            organisation: org.into(),
            roles: roles.to_vec(),
        },
        registry: Arc::new(registry.clone()),
        commissions: Arc::default(),
        now: now(),
    }
}

/// The same caller at `now`.
pub fn at(ctx: Context, now: DateTime<Utc>) -> Context {
    Context { now, ..ctx }
}

/// A caller acting for `org` with one `role`, over [`tree`].
pub fn ctx(org: &str, role: Role) -> Context {
    caller_over(&tree(), org, &[role])
}

/// The machine-to-machine caller, allowed anywhere: it reaches the checks that come
/// after authorisation for organisations no person could act for.
pub fn service() -> Context {
    ctx("svc", Role::Service)
}

/// When `request` is sent: it is parsed as the edge parses it, then `decide`d, so a test
/// sees the refusal of either step (given / *when* / then).
pub fn when<R, C, T>(request: R, decide: impl FnOnce(C) -> Result<T>) -> Result<T>
where
    C: TryFrom<R, Error = DomainError>,
{
    C::try_from(request).and_then(decide)
}

/// A rejection as its variant's name and the field it names (`Forbidden` names none).
pub fn refused<T: Debug>(result: Result<T>) -> (&'static str, String) {
    match result.expect_err("the command is refused") {
        DomainError::Invalid { field, .. } => ("Invalid", field),
        DomainError::NotFound { field, .. } => ("NotFound", field),
        DomainError::AlreadyExists { field, .. } => ("AlreadyExists", field),
        DomainError::Precondition { field, .. } => ("Precondition", field),
        DomainError::Forbidden(_) => ("Forbidden", String::new()),
    }
}

pub fn invalid(field: &str) -> (&'static str, String) {
    ("Invalid", field.to_owned())
}

pub fn not_found(field: &str) -> (&'static str, String) {
    ("NotFound", field.to_owned())
}

pub fn exists(field: &str) -> (&'static str, String) {
    ("AlreadyExists", field.to_owned())
}

pub fn precondition(field: &str) -> (&'static str, String) {
    ("Precondition", field.to_owned())
}

pub fn forbidden() -> (&'static str, String) {
    ("Forbidden", String::new())
}

/// Asserts each row's request, sent by `ctx`'s caller (parsed as the edge parses it, then
/// decided by `decide`), is refused as the row expects: one refusal a row, in a table.
pub fn each_refused<R, C, T>(
    ctx: &Context,
    decide: impl Fn(C, &Context) -> Result<T>,
    rows: Vec<(R, (&'static str, String))>,
) where
    R: Clone + Debug,
    C: TryFrom<R, Error = DomainError>,
    T: Debug,
{
    for (request, expected) in rows {
        assert_eq!(
            refused(when(request.clone(), |c| decide(c, ctx))),
            expected,
            "{} sends {request:?}",
            ctx.actor.subject
        );
    }
}

/// Asserts each caller of `callers` (organisation, role), over [`tree`], is forbidden what
/// `decide` does.
pub fn forbidden_to<T: Debug>(callers: &[(&str, Role)], decide: impl Fn(&Context) -> Result<T>) {
    for &(org, role) in callers {
        assert_eq!(
            refused(decide(&ctx(org, role))),
            forbidden(),
            "{org} {role:?}"
        );
    }
}

/// Asserts every [`IDENTIFYING`] text that `send` puts in `field` is refused as invalid
/// there, with a message that names the field and never echoes what identifies.
pub fn refuses_identifying<T: Debug>(field: &str, send: impl Fn(&str) -> Result<T>) {
    for (text, seen) in IDENTIFYING {
        let message = match send(text) {
            Err(error) => error.to_string(),
            Ok(accepted) => panic!("{field} = {text:?} was accepted: {accepted:?}"),
        };
        assert_eq!(refused(send(text)), invalid(field), "{text}");
        assert!(message.starts_with(&format!("{field}:")), "{message}");
        assert!(!message.contains(seen), "{message}");
    }
}

/// The message of a rejection, to check it names the field and never echoes the value.
pub fn message<T: Debug>(result: Result<T>) -> String {
    result.expect_err("the command is refused").to_string()
}

/// Free texts that identify a patient, with what each contains: an NHS number passing
/// the modulus-11 check, an e-mail address, a UK phone number.
pub const IDENTIFYING: [(&str, &str); 3] = [
    ("NHS number 943 476 5919", "943 476 5919"),
    ("ask jo.bloggs@example.nhs.uk", "jo.bloggs"),
    ("ring 07700 900123 after 5", "07700"),
];
