//! What a query may cost (DESIGN.md §5 "Cost"), priced from the document before any
//! resolver runs, and the bound on what an error may repeat of its input (§8).
//!
//! [`CostControl::admit`] parses each request once and walks the operation (each
//! fragment once): it counts the fields the document has once its fragments are
//! expanded, the distinct `asOf`/`onDate` times it names (each is a replay of the log),
//! how deep it nests, and what its introspection reads, priced by walking the schema's
//! own shape. The schema's validation then checks async-graphql's complexity (each field
//! 1, each list its page size times its contents, each `history` the events it may read:
//! see the `complexity` attributes in `views`). Anything over a limit is refused with
//! `BAD_USER_INPUT` naming the limit, before any work is done. Every response then passes
//! through [`bound_errors`], the one place error messages are cut to size.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, FragmentDefinition, OperationDefinition,
    Selection, SelectionSet, ServiceDocument, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::{
    ErrorExtensions, Name, Pos, Positioned, Request, ServerError, Value, Variables,
};
use chrono::{DateTime, NaiveDate, Utc};

use crate::error::GatewayError;
use crate::projection::ReplayTurn;

/// The most a query may cost: each field 1, each list its page size times what each
/// node costs, each `history` the events it may read. A page of 500 organisations with
/// 50 fields each fits; 500 pages of 500 do not.
pub const MAX_COMPLEXITY: usize = 50_000;
/// The most distinct `asOf` instants and `onDate` days one query may name: each is a
/// replay of the log from zero (1.6 s on the demo), so two (then and now, or two dates
/// to compare) is what a view needs and all a request may take.
pub const MAX_REPLAYS: usize = 2;
/// How deep a query of the views may nest. The schema has no cycles, so this only
/// refuses nonsense early.
pub const MAX_DEPTH: usize = 12;
/// How deep an introspection query may nest: the standard query (GraphiQL's, with type
/// references 9 levels deep) is 15; type references run at most 3 deep in this schema,
/// so deeper nesting reads nothing more.
pub const MAX_INTROSPECTION_DEPTH: usize = 18;
/// What introspection may read, apart from [`MAX_COMPLEXITY`]: fields resolved against
/// the schema's types, counted exactly by walking the schema (introspection fields count
/// 1 each in the complexity). The standard introspection query reads about 10,700 today
/// and must stay under half of this (a test holds it), whatever the schema grows to.
pub const MAX_INTROSPECTION_COST: usize = 100_000;
/// How many characters of its input an error message may repeat (§8). Messages written
/// by difacto name fields and repeat at most [`MAX_ECHO_WORD`] characters of a value;
/// messages from elsewhere (the GraphQL library, a domain service) are cut to this.
pub const MAX_ECHO: usize = 100;
/// The longest run of characters without a space a message keeps: a code, an id or a
/// value repeated from the input.
pub const MAX_ECHO_WORD: usize = 40;
/// The longest message difacto writes itself.
pub const MAX_MESSAGE: usize = 300;

/// Prices each request before it runs. It is not an async-graphql extension: once any
/// extension is installed, the library sends every field of every answer through the
/// extension chain (a registry lookup and a boxed future per field), which doubled the
/// time of the largest views. [`crate::schema::DifactoSchema`] calls it instead, on every
/// entry point.
#[derive(Debug, Clone)]
pub struct CostControl {
    shape: Arc<SchemaShape>,
}

impl CostControl {
    /// `sdl` is the schema's own SDL ([`async_graphql::Schema::sdl`]): what
    /// introspection reads.
    pub fn new(sdl: &str) -> Self {
        Self {
            shape: Arc::new(SchemaShape::from_sdl(sdl)),
        }
    }

    /// `request` with its document parsed once and priced, and its own queue for replays
    /// (its second replay waits there, not in the queue everyone shares, so no request
    /// holds the replayer for two in a row); or why it costs too much. A document that
    /// does not parse goes on, for the schema to refuse in its own words.
    pub fn admit(&self, mut request: Request) -> Result<Request, ServerError> {
        if let Ok(document) = async_graphql::parser::parse_query(&request.query) {
            price(
                &document,
                request.operation_name.as_deref(),
                &request.variables,
                &self.shape,
            )
            .map_err(|err| err.extend().into_server_error(Pos::default()))?;
            request.set_parsed_query(document);
        }
        Ok(request.data(ReplayTurn::default()))
    }
}

/// The library's own complexity check (the schema's `limit_complexity`, at
/// [`MAX_COMPLEXITY`]) says only "Query is too complex."; this says which limit and how
/// to stay under it.
fn explain_complexity(error: &mut ServerError) {
    if error.message == "Query is too complex." && error.extensions.is_none() {
        *error = GatewayError::bad_input(
            "query",
            format!(
                "costs more than the complexity limit of {MAX_COMPLEXITY} (each field costs 1, each list its page size times its contents, each history the events it may read); ask for smaller pages"
            ),
        )
        .extend()
        .into_server_error(Pos::default());
    }
}

/// What the walk after parsing found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Priced {
    /// Fields once fragments are expanded.
    pub fields: usize,
    pub depth: usize,
    pub introspection_depth: usize,
    /// Fields introspection resolves.
    pub introspection: usize,
    /// The distinct replays: `asOf` instants and `onDate` days.
    pub replays: usize,
}

/// Prices `operation` (or the document's only one) of `document` with `variables`,
/// refusing anything over a limit.
pub fn price(
    document: &ExecutableDocument,
    operation: Option<&str>,
    variables: &Variables,
    shape: &SchemaShape,
) -> Result<Priced, GatewayError> {
    let operations: Vec<&OperationDefinition> = match (&document.operations, operation) {
        (DocumentOperations::Single(op), _) => vec![&op.node],
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .iter()
            .filter(|(n, _)| n.as_str() == name)
            .map(|(_, op)| &op.node)
            .collect(),
        (DocumentOperations::Multiple(ops), None) => ops.values().map(|op| &op.node).collect(),
    };
    let mut priced = Priced::default();
    for op in operations {
        let mut walk = Walk {
            fragments: &document.fragments,
            variables,
            operation: op,
            memo: HashMap::new(),
            instants: BTreeSet::new(),
            days: BTreeSet::new(),
        };
        let summary = walk.selection_set(&op.selection_set.node)?;
        priced.fields = priced.fields.saturating_add(summary.fields);
        at_most("query", priced.fields, MAX_COMPLEXITY, |fields| {
            format!(
                "has {fields} fields once its fragments are expanded, above the complexity limit of {MAX_COMPLEXITY}"
            )
        })?;
        priced.depth = priced.depth.max(summary.depth);
        priced.introspection_depth = priced.introspection_depth.max(summary.introspection_depth);
        priced.replays = priced.replays.max(walk.instants.len() + walk.days.len());
        let mut intro = Introspection {
            shape,
            fragments: &document.fragments,
            spent: priced.introspection,
            steps: 0,
            active: Vec::new(),
        };
        intro.root(&op.selection_set.node, variables, op)?;
        priced.introspection = intro.spent;
    }
    at_most("asOf", priced.replays, MAX_REPLAYS, |replays| {
        format!(
            "a query may name at most {MAX_REPLAYS} distinct asOf/onDate times (each is a replay of the log); this one names {replays}"
        )
    })?;
    at_most("query", priced.depth, MAX_DEPTH, |depth| {
        format!("nested {depth} levels deep, above the depth limit of {MAX_DEPTH}")
    })?;
    at_most(
        "query",
        priced.introspection_depth,
        MAX_INTROSPECTION_DEPTH,
        |depth| {
            format!(
                "introspection nested {depth} levels deep, above the depth limit of {MAX_INTROSPECTION_DEPTH}"
            )
        },
    )?;
    Ok(priced)
}

/// Refuses a query whose `count` is above `limit`, naming `field` and saying why with
/// `reason(count)`.
fn at_most(
    field: &str,
    count: usize,
    limit: usize,
    reason: impl FnOnce(usize) -> String,
) -> Result<(), GatewayError> {
    if count > limit {
        return Err(GatewayError::bad_input(field, reason(count)));
    }
    Ok(())
}

/// A selection set's size and depth, the same wherever a fragment is spread.
#[derive(Debug, Clone, Copy, Default)]
struct Summary {
    fields: usize,
    depth: usize,
    introspection_depth: usize,
}

/// Fields that read the schema rather than the views.
fn is_introspection(name: &str) -> bool {
    name == "__schema" || name == "__type"
}

/// Fields whose `asOf` filters a stream rather than replaying the log.
const NOT_REPLAYS: [&str; 1] = ["history"];

struct Walk<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    variables: &'a Variables,
    operation: &'a OperationDefinition,
    /// Each fragment is walked once (`None` while it is being walked, to catch cycles),
    /// so a document that spreads fragments into fragments costs its size, not its
    /// expansion, to price.
    memo: HashMap<&'a str, Option<Summary>>,
    instants: BTreeSet<DateTime<Utc>>,
    days: BTreeSet<NaiveDate>,
}

impl<'a> Walk<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet) -> Result<Summary, GatewayError> {
        let mut total = Summary::default();
        for item in &set.items {
            let summary = match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = field.name.node.as_str();
                    if !NOT_REPLAYS.contains(&name) {
                        self.replays(field);
                    }
                    let inner = self.selection_set(&field.selection_set.node)?;
                    if is_introspection(name) {
                        Summary {
                            fields: inner.fields.saturating_add(1),
                            depth: 1,
                            introspection_depth: inner.depth.max(inner.introspection_depth) + 1,
                        }
                    } else {
                        Summary {
                            fields: inner.fields.saturating_add(1),
                            depth: inner.depth + 1,
                            introspection_depth: if inner.introspection_depth > 0 {
                                inner.introspection_depth + 1
                            } else {
                                0
                            },
                        }
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    match self.memo.get(name) {
                        Some(Some(summary)) => *summary,
                        Some(None) => {
                            return Err(GatewayError::bad_input(
                                "query",
                                format!("fragment {} spreads itself", echo(name)),
                            ));
                        }
                        None => {
                            // Unknown fragments are validation's to report.
                            let Some((key, fragment)) = self.fragments.get_key_value(name) else {
                                continue;
                            };
                            self.memo.insert(key.as_str(), None);
                            let summary = self.selection_set(&fragment.node.selection_set.node)?;
                            self.memo.insert(key.as_str(), Some(summary));
                            summary
                        }
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.selection_set(&inline.node.selection_set.node)?
                }
            };
            total.fields = total.fields.saturating_add(summary.fields);
            total.depth = total.depth.max(summary.depth);
            total.introspection_depth = total.introspection_depth.max(summary.introspection_depth);
        }
        Ok(total)
    }

    /// Notes the `asOf` instant and `onDate` day `field` asks for, if any.
    fn replays(&mut self, field: &async_graphql::parser::types::Field) {
        for (name, value) in &field.arguments {
            let name = name.node.as_str();
            if name != "asOf" && name != "onDate" {
                continue;
            }
            let value = value.node.clone().into_const_with(|var| {
                Ok::<_, std::convert::Infallible>(variable(self.variables, self.operation, &var))
            });
            let Ok(Value::String(text)) = value else {
                continue;
            };
            // Text that does not parse is refused by the field itself, before any replay.
            if name == "asOf" {
                if let Ok(at) = text.trim().parse::<DateTime<Utc>>() {
                    self.instants.insert(at);
                }
            } else if let Ok(day) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
                self.days.insert(day);
            }
        }
    }
}

/// What a variable holds: as given, else its default, else null.
fn variable(variables: &Variables, operation: &OperationDefinition, name: &Name) -> Value {
    variables
        .get(name)
        .cloned()
        .or_else(|| {
            operation
                .variable_definitions
                .iter()
                .find(|d| d.node.name.node == *name)
                .and_then(|d| d.node.default_value.as_ref())
                .map(|v| v.node.clone())
        })
        .unwrap_or(Value::Null)
}

/// The shape introspection reads: every type's fields, arguments, input fields, enum
/// values, interfaces and members, and the directives, taken from the schema's SDL and
/// the introspection types the GraphQL spec defines.
#[derive(Debug, Default)]
pub struct SchemaShape {
    types: HashMap<String, TypeShape>,
    /// Every named type, in a stable order: what `__schema { types }` lists.
    named: Vec<TypeRef>,
    roots: Vec<TypeRef>,
    /// Each directive's argument types.
    directives: Vec<Vec<TypeRef>>,
}

#[derive(Debug, Default)]
struct TypeShape {
    fields: Vec<FieldShape>,
    input_fields: Vec<TypeRef>,
    enum_values: usize,
    interfaces: Vec<TypeRef>,
    possible_types: Vec<TypeRef>,
}

#[derive(Debug)]
struct FieldShape {
    args: Vec<TypeRef>,
    ty: TypeRef,
}

#[derive(Debug, Clone)]
enum TypeRef {
    Named(String),
    List(Box<TypeRef>),
    NonNull(Box<TypeRef>),
}

impl TypeRef {
    fn of(ty: &Type) -> Self {
        let base = match &ty.base {
            BaseType::Named(name) => Self::Named(name.to_string()),
            BaseType::List(inner) => Self::List(Box::new(Self::of(inner))),
        };
        if ty.nullable {
            base
        } else {
            Self::NonNull(Box::new(base))
        }
    }

    fn named(&self) -> Option<&str> {
        match self {
            Self::Named(name) => Some(name),
            _ => None,
        }
    }
}

/// The introspection types, built-in scalars and directives every schema has (GraphQL
/// spec §4.5), which `sdl()` leaves out.
const BUILT_IN: &str = r#"
type __Schema { description: String types: [__Type!]! queryType: __Type! mutationType: __Type subscriptionType: __Type directives: [__Directive!]! }
type __Type { kind: __TypeKind! name: String description: String specifiedByURL: String fields(includeDeprecated: Boolean = false): [__Field!] interfaces: [__Type!] possibleTypes: [__Type!] enumValues(includeDeprecated: Boolean = false): [__EnumValue!] inputFields(includeDeprecated: Boolean = false): [__InputValue!] ofType: __Type isOneOf: Boolean }
type __Field { name: String! description: String args(includeDeprecated: Boolean = false): [__InputValue!]! type: __Type! isDeprecated: Boolean! deprecationReason: String }
type __InputValue { name: String! description: String type: __Type! defaultValue: String isDeprecated: Boolean! deprecationReason: String }
type __EnumValue { name: String! description: String isDeprecated: Boolean! deprecationReason: String }
type __Directive { name: String! description: String locations: [__DirectiveLocation!]! args(includeDeprecated: Boolean = false): [__InputValue!]! isRepeatable: Boolean! }
enum __TypeKind { SCALAR OBJECT INTERFACE UNION ENUM INPUT_OBJECT LIST NON_NULL }
enum __DirectiveLocation { QUERY MUTATION SUBSCRIPTION FIELD FRAGMENT_DEFINITION FRAGMENT_SPREAD INLINE_FRAGMENT VARIABLE_DEFINITION SCHEMA SCALAR OBJECT FIELD_DEFINITION ARGUMENT_DEFINITION INTERFACE UNION ENUM ENUM_VALUE INPUT_OBJECT INPUT_FIELD_DEFINITION }
scalar String
scalar Int
scalar Float
scalar Boolean
scalar ID
directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @deprecated(reason: String) on FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE
directive @specifiedBy(url: String!) on SCALAR
directive @oneOf on INPUT_OBJECT
"#;

impl SchemaShape {
    /// The shape of the schema `sdl` describes. SDL that does not parse (it is the
    /// schema's own, so it always does) leaves only the built-in types.
    pub fn from_sdl(sdl: &str) -> Self {
        let mut shape = Self::default();
        let mut directive_names = HashSet::new();
        let mut roots: [Option<String>; 3] = [None, None, None];
        let mut implementations: Vec<(String, String)> = Vec::new();
        for text in [sdl, BUILT_IN] {
            let document: ServiceDocument = match async_graphql::parser::parse_schema(text) {
                Ok(document) => document,
                Err(err) => {
                    tracing::error!(error = %err, "the schema's SDL does not parse; introspection is priced by the built-in types only");
                    continue;
                }
            };
            for definition in document.definitions {
                match definition {
                    TypeSystemDefinition::Schema(schema) => {
                        let schema = schema.node;
                        for (slot, name) in roots.iter_mut().zip([
                            schema.query,
                            schema.mutation,
                            schema.subscription,
                        ]) {
                            if let Some(name) = name {
                                *slot = Some(name.node.to_string());
                            }
                        }
                    }
                    TypeSystemDefinition::Directive(directive) => {
                        let directive = directive.node;
                        if directive_names.insert(directive.name.node.to_string()) {
                            shape.directives.push(
                                directive
                                    .arguments
                                    .iter()
                                    .map(|a| TypeRef::of(&a.node.ty.node))
                                    .collect(),
                            );
                        }
                    }
                    TypeSystemDefinition::Type(ty) => {
                        let ty = ty.node;
                        let name = ty.name.node.to_string();
                        if shape.types.contains_key(&name) {
                            continue;
                        }
                        let mut t = TypeShape::default();
                        let fields = |fields: &[Positioned<
                            async_graphql::parser::types::FieldDefinition,
                        >]| {
                            fields
                                .iter()
                                .map(|f| FieldShape {
                                    args: f
                                        .node
                                        .arguments
                                        .iter()
                                        .map(|a| TypeRef::of(&a.node.ty.node))
                                        .collect(),
                                    ty: TypeRef::of(&f.node.ty.node),
                                })
                                .collect::<Vec<_>>()
                        };
                        match &ty.kind {
                            TypeKind::Scalar => {}
                            TypeKind::Object(o) => {
                                t.fields = fields(&o.fields);
                                for i in &o.implements {
                                    implementations.push((i.node.to_string(), name.clone()));
                                    t.interfaces.push(TypeRef::Named(i.node.to_string()));
                                }
                            }
                            TypeKind::Interface(i) => {
                                t.fields = fields(&i.fields);
                                t.interfaces = i
                                    .implements
                                    .iter()
                                    .map(|n| TypeRef::Named(n.node.to_string()))
                                    .collect();
                            }
                            TypeKind::Union(u) => {
                                t.possible_types = u
                                    .members
                                    .iter()
                                    .map(|n| TypeRef::Named(n.node.to_string()))
                                    .collect();
                            }
                            TypeKind::Enum(e) => t.enum_values = e.values.len(),
                            TypeKind::InputObject(i) => {
                                t.input_fields = i
                                    .fields
                                    .iter()
                                    .map(|f| TypeRef::of(&f.node.ty.node))
                                    .collect();
                            }
                        }
                        shape.named.push(TypeRef::Named(name.clone()));
                        shape.types.insert(name, t);
                    }
                }
            }
        }
        for (interface, object) in implementations {
            if let Some(t) = shape.types.get_mut(&interface) {
                t.possible_types.push(TypeRef::Named(object));
            }
        }
        let [query, mutation, subscription] = roots;
        let query = query.unwrap_or_else(|| "Query".into());
        shape.roots = [Some(query), mutation, subscription]
            .into_iter()
            .flatten()
            .map(TypeRef::Named)
            .collect();
        shape
    }
}

/// The object an introspection selection is read on.
#[derive(Clone, Copy)]
enum Object<'s> {
    Schema,
    Type(&'s TypeRef),
    Field(&'s FieldShape),
    InputValue(&'s TypeRef),
    EnumValue,
    Directive(&'s [TypeRef]),
}

/// Prices introspection by walking the schema's shape as the resolvers would: every
/// field on every object it reaches costs 1. It stops as soon as the limit is passed, so
/// pricing a hostile query costs no more than the limit.
struct Introspection<'a> {
    shape: &'a SchemaShape,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    spent: usize,
    /// Fragment spreads followed: they cost nothing, but are bounded all the same.
    steps: usize,
    /// Fragments being walked, so that a cycle (which validation refuses) ends here.
    active: Vec<&'a str>,
}

impl<'a> Introspection<'a> {
    /// Prices each `__schema`/`__type` among the root fields of an operation.
    fn root(
        &mut self,
        set: &'a SelectionSet,
        variables: &Variables,
        operation: &'a OperationDefinition,
    ) -> Result<(), GatewayError> {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    match field.name.node.as_str() {
                        "__schema" => {
                            self.spend(1)?;
                            self.set(&field.selection_set.node, Object::Schema)?;
                        }
                        "__type" => {
                            self.spend(1)?;
                            let name = field.arguments.iter().find(|(n, _)| n.node == "name").map(
                                |(_, v)| {
                                    v.node.clone().into_const_with(|var| {
                                        Ok::<_, std::convert::Infallible>(variable(
                                            variables, operation, &var,
                                        ))
                                    })
                                },
                            );
                            let name = match name {
                                Some(Ok(Value::String(name))) => Some(name),
                                _ => None,
                            };
                            let ty = name.and_then(|name| {
                                self.shape
                                    .named
                                    .iter()
                                    .find(|t| t.named() == Some(name.as_str()))
                            });
                            if let Some(ty) = ty {
                                self.set(&field.selection_set.node, Object::Type(ty))?;
                            }
                        }
                        _ => {}
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if self.active.contains(&name) {
                        continue;
                    }
                    if let Some(fragment) = self.fragments.get(name) {
                        self.active.push(name);
                        self.root(&fragment.node.selection_set.node, variables, operation)?;
                        self.active.pop();
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.root(&inline.node.selection_set.node, variables, operation)?
                }
            }
        }
        Ok(())
    }

    fn spend(&mut self, n: usize) -> Result<(), GatewayError> {
        self.spent = self.spent.saturating_add(n);
        at_most("query", self.spent, MAX_INTROSPECTION_COST, |_| {
            format!(
                "its introspection reads more than {MAX_INTROSPECTION_COST} fields, the introspection limit"
            )
        })
    }

    fn each(
        &mut self,
        set: &'a SelectionSet,
        objects: impl IntoIterator<Item = Object<'a>>,
    ) -> Result<(), GatewayError> {
        for object in objects {
            self.set(set, object)?;
        }
        Ok(())
    }

    fn set(&mut self, set: &'a SelectionSet, object: Object<'a>) -> Result<(), GatewayError> {
        let shape = self.shape;
        for item in &set.items {
            let field = match &item.node {
                Selection::Field(field) => &field.node,
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    self.steps += 1;
                    if self.steps > MAX_INTROSPECTION_COST {
                        return self.spend(MAX_INTROSPECTION_COST);
                    }
                    if self.active.contains(&name) {
                        continue;
                    }
                    if let Some(fragment) = self.fragments.get(name) {
                        self.active.push(name);
                        self.set(&fragment.node.selection_set.node, object)?;
                        self.active.pop();
                    }
                    continue;
                }
                Selection::InlineFragment(inline) => {
                    self.set(&inline.node.selection_set.node, object)?;
                    continue;
                }
            };
            self.spend(1)?;
            let inner = &field.selection_set.node;
            let named = |r: &TypeRef| r.named().and_then(|n| shape.types.get(n));
            match (object, field.name.node.as_str()) {
                (Object::Schema, "types") => {
                    self.each(inner, shape.named.iter().map(Object::Type))?
                }
                (Object::Schema, "queryType") => {
                    self.each(inner, shape.roots.first().map(Object::Type))?
                }
                (Object::Schema, "mutationType") => self.each(
                    inner,
                    shape
                        .roots
                        .get(1)
                        .filter(|r| named(r).is_some())
                        .map(Object::Type),
                )?,
                (Object::Schema, "subscriptionType") => self.each(
                    inner,
                    shape
                        .roots
                        .get(2)
                        .filter(|r| named(r).is_some())
                        .map(Object::Type),
                )?,
                (Object::Schema, "directives") => {
                    self.each(inner, shape.directives.iter().map(|d| Object::Directive(d)))?
                }
                (Object::Type(r), "fields") => {
                    if let Some(t) = named(r) {
                        self.each(inner, t.fields.iter().map(Object::Field))?
                    }
                }
                (Object::Type(r), "inputFields") => {
                    if let Some(t) = named(r) {
                        self.each(inner, t.input_fields.iter().map(Object::InputValue))?
                    }
                }
                (Object::Type(r), "enumValues") => {
                    if let Some(t) = named(r) {
                        self.each(inner, (0..t.enum_values).map(|_| Object::EnumValue))?
                    }
                }
                (Object::Type(r), "interfaces") => {
                    if let Some(t) = named(r) {
                        self.each(inner, t.interfaces.iter().map(Object::Type))?
                    }
                }
                (Object::Type(r), "possibleTypes") => {
                    if let Some(t) = named(r) {
                        self.each(inner, t.possible_types.iter().map(Object::Type))?
                    }
                }
                (Object::Type(r), "ofType") => match r {
                    TypeRef::List(of) | TypeRef::NonNull(of) => {
                        self.set(inner, Object::Type(of))?
                    }
                    TypeRef::Named(_) => {}
                },
                (Object::Field(f), "args") => {
                    self.each(inner, f.args.iter().map(Object::InputValue))?
                }
                (Object::Field(f), "type") => self.set(inner, Object::Type(&f.ty))?,
                (Object::InputValue(ty), "type") => self.set(inner, Object::Type(ty))?,
                (Object::Directive(args), "args") => {
                    self.each(inner, args.iter().map(Object::InputValue))?
                }
                // Scalars, and fields validation will refuse.
                _ => {}
            }
        }
        Ok(())
    }
}

/// Part of the input, cut to [`MAX_ECHO_WORD`] characters, for a message that must say
/// which value it means.
pub fn echo(input: &str) -> String {
    let input = input.trim();
    match input.char_indices().nth(MAX_ECHO_WORD) {
        Some((cut, _)) => format!("{}…", &input[..cut]),
        None => input.to_owned(),
    }
}

/// `message` with every run of characters without a space cut to [`MAX_ECHO_WORD`] and
/// the whole cut to `limit` characters; `…` marks each cut.
pub fn bound_message(message: &str, limit: usize) -> String {
    let mut out = String::with_capacity(message.len().min(limit.saturating_mul(4) + 8));
    let mut word = 0;
    let mut kept = 0;
    for c in message.chars() {
        word = if c.is_whitespace() { 0 } else { word + 1 };
        if word > MAX_ECHO_WORD {
            if word == MAX_ECHO_WORD + 1 {
                out.push('…');
            }
            continue;
        }
        if kept == limit {
            out.push('…');
            return out;
        }
        out.push(c);
        kept += 1;
    }
    out
}

/// The one place error messages are cut to size: messages difacto wrote (they carry
/// `extensions.code`) to [`MAX_MESSAGE`], all others, which may repeat any of the input,
/// to [`MAX_ECHO`], and given the code of bad input (they come from parsing, validation
/// or reading a variable). Paths are cut too: an alias is input.
pub fn bound_errors(errors: &mut [ServerError]) {
    for error in errors {
        explain_complexity(error);
        let ours = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        error.message = bound_message(&error.message, if ours { MAX_MESSAGE } else { MAX_ECHO });
        if !ours {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", "BAD_USER_INPUT");
        }
        for segment in &mut error.path {
            if let async_graphql::PathSegment::Field(name) = segment {
                *name = echo(name);
            }
        }
    }
}

/// How `/graphql` refuses a request it cannot read (not JSON, a field of the wrong
/// type): as `async_graphql_axum`'s own rejection does, but with a message that repeats
/// at most [`MAX_ECHO`] characters of the body (the JSON reader quotes what it could not
/// read, whole). Use it as the rejection of the extractor:
/// `GraphQLRequest<BoundedRejection>`.
#[derive(Debug)]
pub struct BoundedRejection(pub async_graphql::ParseRequestError);

impl From<async_graphql::ParseRequestError> for BoundedRejection {
    fn from(err: async_graphql::ParseRequestError) -> Self {
        Self(err)
    }
}

impl axum::response::IntoResponse for BoundedRejection {
    fn into_response(self) -> axum::response::Response {
        use axum::http::StatusCode;
        if let async_graphql::ParseRequestError::PayloadTooLarge = self.0 {
            return StatusCode::PAYLOAD_TOO_LARGE.into_response();
        }
        let message = bound_message(&format!("request: {}", self.0), MAX_ECHO);
        let body = serde_json::json!({
            "errors": [{
                "message": message,
                "extensions": { "code": "BAD_USER_INPUT", "field": "request" },
            }],
        });
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    }
}

/// The cost model's shape of this crate's schema, built once.
pub(crate) fn shared(sdl: impl FnOnce() -> String) -> CostControl {
    static SHAPE: OnceLock<Arc<SchemaShape>> = OnceLock::new();
    CostControl {
        shape: SHAPE
            .get_or_init(|| Arc::new(SchemaShape::from_sdl(&sdl())))
            .clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> SchemaShape {
        SchemaShape::from_sdl(&crate::schema::sdl())
    }

    fn priced(query: &str) -> Result<Priced, GatewayError> {
        let document = async_graphql::parser::parse_query(query).expect("parses");
        price(&document, None, &Variables::default(), &shape())
    }

    /// The message `query` is refused with; `why` says why it must be refused.
    fn refusal(query: &str, why: &str) -> String {
        priced(query).expect_err(why).message()
    }

    /// graphql-js's `getIntrospectionQuery()` with type references 9 levels deep and
    /// every optional field GraphiQL may add.
    fn standard_introspection() -> String {
        let mut type_ref = String::from("kind name");
        for _ in 0..9 {
            type_ref = format!("kind name ofType {{ {type_ref} }}");
        }
        format!(
            "query IntrospectionQuery {{ __schema {{ description queryType {{ name kind }} mutationType {{ name kind }} subscriptionType {{ name kind }} types {{ ...FullType }} directives {{ name description isRepeatable locations args(includeDeprecated: true) {{ ...InputValue }} }} }} }}
             fragment FullType on __Type {{ kind name description specifiedByURL isOneOf fields(includeDeprecated: true) {{ name description args(includeDeprecated: true) {{ ...InputValue }} type {{ ...TypeRef }} isDeprecated deprecationReason }} inputFields(includeDeprecated: true) {{ ...InputValue }} interfaces {{ ...TypeRef }} enumValues(includeDeprecated: true) {{ name description isDeprecated deprecationReason }} possibleTypes {{ ...TypeRef }} }}
             fragment InputValue on __InputValue {{ name description type {{ ...TypeRef }} defaultValue isDeprecated deprecationReason }}
             fragment TypeRef on __Type {{ {type_ref} }}"
        )
    }

    #[test]
    fn the_standard_introspection_query_costs_at_most_half_the_introspection_limit() {
        let priced = priced(&standard_introspection()).expect("within the limits");
        eprintln!("the standard introspection query: {priced:?}");
        assert!(
            priced.introspection <= MAX_INTROSPECTION_COST / 2,
            "the standard introspection query reads {} fields: raise MAX_INTROSPECTION_COST with the schema",
            priced.introspection
        );
        assert!(priced.introspection > 1_000, "{priced:?}");
        assert_eq!(priced.introspection_depth, 15);
        assert_eq!(priced.replays, 0);
    }

    #[test]
    fn introspection_is_priced_by_what_it_reads_in_this_schema() {
        let shape = shape();
        let types = shape.named.len();
        let all = priced("{ __schema { types { name } } }").expect("priced");
        // `__schema`, `types`, and `name` on every type.
        assert_eq!(all.introspection, 2 + types);
        let fields_of_session: usize = shape.types["Session"].fields.len();
        let one = priced("{ __type(name: \"Session\") { fields { name } } }").expect("priced");
        assert_eq!(one.introspection, 2 + fields_of_session);
        // A type's fields read through every wrapper of a field's type, two levels
        // down, many times over: refused, priced at what it would read.
        fn level(n: usize) -> String {
            if n == 0 {
                return "name".into();
            }
            let x = level(n - 1);
            let named = format!("fields {{ {x} }}");
            format!(
                "name type {{ {named} ofType {{ {named} ofType {{ {named} ofType {{ {named} }} }} }} }}"
            )
        }
        let copy = format!("__schema {{ types {{ fields {{ {} }} }} }}", level(2));
        let once = priced(&format!("{{ {copy} }}")).expect("once is cheap here");
        assert!(once.introspection > 1_000, "{once:?}");
        let copies = MAX_INTROSPECTION_COST / once.introspection + 1;
        let hostile = format!(
            "{{ {} }}",
            (0..copies)
                .map(|i| format!("a{i}: {copy}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let refused = refusal(&hostile, "multiplies the schema by itself");
        assert!(refused.contains("introspection limit"), "{refused}");
    }

    #[test]
    fn fragments_are_priced_once_however_often_they_are_spread() {
        // Each fragment spreads the next one 10 times: 10^6 fields once expanded, but
        // pricing walks each fragment once, and refuses.
        let mut query = String::from("{ ...F0 }");
        for i in 0..6 {
            let body = (0..10)
                .map(|_| format!("...F{}", i + 1))
                .collect::<Vec<_>>()
                .join(" ");
            query.push_str(&format!(" fragment F{i} on QueryRoot {{ {body} }}"));
        }
        query.push_str(" fragment F6 on QueryRoot { me { subject } }");
        let started = std::time::Instant::now();
        let refused = refusal(&query, "a million fields");
        assert!(refused.contains("fragments are expanded"), "{refused}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let cycle = "{ ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }";
        let refused = refusal(cycle, "a cycle");
        assert!(refused.contains("spreads itself"), "{refused}");
    }

    #[test]
    fn depth_is_counted_apart_for_the_views_and_introspection() {
        let ok = priced("{ organisation(code: \"X24\") { children { edges { node { code } } } } }")
            .expect("shallow");
        assert_eq!(ok.depth, 5);
        assert_eq!(ok.introspection_depth, 0);
    }

    #[tokio::test]
    async fn a_request_that_cannot_be_read_is_refused_without_repeating_it() {
        use axum::extract::FromRequest;
        let huge = "9".repeat(200_000);
        for body in [
            format!("{{\"query\": \"{{ me {{ subject }} }}\", \"variables\": \"{huge}\"}}"),
            format!("{{\"query\": \"{{ me {{ subject }} }}\", \"operationName\": [\"{huge}\"]}}"),
            format!("{{\"query\": \"{huge}"),
        ] {
            let request = axum::http::Request::post("/graphql")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body))
                .expect("request");
            let refused =
                async_graphql_axum::GraphQLRequest::<BoundedRejection>::from_request(request, &())
                    .await
                    .err()
                    .expect("refused");
            let response = axum::response::IntoResponse::into_response(refused);
            assert_eq!(response.status(), 400);
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .expect("body");
            let body: serde_json::Value = serde_json::from_slice(&body).expect("json");
            let message = body["errors"][0]["message"].as_str().expect("message");
            assert!(message.chars().count() <= MAX_ECHO + 1, "{message}");
            assert!(message.starts_with("request: "), "{message}");
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        }
    }

    #[test]
    fn messages_are_cut_to_size() {
        assert_eq!(
            bound_message("code: no organisation X24", 100),
            "code: no organisation X24"
        );
        let long = format!("code: no organisation {}", "A".repeat(10_000));
        let bounded = bound_message(&long, 300);
        assert_eq!(
            bounded,
            format!("code: no organisation {}…", "A".repeat(MAX_ECHO_WORD))
        );
        let spaced = "A ".repeat(10_000);
        assert_eq!(
            bound_message(&spaced, MAX_ECHO).chars().count(),
            MAX_ECHO + 1
        );
        assert_eq!(
            echo(&"é".repeat(50)),
            format!("{}…", "é".repeat(MAX_ECHO_WORD))
        );
    }
}
