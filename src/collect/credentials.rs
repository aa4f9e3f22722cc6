//! The caller's credentials are loaded once before the first call, so that a machine without
//! any hears so, and how to provide them, instead of the error of whichever provider the
//! default chain tried last (on a laptop, the EC2 instance metadata service's token request).

use super::call::cause_chain;
use crate::error::{Error, Result};
use aws_config::imds::client::error::ImdsError;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};

const HOW: &str = "set AWS_PROFILE (or pass --profile) to a profile in ~/.aws/config, \
    run `aws sso login --profile NAME` for an SSO profile, or set AWS_ACCESS_KEY_ID and \
    AWS_SECRET_ACCESS_KEY";

pub async fn check(provider: Option<&SharedCredentialsProvider>) -> Result<()> {
    let Some(provider) = provider else {
        return Err(Error::Usage(format!(
            "no AWS credentials were found: {HOW}"
        )));
    };
    match provider.provide_credentials().await {
        Ok(_) => Ok(()),
        Err(e) => Err(Error::Usage(describe(&e))),
    }
}

fn describe(e: &CredentialsError) -> String {
    match e {
        // Every provider of the chain said it had none.
        CredentialsError::CredentialsNotLoaded(_) => {
            format!("no AWS credentials were found: {HOW}")
        }
        // The instance metadata service comes last: when it fails, nothing before it had any.
        _ if came_from_imds(e) => format!(
            "no AWS credentials were found (nor could the EC2 instance metadata service, \
             tried last, provide any): {HOW}"
        ),
        _ => format!("cannot load AWS credentials: {}", cause_chain(e)),
    }
}

fn came_from_imds(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(cause) = next {
        if cause.is::<ImdsError>() {
            return true;
        }
        next = cause.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_without_credentials_says_how_to_provide_them() {
        let e = CredentialsError::not_loaded("no providers in chain provided credentials");
        let m = describe(&e);
        assert!(m.starts_with("no AWS credentials were found: "), "{m}");
        for way in ["AWS_PROFILE", "aws sso login", "AWS_ACCESS_KEY_ID"] {
            assert!(m.contains(way), "{m}");
        }
    }

    #[test]
    fn other_credential_failures_keep_their_cause() {
        let e = CredentialsError::provider_error("the SSO session has expired");
        assert_eq!(
            describe(&e),
            "cannot load AWS credentials: an error occurred while loading credentials: \
             the SSO session has expired"
        );
    }
}
