//! The device's adverts ([BLE-20], [BLE-21]).

use crate::adversarial::ble::unreachable;
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::transport::BoxFuture;
use orbit_ble::advert::Advert;

pub(super) fn advert(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let Some(target) = ctx.transport().ble() else {
            return Err(Failure::NotApplicable(
                "the target is not reached over BLE: its adverts cannot be heard".into(),
            ));
        };
        let Some(data) = target
            .advert(ctx.answer_timeout())
            .await
            .map_err(unreachable)?
        else {
            return Err(Failure::Inconclusive(
                "no advert of the device was heard".into(),
            ));
        };
        ctx.evidence()
            .received("the device's Orbit service data", &data);
        let (root, home_id) = {
            let home = ctx.home().await;
            (home.root_public_key(), home.home_id())
        };
        let node = ctx.device_node();
        match Advert::parse(&data) {
            Ok(Advert::Operational(a)) => {
                check(
                    a.is_device(&root, home_id, node),
                    "BLE-21",
                    "an operational tag computed from the suite's home root key, home ID and the \
                     device's node ID",
                    || "a tag that does not match".to_owned(),
                )?;
                let mut other_root = root;
                other_root[0] ^= 0x80;
                check(
                    !a.is_device(&other_root, home_id, node)
                        && !a.is_device(&root, home_id, node ^ 1),
                    "BLE-21",
                    "a tag another home (another root key) or another node does not match",
                    || "the tag matches another home or node too".to_owned(),
                )
            }
            Ok(Advert::Commissionable(a)) => {
                // A device of a home shows the commissionable form only while a pairing window
                // is open [BLE-20], [BLE-21].
                ctx.note(format!("commissionable advert: {a:?}"));
                check(
                    a.window_open,
                    "BLE-21",
                    "the operational form (or the commissionable form with the commissioning \
                     flag while a window is open)",
                    || "the commissionable form without the commissioning flag".to_owned(),
                )
            }
            Err(e) => Err(Failure::fail(
                "BLE-20",
                "Orbit service data of the commissionable or operational form",
                format!("{e}"),
            )),
        }
    })
}
