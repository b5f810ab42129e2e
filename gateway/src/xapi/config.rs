//! The deployment's xAPI settings (`--xapi-config FILE`, a JSON file): the secret that
//! turns learners into pseudonymous staff references, the learning platforms that may
//! send statements with HTTP Basic credentials and the practice each one acts for, and
//! which activities are which programme's modules.
//!
//! ```json
//! {
//!   "pseudonym_key": "a long random secret of this deployment (32 characters or more)",
//!   "clients": [
//!     { "key": "moodle-a81001", "secret_sha256": "<64 hex digits>", "practice": "A81001" }
//!   ],
//!   "activities": [
//!     { "id": "https://lms.example/mod/scorm/view.php?id=12",
//!       "programme": "<programme UUID>", "module": "nhs-app", "staff_role": "RECEPTIONIST" },
//!     { "id": "https://lms.example/course/view.php?id=3",
//!       "programme": "<programme UUID>", "staff_role": "RECEPTIONIST" }
//!   ]
//! }
//! ```
//!
//! Client secrets are stored as their SHA-256, never in clear, and compared in constant
//! time. An activity with a `module` becomes `CompleteModule`; one without becomes
//! `CompleteTraining` of the whole programme. `staff_role` is the role the learner is
//! enrolled under (the rollout counts them in it): xAPI does not carry a role, and a
//! course is written for its audience.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// Shorter keys make the pseudonyms guessable by whoever can enumerate e-mail addresses.
pub const MIN_PSEUDONYM_KEY_CHARS: usize = 32;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    pseudonym_key: String,
    #[serde(default)]
    clients: Vec<ClientFile>,
    #[serde(default)]
    activities: Vec<ActivityFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientFile {
    key: String,
    secret_sha256: String,
    practice: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivityFile {
    id: String,
    programme: String,
    #[serde(default)]
    module: Option<String>,
    staff_role: String,
}

/// A learning platform's Basic credentials and the practice it sends for.
#[derive(Clone)]
pub struct Client {
    /// The SHA-256 of the secret: what is compared, so the secret itself is never held.
    secret_sha256: [u8; 32],
    pub practice: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("practice", &self.practice)
            .finish_non_exhaustive()
    }
}

/// What completing an activity means in difacto.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub programme: Uuid,
    /// `None`: the activity is the whole programme.
    pub module: Option<String>,
    /// The proto (and GraphQL) name of the role, e.g. `RECEPTIONIST`.
    pub staff_role: String,
}

/// The validated settings.
#[derive(Clone)]
pub struct XapiConfig {
    pseudonym_key: Vec<u8>,
    clients: HashMap<String, Client>,
    activities: HashMap<String, Activity>,
}

impl std::fmt::Debug for XapiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XapiConfig")
            .field("clients", &self.clients.len())
            .field("activities", &self.activities.len())
            .finish_non_exhaustive()
    }
}

impl XapiConfig {
    /// Reads and checks the file; the error names the file's property.
    pub fn load(path: &Path) -> Result<Self, String> {
        let bytes = std::fs::read(path).map_err(|err| format!("cannot read it: {err}"))?;
        Self::from_json(&bytes)
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let file: File = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
            let path = err.path().to_string();
            // serde's own message may quote a value; the path and its category say enough.
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return format!(
                    "is not JSON (line {}, column {})",
                    inner.line(),
                    inner.column()
                );
            }
            let what = data_error(&inner.to_string());
            if path == "." || path == "?" {
                what
            } else {
                format!("{path}: {what}")
            }
        })?;
        if file.pseudonym_key.chars().count() < MIN_PSEUDONYM_KEY_CHARS {
            return Err(format!(
                "pseudonym_key: must be at least {MIN_PSEUDONYM_KEY_CHARS} characters of a \
                 random secret"
            ));
        }
        let mut clients = HashMap::new();
        for (i, client) in file.clients.into_iter().enumerate() {
            let at = |field: &str| format!("clients[{i}].{field}");
            if client.key.is_empty()
                || client.key.len() > 64
                || client.key.contains(':')
                || client.key.chars().any(char::is_control)
            {
                return Err(format!(
                    "{}: must be 1 to 64 characters without ':' (it is the Basic user name)",
                    at("key")
                ));
            }
            let secret_sha256 = data_encoding::HEXLOWER_PERMISSIVE
                .decode(client.secret_sha256.as_bytes())
                .ok()
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                .ok_or_else(|| {
                    format!(
                        "{}: must be the SHA-256 of the secret as 64 hex digits \
                         (e.g. `printf %s SECRET | sha256sum`)",
                        at("secret_sha256")
                    )
                })?;
            let practice = domain::practice::practice_code(&client.practice)
                .map_err(|err| format!("{}: {err}", at("practice")))?;
            if clients
                .insert(
                    client.key.clone(),
                    Client {
                        secret_sha256,
                        practice,
                    },
                )
                .is_some()
            {
                return Err(format!("{}: is given twice", at("key")));
            }
        }
        let mut activities = HashMap::new();
        for (i, activity) in file.activities.into_iter().enumerate() {
            let at = |field: &str| format!("activities[{i}].{field}");
            if !crate::xapi::statement::is_iri(&activity.id) {
                return Err(format!("{}: must be an absolute IRI", at("id")));
            }
            let programme = Uuid::parse_str(&activity.programme)
                .map_err(|_| format!("{}: must be the programme's UUID", at("programme")))?;
            if let Some(module) = &activity.module
                && (module.trim().is_empty() || module.len() > 100)
            {
                return Err(format!("{}: must be 1 to 100 characters", at("module")));
            }
            let staff_role = match proto::v1::StaffRole::from_str_name(&activity.staff_role) {
                Some(role) if role != proto::v1::StaffRole::Unspecified => {
                    role.as_str_name().to_owned()
                }
                _ => {
                    return Err(format!(
                        "{}: must be a staff role such as RECEPTIONIST",
                        at("staff_role")
                    ));
                }
            };
            let mapped = Activity {
                programme,
                module: activity.module,
                staff_role,
            };
            if activities.insert(activity.id, mapped).is_some() {
                return Err(format!("{}: is given twice", at("id")));
            }
        }
        Ok(Self {
            pseudonym_key: file.pseudonym_key.into_bytes(),
            clients,
            activities,
        })
    }

    pub fn pseudonym_key(&self) -> &[u8] {
        &self.pseudonym_key
    }

    pub fn has_clients(&self) -> bool {
        !self.clients.is_empty()
    }

    /// The client whose Basic credentials these are. An unknown key costs the same hash
    /// as a known one, and the digests are compared in constant time.
    pub fn client(&self, key: &str, secret: &str) -> Option<&Client> {
        let given: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let client = self.clients.get(key);
        let expected = client.map_or([0u8; 32], |c| c.secret_sha256);
        let matches: bool = given.as_slice().ct_eq(expected.as_slice()).into();
        client.filter(|_| matches)
    }

    pub fn activity(&self, iri: &str) -> Option<&Activity> {
        self.activities.get(iri)
    }
}

/// serde's data errors, without the value they may quote.
fn data_error(message: &str) -> String {
    for (start, what) in [
        ("missing field", "is missing a required property"),
        ("unknown field", "has a property this file does not define"),
        ("invalid type", "has the wrong type"),
        ("invalid length", "has the wrong length"),
    ] {
        if message.starts_with(start) {
            let named = message
                .split('`')
                .nth(1)
                .filter(|n| n.len() <= 40)
                .map(|n| format!(" (`{n}`)"))
                .unwrap_or_default();
            return if start == "invalid type" {
                what.to_owned()
            } else {
                format!("{what}{named}")
            };
        }
    }
    "is not valid".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROGRAMME: &str = "6f1c8d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f";
    // printf %s lms-secret | sha256sum
    const SECRET_SHA256: &str = "652d89246e72db8d355e104f668978c971484807282b6650dda154043f444d67";

    fn config(clients: &str, activities: &str) -> Result<XapiConfig, String> {
        XapiConfig::from_json(
            format!(
                r#"{{"pseudonym_key": "0123456789abcdef0123456789abcdef",
                    "clients": [{clients}], "activities": [{activities}]}}"#
            )
            .as_bytes(),
        )
    }

    fn client(secret_sha256: &str) -> String {
        format!(r#"{{"key": "moodle", "secret_sha256": "{secret_sha256}", "practice": "A81001"}}"#)
    }

    #[test]
    fn a_client_is_found_only_with_its_secret() {
        let hex = data_encoding::HEXLOWER.encode(&Sha256::digest(b"lms-secret"));
        let config = config(&client(&hex), "").expect("valid");
        assert_eq!(
            config
                .client("moodle", "lms-secret")
                .map(|c| c.practice.as_str()),
            Some("A81001")
        );
        assert!(config.client("moodle", "lms-secreT").is_none());
        assert!(config.client("totara", "lms-secret").is_none());
        assert!(!format!("{config:?}").contains(&hex));
    }

    #[test]
    fn activities_map_to_a_programme_and_maybe_a_module() {
        let config = config(
            "",
            &format!(
                r#"{{"id": "https://lms.example/m/1", "programme": "{PROGRAMME}", "module": "intro", "staff_role": "RECEPTIONIST"}},
                   {{"id": "https://lms.example/c/1", "programme": "{PROGRAMME}", "staff_role": "NURSE"}}"#
            ),
        )
        .expect("valid");
        let module = config.activity("https://lms.example/m/1").expect("mapped");
        assert_eq!(module.module.as_deref(), Some("intro"));
        assert_eq!(module.staff_role, "RECEPTIONIST");
        let course = config.activity("https://lms.example/c/1").expect("mapped");
        assert_eq!(course.module, None);
        assert!(config.activity("https://lms.example/other").is_none());
    }

    #[test]
    fn mistakes_name_the_property() {
        let activity = |id: &str, programme: &str, role: &str| {
            format!(r#"{{"id": "{id}", "programme": "{programme}", "staff_role": "{role}"}}"#)
        };
        for (result, named) in [
            (config(&client("abc"), ""), "clients[0].secret_sha256"),
            (
                config(&client(SECRET_SHA256).replace("A81001", "QWO"), ""),
                "clients[0].practice",
            ),
            (
                config(
                    &format!("{},{}", client(SECRET_SHA256), client(SECRET_SHA256)),
                    "",
                ),
                "clients[1].key",
            ),
            (
                config("", &activity("no iri", PROGRAMME, "NURSE")),
                "activities[0].id",
            ),
            (
                config("", &activity("urn:x:1", "P-1", "NURSE")),
                "activities[0].programme",
            ),
            (
                config("", &activity("urn:x:1", PROGRAMME, "DOCTOR")),
                "activities[0].staff_role",
            ),
            (config("", r#"{"id": "urn:x:1"}"#), "activities[0]"),
            (config("", r#"{"id": 7}"#), "activities[0].id"),
            (
                XapiConfig::from_json(br#"{"pseudonym_key": "short"}"#),
                "pseudonym_key",
            ),
            (XapiConfig::from_json(b"{"), "is not JSON"),
        ] {
            let err = result.expect_err(named);
            assert!(err.starts_with(named), "{named}: {err}");
        }
    }
}
