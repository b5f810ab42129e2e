//! `/export/<view>.csv` (DESIGN.md §10): a query field of the API as CSV, its arguments
//! the URL's query parameters, answered through the schema as the visitor (a session or
//! a bearer token) so scoping and small-number suppression are the API's own. Each view
//! is one entry of [`VIEWS`]: the field, the arguments it takes, what to select, the
//! list whose items are the rows and a path to each column.

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::query::{self, QueryError};
use super::session::Visitor;
use crate::http::Gateway;

/// One exportable table.
#[derive(Debug)]
pub struct View {
    /// The file's name without `.csv`: the query field, then, for a field whose answer
    /// holds more than one table, `.` and the list that is this one
    /// (`trainingRollout.weekly`).
    pub name: &'static str,
    /// The query field.
    pub field: &'static str,
    /// The arguments a URL may give, with their GraphQL types.
    pub arguments: &'static [(&'static str, &'static str)],
    /// The argument that is the caller's own organisation when the URL names none.
    pub own_area: Option<&'static str>,
    /// Arguments the document always passes besides the URL's: a page size that takes
    /// every row a page of difacto's can show.
    pub fixed: &'static str,
    /// What to select on the field.
    pub selection: &'static str,
    /// The path in the field's answer to the list whose items are the rows (empty: the
    /// field is the list): fields joined by `.`; a list met on the way gives a row per item of each of its items' lists
    /// (`coverage.byArea`: one row per area of each duty).
    pub rows: &'static str,
    /// Each column's heading and its path in a row: fields joined by `.`; `name[key=value]`
    /// takes the item of list `name` whose `key` is `value`; a list met without a
    /// selector gives its values joined by `; `; a leading `^` reads the item of the list
    /// one step up the rows' path (the duty of an area's row).
    pub columns: &'static [(&'static str, &'static str)],
}

/// The arguments every view takes: the two times of DESIGN.md §5.
const TIMES: [(&str, &str); 2] = [("asOf", "DateTime"), ("onDate", "NaiveDate")];

/// The arguments of `trainingRollout`, for each of its tables.
const ROLLOUT_ARGUMENTS: &[(&str, &str)] = &[
    ("programme", "String!"),
    ("groupBy", "AreaLevel!"),
    ("within", "String"),
    ("treeAt", "TreeAt"),
    TIMES[0],
    TIMES[1],
];

/// The figures of a rollout row, as columns.
macro_rules! rollout_columns {
    ($prefix:literal) => {
        [
            ("practices", concat!($prefix, "practices")),
            ("staff_in_post", concat!($prefix, "staffInPost")),
            ("trained", concat!($prefix, "trained")),
            ("percent_trained", concat!($prefix, "percentTrained")),
            ("expected_percent", concat!($prefix, "expectedPercent")),
            ("target_percent", concat!($prefix, "targetPercent")),
            ("deadline", concat!($prefix, "deadline")),
            ("on_track", concat!($prefix, "onTrack")),
            ("enrolled", concat!($prefix, "enrolled")),
            ("completed", concat!($prefix, "completed")),
            (
                "practices_without_denominator",
                concat!($prefix, "practicesWithoutDenominator"),
            ),
            (
                "practices_without_trained_reception",
                concat!($prefix, "practicesWithoutTrainedReception"),
            ),
        ]
    };
}

const COVERAGE_COUNTS: [(&str, &str); 7] = [
    (
        "missing_responsible",
        "counts[flag=MISSING_RESPONSIBLE].units",
    ),
    (
        "missing_accountable",
        "counts[flag=MISSING_ACCOUNTABLE].units",
    ),
    ("contested", "counts[flag=CONTESTED].units"),
    ("declined", "counts[flag=DECLINED].units"),
    ("pending", "counts[flag=PENDING].units"),
    ("misattributed", "counts[flag=MISATTRIBUTED].units"),
    ("covered", "counts[flag=COVERED].units"),
];

/// `a` then `b`, as one array: the columns of a view from shared parts.
const fn join<const A: usize, const B: usize, const N: usize>(
    a: [(&'static str, &'static str); A],
    b: [(&'static str, &'static str); B],
) -> [(&'static str, &'static str); N] {
    let mut out = [("", ""); N];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    while i < N {
        out[i] = b[i - A];
        i += 1;
    }
    out
}

const GAPS_COLUMNS: [(&str, &str); 11] = join(
    [
        ("duty_id", "duty.id"),
        ("duty", "duty.title"),
        ("level", "level"),
        ("units", "units"),
    ],
    COVERAGE_COUNTS,
);

const HEAT_MAP_COLUMNS: [(&str, &str); 13] = join(
    [
        ("duty_id", "^duty.id"),
        ("duty", "^duty.title"),
        ("level", "^level"),
        ("area_code", "area.code"),
        ("area", "area.name"),
        ("units", "units"),
    ],
    COVERAGE_COUNTS,
);

const GROUP_COLUMNS: [(&str, &str); 14] = join(
    [("area_code", "area.code"), ("area", "area.name")],
    rollout_columns!("figures."),
);

pub const VIEWS: &[View] = &[
    View {
        name: "responsibilityGaps",
        field: "responsibilityGaps",
        arguments: &[
            ("area", "String!"),
            ("level", "Level"),
            ("duty", "String"),
            ("asOf", "DateTime"),
            ("onDate", "NaiveDate"),
        ],
        own_area: Some("area"),
        fixed: "",
        selection: "coverage { duty { id title } level units counts { flag units } }",
        rows: "coverage",
        columns: &GAPS_COLUMNS,
    },
    // The heat map: each duty and level by the areas of the roll-up.
    View {
        name: "responsibilityGaps.byArea",
        field: "responsibilityGaps",
        arguments: &[
            ("area", "String!"),
            ("level", "Level"),
            ("duty", "String"),
            ("groupBy", "AreaLevel"),
            TIMES[0],
            TIMES[1],
        ],
        own_area: Some("area"),
        fixed: "",
        selection: "coverage { duty { id title } level byArea { area { code name } units counts { flag units } } }",
        rows: "coverage.byArea",
        columns: &HEAT_MAP_COLUMNS,
    },
    View {
        name: "trainingRollout",
        field: "trainingRollout",
        arguments: ROLLOUT_ARGUMENTS,
        own_area: Some("within"),
        fixed: "",
        selection: "groups(first: 500) { nodes { area { code name } figures { practices \
            staffInPost trained percentTrained expectedPercent targetPercent deadline onTrack \
            enrolled completed practicesWithoutDenominator practicesWithoutTrainedReception } } }",
        rows: "groups.nodes",
        columns: &GROUP_COLUMNS,
    },
    View {
        name: "trainingRollout.weekly",
        field: "trainingRollout",
        arguments: ROLLOUT_ARGUMENTS,
        own_area: Some("within"),
        fixed: "",
        selection: "weekly { weekStarting enrolled completed staffInPost trained percentTrained expectedPercent }",
        rows: "weekly",
        columns: &[
            ("week_starting", "weekStarting"),
            ("enrolled", "enrolled"),
            ("completed", "completed"),
            ("staff_in_post", "staffInPost"),
            ("trained", "trained"),
            ("percent_trained", "percentTrained"),
            ("expected_percent", "expectedPercent"),
        ],
    },
    View {
        name: "trainingRollout.totals.byRole",
        field: "trainingRollout",
        arguments: ROLLOUT_ARGUMENTS,
        own_area: Some("within"),
        fixed: "",
        selection: "totals { byRole { role enrolled completed staffInPost } }",
        rows: "totals.byRole",
        columns: &[
            ("role", "role"),
            ("staff_in_post", "staffInPost"),
            ("enrolled", "enrolled"),
            ("completed", "completed"),
        ],
    },
    View {
        name: "trainingRollout.practicesWithoutTrainedReception",
        field: "trainingRollout",
        arguments: ROLLOUT_ARGUMENTS,
        own_area: Some("within"),
        fixed: "",
        selection: "practicesWithoutTrainedReception(first: 500) { nodes { code name } }",
        rows: "practicesWithoutTrainedReception.nodes",
        columns: &[("practice_code", "code"), ("practice", "name")],
    },
    View {
        name: "sessions",
        field: "sessions",
        arguments: &[
            ("within", "String"),
            ("from", "DateTime"),
            ("to", "DateTime"),
            ("topic", "DigitalService"),
            ("language", "String"),
            ("openOnly", "Boolean"),
            TIMES[0],
            TIMES[1],
        ],
        own_area: Some("within"),
        fixed: "first: 500",
        selection: "nodes { id title startsAt endsAt partner { code } icb { code } \
            hostPractice { code } venueName venuePostcodeDistrict capacity booked available \
            waitlisted full cancelled attendance { attended { display } noShows { display } \
            walkIns { display } } }",
        rows: "nodes",
        columns: &[
            ("session_id", "id"),
            ("title", "title"),
            ("starts_at", "startsAt"),
            ("ends_at", "endsAt"),
            ("partner", "partner.code"),
            ("icb", "icb.code"),
            ("host_practice", "hostPractice.code"),
            ("venue", "venueName"),
            ("venue_postcode_district", "venuePostcodeDistrict"),
            ("capacity", "capacity"),
            ("booked", "booked"),
            ("available", "available"),
            ("waitlisted", "waitlisted"),
            ("full", "full"),
            ("cancelled", "cancelled"),
            ("attended", "attendance.attended.display"),
            ("no_shows", "attendance.noShows.display"),
            ("walk_ins", "attendance.walkIns.display"),
        ],
    },
    View {
        name: "commissioning",
        field: "commissioning",
        arguments: &[("area", "String"), TIMES[0], TIMES[1]],
        own_area: Some("area"),
        fixed: "",
        selection: "commissions(first: 500) { nodes { id partner { code name } \
            commissioner { code } area { code } startsOn endsOn status delivery { \
            sessionsPromised sessionsScheduled sessionsHeld sessionsToCome sessionsCancelled \
            seatsBooked attended { display } percentDelivered } } }",
        rows: "commissions.nodes",
        columns: &[
            ("commission_id", "id"),
            ("partner_code", "partner.code"),
            ("partner", "partner.name"),
            ("commissioner", "commissioner.code"),
            ("area", "area.code"),
            ("starts_on", "startsOn"),
            ("ends_on", "endsOn"),
            ("status", "status"),
            ("sessions_promised", "delivery.sessionsPromised"),
            ("sessions_scheduled", "delivery.sessionsScheduled"),
            ("sessions_held", "delivery.sessionsHeld"),
            ("sessions_to_come", "delivery.sessionsToCome"),
            ("sessions_cancelled", "delivery.sessionsCancelled"),
            ("seats_booked", "delivery.seatsBooked"),
            ("attended", "delivery.attended.display"),
            ("percent_delivered", "delivery.percentDelivered"),
        ],
    },
    View {
        name: "serviceStatus",
        field: "serviceStatus",
        arguments: &[
            ("within", "String"),
            ("service", "DigitalService"),
            ("status", "ServiceStatus"),
            ("includeOffered", "Boolean"),
            TIMES[0],
            TIMES[1],
        ],
        own_area: Some("within"),
        fixed: "first: 500",
        selection: "nodes { practice { code name } service status reason reasonKind effectiveDate }",
        rows: "nodes",
        columns: &[
            ("practice_code", "practice.code"),
            ("practice", "practice.name"),
            ("service", "service"),
            ("status", "status"),
            ("reason_kind", "reasonKind"),
            ("reason", "reason"),
            ("effective_date", "effectiveDate"),
        ],
    },
    View {
        name: "facilitationMix.totals.byMode",
        field: "facilitationMix",
        arguments: &[
            ("within", "String"),
            ("from", "NaiveDate"),
            ("to", "NaiveDate"),
            TIMES[0],
            TIMES[1],
        ],
        own_area: Some("within"),
        fixed: "",
        selection: "totals { byMode { key records patients { display } } }",
        rows: "totals.byMode",
        columns: &[
            ("mode", "key"),
            ("records", "records"),
            ("patients", "patients.display"),
        ],
    },
    View {
        name: "platformIssues",
        field: "platformIssues",
        arguments: &[
            ("provider", "String"),
            ("platform", "String"),
            ("status", "IssueStatus"),
            ("reportedBy", "String"),
            TIMES[0],
            TIMES[1],
        ],
        own_area: None,
        fixed: "first: 500",
        selection: "nodes { id platform { id name provider { code } } reportedBy { code } \
            category severity service status reportedAt acknowledgedAt resolvedAt \
            resolutionKind }",
        rows: "nodes",
        columns: &[
            ("issue_id", "id"),
            ("platform_id", "platform.id"),
            ("platform", "platform.name"),
            ("provider", "platform.provider.code"),
            ("reported_by", "reportedBy.code"),
            ("category", "category"),
            ("severity", "severity"),
            ("service", "service"),
            ("status", "status"),
            ("reported_at", "reportedAt"),
            ("acknowledged_at", "acknowledgedAt"),
            ("resolved_at", "resolvedAt"),
            ("resolution_kind", "resolutionKind"),
        ],
    },
    View {
        name: "perceptions.matrix",
        field: "perceptions",
        arguments: &[("area", "String!"), ("duty", "String!"), TIMES[0], TIMES[1]],
        own_area: Some("area"),
        fixed: "",
        selection: "matrix { believer { code } believedOwner { code } level role beliefs \
            about { code } acceptedIn believedToBeOthers }",
        rows: "matrix",
        columns: &[
            ("believer", "believer.code"),
            ("believed_owner", "believedOwner.code"),
            ("level", "level"),
            ("role", "role"),
            ("beliefs", "beliefs"),
            ("about", "about.code"),
            ("accepted_in", "acceptedIn"),
            ("believed_to_be_others", "believedToBeOthers"),
        ],
    },
    // The audit trail of one stream, as far as the caller may see it.
    View {
        name: "history",
        field: "history",
        arguments: &[("stream", "String!"), TIMES[0]],
        own_area: None,
        fixed: "first: 500",
        selection: "nodes { position recordedAt eventType actor organisation payload }",
        rows: "nodes",
        columns: &[
            ("position", "position"),
            ("recorded_at", "recordedAt"),
            ("event_type", "eventType"),
            ("actor", "actor"),
            ("organisation", "organisation"),
            ("payload", "payload"),
        ],
    },
    // A list itself: the rows are the field's answer.
    View {
        name: "hostPractices",
        field: "hostPractices",
        arguments: &[("partner", "String"), TIMES[0]],
        own_area: None,
        fixed: "",
        selection: "practice { code name } confirmed pending declined nextSession",
        rows: "",
        columns: &[
            ("practice_code", "practice.code"),
            ("practice", "practice.name"),
            ("confirmed", "confirmed"),
            ("pending", "pending"),
            ("declined", "declined"),
            ("next_session", "nextSession"),
        ],
    },
];

/// The longest argument value read from a URL.
const MAX_VALUE: usize = 100;

fn refuse(status: StatusCode, message: &str) -> Response {
    let mut response = (status, format!("{message}\n")).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// Percent-encodes a query parameter's value.
pub fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The GraphQL document for `view` with the variables `given` names.
fn document(view: &View, given: &[(&str, &str)]) -> String {
    let declared: Vec<String> = view
        .arguments
        .iter()
        .filter(|(name, _)| given.iter().any(|(g, _)| g == name))
        .map(|(name, ty)| format!("${name}: {ty}"))
        .collect();
    let passed: Vec<String> = given
        .iter()
        .map(|(name, _)| format!("{name}: ${name}"))
        .chain((!view.fixed.is_empty()).then(|| view.fixed.to_owned()))
        .collect();
    let declared = if declared.is_empty() {
        String::new()
    } else {
        format!("({})", declared.join(", "))
    };
    let passed = if passed.is_empty() {
        String::new()
    } else {
        format!("({})", passed.join(", "))
    };
    format!(
        "query Export{declared} {{ {field}{passed} {{ {selection} }} }}",
        field = view.field,
        selection = view.selection
    )
}

/// The variables from the URL's parameters, each checked against the view's
/// arguments; an error names the parameter.
fn variables(view: &View, raw: &str) -> Result<Vec<(String, Value)>, String> {
    let mut out: Vec<(String, Value)> = Vec::new();
    for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
        let Some((name, ty)) = view.arguments.iter().find(|(n, _)| *n == name) else {
            let known: Vec<&str> = view.arguments.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "{}: not a parameter of {}; it takes {}",
                crate::schema::cost::echo(&name),
                view.field,
                known.join(", ")
            ));
        };
        if out.iter().any(|(n, _)| n == name) {
            return Err(format!("{name}: given more than once"));
        }
        let value: String = value.trim().chars().take(MAX_VALUE).collect();
        let value = match ty.trim_end_matches('!') {
            "Int" => Value::from(
                value
                    .parse::<i64>()
                    .map_err(|_| format!("{name}: expected a whole number"))?,
            ),
            "Boolean" => Value::from(
                value
                    .parse::<bool>()
                    .map_err(|_| format!("{name}: expected true or false"))?,
            ),
            _ => Value::from(value),
        };
        out.push(((*name).to_owned(), value));
    }
    Ok(out)
}

/// The value at `path` in `row`, as a CSV cell.
fn cell(row: &Value, path: &str) -> String {
    let mut values = vec![row];
    for segment in path.split('.') {
        let (name, selector) = match segment.split_once('[') {
            Some((name, rest)) => (name, rest.strip_suffix(']').and_then(|s| s.split_once('='))),
            None => (segment, None),
        };
        values = values
            .into_iter()
            .filter_map(|v| v.get(name))
            .flat_map(|v| match (v, selector) {
                (Value::Array(items), Some((key, wanted))) => items
                    .iter()
                    .filter(|i| i.get(key).and_then(Value::as_str) == Some(wanted))
                    .collect::<Vec<_>>(),
                (Value::Array(items), None) => items.iter().collect(),
                (v, _) => vec![v],
            })
            .collect();
    }
    values
        .into_iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The rows at `path` in `answer`, each with the item of the list one step up the path
/// (if any): a list inside a list gives one row per inner item.
fn rows<'a>(answer: &'a Value, path: &str) -> Vec<(Option<&'a Value>, &'a Value)> {
    // (the item of the last list passed, the item of the one before, where we are)
    let mut at: Vec<(Option<&Value>, Option<&Value>, &Value)> = vec![(None, None, answer)];
    for segment in path.split('.') {
        at = at
            .into_iter()
            .filter_map(|(last, before, v)| v.get(segment).map(|next| (last, before, next)))
            .flat_map(|(last, before, next)| match next {
                Value::Array(items) => items.iter().map(|i| (Some(i), last, i)).collect(),
                _ => vec![(last, before, next)],
            })
            .collect();
    }
    at.into_iter()
        .filter(|(last, _, v)| last.is_some_and(|l| std::ptr::eq(l, *v)))
        .map(|(_, before, v)| (before, v))
        .collect()
}

fn csv(view: &View, answer: &Value) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(view.columns.iter().map(|(heading, _)| *heading))?;
    // From the answer's root, so that a field that is itself the list has rows too.
    let path = if view.rows.is_empty() {
        view.field.to_owned()
    } else {
        format!("{}.{}", view.field, view.rows)
    };
    for (parent, row) in rows(answer, &path) {
        writer.write_record(
            view.columns
                .iter()
                .map(|(_, path)| match path.strip_prefix('^') {
                    Some(path) => parent.map(|p| cell(p, path)).unwrap_or_default(),
                    None => cell(row, path),
                }),
        )?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// `GET /export/{file}`, `file` being `<view>.csv`.
pub async fn download(
    State(gw): State<Gateway>,
    Extension(visitor): Extension<Visitor>,
    Path(file): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(view) = file
        .strip_suffix(".csv")
        .and_then(|name| VIEWS.iter().find(|v| v.name == name))
    else {
        let known: Vec<String> = VIEWS.iter().map(|v| format!("{}.csv", v.name)).collect();
        return refuse(
            StatusCode::NOT_FOUND,
            &format!("no such export; there are {}", known.join(", ")),
        );
    };
    // Every view needs a caller; saying so first spares a signed-out visitor an error
    // about a missing `area` that signing in would have filled.
    if let Err(error) = visitor.auth.caller() {
        return refuse(StatusCode::UNAUTHORIZED, &error.message());
    }
    let mut given = match variables(view, raw.as_deref().unwrap_or_default()) {
        Ok(given) => given,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, &message),
    };
    if let (Some(own), Some(caller)) = (view.own_area, visitor.caller())
        && !given.iter().any(|(n, _)| n == own)
    {
        given.push((
            own.to_owned(),
            Value::from(caller.principal.organisation.clone()),
        ));
    }
    let names: Vec<(&str, &str)> = given.iter().map(|(n, _)| (n.as_str(), "")).collect();
    let document = document(view, &names);
    let variables: serde_json::Map<String, Value> = given.iter().cloned().collect();
    let answer: Value = match query::run(
        &gw.schema,
        &visitor.auth,
        &document,
        Value::Object(variables),
    )
    .await
    {
        Ok(answer) => answer,
        Err(error) => {
            let status = match &error {
                QueryError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                QueryError::Forbidden(_) => StatusCode::FORBIDDEN,
                QueryError::NotFound(_) => StatusCode::NOT_FOUND,
                QueryError::BadInput { .. } => StatusCode::BAD_REQUEST,
                QueryError::Conflict { .. } => StatusCode::CONFLICT,
                QueryError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            };
            return refuse(status, error.message());
        }
    };
    let body = match csv(view, &answer) {
        Ok(body) => body,
        Err(err) => {
            tracing::error!(error = %err, "could not write an export");
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the export could not be written",
            );
        }
    };
    let area: String = given
        .iter()
        .find(|(n, _)| Some(n.as_str()) == view.own_area)
        .and_then(|(_, v)| v.as_str())
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let filename = if area.is_empty() {
        format!("{}.csv", view.name)
    } else {
        format!("{}-{area}.csv", view.name)
    };
    let disposition = format!("attachment; filename=\"{filename}\"");
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_follow_paths_selectors_and_lists() {
        let row = serde_json::json!({
            "duty": { "id": "d1", "title": "NHS App" },
            "counts": [{ "flag": "COVERED", "units": 3 }, { "flag": "PENDING", "units": 0 }],
            "owners": [{ "code": "A" }, { "code": "B" }],
            "missing": null,
        });
        assert_eq!(cell(&row, "duty.title"), "NHS App");
        assert_eq!(cell(&row, "counts[flag=COVERED].units"), "3");
        assert_eq!(cell(&row, "counts[flag=PENDING].units"), "0");
        assert_eq!(cell(&row, "counts[flag=DECLINED].units"), "");
        assert_eq!(cell(&row, "owners.code"), "A; B");
        assert_eq!(cell(&row, "missing"), "");
        assert_eq!(cell(&row, "nowhere.at.all"), "");
    }

    #[test]
    fn parameters_become_typed_variables_and_unknown_ones_are_named() {
        let view = &VIEWS[0];
        let vars = variables(view, "area=QWO&level=LOCAL").expect("known parameters");
        assert_eq!(vars[0], ("area".to_owned(), Value::from("QWO")));
        let doc = document(view, &[("area", ""), ("level", "")]);
        assert!(doc.starts_with("query Export($area: String!, $level: Level) { responsibilityGaps(area: $area, level: $level)"), "{doc}");
        let err = variables(view, "sort=name").expect_err("unknown");
        assert!(
            err.starts_with("sort: not a parameter of responsibilityGaps"),
            "{err}"
        );
        assert!(variables(view, "area=A&area=B").is_err());
    }

    #[test]
    fn rows_inside_rows_carry_their_parent() {
        let answer = serde_json::json!({
            "coverage": [
                { "duty": "a", "byArea": [{ "area": "R1" }, { "area": "R2" }] },
                { "duty": "b", "byArea": [{ "area": "R1" }] },
            ],
            "groups": { "nodes": [{ "area": "Q" }] },
        });
        let found: Vec<(String, String)> = rows(&answer, "coverage.byArea")
            .into_iter()
            .map(|(parent, row)| {
                (
                    parent.map(|p| cell(p, "duty")).unwrap_or_default(),
                    cell(row, "area"),
                )
            })
            .collect();
        let expected =
            [("a", "R1"), ("a", "R2"), ("b", "R1")].map(|(d, a)| (d.to_owned(), a.to_owned()));
        assert_eq!(found, expected);
        let groups = rows(&answer, "groups.nodes");
        assert_eq!(groups.len(), 1);
        assert!(groups[0].0.is_none());
        // A path that ends on something other than a list has no rows.
        assert!(rows(&answer, "groups").is_empty());
        assert_eq!(rows(&answer, "coverage").len(), 2);
    }
}
