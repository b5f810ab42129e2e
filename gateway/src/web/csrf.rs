//! Cross-site request forgery: every form carries the session's token, and every POST
//! of the web app is refused (403) unless it sends it back. The session cookie is also
//! SameSite=Lax, so another site's form is refused twice over.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rand::RngCore;

/// The form field the token travels in.
pub const FIELD: &str = "csrf";

/// A fresh token: 256 random bits, hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `sent` is the session's token, compared in constant time so that timing
/// tells nothing about how much of a guess was right.
pub fn matches(expected: &str, sent: Option<&str>) -> bool {
    let Some(sent) = sent else { return false };
    let (a, b) = (expected.as_bytes(), sent.as_bytes());
    if a.is_empty() || a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// The refusal: a page saying what happened and what to do.
pub fn refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        super::pages::message(
            "This form has expired",
            "The form was not sent from a page of this difacto session, so nothing was done. \
             Go back, reload the page and try again.",
        ),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_token_matches() {
        let token = new_token();
        assert_eq!(token.len(), 64);
        assert!(matches(&token, Some(&token)));
        assert!(!matches(&token, None));
        assert!(!matches(&token, Some("")));
        assert!(!matches(&token, Some(&new_token())));
        assert!(!matches("", Some("")));
        assert!(!matches(&token, Some(&token[..63])));
    }
}
