//! The one HTTPS client behind every SDK client of a collection.
//!
//! Left to its defaults, each SDK client builds its own HTTPS client: its own connection pool
//! (thousands of short-lived connections for a large organisation) and, on every client
//! construction, a whole TLS connector built and dropped just to load the root certificates.
//! A collection builds four clients per account-region, so that was most of its CPU time.

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_types::config_bag::ConfigBag;

/// An HTTPS client like the SDK's default (rustls with aws-lc, `HTTPS_PROXY`/`NO_PROXY` from
/// the environment), built once and shared: one pool, root certificates loaded once.
pub fn shared_client() -> SharedHttpClient {
    let inner = Builder::new().build_with_connector_fn(|settings, components| {
        let mut b = ConnectorBuilder::default()
            .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
            .proxy_config(ProxyConfig::from_env());
        b.set_connector_settings(settings.cloned());
        if let Some(c) = components {
            b.set_sleep_impl(c.sleep_impl());
        }
        b.build()
    });
    SharedHttpClient::new(Shared(inner))
}

#[derive(Debug)]
struct Shared(SharedHttpClient);

impl HttpClient for Shared {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        // Cached inside per timeout settings, so every client gets the same pool.
        self.0.http_connector(settings, components)
    }

    /// The inner client's check builds a TLS connector each time a client is constructed, to
    /// load certificates early; the first request loads them once instead.
    fn validate_base_client_config(
        &self,
        _: &RuntimeComponentsBuilder,
        _: &ConfigBag,
    ) -> Result<(), BoxError> {
        Ok(())
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}
