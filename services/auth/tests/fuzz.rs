//! Fuzzing of token verification and of the `authorization` header at the gRPC edge.
//!
//! Inputs are random tokens, real tokens with bytes flipped, inserted or cut, and tokens
//! built claim by claim and header field by header field (wrong types, missing claims,
//! `alg: none`, algorithm confusion, expiry on the edges) and signed with the right key,
//! another key, or none. Five verifiers see every token: HS256 with the development secret
//! and with another, EdDSA with the fixture key and with another, RS256. Besides "never
//! panics": a verifier accepts a token only if it was signed with that verifier's own key
//! and algorithm, and then only with the right `iss` and `aud`, an `exp` still to come,
//! and the principal the claims name.
//!
//! `DIFACTO_FUZZ_CASES=2000000 cargo test --release -p auth --test fuzz` runs each
//! harness on two million inputs.

#[path = "../../../fuzz/kit.rs"]
mod kit;

use std::collections::HashSet;
use std::sync::LazyLock;
use std::time::Duration;

use auth::{
    AuthInterceptor, DEFAULT_AUDIENCE, DEFAULT_ISSUER, KeyAlgorithm, Role, TokenIssuer,
    TokenVerifier,
};
use jsonwebtoken::{Algorithm, EncodingKey};
use kit::{Dictionary, Entropy};
use serde_json::{Value, json};
use tonic::metadata::{AsciiMetadataValue, MetadataMap};
use tonic::service::Interceptor;

const SECRET: &[u8] = b"test-secret-0123456789abcdef0123456789";
const OTHER_SECRET: &[u8] = b"another-secret-0123456789abcdef012345";
const ED25519_PRIVATE: &[u8] = include_bytes!("fixtures/ed25519-private.pem");
const ED25519_PUBLIC: &[u8] = include_bytes!("fixtures/ed25519-public.pem");
const ED25519_OTHER_PUBLIC: &[u8] = include_bytes!("fixtures/ed25519-other-public.pem");
const RSA_PRIVATE: &[u8] = include_bytes!("fixtures/rsa-private.pem");
const RSA_PUBLIC: &[u8] = include_bytes!("fixtures/rsa-public.pem");

/// The keys a token can be signed with. A verifier accepts only its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Secret,
    OtherSecret,
    Ed25519,
    Rsa,
    /// HS256 keyed with the RSA *public* key: the algorithm-confusion attack.
    RsaPublicAsSecret,
    /// No signature at all, or random bytes.
    Nothing,
}

struct Verifier {
    name: &'static str,
    verifier: TokenVerifier,
    /// The key and algorithm whose signatures it must accept, and no other.
    key: Key,
    algorithm: &'static str,
}

struct World {
    verifiers: Vec<Verifier>,
    /// Tokens signed here with each key: the only ones a mutation may turn back into.
    signed: HashSet<(Key, String)>,
    seeds: Vec<Vec<u8>>,
    dict: Dictionary,
    secret: EncodingKey,
    other_secret: EncodingKey,
    ed25519: EncodingKey,
    confusion: EncodingKey,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let mut acc = 0u32;
        for (i, b) in chunk.iter().enumerate() {
            acc |= u32::from(*b) << (16 - 8 * i);
        }
        for i in 0..=chunk.len() {
            out.push(char::from(
                ALPHABET[((acc >> (18 - 6 * i)) & 0x3f) as usize],
            ));
        }
    }
    out
}

impl World {
    fn build() -> Self {
        let pem = |alg, pem| {
            TokenVerifier::from_public_key_pem(alg, pem, DEFAULT_ISSUER, DEFAULT_AUDIENCE)
                .expect("a fixture public key")
        };
        let verifiers = vec![
            Verifier {
                name: "hs256",
                verifier: TokenVerifier::hs256(SECRET, DEFAULT_ISSUER, DEFAULT_AUDIENCE),
                key: Key::Secret,
                algorithm: "HS256",
            },
            Verifier {
                name: "hs256-other",
                verifier: TokenVerifier::hs256(OTHER_SECRET, DEFAULT_ISSUER, DEFAULT_AUDIENCE),
                key: Key::OtherSecret,
                algorithm: "HS256",
            },
            Verifier {
                name: "eddsa",
                verifier: pem(KeyAlgorithm::EdDsa, ED25519_PUBLIC),
                key: Key::Ed25519,
                algorithm: "EdDSA",
            },
            Verifier {
                name: "eddsa-other",
                verifier: pem(KeyAlgorithm::EdDsa, ED25519_OTHER_PUBLIC),
                // Nothing here is signed with the other key's private half.
                key: Key::Nothing,
                algorithm: "EdDSA",
            },
            Verifier {
                name: "rs256",
                verifier: pem(KeyAlgorithm::Rs256, RSA_PUBLIC),
                key: Key::Rsa,
                algorithm: "RS256",
            },
        ];
        let secret = EncodingKey::from_secret(SECRET);
        let other_secret = EncodingKey::from_secret(OTHER_SECRET);
        let ed25519 = EncodingKey::from_ed_pem(ED25519_PRIVATE).expect("the fixture key");
        let rsa = EncodingKey::from_rsa_pem(RSA_PRIVATE).expect("the fixture key");
        let confusion = EncodingKey::from_secret(RSA_PUBLIC);
        let mut signed = HashSet::new();
        let issuer = TokenIssuer::hs256(SECRET, DEFAULT_ISSUER, DEFAULT_AUDIENCE);
        for roles in [
            &[Role::Service][..],
            &[Role::PracticeManager, Role::PcnLead],
            &[],
        ] {
            let token = issuer
                .mint("staff-1", "A81001", roles, Duration::from_secs(3600))
                .expect("mint");
            signed.insert((Key::Secret, token));
        }
        let claims = valid_claims();
        for (key, alg, encoding) in [
            (Key::Secret, Algorithm::HS256, &secret),
            (Key::OtherSecret, Algorithm::HS256, &other_secret),
            (Key::Ed25519, Algorithm::EdDSA, &ed25519),
            (Key::Rsa, Algorithm::RS256, &rsa),
            (Key::RsaPublicAsSecret, Algorithm::HS256, &confusion),
        ] {
            let token = jsonwebtoken::encode(&jsonwebtoken::Header::new(alg), &claims, encoding)
                .expect("sign a seed");
            signed.insert((key, token));
        }
        let seeds = signed.iter().map(|(_, t)| t.clone().into_bytes()).collect();
        let dict = Dictionary::with(
            &[
                ".",
                "..",
                "eyJhbGciOiJub25lIn0",
                "eyJhbGciOiJIUzI1NiJ9",
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
                "=",
                "==",
                "+",
                "/",
                "Bearer ",
            ],
            &[],
        );
        World {
            verifiers,
            signed,
            seeds,
            dict,
            secret,
            other_secret,
            ed25519,
            confusion,
        }
    }

    /// Whether `token` was signed here with `key`.
    fn signed_with(&self, key: Key, token: &str) -> bool {
        self.signed.contains(&(key, token.to_owned()))
    }
}

static WORLD: LazyLock<World> = LazyLock::new(World::build);

fn valid_claims() -> Value {
    let now = now();
    json!({
        "sub": "staff-1",
        "org": "A81001",
        "roles": ["practice_manager"],
        "iss": DEFAULT_ISSUER,
        "aud": DEFAULT_AUDIENCE,
        "exp": now + 3600,
        "iat": now,
    })
}

/// A JSON value for a claim: a good one most of the time, otherwise one on an edge.
fn claim(e: &mut Entropy, good: Value, dict: &Dictionary) -> Option<Value> {
    let now = now() as i64;
    Some(match e.below(12) {
        0 => return None,
        1 => Value::Null,
        2 => json!(kit::string(e, dict)),
        3 => json!(e.u64()),
        4 => json!(-(e.u32() as i64)),
        5 => json!((now as f64) + 3600.5),
        6 => json!([good.clone(), good]),
        7 => json!({ "value": good }),
        8 => json!(now - 4),
        9 => json!(now - 6),
        _ => good,
    })
}

fn role_name(e: &mut Entropy, dict: &Dictionary) -> Value {
    match e.below(4) {
        0 => json!(kit::string(e, dict)),
        1 => json!(["Service", "service ", "king", "", "auditor\u{0}"][e.below(5)]),
        _ => json!(e.pick(&Role::ALL).as_str()),
    }
}

/// Claims made field by field: each present or not, of the right type or not, on the
/// edges of what is accepted.
fn claims(e: &mut Entropy, dict: &Dictionary) -> Value {
    let now = now();
    let roles: Vec<Value> = (0..e.below(4)).map(|_| role_name(e, dict)).collect();
    let mut object = serde_json::Map::new();
    for (name, good) in [
        ("sub", json!(["staff-1", " ", "", "a"][e.below(4) % 4])),
        ("org", json!(["A81001", "X24", "", "\t"][e.below(4) % 4])),
        ("roles", Value::Array(roles)),
        (
            "iss",
            json!([DEFAULT_ISSUER, "difacto ", "Difacto", "elsewhere"][e.below(4) % 4]),
        ),
        ("aud", json!([DEFAULT_AUDIENCE, "other"][e.below(2)])),
        ("exp", json!(now + 3600)),
        ("iat", json!(now)),
        ("nbf", json!([now, now + 3600][e.below(2)])),
    ] {
        // `nbf` is optional: mostly left out.
        if name == "nbf" && !e.one_in(4) {
            continue;
        }
        if let Some(value) = claim(e, good, dict) {
            object.insert(name.to_owned(), value);
        }
    }
    if e.one_in(8) {
        object.insert("admin".into(), json!(true));
    }
    Value::Object(object)
}

fn header(e: &mut Entropy, dict: &Dictionary) -> Value {
    let alg = match e.below(16) {
        0 => Value::Null,
        1 => json!(kit::string(e, dict)),
        2 => json!(5),
        n => json!(
            [
                "HS256",
                "EdDSA",
                "RS256",
                "none",
                "None",
                "NONE",
                "HS512",
                "ES256",
                "PS256",
                "hs256",
                " HS256",
                "HS256\u{0}",
                "RS256"
            ][(n - 3) % 13]
        ),
    };
    let mut object = serde_json::Map::new();
    if !e.one_in(16) {
        object.insert("alg".into(), alg);
    }
    if e.one_in(2) {
        object.insert("typ".into(), json!(["JWT", "jwt", "at+jwt"][e.below(3)]));
    }
    if e.one_in(6) {
        let (name, value) = [
            ("kid", json!("../../etc/passwd")),
            ("jku", json!("https://attacker.example/keys")),
            ("x5u", json!("https://attacker.example/cert")),
            ("crit", json!(["exp"])),
            ("b64", json!(false)),
            ("jwk", json!({"kty": "oct", "k": "AAAA"})),
        ][e.below(6)]
        .clone();
        object.insert(name.into(), value);
    }
    Value::Object(object)
}

/// A token built part by part, and the key its signature was made with.
fn built_token(e: &mut Entropy, w: &World) -> (String, Key) {
    let header = header(e, &w.dict);
    let claims = claims(e, &w.dict);
    let encode = |v: &Value| b64(serde_json::to_string(v).expect("json").as_bytes());
    let message = format!("{}.{}", encode(&header), encode(&claims));
    let (key, signature) = match e.below(8) {
        0..=2 => (
            Key::Secret,
            jsonwebtoken::crypto::sign(message.as_bytes(), &w.secret, Algorithm::HS256),
        ),
        3 => (
            Key::OtherSecret,
            jsonwebtoken::crypto::sign(message.as_bytes(), &w.other_secret, Algorithm::HS256),
        ),
        4 | 5 => (
            Key::Ed25519,
            jsonwebtoken::crypto::sign(message.as_bytes(), &w.ed25519, Algorithm::EdDSA),
        ),
        6 => (
            Key::RsaPublicAsSecret,
            jsonwebtoken::crypto::sign(message.as_bytes(), &w.confusion, Algorithm::HS256),
        ),
        _ => {
            let n = e.below(90);
            (Key::Nothing, Ok(b64(&e.bytes(n))))
        }
    };
    let signature = signature.expect("signing never fails for a valid key");
    (format!("{message}.{signature}"), key)
}

/// What must hold of one verification: acceptance only of the verifier's own signatures,
/// and then only of valid claims, read faithfully.
fn check(v: &Verifier, token: &str, signed_with: Option<Key>, claims: Option<&Value>) {
    let Ok(principal) = v.verifier.verify(token) else {
        return;
    };
    let known = signed_with == Some(v.key) || WORLD.signed_with(v.key, token);
    assert!(
        known && v.key != Key::Nothing,
        "{} accepted a token not signed with its key: {token:?}",
        v.name
    );
    let header_alg = token
        .split('.')
        .next()
        .and_then(|h| jsonwebtoken::decode_header(format!("{h}.e30.")).ok())
        .map(|h| format!("{:?}", h.alg));
    assert_eq!(
        header_alg.as_deref(),
        Some(v.algorithm),
        "{} accepted a token whose header names another algorithm",
        v.name
    );
    let Some(claims) = claims else {
        return;
    };
    assert_eq!(
        claims["iss"],
        json!(DEFAULT_ISSUER),
        "{}: wrong iss accepted",
        v.name
    );
    assert_eq!(
        claims["aud"],
        json!(DEFAULT_AUDIENCE),
        "{}: wrong aud accepted",
        v.name
    );
    let exp = claims["exp"].as_u64().unwrap_or(0);
    assert!(
        exp.saturating_add(5) >= now(),
        "{} accepted an expired token",
        v.name
    );
    assert!(
        claims["iat"].is_number(),
        "{} accepted a token without iat",
        v.name
    );
    assert_eq!(claims["sub"], json!(principal.subject), "{}", v.name);
    assert_eq!(claims["org"], json!(principal.organisation), "{}", v.name);
    assert!(!principal.subject.trim().is_empty() && !principal.organisation.trim().is_empty());
    for role in &principal.roles {
        assert!(
            claims["roles"]
                .as_array()
                .is_some_and(|names| names.contains(&json!(role.as_str()))),
            "{} gave role {role} the token does not name",
            v.name
        );
    }
}

fn payload(token: &str) -> Option<Value> {
    let part = token.split('.').nth(1)?;
    let bytes = b64_decode(part)?;
    serde_json::from_slice(&bytes).ok()
}

fn b64_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(4) {
        let mut acc = 0u32;
        for &c in chunk {
            acc = (acc << 6) | ALPHABET.iter().position(|a| *a == c)? as u32;
        }
        let bits = chunk.len() * 6;
        acc <<= 24 - bits;
        out.extend_from_slice(&acc.to_be_bytes()[1..1 + bits / 8]);
    }
    Some(out)
}

#[test]
fn fuzz_token_verification() {
    let w = &*WORLD;
    kit::run("tokens", kit::DEFAULT_CASES, |e| {
        let (token, key) = match e.below(4) {
            0 => {
                let n = e.below(200);
                (kit::text(&e.bytes(n)), None)
            }
            1 => {
                let seed = e.pick(&w.seeds).clone();
                (kit::text(&kit::mutate_bytes(e, seed, &w.dict)), None)
            }
            _ => {
                let (token, key) = built_token(e, w);
                (token, Some(key))
            }
        };
        // A long token is refused before it is parsed: sometimes make one.
        let token = if e.one_in(64) {
            token.repeat(300)
        } else {
            token
        };
        let claims = payload(&token);
        for v in &w.verifiers {
            check(v, &token, key, claims.as_ref());
        }
    });
}

fn metadata_with(values: &[Vec<u8>]) -> Option<MetadataMap> {
    let mut map = MetadataMap::new();
    for value in values {
        map.append(
            "authorization",
            AsciiMetadataValue::try_from(value.as_slice()).ok()?,
        );
    }
    Some(map)
}

/// The `authorization` header as a gRPC client sends it: any scheme, spacing, token and
/// number of headers. The interceptor admits only `Bearer <token>` with a token its
/// verifier accepts, puts that principal in the request, and enforces a required role.
#[test]
fn fuzz_authorization_header() {
    let w = &*WORLD;
    let open = AuthInterceptor::new(std::sync::Arc::new(w.verifiers[0].verifier.clone()));
    let guarded = open.clone().requiring(Role::Service);
    kit::run("authorization_header", kit::DEFAULT_CASES, |e| {
        let headers: Vec<Vec<u8>> = (0..[1, 1, 1, 0, 2][e.below(5)])
            .map(|_| {
                if e.one_in(4) {
                    let n = e.below(120);
                    return e.bytes(n);
                }
                let schemes: [&[u8]; 9] = [
                    b"Bearer ",
                    b"bearer ",
                    b"BEARER ",
                    b"Basic ",
                    b"Bearer  ",
                    b"Bearer\t",
                    b"",
                    b"Bearer",
                    b" Bearer ",
                ];
                let scheme = *e.pick(&schemes);
                let seed = e.pick(&w.seeds).clone();
                let token = if e.one_in(3) {
                    kit::mutate_bytes(e, seed, &w.dict)
                } else {
                    seed
                };
                let suffixes: [&[u8]; 5] = [b"", b" ", b"\t", b" x", b"\r\n"];
                let suffix = *e.pick(&suffixes);
                [scheme, &token, suffix].concat()
            })
            .collect();
        let Some(metadata) = metadata_with(&headers) else {
            return;
        };
        for (name, mut interceptor) in [("open", open.clone()), ("guarded", guarded.clone())] {
            let request =
                tonic::Request::from_parts(metadata.clone(), tonic::Extensions::default(), ());
            let Ok(admitted) = interceptor.call(request) else {
                continue;
            };
            assert_eq!(
                headers.len(),
                1,
                "{name}: admitted {} authorization headers",
                headers.len()
            );
            let principal = auth::principal(&admitted).expect("the principal is put in");
            let text = String::from_utf8_lossy(&headers[0]);
            let token = text
                .trim()
                .split_once(' ')
                .map(|(_, t)| t.trim())
                .unwrap_or("");
            assert!(
                w.signed_with(Key::Secret, token),
                "{name}: admitted a header whose token was not signed with the key: {text:?}"
            );
            if name == "guarded" {
                assert!(
                    principal.has_role(Role::Service),
                    "guarded: admitted {principal:?}"
                );
            }
        }
    });
}

/// The harness's own way of building tokens makes ones the verifiers accept when every
/// part is right, so its checks of accepted tokens are not vacuous.
#[test]
fn tokens_built_part_by_part_verify_when_every_part_is_right() {
    let w = &*WORLD;
    let encode = |v: &Value| b64(serde_json::to_string(v).expect("json").as_bytes());
    let message = format!(
        "{}.{}",
        encode(&json!({"alg": "HS256", "typ": "JWT"})),
        encode(&valid_claims())
    );
    let signature =
        jsonwebtoken::crypto::sign(message.as_bytes(), &w.secret, Algorithm::HS256).expect("sign");
    let token = format!("{message}.{signature}");
    let principal = w.verifiers[0].verifier.verify(&token).expect("accepted");
    assert_eq!(principal.organisation, "A81001");
    check(
        &w.verifiers[0],
        &token,
        Some(Key::Secret),
        payload(&token).as_ref(),
    );
    assert!(w.verifiers[1].verifier.verify(&token).is_err());
    assert!(w.verifiers[2].verifier.verify(&token).is_err());
}
