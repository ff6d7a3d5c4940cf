//! TLS for the gRPC channel: the `tls` client option, certificate loading, and a connector that
//! runs the handshake itself so that `serverName`, `skipCertCheck` and handshake failures that
//! say what went wrong are possible.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::error::ClientError;
use crate::value::Value;

/// The `tls` option, read and checked when the client is built.
pub struct TlsOptions {
    /// CA certificates to trust instead of the system roots.
    roots: Option<Vec<CertificateDer<'static>>>,
    /// Client certificate chain and key, for mutual TLS.
    identity: Option<Arc<CertifiedKey>>,
    /// Name to verify the server's certificate against (and send as SNI).
    pub server_name: Option<String>,
    /// Accept any server certificate.
    pub skip_cert_check: bool,
}

impl fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsOptions")
            .field("roots", &self.roots.as_ref().map(Vec::len))
            .field("identity", &self.identity.as_ref().map(|_| "<redacted>"))
            .field("server_name", &self.server_name)
            .field("skip_cert_check", &self.skip_cert_check)
            .finish()
    }
}

impl TlsOptions {
    /// Reads `{ rootCert, rootCertPath, privateKey, privateKeyPath, certChain, certChainPath,
    /// serverName, skipCertCheck }`. `verifyOptions` (a grpc-js callback hook) is ignored.
    pub fn from_value(tls: &Value) -> Result<TlsOptions, ClientError> {
        if !matches!(tls, Value::Object(_)) {
            return Err(ClientError::invalid_arg(
                "tls",
                format!(
                    "an object like {{ rootCertPath: 'ca.pem' }}, got {}",
                    tls.kind()
                ),
            ));
        }
        let roots = pem_input(tls, "rootCert")?
            .map(|(field, pem)| certificates(&field, &pem))
            .transpose()?;
        let key = pem_input(tls, "privateKey")?;
        let chain = pem_input(tls, "certChain")?;
        let identity = match (key, chain) {
            (None, None) => None,
            (Some((field, key)), Some((chain_field, chain))) => {
                let certs = certificates(&chain_field, &chain)?;
                Some(certified_key(&field, certs, &key)?)
            }
            (Some(_), None) => {
                return Err(ClientError::invalid(
                    "tls.certChain",
                    "tls.certChain: mutual TLS needs the client certificate (tls.certChain or tls.certChainPath) with tls.privateKey",
                ))
            }
            (None, Some(_)) => {
                return Err(ClientError::invalid(
                    "tls.privateKey",
                    "tls.privateKey: mutual TLS needs the client key (tls.privateKey or tls.privateKeyPath) with tls.certChain",
                ))
            }
        };
        let server_name = match tls.get("serverName") {
            None | Some(Value::Undefined | Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => {
                ServerName::try_from(s.as_str()).map_err(|_| {
                    ClientError::invalid_arg("tls.serverName", "a DNS name or an IP address")
                })?;
                Some(s.clone())
            }
            Some(other) => {
                return Err(ClientError::invalid_arg(
                    "tls.serverName",
                    format!("a string, got {}", other.kind()),
                ))
            }
        };
        let skip_cert_check = match tls.get("skipCertCheck") {
            None | Some(Value::Undefined | Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(ClientError::invalid_arg(
                    "tls.skipCertCheck",
                    format!("a boolean, got {}", other.kind()),
                ))
            }
        };
        Ok(TlsOptions {
            roots,
            identity,
            server_name,
            skip_cert_check,
        })
    }

    /// True when the options alone turn TLS on, as in the official SDK: a CA, a client key or
    /// `skipCertCheck`.
    pub fn enables_tls(&self) -> bool {
        self.roots.is_some() || self.identity.is_some() || self.skip_cert_check
    }

    /// The connector for `host`, the host of the address.
    pub fn connector(&self, host: &str) -> Result<TlsConnector, ClientError> {
        let name = self.server_name.as_deref().unwrap_or(host);
        let name = name.trim_start_matches('[').trim_end_matches(']');
        let server_name = ServerName::try_from(name.to_string())
            .map_err(|_| ClientError::invalid_arg("address", "a DNS name or an IP address"))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier: Arc<dyn ServerCertVerifier> = if self.skip_cert_check {
            Arc::new(AcceptAnyCertificate(provider.clone()))
        } else {
            let roots = match &self.roots {
                Some(certs) => {
                    let mut store = RootCertStore::empty();
                    for (i, cert) in certs.iter().enumerate() {
                        store.add(cert.clone()).map_err(|e| {
                            ClientError::invalid(
                                "tls.rootCert",
                                format!(
                                    "tls.rootCert: certificate {} is not usable as a CA: {e}",
                                    i + 1
                                ),
                            )
                        })?;
                    }
                    Arc::new(store)
                }
                None => system_roots()?,
            };
            rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| ClientError::invalid("tls", format!("tls: {e}")))?
        };
        Ok(TlsConnector {
            provider,
            verifier,
            identity: self.identity.clone(),
            server_name,
        })
    }
}

/// The PEM bytes of `{name}` or of the file named by `{name}Path`, with the field they came from.
fn pem_input(tls: &Value, name: &str) -> Result<Option<(String, Vec<u8>)>, ClientError> {
    let field = format!("tls.{name}");
    match tls.get(name) {
        None | Some(Value::Undefined | Value::Null) => {}
        Some(Value::Bytes(b)) if !b.is_empty() => return Ok(Some((field, b.clone()))),
        Some(Value::String(s)) if !s.is_empty() => {
            return Ok(Some((field, s.clone().into_bytes())))
        }
        Some(Value::Bytes(_) | Value::String(_)) => {}
        // The value is key material: never echo it.
        Some(other) => {
            return Err(ClientError::invalid_arg(
                field,
                format!("a Buffer or a PEM string, got {}", other.kind()),
            ))
        }
    }
    let path_field = format!("tls.{name}Path");
    match tls.get(&format!("{name}Path")) {
        None | Some(Value::Undefined | Value::Null) => Ok(None),
        Some(Value::String(path)) if !path.is_empty() => match std::fs::read(path) {
            Ok(bytes) => Ok(Some((path_field, bytes))),
            Err(e) => Err(ClientError::invalid(
                path_field.clone(),
                format!("{path_field}: cannot read '{path}': {e}"),
            )),
        },
        Some(other) => Err(ClientError::invalid_arg(
            path_field,
            format!("a file path, got {}", other.kind()),
        )),
    }
}

fn certificates(field: &str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ClientError::invalid(field, format!("{field}: not valid PEM ({e})")))?;
    if certs.is_empty() {
        return Err(ClientError::invalid(
            field,
            format!("{field}: expected PEM with at least one CERTIFICATE block"),
        ));
    }
    Ok(certs)
}

fn certified_key(
    field: &str,
    certs: Vec<CertificateDer<'static>>,
    pem: &[u8],
) -> Result<Arc<CertifiedKey>, ClientError> {
    // The parser's error text never contains key bytes; only its kind is reported anyway.
    let key = PrivateKeyDer::from_pem_slice(pem).map_err(|_| {
        ClientError::invalid(
            field,
            format!("{field}: expected a PEM private key (PKCS#8, PKCS#1 or SEC1)"),
        )
    })?;
    let signing_key = rustls::crypto::ring::default_provider()
        .key_provider
        .load_private_key(key)
        .map_err(|_| {
            ClientError::invalid(
                field,
                format!("{field}: the private key is of an unsupported type"),
            )
        })?;
    Ok(Arc::new(CertifiedKey::new(certs, signing_key)))
}

/// The operating system's CA certificates, loaded once per process.
fn system_roots() -> Result<Arc<RootCertStore>, ClientError> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    if let Some(roots) = ROOTS.get() {
        return Ok(roots.clone());
    }
    let mut store = RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    let (added, _) = store.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err(ClientError::Transport {
            code: tonic::Code::Unavailable,
            message:
                "TLS: no CA certificates found on this system; set tls.rootCert or tls.rootCertPath"
                    .into(),
            cause: found.errors.first().map(|e| e.to_string()),
        });
    }
    Ok(ROOTS.get_or_init(|| Arc::new(store)).clone())
}

/// A stream tonic can speak HTTP/2 over.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Connects over TCP, then runs the TLS handshake (ALPN `h2`).
#[derive(Clone)]
pub struct TlsConnector {
    provider: Arc<CryptoProvider>,
    verifier: Arc<dyn ServerCertVerifier>,
    identity: Option<Arc<CertifiedKey>>,
    server_name: ServerName<'static>,
}

impl tower_service::Service<http::Uri> for TlsConnector {
    type Response = hyper_util::rt::TokioIo<Box<dyn Io>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.connect(uri).await })
    }
}

impl TlsConnector {
    async fn connect(
        self,
        uri: http::Uri,
    ) -> Result<hyper_util::rt::TokioIo<Box<dyn Io>>, BoxError> {
        let host = uri.host().unwrap_or_default();
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(443);
        let tcp = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| TlsFailure::transient(format!("cannot connect to {host}:{port}: {e}")))?;
        tcp.set_nodelay(true)?;
        // A fresh resolver per connection records whether this server asked for a certificate.
        let resolver = Arc::new(ClientIdentity {
            identity: self.identity.clone(),
            requested: AtomicBool::new(false),
        });
        let mut config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsFailure::permanent(format!("TLS set-up failed: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(self.verifier.clone())
            .with_client_cert_resolver(resolver.clone());
        config.alpn_protocols = vec![b"h2".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let stream = connector
            .connect(self.server_name.clone(), tcp)
            .await
            .map_err(|e| {
                TlsFailure::permanent(handshake_message(
                    &e,
                    &self.server_name,
                    self.identity.is_some(),
                ))
            })?;
        // With TLS 1.3 the handshake completes on our side before the server checks our
        // certificate; a mutual-TLS server would only fail the first call, obscurely.
        if resolver.requested.load(Ordering::Acquire) && self.identity.is_none() {
            return Err(TlsFailure::permanent(
                "TLS handshake failed: the server requires a client certificate (mutual TLS); set tls.certChain and tls.privateKey (or their *Path forms)",
            )
            .into());
        }
        Ok(hyper_util::rt::TokioIo::new(Box::new(stream) as Box<dyn Io>))
    }
}

/// A connect failure whose message is meant for people; `error.rs` lifts it out of tonic's
/// error chain into the error message.
#[derive(Debug)]
pub struct TlsFailure {
    pub message: String,
    /// The TCP connection failed, which a later attempt may not (see `retry.rs`); a failed
    /// handshake is a matter of configuration and is not retried.
    pub transient: bool,
}

impl TlsFailure {
    fn transient(message: String) -> Self {
        TlsFailure {
            message,
            transient: true,
        }
    }

    fn permanent(message: impl Into<String>) -> Self {
        TlsFailure {
            message: message.into(),
            transient: false,
        }
    }
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TlsFailure {}

/// Says in words why the handshake failed and which option would fix it.
fn handshake_message(err: &std::io::Error, name: &ServerName<'_>, has_identity: bool) -> String {
    let name = name.to_str();
    let rustls_err = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    let why = match rustls_err {
        Some(rustls::Error::InvalidCertificate(cert)) => match cert {
            CertificateError::UnknownIssuer => {
                "the server's certificate is not signed by a trusted CA (set tls.rootCert or tls.rootCertPath to the CA that signed it)".to_string()
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => format!(
                "the server's certificate is not valid for the name '{name}' (set tls.serverName to a name it was issued for)"
            ),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "the server's certificate has expired".to_string()
            }
            other => format!("the server's certificate was rejected ({other:?})"),
        },
        Some(rustls::Error::AlertReceived(alert)) if !has_identity => format!(
            "the server refused the connection (alert {alert:?}); if it requires mutual TLS, set tls.certChain and tls.privateKey"
        ),
        Some(rustls::Error::AlertReceived(alert)) => {
            format!("the server refused the connection or the client certificate (alert {alert:?})")
        }
        Some(rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. }) => {
            "the server did not answer with TLS (is this a plaintext port? then use an http:// address without ssl or tls options)".to_string()
        }
        Some(other) => other.to_string(),
        None if err.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the server closed the connection during the handshake (is this a plaintext port? then use an http:// address without ssl or tls options)".to_string()
        }
        None => err.to_string(),
    };
    format!("TLS handshake failed: {why}")
}

/// Offers the client certificate, if any, and records that the server asked for one.
#[derive(Debug)]
struct ClientIdentity {
    identity: Option<Arc<CertifiedKey>>,
    requested: AtomicBool,
}

impl ResolvesClientCert for ClientIdentity {
    fn resolve(&self, _: &[&[u8]], _: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        self.requested.store(true, Ordering::Release);
        self.identity.clone()
    }

    fn has_certs(&self) -> bool {
        self.identity.is_some()
    }
}

/// `skipCertCheck`: trusts any certificate, but still checks that the server owns its key.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
