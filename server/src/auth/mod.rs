//! Who is asking, and what they may do.
//!
//! Local mode: no account exists and the server listens on a loopback address — everything
//! is open (`Actor::Local`). Team mode begins with the first account: every request is made
//! by a signed-in user (a session cookie or an access key), by nobody (`Anonymous`), or
//! through a share link (handled by the share pages themselves, never an `Actor`).
//!
//! *The rules live here and only here*: `Actor::can_read`, `can_create`, `can_change` and
//! `is_admin`; `policy.rs` maps every route to one of them; the pages ask `who` which
//! controls to show, with the same rules.

mod accounts;
mod audit;
mod guard;
mod keys;
mod limiter;
pub mod policy;
pub mod secrets;
mod shares;
pub mod sigv4;

pub use accounts::{parse_role, LoginError};

/// How long a session lasts after sign-in: two weeks.
pub const SESSION_SECONDS: i64 = 14 * 24 * 3600;
pub use guard::{guard, may, session_token, ClientAddress, HostRules, SESSION_COOKIE};
pub use limiter::LoginLimiter;
pub use shares::NewShare;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Manages accounts; sees and changes everything.
    Admin,
    /// Sees the team's data sets and jobs; creates, changes and deletes their own.
    Member,
    /// Sees the team's data sets and jobs; changes nothing.
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

/// A signed-in account.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

/// Who makes a request.
#[derive(Debug, Clone)]
pub enum Actor {
    /// Local mode: no account exists; the server listens on loopback only.
    Local,
    /// A signed-in account, by session or by access key.
    User(User),
    /// Nobody signed in, in team mode.
    Anonymous,
}

impl Actor {
    pub fn can_read(&self) -> bool {
        matches!(self, Actor::Local | Actor::User(_))
    }

    pub fn can_create(&self) -> bool {
        match self {
            Actor::Local => true,
            Actor::User(u) => u.role != Role::Viewer,
            Actor::Anonymous => false,
        }
    }

    /// May change or delete an object created by `owner` (`None`: made in local mode).
    pub fn can_change(&self, owner: Option<i64>) -> bool {
        match self {
            Actor::Local => true,
            Actor::User(u) => match u.role {
                Role::Admin => true,
                Role::Member => owner == Some(u.id),
                Role::Viewer => false,
            },
            Actor::Anonymous => false,
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Actor::Local) || matches!(self, Actor::User(u) if u.role == Role::Admin)
    }

    /// The owner recorded for what this actor creates.
    pub fn owner(&self) -> Option<i64> {
        match self {
            Actor::User(u) => Some(u.id),
            _ => None,
        }
    }

    /// The name the audit log records.
    pub fn audit_name(&self) -> String {
        match self {
            Actor::User(u) => u.name.clone(),
            Actor::Local => "local".into(),
            Actor::Anonymous => "anonymous".into(),
        }
    }

    /// What the pages need to know about the reader: the top bar, and which controls to
    /// show for an object created by `owner`.
    pub fn who(&self, owner: Option<i64>) -> glassbox_app::model::Who {
        glassbox_app::model::Who {
            user: match self {
                Actor::User(u) => Some((u.name.clone(), u.role.as_str().to_string())),
                _ => None,
            },
            team: !matches!(self, Actor::Local),
            can_create: self.can_create(),
            can_change: self.can_change(owner),
            is_admin: self.is_admin(),
            shared: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, role: Role) -> Actor {
        Actor::User(User {
            id,
            name: format!("u{id}"),
            role,
        })
    }

    #[test]
    fn the_access_rules() {
        let (admin, member, viewer) = (
            user(1, Role::Admin),
            user(2, Role::Member),
            user(3, Role::Viewer),
        );
        for a in [&admin, &member, &viewer, &Actor::Local] {
            assert!(a.can_read());
        }
        assert!(!Actor::Anonymous.can_read());
        assert!(member.can_create() && admin.can_create() && !viewer.can_create());
        assert!(member.can_change(Some(2)) && !member.can_change(Some(1)));
        assert!(
            !member.can_change(None),
            "local-mode objects belong to the first admin"
        );
        assert!(admin.can_change(Some(2)) && admin.can_change(None));
        assert!(
            !viewer.can_change(Some(3)),
            "a viewer changes nothing, not even their own"
        );
        assert!(Actor::Local.can_change(Some(7)) && Actor::Local.is_admin());
        assert!(!Actor::Anonymous.can_change(None) && !Actor::Anonymous.can_create());
        assert!(!member.is_admin() && admin.is_admin());
    }
}
