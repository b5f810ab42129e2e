//! GraphiQL at `/graphiql`, on the vendored React and GraphiQL builds: it works on a
//! network that reaches nothing but difacto.

use askama::Template;
use axum::response::{IntoResponse, Response};

use super::assets::url;
use super::html;

#[derive(Template)]
#[template(path = "graphiql.html")]
struct GraphiqlPage {
    favicon: String,
    css: String,
    own_css: String,
    react: String,
    react_dom: String,
    graphiql: String,
    start: String,
}

pub async fn page() -> Response {
    html(&GraphiqlPage {
        favicon: url("vendor/nhsuk-frontend/images/favicon.ico"),
        css: url("vendor/graphiql/graphiql.min.css"),
        own_css: url("difacto.css"),
        react: url("vendor/react/react.production.min.js"),
        react_dom: url("vendor/react-dom/react-dom.production.min.js"),
        graphiql: url("vendor/graphiql/graphiql.min.js"),
        start: url("graphiql.js"),
    })
    .into_response()
}
