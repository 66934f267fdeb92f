use super::{CertError, CertKind, Certificate, HomeId, NodeId, NodeRole};
use crate::crypto::sign::PublicKey;

/// A peer authenticated by its operational certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationalPeer {
    /// The peer's home.
    pub home_id: HomeId,
    /// The peer's node identifier.
    pub node_id: NodeId,
    /// The peer's role.
    pub role: NodeRole,
    /// The peer's operational public key.
    pub public_key: PublicKey,
}

/// Validates an operational certificate against a home root `[CERT-8]`:
/// the root is a self-signed, currently valid home root; the certificate is an operational
/// certificate issued by it, currently valid, of the same home (and of `expected_home`, if
/// given), with a node identifier and role.
pub fn validate_operational(
    cert: &Certificate,
    root: &Certificate,
    expected_home: Option<HomeId>,
    now: u64,
) -> Result<OperationalPeer, CertError> {
    root.expect_kind(CertKind::HOME_ROOT)?;
    root.verify_issued_by(root.public_key())?;
    root.check_validity(now)?;
    let root_home = root.tbs().home_id.ok_or(CertError::MissingField {
        kind: CertKind::HOME_ROOT,
        field: "home_id",
    })?;

    cert.expect_kind(CertKind::OPERATIONAL)?;
    cert.verify_issued_by(root.public_key())?;
    cert.check_validity(now)?;
    let t = cert.tbs();
    let missing = |field| CertError::MissingField {
        kind: CertKind::OPERATIONAL,
        field,
    };
    let home_id = t.home_id.ok_or(missing("home_id"))?;
    let node_id = t.node_id.ok_or(missing("node_id"))?;
    let role = t.role.ok_or(missing("role"))?;
    // [HOME-3] a root may only vouch for members of its own home.
    if home_id != root_home {
        return Err(CertError::WrongHome {
            expected: root_home,
            found: home_id,
        });
    }
    if let Some(expected) = expected_home {
        if home_id != expected {
            return Err(CertError::WrongHome {
                expected,
                found: home_id,
            });
        }
    }
    Ok(OperationalPeer {
        home_id,
        node_id,
        role,
        public_key: t.subject_key,
    })
}
