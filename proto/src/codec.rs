//! The codec of every generated service and client: tonic-prost's encoder, and a
//! decoder that treats bytes which are not the expected message as the sender's error.
//!
//! tonic-prost answers a message that fails to decode (malformed protobuf, invalid UTF-8
//! in a `string` field) with `INTERNAL`, which tells a caller the server broke. It is the
//! caller's request that is wrong, so it is `INVALID_ARGUMENT`, with prost's account of
//! where: `failed to decode Protobuf message: AppendRequest.stream: invalid string value:
//! data is not UTF-8 encoded`. The account names messages and fields of the schema and
//! never quotes the bytes received; the field's path (`stream`, `events.payload`) is also
//! in the `difacto-field` metadata, as the log API's own refusals carry it. `build.rs`
//! points tonic-prost-build at this codec, so no service can be generated without it.

use std::marker::PhantomData;

use prost::Message;
use tonic::Status;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic_prost::ProstEncoder;

/// Encodes `T` and decodes `U` with prost (`application/grpc+proto`).
#[derive(Debug, Clone)]
pub struct ProstCodec<T, U> {
    _messages: PhantomData<(T, U)>,
}

impl<T, U> Default for ProstCodec<T, U> {
    fn default() -> Self {
        Self {
            _messages: PhantomData,
        }
    }
}

impl<T, U> Codec for ProstCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = ProstDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::new(BufferSettings::default())
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstDecoder {
            _message: PhantomData,
        }
    }
}

/// Decodes one `U`; a failure is `INVALID_ARGUMENT` naming the field prost stopped at.
#[derive(Debug, Clone)]
pub struct ProstDecoder<U> {
    _message: PhantomData<U>,
}

impl<U: Message + Default> Decoder for ProstDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        U::decode(buf).map(Some).map_err(invalid_argument)
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::default()
    }
}

/// The metadata key naming the offending field, as in the log API's refusals.
const FIELD: &str = "difacto-field";

fn invalid_argument(err: prost::DecodeError) -> Status {
    let account = err.to_string();
    let field = field_path(&account);
    let mut status = Status::invalid_argument(account);
    if let Some(value) = field.and_then(|path| path.parse().ok()) {
        status.metadata_mut().insert(FIELD, value);
    }
    status
}

/// The path of the field prost stopped at, outermost first (`events.payload`), read from
/// its account: `failed to decode Protobuf message: EventData.payload:
/// AppendRequest.events: <what>`, innermost first. prost keeps the path private, so its
/// text is the only source; `None` when it names no field (the bytes broke before one).
fn field_path(account: &str) -> Option<String> {
    let steps = account.strip_prefix("failed to decode Protobuf message: ")?;
    let identifier =
        |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let mut fields: Vec<&str> = steps
        .split(": ")
        .map_while(|step| {
            step.split_once('.')
                .filter(|(message, field)| identifier(message) && identifier(field))
                .map(|(_, field)| field)
        })
        .collect();
    if fields.is_empty() {
        return None;
    }
    fields.reverse();
    Some(fields.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::AppendRequest;

    /// Decodes `bytes` as `U` the way a server does, through tonic's streaming decoder.
    async fn decode<U: Message + Default + Send + 'static>(bytes: &[u8]) -> Result<U, Status> {
        use tonic::codec::Streaming;
        let mut framed = Vec::with_capacity(bytes.len() + 5);
        framed.push(0); // not compressed
        framed.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        framed.extend_from_slice(bytes);
        let body = tonic::body::Body::new(http_body_util::Full::new(bytes::Bytes::from(framed)));
        let mut codec = ProstCodec::<U, U>::default();
        let mut stream = Streaming::new_request(codec.decoder(), body, None, None);
        stream
            .message()
            .await
            .and_then(|m| m.ok_or_else(|| Status::internal("no message")))
    }

    /// The status refusing `bytes` as an `AppendRequest`, which must be INVALID_ARGUMENT.
    async fn refused(bytes: &[u8]) -> Status {
        let status = decode::<AppendRequest>(bytes)
            .await
            .expect_err("must not decode");
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
        status
    }

    /// The field a refusal names in its metadata.
    fn named_field(status: &Status) -> Option<&str> {
        status.metadata().get(FIELD).and_then(|v| v.to_str().ok())
    }

    #[tokio::test]
    async fn invalid_utf8_in_a_string_field_is_invalid_argument_naming_the_field() {
        // Field 1 (`stream`), length-delimited, 2 bytes that are not UTF-8.
        let status = refused(&[0x0a, 0x02, 0xff, 0xfe]).await;
        assert!(
            status.message().contains("AppendRequest.stream"),
            "{}",
            status.message()
        );
        assert!(status.message().contains("UTF-8"), "{}", status.message());
        assert_eq!(named_field(&status), Some("stream"));
    }

    #[tokio::test]
    async fn a_nested_field_is_named_by_its_path() {
        // events[0] (field 3) holds event_type (field 2) with bytes that are not UTF-8.
        let event = [0x12, 0x01, 0xff];
        let mut bytes = vec![0x1a, event.len() as u8];
        bytes.extend_from_slice(&event);
        let status = refused(&bytes).await;
        assert_eq!(
            named_field(&status),
            Some("events.event_type"),
            "{}",
            status.message()
        );
    }

    #[test]
    fn no_field_is_named_when_prost_names_none() {
        assert_eq!(
            field_path("failed to decode Protobuf message: invalid varint"),
            None
        );
        assert_eq!(
            field_path(
                "failed to decode Protobuf message: A.b: invalid wire type: LengthDelimited (expected Varint)"
            ),
            Some("b".to_owned())
        );
    }

    #[tokio::test]
    async fn truncated_protobuf_is_invalid_argument() {
        // Field 1 announces 100 bytes and carries 1.
        let status = refused(&[0x0a, 100, b'x']).await;
        assert!(
            status.message().contains("AppendRequest.stream"),
            "{}",
            status.message()
        );
    }

    #[tokio::test]
    async fn a_well_formed_message_decodes() {
        let sent = AppendRequest {
            stream: "practice-A81001".into(),
            ..Default::default()
        };
        let got = decode::<AppendRequest>(&sent.encode_to_vec())
            .await
            .expect("decodes");
        assert_eq!(got, sent);
    }
}
