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

/// One exportable view.
#[derive(Debug)]
pub struct View {
    /// The query field, as in the URL.
    pub field: &'static str,
    /// The arguments a URL may give, with their GraphQL types.
    pub arguments: &'static [(&'static str, &'static str)],
    /// The argument that is the caller's own organisation when the URL names none.
    pub own_area: Option<&'static str>,
    /// What to select on the field.
    pub selection: &'static str,
    /// The list (a field of the answer) whose items are the rows.
    pub rows: &'static str,
    /// Each column's heading and its path in a row: fields joined by `.`; `name[key=value]`
    /// takes the item of list `name` whose `key` is `value`; a list met without a
    /// selector gives its values joined by `; `.
    pub columns: &'static [(&'static str, &'static str)],
}

pub const VIEWS: &[View] = &[View {
    field: "responsibilityGaps",
    arguments: &[
        ("area", "String!"),
        ("level", "Level"),
        ("duty", "String"),
        ("asOf", "DateTime"),
        ("onDate", "NaiveDate"),
    ],
    own_area: Some("area"),
    selection: "coverage { duty { id title } level units counts { flag units } }",
    rows: "coverage",
    columns: &[
        ("duty_id", "duty.id"),
        ("duty", "duty.title"),
        ("level", "level"),
        ("units", "units"),
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
    ],
}];

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

fn csv(view: &View, answer: &Value) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(view.columns.iter().map(|(heading, _)| *heading))?;
    let rows = answer
        .get(view.field)
        .and_then(|a| a.get(view.rows))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for row in rows {
        writer.write_record(view.columns.iter().map(|(_, path)| cell(row, path)))?;
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
        .and_then(|name| VIEWS.iter().find(|v| v.field == name))
    else {
        let known: Vec<String> = VIEWS.iter().map(|v| format!("{}.csv", v.field)).collect();
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
        format!("{}.csv", view.field)
    } else {
        format!("{}-{area}.csv", view.field)
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
}
