//! Role methods: create, alter, drop, list, describe, and adding users to roles and removing
//! them. Each resolves with the server's status or reply, failed or not, as the official SDK does.

use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi::Env;
use napi_derive::napi;
use serde_json::{json, Value as Json};
use std::sync::Arc;
use std::time::Duration;

use crate::client::{optional_req, MilvusClient};
use crate::connection::Connection;
use crate::error::ClientError;
use crate::output::Out;
use crate::proto::milvus::{
    AlterRoleRequest, CreateRoleRequest, DropRoleRequest, OperateUserRoleRequest,
    OperateUserRoleType, RoleEntity, SelectRoleRequest, SelectRoleResponse,
};
use crate::request::Req;
use crate::status::{status_json, status_or_default};
use crate::value::Value;

#[napi]
impl MilvusClient {
    /// Creates a role: `{ roleName, description? }`. Resolves with the status.
    #[napi(
        ts_args_type = "data: CreateRoleReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn create_role<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            let message = CreateRoleRequest {
                entity: Some(RoleEntity {
                    name: req.str("roleName")?,
                    description: req.opt_str("description")?.unwrap_or_default(),
                }),
                ..Default::default()
            };
            let status = conn
                .call(message, req.timeout()?, |mut c, r| async move {
                    c.create_role(r).await
                })
                .await?;
            Ok(status_json(&status))
        })
    }

    /// Changes a role's description: `{ roleName, description }`. Servers before 2.5 answer
    /// `UNIMPLEMENTED`. Resolves with the status.
    #[napi(
        ts_args_type = "data: AlterRoleReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn alter_role<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            let message = AlterRoleRequest {
                role_name: req.str("roleName")?,
                description: req.opt_str("description")?.unwrap_or_default(),
                ..Default::default()
            };
            let status = conn
                .call(message, req.timeout()?, |mut c, r| async move {
                    c.alter_role(r).await
                })
                .await?;
            Ok(status_json(&status))
        })
    }

    /// Drops a role: `{ roleName, force_drop? }`. Milvus refuses while the role holds grants
    /// unless `force_drop` is set (on servers that know it). Resolves with the status.
    #[napi(
        ts_args_type = "data: DropRoleReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn drop_role<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            let message = DropRoleRequest {
                role_name: req.str("roleName")?,
                force_drop: req.opt_bool("force_drop")?.unwrap_or(false),
                ..Default::default()
            };
            let status = conn
                .call(message, req.timeout()?, |mut c, r| async move {
                    c.drop_role(r).await
                })
                .await?;
            Ok(status_json(&status))
        })
    }

    /// `{ status, hasRole }`: whether a role named `roleName` exists.
    #[napi(
        ts_args_type = "data: HasRoleReq",
        ts_return_type = "Promise<HasRoleResponse>"
    )]
    pub fn has_role<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            let name = req.str("roleName")?;
            let res = select_role(&conn, None, false, req.timeout()?).await?;
            let found = res
                .results
                .iter()
                .any(|r| r.role.as_ref().is_some_and(|role| role.name == name));
            Ok(json!({
                "status": status_json(&status_or_default(res.status)),
                "hasRole": found,
            }))
        })
    }

    /// Every role, with its users unless `includeUserInfo` is false:
    /// `{ status, results: [{ role: { name, description }, users: [{ name }] }] }`.
    #[napi(
        ts_args_type = "data?: ListRoleReq",
        ts_return_type = "Promise<SelectRoleResponse>"
    )]
    pub fn list_roles<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = optional_req(&args)?;
            let (users, timeout) = match &req {
                Some(req) => (req.opt_bool("includeUserInfo")?, req.timeout()?),
                None => (None, None),
            };
            let res = select_role(&conn, None, users.unwrap_or(true), timeout).await?;
            Ok(select_role_json(res))
        })
    }

    /// One role and its users: `{ roleName, includeUserInfo? }` → the shape of `listRoles`,
    /// with `results` empty when the role does not exist.
    #[napi(
        ts_args_type = "data: SelectRoleReq",
        ts_return_type = "Promise<SelectRoleResponse>"
    )]
    pub fn describe_role<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, describe_role)
    }

    /// The same as `describeRole`.
    #[napi(
        ts_args_type = "data: SelectRoleReq",
        ts_return_type = "Promise<SelectRoleResponse>"
    )]
    pub fn select_role<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, describe_role)
    }

    /// Gives a user a role: `{ username, roleName }`. Resolves with the status.
    #[napi(
        ts_args_type = "data: AddUserToRoleReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn add_user_to_role<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| {
            operate_user_role(conn, args, OperateUserRoleType::AddUserToRole)
        })
    }

    /// The same as `addUserToRole`.
    #[napi(
        ts_args_type = "data: AddUserToRoleReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn grant_role<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| {
            operate_user_role(conn, args, OperateUserRoleType::AddUserToRole)
        })
    }

    /// Takes a role from a user: `{ username, roleName }`. Resolves with the status.
    #[napi(
        ts_args_type = "data: RemoveUserFromRoleReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn remove_user_from_role<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| {
            operate_user_role(conn, args, OperateUserRoleType::RemoveUserFromRole)
        })
    }

    /// The same as `removeUserFromRole`.
    #[napi(
        ts_args_type = "data: RemoveUserFromRoleReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn revoke_role<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| {
            operate_user_role(conn, args, OperateUserRoleType::RemoveUserFromRole)
        })
    }
}

/// `{ name, description }`, as roles appear in every reply.
pub fn role_json(role: &RoleEntity) -> Json {
    json!({ "name": role.name, "description": role.description })
}

async fn select_role(
    conn: &Connection,
    name: Option<String>,
    include_user_info: bool,
    timeout: Option<Duration>,
) -> Result<SelectRoleResponse, ClientError> {
    let message = SelectRoleRequest {
        role: name.map(|name| RoleEntity {
            name,
            description: String::new(),
        }),
        include_user_info,
        ..Default::default()
    };
    conn.call(message, timeout, |mut c, r| async move {
        c.select_role(r).await
    })
    .await
}

fn select_role_json(res: SelectRoleResponse) -> Json {
    let results: Vec<Json> = res
        .results
        .iter()
        .map(|r| {
            json!({
                "role": r.role.as_ref().map(role_json),
                "users": r.users.iter().map(|u| json!({ "name": u.name })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "status": status_json(&status_or_default(res.status)),
        "results": results,
    })
}

async fn describe_role(conn: Arc<Connection>, args: Value) -> Result<Json, ClientError> {
    let req = Req::new(&args)?;
    let users = req.opt_bool("includeUserInfo")?.unwrap_or(true);
    let res = select_role(&conn, Some(req.str("roleName")?), users, req.timeout()?).await?;
    Ok(select_role_json(res))
}

async fn operate_user_role(
    conn: Arc<Connection>,
    args: Value,
    kind: OperateUserRoleType,
) -> Result<Json, ClientError> {
    let req = Req::new(&args)?;
    let message = OperateUserRoleRequest {
        username: req.str("username")?,
        role_name: req.str("roleName")?,
        r#type: kind as i32,
        ..Default::default()
    };
    let status = conn
        .call(message, req.timeout()?, |mut c, r| async move {
            c.operate_user_role(r).await
        })
        .await?;
    Ok(status_json(&status))
}
