//! The device's access control list as the suite reads and writes it: `access-control.acl`
//! on endpoint 0, a list of `{0 home-id, 1 subject, 2 privilege, ? 3 targets}`
//! (15-access-control §15.2).

use super::reads::read_one;
use super::writes::write;
use crate::case::Failure;
use crate::controller::Session;
use orbit_core::interaction::ConcreteAttribute;
use orbit_core::model::{std_caps, Data, EndpointId, Privilege};
use orbit_core::status::Status;

/// The path of the `acl` attribute.
pub(crate) fn acl_path() -> ConcreteAttribute {
    ConcreteAttribute::new(
        EndpointId::ROOT,
        std_caps::access_control::ID,
        std_caps::access_control::attributes::ACL,
    )
}

/// One ACL entry.
pub(crate) fn entry(
    home: u64,
    subject: u64,
    privilege: Privilege,
    targets: Option<Vec<Data>>,
) -> Data {
    let mut f = vec![
        (0, Data::Uint(home)),
        (1, Data::Uint(subject)),
        (2, Data::Uint(privilege.code())),
    ];
    if let Some(t) = targets {
        f.push((3, Data::List(t)));
    }
    Data::Struct(f)
}

/// A target: `{? 0 endpoint, ? 1 capability}`.
pub(crate) fn target(endpoint: Option<u16>, capability: Option<u32>) -> Data {
    let mut f = Vec::new();
    if let Some(e) = endpoint {
        f.push((0, Data::Uint(e.into())));
    }
    if let Some(c) = capability {
        f.push((1, Data::Uint(c.into())));
    }
    Data::Struct(f)
}

/// The entries the session's subject sees.
pub(crate) async fn read_acl(s: &mut Session, rule: &'static str) -> Result<Vec<Data>, Failure> {
    match read_one(s, acl_path(), rule).await? {
        Data::List(items) => Ok(items),
        other => Err(Failure::fail(
            rule,
            "the acl attribute as a list",
            format!("{other:?}"),
        )),
    }
}

/// Writes the ACL; the entry's status.
pub(crate) async fn write_acl(
    s: &mut Session,
    entries: Vec<Data>,
    rule: &'static str,
) -> Result<Status, Failure> {
    let got = write(s, vec![(acl_path(), Data::List(entries))], false, rule).await?;
    Ok(got.first().copied().unwrap_or(Status::FAILURE))
}
