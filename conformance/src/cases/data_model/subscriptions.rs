//! Subscriptions: parameters, the initial report, reports no earlier than the minimum
//! interval with the latest value, keep-alives at the maximum interval, unsubscribe
//! (13-interaction §13.6). The case subscribes to `basic-information.node-label`, which every
//! device has, is reportable and writable `[DM-3]`, and puts its value back afterwards.

use super::reads::read_one;
use super::wire;
use super::writes::write;
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::controller::Session;
use crate::transport::{BoxFuture, MessageKind};
use orbit_core::codec::CborMessage;
use orbit_core::interaction::{ConcreteAttribute, Envelope, Message, Report, SubscribeRequest};
use orbit_core::model::{std_caps, Data, EndpointId};
use orbit_core::status::Status;
use std::time::{Duration, Instant};

/// The minimum interval the reports case asks for, in seconds.
const MIN_INTERVAL: u32 = 2;

/// The maximum interval the reports case asks for, in seconds.
const MAX_INTERVAL: u32 = 3;

pub(crate) fn node_label() -> ConcreteAttribute {
    use std_caps::basic_information::{attributes::NODE_LABEL, ID};
    ConcreteAttribute::new(EndpointId::ROOT, ID, NODE_LABEL)
}

pub(crate) fn subscribe(min: u32, max: u32) -> Message {
    Message::SubscribeRequest(SubscribeRequest {
        attributes: vec![node_label().path()],
        events: Vec::new(),
        event_min: None,
        min_interval_s: min,
        max_interval_s: max,
    })
}

/// The next message the device sent outside an exchange, within `within`.
async fn unsolicited(
    s: &mut Session,
    within: Duration,
    rule: &'static str,
) -> Result<Option<Envelope>, Failure> {
    let Some(m) = s.conn().recv_unsolicited(within).await? else {
        return Ok(None);
    };
    if m.kind != MessageKind::Protected {
        return Err(Failure::fail(
            rule,
            "a protected report",
            format!("a {} message", m.kind),
        ));
    }
    let plain = s
        .open_record(&m.payload)
        .map_err(|e| Failure::fail(rule, "a report that opens", e))?;
    Envelope::decode(&plain)
        .map(Some)
        .map_err(|e| Failure::fail(rule, "a report that decodes", e.to_string()))
}

/// A subscription the device granted: its ID, granted interval and initial report.
pub(crate) struct Granted {
    pub(crate) id: u32,
    max_interval_s: u32,
    initial: Vec<Report>,
}

/// Subscribes by hand and checks the answer's shape `[IM-60]`: initial reports with the
/// subscription ID, then a subscribe-response, all on the request's exchange.
pub(crate) async fn granted(s: &mut Session, min: u32, max: u32) -> Result<Granted, Failure> {
    granted_for(s, subscribe(min, max), min).await
}

/// As [`granted`], for any subscribe-request `message` whose minimum interval is `min`.
pub(crate) async fn granted_for(
    s: &mut Session,
    message: Message,
    min: u32,
) -> Result<Granted, Failure> {
    let (exchange, a) = wire::request(s, "subscribe-request", message).await?;
    let mut initial = Vec::new();
    let mut response = None;
    for m in &a.messages {
        match &m.message {
            Message::Report(r) if response.is_none() => initial.push(r.clone()),
            Message::SubscribeResponse(r) if response.is_none() => response = Some(*r),
            _ => {
                return Err(Failure::fail(
                    "IM-60",
                    "initial reports, then one subscribe-response",
                    a.describe(),
                ))
            }
        }
    }
    let response =
        response.ok_or_else(|| Failure::fail("IM-60", "a subscribe-response", a.describe()))?;
    check(
        a.exchanges().iter().all(|e| *e == exchange),
        "IM-60",
        format!("every answer on exchange {exchange}"),
        || a.describe(),
    )?;
    check(
        !initial.is_empty()
            && initial
                .iter()
                .all(|r| r.subscription == Some(response.subscription)),
        "IM-60",
        format!(
            "an initial report carrying subscription {}",
            response.subscription
        ),
        || a.describe(),
    )?;
    let g = response.max_interval_s;
    check(
        g >= min && (1..=3600).contains(&g),
        "IM-60",
        format!("a granted max_interval_s in {}..=3600", min.max(1)),
        || g.to_string(),
    )?;
    Ok(Granted {
        id: response.subscription,
        max_interval_s: g,
        initial,
    })
}

pub(crate) async fn unsubscribe(s: &mut Session, id: u32) -> Result<wire::Answers, Failure> {
    Ok(
        wire::request(s, "unsubscribe", Message::Unsubscribe { subscription: id })
            .await?
            .1,
    )
}

/// `data-model.subscribe-lifecycle`: intervals outside the rules answer `invalid-parameter`
/// `[IM-60]`; a subscription's initial report holds the attribute's value; `unsubscribe`
/// answers `success`, a second time `invalid-subscription`, and no report follows it
/// `[IM-65]`.
pub(crate) fn lifecycle(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let mut s = ctx.admin_session().await?;
        for (min, max) in [(0, 0), (5, 2), (0, 3601)] {
            let (exchange, a) = wire::request(
                &mut s,
                "subscribe-request (bad intervals)",
                subscribe(min, max),
            )
            .await?;
            check(
                a.status_response() == Some((exchange, Status::INVALID_PARAMETER)),
                "IM-60",
                format!("invalid-parameter for min {min}, max {max}"),
                || a.describe(),
            )?;
        }
        let value = read_one(&mut s, node_label(), "IM-60").await?;
        let g = granted(&mut s, 0, 1).await?;
        if g.max_interval_s != 1 {
            ctx.note(format!(
                "granted max_interval_s {} for 1 asked (SHOULD grant the request)",
                g.max_interval_s
            ));
        }
        let reported: Vec<&Data> = g
            .initial
            .iter()
            .flat_map(|r| r.attributes.iter())
            .filter(|r| r.path == node_label())
            .filter_map(|r| r.result.as_ref().ok())
            .collect();
        check(
            reported == [&value],
            "IM-60",
            format!("the initial report holds node-label = {value:?}"),
            || format!("{:?}", g.initial),
        )?;
        // [IM-82] a request that leaves the value as it found it is no change: the next
        // report is the keep-alive, without attributes.
        let other = Data::Text(
            if value == Data::Text("oc-net".into()) {
                "oc-net-2"
            } else {
                "oc-net"
            }
            .into(),
        );
        let st = write(
            &mut s,
            vec![(node_label(), other), (node_label(), value.clone())],
            false,
            "IM-82",
        )
        .await?;
        check(
            st == [Status::SUCCESS, Status::SUCCESS],
            "IM-82",
            "both entries succeed",
            || format!("{st:?}"),
        )?;
        let next = unsolicited(
            &mut s,
            Duration::from_secs(u64::from(g.max_interval_s) + 10),
            "IM-82",
        )
        .await?;
        check(
            matches!(&next, Some(Envelope { message: Message::Report(r), .. }) if r.subscription == Some(g.id) && r.attributes.is_empty()),
            "IM-82",
            "a keep-alive without node-label after a write that left it unchanged",
            || format!("{next:?}"),
        )?;
        let a = unsubscribe(&mut s, g.id).await?;
        check(
            matches!(a.status_response(), Some((_, st)) if st == Status::SUCCESS),
            "IM-65",
            "status-response success to unsubscribe",
            || a.describe(),
        )?;
        let a = unsubscribe(&mut s, g.id).await?;
        check(
            matches!(a.status_response(), Some((_, st)) if st == Status::INVALID_SUBSCRIPTION),
            "IM-65",
            "invalid-subscription for a subscription already ended",
            || a.describe(),
        )?;
        // Reports of the ended subscription would come at its 1 s keep-alive.
        let wait = Duration::from_secs(u64::from(g.max_interval_s) + 1);
        let late = unsolicited(&mut s, wait, "IM-65").await?;
        s.conn().close();
        check(
            late.is_none(),
            "IM-65",
            "no report after the unsubscribe's answer",
            || format!("{late:?}"),
        )
    })
}

/// `data-model.subscribe-reports`: after the initial report, two changes made at once are
/// reported no earlier than `min_interval_s` later, in one report with the latest value
/// `[IM-62]`; a write of the same value is no change `[IM-23]`, so the next report is a
/// keep-alive without attributes or events, sent once `max_interval_s` passed `[IM-63]`.
pub(crate) fn reports(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let mut s = ctx.admin_session().await?;
        let original = read_one(&mut s, node_label(), "IM-62").await?;
        let g = granted(&mut s, MIN_INTERVAL, MAX_INTERVAL).await?;
        let since = Instant::now();
        let outcome = observe(ctx, &mut s, &g, since, &original).await;
        let _ = unsubscribe(&mut s, g.id).await;
        let back = write(
            &mut s,
            vec![(node_label(), original.clone())],
            false,
            "IM-62",
        )
        .await;
        s.conn().close();
        outcome?;
        check(
            matches!(back.as_deref(), Ok([st]) if *st == Status::SUCCESS),
            "IM-62",
            "node-label restored",
            || format!("{back:?}"),
        )
    })
}

async fn observe(
    ctx: &Ctx,
    s: &mut Session,
    g: &Granted,
    since: Instant,
    original: &Data,
) -> Outcome {
    let first = Data::Text(
        if original == &Data::Text("oc-1".into()) {
            "oc-3"
        } else {
            "oc-1"
        }
        .into(),
    );
    let latest = Data::Text("oc-2".into());
    for v in [&first, &latest] {
        let st = write(s, vec![(node_label(), v.clone())], false, "IM-62").await?;
        check(
            st == [Status::SUCCESS],
            "IM-62",
            "the writes succeed",
            || format!("{st:?}"),
        )?;
    }
    let grace = Duration::from_secs(u64::from(g.max_interval_s) + 10);
    let report = unsolicited(s, grace, "IM-62").await?;
    let gap = since.elapsed();
    let Some(Envelope {
        exchange,
        message: Message::Report(r),
    }) = report
    else {
        return Err(Failure::fail(
            "IM-62",
            "a report of the change",
            format!("{report:?}"),
        ));
    };
    ctx.note(format!(
        "change report {:.1} s after the initial report",
        gap.as_secs_f64()
    ));
    check(
        exchange == 0 && r.subscription == Some(g.id),
        "IM-62",
        format!("a report on exchange 0 for subscription {}", g.id),
        || format!("{exchange}, {r:?}"),
    )?;
    // The initial report left the device before the suite saw the response; one second of
    // slack absorbs that delay and any scheduling, while a device that ignores the minimum
    // interval reports within milliseconds of the writes.
    check(
        gap >= Duration::from_secs(u64::from(MIN_INTERVAL - 1)),
        "IM-62",
        "no report earlier than min_interval_s (2 s) after the previous one",
        || format!("{:.2} s", gap.as_secs_f64()),
    )?;
    let values: Vec<&Data> = r
        .attributes
        .iter()
        .filter(|a| a.path == node_label())
        .filter_map(|a| a.result.as_ref().ok())
        .collect();
    check(
        values.last() == Some(&&latest),
        "IM-62",
        format!("the report holds the latest value {latest:?}"),
        || format!("{r:?}"),
    )?;
    let since = Instant::now();
    let st = write(s, vec![(node_label(), latest.clone())], false, "IM-23").await?;
    check(
        st == [Status::SUCCESS],
        "IM-23",
        "writing the same value succeeds",
        || format!("{st:?}"),
    )?;
    let next = unsolicited(s, grace, "IM-63").await?;
    let waited = since.elapsed();
    let Some(Envelope {
        message: Message::Report(k),
        ..
    }) = next
    else {
        return Err(Failure::fail(
            "IM-63",
            format!(
                "a keep-alive within max_interval_s ({} s) + 10 s",
                g.max_interval_s
            ),
            format!("{next:?}"),
        ));
    };
    ctx.note(format!(
        "keep-alive {:.1} s after the previous report",
        waited.as_secs_f64()
    ));
    check(
        k.subscription == Some(g.id) && k.attributes.is_empty() && k.events.is_empty(),
        "IM-23",
        "a keep-alive without attributes (the same value is no change)",
        || format!("{k:?}"),
    )?;
    Ok(())
}
