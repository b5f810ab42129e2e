//! The web app in-process (DESIGN.md §10): the vendored files and GraphiQL served with
//! nothing from another origin, signing in with the development form (CSRF on every
//! POST), a session that is exactly the caller a bearer token makes, the responsibility
//! map and the CSV export answering what the API answers.

use std::sync::Arc;

use auth::{DEFAULT_AUDIENCE, DEFAULT_ISSUER, TokenVerifier};
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use gateway::http::Gateway;
use gateway::web::WebConfig;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::world::{World, world};

const SECRET: &[u8] = b"web-test-secret-0123456789abcdef";

struct Site {
    router: axum::Router,
    _world: World,
}

async fn site() -> Site {
    let world = world().await;
    let verifier = Arc::new(TokenVerifier::hs256(
        SECRET,
        DEFAULT_ISSUER,
        DEFAULT_AUDIENCE,
    ));
    let router = Gateway::new(world.schema.clone(), verifier, world.projection.clone())
        .with_web(WebConfig::development(
            SECRET,
            DEFAULT_ISSUER,
            DEFAULT_AUDIENCE,
        ))
        .router();
    Site {
        router,
        _world: world,
    }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn read(response: Response<Body>) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

impl Site {
    async fn get(&self, path: &str, cookie: Option<&str>) -> Answer {
        let mut request = Request::get(path);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        read(response).await
    }
}

/// Every `src="…"`, `href="…"` and `url(…)` of a page or stylesheet.
fn references(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for marker in ["src=\"", "href=\"", "url("] {
        let mut rest = text;
        while let Some(at) = rest.find(marker) {
            rest = &rest[at + marker.len()..];
            let end = rest.find(['"', ')']).unwrap_or(rest.len());
            out.push(rest[..end].trim_matches(['\'', '"']).to_owned());
        }
    }
    out
}

/// Nothing in `text` names another origin: no scheme, no protocol-relative URL.
fn assert_one_origin(what: &str, text: &str) {
    for needle in ["http://", "https://", "src=\"//", "href=\"//", "url(//"] {
        assert!(
            !text.contains(needle),
            "{what} names another origin ({needle}): …{}…",
            text.find(needle)
                .and_then(|at| text.get(at.saturating_sub(80)..(at + 80).min(text.len())))
                .unwrap_or_default()
        );
    }
}

#[tokio::test]
async fn assets_are_embedded_typed_and_cached_by_version() {
    let site = site().await;
    let url = gateway::web::assets::url("vendor/nhsuk-frontend/nhsuk-frontend.min.css");
    let css = site.get(&url, None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert_eq!(
        css.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_one_origin("nhsuk-frontend.min.css", &css.body);
    // The icons the stylesheet names are served too.
    for icon in references(&css.body)
        .into_iter()
        .filter(|r| !r.starts_with("data:"))
    {
        assert_eq!(site.get(&icon, None).await.status, StatusCode::OK, "{icon}");
    }
    let js = site
        .get("/assets/vendor/graphiql/graphiql.min.js", None)
        .await;
    assert_eq!(
        js.headers[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(js.headers[header::CACHE_CONTROL], "public, max-age=3600");
    let etag = js.headers[header::ETAG].to_str().expect("etag").to_owned();
    let request = Request::get("/assets/vendor/graphiql/graphiql.min.js")
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .expect("request");
    let again = site
        .router
        .clone()
        .oneshot(request)
        .await
        .expect("infallible");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // Only the tests inject axe-core; nothing else of the package is served.
    for missing in [
        "/assets/vendor/axe-core/axe.min.js",
        "/assets/../Cargo.toml",
        "/assets/vendor/nope.js",
    ] {
        assert_eq!(
            site.get(missing, None).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
}

#[tokio::test]
async fn graphiql_loads_only_what_difacto_serves() {
    let site = site().await;
    let page = site.get("/graphiql", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("csp")
            .starts_with("default-src 'self'")
    );
    assert_one_origin("/graphiql", &page.body);
    let refs = references(&page.body);
    assert!(
        refs.iter().any(|r| r.contains("graphiql.min.js")),
        "{refs:?}"
    );
    for r in refs {
        assert!(r.starts_with("/assets/"), "{r}");
        let asset = site.get(&r, None).await;
        assert_eq!(asset.status, StatusCode::OK, "{r}");
        if r.contains(".css") {
            assert_one_origin(&r, &asset.body);
        }
    }
}
