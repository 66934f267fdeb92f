//! Before the cases: the suite pairs with the device as an honest controller, commissions it
//! into a home of its own, opens the confirming session and reads the signed descriptor. The
//! facts it learns decide which cases apply. After the cases it removes its home again.

use crate::controller::{commission, pase, Conn, Session, SuiteHome};
use crate::evidence::Evidence;
use crate::facts::{Facts, SetupCode};
use crate::transport::Transport;
use orbit_core::attest::TrustStore;
use orbit_core::cert::NodeId;
use orbit_core::codec::CborMessage;
use orbit_core::crypto::Random;
use orbit_core::interaction::{ClientEvent, CommandPath};
use orbit_core::model::{std_caps, Data, Descriptor, EndpointId};
use std::time::Duration;

/// What the probe produced.
pub(crate) struct Probed {
    pub(crate) facts: Facts,
    pub(crate) home: SuiteHome,
    pub(crate) device_node: NodeId,
}

/// Pairs, commissions, confirms and describes; `Err` says which step failed and why.
pub(crate) async fn probe(
    transport: &dyn Transport,
    setup: SetupCode,
    trust: &TrustStore,
    answer_timeout: Duration,
    rng: &mut (dyn Random + Send),
) -> Result<Probed, String> {
    let evidence = Evidence::new();
    let conn = transport
        .connect()
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let conn = Conn::new(conn, evidence, answer_timeout);
    let keys = pase(&conn, setup.passcode(), rng).await.map_err(|e| {
        format!("cannot pair with the setup code given (is it the device's code, and is its pairing window open?): {e}")
    })?;
    let mut home = SuiteHome::create(rng).map_err(|e| e.to_string())?;
    let commissioned = commission(&conn, &keys, trust, setup.vendor_product(), &mut home, rng)
        .await
        .map_err(|e| format!("cannot commission the device: {e}"))?;
    let device_node = commissioned.device.node_id;
    let admin = home.admin().clone();
    let mut session = Session::open(&conn, &admin, device_node, None, rng)
        .await
        .map_err(|e| format!("the confirming session failed: {e}"))?;
    let issues_tickets = session.established().ticket.is_some();
    let (descriptor_bytes, descriptor_signature) = session
        .describe_raw()
        .await
        .map_err(|e| format!("cannot read the device's descriptor: {e}"))?;
    // A signature that does not verify is a FAIL of [DM-41] (data-model.descriptor-signature
    // judges it), not a reason to stop: the cases still need what the device declares.
    let descriptor = Descriptor::verify(
        &descriptor_bytes,
        &descriptor_signature,
        &session.established().peer.public_key,
    )
    .or_else(|_| Descriptor::decode(&descriptor_bytes))
    .map_err(|e| format!("the device's descriptor does not decode: {e}"))?;
    conn.close();
    Ok(Probed {
        facts: Facts {
            setup,
            attested: commissioned.device.attested,
            descriptor,
            descriptor_bytes,
            descriptor_signature,
            firmware: None,
            issues_tickets,
        },
        home,
        device_node,
    })
}

/// Removes the suite's home from the device (administration `remove-home`, `[ACL-9]`), so
/// the device is left as the suite found it.
pub(crate) async fn remove_home(
    transport: &dyn Transport,
    home: &SuiteHome,
    device_node: NodeId,
    answer_timeout: Duration,
    rng: &mut (dyn Random + Send),
) -> Result<(), String> {
    let conn = transport.connect().await.map_err(|e| e.to_string())?;
    let conn = Conn::new(conn, Evidence::new(), answer_timeout);
    let mut session = Session::open(&conn, home.admin(), device_node, None, rng)
        .await
        .map_err(|e| e.to_string())?;
    let path = CommandPath::new(
        EndpointId::ROOT,
        std_caps::administration::ID,
        std_caps::administration::commands::REMOVE_HOME,
    );
    let args = Data::Struct(vec![(0, Data::Uint(home.home_id()))]);
    let r = session.invoke(path, args, false).await;
    conn.close();
    match r {
        Ok(ClientEvent::Invoked { result: Ok(_), .. }) => Ok(()),
        Ok(other) => Err(format!("{other:?}")),
        Err(e) => Err(e),
    }
}
