//! Events are the proto messages of package `difacto.v1` (prost only, no tonic): their
//! stored type name is the message's full name, e.g. `difacto.v1.SeatBooked`, and
//! their bytes are the proto encoding. Each aggregate groups the events it folds into
//! one enum with [`event_set!`](crate::event_set).

/// The events one aggregate folds.
pub trait EventSet: Sized + Clone + Send + Sync + std::fmt::Debug + 'static {
    /// The stored type name, e.g. `difacto.v1.SeatBooked`.
    fn type_name(&self) -> String;
    fn encode(&self) -> Vec<u8>;
    /// Decodes a stored event; `Ok(None)` for a type this set does not contain (another
    /// aggregate's event, or one added later), which the aggregate ignores.
    /// Stored events are read through [`crate::envelope::decode`], which upcasts first.
    fn decode(type_name: &str, payload: &[u8]) -> Result<Option<Self>, prost::DecodeError>;
}

/// True when `type_name` is the full name of proto message `T`, without allocating.
pub fn is_type<T: prost::Name>(type_name: &str) -> bool {
    type_name
        .strip_prefix(T::PACKAGE)
        .and_then(|rest| rest.strip_prefix('.'))
        .is_some_and(|name| name == T::NAME)
}

/// Declares an aggregate's event enum over `proto::v1` messages, with its
/// [`EventSet`] implementation and `From` conversions.
#[macro_export]
macro_rules! event_set {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($variant:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        $vis enum $name {
            $($variant(::proto::v1::$variant)),*
        }

        impl $crate::event::EventSet for $name {
            fn type_name(&self) -> String {
                match self {
                    $(Self::$variant(_) => <::proto::v1::$variant as ::prost::Name>::full_name()),*
                }
            }
            fn encode(&self) -> Vec<u8> {
                match self {
                    $(Self::$variant(event) => ::prost::Message::encode_to_vec(event)),*
                }
            }
            fn decode(type_name: &str, payload: &[u8]) -> Result<Option<Self>, ::prost::DecodeError> {
                $(
                    if $crate::event::is_type::<::proto::v1::$variant>(type_name) {
                        return Ok(Some(Self::$variant(::prost::Message::decode(payload)?)));
                    }
                )*
                Ok(None)
            }
        }

        $(
            impl From<::proto::v1::$variant> for $name {
                fn from(event: ::proto::v1::$variant) -> Self {
                    Self::$variant(event)
                }
            }
        )*
    };
}
