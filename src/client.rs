//! The exported `MilvusClient` class: construction, connecting, and the plumbing that turns a
//! Rust future into the Promise every method returns.

use napi::bindgen_prelude::{CallbackContext, PromiseRaw, Unknown};
use napi::{Env, JsValue};
use napi_derive::napi;
use serde_json::{json, Value as Json};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::watch;

use crate::connection::{Config, Connection};
use crate::error::ClientError;
use crate::output::Out;
use crate::proto::common::ClientInfo;
use crate::proto::milvus::{CheckHealthRequest, ConnectRequest, GetVersionRequest};
use crate::request::Req;
use crate::status::{status_json, status_or_default};
use crate::value::Value;

/// `CONNECT_STATUS` as the official SDK numbers it.
const CONNECT_STATUS_CONNECTED: i32 = 1;
const CONNECT_STATUS_SHUTDOWN: i32 = 5;

/// The outcome of the connect handshake started by the constructor; `None` while pending.
type ConnectOutcome = Option<Result<Json, ClientError>>;

/// A Milvus client. Every method returns a Promise; none throws synchronously.
#[napi]
pub struct MilvusClient {
    pub(crate) conn: Arc<Connection>,
    connected: watch::Receiver<ConnectOutcome>,
}

#[napi]
impl MilvusClient {
    /// `new MilvusClient({ address, token, username, password, database, ssl, tls, timeout })`,
    /// or the legacy `new MilvusClient(address, ssl?, username?, password?)`.
    ///
    /// `address` is `host:port`, `http://host:port`, `https://host[:port]` (TLS, port 443 by
    /// default) or `host` (port 19530). `token` is an API key or `user:password`. `timeout` is
    /// the default deadline of every call in milliseconds (or a string like `'30s'`), 15 s
    /// unless set. `tls` takes `rootCert`, `certChain`, `privateKey` (PEM, or their `*Path`
    /// files), `serverName` and `skipCertCheck`. Throws only when the configuration itself is
    /// unusable (no address, an unreadable or invalid certificate or key).
    #[napi(
        constructor,
        async_runtime,
        ts_args_type = "configOrAddress: ClientConfig | string, ssl?: boolean, username?: string, password?: string"
    )]
    pub fn new(
        env: Env,
        config_or_address: Unknown,
        ssl: Option<Unknown>,
        username: Option<Unknown>,
        password: Option<Unknown>,
    ) -> napi::Result<Self> {
        let read = |v: Option<Unknown>| match v {
            Some(v) => Value::from_js(&env, v),
            None => Ok(Value::Undefined),
        };
        let build = || -> Result<Connection, ClientError> {
            let first = read(Some(config_or_address))?;
            let config =
                Config::from_args(&first, &read(ssl)?, &read(username)?, &read(password)?)?;
            Connection::new(config)
        };
        let conn = Arc::new(build().map_err(|e| e.into_js(&env))?);
        let (tx, rx) = watch::channel(None);
        let handshake = conn.clone();
        tokio::spawn(async move {
            let outcome = connect(&handshake).await;
            let _ = tx.send(Some(outcome));
        });
        Ok(MilvusClient {
            conn,
            connected: rx,
        })
    }

    /// Settles when the connect handshake started by the constructor has finished: resolves
    /// with the server's info, rejects with the reason it failed. A failed connect that nobody
    /// awaits does not crash the process: each read of this property makes a new Promise, marked
    /// as handled, so a read nobody awaits (`util.inspect` with `getters: true`, say) cannot
    /// become an unhandled rejection; whoever awaits it still gets the error.
    #[napi(getter, ts_return_type = "Promise<ServerInfo>")]
    pub fn connect_promise<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Out>> {
        let mut rx = self.connected.clone();
        let promise = spawn(env, async move {
            let outcome = rx
                .wait_for(Option::is_some)
                .await
                .map_err(|_| ClientError::internal("the connect task ended without an outcome"))?
                .clone();
            match outcome {
                Some(Ok(info)) => Ok(info),
                // The original error, so that `code` (e.g. UNAUTHENTICATED) survives.
                Some(Err(err)) => Err(err),
                None => Err(ClientError::internal("connect outcome missing")),
            }
        })?;
        // A view of the same promise whose value type can be read back, as `catch` requires.
        let handled = PromiseRaw::<Unknown>::new(env.raw(), promise.raw());
        handled.catch(|_: CallbackContext<Unknown>| Ok(()))?;
        Ok(promise)
    }

    /// Closes the channel. Later calls reject with `CANCELLED`. Resolves with the connect
    /// status `5` (`CONNECT_STATUS.SHUTDOWN`).
    #[napi(ts_return_type = "Promise<number>")]
    pub fn close_connection<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Out>> {
        self.conn.close();
        spawn(env, async { Ok(json!(CONNECT_STATUS_SHUTDOWN)) })
    }

    /// The server's version: `{ status, version }`.
    #[napi(
        ts_args_type = "data?: GrpcTimeOut",
        ts_return_type = "Promise<GetVersionResponse>"
    )]
    pub fn get_version<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        let args = read_args(env, data);
        let conn = self.conn.clone();
        spawn(env, async move {
            let args = args?;
            let timeout = optional_req(&args)?
                .map(|r| r.timeout())
                .transpose()?
                .flatten();
            let res = conn
                .call(GetVersionRequest {}, timeout, |mut c, r| async move {
                    c.get_version(r).await
                })
                .await?;
            Ok(
                json!({ "status": status_json(&status_or_default(res.status)), "version": res.version }),
            )
        })
    }

    /// `{ status, isHealthy, reasons, quota_states }`.
    #[napi(
        ts_args_type = "data?: GrpcTimeOut",
        ts_return_type = "Promise<CheckHealthResponse>"
    )]
    pub fn check_health<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        let args = read_args(env, data);
        let conn = self.conn.clone();
        spawn(env, async move {
            let args = args?;
            let timeout = optional_req(&args)?
                .map(|r| r.timeout())
                .transpose()?
                .flatten();
            let res = conn
                .call(CheckHealthRequest {}, timeout, |mut c, r| async move {
                    c.check_health(r).await
                })
                .await?;
            Ok(json!({
                "status": status_json(&status_or_default(res.status)),
                "isHealthy": res.is_healthy,
                "reasons": res.reasons,
                "quota_states": res.quota_states,
            }))
        })
    }
}

impl MilvusClient {
    /// Copies `data` out of JS, then runs `f` on the Tokio runtime; the shape every method has.
    pub(crate) fn run<'env, T, F, Fut>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
        f: F,
    ) -> napi::Result<PromiseRaw<'env, Out>>
    where
        T: Into<Out> + Send + 'static,
        F: FnOnce(Arc<Connection>, Value) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, ClientError>> + Send + 'static,
    {
        let args = read_args(env, data);
        let conn = self.conn.clone();
        spawn(env, async move { f(conn, args?).await })
    }
}

/// Sends `Connect`; servers without it (UNIMPLEMENTED) count as connected.
async fn connect(conn: &Connection) -> Result<Json, ClientError> {
    let info = ClientInfo {
        sdk_type: "nodejs-native".into(),
        sdk_version: env!("CARGO_PKG_VERSION").into(),
        user: conn.config.username.clone().unwrap_or_default(),
        ..Default::default()
    };
    let request = ConnectRequest {
        base: None,
        client_info: Some(info),
    };
    let result = conn
        .call(request, None, |mut c, r| async move { c.connect(r).await })
        .await;
    match result {
        Ok(res) => {
            let status = status_or_default(res.status);
            crate::status::ensure_success(&status)?;
            let server = res.server_info.unwrap_or_default();
            Ok(json!({
                "connect_status": CONNECT_STATUS_CONNECTED,
                "identifier": res.identifier.to_string(),
                "build_tags": server.build_tags,
                "build_time": server.build_time,
                "git_commit": server.git_commit,
                "go_version": server.go_version,
                "deploy_mode": server.deploy_mode,
                "reserved": server.reserved,
            }))
        }
        Err(ClientError::Transport {
            code: tonic::Code::Unimplemented,
            ..
        }) => Ok(json!({ "connect_status": CONNECT_STATUS_CONNECTED })),
        Err(e) => Err(e),
    }
}

/// Copies a method's argument out of JS. Errors are returned, not thrown, so that they reach
/// the caller as a rejected Promise.
pub(crate) fn read_args(env: &Env, data: Option<Unknown>) -> Result<Value, ClientError> {
    match data {
        Some(v) => Value::from_js(env, v),
        None => Ok(Value::Undefined),
    }
}

/// Like [`Req::new`], but `undefined` is allowed for methods whose argument is optional.
pub(crate) fn optional_req(v: &Value) -> Result<Option<Req<'_>>, ClientError> {
    if v.is_nullish() {
        Ok(None)
    } else {
        Req::new(v).map(Some)
    }
}

/// Runs `fut` on the shared Tokio runtime and returns a Promise for its result. Errors become a
/// rejected Promise with a JS `Error` built on the JS thread.
pub(crate) fn spawn<'env, T, F>(env: &'env Env, fut: F) -> napi::Result<PromiseRaw<'env, Out>>
where
    T: Into<Out> + Send + 'static,
    F: Future<Output = Result<T, ClientError>> + Send + 'static,
{
    env.spawn_future_with_callback(
        async move { Ok(fut.await.map(Into::into)) },
        |env, outcome| outcome.map_err(|e| e.into_js(env)),
    )
}
