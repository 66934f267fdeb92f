//! Exchange numbers and requests a device must refuse as a whole (13-interaction §13.1,
//! §13.2): every answer echoes the request's exchange `[IM-3]`; a request on exchange 0 is
//! `invalid-message` on exchange 0 and not acted on `[IM-101]`; an undecodable request is
//! answered on the exchange its prefix names, or 0 `[IM-5]`, `[IM-100]`; an unknown or
//! device-only message type is `unexpected-message` `[IM-2]`; endpoint `0xffff` is
//! `invalid-message` `[IM-83]`; and the session goes on.

use super::reads::read_one;
use super::wire::{self, fresh_exchange};
use super::writes::write;
use crate::adversarial::interaction as bad;
use crate::case::{check, Outcome};
use crate::context::Ctx;
use crate::transport::BoxFuture;
use orbit_core::interaction::{ConcreteAttribute, Message, MessageType, WriteRequest};
use orbit_core::model::{std_caps, Data, EndpointId};
use orbit_core::status::Status;

/// `data-model.exchange-numbers`.
pub(crate) fn exchanges(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        use std_caps::basic_information::{attributes::NODE_LABEL, ID};
        let label = ConcreteAttribute::new(EndpointId::ROOT, ID, NODE_LABEL);
        let mut s = ctx.admin_session().await?;
        // [IM-3] every answer of a read of everything carries the request's exchange.
        let (exchange, a) = wire::read_everything(&mut s, "read-request").await?;
        check(
            !a.messages.is_empty() && a.exchanges().iter().all(|e| *e == exchange),
            "IM-3",
            format!("every report on exchange {exchange}"),
            || format!("exchanges {:?}", a.exchanges()),
        )?;
        // [IM-101] a write on exchange 0 is refused, and not applied.
        let before = read_one(&mut s, label, "IM-101").await?;
        let changed = Data::Text(
            if before == Data::Text("exchange-0".into()) {
                "exchange-zero"
            } else {
                "exchange-0"
            }
            .into(),
        );
        let plain = bad::on_exchange_zero(Message::WriteRequest(WriteRequest::new(vec![(
            label, changed,
        )])));
        let a = wire::send_plain(&mut s, "write-request on exchange 0", &plain).await?;
        let after = read_one(&mut s, label, "IM-101").await?;
        if after != before {
            let _ = write(&mut s, vec![(label, before.clone())], false, "IM-101").await;
        }
        check(
            a.status_response() == Some((0, Status::INVALID_MESSAGE)),
            "IM-101",
            "status-response invalid-message on exchange 0",
            || a.describe(),
        )?;
        check(
            after == before,
            "IM-101",
            "the request on exchange 0 is not acted on",
            || format!("node-label {after:?}"),
        )?;
        // [IM-2] an unknown type, and a type only a device sends.
        for ty in [99, MessageType::STATUS_RESPONSE.0] {
            let exchange = fresh_exchange();
            let a = wire::send_plain(
                &mut s,
                &format!("message type {ty}"),
                &bad::of_type(ty, exchange),
            )
            .await?;
            check(
                a.status_response() == Some((exchange, Status::UNEXPECTED_MESSAGE)),
                "IM-2",
                format!("unexpected-message on exchange {exchange} for message type {ty}"),
                || a.describe(),
            )?;
        }
        // [IM-100] the prefix names the exchange of a request that does not decode.
        let exchange = fresh_exchange();
        let a = wire::send_plain(
            &mut s,
            "read-request with mistyped paths",
            &bad::read_with_mistyped_paths(exchange),
        )
        .await?;
        check(
            a.status_response() == Some((exchange, Status::INVALID_MESSAGE)),
            "IM-100",
            format!("invalid-message on exchange {exchange}, read from the prefix"),
            || a.describe(),
        )?;
        let a = wire::send_plain(&mut s, "an array", &bad::not_a_map()).await?;
        check(
            a.status_response() == Some((0, Status::INVALID_MESSAGE)),
            "IM-100",
            "invalid-message on exchange 0 when there is no prefix",
            || a.describe(),
        )?;
        // [IM-83] the reserved endpoint.
        let exchange = fresh_exchange();
        let a = wire::send_plain(
            &mut s,
            "read of endpoint 0xffff",
            &bad::read_of_reserved_endpoint(exchange),
        )
        .await?;
        check(
            a.status_response() == Some((exchange, Status::INVALID_MESSAGE)),
            "IM-83",
            format!("invalid-message on exchange {exchange} for endpoint 0xffff"),
            || a.describe(),
        )?;
        // [IM-5] the session goes on.
        let still = read_one(&mut s, label, "IM-5").await;
        s.conn().close();
        check(
            still.is_ok(),
            "IM-5",
            "the session keeps serving after malformed requests",
            || format!("{still:?}"),
        )
    })
}
