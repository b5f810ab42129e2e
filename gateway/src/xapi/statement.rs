//! Reading xAPI statements (1.0.3 and 2.0): the properties difacto acts on are parsed,
//! the rest is checked for shape only, and a refusal names the property
//! (`actor.mbox`, `verb.id`, `object.id`, `timestamp`, `context.contextActivities.parent[0].id`)
//! without repeating its value.
//!
//! What difacto keeps of a statement is what it means for training (who, which activity,
//! completed or passed, when); everything is still validated, since a statement that is
//! not valid xAPI is refused whole (xAPI 1.0.3 Part Three §2.1: "the LRS MUST reject a
//! batch of Statements if any Statement within that batch is rejected").

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::actor::{self, Identifier};

/// The verbs that mean a completion (ADL's vocabulary).
pub const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
pub const PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";

/// Statements in one request: far above what a platform batches (Moodle sends tens).
pub const MAX_STATEMENTS: usize = 500;

/// A statement difacto could not accept: the property (a dotted path) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub property: String,
    pub reason: String,
}

/// Where in a statement a value sits, for naming it in a refusal.
#[derive(Debug, Clone)]
pub struct Path(String);

impl Path {
    pub fn root(name: &str) -> Self {
        Self(name.to_owned())
    }

    pub fn at(&self, key: &str) -> Self {
        if self.0.is_empty() {
            Self(key.to_owned())
        } else {
            Self(format!("{}.{key}", self.0))
        }
    }

    pub fn index(&self, i: usize) -> Self {
        Self(format!("{}[{i}]", self.0))
    }

    pub fn invalid(&self, reason: impl Into<String>) -> Invalid {
        Invalid {
            property: if self.0.is_empty() {
                "statement".to_owned()
            } else {
                self.0.clone()
            },
            reason: reason.into(),
        }
    }

    pub fn object<'a>(&self, value: &'a Value) -> Result<&'a Map<String, Value>, Invalid> {
        value
            .as_object()
            .ok_or_else(|| self.invalid("must be a JSON object"))
    }

    /// Refuses a property the specification does not define here (xAPI 1.0.3 Part Two
    /// §2.2: "The LRS MUST reject a Statement containing … additional properties"). Only a
    /// short, plain key is repeated.
    pub fn only(&self, map: &Map<String, Value>, allowed: &[&str]) -> Result<(), Invalid> {
        match map.keys().find(|k| !allowed.contains(&k.as_str())) {
            None => Ok(()),
            Some(key) => {
                let named = if key.len() <= 40
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    format!(" (`{key}`)")
                } else {
                    String::new()
                };
                Err(self.invalid(format!("has a property xAPI does not define here{named}")))
            }
        }
    }

    pub fn string<'a>(
        &self,
        map: &'a Map<String, Value>,
        key: &str,
    ) -> Result<Option<&'a str>, Invalid> {
        match map.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.at(key).invalid("must be a string")),
        }
    }

    fn boolean(&self, map: &Map<String, Value>, key: &str) -> Result<Option<bool>, Invalid> {
        match map.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.at(key).invalid("must be true or false")),
        }
    }

    fn iri(
        &self,
        map: &Map<String, Value>,
        key: &str,
        required: bool,
    ) -> Result<Option<String>, Invalid> {
        match self.string(map, key)? {
            Some(iri) if is_iri(iri) => Ok(Some(iri.to_owned())),
            Some(_) => Err(self.at(key).invalid("must be an absolute IRI")),
            None if required => Err(self.at(key).invalid("is required (an IRI)")),
            None => Ok(None),
        }
    }

    fn uuid(&self, map: &Map<String, Value>, key: &str) -> Result<Option<Uuid>, Invalid> {
        match self.string(map, key)? {
            None => Ok(None),
            Some(text) => parse_uuid(text).map(Some).ok_or_else(|| {
                self.at(key)
                    .invalid("must be a UUID (8-4-4-4-12 hex digits)")
            }),
        }
    }

    /// A language map: tags to strings.
    fn language_map(&self, map: &Map<String, Value>, key: &str) -> Result<(), Invalid> {
        let Some(value) = map.get(key) else {
            return Ok(());
        };
        let at = self.at(key);
        let entries = at.object(value)?;
        if entries.values().all(Value::is_string) {
            Ok(())
        } else {
            Err(at.invalid("must be a language map (language tag to string)"))
        }
    }

    fn optional_object<'a>(
        &self,
        map: &'a Map<String, Value>,
        key: &str,
    ) -> Result<Option<&'a Map<String, Value>>, Invalid> {
        map.get(key).map(|v| self.at(key).object(v)).transpose()
    }
}

/// An absolute IRI: a scheme (RFC 3987: a letter, then letters, digits, `+`, `-`, `.`),
/// a colon, and something after it, with no spaces or control characters.
pub fn is_iri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut scheme_chars = scheme.chars();
    scheme_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme_chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
        && text.len() <= 2048
}

/// The hyphenated form the specification requires (RFC 4122), in either case.
pub fn parse_uuid(text: &str) -> Option<Uuid> {
    (text.len() == 36)
        .then(|| Uuid::parse_str(text).ok())
        .flatten()
}

/// What the statement is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    Activity(String),
    /// An Agent, Group, StatementRef or SubStatement: never a completion of a course.
    Other,
}

/// One statement, as far as difacto reads it.
#[derive(Debug, Clone)]
pub struct Statement {
    pub id: Option<Uuid>,
    pub actor: Identifier,
    pub verb: String,
    pub object: Object,
    /// `result.completion` and `result.success`, when given.
    pub completion: Option<bool>,
    pub success: Option<bool>,
    pub timestamp: Option<DateTime<FixedOffset>>,
    /// SHA-256 of the statement in a canonical form (see [`canonical`]): two statements
    /// with one id are the same statement exactly when these are equal.
    pub digest: [u8; 32],
}

impl Statement {
    /// The activity this statement says was completed (or passed), if it says so.
    /// `result.completion: false` or `result.success: false` contradict the verb; such a
    /// statement is taken as not a completion rather than guessed at.
    pub fn completed_activity(&self) -> Option<&str> {
        let verb = self.verb == COMPLETED || self.verb == PASSED;
        let contradicted = self.completion == Some(false) || self.success == Some(false);
        match &self.object {
            Object::Activity(id) if verb && !contradicted => Some(id),
            _ => None,
        }
    }

    /// The day it happened, in the time zone it was recorded in (a completion at 00:30
    /// BST is on that day, not on the day before in UTC). `None`: today.
    pub fn date(&self) -> Option<NaiveDate> {
        self.timestamp.map(|t| t.date_naive())
    }
}

const TOP: [&str; 11] = [
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
];

/// One statement.
pub fn parse(value: &Value) -> Result<Statement, Invalid> {
    let root = Path::root("");
    let map = root.object(value)?;
    root.only(map, &TOP)?;
    let id = root.uuid(map, "id")?;
    let actor = actor::agent(required(map, "actor", &root)?, &root.at("actor"))?;
    let verb_path = root.at("verb");
    let verb = verb_path.object(required(map, "verb", &root)?)?;
    verb_path.only(verb, &["id", "display"])?;
    let verb_id = verb_path.iri(verb, "id", true)?.unwrap_or_default();
    verb_path.language_map(verb, "display")?;
    let object = object(required(map, "object", &root)?, &root.at("object"))?;
    let (completion, success) = result(map, &root)?;
    context(map, &root)?;
    let timestamp = match root.string(map, "timestamp")? {
        None => None,
        Some(text) => Some(timestamp(text).ok_or_else(|| {
            root.at("timestamp")
                .invalid("must be an ISO 8601 date and time with its offset (2026-03-02T14:05:00Z)")
        })?),
    };
    if let Some(version) = root.string(map, "version")?
        && !(version.starts_with("1.0") || version.starts_with("2.0"))
    {
        return Err(root.at("version").invalid("must be 1.0.x or 2.0.x"));
    }
    if map.contains_key("stored") {
        root.string(map, "stored")?;
    }
    if let Some(attachments) = map.get("attachments")
        && !attachments.is_array()
    {
        return Err(root.at("attachments").invalid("must be an array"));
    }
    Ok(Statement {
        id,
        actor,
        verb: verb_id,
        object,
        completion,
        success,
        timestamp,
        digest: Sha256::digest(canonical(map, timestamp)).into(),
    })
}

/// A statement or an array of them, as a POST body may hold; `None` for the index of a
/// lone statement. Every statement is checked before any is acted on, and two with one
/// `id` in the same batch are refused (xAPI 1.0.3 Part Three §2.1.2).
pub fn parse_body(body: &[u8]) -> Result<Vec<Statement>, (Option<usize>, Invalid)> {
    let value: Value = serde_json::from_slice(body).map_err(|err| {
        (
            None,
            Path::root("").invalid(if err.is_syntax() || err.is_eof() {
                format!(
                    "the body is not JSON (line {}, column {})",
                    err.line(),
                    err.column()
                )
            } else {
                "the body is not JSON".to_owned()
            }),
        )
    })?;
    match value {
        Value::Array(items) => {
            if items.len() > MAX_STATEMENTS {
                return Err((
                    None,
                    Path::root("").invalid(format!(
                        "a request holds at most {MAX_STATEMENTS} statements"
                    )),
                ));
            }
            let mut statements = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let statement = parse(item).map_err(|err| (Some(i), err))?;
                if let Some(id) = statement.id
                    && statements.iter().any(|s: &Statement| s.id == Some(id))
                {
                    return Err((
                        Some(i),
                        Path::root("id").invalid("is the id of an earlier statement of this batch"),
                    ));
                }
                statements.push(statement);
            }
            Ok(statements)
        }
        single => Ok(vec![parse(&single).map_err(|err| (None, err))?]),
    }
}

fn required<'a>(map: &'a Map<String, Value>, key: &str, root: &Path) -> Result<&'a Value, Invalid> {
    map.get(key)
        .ok_or_else(|| root.at(key).invalid("is required"))
}

/// ISO 8601 as RFC 3339 writes it; a time without an offset is taken as UTC (the
/// specification says it SHOULD carry one, and platforms that leave it out mean UTC).
fn timestamp(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).ok().or_else(|| {
        chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(|t| t.and_utc().fixed_offset())
    })
}

fn object(value: &Value, path: &Path) -> Result<Object, Invalid> {
    let map = path.object(value)?;
    match path.string(map, "objectType")? {
        None | Some("Activity") => {
            path.only(map, &["objectType", "id", "definition"])?;
            let id = path.iri(map, "id", true)?.unwrap_or_default();
            if let Some(definition) = path.optional_object(map, "definition")? {
                let at = path.at("definition");
                at.only(
                    definition,
                    &[
                        "name",
                        "description",
                        "type",
                        "moreInfo",
                        "interactionType",
                        "correctResponsesPattern",
                        "choices",
                        "scale",
                        "source",
                        "target",
                        "steps",
                        "extensions",
                    ],
                )?;
                at.language_map(definition, "name")?;
                at.language_map(definition, "description")?;
                at.iri(definition, "type", false)?;
                at.iri(definition, "moreInfo", false)?;
                at.optional_object(definition, "extensions")?;
            }
            Ok(Object::Activity(id))
        }
        Some("Agent" | "Group" | "StatementRef" | "SubStatement") => Ok(Object::Other),
        Some(_) => Err(path
            .at("objectType")
            .invalid("must be Activity, Agent, Group, StatementRef or SubStatement")),
    }
}

fn result(map: &Map<String, Value>, root: &Path) -> Result<(Option<bool>, Option<bool>), Invalid> {
    let path = root.at("result");
    let Some(result) = root.optional_object(map, "result")? else {
        return Ok((None, None));
    };
    path.only(
        result,
        &[
            "score",
            "success",
            "completion",
            "response",
            "duration",
            "extensions",
        ],
    )?;
    if let Some(score) = path.optional_object(result, "score")? {
        let at = path.at("score");
        at.only(score, &["scaled", "raw", "min", "max"])?;
        for key in ["scaled", "raw", "min", "max"] {
            if score.get(key).is_some_and(|v| !v.is_number()) {
                return Err(at.at(key).invalid("must be a number"));
            }
        }
        if let Some(scaled) = score.get("scaled").and_then(Value::as_f64)
            && !(-1.0..=1.0).contains(&scaled)
        {
            return Err(at.at("scaled").invalid("must be between -1 and 1"));
        }
    }
    path.string(result, "response")?;
    path.string(result, "duration")?;
    path.optional_object(result, "extensions")?;
    Ok((
        path.boolean(result, "completion")?,
        path.boolean(result, "success")?,
    ))
}

fn context(map: &Map<String, Value>, root: &Path) -> Result<(), Invalid> {
    let path = root.at("context");
    let Some(context) = root.optional_object(map, "context")? else {
        return Ok(());
    };
    path.only(
        context,
        &[
            "registration",
            "instructor",
            "team",
            "contextActivities",
            "contextAgents",
            "contextGroups",
            "revision",
            "platform",
            "language",
            "statement",
            "extensions",
        ],
    )?;
    path.uuid(context, "registration")?;
    for key in ["instructor", "team", "statement", "extensions"] {
        path.optional_object(context, key)?;
    }
    for key in ["revision", "platform", "language"] {
        path.string(context, key)?;
    }
    if let Some(activities) = path.optional_object(context, "contextActivities")? {
        let at = path.at("contextActivities");
        at.only(activities, &["parent", "grouping", "category", "other"])?;
        for (key, value) in activities {
            let at = at.at(key);
            // One Activity or an array of them (1.0.0 allowed the single form).
            let list: Vec<(Path, &Value)> = match value {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| (at.index(i), item))
                    .collect(),
                single => vec![(at.clone(), single)],
            };
            for (at, item) in list {
                if object(item, &at)? == Object::Other {
                    return Err(at.at("objectType").invalid("must be Activity"));
                }
            }
        }
    }
    Ok(())
}

/// The statement as compared for "same id, same statement" (xAPI 1.0.3 Part Two §2.3,
/// Statement Comparison): without what an LRS may assign (`id`, `stored`, `authority`,
/// `version`), with the timestamp as an instant rather than as written, and with every
/// object's keys in order, so that property order and language-map order do not count.
pub fn canonical(map: &Map<String, Value>, timestamp: Option<DateTime<FixedOffset>>) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    let mut keys: Vec<&String> = map
        .keys()
        .filter(|k| !matches!(k.as_str(), "id" | "stored" | "authority" | "version"))
        .collect();
    keys.sort_unstable();
    out.push(b'{');
    for (i, key) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_value(&Value::String(key.clone()), &mut out);
        out.push(b':');
        match (key.as_str(), timestamp) {
            ("timestamp", Some(t)) => write_value(
                &Value::String(
                    t.with_timezone(&Utc)
                        .to_rfc3339_opts(SecondsFormat::Micros, true),
                ),
                &mut out,
            ),
            _ => write_value(&map[key.as_str()], &mut out),
        }
    }
    out.push(b'}');
    out
}

fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(&Value::String(key.clone()), out);
                out.push(b':');
                write_value(&map[key.as_str()], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        // Serialising a scalar into a Vec cannot fail.
        scalar => out.extend_from_slice(scalar.to_string().as_bytes()),
    }
}

#[cfg(test)]
mod tests;
