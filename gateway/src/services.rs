//! Where the four domain services listen, and clients that call them with the caller's token.
//!
//! `--services` is either one URL for all four (`http://127.0.0.1:50051`, as `difacto
//! dev` serves them on one port) or one URL per service
//! (`icb=http://..:50052,practice=http://..:50053,partner=..,provider=..`). Channels are
//! lazy: the gateway starts while a service is still coming up, and a call to a service
//! that is down fails as `UNAVAILABLE` (INTERNAL to the GraphQL caller, with a warning
//! in the log).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use auth::BearerToken;
use proto::v1::icb_service_client::IcbServiceClient;
use proto::v1::partner_service_client::PartnerServiceClient;
use proto::v1::practice_service_client::PracticeServiceClient;
use proto::v1::provider_service_client::ProviderServiceClient;
use telemetry::grpc::Traced;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint, Uri};

use crate::error::GatewayError;

/// A channel whose every request carries the caller's `authorization: Bearer <token>`,
/// and the trace context of the GraphQL request it serves.
pub type Authed = InterceptedService<Channel, Traced<BearerToken>>;
pub type IcbClient = IcbServiceClient<Authed>;
pub type PracticeClient = PracticeServiceClient<Authed>;
pub type PartnerClient = PartnerServiceClient<Authed>;
pub type ProviderClient = ProviderServiceClient<Authed>;

/// How long a first connection may take before the call fails as unavailable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one forwarded command may take; a command appends a handful of events, so
/// anything longer is a service in trouble, not a slow answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The four domain services, by the names `--services` uses.
const SERVICES: [&str; 4] = ["icb", "practice", "partner", "provider"];

/// A `--services` value that cannot be used, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--services: {reason}")]
pub struct InvalidServices {
    pub reason: String,
}

impl InvalidServices {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// The parsed `--services` value: one URL per service (the same one four times when a
/// single URL was given). Parsing needs no runtime; [`DomainEndpoints::connect_lazy`]
/// turns it into channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUrls {
    pub icb: Uri,
    pub practice: Uri,
    pub partner: Uri,
    pub provider: Uri,
}

impl ServiceUrls {
    /// All four services at one URL.
    pub fn single(url: &str) -> Result<Self, InvalidServices> {
        let uri = parse_url(url, None)?;
        Ok(Self {
            icb: uri.clone(),
            practice: uri.clone(),
            partner: uri.clone(),
            provider: uri,
        })
    }
}

impl FromStr for ServiceUrls {
    type Err = InvalidServices;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err(InvalidServices::new(
                "is empty; give one URL for all four services (http://127.0.0.1:50051) or \
                 icb=URL,practice=URL,partner=URL,provider=URL",
            ));
        }
        if !spec.contains('=') {
            return Self::single(spec);
        }
        let mut urls: [Option<Uri>; 4] = Default::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, url)) = part.split_once('=') else {
                return Err(InvalidServices::new(format!(
                    "`{part}` is not name=URL; expected icb=URL,practice=URL,partner=URL,provider=URL"
                )));
            };
            let name = name.trim();
            let Some(slot) = SERVICES.iter().position(|s| *s == name) else {
                return Err(InvalidServices::new(format!(
                    "unknown service `{name}`; the services are {}",
                    SERVICES.join(", ")
                )));
            };
            if urls[slot].is_some() {
                return Err(InvalidServices::new(format!("`{name}` is given twice")));
            }
            urls[slot] = Some(parse_url(url.trim(), Some(name))?);
        }
        let missing: Vec<&str> = SERVICES
            .iter()
            .zip(&urls)
            .filter(|(_, url)| url.is_none())
            .map(|(name, _)| *name)
            .collect();
        match urls {
            [Some(icb), Some(practice), Some(partner), Some(provider)] => Ok(Self {
                icb,
                practice,
                partner,
                provider,
            }),
            _ => Err(InvalidServices::new(format!(
                "no URL for {}; name all four services or give one URL for all",
                missing.join(", ")
            ))),
        }
    }
}

fn parse_url(url: &str, service: Option<&str>) -> Result<Uri, InvalidServices> {
    let what = || match service {
        Some(name) => format!("the URL of `{name}`"),
        None => "the URL".to_owned(),
    };
    let uri: Uri = url
        .parse()
        .map_err(|err| InvalidServices::new(format!("{} `{url}` is not a URL: {err}", what())))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => {
            return Err(InvalidServices::new(format!(
                "{} `{url}` must start with http:// or https://",
                what()
            )));
        }
    }
    if uri.authority().is_none_or(|a| a.host().is_empty()) {
        return Err(InvalidServices::new(format!(
            "{} `{url}` has no host",
            what()
        )));
    }
    Ok(uri)
}

/// Where the four domain services listen, as lazy gRPC channels (cheap to clone: a
/// channel is a handle on one shared connection).
#[derive(Clone)]
pub struct DomainEndpoints {
    icb: Channel,
    practice: Channel,
    partner: Channel,
    provider: Channel,
}

impl fmt::Debug for DomainEndpoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DomainEndpoints").finish_non_exhaustive()
    }
}

impl DomainEndpoints {
    /// Channels that connect on first use, with `TCP_NODELAY` (commands are small
    /// requests that should not wait for Nagle). Services at the same URL share one
    /// channel. Must be called inside a tokio runtime.
    pub fn connect_lazy(urls: &ServiceUrls) -> Self {
        let mut opened: Vec<(Uri, Channel)> = Vec::with_capacity(4);
        let mut channel = |uri: &Uri| -> Channel {
            if let Some((_, channel)) = opened.iter().find(|(u, _)| u == uri) {
                return channel.clone();
            }
            let channel = Endpoint::from(uri.clone())
                .tcp_nodelay(true)
                .connect_timeout(CONNECT_TIMEOUT)
                .timeout(REQUEST_TIMEOUT)
                .connect_lazy();
            opened.push((uri.clone(), channel.clone()));
            channel
        };
        Self {
            icb: channel(&urls.icb),
            practice: channel(&urls.practice),
            partner: channel(&urls.partner),
            provider: channel(&urls.provider),
        }
    }

    /// Parses a `--services` value and opens lazy channels to it.
    pub fn from_flag(spec: &str) -> Result<Self, InvalidServices> {
        Ok(Self::connect_lazy(&spec.parse()?))
    }

    /// All four services over one existing channel (in-process use, tests).
    pub fn from_channel(channel: Channel) -> Self {
        Self {
            icb: channel.clone(),
            practice: channel.clone(),
            partner: channel.clone(),
            provider: channel,
        }
    }

    /// `IcbService`, calling as the owner of `token`.
    pub fn icb(&self, token: &str) -> Result<IcbClient, GatewayError> {
        Ok(IcbServiceClient::with_interceptor(
            self.icb.clone(),
            bearer(token)?,
        ))
    }

    /// `PracticeService`, calling as the owner of `token`.
    pub fn practice(&self, token: &str) -> Result<PracticeClient, GatewayError> {
        Ok(PracticeServiceClient::with_interceptor(
            self.practice.clone(),
            bearer(token)?,
        ))
    }

    /// `PartnerService`, calling as the owner of `token`.
    pub fn partner(&self, token: &str) -> Result<PartnerClient, GatewayError> {
        Ok(PartnerServiceClient::with_interceptor(
            self.partner.clone(),
            bearer(token)?,
        ))
    }

    /// `ProviderService`, calling as the owner of `token`.
    pub fn provider(&self, token: &str) -> Result<ProviderClient, GatewayError> {
        Ok(ProviderServiceClient::with_interceptor(
            self.provider.clone(),
            bearer(token)?,
        ))
    }
}

/// The token was verified by the gateway already, so this fails only for a token that
/// cannot be a header value; the caller is told so rather than the service.
fn bearer(token: &str) -> Result<Traced<BearerToken>, GatewayError> {
    BearerToken::new(token)
        .map(Traced::new)
        .map_err(|err| GatewayError::Unauthenticated(format!("Authorization: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(spec: &str) -> String {
        spec.parse::<ServiceUrls>()
            .expect_err("should be rejected")
            .to_string()
    }

    #[test]
    fn one_url_serves_all_four() {
        let urls: ServiceUrls = "http://127.0.0.1:50051".parse().expect("valid");
        assert_eq!(
            urls.icb,
            "http://127.0.0.1:50051".parse::<Uri>().expect("uri")
        );
        assert_eq!(urls.icb, urls.practice);
        assert_eq!(urls.icb, urls.partner);
        assert_eq!(urls.icb, urls.provider);
    }

    #[test]
    fn each_service_may_have_its_own_url() {
        let urls: ServiceUrls = " provider=http://p:50055, icb=http://i:50052,\
            practice=http://r:50053 ,partner=https://a:50054"
            .parse()
            .expect("valid");
        assert_eq!(urls.icb.host(), Some("i"));
        assert_eq!(urls.practice.port_u16(), Some(50053));
        assert_eq!(urls.partner.scheme_str(), Some("https"));
        assert_eq!(urls.provider.host(), Some("p"));
    }

    #[test]
    fn bad_values_name_the_flag_and_the_reason() {
        for (spec, reason) in [
            ("", "is empty"),
            ("127.0.0.1:50051", "must start with http://"),
            ("grpc://127.0.0.1:50051", "must start with http://"),
            ("http://", "not a URL"),
            (
                "icb=http://a:1,practice=http://a:2",
                "no URL for partner, provider",
            ),
            (
                "icb=http://a:1,icb=http://a:2,partner=http://a,provider=http://a",
                "`icb` is given twice",
            ),
            ("log=http://a:1", "unknown service `log`"),
            (
                "icb=http://a:1,practice,partner=http://a,provider=http://a",
                "`practice` is not name=URL",
            ),
            (
                "icb=ftp://a,practice=http://a,partner=http://a,provider=http://a",
                "the URL of `icb`",
            ),
        ] {
            let message = err(spec);
            assert!(message.starts_with("--services: "), "{spec}: {message}");
            assert!(message.contains(reason), "{spec}: {message}");
        }
    }

    #[tokio::test]
    async fn clients_carry_the_token_and_an_empty_token_is_unauthenticated() {
        let endpoints = DomainEndpoints::from_flag("http://127.0.0.1:50051").expect("valid flag");
        assert!(endpoints.icb("abc.def.ghi").is_ok());
        assert!(endpoints.provider("abc.def.ghi").is_ok());
        let err = endpoints.partner("").expect_err("empty token");
        assert_eq!(err.code(), "UNAUTHENTICATED");
        let err = endpoints.practice("a b").expect_err("space in token");
        assert_eq!(err.code(), "UNAUTHENTICATED");
    }
}
