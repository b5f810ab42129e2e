//! The domain services as tonic routes, each behind the token check, ready to be served
//! on their own port or beside the log on one port (`difacto dev`).

use std::sync::Arc;

use auth::{AuthInterceptor, TokenVerifier};
use tonic::service::RoutesBuilder;
use tonic::service::interceptor::InterceptedService;

use crate::store::Store;

/// Which domain service a process serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainService {
    Icb,
    Practice,
    Partner,
    Provider,
}

impl DomainService {
    pub const ALL: [DomainService; 4] = [Self::Icb, Self::Practice, Self::Partner, Self::Provider];

    /// The gRPC service name, as health checks and reflection list it.
    pub fn grpc_name(self) -> &'static str {
        match self {
            Self::Icb => "difacto.v1.IcbService",
            Self::Practice => "difacto.v1.PracticeService",
            Self::Partner => "difacto.v1.PartnerService",
            Self::Provider => "difacto.v1.ProviderService",
        }
    }
}

/// Adds `services` (all behind `verifier`) to `routes`.
pub fn add_routes(
    routes: &mut RoutesBuilder,
    services: &[DomainService],
    store: Arc<Store>,
    verifier: Arc<TokenVerifier>,
) {
    let auth = AuthInterceptor::new(verifier);
    for service in services {
        match service {
            DomainService::Icb => {
                let server = proto::v1::icb_service_server::IcbServiceServer::new(crate::Icb::new(
                    store.clone(),
                ));
                routes.add_service(InterceptedService::new(server, auth.clone()));
            }
            DomainService::Practice => {
                let server = proto::v1::practice_service_server::PracticeServiceServer::new(
                    crate::practice::Practice::new(store.clone()),
                );
                routes.add_service(InterceptedService::new(server, auth.clone()));
            }
            DomainService::Partner => {
                let server = proto::v1::partner_service_server::PartnerServiceServer::new(
                    crate::partner::Partner::new(store.clone()),
                );
                routes.add_service(InterceptedService::new(server, auth.clone()));
            }
            DomainService::Provider => {
                let server = proto::v1::provider_service_server::ProviderServiceServer::new(
                    crate::provider::Provider::new(store.clone()),
                );
                routes.add_service(InterceptedService::new(server, auth.clone()));
            }
        }
    }
}
