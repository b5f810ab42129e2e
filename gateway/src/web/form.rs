//! What every page's form shares: reading an organisation code a visitor typed, and the
//! NHS.UK error pattern (an error summary at the top linking to each field, the message
//! next to the field) fed by the API's own errors, which name the field in
//! `extensions.field` (DESIGN.md §10: shown next to the field they concern); a POSTed
//! form as typed, [`CheckedForm`], the one way a POST handler receives it (only with the
//! session's CSRF token), and [`send`], the one way a form runs its mutation.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::csrf;
use super::query::{self, QueryError};
use super::session::Visitor;
use crate::http::Gateway;

/// The longest code read from a form: longer is not a code.
const MAX_CODE: usize = 40;

/// An organisation code as typed: trimmed, at most 40 characters, upper case (codes
/// are, and people type them in lower case).
pub fn code(typed: Option<&str>) -> String {
    trimmed(typed).to_uppercase()
}

/// An organisation code as typed, in the case difacto knows it by: NHS codes are upper
/// case and often typed in lower case, partners' and providers' codes
/// (`P-leeds-libraries`) are mixed case and are taken as typed when they exist.
pub fn known_code(gw: &Gateway, typed: Option<&str>) -> String {
    let typed = trimmed(typed);
    gw.projection.live().read(|model| {
        if model.tree.get(&typed).is_some() {
            typed.clone()
        } else {
            typed.to_uppercase()
        }
    })
}

fn trimmed(typed: Option<&str>) -> String {
    typed
        .unwrap_or_default()
        .trim()
        .chars()
        .take(MAX_CODE)
        .collect()
}

/// A problem with one field of a form: `field` is the `id` of its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The problems of one form, for the error summary and the fields.
#[derive(Debug, Clone, Default)]
pub struct Problems {
    pub list: Vec<FieldError>,
}

impl Problems {
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The message for the input `field`, if it has one.
    pub fn of(&self, field: &str) -> Option<&str> {
        self.list
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.list.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// The problem an API error states, put against the field it names (its
    /// `extensions.field`, or the `field: ` its message starts with), else against
    /// `fallback`, the field the visitor last chose. The message loses the field's
    /// prefix: the page shows it next to the field already.
    pub fn from_error(error: &QueryError, fields: &[(&str, &str)], fallback: &str) -> Self {
        let message = error.message();
        let named = match error {
            QueryError::BadInput { field: Some(f), .. }
            | QueryError::Conflict { field: Some(f), .. } => Some(f.as_str()),
            _ => message
                .split_once(": ")
                .map(|(f, _)| f)
                .filter(|f| fields.iter().any(|(api, _)| api == f)),
        };
        // `fields` maps the API's argument names to the inputs' ids.
        let input = named
            .and_then(|n| fields.iter().find(|(api, _)| *api == n))
            .map_or(fallback, |(_, id)| *id);
        // The services name a field in snake case (`session_id: …`) where the extension
        // has it in camelCase: a leading identifier is the field either way.
        let text = match message.split_once(": ") {
            Some((prefix, rest))
                if named.is_some()
                    && !prefix.is_empty()
                    && prefix
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                rest
            }
            _ => message,
        };
        let mut problems = Self::default();
        problems.add(input, capitalise(text));
        problems
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A POSTed form as it came: every field in order, kept to be shown again with the
/// errors. Read by hand because a list of checkboxes sends one field per box ticked,
/// which a struct of single values cannot take.
#[derive(Debug, Clone, Default)]
pub struct Posted {
    pairs: Vec<(String, String)>,
}

/// The most fields a form of difacto's has; a body with more is not one of its forms.
const MAX_FIELDS: usize = 64;

impl Posted {
    pub fn parse(body: &[u8]) -> Self {
        Self {
            pairs: form_urlencoded::parse(body)
                .take(MAX_FIELDS)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        }
    }

    /// The field `name` as typed, or empty.
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value sent as `name` (the boxes ticked).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether `value` was sent as `name`: a box ticked, an option chosen.
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.pairs.iter().any(|(k, v)| k == name && v == value)
    }

    /// The field `name` as a count, or the problem with it, put against the input
    /// `name`; left empty it is `default`, or a problem when there is none.
    pub fn count(
        &self,
        name: &str,
        words: &str,
        default: Option<i64>,
        problems: &mut Problems,
    ) -> i64 {
        match (self.get(name).trim(), default) {
            ("", Some(d)) => d,
            ("", None) => {
                problems.add(name, format!("Enter {words}"));
                0
            }
            (typed, _) => typed.parse::<i64>().unwrap_or_else(|_| {
                problems.add(name, format!("Enter {words} as a whole number, like 2"));
                0
            }),
        }
    }

    /// The field `name` trimmed, `None` when left empty (an optional input).
    pub fn optional(&self, name: &str) -> Option<&str> {
        Some(self.get(name).trim()).filter(|v| !v.is_empty())
    }
}

/// A POSTed form that came from a page of the visitor's own session: who sent it and
/// its fields as typed. It is the extractor of every POST handler of the web app, so no
/// handler can forget the CSRF check: a form without the session's token (or a request
/// outside the session layer) is answered with [`csrf::refused`] before the handler
/// runs.
#[derive(Debug, Clone)]
pub struct CheckedForm {
    pub visitor: Visitor,
    /// The fields as typed, in the words every page uses for them.
    pub typed: Posted,
}

impl<S: Send + Sync> FromRequest<S> for CheckedForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Some(visitor) = request.extensions().get::<Visitor>().cloned() else {
            return Err(csrf::refused());
        };
        let body = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let typed = Posted::parse(&body);
        if !csrf::matches_masked(&visitor.csrf, Some(typed.get(csrf::FIELD))) {
            return Err(csrf::refused());
        }
        Ok(Self { visitor, typed })
    }
}

/// One value of a GraphQL enum as a form offers it: the value sent, in words, and the
/// schema's own description of it as the hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub words: String,
    pub hint: String,
}

impl Choice {
    /// Whether this is the value `chosen`.
    pub fn matches(&self, chosen: &str) -> bool {
        self.value == chosen
    }
}

/// The enum values of a `__type(name:)` introspection, as a page's query selects them
/// with [`ENUM_VALUES`]: a form's choices come from the schema, in its order and with its
/// descriptions, so the form offers exactly what the API takes.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnumValues {
    #[serde(default)]
    enum_values: Vec<EnumValue>,
}

#[derive(Debug, Clone, serde::Deserialize)]
struct EnumValue {
    name: String,
    description: Option<String>,
}

/// What a page's query selects on `__type(name: "…")` to read [`EnumValues`].
pub const ENUM_VALUES: &str = "{ enumValues { name description } }";

impl EnumValues {
    pub fn choices(&self) -> Vec<Choice> {
        self.enum_values
            .iter()
            .map(|v| Choice {
                words: words(&v.name),
                hint: v.description.clone().unwrap_or_default(),
                value: v.name.clone(),
            })
            .collect()
    }
}

/// A GraphQL enum value in words: `CARE_NAVIGATOR` is "Care navigator", `NHS_APP` is
/// "NHS App"; the abbreviations people write in capitals stay so.
pub fn words(name: &str) -> String {
    const CAPITALS: [&str; 7] = ["NHS", "GP", "BSL", "SMS", "ICB", "PCN", "URL"];
    let mut out = String::new();
    for (i, word) in name.split('_').filter(|w| !w.is_empty()).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if CAPITALS.contains(&word) {
            out.push_str(word);
        } else if i == 0 || out.ends_with("NHS ") {
            // "NHS App": a product's name keeps its capital.
            let lower = word.to_lowercase();
            let mut chars = lower.chars();
            out.extend(chars.next().map(|c| c.to_ascii_uppercase()));
            out.push_str(chars.as_str());
        } else {
            out.push_str(&word.to_lowercase());
        }
    }
    out
}

/// The enum value `T` names that the field `name` holds, or the problem put against it:
/// `what` says what to choose. Only a value of the API's enum is sent on.
pub fn chosen<'a, T: async_graphql::EnumType>(
    typed: &'a Posted,
    name: &str,
    what: &str,
    problems: &mut Problems,
) -> &'a str {
    let value = typed.get(name).trim();
    if !T::items().iter().any(|item| item.name == value) {
        problems.add(name, format!("Choose {what}"));
    }
    value
}

/// Every value of `T` ticked as `name`; anything else sent is no choice the form offered.
pub fn ticked<'a, T: async_graphql::EnumType>(typed: &'a Posted, name: &str) -> Vec<&'a str> {
    typed
        .all(name)
        .into_iter()
        .filter(|v| T::items().iter().any(|item| item.name == *v))
        .collect()
}

/// A mutation a form sends, and how to read its errors: `fields` maps the API's input
/// field names to the inputs' ids, `fallback` is the input an error naming no field is
/// shown against.
#[derive(Debug)]
pub struct Command<'a> {
    pub mutation: &'a str,
    pub input: serde_json::Value,
    pub fields: &'a [(&'a str, &'a str)],
    pub fallback: &'a str,
}

/// What came of a form's command.
#[derive(Debug)]
pub enum Outcome {
    /// Recorded, and the read models have folded it: the page may be shown again.
    Done,
    /// The visitor's to correct (or not theirs to do): the form again with `Problems`,
    /// answered with the status.
    Refused(StatusCode, Problems),
    /// Nothing the visitor can correct.
    Failed(QueryError),
}

/// Runs `command`'s mutation as the visitor through the API's schema: the same policy
/// and the same errors as a GraphQL client gets (DESIGN.md §10).
pub async fn send(gw: &Gateway, visitor: &Visitor, command: Command<'_>) -> Outcome {
    let answer: Result<serde_json::Value, QueryError> = query::run(
        &gw.schema,
        &visitor.auth,
        command.mutation,
        serde_json::json!({ "input": command.input }),
    )
    .await;
    match answer {
        Ok(_) => {
            // The next page reads the read models: let them fold what was just recorded,
            // or the visitor would not see what they did.
            if let Err(err) = gw.projection.catch_up(Duration::from_secs(5)).await {
                tracing::warn!(error = ?err, "the read models did not catch up after a form");
            }
            Outcome::Done
        }
        Err(
            e @ (QueryError::BadInput { .. }
            | QueryError::Conflict { .. }
            | QueryError::NotFound(_)
            | QueryError::Forbidden(_)),
        ) => {
            let status = match &e {
                QueryError::Forbidden(_) => StatusCode::FORBIDDEN,
                QueryError::Conflict { .. } => StatusCode::CONFLICT,
                _ => StatusCode::BAD_REQUEST,
            };
            Outcome::Refused(
                status,
                Problems::from_error(&e, command.fields, command.fallback),
            )
        }
        Err(other) => Outcome::Failed(other),
    }
}

/// Sends a form's `command` and answers the browser: when it worked, a redirect to
/// `done` (so a reload does not send it twice, and the page shows what was done); when
/// refused, `again` (the form with the problems, as typed) with the refusal's status;
/// anything else, the failure's page in the frame of the page at `path`.
pub async fn submit<F, Fut>(
    gw: &Gateway,
    visitor: &Visitor,
    command: Command<'_>,
    done: &str,
    path: &str,
    again: F,
) -> Response
where
    F: FnOnce(Problems) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    match send(gw, visitor, command).await {
        Outcome::Done => axum::response::Redirect::to(done).into_response(),
        Outcome::Refused(status, problems) => (status, again(problems).await).into_response(),
        Outcome::Failed(e) => {
            super::pages::query_failed(super::layout::Layout::new(gw, visitor, path), &e)
        }
    }
}

/// [`submit`], unless the form has `problems` of its own already (a choice it did not
/// offer, a count that is not one): then nothing is sent, and the browser gets `again`
/// with them, answered 400.
pub async fn submit_checked<F, Fut>(
    gw: &Gateway,
    visitor: &Visitor,
    problems: Problems,
    command: Command<'_>,
    done: &str,
    path: &str,
    again: F,
) -> Response
where
    F: FnOnce(Problems) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    if !problems.is_empty() {
        return (StatusCode::BAD_REQUEST, again(problems).await).into_response();
    }
    submit(gw, visitor, command, done, path, again).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_posted_form_keeps_every_box_ticked_and_reads_counts() {
        let form =
            Posted::parse(b"places=2&accessNeeds=WHEELCHAIR&accessNeeds=QUIET_SPACE&walkIns=x");
        assert_eq!(form.get("places"), "2");
        assert_eq!(form.get("nothing"), "");
        assert_eq!(form.all("accessNeeds"), ["WHEELCHAIR", "QUIET_SPACE"]);
        assert!(form.has("accessNeeds", "QUIET_SPACE"));
        let mut problems = Problems::default();
        assert_eq!(form.count("places", "places", None, &mut problems), 2);
        assert_eq!(form.count("noShows", "no-shows", Some(0), &mut problems), 0);
        assert!(problems.is_empty());
        form.count("walkIns", "walk-ins", Some(0), &mut problems);
        form.count("attended", "how many came", None, &mut problems);
        assert_eq!(
            problems.of("walkIns"),
            Some("Enter walk-ins as a whole number, like 2")
        );
        assert_eq!(problems.of("attended"), Some("Enter how many came"));
    }

    #[test]
    fn enum_values_read_as_words() {
        use crate::vocabulary::{FacilitationMode, PatientGroup};
        assert_eq!(words("CARE_NAVIGATOR"), "Care navigator");
        assert_eq!(words("NHS_APP"), "NHS App");
        assert_eq!(words("GP"), "GP");
        assert_eq!(words("BSL_VIDEO"), "BSL video");
        assert_eq!(words("SMS_LINK"), "SMS link");
        let typed = Posted::parse(b"mode=PROACTIVE&bad=SIDEWAYS&groups=HOMELESS&groups=NOPE");
        let mut problems = Problems::default();
        assert_eq!(
            chosen::<FacilitationMode>(&typed, "mode", "how", &mut problems),
            "PROACTIVE"
        );
        assert!(problems.is_empty());
        chosen::<FacilitationMode>(&typed, "bad", "how it came about", &mut problems);
        assert_eq!(problems.of("bad"), Some("Choose how it came about"));
        assert_eq!(ticked::<PatientGroup>(&typed, "groups"), ["HOMELESS"]);
    }

    #[test]
    fn codes_are_trimmed_and_upper_case() {
        assert_eq!(code(Some("  qwo ")), "QWO");
        assert_eq!(code(None), "");
        assert_eq!(code(Some(&"a".repeat(100))).len(), 40);
    }

    #[test]
    fn an_api_error_lands_on_the_field_it_names() {
        let error = QueryError::BadInput {
            field: Some("sessionId".into()),
            message: "sessionId: no such session".into(),
        };
        let p = Problems::from_error(&error, &[("sessionId", "session")], "other");
        assert_eq!(p.of("session"), Some("No such session"));
        let error = QueryError::BadInput {
            field: Some("sessionId".into()),
            message: "session_id: has not started yet".into(),
        };
        let p = Problems::from_error(&error, &[("sessionId", "session")], "other");
        assert_eq!(p.of("session"), Some("Has not started yet"));
        let error = QueryError::NotFound("within: no organisation ZZZ".into());
        let p = Problems::from_error(&error, &[("within", "within")], "programme");
        assert_eq!(p.of("within"), Some("No organisation ZZZ"));
        // Naming no field, it lands on the fallback, whole.
        let error = QueryError::Forbidden("not yours".into());
        let p = Problems::from_error(&error, &[("within", "within")], "programme");
        assert_eq!(p.of("programme"), Some("Not yours"));
        // A message that only looks like it names a field is kept whole.
        let error = QueryError::Conflict {
            field: None,
            message: "the session is full: 0 places left".into(),
        };
        let p = Problems::from_error(&error, &[("places", "places")], "places");
        assert_eq!(p.of("places"), Some("The session is full: 0 places left"));
    }
}
