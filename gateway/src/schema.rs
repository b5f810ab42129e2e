//! The schema: queries (views), mutations (commands), the `events` subscription, and the
//! limits that keep a hostile query from taking the gateway down (priced in `cost`).

use std::sync::Arc;

use async_graphql::{Data, Executor, Request, Response, Schema, SchemaBuilder};
use futures::stream::{self, BoxStream, StreamExt};

use crate::mutation::MutationRoot;
use crate::projection::Projection;
use crate::services::DomainEndpoints;
use crate::subscription::SubscriptionRoot;
use crate::views::QueryRoot;

pub mod cost;

pub use cost::{MAX_COMPLEXITY, MAX_DEPTH, MAX_REPLAYS};

type Inner = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema as every entry point runs it (`/graphql`, the websocket, the web app's
/// pages, the tests): each request priced by [`cost::CostControl`] before any resolver
/// runs, and each response's errors bounded by [`cost::bound_errors`] after.
#[derive(Clone)]
#[allow(missing_debug_implementations)] // async-graphql's Schema is not Debug
pub struct DifactoSchema {
    schema: Inner,
    cost: cost::CostControl,
}

impl DifactoSchema {
    fn new(builder: SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot>) -> Self {
        Self {
            schema: builder.finish(),
            cost: cost::shared(|| bare().finish().sdl()),
        }
    }

    pub async fn execute(&self, request: impl Into<Request>) -> Response {
        let mut response = match self.cost.admit(request.into()) {
            Ok(request) => self.schema.execute(request).await,
            Err(refused) => Response::from_errors(vec![refused]),
        };
        cost::bound_errors(&mut response.errors);
        response
    }

    pub fn execute_stream(&self, request: impl Into<Request>) -> BoxStream<'static, Response> {
        self.stream(request.into(), None)
    }

    fn stream(&self, request: Request, session: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        let responses = match self.cost.admit(request) {
            Ok(request) => self
                .schema
                .execute_stream_with_session_data(request, session.unwrap_or_default())
                .boxed(),
            Err(refused) => stream::once(async { Response::from_errors(vec![refused]) }).boxed(),
        };
        responses
            .map(|mut response| {
                cost::bound_errors(&mut response.errors);
                response
            })
            .boxed()
    }

    pub fn sdl(&self) -> String {
        self.schema.sdl()
    }
}

impl Executor for DifactoSchema {
    async fn execute(&self, request: Request) -> Response {
        DifactoSchema::execute(self, request).await
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        self.stream(request, session_data)
    }
}

/// The schema with no data attached: for `difacto schema` (the SDL) and tests.
pub fn unattached() -> DifactoSchema {
    DifactoSchema::new(bare())
}

/// Depth and replays are priced by [`cost::CostControl`] (introspection apart from the
/// views, so that GraphiQL's standard query fits); complexity by the library, at
/// [`MAX_COMPLEXITY`]; the parser's own bounds stay as a first line.
fn bare() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .limit_complexity(MAX_COMPLEXITY)
    .limit_recursive_depth(32)
    .limit_directives(16)
}

/// The schema served: views answer from `projection`, mutations go to `services`.
pub fn build(projection: Arc<Projection>, services: DomainEndpoints) -> DifactoSchema {
    DifactoSchema::new(bare().data(projection).data(services))
}

/// The SDL, exactly as served.
pub fn sdl() -> String {
    bare().finish().sdl()
}
