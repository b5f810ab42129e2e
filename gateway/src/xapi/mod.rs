//! xAPI statements in (`/xapi/statements`): the completions that e-learning platforms
//! (e-LfH and the NHS Learning Hub, Moodle, Totara) send become the same `EnrolStaff`,
//! `CompleteModule` and `CompleteTraining` commands a practice sends through GraphQL.
//!
//! - `POST` takes one statement or an array and answers `200` with their ids in order;
//!   `PUT ?statementId=` takes one and answers `204` (xAPI 1.0.3 Part Three §2.1.1–2.1.2).
//!   Every request carries `X-Experience-API-Version` 1.0.x or 2.0.x; every answer says
//!   which version it speaks.
//! - Credentials: a practice's difacto bearer token (checked by the gateway's own
//!   [`Authentication`]), or HTTP Basic of a platform configured for one practice
//!   ([`config`]), for which the gateway mints a short-lived `practice_staff` token of
//!   that practice, so the services judge both exactly as they judge the web app and the
//!   API.
//! - `completed` and `passed` of a configured activity are recorded; anything else is
//!   valid xAPI that difacto has no use for. It is answered as accepted (`200`/`204`) and
//!   kept nowhere: an LRS answers a valid statement with success (Part Three §2.1), and an
//!   error would make the platform send it again or flag a fault where there is none. A
//!   voiding statement is likewise accepted and changes nothing (difacto records no
//!   "uncompleted").
//! - The learner becomes a keyed pseudonym ([`actor`]); no address, name or account id
//!   reaches the log.
//! - Statement ids are idempotent through the command path's own request ids: a
//!   completion is sent with `requestId` `xapi:<id>.<digest>`, which the store keeps in the
//!   events' metadata. Before anything is sent, the practice's stream is read for those
//!   ids: the same id with the same digest is done already (answered as success,
//!   recorded once), the same id with another digest is `409` (Part Three §2.1.1: "the LRS
//!   SHOULD … return 409 Conflict"). Requests are taken one at a time per gateway, so
//!   two requests cannot both pass that check for one id.
//! - Every statement of a request is parsed and checked, and every completion checked
//!   against the programme it is mapped to, before the first command is sent: a bad
//!   statement is `400` naming its property and records nothing. A command refused by
//!   the domain after others were recorded (a completion dated before an enrolment) is
//!   reported with its index; sending the batch again records nothing twice.

pub mod actor;
pub mod config;
pub mod statement;

use std::collections::HashMap;
use std::time::Duration;

use async_graphql::Variables;
use auth::{Role, TokenIssuer};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use domain::envelope::meta;
use serde_json::{Value, json};
use uuid::Uuid;

use self::config::{Activity, XapiConfig};
use self::statement::{Invalid, Statement};
use crate::caller::Authentication;
use crate::http::Gateway;

/// The header every request and answer carries (xAPI 1.0.3 Part Three §6.2).
pub const VERSION_HEADER: &str = "x-experience-api-version";

/// How long a token minted for a Basic client lives: one request's worth.
const CLIENT_TOKEN_TTL: Duration = Duration::from_secs(300);

/// Ids the gateway gives statements sent without one, derived from their content so a
/// platform that sends the same id-less statement twice has it recorded once.
const ID_NAMESPACE: Uuid = Uuid::from_u128(0x2b7d_51e0_8c3f_4a96_b1d2_7e6f_0a4c_93d8);

/// Hex digits of the statement's digest in its request id: 96 bits.
const DIGEST_HEX: usize = 24;

/// The endpoint's settings and the lock that takes requests one at a time.
pub struct Xapi {
    config: XapiConfig,
    /// Mints the tokens Basic clients act with; `None` when tokens come from an external
    /// issuer, and then no Basic client may be configured.
    issuer: Option<TokenIssuer>,
    turn: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Xapi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Xapi")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Xapi {
    /// Refuses Basic clients without an issuer: the gateway could not act for them.
    pub fn new(config: XapiConfig, issuer: Option<TokenIssuer>) -> Result<Self, String> {
        if config.has_clients() && issuer.is_none() {
            return Err(
                "clients: HTTP Basic clients need the HS256 secret (DIFACTO_JWT_SECRET) \
                        to act for their practice; with a public key (--jwt-public-key) send \
                        practices' bearer tokens instead"
                    .to_owned(),
            );
        }
        Ok(Self {
            config,
            issuer,
            turn: tokio::sync::Mutex::new(()),
        })
    }
}

/// Why a request was not accepted: the status, and for a statement its index in the
/// array and the property at fault.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    message: String,
    property: Option<String>,
    statement: Option<usize>,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            property: None,
            statement: None,
        }
    }

    fn bad(statement: Option<usize>, invalid: Invalid) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: format!("{}: {}", invalid.property, invalid.reason),
            property: Some(invalid.property),
            statement,
        }
    }

    fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }
}

/// `POST /xapi/statements`.
pub async fn post(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let version = response_version(&headers);
    let answer = match query_param(query.as_deref(), "method") {
        // The alternate request syntax (Part Three §1.3) is for browsers that cannot
        // send headers; platforms sending completions do not need it.
        Some(_) => Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "method: the alternate request syntax is not supported; send the statement as JSON",
        )),
        None => receive(&gw, &headers, None, &body).await,
    };
    respond(
        version,
        answer.map(|ids| {
            let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
            (StatusCode::OK, axum::Json(ids)).into_response()
        }),
    )
}

/// `PUT /xapi/statements?statementId=…`.
pub async fn put(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let version = response_version(&headers);
    let answer = match query_param(query.as_deref(), "statementId") {
        None => Err(Refusal::bad(
            None,
            statement::Path::root("statementId").invalid("is required with PUT"),
        )),
        Some(text) => match statement::parse_uuid(&text) {
            None => Err(Refusal::bad(
                None,
                statement::Path::root("statementId").invalid("must be a UUID"),
            )),
            Some(id) => receive(&gw, &headers, Some(id), &body).await,
        },
    };
    respond(
        version,
        answer.map(|_| StatusCode::NO_CONTENT.into_response()),
    )
}

/// Requests to an endpoint this deployment has not configured.
fn not_configured() -> Refusal {
    Refusal::new(
        StatusCode::NOT_FOUND,
        "xAPI is not configured on this deployment (--xapi-config)",
    )
}

fn respond(version: &'static str, answer: Result<Response, Refusal>) -> Response {
    let mut response = match answer {
        Ok(response) => response,
        Err(refusal) => {
            let mut body = json!({ "error": refusal.message });
            if let Some(property) = refusal.property {
                body["property"] = json!(property);
            }
            if let Some(index) = refusal.statement {
                body["statement"] = json!(index);
            }
            let mut response = (refusal.status, axum::Json(body)).into_response();
            if refusal.status == StatusCode::UNAUTHORIZED {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"difacto xAPI\""),
                );
            }
            response
        }
    };
    response
        .headers_mut()
        .insert(VERSION_HEADER, HeaderValue::from_static(version));
    response
}

/// The version an answer speaks: 2.0.0 to a 2.0 client, else 1.0.3.
fn response_version(headers: &HeaderMap) -> &'static str {
    match headers.get(VERSION_HEADER).and_then(|v| v.to_str().ok()) {
        Some(v) if v.trim().starts_with("2.0") => "2.0.0",
        _ => "1.0.3",
    }
}

/// 1.0, 1.0.x, 2.0 or 2.0.x (Part Three §6.2: the LRS MUST reject a request without it, or
/// with a version it does not accept, with 400).
fn check_version(headers: &HeaderMap) -> Result<(), Refusal> {
    let refuse = |what: &str| {
        Refusal::bad(
            None,
            statement::Path::root("X-Experience-API-Version")
                .invalid(format!("{what}; send 1.0.3 or 2.0.0")),
        )
    };
    let value = headers
        .get(VERSION_HEADER)
        .ok_or_else(|| refuse("the header is required"))?
        .to_str()
        .map_err(|_| refuse("is not a version this LRS accepts"))?
        .trim();
    let accepted = ["1.0", "2.0"].iter().any(|major| {
        value == *major
            || value
                .strip_prefix(major)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|patch| {
                    !patch.is_empty()
                        && patch.len() <= 3
                        && patch.bytes().all(|b| b.is_ascii_digit())
                })
    });
    if accepted {
        Ok(())
    } else {
        Err(refuse("is not a version this LRS accepts"))
    }
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The caller and the practice it acts for.
fn authenticate(
    gw: &Gateway,
    xapi: &Xapi,
    headers: &HeaderMap,
) -> Result<(Authentication, String), Refusal> {
    let header = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| {
            Refusal::unauthorized("Authorization: Basic or Bearer credentials are required")
        })?
        .to_str()
        .map_err(|_| Refusal::unauthorized("Authorization: not a valid header value"))?
        .trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        let refused = || Refusal::unauthorized("Authorization: unknown client or wrong secret");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(refused)?;
        let (key, secret) = decoded.split_once(':').ok_or_else(refused)?;
        let client = xapi.config.client(key, secret).ok_or_else(refused)?;
        let issuer = xapi.issuer.as_ref().ok_or_else(refused)?;
        let token = issuer
            .mint(
                &format!("xapi:{key}"),
                &client.practice,
                &[Role::PracticeStaff],
                CLIENT_TOKEN_TTL,
            )
            .map_err(|err| {
                tracing::error!(error = %err, "cannot mint a token for an xAPI client");
                Refusal::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; it has been logged",
                )
            })?;
        let auth = Authentication::from_token(&token, &gw.verifier);
        return Ok((auth, client.practice.clone()));
    }
    if scheme.eq_ignore_ascii_case("bearer") {
        return match Authentication::from_header(Some(header), &gw.verifier) {
            Authentication::Verified(caller) => {
                let practice = caller.principal.organisation.clone();
                Ok((Authentication::Verified(caller), practice))
            }
            Authentication::Rejected(reason) => Err(Refusal::unauthorized(reason)),
            Authentication::Missing => {
                Err(Refusal::unauthorized("Authorization: a token is required"))
            }
        };
    }
    Err(Refusal::unauthorized(
        "Authorization: expected `Basic …` or `Bearer …`",
    ))
}

/// One statement that means a completion difacto records.
#[derive(Debug)]
struct Completion<'a> {
    index: Option<usize>,
    id: Uuid,
    digest: String,
    staff_ref: String,
    activity: &'a Activity,
    date: Option<chrono::NaiveDate>,
}

async fn receive(
    gw: &Gateway,
    headers: &HeaderMap,
    put_id: Option<Uuid>,
    body: &[u8],
) -> Result<Vec<Uuid>, Refusal> {
    let xapi = gw.xapi.as_ref().ok_or_else(not_configured)?;
    check_version(headers)?;
    let (auth, practice) = authenticate(gw, xapi, headers)?;
    let statements = statement::parse_body(body).map_err(|(i, err)| Refusal::bad(i, err))?;
    let single = body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'[');
    if put_id.is_some() && !single {
        return Err(Refusal::bad(
            None,
            statement::Path::root("").invalid("a PUT carries one statement, not an array"),
        ));
    }
    let index = |i: usize| (!single).then_some(i);
    let mut ids = Vec::with_capacity(statements.len());
    for (i, statement) in statements.iter().enumerate() {
        let id = match (put_id, statement.id) {
            (Some(put), Some(own)) if put != own => {
                return Err(Refusal::bad(
                    index(i),
                    statement::Path::root("id").invalid("differs from the statementId parameter"),
                ));
            }
            (Some(put), _) => put,
            (None, Some(own)) => own,
            (None, None) => Uuid::new_v5(&ID_NAMESPACE, &statement.digest),
        };
        ids.push(id);
    }
    let completions = completions(&xapi.config, &practice, &statements, &ids, index);
    check_programmes(gw, &completions)?;
    let _turn = xapi.turn.lock().await;
    // Every statement is compared with what was recorded under its id, a completion or
    // not: the same id with another verb is as much a conflict as with another score.
    let recorded = recorded_statements(gw, &practice).await?;
    for (i, (statement, id)) in statements.iter().zip(&ids).enumerate() {
        if recorded
            .get(id)
            .is_some_and(|digest| *digest != short_digest(statement))
        {
            return Err(Refusal {
                status: StatusCode::CONFLICT,
                message: "id: a different statement with this id was received before".into(),
                property: Some("id".into()),
                statement: index(i),
            });
        }
    }
    let mut pending: Vec<Completion<'_>> = completions
        .into_iter()
        .filter(|c| !recorded.contains_key(&c.id))
        .collect();
    // Earliest first, and a module before the programme it belongs to, so an enrolment
    // made for the first completion is not dated after a later one in the same batch.
    pending.sort_by_key(|c| {
        (
            c.date.unwrap_or(chrono::NaiveDate::MAX),
            c.activity.module.is_none(),
        )
    });
    let sent = pending.len();
    for completion in &pending {
        record(gw, &auth, &practice, completion).await?;
    }
    tracing::info!(
        statements = statements.len(),
        recorded = sent,
        "xAPI statements accepted"
    );
    Ok(ids)
}

/// The statements that complete a configured activity, with the learner's reference.
fn completions<'a>(
    config: &'a XapiConfig,
    practice: &str,
    statements: &[Statement],
    ids: &[Uuid],
    index: impl Fn(usize) -> Option<usize>,
) -> Vec<Completion<'a>> {
    statements
        .iter()
        .zip(ids)
        .enumerate()
        .filter_map(|(i, (statement, id))| {
            let activity = config.activity(statement.completed_activity()?)?;
            Some(Completion {
                index: index(i),
                id: *id,
                digest: short_digest(statement),
                staff_ref: statement.actor.staff_ref(config.pseudonym_key(), practice),
                activity,
                date: statement.date(),
            })
        })
        .collect()
}

/// The part of a statement's digest its request id carries.
fn short_digest(statement: &Statement) -> String {
    let mut hex = data_encoding::HEXLOWER.encode(&statement.digest);
    hex.truncate(DIGEST_HEX);
    hex
}

/// The configuration names programmes and modules that exist, checked before anything
/// is sent, so a mistake there never leaves an enrolment without its completion.
fn check_programmes(gw: &Gateway, completions: &[Completion<'_>]) -> Result<(), Refusal> {
    gw.projection.live().read(|model| {
        for completion in completions {
            let activity = completion.activity;
            let id = activity.programme.to_string();
            let role = proto::v1::StaffRole::from_str_name(&activity.staff_role).map(i32::from);
            let problem = match model.training.programmes.get(&id) {
                None => Some(format!("programme {id}, which has not been launched")),
                Some(programme) => match &activity.module {
                    Some(module) if !programme.module_ids.contains(module) => Some(format!(
                        "module {module}, which programme {id} does not have"
                    )),
                    _ if !role.is_some_and(|r| programme.audience_roles.contains(&r)) => {
                        Some(format!(
                            "the role {}, which is not in the audience of programme {id}",
                            activity.staff_role
                        ))
                    }
                    _ => None,
                },
            };
            if let Some(problem) = problem {
                tracing::error!(%problem, "the xAPI configuration does not match the programmes");
                return Err(Refusal {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    message: format!(
                        "this deployment's xAPI configuration maps the activity to {problem}; \
                         nothing was recorded"
                    ),
                    property: Some("object.id".into()),
                    statement: completion.index,
                });
            }
        }
        Ok(())
    })
}

/// Statement ids already recorded for `practice`, with their digests: read from the
/// request ids in its stream's metadata.
async fn recorded_statements(
    gw: &Gateway,
    practice: &str,
) -> Result<HashMap<Uuid, String>, Refusal> {
    let log = gw.projection.log();
    let stream = domain::practice::stream(practice);
    let mut recorded = HashMap::new();
    let mut from = 0;
    loop {
        let page = log
            .read_stream(
                &stream,
                from,
                eventlog::limits::MAX_PAGE_SIZE,
                eventlog::Direction::Forwards,
            )
            .await
            .map_err(|err| {
                tracing::error!(error = %err, stream, "cannot read a practice's stream for xAPI");
                Refusal::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the log cannot be read; try again",
                )
            })?;
        let Some(last) = page.last() else {
            return Ok(recorded);
        };
        from = last.version + 1;
        for event in &page {
            if let Some((id, digest)) = event
                .metadata
                .get(meta::REQUEST_ID)
                .and_then(|r| parse_request_id(r))
            {
                recorded.insert(id, digest.to_owned());
            }
        }
    }
}

/// The request id a completion is sent with.
fn request_id(id: Uuid, digest: &str) -> String {
    format!("xapi:{}.{digest}", id.simple())
}

fn parse_request_id(request_id: &str) -> Option<(Uuid, &str)> {
    let (id, digest) = request_id.strip_prefix("xapi:")?.split_once('.')?;
    Some((Uuid::try_parse(id).ok()?, digest))
}

const ENROL: &str =
    "mutation($input: EnrolStaffInput!) { enrolStaff(input: $input) { lastPosition } }";
const MODULE: &str =
    "mutation($input: CompleteModuleInput!) { completeModule(input: $input) { lastPosition } }";
const TRAINING: &str =
    "mutation($input: CompleteTrainingInput!) { completeTraining(input: $input) { lastPosition } }";

/// Sends one completion through the schema's own mutations, as the caller: enrolment
/// first when the learner is not enrolled yet (on the completion's day), then the
/// completion.
async fn record(
    gw: &Gateway,
    auth: &Authentication,
    practice: &str,
    completion: &Completion<'_>,
) -> Result<(), Refusal> {
    let activity = completion.activity;
    let programme = activity.programme.to_string();
    let date = completion.date.map(|d| d.to_string());
    let enrolled = gw.projection.live().read(|model| {
        model
            .training
            .trainees
            .get(&programme)
            .and_then(|practices| practices.get(practice))
            .is_some_and(|staff| staff.iter().any(|t| t.staff_ref == completion.staff_ref))
    });
    if !enrolled {
        let input = json!({
            "requestId": format!("xapi-enrol:{}", completion.id.simple()),
            "practiceCode": practice,
            "staffRef": completion.staff_ref,
            "staffRole": activity.staff_role,
            "programmeId": programme,
            "enrolledOn": date,
        });
        match mutate(gw, auth, ENROL, input).await {
            // Enrolled meanwhile by another request: the completion is what matters.
            Err(error) if error["extensions"]["code"] == "CONFLICT" => {}
            Err(error) => return Err(refusal(&error, completion.index)),
            Ok(()) => {}
        }
    }
    let mut input = json!({
        "requestId": request_id(completion.id, &completion.digest),
        "practiceCode": practice,
        "staffRef": completion.staff_ref,
        "programmeId": programme,
        "completedOn": date,
    });
    let document = match &activity.module {
        Some(module) => {
            input["moduleId"] = json!(module);
            MODULE
        }
        None => TRAINING,
    };
    mutate(gw, auth, document, input)
        .await
        .map_err(|error| refusal(&error, completion.index))
}

/// Runs a mutation through the schema every entry point runs; the first error, as JSON.
async fn mutate(
    gw: &Gateway,
    auth: &Authentication,
    document: &str,
    input: Value,
) -> Result<(), Value> {
    let request = async_graphql::Request::new(document)
        .variables(Variables::from_json(json!({ "input": input })))
        .data(auth.clone());
    let response = gw.schema.execute(request).await;
    match response.errors.first() {
        None => Ok(()),
        Some(error) => Err(serde_json::to_value(error).unwrap_or(Value::Null)),
    }
}

/// The answer for a command the services refused, in xAPI terms: the property of the
/// statement the refused field came from.
fn refusal(error: &Value, statement: Option<usize>) -> Refusal {
    let code = error["extensions"]["code"].as_str().unwrap_or("INTERNAL");
    let field = error["extensions"]["field"].as_str().unwrap_or_default();
    let message = error["message"].as_str().unwrap_or("refused").to_owned();
    let practice = field == "practiceCode" || message.starts_with("practice_code");
    let (status, property) = match code {
        "UNAUTHENTICATED" => (StatusCode::UNAUTHORIZED, None),
        "FORBIDDEN" => (StatusCode::FORBIDDEN, None),
        "INTERNAL" => (StatusCode::INTERNAL_SERVER_ERROR, None),
        _ if practice => (StatusCode::FORBIDDEN, None),
        _ => {
            let property = match field {
                "staffRef" => "actor",
                "completedOn" | "enrolledOn" => "timestamp",
                _ => "object.id",
            };
            (StatusCode::BAD_REQUEST, Some(property.to_owned()))
        }
    };
    let message = if practice {
        "these credentials do not act for a practice open in difacto's registry".to_owned()
    } else {
        message
    };
    Refusal {
        status,
        message,
        property,
        statement,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(version: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(version) = version {
            headers.insert(
                VERSION_HEADER,
                HeaderValue::from_str(version).expect("header"),
            );
        }
        headers
    }

    #[test]
    fn versions_one_and_two_are_accepted() {
        for version in ["1.0", "1.0.0", "1.0.3", "2.0", "2.0.0", " 1.0.3 "] {
            assert!(check_version(&headers(Some(version))).is_ok(), "{version}");
        }
        for version in [
            None,
            Some("0.95"),
            Some("1.1.0"),
            Some("1.0."),
            Some("2.0.x"),
            Some(""),
        ] {
            let refusal = check_version(&headers(version)).expect_err("refused");
            assert_eq!(refusal.status, StatusCode::BAD_REQUEST);
            assert_eq!(
                refusal.property.as_deref(),
                Some("X-Experience-API-Version")
            );
        }
        assert_eq!(response_version(&headers(Some("2.0.0"))), "2.0.0");
        assert_eq!(response_version(&headers(None)), "1.0.3");
    }

    #[test]
    fn request_ids_are_valid_and_read_back() {
        let id = Uuid::new_v4();
        let digest = "0123456789abcdef01234567";
        let text = request_id(id, digest);
        assert!(domain::values::request_id(&text).is_ok(), "{text}");
        assert!(text.len() <= 64);
        assert_eq!(parse_request_id(&text), Some((id, digest)));
        assert!(domain::values::request_id(&format!("xapi-enrol:{}", id.simple())).is_ok());
        assert_eq!(
            parse_request_id(&format!("xapi-enrol:{}", id.simple())),
            None
        );
        assert_eq!(parse_request_id("web:1234"), None);
    }

    #[test]
    fn refused_fields_become_statement_properties() {
        let error = |code: &str, field: &str, message: &str| json!({ "message": message, "extensions": { "code": code, "field": field } });
        let cases = [
            (
                error(
                    "BAD_USER_INPUT",
                    "completedOn",
                    "completedOn: in the future",
                ),
                400,
                Some("timestamp"),
            ),
            (
                error("BAD_USER_INPUT", "staffRef", "staffRef: bad"),
                400,
                Some("actor"),
            ),
            (
                error(
                    "BAD_USER_INPUT",
                    "practiceCode",
                    "practiceCode: not a practice",
                ),
                403,
                None,
            ),
            (
                error("CONFLICT", "", "staff_ref: has not completed module(s) a"),
                400,
                Some("object.id"),
            ),
            (error("FORBIDDEN", "", "no"), 403, None),
        ];
        for (error, status, property) in cases {
            let refusal = refusal(&error, Some(2));
            assert_eq!(refusal.status.as_u16(), status, "{error}");
            assert_eq!(refusal.property.as_deref(), property, "{error}");
            assert_eq!(refusal.statement, Some(2));
        }
    }
}
