//! Fuzzing of the GraphQL face: random documents and variables through `schema.execute`
//! on an in-process schema over a small real log.
//!
//! Documents are generated from the served SDL: queries, mutations and subscriptions
//! that select real fields with arguments of every type (values on the edges, wrong
//! types, unknown enum values, nulls, variables declared or not), then sometimes cut or
//! garbled character by character; some are random text. They are run by callers of
//! every kind (verified, missing, rejected). Mutations go to a service address where
//! nothing listens, so their input conversion runs and the call fails. Besides "never
//! panics": every error a resolver returns carries `extensions.code`.
//!
//! `DIFACTO_FUZZ_CASES=200000 cargo test --release -p gateway --test fuzz` runs it
//! on two hundred thousand documents.

#[path = "../../fuzz/kit.rs"]
mod kit;
#[path = "api/world.rs"]
mod world;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
use auth::Role;
use gateway::caller::Authentication;
use kit::{Dictionary, Entropy};
use serde_json::{Value, json};

/// The codes of `error.rs`, the only ones a resolver's error may carry.
const CODES: &[&str] = &[
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "BAD_USER_INPUT",
    "CONFLICT",
    "NOT_FOUND",
    "INTERNAL",
];

/// The longest error message any input may produce: the cost extension bounds every
/// message, and a refusal repeats at most 100 characters of what it refuses.
const MAX_MESSAGE_CHARS: usize = 400;

#[derive(Debug)]
struct Field {
    name: String,
    args: Vec<(String, Type)>,
    ty: Type,
}

#[derive(Debug)]
enum Kind {
    Object(Vec<Field>),
    Union(Vec<String>),
    Enum(Vec<String>),
    Input(Vec<(String, Type)>),
    Scalar,
}

/// The served schema's types, read from its SDL.
struct Types {
    types: HashMap<String, Kind>,
    query: String,
    mutation: String,
    subscription: String,
}

impl Types {
    fn from_sdl(sdl: &str) -> Self {
        let document = async_graphql::parser::parse_schema(sdl).expect("the SDL parses");
        let mut types = HashMap::new();
        let (mut query, mut mutation, mut subscription) = (
            "QueryRoot".to_owned(),
            "MutationRoot".to_owned(),
            "SubscriptionRoot".to_owned(),
        );
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    if let Some(q) = schema.query {
                        query = q.node.to_string();
                    }
                    if let Some(m) = schema.mutation {
                        mutation = m.node.to_string();
                    }
                    if let Some(s) = schema.subscription {
                        subscription = s.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(t) => {
                    let t = t.node;
                    let fields = |fields: Vec<
                        async_graphql::Positioned<async_graphql::parser::types::FieldDefinition>,
                    >| {
                        fields
                            .into_iter()
                            .map(|f| Field {
                                name: f.node.name.node.to_string(),
                                args: f
                                    .node
                                    .arguments
                                    .into_iter()
                                    .map(|a| (a.node.name.node.to_string(), a.node.ty.node))
                                    .collect(),
                                ty: f.node.ty.node,
                            })
                            .collect()
                    };
                    let kind = match t.kind {
                        TypeKind::Object(o) => Kind::Object(fields(o.fields)),
                        TypeKind::Interface(i) => Kind::Object(fields(i.fields)),
                        TypeKind::Union(u) => {
                            Kind::Union(u.members.into_iter().map(|m| m.node.to_string()).collect())
                        }
                        TypeKind::Enum(e) => Kind::Enum(
                            e.values
                                .into_iter()
                                .map(|v| v.node.value.node.to_string())
                                .collect(),
                        ),
                        TypeKind::InputObject(i) => Kind::Input(
                            i.fields
                                .into_iter()
                                .map(|f| (f.node.name.node.to_string(), f.node.ty.node))
                                .collect(),
                        ),
                        TypeKind::Scalar => Kind::Scalar,
                    };
                    types.insert(t.name.node.to_string(), kind);
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        Types {
            types,
            query,
            mutation,
            subscription,
        }
    }
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

/// Builds one document (and its variables) from the schema's types.
struct Writer<'a, 'e, 'd> {
    types: &'a Types,
    e: &'e mut Entropy<'d>,
    dict: &'a Dictionary,
    variables: serde_json::Map<String, Value>,
    declared: Vec<String>,
    /// Values of the wrong type, nulls for required arguments and undeclared variables;
    /// without it every value has its argument's type, so that most documents pass
    /// validation and reach the resolvers with edge-case values.
    wild: bool,
}

impl Writer<'_, '_, '_> {
    fn string_literal(text: &str) -> String {
        serde_json::to_string(text).expect("a string serialises")
    }

    /// A JSON value for a variable of type `ty`.
    fn json(&mut self, ty: &Type, depth: u8) -> Value {
        if (self.wild || ty.nullable) && self.e.one_in(12) {
            return Value::Null;
        }
        if let BaseType::List(inner) = &ty.base {
            let n = if self.e.one_in(20) {
                1 + self.e.below(300)
            } else {
                self.e.below(3)
            };
            return Value::Array((0..n).map(|_| self.json(inner, depth + 1)).collect());
        }
        let name = named(ty);
        match (name, self.types.types.get(name)) {
            (_, _) if self.wild && self.e.one_in(16) => json!(kit::string(self.e, self.dict)),
            ("Int", _) => json!(self.dict.number(self.e) as i64),
            ("Float", _) => json!([0.5, -1.0, 1e300, f64::MIN_POSITIVE][self.e.below(4)]),
            ("Boolean", _) => json!(self.e.one_in(2)),
            (_, Some(Kind::Enum(values))) if !values.is_empty() => {
                json!(values[self.e.below(values.len())])
            }
            (_, Some(Kind::Input(fields))) if depth < 4 => {
                let mut object = serde_json::Map::new();
                for (field, ty) in fields {
                    if !ty.nullable || self.e.below(3) > 0 {
                        object.insert(field.clone(), self.json(ty, depth + 1));
                    }
                }
                Value::Object(object)
            }
            _ => json!(kit::string(self.e, self.dict)),
        }
    }

    /// A literal (or a variable) for an argument of type `ty`.
    fn value(&mut self, ty: &Type, depth: u8) -> String {
        if self.e.one_in(10) {
            let name = format!("v{}", self.declared.len());
            let declared_type = if self.wild && self.e.one_in(8) {
                "String".to_owned()
            } else {
                ty.to_string()
            };
            self.declared.push(format!("${name}: {declared_type}"));
            let value = self.json(ty, depth);
            if !(self.wild && self.e.one_in(10)) {
                self.variables.insert(name.clone(), value);
            }
            return format!("${name}");
        }
        if (self.wild || ty.nullable) && self.e.one_in(16) {
            return "null".into();
        }
        if let BaseType::List(inner) = &ty.base {
            let n = if self.e.one_in(30) {
                1 + self.e.below(200)
            } else {
                self.e.below(3)
            };
            let items: Vec<String> = (0..n).map(|_| self.value(inner, depth + 1)).collect();
            return format!("[{}]", items.join(", "));
        }
        let name = named(ty);
        match (name, self.types.types.get(name)) {
            (_, _) if self.wild && self.e.one_in(20) => {
                ["1", "-1", "1.5", "true", "ENUM_VALUE", "\"x\"", "{}", "[]"][self.e.below(8)]
                    .into()
            }
            ("Int", _) => {
                let n = self.dict.number(self.e);
                if self.e.one_in(2) {
                    (n as i64).to_string()
                } else {
                    n.to_string()
                }
            }
            ("Float", _) => ["0.5", "-1e308", "1e400", "3"][self.e.below(4)].into(),
            ("Boolean", _) => ["true", "false"][self.e.below(2)].into(),
            (_, Some(Kind::Enum(values))) if !values.is_empty() => {
                values[self.e.below(values.len())].clone()
            }
            (_, Some(Kind::Input(fields))) if depth < 4 => {
                let mut parts = Vec::new();
                for (field, ty) in fields {
                    if !ty.nullable || self.e.below(3) > 0 {
                        let value = self.value(ty, depth + 1);
                        parts.push(format!("{field}: {value}"));
                    }
                }
                format!("{{{}}}", parts.join(", "))
            }
            _ => Self::string_literal(&kit::string(self.e, self.dict)),
        }
    }

    /// A selection set on type `name`.
    fn selection(&mut self, name: &str, depth: u8) -> String {
        let types = self.types;
        match types.types.get(name) {
            Some(Kind::Object(fields)) if !fields.is_empty() => {
                let mut parts = Vec::new();
                for i in 0..1 + self.e.below(3) {
                    if self.e.one_in(10) {
                        parts.push("__typename".to_owned());
                        continue;
                    }
                    let field = &fields[self.e.below(fields.len())];
                    let mut part = String::new();
                    // Aliased unless wild: the same field twice with other arguments is
                    // a validation error.
                    if !self.wild || self.e.one_in(4) {
                        part.push_str(&format!("a{depth}_{i}: "));
                    }
                    part.push_str(&field.name);
                    let args: Vec<String> = field
                        .args
                        .iter()
                        .filter(|(_, ty)| !ty.nullable || self.e.one_in(2))
                        .map(|(n, ty)| (n.clone(), ty.clone()))
                        .collect::<Vec<_>>()
                        .into_iter()
                        .map(|(n, ty)| format!("{n}: {}", self.value(&ty, 0)))
                        .collect();
                    if !args.is_empty() {
                        part.push_str(&format!("({})", args.join(", ")));
                    }
                    let inner = named(&field.ty);
                    if matches!(
                        types.types.get(inner),
                        Some(Kind::Object(_) | Kind::Union(_))
                    ) {
                        if depth < 6 {
                            part.push_str(&format!(" {{ {} }}", self.selection(inner, depth + 1)));
                        } else {
                            part.push_str(" { __typename }");
                        }
                    }
                    parts.push(part);
                }
                parts.join(" ")
            }
            Some(Kind::Union(members)) if !members.is_empty() => {
                let member = members[self.e.below(members.len())].clone();
                format!(
                    "__typename ... on {member} {{ {} }}",
                    self.selection(&member, depth + 1)
                )
            }
            _ => "__typename".into(),
        }
    }

    fn document(&mut self) -> String {
        let (keyword, root) = match self.e.below(20) {
            0..=12 => ("query", self.types.query.clone()),
            13..=18 => ("mutation", self.types.mutation.clone()),
            _ => ("subscription", self.types.subscription.clone()),
        };
        let body = self.selection(&root, 0);
        let declared = if self.declared.is_empty() {
            String::new()
        } else {
            format!("({})", self.declared.join(", "))
        };
        format!("{keyword} Fuzz{declared} {{ {body} }}")
    }
}

fn callers() -> Vec<Authentication> {
    vec![
        world::verified("X24", &[Role::NationalLead]),
        world::verified("QWO", &[Role::IcbCommissioner]),
        world::verified("A81001", &[Role::PracticeManager]),
        world::verified("P-leeds-libraries", &[Role::PartnerCoordinator]),
        world::verified("X24", &[Role::Auditor]),
        world::verified("svc", &[Role::Service]),
        world::verified("Z99999", &[]),
        Authentication::Missing,
        Authentication::Rejected("Authorization: invalid token".into()),
    ]
}

#[test]
fn fuzz_graphql() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let world = runtime.block_on(world::world());
    let schema = &world.schema;
    let types = Types::from_sdl(&gateway::schema::sdl());
    assert!(
        types.types.contains_key(&types.query),
        "the SDL names its query root"
    );
    let callers = callers();
    let dict = Dictionary::with(
        &[
            "X24",
            "Y63",
            "QWO",
            "U00001",
            "A81001",
            "A81002",
            "P-leeds-libraries",
            "Z99999",
            "2026-W10",
            "2026-05-13",
            "2026-05-13T10:00:00Z",
            "p",
        ],
        &[50, 100, 500, 501, 1000, 50_000, 50_001],
    );
    let (inputs, reached) = (AtomicUsize::new(0), AtomicUsize::new(0));
    kit::run("graphql", 300, |e| {
        // Chosen first: once a long document has used up the entropy every choice is the
        // first option, and that must not be a mutation.
        let mode = e.below(8);
        let mut writer = Writer {
            types: &types,
            e,
            dict: &dict,
            variables: serde_json::Map::new(),
            declared: Vec::new(),
            wild: mode >= 4,
        };
        let mut document = writer.document();
        let mut variables = Value::Object(std::mem::take(&mut writer.variables));
        match mode {
            7 => document = kit::text(&kit::mutate_bytes(e, document.into_bytes(), &dict)),
            6 => {
                let n = e.below(200);
                document = kit::text(&e.bytes(n));
            }
            5 => variables = json!({ "v0": kit::string(e, &dict), "extra": [1, 2, 3] }),
            _ => {}
        }
        let caller = e.pick(&callers).clone();
        let request = async_graphql::Request::new(document)
            .variables(async_graphql::Variables::from_json(variables))
            .data(caller);
        let response = runtime.block_on(schema.execute(request));
        let reached_resolvers = response.data != async_graphql::Value::Null
            || response.errors.iter().any(|error| !error.path.is_empty());
        if reached_resolvers {
            reached.fetch_add(1, Ordering::Relaxed);
        }
        inputs.fetch_add(1, Ordering::Relaxed);
        for error in &response.errors {
            let chars = error.message.chars().count();
            assert!(
                chars <= MAX_MESSAGE_CHARS,
                "an error of {chars} characters repeats too much of its input: {:?}",
                error.message.chars().take(200).collect::<String>()
            );
            if error.path.is_empty() {
                continue;
            }
            let code = error
                .extensions
                .as_ref()
                .and_then(|ext| ext.get("code"))
                .map(|v| v.to_string().trim_matches('"').to_owned());
            assert!(
                code.as_deref().is_some_and(|c| CODES.contains(&c)),
                "a resolver error without a known code: {:?} (code {code:?})",
                error.message
            );
        }
    });
    // A generator whose documents all fail validation would fuzz only the parser.
    let (inputs, reached) = (inputs.into_inner(), reached.into_inner());
    eprintln!("fuzz graphql: {reached} of {inputs} documents reached a resolver");
    assert!(
        reached * 5 >= inputs,
        "only {reached} of {inputs} documents reached a resolver"
    );
}
