//! What every page's form shares: reading an organisation code a visitor typed, and the
//! NHS.UK error pattern (an error summary at the top linking to each field, the message
//! next to the field) fed by the API's own errors, which name the field in
//! `extensions.field` (DESIGN.md §10: shown next to the field they concern).

use super::query::QueryError;

/// The longest code read from a form: longer is not a code.
const MAX_CODE: usize = 40;

/// An organisation code as typed: trimmed, at most 40 characters, upper case (codes
/// are, and people type them in lower case).
pub fn code(typed: Option<&str>) -> String {
    typed
        .unwrap_or_default()
        .trim()
        .chars()
        .take(MAX_CODE)
        .collect::<String>()
        .to_uppercase()
}

/// A problem with one field of a form: `field` is the `id` of its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The problems of one form, for the error summary and the fields.
#[derive(Debug, Clone, Default)]
pub struct Problems {
    pub list: Vec<FieldError>,
}

impl Problems {
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The message for the input `field`, if it has one.
    pub fn of(&self, field: &str) -> Option<&str> {
        self.list
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.list.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// The problem an API error states, put against the field it names (its
    /// `extensions.field`, or the `field: ` its message starts with), else against
    /// `fallback`, the field the visitor last chose. The message loses the field's
    /// prefix: the page shows it next to the field already.
    pub fn from_error(error: &QueryError, fields: &[(&str, &str)], fallback: &str) -> Self {
        let message = error.message();
        let named = match error {
            QueryError::BadInput { field: Some(f), .. }
            | QueryError::Conflict { field: Some(f), .. } => Some(f.as_str()),
            _ => message
                .split_once(": ")
                .map(|(f, _)| f)
                .filter(|f| fields.iter().any(|(api, _)| api == f)),
        };
        // `fields` maps the API's argument names to the inputs' ids.
        let input = named
            .and_then(|n| fields.iter().find(|(api, _)| *api == n))
            .map_or(fallback, |(_, id)| *id);
        let text = named
            .and_then(|n| message.strip_prefix(n))
            .and_then(|m| m.strip_prefix(": "))
            .unwrap_or(message);
        let mut problems = Self::default();
        problems.add(input, capitalise(text));
        problems
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_trimmed_and_upper_case() {
        assert_eq!(code(Some("  qwo ")), "QWO");
        assert_eq!(code(None), "");
        assert_eq!(code(Some(&"a".repeat(100))).len(), 40);
    }

    #[test]
    fn an_api_error_lands_on_the_field_it_names() {
        let error = QueryError::BadInput {
            field: Some("sessionId".into()),
            message: "sessionId: no such session".into(),
        };
        let p = Problems::from_error(&error, &[("sessionId", "session")], "other");
        assert_eq!(p.of("session"), Some("No such session"));
        let error = QueryError::NotFound("within: no organisation ZZZ".into());
        let p = Problems::from_error(&error, &[("within", "within")], "programme");
        assert_eq!(p.of("within"), Some("No organisation ZZZ"));
        // Naming no field, it lands on the fallback, whole.
        let error = QueryError::Forbidden("not yours".into());
        let p = Problems::from_error(&error, &[("within", "within")], "programme");
        assert_eq!(p.of("programme"), Some("Not yours"));
        // A message that only looks like it names a field is kept whole.
        let error = QueryError::Conflict {
            field: None,
            message: "the session is full: 0 places left".into(),
        };
        let p = Problems::from_error(&error, &[("places", "places")], "places");
        assert_eq!(p.of("places"), Some("The session is full: 0 places left"));
    }
}
