//! User methods (Milvus "credentials"): create, update the password, delete, list, describe.
//! Every one resolves with the server's status or reply, failed or not, as the official SDK does.

use base64::Engine as _;
use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi::Env;
use napi_derive::napi;
use serde_json::{json, Value as Json};
use std::sync::Arc;

use crate::client::{optional_req, MilvusClient};
use crate::connection::Connection;
use crate::error::ClientError;
use crate::output::Out;
use crate::proto::milvus::{
    CreateCredentialRequest, DeleteCredentialRequest, ListCredUsersRequest, SelectUserRequest,
    UpdateCredentialRequest, UserEntity,
};
use crate::request::Req;
use crate::role::role_json;
use crate::status::{status_json, status_or_default};
use crate::value::Value;

#[napi]
impl MilvusClient {
    /// Creates a user: `{ username, password, description? }`. The password travels
    /// base64-encoded, as Milvus expects. Resolves with the status.
    #[napi(
        ts_args_type = "data: CreateUserReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn create_user<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, create_user)
    }

    /// Changes a user's password and/or description: `{ username, oldPassword, newPassword }`
    /// or `{ username, description }`. Resolves with the status.
    #[napi(
        ts_args_type = "data: UpdateUserReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn update_user<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, update_user)
    }

    /// The same as `updateUser`.
    #[napi(
        ts_args_type = "data: UpdateUserReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn update_password<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, update_user)
    }

    /// Deletes a user: `{ username }`. Resolves with the status.
    #[napi(
        ts_args_type = "data: DeleteUserReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn delete_user<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, delete_user)
    }

    /// The same as `deleteUser`.
    #[napi(
        ts_args_type = "data: DeleteUserReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn drop_user<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, delete_user)
    }

    /// `{ status, usernames }`: every user's name.
    #[napi(
        ts_args_type = "data?: GrpcTimeOut",
        ts_return_type = "Promise<ListCredUsersResponse>"
    )]
    pub fn list_users<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let timeout = optional_req(&args)?
                .map(|r| r.timeout())
                .transpose()?
                .flatten();
            let res = conn
                .call(
                    ListCredUsersRequest::default(),
                    timeout,
                    |mut c, r| async move { c.list_cred_users(r).await },
                )
                .await?;
            Ok(json!({
                "status": status_json(&status_or_default(res.status)),
                "usernames": res.usernames,
            }))
        })
    }

    /// A user and their roles: `{ username, includeRoleInfo? }` (role info by default) →
    /// `{ status, results: [{ user: { name }, roles: [{ name, description }], description }] }`;
    /// `results` is empty for an unknown user.
    #[napi(
        ts_args_type = "data: SelectUserReq",
        ts_return_type = "Promise<SelectUserResponse>"
    )]
    pub fn describe_user<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, describe_user)
    }

    /// The same as `describeUser`.
    #[napi(
        ts_args_type = "data: SelectUserReq",
        ts_return_type = "Promise<SelectUserResponse>"
    )]
    pub fn select_user<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, describe_user)
    }
}

/// Milvus expects passwords base64-encoded inside the request.
fn encode_password(password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(password)
}

async fn create_user(conn: Arc<Connection>, args: Value) -> Result<Json, ClientError> {
    let req = Req::new(&args)?;
    let message = CreateCredentialRequest {
        username: req.str("username")?,
        password: encode_password(&req.str("password")?),
        description: req.opt_str("description")?,
        ..Default::default()
    };
    let status = conn
        .call(message, req.timeout()?, |mut c, r| async move {
            c.create_credential(r).await
        })
        .await?;
    Ok(status_json(&status))
}

async fn update_user(conn: Arc<Connection>, args: Value) -> Result<Json, ClientError> {
    let req = Req::new(&args)?;
    let username = req.str("username")?;
    let description = req.opt_str("description")?;
    let new_password = req.opt_str("newPassword")?;
    let old_password = req.opt_str("oldPassword")?;
    if new_password.is_none() && description.is_none() {
        return Err(ClientError::invalid(
            "newPassword",
            "newPassword: expected a new password (with oldPassword) or a description",
        ));
    }
    if new_password.is_some() && old_password.is_none() {
        return Err(ClientError::invalid(
            "oldPassword",
            "oldPassword: the current password is required to set newPassword",
        ));
    }
    let message = UpdateCredentialRequest {
        username,
        old_password: old_password
            .as_deref()
            .map(encode_password)
            .unwrap_or_default(),
        new_password: new_password
            .as_deref()
            .map(encode_password)
            .unwrap_or_default(),
        description,
        ..Default::default()
    };
    let status = conn
        .call(message, req.timeout()?, |mut c, r| async move {
            c.update_credential(r).await
        })
        .await?;
    Ok(status_json(&status))
}

async fn delete_user(conn: Arc<Connection>, args: Value) -> Result<Json, ClientError> {
    let req = Req::new(&args)?;
    let message = DeleteCredentialRequest {
        username: req.str("username")?,
        ..Default::default()
    };
    let status = conn
        .call(message, req.timeout()?, |mut c, r| async move {
            c.delete_credential(r).await
        })
        .await?;
    Ok(status_json(&status))
}

async fn describe_user(conn: Arc<Connection>, args: Value) -> Result<Json, ClientError> {
    let req = Req::new(&args)?;
    let message = SelectUserRequest {
        user: Some(UserEntity {
            name: req.str("username")?,
        }),
        include_role_info: req.opt_bool("includeRoleInfo")?.unwrap_or(true),
        ..Default::default()
    };
    let res = conn
        .call(message, req.timeout()?, |mut c, r| async move {
            c.select_user(r).await
        })
        .await?;
    let results: Vec<Json> = res
        .results
        .iter()
        .map(|r| {
            json!({
                "user": r.user.as_ref().map(|u| json!({ "name": u.name })),
                "roles": r.roles.iter().map(role_json).collect::<Vec<_>>(),
                "description": r.description,
            })
        })
        .collect();
    Ok(json!({
        "status": status_json(&status_or_default(res.status)),
        "results": results,
    }))
}
