//! Client configuration, the gRPC channel, and the per-call envelope (auth metadata, database
//! and deadline) that every Milvus call goes through.

use base64::Engine as _;
use std::fmt;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tonic::metadata::{AsciiMetadataValue, MetadataMap};
use tonic::transport::{Channel, Endpoint};

use crate::convert::{Int64Output, ReadOptions};
use crate::error::ClientError;
use crate::proto::milvus::milvus_service_client::MilvusServiceClient;
use crate::request::parse_duration_ms;
use crate::retry::{self, Reply, RetryPolicy};
use crate::tls::TlsOptions;
use crate::value::Value;

/// Calls without their own `timeout` get this deadline.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// Port used when an address names none and TLS is off.
const DEFAULT_PORT: u16 = 19530;
/// HTTP/2 flow-control windows: memory is only used while data is in flight. A 50 MB query
/// reply (16,384 rows of 768 dims) streams through a 64 MB window without waiting for a window
/// update; with 16 MB, such a query took 10% longer in `bench/` (stub, `query` scenario).
const STREAM_WINDOW_BYTES: u32 = 64 << 20;
const CONNECTION_WINDOW_BYTES: u32 = 128 << 20;
/// Replies (query results with vectors) can be large; gRPC's 4 MiB default is too small.
const MAX_MESSAGE_BYTES: usize = 2 * 1024 * 1024 * 1024 - 1;

/// What the user passed to `new MilvusClient(...)`, normalised.
pub struct Config {
    /// `http://host:port` or `https://host:port`.
    pub uri: String,
    pub tls: bool,
    /// The `tls` option: custom CA, client certificate, server name, skipCertCheck.
    tls_options: Option<TlsOptions>,
    /// Base64 of the token or of `username:password`; never printed.
    authorization: Option<String>,
    pub username: Option<String>,
    pub database: Option<String>,
    pub timeout: Duration,
    /// How int64 values in rows, hits and ids are returned.
    pub int64: Int64Output,
    /// Float vectors in rows come back as `Float32Array` rather than `number[]`.
    pub typed_vectors: bool,
    /// `maxRetries` and `retryDelay`: which failures are sent again and how often.
    pub retry: RetryPolicy,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("uri", &self.uri)
            .field("tls", &self.tls)
            .field("tls_options", &self.tls_options)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .field("username", &self.username)
            .field("database", &self.database)
            .field("timeout", &self.timeout)
            .field("int64", &self.int64)
            .field("typed_vectors", &self.typed_vectors)
            .field("retry", &self.retry)
            .finish()
    }
}

impl Config {
    /// How query and search rows are rendered for this client.
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            int64: self.int64,
            typed_vectors: self.typed_vectors,
        }
    }

    /// Reads the config object form `{ address, token, username, password, database, ssl, tls,
    /// timeout, maxRetries, retryDelay, int64Output, vectorOutput }`, or the legacy positional
    /// form `(address, ssl?, username?, password?)`.
    pub fn from_args(
        first: &Value,
        ssl: &Value,
        username: &Value,
        password: &Value,
    ) -> Result<Config, ClientError> {
        let (config, address) = match first {
            Value::String(address) => (None, address.clone()),
            Value::Object(_) => match first.get("address") {
                Some(Value::String(a)) => (Some(first), a.clone()),
                Some(other) => {
                    return Err(ClientError::invalid_arg(
                        "address",
                        format!("a string like 'localhost:19530', got {}", other.kind()),
                    ))
                }
                None => (Some(first), String::new()),
            },
            other => {
                return Err(ClientError::invalid_arg(
                    "config",
                    format!(
                    "an object like {{ address: 'localhost:19530' }} or an address string, got {}",
                    other.kind()
                ),
                ))
            }
        };
        let address = address.trim();
        if address.is_empty() {
            return Err(ClientError::invalid(
                "address",
                "address: a Milvus address is required, e.g. 'localhost:19530' or 'https://<endpoint>'",
            ));
        }
        let field = |name: &str, positional: &Value| -> Option<Value> {
            config
                .and_then(|c| c.get(name).cloned())
                .or_else(|| (!positional.is_nullish()).then(|| positional.clone()))
        };
        let ssl = match field("ssl", ssl) {
            None => false,
            Some(Value::Bool(b)) => b,
            Some(other) => {
                return Err(ClientError::invalid_arg(
                    "ssl",
                    format!("a boolean, got {}", other.kind()),
                ))
            }
        };
        let string = |name: &str, v: Option<Value>| -> Result<Option<String>, ClientError> {
            match v {
                None => Ok(None),
                Some(Value::String(s)) => Ok((!s.is_empty()).then_some(s)),
                // Never echo the value: it may be a secret.
                Some(other) => Err(ClientError::invalid_arg(
                    name,
                    format!("a string, got {}", other.kind()),
                )),
            }
        };
        let token = string("token", field("token", &Value::Undefined))?;
        let username = string("username", field("username", username))?;
        let password = string("password", field("password", password))?;
        let database = string("database", field("database", &Value::Undefined))?;
        let timeout = match field("timeout", &Value::Undefined) {
            None => DEFAULT_TIMEOUT,
            Some(v) => Duration::from_millis(parse_duration_ms("timeout", &v)?),
        };
        let int64 = match field("int64Output", &Value::Undefined) {
            None => Int64Output::String,
            Some(Value::String(s)) if s == "string" => Int64Output::String,
            Some(Value::String(s)) if s == "bigint" => Int64Output::BigInt,
            Some(other) => {
                return Err(ClientError::invalid_arg(
                    "int64Output",
                    format!(
                        "'string' or 'bigint', got {}",
                        crate::request::describe(&other)
                    ),
                ))
            }
        };
        let typed_vectors = match field("vectorOutput", &Value::Undefined) {
            None => false,
            Some(Value::String(s)) if s == "array" => false,
            Some(Value::String(s)) if s == "typed" => true,
            Some(other) => {
                return Err(ClientError::invalid_arg(
                    "vectorOutput",
                    format!(
                        "'array' or 'typed', got {}",
                        crate::request::describe(&other)
                    ),
                ))
            }
        };
        let retry = RetryPolicy::from_values(
            field("maxRetries", &Value::Undefined),
            field("retryDelay", &Value::Undefined),
        )?;
        let tls_options = match field("tls", &Value::Undefined) {
            None | Some(Value::Undefined | Value::Null) => None,
            Some(v) => Some(TlsOptions::from_value(&v)?),
        };
        let ssl = ssl || tls_options.as_ref().is_some_and(TlsOptions::enables_tls);
        let (uri, tls) = parse_address(address, ssl)?;
        let authorization = match (token, &username, password) {
            (Some(token), _, _) => Some(token),
            (None, Some(user), Some(pass)) => Some(format!("{user}:{pass}")),
            (None, Some(user), None) => Some(format!("{user}:")),
            _ => None,
        }
        .map(|raw| base64::engine::general_purpose::STANDARD.encode(raw));
        Ok(Config {
            uri,
            tls,
            tls_options,
            authorization,
            username,
            database,
            timeout,
            int64,
            typed_vectors,
            retry,
        })
    }
}

/// Accepts `host`, `host:port`, `http://host:port`, `https://host[:port]` and `[v6]:port`.
fn parse_address(address: &str, ssl: bool) -> Result<(String, bool), ClientError> {
    let (scheme_tls, rest) = if let Some(rest) = address.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = address.strip_prefix("http://") {
        (false, rest)
    } else if address.contains("://") {
        return Err(ClientError::invalid_arg(
            "address",
            "an http:// or https:// address, or host:port",
        ));
    } else {
        (false, address)
    };
    let tls = scheme_tls || ssl;
    let host_port = rest.split('/').next().unwrap_or_default();
    if host_port.is_empty() {
        return Err(ClientError::invalid_arg("address", "a host name"));
    }
    let has_port = match host_port.rfind(':') {
        Some(i) => !host_port[i..].contains(']'),
        None => false,
    };
    let host_port = if has_port {
        let port = &host_port[host_port.rfind(':').unwrap_or(0) + 1..];
        if port.parse::<u16>().is_err() {
            return Err(ClientError::invalid_arg(
                "address",
                format!("a port number between 0 and 65535 after ':', got '{port}'"),
            ));
        }
        host_port.to_string()
    } else {
        let port = if scheme_tls { 443 } else { DEFAULT_PORT };
        format!("{host_port}:{port}")
    };
    let scheme = if tls { "https" } else { "http" };
    Ok((format!("{scheme}://{host_port}"), tls))
}

/// One tonic channel per client, created lazily on the first call and cloned per call.
pub struct Connection {
    pub config: Config,
    /// Schemas of collections this client has used.
    pub schemas: crate::collection::SchemaCache,
    metadata: MetadataMap,
    channel: Mutex<Option<Channel>>,
    closed: std::sync::atomic::AtomicBool,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Connection {
    pub fn new(config: Config) -> Result<Connection, ClientError> {
        let mut metadata = MetadataMap::new();
        if let Some(auth) = &config.authorization {
            let mut value = AsciiMetadataValue::try_from(auth.as_str())
                .map_err(|_| ClientError::invalid_arg("token", "printable ASCII"))?;
            value.set_sensitive(true);
            metadata.insert("authorization", value);
        }
        if let Some(db) = &config.database {
            let value = AsciiMetadataValue::try_from(db.as_str())
                .map_err(|_| ClientError::invalid_arg("database", "an ASCII database name"))?;
            metadata.insert("dbname", value);
        }
        Ok(Connection {
            config,
            schemas: Default::default(),
            metadata,
            channel: Mutex::new(None),
            closed: Default::default(),
        })
    }

    /// A lazy channel: plaintext through tonic's own connector, TLS through ours.
    fn channel(&self) -> Result<Channel, ClientError> {
        // Our connector does the TLS, so tonic always sees an http:// address.
        let plain_uri = match self.config.uri.strip_prefix("https://") {
            Some(rest) => format!("http://{rest}"),
            None => self.config.uri.clone(),
        };
        let endpoint = Endpoint::from_shared(plain_uri)
            .map_err(|e| ClientError::invalid_arg("address", format!("a valid address ({e})")))?
            .connect_timeout(self.config.timeout)
            .tcp_nodelay(true)
            // Large windows let a 50 MB reply (a query with vectors) or request (an insert
            // batch) stream without waiting on flow-control round trips.
            .initial_stream_window_size(STREAM_WINDOW_BYTES)
            .initial_connection_window_size(CONNECTION_WINDOW_BYTES);
        if !self.config.tls {
            return Ok(endpoint.connect_lazy());
        }
        let default_options;
        let options = match &self.config.tls_options {
            Some(options) => options,
            None => {
                default_options = TlsOptions::from_value(&Value::Object(Vec::new()))?;
                &default_options
            }
        };
        let host = endpoint.uri().host().unwrap_or_default().to_string();
        Ok(endpoint.connect_with_connector_lazy(options.connector(&host)?))
    }

    /// The shared channel, made on first use. Must run inside the Tokio runtime.
    fn shared_channel(&self) -> Result<Channel, ClientError> {
        if self.closed.load(std::sync::atomic::Ordering::Acquire) {
            return Err(ClientError::Transport {
                code: tonic::Code::Cancelled,
                message: "the client was closed by closeConnection()".into(),
                cause: None,
            });
        }
        let mut slot = self
            .channel
            .lock()
            .map_err(|_| ClientError::internal("channel lock poisoned"))?;
        Ok(match &*slot {
            Some(channel) => channel.clone(),
            None => {
                let channel = self.channel()?;
                *slot = Some(channel.clone());
                channel
            }
        })
    }

    /// A client on the shared channel. Must run inside the Tokio runtime.
    pub fn client(&self) -> Result<MilvusServiceClient<Channel>, ClientError> {
        Ok(MilvusServiceClient::new(self.shared_channel()?)
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES))
    }

    /// Drops the channel; calls made afterwards fail with `CANCELLED`.
    pub fn close(&self) {
        self.closed
            .store(true, std::sync::atomic::Ordering::Release);
        if let Ok(mut slot) = self.channel.lock() {
            slot.take();
        }
    }

    /// Wraps `message` with the auth and database metadata and the call's deadline.
    pub fn request<T>(&self, message: T, timeout: Duration) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        *request.metadata_mut() = self.metadata.clone();
        request.set_timeout(timeout);
        request
    }

    /// Runs one unary call with a client-side deadline (the server-side `grpc-timeout` alone
    /// does not bound connecting), retried as `retry.rs` allows.
    pub async fn call<T, R, F, Fut>(
        &self,
        message: T,
        timeout: Option<Duration>,
        f: F,
    ) -> Result<R, ClientError>
    where
        T: Clone,
        R: Reply,
        F: Fn(MilvusServiceClient<Channel>, tonic::Request<T>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<R>, tonic::Status>>,
    {
        let client = self.client()?;
        self.call_on(client, method_name::<T>(), message, timeout, f)
            .await
    }

    /// Like [`Connection::call`], for the messages of `wire.rs`, which the generated client
    /// cannot send: `method` is the gRPC method name, such as `Insert`.
    pub async fn call_wire<T, R>(
        &self,
        method: &'static str,
        message: T,
        timeout: Option<Duration>,
    ) -> Result<R, ClientError>
    where
        T: prost::Message + Clone + Send + 'static,
        R: prost::Message + Reply + Default + Send + 'static,
    {
        let grpc = tonic::client::Grpc::new(self.shared_channel()?)
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES);
        let path = format!("/milvus.proto.milvus.MilvusService/{method}");
        let path = http::uri::PathAndQuery::try_from(path)
            .map_err(|e| ClientError::internal(format!("gRPC path for {method}: {e}")))?;
        self.call_on(grpc, method, message, timeout, |mut grpc, request| {
            let path = path.clone();
            async move {
                grpc.ready()
                    .await
                    .map_err(|e| tonic::Status::unknown(format!("Service was not ready: {e}")))?;
                let codec = tonic::codec::ProstCodec::<T, R>::default();
                grpc.unary(request, path, codec).await
            }
        })
        .await
    }

    /// Runs `f` on `client` with the request's metadata, under the call's deadline, and sends
    /// it again while the retry policy allows and the deadline leaves room for the wait.
    async fn call_on<C, T, R, F, Fut>(
        &self,
        client: C,
        method: &str,
        message: T,
        timeout: Option<Duration>,
        f: F,
    ) -> Result<R, ClientError>
    where
        C: Clone,
        T: Clone,
        R: Reply,
        F: Fn(C, tonic::Request<T>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<R>, tonic::Status>>,
    {
        let timeout = timeout.unwrap_or(self.config.timeout);
        let policy = self.config.retry;
        let started = Instant::now();
        let deadline = started + timeout;
        let mut retries = 0;
        loop {
            // Each attempt gets what is left of the call's deadline.
            let left = deadline.saturating_duration_since(Instant::now());
            let request = self.request(message.clone(), left);
            let failure = match tokio::time::timeout(left, f(client.clone(), request)).await {
                Ok(Ok(response)) => {
                    let reply = response.into_inner();
                    match reply.status() {
                        Some(status) if retry::status_asks_retry(status) => Failure::Refused(reply),
                        _ => return Ok(reply),
                    }
                }
                // tonic enforces the grpc-timeout it sends and reports expiry as CANCELLED.
                Ok(Err(status))
                    if !(status.code() == tonic::Code::Cancelled
                        && status.message().contains("Timeout expired")) =>
                {
                    Failure::Transport(status)
                }
                Ok(Err(_)) | Err(_) => {
                    return Err(self
                        .deadline_error(method, timeout)
                        .after_retries(retries, started.elapsed()))
                }
            };
            // Wait and go again, or give up with this failure.
            let allowed = match &failure {
                Failure::Refused(_) => true,
                Failure::Transport(status) => retry::transport_allows_retry(status, method),
            };
            let wait = policy.delay(retries + 1);
            let fits = Instant::now() + wait < deadline;
            if !(allowed && retries < policy.max_retries && fits) {
                return match failure {
                    // The failed status reaches the method, which resolves or rejects with it.
                    Failure::Refused(reply) => Ok(reply),
                    Failure::Transport(status) => Err(self
                        .explain(ClientError::from(status))
                        .in_method(method)
                        .after_retries(retries, started.elapsed())),
                };
            }
            retries += 1;
            tracing::debug!(
                target: "milvus_native::retry",
                method,
                retry = retries,
                wait_ms = wait.as_millis() as u64,
                "sending again after a failure the retry policy allows"
            );
            tokio::time::sleep(wait).await;
        }
    }

    fn deadline_error(&self, method: &str, timeout: Duration) -> ClientError {
        ClientError::Transport {
            code: tonic::Code::DeadlineExceeded,
            message: format!(
                "{method}: no answer from {} within {} ms",
                self.config.uri,
                timeout.as_millis()
            ),
            cause: None,
        }
    }
}

/// Why an attempt did not end the call.
enum Failure<R> {
    /// The server answered with a status that asks for a retry (rate limited, retriable).
    Refused(R),
    /// The call failed at the gRPC level.
    Transport(tonic::Status),
}

impl Connection {
    /// A plaintext connection that the server closes without a word is what a TLS port does
    /// with it; tonic reports that as `CANCELLED` or `UNKNOWN`, which says nothing useful.
    fn explain(&self, err: ClientError) -> ClientError {
        match err {
            ClientError::Transport {
                code: tonic::Code::Cancelled | tonic::Code::Unknown | tonic::Code::Unavailable,
                cause: Some(cause),
                ..
            } if !self.config.tls && closed_early(&cause) => ClientError::Transport {
                code: tonic::Code::Unavailable,
                message: "the server closed the connection without answering; if it expects TLS, \
                          use an https:// address, ssl: true or the tls option"
                    .into(),
                cause: Some(cause),
            },
            other => other,
        }
    }
}

fn closed_early(cause: &str) -> bool {
    ["connection closed", "connection reset", "broken pipe"]
        .iter()
        .any(|needle| cause.to_ascii_lowercase().contains(needle))
}

/// `GetVersion` from `milvus::proto::milvus::GetVersionRequest`, for error messages.
fn method_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    let short = full.rsplit("::").next().unwrap_or(full);
    short.strip_suffix("Request").unwrap_or(short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_get_scheme_and_default_port() {
        let p = |a, ssl| parse_address(a, ssl).unwrap();
        assert_eq!(
            p("localhost", false),
            ("http://localhost:19530".into(), false)
        );
        assert_eq!(p("h:1", false), ("http://h:1".into(), false));
        assert_eq!(p("http://h:2", false), ("http://h:2".into(), false));
        assert_eq!(
            p("https://x.cloud", false),
            ("https://x.cloud:443".into(), true)
        );
        assert_eq!(
            p("https://x.cloud:19530/", false),
            ("https://x.cloud:19530".into(), true)
        );
        assert_eq!(p("h:3", true), ("https://h:3".into(), true));
        assert!(parse_address("h:port", false).is_err());
    }

    #[test]
    fn debug_output_hides_credentials() {
        let config = Value::Object(vec![
            ("address".into(), Value::String("localhost".into())),
            ("token".into(), Value::String("s3cret-token".into())),
        ]);
        let none = Value::Undefined;
        let conn =
            Connection::new(Config::from_args(&config, &none, &none, &none).unwrap()).unwrap();
        let printed = format!("{conn:?} {:?}", conn.request((), DEFAULT_TIMEOUT));
        assert!(!printed.contains("s3cret"), "{printed}");
        let encoded = base64::engine::general_purpose::STANDARD.encode("s3cret-token");
        assert!(!printed.contains(&encoded), "{printed}");
    }

    #[test]
    fn debug_output_hides_username_password_pair() {
        let config = Value::Object(vec![
            ("address".into(), Value::String("https://h:1".into())),
            (
                "tls".into(),
                Value::Object(vec![("skipCertCheck".into(), Value::Bool(true))]),
            ),
        ]);
        let user = Value::String("alice".into());
        let pass = Value::String("pa55-w0rd".into());
        let none = Value::Undefined;
        let conn =
            Connection::new(Config::from_args(&config, &none, &user, &pass).unwrap()).unwrap();
        let printed = format!(
            "{conn:?} {:#?} {:?}",
            conn.config,
            conn.request((), DEFAULT_TIMEOUT)
        );
        assert!(printed.contains("alice") && printed.contains("skip_cert_check: true"));
        assert!(!printed.contains("pa55"), "{printed}");
        let encoded = base64::engine::general_purpose::STANDARD.encode("alice:pa55-w0rd");
        assert!(!printed.contains(&encoded), "{printed}");
    }

    #[test]
    fn tls_options_turn_tls_on_like_the_official_sdk() {
        let none = Value::Undefined;
        let with_tls = |tls: Vec<(String, Value)>| {
            let config = Value::Object(vec![
                ("address".into(), Value::String("h:1".into())),
                ("tls".into(), Value::Object(tls)),
            ]);
            Config::from_args(&config, &none, &none, &none).map(|c| c.tls)
        };
        assert!(!with_tls(vec![("serverName".into(), Value::String("x".into()))]).unwrap());
        assert!(with_tls(vec![("skipCertCheck".into(), Value::Bool(true))]).unwrap());
        let missing = with_tls(vec![(
            "rootCertPath".into(),
            Value::String("/no/such.pem".into()),
        )]);
        assert!(
            matches!(missing, Err(ClientError::InvalidArgument { field, .. }) if field == "tls.rootCertPath")
        );
    }
}
