//! `/facilitation?week=2026-W14`: the practice's week of digital facilitation (DESIGN.md
//! §1 practice manager: what help we gave, how, by whom, for which groups). One form
//! records one kind of help as the domain takes it (`recordFacilitation`: a mode, a
//! service, a channel and a staff role, with counts of people and outcomes), the week
//! preselected; after it, the page shows the week as the API's `facilitationMix`
//! answers it for the practice, and the confirmation.

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{Datelike, NaiveDate, Utc, Weekday};
use serde::Deserialize;

use super::Shown;
use crate::http::Gateway;
use crate::vocabulary::{
    DigitalService, FacilitationChannel, FacilitationMode, PatientGroup, StaffRole,
};
use crate::web::export::encode;
use crate::web::form::{
    self, CheckedForm, Choice, Command, ENUM_VALUES, EnumValues, Posted, Problems, chosen, ticked,
    words,
};
use crate::web::html;
use crate::web::layout::{Layout, PRACTICE_TEAM};
use crate::web::session::Visitor;

const QUERY: &str = r#"
query Week($within: String!, $from: NaiveDate!, $to: NaiveDate!) {
  facilitationMix(within: $within, from: $from, to: $to) {
    totals {
      records patients { display } proactiveShare
      byMode { key records patients { display } }
      byService { key records patients { display } }
      byChannel { key records patients { display } }
      byRole { key records patients { display } }
      byPatientGroup { key records patients { display } }
      outcomes { outcome patients { display } }
    }
  }
  mode: __type(name: "FacilitationMode") ENUM
  service: __type(name: "DigitalService") ENUM
  channel: __type(name: "FacilitationChannel") ENUM
  role: __type(name: "StaffRole") ENUM
  groups: __type(name: "PatientGroup") ENUM
}"#;

const RECORD: &str = "mutation Record($input: RecordFacilitationInput!) { recordFacilitation(input: $input) { lastPosition } }";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    facilitation_mix: Mix,
    mode: EnumValues,
    service: EnumValues,
    channel: EnumValues,
    role: EnumValues,
    groups: EnumValues,
}

#[derive(Debug, Deserialize)]
struct Mix {
    totals: Figures,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Figures {
    records: u64,
    patients: Shown,
    proactive_share: Option<f64>,
    by_mode: Vec<MixCount>,
    by_service: Vec<MixCount>,
    by_channel: Vec<MixCount>,
    by_role: Vec<MixCount>,
    by_patient_group: Vec<MixCount>,
    outcomes: Vec<OutcomeCount>,
}

#[derive(Debug, Deserialize)]
struct MixCount {
    key: String,
    records: u64,
    patients: Shown,
}

#[derive(Debug, Deserialize)]
struct OutcomeCount {
    outcome: String,
    patients: Shown,
}

/// One table of the week: a heading column and the records and people of each row.
#[derive(Debug)]
struct Table {
    caption: &'static str,
    heading: &'static str,
    rows: Vec<(String, u64, String)>,
}

#[derive(Template)]
#[template(path = "facilitation.html")]
struct Page {
    layout: Layout,
    week: String,
    /// The week the form records, as typed or this week's.
    form_week: String,
    this_week: String,
    records: u64,
    patients: String,
    proactive_share: Option<f64>,
    tables: Vec<Table>,
    /// Outcome and people.
    outcomes: Vec<(String, String)>,
    export: String,
    modes: Vec<Choice>,
    services: Vec<Choice>,
    channels: Vec<Choice>,
    roles: Vec<Choice>,
    groups: Vec<Choice>,
    done: Option<String>,
    typed: Posted,
    problems: Problems,
}

/// `date`'s ISO week as the API writes it: `2026-W14`.
pub fn iso_week(date: NaiveDate) -> String {
    let week = date.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// The Monday of an ISO week written `2026-W14`.
fn monday(week: &str) -> Option<NaiveDate> {
    let (year, number) = week.trim().split_once("-W")?;
    NaiveDate::from_isoywd_opt(year.parse().ok()?, number.parse().ok()?, Weekday::Mon)
}

fn table(caption: &'static str, heading: &'static str, counts: Vec<MixCount>) -> Table {
    Table {
        caption,
        heading,
        rows: counts
            .into_iter()
            .map(|c| (words(&c.key), c.records, c.patients.display))
            .collect(),
    }
}

/// An outcome as the API names it (`registeredForNhsApp`), in words.
fn outcome_words(outcome: &str) -> String {
    match outcome {
        "registeredForNhsApp" => "Now registered for the NHS App".into(),
        "completedTaskOnline" => "Did the task online".into(),
        "referredToCommunitySession" => "Referred to a community session".into(),
        "declinedHelp" => "Did not want help".into(),
        "setUpProxyAccess" => "Now have a carer or relative acting for them online".into(),
        "staffMinutes" => "Minutes of staff time".into(),
        other => other.to_owned(),
    }
}

async fn render(
    gw: &Gateway,
    visitor: &Visitor,
    week: &str,
    typed: Posted,
    problems: Problems,
    done: Option<String>,
) -> Response {
    let layout = Layout::new(gw, visitor, "/facilitation");
    if let Some(refused) = super::only_for(&layout, &PRACTICE_TEAM, "Weekly facilitation") {
        return refused;
    }
    let own = visitor.organisation();
    let this_week = iso_week(Utc::now().date_naive());
    let (week, from) = match monday(week) {
        Some(day) => (iso_week(day), day),
        None => (
            this_week.clone(),
            monday(&this_week).unwrap_or_else(|| Utc::now().date_naive()),
        ),
    };
    let document = QUERY.replace("ENUM", ENUM_VALUES);
    let answer: Answer = match super::ask(
        gw,
        visitor,
        &layout,
        &document,
        serde_json::json!({ "within": own, "from": from.to_string(), "to": from.to_string() }),
    )
    .await
    {
        Ok(a) => a,
        Err(failed) => return failed,
    };
    let t = answer.facilitation_mix.totals;
    let form_week = match typed.optional("week") {
        Some(w) => w.to_owned(),
        None => week.clone(),
    };
    html(&Page {
        export: format!(
            "/export/facilitationMix.totals.byMode.csv?within={}&from={from}&to={from}",
            encode(&own)
        ),
        layout,
        form_week,
        this_week,
        records: t.records,
        patients: t.patients.display,
        proactive_share: t.proactive_share,
        tables: vec![
            table("How the help came about", "Mode", t.by_mode),
            table(
                "The services people were helped to use",
                "Service",
                t.by_service,
            ),
            table("How the help reached people", "Channel", t.by_channel),
            table("Who gave the help", "Staff role", t.by_role),
            table(
                "Groups at risk of exclusion among those helped",
                "Group",
                t.by_patient_group,
            ),
        ],
        outcomes: t
            .outcomes
            .into_iter()
            .map(|o| (outcome_words(&o.outcome), o.patients.display))
            .collect(),
        modes: answer.mode.choices(),
        services: answer.service.choices(),
        channels: answer.channel.choices(),
        roles: answer.role.choices(),
        groups: answer.groups.choices(),
        week,
        done,
        typed,
        problems,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct WeekQuery {
    week: Option<String>,
    done: Option<String>,
}

/// `GET /facilitation`; `?week=` picks the week shown, `?done=recorded` confirms a record.
pub async fn page(
    State(gw): State<Gateway>,
    Extension(visitor): Extension<Visitor>,
    Query(q): Query<WeekQuery>,
) -> Response {
    let week = q.week.unwrap_or_default();
    let done = (q.done.as_deref() == Some("recorded")).then(|| {
        format!(
            "The facilitation is recorded for week {}.",
            monday(&week).map_or_else(|| week.clone(), iso_week)
        )
    });
    render(
        &gw,
        &visitor,
        &week,
        Posted::default(),
        Problems::default(),
        done,
    )
    .await
}

/// The inputs' ids are the API's field names; an error naming the practice lands on the
/// week, the first field.
const FIELDS: [(&str, &str); 15] = [
    ("practiceCode", "week"),
    ("week", "week"),
    ("mode", "mode"),
    ("service", "service"),
    ("channel", "channel"),
    ("deliveredBy", "deliveredBy"),
    ("patientGroups", "patientGroups"),
    ("patientsSupported", "patientsSupported"),
    ("registeredForNhsApp", "registeredForNhsApp"),
    ("completedTaskOnline", "completedTaskOnline"),
    ("referredToCommunitySession", "referredToCommunitySession"),
    ("declinedHelp", "declinedHelp"),
    ("setUpProxyAccess", "setUpProxyAccess"),
    ("staffMinutes", "staffMinutes"),
    ("notes", "notes"),
];

/// The outcome counts of the form: each optional, 0 when left empty.
const OUTCOMES: [(&str, &str); 6] = [
    (
        "registeredForNhsApp",
        "how many are now registered for the NHS App",
    ),
    ("completedTaskOnline", "how many did the task online"),
    (
        "referredToCommunitySession",
        "how many were referred to a community session",
    ),
    ("declinedHelp", "how many did not want help"),
    (
        "setUpProxyAccess",
        "how many now have someone acting for them online",
    ),
    ("staffMinutes", "the minutes of staff time"),
];

/// `POST /facilitation`: one kind of help in the week, through `recordFacilitation`.
pub async fn record(
    State(gw): State<Gateway>,
    CheckedForm { visitor, typed }: CheckedForm,
) -> Response {
    let own = visitor.organisation();
    let mut problems = Problems::default();
    let p = &mut problems;
    let week = typed.get("week").trim().to_owned();
    if week.is_empty() {
        p.add("week", "Enter the week, like 2026-W14");
    }
    let mut input = serde_json::json!({
        "practiceCode": own,
        "week": week,
        "mode": chosen::<FacilitationMode>(&typed, "mode", "how the help came about", p),
        "service": chosen::<DigitalService>(&typed, "service", "the service people were helped to use", p),
        "channel": chosen::<FacilitationChannel>(&typed, "channel", "how the help reached people", p),
        "deliveredBy": chosen::<StaffRole>(&typed, "deliveredBy", "the role of whoever gave the help", p),
        "patientGroups": ticked::<PatientGroup>(&typed, "patientGroups"),
        "patientsSupported": typed.count("patientsSupported", "how many people were helped", None, p),
        "notes": typed.optional("notes"),
    });
    for (field, what) in OUTCOMES {
        input[field] = serde_json::json!(typed.count(field, what, Some(0), p));
    }
    let command = Command {
        mutation: RECORD,
        input,
        fields: &FIELDS,
        fallback: "week",
    };
    let done = format!("/facilitation?week={}&done=recorded", encode(&week));
    form::submit_checked(
        &gw,
        &visitor,
        problems,
        command,
        &done,
        "/facilitation",
        |problems| render(&gw, &visitor, &week, typed, problems, None),
    )
    .await
}
