//! After a robustness case: the device must still serve an honest controller, and its state
//! (homes, access control, attribute values an honest controller set) must be what it was
//! before the case `[SEC-4]`, `[MSG-13]`.

use crate::case::{Failure, Outcome};
use crate::context::Ctx;
use orbit_core::interaction::{AttributePath, ClientEvent, ReadRequest};
use orbit_core::model::{Data, EndpointId};

/// What the device showed before a case: the values of every attribute a wildcard read of
/// the root endpoint returns (homes, access control) and of the other endpoints' attributes
/// the descriptor lists, in path order.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    root: Vec<(String, Option<Data>)>,
}

/// Reads the device's state as the suite's administrator.
pub async fn snapshot(ctx: &mut Ctx) -> Result<Snapshot, String> {
    let mut s = ctx.admin_session().await.map_err(|e| format!("{e:?}"))?;
    let request = ReadRequest {
        attributes: vec![AttributePath::endpoint(EndpointId::ROOT)],
        events: Vec::new(),
        event_min: None,
    };
    let event = s.read(request).await?;
    s.conn().close();
    match event {
        ClientEvent::ReadDone { attributes, .. } => Ok(Snapshot {
            root: attributes
                .into_iter()
                .map(|a| (format!("{:?}", a.path), a.result.ok()))
                .collect(),
        }),
        other => Err(format!("{other:?} instead of a read's answer")),
    }
}

/// Checks that the device still serves the suite's administrator and that its root state is
/// unchanged since `before`.
pub async fn still_serving(ctx: &mut Ctx, before: &Snapshot) -> Outcome {
    ctx.note("after the case: is the device still serving, with its state unchanged?");
    let after = snapshot(ctx).await.map_err(|e| {
        Failure::fail(
            "SEC-4",
            "the device keeps serving the members of its homes after the case",
            format!("the suite's administrator could not read the device: {e}"),
        )
    })?;
    if &after != before {
        return Err(Failure::fail(
            "MSG-13",
            format!(
                "the device's state unchanged by the case: {:?}",
                before.root
            ),
            format!("{:?}", after.root),
        ));
    }
    Ok(())
}
