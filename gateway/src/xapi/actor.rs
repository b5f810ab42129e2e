//! The learner of a statement (its `actor`, an xAPI Agent) and the pseudonymous staff
//! reference difacto records instead (DESIGN.md §7: staff are pseudonymous references,
//! never names or addresses).
//!
//! An Agent is identified by exactly one Inverse Functional Identifier (xAPI 1.0.3 Part
//! Two §2.4.2.3; 2.0 §9.2.1.3): `mbox`, `mbox_sha1sum`, `openid` or `account`. An
//! `mbox` is reduced at once to its SHA-1 (what `mbox_sha1sum` is by definition), so a
//! platform that sends the address and one that sends its hash name the same person, and
//! the address itself is not kept past parsing. The reference is HMAC-SHA256 under the
//! deployment's `pseudonym_key` of the identifier and the practice: without the key
//! nobody can go from an address to a reference (or check a guess), and the same person
//! at two practices has two references that cannot be linked.

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::statement::{Invalid, Path, is_iri};

/// How an Agent is identified, with `mbox` already hashed.
#[derive(Clone, PartialEq, Eq)]
pub enum Identifier {
    /// The SHA-1 of the `mailto:` IRI, as 40 lowercase hex digits.
    MboxSha1(String),
    OpenId(String),
    Account {
        home_page: String,
        name: String,
    },
}

impl std::fmt::Debug for Identifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print who it is, even in a test failure.
        let kind = match self {
            Self::MboxSha1(_) => "MboxSha1",
            Self::OpenId(_) => "OpenId",
            Self::Account { .. } => "Account",
        };
        f.write_str(kind)
    }
}

const IFIS: [&str; 4] = ["mbox", "mbox_sha1sum", "openid", "account"];

/// The Agent at `path` (`actor`): `objectType` absent or `Agent` (a Group did not complete
/// anything as one member of staff), exactly one identifier, `name` a string if given.
pub fn agent(value: &Value, path: &Path) -> Result<Identifier, Invalid> {
    let map = path.object(value)?;
    path.only(
        map,
        &[
            "objectType",
            "name",
            "mbox",
            "mbox_sha1sum",
            "openid",
            "account",
        ],
    )?;
    match map.get("objectType") {
        None => {}
        Some(Value::String(kind)) if kind == "Agent" => {}
        Some(Value::String(kind)) if kind == "Group" => {
            return Err(path.at("objectType").invalid(
                "a Group cannot be one member of staff; send the Agent who completed the activity",
            ));
        }
        Some(_) => return Err(path.at("objectType").invalid("must be \"Agent\"")),
    }
    path.string(map, "name")?;
    let given: Vec<&str> = IFIS.into_iter().filter(|k| map.contains_key(*k)).collect();
    match given.as_slice() {
        [one] => identifier(map, one, path),
        [] => Err(path.invalid("must have one identifier: mbox, mbox_sha1sum, openid or account")),
        _ => Err(path.invalid(format!(
            "has {} identifiers ({}); an Agent has exactly one",
            given.len(),
            given.join(", ")
        ))),
    }
}

fn identifier(map: &Map<String, Value>, kind: &str, path: &Path) -> Result<Identifier, Invalid> {
    let at = path.at(kind);
    match kind {
        "mbox" => {
            let mbox = path.string(map, kind)?.unwrap_or_default();
            let address = mbox
                .strip_prefix("mailto:")
                .ok_or_else(|| at.invalid("must be a mailto: IRI (mailto:name@example.org)"))?;
            match address.split_once('@') {
                Some((local, domain))
                    if !local.is_empty()
                        && !domain.is_empty()
                        && !address.chars().any(|c| c.is_whitespace() || c.is_control()) => {}
                _ => return Err(at.invalid("must be a mailto: IRI of an e-mail address")),
            }
            Ok(Identifier::MboxSha1(
                data_encoding::HEXLOWER.encode(&Sha1::digest(mbox.as_bytes())),
            ))
        }
        "mbox_sha1sum" => {
            let hex = path.string(map, kind)?.unwrap_or_default();
            if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(at.invalid("must be the SHA-1 of a mailto: IRI, as 40 hex digits"));
            }
            Ok(Identifier::MboxSha1(hex.to_ascii_lowercase()))
        }
        "openid" => {
            let uri = path.string(map, kind)?.unwrap_or_default();
            if !is_iri(uri) {
                return Err(at.invalid("must be an absolute URI"));
            }
            Ok(Identifier::OpenId(uri.to_owned()))
        }
        _ => {
            let account = at.object(map.get(kind).unwrap_or(&Value::Null))?;
            at.only(account, &["homePage", "name"])?;
            let home_page = at.string(account, "homePage")?;
            let home_page = home_page.filter(|h| is_iri(h)).ok_or_else(|| {
                at.at("homePage")
                    .invalid("is required: the IRL of the system the account is on")
            })?;
            let name = at
                .string(account, "name")?
                .filter(|n| !n.is_empty())
                .ok_or_else(|| at.at("name").invalid("is required: the account's id there"))?;
            Ok(Identifier::Account {
                home_page: home_page.to_owned(),
                name: name.to_owned(),
            })
        }
    }
}

/// Letters only: a reference made of hex digits would now and then hold a run of digits
/// that the privacy check rightly takes for an NHS or phone number.
static LETTERS: std::sync::LazyLock<data_encoding::Encoding> = std::sync::LazyLock::new(|| {
    let mut spec = data_encoding::Specification::new();
    spec.symbols.push_str("abcdefghijklmnop");
    #[allow(clippy::expect_used)] // a constant specification, checked by the tests
    spec.encoding().expect("a valid base-16 alphabet")
});

/// Bytes of the HMAC kept: 104 bits, far beyond any practice's staff.
const REFERENCE_BYTES: usize = 13;

impl Identifier {
    /// The staff reference of this learner at `practice`: `xapi-` and 26 letters.
    pub fn staff_ref(&self, key: &[u8], practice: &str) -> String {
        #[allow(clippy::expect_used)] // HMAC takes a key of any length
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
        let (kind, parts): (&str, Vec<&str>) = match self {
            Self::MboxSha1(hex) => ("mbox_sha1sum", vec![hex.as_str()]),
            Self::OpenId(uri) => ("openid", vec![uri.as_str()]),
            Self::Account { home_page, name } => {
                ("account", vec![home_page.as_str(), name.as_str()])
            }
        };
        // Length-prefixed, so no choice of values makes two identifiers' inputs equal.
        for part in ["difacto xapi staff_ref v1", practice, kind]
            .into_iter()
            .chain(parts)
        {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        let digest = mac.finalize().into_bytes();
        format!("xapi-{}", LETTERS.encode(&digest[..REFERENCE_BYTES]))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn parse(actor: Value) -> Result<Identifier, Invalid> {
        agent(&actor, &Path::root("actor"))
    }

    fn property(actor: Value) -> String {
        parse(actor).expect_err("refused").property
    }

    #[test]
    fn an_address_and_its_hash_are_the_same_person() {
        let mbox = parse(json!({ "mbox": "mailto:xapi@adlnet.gov", "objectType": "Agent" }))
            .expect("valid");
        // printf %s mailto:xapi@adlnet.gov | sha1sum, in capitals.
        let sha1 = parse(json!({ "mbox_sha1sum": "CD9B00A5611F94EAA7B1661EDAB976068E364975" }))
            .expect("valid");
        assert_eq!(
            mbox,
            Identifier::MboxSha1(
                data_encoding::HEXLOWER.encode(&Sha1::digest(b"mailto:xapi@adlnet.gov"))
            )
        );
        assert_eq!(mbox.staff_ref(KEY, "A81001"), sha1.staff_ref(KEY, "A81001"));
    }

    #[test]
    fn a_reference_is_keyed_per_practice_and_passes_the_staff_ref_rules() {
        let learner =
            parse(json!({ "account": { "homePage": "https://moodle.example", "name": "4127" } }))
                .expect("valid");
        let reference = learner.staff_ref(KEY, "A81001");
        assert_eq!(reference, learner.staff_ref(KEY, "A81001"), "stable");
        assert_ne!(reference, learner.staff_ref(KEY, "A81002"), "per practice");
        assert_ne!(
            reference,
            learner.staff_ref(b"another deployment's key........", "A81001")
        );
        assert!(!reference.contains("4127") && !reference.contains("moodle"));
        assert_eq!(
            domain::practice::staff_ref("staff_ref", &reference).as_deref(),
            Ok(reference.as_str())
        );
        let other =
            parse(json!({ "account": { "homePage": "https://moodle.example", "name": "4128" } }))
                .expect("valid");
        assert_ne!(reference, other.staff_ref(KEY, "A81001"));
    }

    #[test]
    fn many_references_pass_the_privacy_check() {
        for n in 0..2_000 {
            let learner = Identifier::OpenId(format!("https://id.example/{n}"));
            let reference = learner.staff_ref(KEY, "A81001");
            assert!(
                domain::practice::staff_ref("staff_ref", &reference).is_ok(),
                "{reference}"
            );
        }
    }

    #[test]
    fn a_bad_actor_is_named_by_its_property() {
        for (actor, named) in [
            (json!("mailto:x@example.org"), "actor"),
            (json!({ "name": "Nobody" }), "actor"),
            (
                json!({ "mbox": "mailto:a@b.c", "openid": "https://id.example/a" }),
                "actor",
            ),
            (json!({ "mbox": "a@b.c" }), "actor.mbox"),
            (json!({ "mbox": "mailto:nobody" }), "actor.mbox"),
            (json!({ "mbox": 7 }), "actor.mbox"),
            (json!({ "mbox_sha1sum": "abc" }), "actor.mbox_sha1sum"),
            (json!({ "openid": "not a uri" }), "actor.openid"),
            (
                json!({ "account": { "name": "4127" } }),
                "actor.account.homePage",
            ),
            (
                json!({ "account": { "homePage": "https://m.example" } }),
                "actor.account.name",
            ),
            (json!({ "account": "4127" }), "actor.account"),
            (json!({ "objectType": "Group", "member": [] }), "actor"),
            (
                json!({ "objectType": "Group", "mbox": "mailto:a@b.c" }),
                "actor.objectType",
            ),
            (json!({ "mbox": "mailto:a@b.c", "name": 3 }), "actor.name"),
        ] {
            assert_eq!(property(actor.clone()), named, "{actor}");
        }
    }

    #[test]
    fn refusals_do_not_repeat_the_address() {
        let err = parse(json!({ "mbox": "jane.smith@nhs.net" })).expect_err("no mailto");
        assert!(!err.reason.contains("jane"), "{}", err.reason);
        assert!(!format!("{:?}", Identifier::MboxSha1("ab".into())).contains("ab"));
    }
}
