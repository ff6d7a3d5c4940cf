//! Privileges: granting and revoking them on a role, listing a role's grants, the V2 grant
//! calls and privilege groups (Milvus 2.5+; older servers answer `UNIMPLEMENTED`). Each method
//! resolves with the server's status or reply, failed or not, as the official SDK does.

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
    CreatePrivilegeGroupRequest, DropPrivilegeGroupRequest, GrantEntity, GrantorEntity,
    ListPrivilegeGroupsRequest, ObjectEntity, OperatePrivilegeGroupRequest,
    OperatePrivilegeGroupType, OperatePrivilegeRequest, OperatePrivilegeType,
    OperatePrivilegeV2Request, PrivilegeEntity, RoleEntity, SelectGrantRequest,
};
use crate::request::Req;
use crate::role::role_json;
use crate::status::{status_json, status_or_default};
use crate::value::Value;

#[napi]
impl MilvusClient {
    /// Grants a privilege to a role: `{ roleName, object, objectName, privilegeName,
    /// db_name? }`, e.g. `{ roleName: 'reader', object: 'Collection', objectName: '*',
    /// privilegeName: 'Query' }`. Milvus 2.3 takes 1 to 18 s to apply a grant everywhere.
    /// Resolves with the status.
    #[napi(
        ts_args_type = "data: OperateRolePrivilegeReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn grant_privilege<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |c, a| operate(c, a, OperatePrivilegeType::Grant))
    }

    /// The same as `grantPrivilege`.
    #[napi(
        ts_args_type = "data: OperateRolePrivilegeReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn grant_role_privilege<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |c, a| operate(c, a, OperatePrivilegeType::Grant))
    }

    /// Revokes a privilege from a role; the request is that of `grantPrivilege`. Resolves
    /// with the status.
    #[napi(
        ts_args_type = "data: OperateRolePrivilegeReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn revoke_privilege<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |c, a| {
            operate(c, a, OperatePrivilegeType::Revoke)
        })
    }

    /// The same as `revokePrivilege`.
    #[napi(
        ts_args_type = "data: OperateRolePrivilegeReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn revoke_role_privilege<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |c, a| {
            operate(c, a, OperatePrivilegeType::Revoke)
        })
    }

    /// A role's grants on one object: `{ roleName, object, objectName, db_name? }` →
    /// `{ status, entities: [{ role, object: { name }, object_name, grantor: { user: { name },
    /// privilege: { name } }, db_name }] }`.
    #[napi(
        ts_args_type = "data: SelectGrantReq",
        ts_return_type = "Promise<SelectGrantResponse>"
    )]
    pub fn select_grant<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            let entity = GrantEntity {
                role: Some(role(req.str("roleName")?)),
                object: Some(ObjectEntity {
                    name: req.str("object")?,
                }),
                object_name: req.str("objectName")?,
                db_name: req.db_name()?,
                grantor: None,
            };
            select_grant(&conn, entity, &req).await
        })
    }

    /// All of a role's grants in one database: `{ roleName, db_name? }`, in the shape of
    /// `selectGrant`. Without `db_name`, the client's database. (The official SDK sends `'*'`
    /// then, which Milvus 2.3 reads as a database named `*`, so it finds nothing there.)
    #[napi(
        ts_args_type = "data: ListGrantsReq",
        ts_return_type = "Promise<SelectGrantResponse>"
    )]
    pub fn list_grants<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            // An empty db_name is the client's database on every server version.
            let entity = GrantEntity {
                role: Some(role(req.str("roleName")?)),
                db_name: req.db_name()?,
                ..Default::default()
            };
            select_grant(&conn, entity, &req).await
        })
    }

    /// Creates a privilege group: `{ group_name }`. Milvus 2.5+. Resolves with the status.
    #[napi(
        ts_args_type = "data: PrivilegeGroupReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn create_privilege_group<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            let message = CreatePrivilegeGroupRequest {
                group_name: req.str("group_name")?,
                ..Default::default()
            };
            let status = conn
                .call(message, req.timeout()?, |mut c, r| async move {
                    c.create_privilege_group(r).await
                })
                .await?;
            Ok(status_json(&status))
        })
    }

    /// Drops a privilege group: `{ group_name }`. Milvus 2.5+. Resolves with the status.
    #[napi(
        ts_args_type = "data: PrivilegeGroupReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn drop_privilege_group<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            let message = DropPrivilegeGroupRequest {
                group_name: req.str("group_name")?,
                ..Default::default()
            };
            let status = conn
                .call(message, req.timeout()?, |mut c, r| async move {
                    c.drop_privilege_group(r).await
                })
                .await?;
            Ok(status_json(&status))
        })
    }

    /// `{ status, privilege_groups: [{ group_name, privileges: [{ name }] }] }`. Milvus 2.5+.
    #[napi(
        ts_args_type = "data?: GrpcTimeOut",
        ts_return_type = "Promise<ListPrivilegeGroupsResponse>"
    )]
    pub fn list_privilege_groups<'env>(
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
                    ListPrivilegeGroupsRequest::default(),
                    timeout,
                    |mut c, r| async move { c.list_privilege_groups(r).await },
                )
                .await?;
            let groups: Vec<Json> = res
                .privilege_groups
                .iter()
                .map(|g| {
                    json!({
                        "group_name": g.group_name,
                        "privileges": g.privileges.iter().map(|p| json!({ "name": p.name })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            Ok(json!({
                "status": status_json(&status_or_default(res.status)),
                "privilege_groups": groups,
            }))
        })
    }

    /// Adds privileges to a group: `{ group_name, privileges: ['Query', ...] }`. Milvus 2.5+.
    /// Resolves with the status.
    #[napi(
        ts_args_type = "data: PrivilegesToGroupReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn add_privileges_to_group<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |c, a| {
            operate_group(c, a, OperatePrivilegeGroupType::AddPrivilegesToGroup)
        })
    }

    /// Removes privileges from a group: `{ group_name, privileges }`. Milvus 2.5+. Resolves
    /// with the status.
    #[napi(
        ts_args_type = "data: PrivilegesToGroupReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn remove_privileges_from_group<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |c, a| {
            operate_group(c, a, OperatePrivilegeGroupType::RemovePrivilegesFromGroup)
        })
    }

    /// Grants a privilege or privilege group: `{ role, privilege, db_name, collection_name }`
    /// (`'*'` for all). Milvus 2.5+. Resolves with the status.
    #[napi(
        ts_args_type = "data: PrivilegeV2Req",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn grant_privilege_v2<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |c, a| {
            operate_v2(c, a, OperatePrivilegeType::Grant)
        })
    }

    /// Revokes what `grantPrivilegeV2` granted; the same request. Milvus 2.5+. Resolves with
    /// the status.
    #[napi(
        ts_args_type = "data: PrivilegeV2Req",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn revoke_privilege_v2<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |c, a| {
            operate_v2(c, a, OperatePrivilegeType::Revoke)
        })
    }
}

fn role(name: String) -> RoleEntity {
    RoleEntity {
        name,
        description: String::new(),
    }
}

fn grantor(privilege: String) -> GrantorEntity {
    GrantorEntity {
        user: None,
        privilege: Some(PrivilegeEntity { name: privilege }),
    }
}

async fn operate(
    conn: Arc<Connection>,
    args: Value,
    kind: OperatePrivilegeType,
) -> Result<Json, ClientError> {
    let req = Req::new(&args)?;
    let message = OperatePrivilegeRequest {
        entity: Some(GrantEntity {
            role: Some(role(req.str("roleName")?)),
            object: Some(ObjectEntity {
                name: req.str("object")?,
            }),
            object_name: req.str("objectName")?,
            grantor: Some(grantor(req.str("privilegeName")?)),
            db_name: req.db_name()?,
        }),
        r#type: kind as i32,
        ..Default::default()
    };
    let status = conn
        .call(message, req.timeout()?, |mut c, r| async move {
            c.operate_privilege(r).await
        })
        .await?;
    Ok(status_json(&status))
}

async fn select_grant(
    conn: &Connection,
    entity: GrantEntity,
    req: &Req<'_>,
) -> Result<Json, ClientError> {
    let message = SelectGrantRequest {
        entity: Some(entity),
        ..Default::default()
    };
    let res = conn
        .call(message, req.timeout()?, |mut c, r| async move {
            c.select_grant(r).await
        })
        .await?;
    let entities: Vec<Json> = res
        .entities
        .iter()
        .map(|e| {
            let grantor = e.grantor.as_ref().map(|g| {
                json!({
                    "user": g.user.as_ref().map(|u| json!({ "name": u.name })),
                    "privilege": g.privilege.as_ref().map(|p| json!({ "name": p.name })),
                })
            });
            json!({
                "role": e.role.as_ref().map(role_json),
                "object": e.object.as_ref().map(|o| json!({ "name": o.name })),
                "object_name": e.object_name,
                "grantor": grantor,
                "db_name": e.db_name,
            })
        })
        .collect();
    Ok(json!({
        "status": status_json(&status_or_default(res.status)),
        "entities": entities,
    }))
}

async fn operate_group(
    conn: Arc<Connection>,
    args: Value,
    kind: OperatePrivilegeGroupType,
) -> Result<Json, ClientError> {
    let req = Req::new(&args)?;
    let privileges = req.str_list("privileges")?;
    if privileges.is_empty() {
        return Err(ClientError::invalid_arg(
            "privileges",
            "a non-empty array of privilege names",
        ));
    }
    let message = OperatePrivilegeGroupRequest {
        group_name: req.str("group_name")?,
        privileges: privileges
            .into_iter()
            .map(|name| PrivilegeEntity { name })
            .collect(),
        r#type: kind as i32,
        ..Default::default()
    };
    let status = conn
        .call(message, req.timeout()?, |mut c, r| async move {
            c.operate_privilege_group(r).await
        })
        .await?;
    Ok(status_json(&status))
}

async fn operate_v2(
    conn: Arc<Connection>,
    args: Value,
    kind: OperatePrivilegeType,
) -> Result<Json, ClientError> {
    let req = Req::new(&args)?;
    let message = OperatePrivilegeV2Request {
        role: Some(role(req.str("role")?)),
        grantor: Some(grantor(req.str("privilege")?)),
        r#type: kind as i32,
        db_name: req.str("db_name")?,
        collection_name: req.str("collection_name")?,
        ..Default::default()
    };
    let status = conn
        .call(message, req.timeout()?, |mut c, r| async move {
            c.operate_privilege_v2(r).await
        })
        .await?;
    Ok(status_json(&status))
}
