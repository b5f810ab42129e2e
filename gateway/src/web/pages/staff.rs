//! `/staff`: the practice's staff in post and their training (DESIGN.md §1 practice
//! manager, §5 `trainingRollout`): for each programme, by staff role, the people in
//! post the practice reported, those enrolled and those who completed it. The practice
//! manager records them here: how many work in a role (`reportStaffInPost`), a member of
//! staff starting a programme (`enrolStaff`) and finishing a module or the whole of it
//! (`completeModule`, `completeTraining`). Staff are named only by the practice's own
//! pseudonymous reference (`REC-07`), never by name (DESIGN.md §7): the API refuses
//! anything shaped like a name, and the page says so before anyone types.

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use crate::http::Gateway;
use crate::vocabulary::StaffRole;
use crate::web::export::encode;
use crate::web::form::{
    self, CheckedForm, Choice, Command, ENUM_VALUES, EnumValues, Posted, Problems, chosen, words,
};
use crate::web::html;
use crate::web::layout::Layout;
use crate::web::query::QueryError;
use crate::web::session::Visitor;

const PROGRAMMES: &str = r#"
{
  programmes(first: 100) { nodes { id code title moduleIds } }
  roles: __type(name: "StaffRole") ENUM
}"#;

const REPORT_IN_POST: &str = "mutation ($input: ReportStaffInPostInput!) { reportStaffInPost(input: $input) { lastPosition } }";
const ENROL: &str =
    "mutation ($input: EnrolStaffInput!) { enrolStaff(input: $input) { lastPosition } }";
const COMPLETE_MODULE: &str =
    "mutation ($input: CompleteModuleInput!) { completeModule(input: $input) { lastPosition } }";
const COMPLETE_TRAINING: &str = "mutation ($input: CompleteTrainingInput!) { completeTraining(input: $input) { lastPosition } }";

const ROLLOUT: &str = r#"
query Staff($programme: String!, $within: String!) {
  trainingRollout(programme: $programme, groupBy: PRACTICE, within: $within) {
    totals { staffInPost trained percentTrained byRole { role enrolled completed staffInPost } }
  }
}"#;

#[derive(Debug, Deserialize)]
struct Programmes {
    programmes: super::Nodes<Programme>,
    roles: EnumValues,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Programme {
    id: String,
    code: String,
    title: String,
    module_ids: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    training_rollout: Rollout,
}

#[derive(Debug, Deserialize)]
struct Rollout {
    totals: Totals,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Totals {
    staff_in_post: u64,
    trained: u64,
    percent_trained: Option<f64>,
    by_role: Vec<ByRole>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByRole {
    role: Option<String>,
    enrolled: u64,
    completed: u64,
    staff_in_post: u64,
}

#[derive(Debug)]
struct Table {
    title: String,
    export: String,
    summary: String,
    rows: Vec<Row>,
}

#[derive(Debug)]
struct Row {
    role: String,
    staff_in_post: u64,
    enrolled: u64,
    completed: u64,
}

#[derive(Template)]
#[template(path = "staff.html")]
struct Page {
    layout: Layout,
    tables: Vec<Table>,
    /// Whether the visitor records staff (the practice manager): the forms are theirs.
    records: bool,
    roles: Vec<Choice>,
    programmes: Vec<Choice>,
    /// What a member of staff may have finished: each programme's modules and itself.
    finished: Vec<Choice>,
    done: Option<&'static str>,
    typed: Posted,
    problems: Problems,
}

/// `?done=` after a form, in words.
const DONE: [(&str, &str); 3] = [
    ("in-post", "The staff in post are recorded."),
    ("enrolled", "The enrolment is recorded."),
    ("completed", "The completed training is recorded."),
];

async fn render(
    gw: &Gateway,
    visitor: &Visitor,
    typed: Posted,
    problems: Problems,
    done: Option<&'static str>,
) -> Response {
    let layout = Layout::new(gw, visitor, "/staff");
    let Some(caller) = visitor.caller() else {
        return super::query_failed(
            layout,
            &QueryError::Unauthenticated("Sign in to see your staff".into()),
        );
    };
    let own = caller.principal.organisation.clone();
    let document = PROGRAMMES.replace("ENUM", ENUM_VALUES);
    let programmes: Programmes =
        match super::ask(gw, visitor, &layout, &document, serde_json::json!({})).await {
            Ok(p) => p,
            Err(failed) => return failed,
        };
    let mut tables = Vec::new();
    // One question per programme: a practice follows a handful.
    for p in &programmes.programmes.nodes {
        let answer: Answer = match super::ask(
            gw,
            visitor,
            &layout,
            ROLLOUT,
            serde_json::json!({ "programme": &p.code, "within": own }),
        )
        .await
        {
            Ok(a) => a,
            Err(failed) => return failed,
        };
        let t = answer.training_rollout.totals;
        tables.push(Table {
            title: format!("{} ({})", p.title, p.code),
            export: format!(
                "/export/trainingRollout.totals.byRole.csv?programme={}&groupBy=PRACTICE&within={}",
                encode(&p.code),
                encode(&own)
            ),
            summary: match t.percent_trained {
                Some(pc) => format!(
                    "{} of {} staff in post in its audience trained ({pc:.1}%).",
                    t.trained, t.staff_in_post
                ),
                None => "No staff in post reported in its audience roles.".into(),
            },
            rows: t
                .by_role
                .into_iter()
                .map(|r| Row {
                    role: words(r.role.as_deref().unwrap_or("OTHER")),
                    staff_in_post: r.staff_in_post,
                    enrolled: r.enrolled,
                    completed: r.completed,
                })
                .collect(),
        });
    }
    let nodes = &programmes.programmes.nodes;
    html(&Page {
        records: layout.may(&[auth::Role::PracticeManager]),
        layout,
        tables,
        roles: programmes.roles.choices(),
        programmes: nodes
            .iter()
            .map(|p| Choice {
                value: p.id.clone(),
                words: format!("{} ({})", p.title, p.code),
                hint: String::new(),
            })
            .collect(),
        finished: nodes.iter().flat_map(finishing).collect(),
        done,
        typed,
        problems,
    })
}

/// What a member of staff may have finished of programme `p`: each of its modules, then
/// the whole programme (which needs every module first), as the completion form offers
/// them; each value is read back by [`finished`].
fn finishing(p: &Programme) -> Vec<Choice> {
    let module = |m: &String| Choice {
        value: format!("{}{FINISHED_MODULE}{m}", p.id),
        words: format!("{}: module {m}", p.code),
        hint: String::new(),
    };
    let whole = Choice {
        value: p.id.clone(),
        words: format!("{}: the whole programme", p.code),
        hint: String::new(),
    };
    p.module_ids
        .iter()
        .map(module)
        .chain(std::iter::once(whole))
        .collect()
}

/// Between a programme's id and a module's in a completion's choice; a programme id (a
/// UUID or a short code) never holds it.
const FINISHED_MODULE: char = ':';

/// A completion's choice read back: the programme's id and, when one module was
/// finished, the module's id; `None` when nothing was chosen.
fn finished(value: &str) -> Option<(&str, Option<&str>)> {
    let value = value.trim();
    match value.split_once(FINISHED_MODULE) {
        _ if value.is_empty() => None,
        Some((programme, module)) if !programme.is_empty() && !module.is_empty() => {
            Some((programme, Some(module)))
        }
        Some(_) => None,
        None => Some((value, None)),
    }
}

/// `GET /staff`; `?done=` says which record was just made.
pub async fn page(
    State(gw): State<Gateway>,
    Extension(visitor): Extension<Visitor>,
    Query(done): Query<super::Done>,
) -> Response {
    let done = done.in_words(&DONE);
    render(&gw, &visitor, Posted::default(), Problems::default(), done).await
}

/// Sends one of the page's forms (see [`form::submit_checked`]); `done` names it.
async fn send(
    gw: Gateway,
    visitor: Visitor,
    typed: Posted,
    problems: Problems,
    command: Command<'_>,
    done: &str,
) -> Response {
    let done = format!("/staff?done={done}");
    form::submit_checked(
        &gw,
        &visitor,
        problems,
        command,
        &done,
        "/staff",
        |problems| render(&gw, &visitor, typed, problems, None),
    )
    .await
}

/// `POST /staff/in-post`: how many people work in a role, through `reportStaffInPost`.
/// The inputs' ids are the API's names; an error naming the practice lands on the role.
pub async fn in_post(
    State(gw): State<Gateway>,
    CheckedForm { visitor, typed }: CheckedForm,
) -> Response {
    const FIELDS: [(&str, &str); 4] = [
        ("practiceCode", "staffRole"),
        ("staffRole", "staffRole"),
        ("headcount", "headcount"),
        ("asOf", "asOf"),
    ];
    let mut problems = Problems::default();
    let p = &mut problems;
    let input = serde_json::json!({
        "practiceCode": visitor.organisation(),
        "staffRole": chosen::<StaffRole>(&typed, "staffRole", "the role", p),
        "headcount": typed.count("headcount", "how many people work in the role", None, p),
        "asOf": typed.optional("asOf"),
    });
    let command = Command {
        mutation: REPORT_IN_POST,
        input,
        fields: &FIELDS,
        fallback: "staffRole",
    };
    send(gw, visitor, typed, problems, command, "in-post").await
}

/// `POST /staff/enrol`: a member of staff, by the practice's own reference, starting a
/// programme, through `enrolStaff`.
pub async fn enrol(
    State(gw): State<Gateway>,
    CheckedForm { visitor, typed }: CheckedForm,
) -> Response {
    // A refusal for the state of things (already enrolled) names the field as the
    // service does, in snake case.
    const FIELDS: [(&str, &str); 6] = [
        ("practiceCode", "enrolStaffRef"),
        ("staffRef", "enrolStaffRef"),
        ("staff_ref", "enrolStaffRef"),
        ("staffRole", "enrolStaffRole"),
        ("programmeId", "programmeId"),
        ("enrolledOn", "enrolledOn"),
    ];
    let mut problems = Problems::default();
    let p = &mut problems;
    let programme = typed.get("programmeId").trim();
    if programme.is_empty() {
        p.add("programmeId", "Choose the programme");
    }
    // An empty or name-like reference is the API's to refuse, in its own words.
    let input = serde_json::json!({
        "practiceCode": visitor.organisation(),
        "staffRef": typed.get("enrolStaffRef").trim(),
        "staffRole": chosen::<StaffRole>(&typed, "enrolStaffRole", "the role they are trained for", p),
        "programmeId": programme,
        "enrolledOn": typed.optional("enrolledOn"),
    });
    let command = Command {
        mutation: ENROL,
        input,
        fields: &FIELDS,
        fallback: "enrolStaffRef",
    };
    send(gw, visitor, typed, problems, command, "enrolled").await
}

/// `POST /staff/complete`: a module or a whole programme finished, through
/// `completeModule` or `completeTraining`.
pub async fn complete(
    State(gw): State<Gateway>,
    CheckedForm { visitor, typed }: CheckedForm,
) -> Response {
    // A refusal for the state of things (a module still to do) names the field as the
    // service does, in snake case.
    const FIELDS: [(&str, &str); 6] = [
        ("practiceCode", "staffRef"),
        ("staffRef", "staffRef"),
        ("staff_ref", "staffRef"),
        ("programmeId", "finished"),
        ("moduleId", "finished"),
        ("completedOn", "completedOn"),
    ];
    let mut problems = Problems::default();
    let what = finished(typed.get("finished"));
    if what.is_none() {
        problems.add("finished", "Choose what they finished");
    }
    let (programme, module) = what.unwrap_or_default();
    let mut input = serde_json::json!({
        "practiceCode": visitor.organisation(),
        "staffRef": typed.get("staffRef").trim(),
        "programmeId": programme,
        "completedOn": typed.optional("completedOn"),
    });
    let mutation = match module {
        Some(module) => {
            input["moduleId"] = serde_json::json!(module);
            COMPLETE_MODULE
        }
        None => COMPLETE_TRAINING,
    };
    let command = Command {
        mutation,
        input,
        fields: &FIELDS,
        fallback: "staffRef",
    };
    send(gw, visitor, typed, problems, command, "completed").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_completion_names_a_programme_and_perhaps_one_module() {
        let id = "00000000-0000-4000-8000-0000000000f1";
        assert_eq!(finished(id), Some((id, None)));
        assert_eq!(finished(&format!(" {id}:m1 ")), Some((id, Some("m1"))));
        // A module id keeps whatever follows the first separator.
        assert_eq!(finished(&format!("{id}:a:b")), Some((id, Some("a:b"))));
        for nothing in ["", "  ", ":m1", &format!("{id}:")] {
            assert_eq!(finished(nothing), None, "{nothing:?}");
        }
        let p = Programme {
            id: id.into(),
            code: "DFR-2027".into(),
            title: "Reception".into(),
            module_ids: vec!["m1".into(), "m2".into()],
        };
        let offered = finishing(&p);
        let read: Vec<_> = offered.iter().map(|c| finished(&c.value)).collect();
        assert_eq!(
            read,
            [
                Some((id, Some("m1"))),
                Some((id, Some("m2"))),
                Some((id, None))
            ]
        );
        assert_eq!(offered[2].words, "DFR-2027: the whole programme");
    }
}
