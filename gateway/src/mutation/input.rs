//! How a mutation's input field becomes its proto request field, chosen by the two types:
//! a string as it is; an optional string or list left out as empty; an optional enum left
//! out as unspecified (0); an enum as its proto number; a GraphQL `Int` for a proto
//! `uint32` must not be negative. Every other rule is the service's.

use super::camel_case;
use crate::error::GatewayError;
use crate::vocabulary::Vocabulary;

/// One input field's conversion; `field` is its name in the proto (snake_case), given
/// back in camelCase when the value is refused.
pub(crate) trait IntoProto<T> {
    fn into_proto(self, field: &str) -> Result<T, GatewayError>;
}

impl IntoProto<String> for String {
    fn into_proto(self, _: &str) -> Result<String, GatewayError> {
        Ok(self)
    }
}

impl IntoProto<String> for Option<String> {
    fn into_proto(self, _: &str) -> Result<String, GatewayError> {
        Ok(self.unwrap_or_default())
    }
}

impl IntoProto<Vec<String>> for Vec<String> {
    fn into_proto(self, _: &str) -> Result<Vec<String>, GatewayError> {
        Ok(self)
    }
}

impl IntoProto<bool> for bool {
    fn into_proto(self, _: &str) -> Result<bool, GatewayError> {
        Ok(self)
    }
}

impl IntoProto<i32> for i32 {
    fn into_proto(self, _: &str) -> Result<i32, GatewayError> {
        Ok(self)
    }
}

/// A count: GraphQL has no unsigned `Int`.
impl IntoProto<u32> for i32 {
    fn into_proto(self, field: &str) -> Result<u32, GatewayError> {
        u32::try_from(self)
            .map_err(|_| GatewayError::bad_input(camel_case(field), "must not be negative"))
    }
}

impl<E: Vocabulary> IntoProto<i32> for E {
    fn into_proto(self, _: &str) -> Result<i32, GatewayError> {
        Ok(self.into())
    }
}

impl<E: Vocabulary> IntoProto<i32> for Option<E> {
    fn into_proto(self, _: &str) -> Result<i32, GatewayError> {
        Ok(self.map_or(0, Into::into))
    }
}

impl<E: Vocabulary> IntoProto<Vec<i32>> for Vec<E> {
    fn into_proto(self, _: &str) -> Result<Vec<i32>, GatewayError> {
        Ok(self.into_iter().map(Into::into).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::DigitalService;

    #[test]
    fn negative_counts_are_bad_input_naming_the_field_in_camel_case() {
        assert_eq!(IntoProto::<u32>::into_proto(3, "no_shows"), Ok(3));
        assert_eq!(
            IntoProto::<u32>::into_proto(-1, "no_shows"),
            Err(GatewayError::bad_input("noShows", "must not be negative"))
        );
    }

    #[test]
    fn left_out_is_empty_or_unspecified() {
        let text: Result<String, _> = None::<String>.into_proto("reason");
        assert_eq!(text, Ok(String::new()));
        let service: Result<i32, _> = None::<DigitalService>.into_proto("service");
        assert_eq!(service, Ok(0));
        let list: Result<Vec<i32>, _> =
            vec![DigitalService::NhsApp, DigitalService::OnlineRecords].into_proto("topics");
        let want = vec![
            proto::v1::DigitalService::NhsApp as i32,
            proto::v1::DigitalService::OnlineRecords as i32,
        ];
        assert_eq!(list, Ok(want), "in order, as proto numbers");
    }
}
