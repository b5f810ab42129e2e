//! Cross-site request forgery: every form carries the session's token, and every POST
//! of the web app is refused (403) unless it sends it back. The session cookie is also
//! SameSite=Lax, so another site's form is refused twice over.
//!
//! A page never shows the token itself but [`masked`]: a fresh random pad and the token
//! XORed with it. Every page carries different bytes, so the length of a compressed page
//! tells an eavesdropper nothing about the token (BREACH), and pages can be gzipped.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rand::RngCore;

/// The form field the token travels in.
pub const FIELD: &str = "csrf";

/// A fresh token: 256 random bits, hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// `token` as one page carries it: a random pad as long as the token, then the token
/// XORed with the pad, all hex.
pub fn masked(token: &str) -> String {
    let mut pad = vec![0u8; token.len()];
    rand::rng().fill_bytes(&mut pad);
    let hidden: Vec<u8> = token.bytes().zip(&pad).map(|(t, p)| t ^ p).collect();
    format!("{}{}", hex::encode(pad), hex::encode(hidden))
}

/// Whether a form's `sent` field is [`masked`] from the session's token `expected`.
pub fn matches_masked(expected: &str, sent: Option<&str>) -> bool {
    let Some(bytes) = sent.and_then(|s| hex::decode(s).ok()) else {
        return false;
    };
    let (pad, hidden) = bytes.split_at(bytes.len() / 2);
    let token: Vec<u8> = hidden.iter().zip(pad).map(|(h, p)| h ^ p).collect();
    bytes.len() % 2 == 0 && matches(expected, std::str::from_utf8(&token).ok())
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

    #[test]
    fn a_masked_token_differs_on_every_page_and_still_matches() {
        let token = new_token();
        let (one, two) = (masked(&token), masked(&token));
        assert_ne!(one, two);
        assert!(!one.contains(&token));
        assert!(matches_masked(&token, Some(&one)));
        assert!(matches_masked(&token, Some(&two)));
        assert!(!matches_masked(&new_token(), Some(&one)));
        // The bare token, a truncated mask, odd hex and nothing at all are refused.
        assert!(!matches_masked(&token, Some(&token)));
        assert!(!matches_masked(&token, Some(&one[..one.len() - 2])));
        assert!(!matches_masked(&token, Some(&one[1..])));
        assert!(!matches_masked(&token, Some("")));
        assert!(!matches_masked(&token, None));
        assert!(!matches_masked("", Some(&masked(""))));
    }
}
