//! Selecting jsonwebtoken's crypto backend once per process.

use std::sync::Once;

/// jsonwebtoken 11 signs and verifies through a process-wide `CryptoProvider`. It
/// picks one from its crate features on first use, but panics if the feature set is
/// ambiguous (another crate enabling `aws_lc_rs` as well as our `rust_crypto`).
/// Installing the RustCrypto provider explicitly, before any key is used, makes
/// that impossible. Called from every constructor; cheap after the first call.
pub(crate) fn ensure_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Err means some other code installed a provider first; that one is used.
        if jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
            .install_default()
            .is_err()
        {
            tracing::debug!("a jsonwebtoken crypto provider was already installed");
        }
    });
}
