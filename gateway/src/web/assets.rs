//! The files the web app and GraphiQL load, embedded in the binary (NHS networks reach
//! no CDN, and DESIGN.md §10 allows no other origin). Vendored packages come from
//! `web/vendor.sh`, pinned in `web/vendor.lock`; `difacto.css` is difacto's own.

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::Embed;
use serde::Deserialize;
use tower_http::compression::CompressionLayer;

/// Everything under `gateway/assets/` but axe-core, which only the browser tests inject.
#[derive(Embed)]
#[folder = "assets/"]
#[exclude = "vendor/axe-core/*"]
struct Files;

/// A URL a page may cache for a year: its `v` is the file's content hash, so a new
/// version of the file is a new URL. `path` is relative to `/assets/`.
pub fn url(path: &str) -> String {
    match Files::get(path) {
        Some(file) => format!("/assets/{path}?v={}", version(&file.metadata.sha256_hash())),
        // A template naming a file that is not embedded is a bug; the test of every
        // page's links finds it, so the page still renders.
        None => format!("/assets/{path}"),
    }
}

fn version(hash: &[u8; 32]) -> String {
    hash[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// `/assets/{*path}`, gzipped for browsers that take it: the design system's stylesheet
/// is 278 KB as shipped and 29 KB gzipped.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/assets/{*path}", get(serve))
        .layer(CompressionLayer::new())
}

#[derive(Debug, Deserialize)]
pub struct Versioned {
    v: Option<String>,
}

/// `GET /assets/{*path}`: the file with its content type, an ETag, and a year's caching
/// when the URL names the current version (else an hour, for URLs written into the
/// vendored CSS, which carry no version).
pub async fn serve(
    Path(path): Path<String>,
    Query(versioned): Query<Versioned>,
    headers: HeaderMap,
) -> Response {
    let Some(file) = Files::get(&path) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let version = version(&file.metadata.sha256_hash());
    let etag = format!("\"{version}\"");
    let cache = if versioned.v.as_deref() == Some(version.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    };
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|tag| tag.as_bytes() == etag.as_bytes())
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        file.data.into_owned().into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&path)),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The types of the files difacto ships; `nosniff` makes the browser hold to them.
fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("json") => "application/json",
        _ => "text/plain; charset=utf-8",
    }
}

/// Every embedded path, for the tests that load them all.
pub fn paths() -> impl Iterator<Item = String> {
    Files::iter().map(|p| p.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_a_known_type_and_axe_is_not_served() {
        let paths: Vec<String> = paths().collect();
        assert!(paths.iter().any(|p| p.ends_with("nhsuk-frontend.min.css")));
        assert!(!paths.iter().any(|p| p.contains("axe")), "{paths:?}");
        for path in paths {
            if !path.ends_with("LICENSE") {
                assert_ne!(content_type(&path), "text/plain; charset=utf-8", "{path}");
            }
        }
    }

    #[test]
    fn urls_carry_the_content_version() {
        let url = url("vendor/graphiql/graphiql.min.js");
        assert!(
            url.starts_with("/assets/vendor/graphiql/graphiql.min.js?v="),
            "{url}"
        );
        assert_eq!(
            url.len(),
            "/assets/vendor/graphiql/graphiql.min.js?v=".len() + 16
        );
    }
}
