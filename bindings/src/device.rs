//! [`DeviceSession`]: a session with one device, over
//! `orbit_sdk::controller::DeviceConnection`. Requests may run concurrently.

use crate::describe::DeviceDescription;
use crate::error::{status_name, OrbitError, Phase};
use crate::paths;
use crate::runtime::on_runtime;
use crate::subscription::{self, Subscription, SubscriptionListener};
use crate::timings::PhaseTiming;
use crate::value::Value;
use orbit_core::interaction::{
    AttributeReport, EventRecord, ReadRequest, SubscribeRequest, WriteRequest,
};
use orbit_core::model::{Data, Registry};
use orbit_core::status::Status;
use orbit_sdk::controller::DeviceConnection;
use std::sync::Arc;

/// One attribute's value as read or reported, or the status the device gave instead.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct AttributeValue {
    /// The path as `1/on-off/on` (numbers where the registry has no name).
    pub path: String,
    /// The endpoint.
    pub endpoint: u16,
    /// The capability ID.
    pub capability: u32,
    /// The attribute ID.
    pub attribute: u16,
    /// The value, or nothing when the device answered a status for this path.
    pub value: Option<Value>,
    /// 0 (success) with a value, otherwise the device's status code for this path.
    pub status: u16,
    /// The status's name (`success`, `unsupported-attribute`...).
    pub status_name: String,
}

impl From<AttributeReport> for AttributeValue {
    fn from(a: AttributeReport) -> Self {
        let (value, status) = match a.result {
            Ok(v) => (Some(Value::from(v)), Status::SUCCESS),
            Err(s) => (None, s),
        };
        AttributeValue {
            path: paths::show(&a.path),
            endpoint: a.path.endpoint.0,
            capability: a.path.capability.0,
            attribute: a.path.attribute.0,
            value,
            status: status.0,
            status_name: status_name(status),
        }
    }
}

/// An event the device recorded.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct EventValue {
    /// Its number, increasing on the device.
    pub number: u64,
    /// The endpoint.
    pub endpoint: u16,
    /// The capability ID.
    pub capability: u32,
    /// The event ID.
    pub event: u16,
    /// Its registry name, if known.
    pub name: Option<String>,
    /// Milliseconds since the device started.
    pub uptime_ms: u64,
    /// Its fields.
    pub fields: Value,
}

impl From<EventRecord> for EventValue {
    fn from(e: EventRecord) -> Self {
        EventValue {
            number: e.number,
            endpoint: e.endpoint.0,
            capability: e.capability.0,
            event: e.event.0,
            name: Registry::standard()
                .get(e.capability)
                .and_then(|s| s.event(e.event))
                .map(|s| s.name.clone()),
            uptime_ms: e.uptime_ms,
            fields: e.fields.into(),
        }
    }
}

/// A session with one device. Every request is `suspend` / `async`; several may run at
/// once.
#[derive(uniffi::Object)]
pub struct DeviceSession {
    name: String,
    conn: Arc<DeviceConnection>,
    timings: Vec<PhaseTiming>,
}

impl std::fmt::Debug for DeviceSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceSession")
            .field("name", &self.name)
            .field("connection", &self.conn)
            .finish()
    }
}

impl DeviceSession {
    pub(crate) fn new(
        name: String,
        conn: DeviceConnection,
        timings: Vec<PhaseTiming>,
    ) -> Arc<Self> {
        Arc::new(DeviceSession {
            name,
            conn: Arc::new(conn),
            timings,
        })
    }

    /// The device's name in the home.
    pub(crate) fn name_ref(&self) -> &str {
        &self.name
    }

    /// The SDK's connection under this session.
    pub(crate) fn connection(&self) -> &DeviceConnection {
        &self.conn
    }
}

/// A refusal of one path as an error.
fn refused(status: Status, what: &str) -> OrbitError {
    OrbitError::status(
        Phase::Session,
        status,
        format!("the device refused {what}: {}", status_name(status)),
    )
}

#[uniffi::export]
impl DeviceSession {
    /// The device's name in the home.
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// How long each phase of opening this session took.
    pub fn timings(&self) -> Vec<PhaseTiming> {
        self.timings.clone()
    }

    /// Whether the session was resumed rather than fully authenticated anew.
    pub fn resumed(&self) -> bool {
        self.conn.resumed()
    }

    /// The device's address, `host:port`.
    pub fn remote_address(&self) -> String {
        self.conn.remote_address().to_string()
    }

    /// The device's verified descriptor: endpoints, capabilities, and the types and ranges
    /// of its attributes, commands and events.
    pub async fn describe(&self) -> Result<DeviceDescription, OrbitError> {
        let conn = self.conn.clone();
        on_runtime(async move {
            let (d, _) = conn.describe().await?;
            Ok(DeviceDescription::from(&d))
        })
        .await
    }

    /// Reads attributes: one entry per attribute matched by `paths` (wildcards allowed), each
    /// a value or the device's status for it.
    pub async fn read(&self, paths: Vec<String>) -> Result<Vec<AttributeValue>, OrbitError> {
        let attributes = paths
            .iter()
            .map(|p| paths::attribute(p))
            .collect::<Result<Vec<_>, _>>()?;
        let conn = self.conn.clone();
        on_runtime(async move {
            let (attrs, _) = conn
                .read(ReadRequest {
                    attributes,
                    ..Default::default()
                })
                .await?;
            Ok(attrs.into_iter().map(AttributeValue::from).collect())
        })
        .await
    }

    /// Reads one attribute's value; a status from the device is an [`OrbitError::Rejected`].
    pub async fn read_attribute(&self, path: String) -> Result<Value, OrbitError> {
        let (attribute, _) = paths::concrete(&path)?;
        let conn = self.conn.clone();
        on_runtime(async move {
            let (attrs, _) = conn
                .read(ReadRequest {
                    attributes: vec![attribute.path()],
                    ..Default::default()
                })
                .await?;
            match attrs.into_iter().find(|a| a.path == attribute) {
                Some(AttributeReport { result: Ok(v), .. }) => Ok(v.into()),
                Some(AttributeReport { result: Err(s), .. }) => Err(refused(s, "the read")),
                None => Err(OrbitError::Protocol {
                    phase: Phase::Session,
                    detail: format!("the device's answer does not report {path}"),
                }),
            }
        })
        .await
    }

    /// Writes one attribute (timed when its schema says so); a refusal is an
    /// [`OrbitError::Rejected`] with the device's status (`constraint-error` for a value out
    /// of range, `invalid-data-type` for one of the wrong type).
    pub async fn write(&self, path: String, value: Value) -> Result<(), OrbitError> {
        let (attribute, timed) = paths::concrete(&path)?;
        let conn = self.conn.clone();
        on_runtime(async move {
            let request = WriteRequest::new(vec![(attribute, Data::from(value))]);
            let statuses = conn
                .write(if timed { request.timed() } else { request })
                .await?;
            match statuses.iter().find(|s| s.status != Status::SUCCESS) {
                Some(s) => Err(refused(s.status, "the write")),
                None => Ok(()),
            }
        })
        .await
    }

    /// Invokes a command with `args` (a struct of the command's fields; none for a command
    /// without arguments) and returns its result. Commands the registry marks timed (a
    /// lock's `unlock-door`) are sent as timed interactions. A refusal is an
    /// [`OrbitError::Rejected`] with the device's status.
    #[uniffi::method(default(args = None))]
    pub async fn invoke(&self, path: String, args: Option<Value>) -> Result<Value, OrbitError> {
        let (command, timed) = paths::command(&path)?;
        let args = args.map(Data::from).unwrap_or(Data::Struct(Vec::new()));
        let conn = self.conn.clone();
        on_runtime(async move {
            match conn.invoke(command, args, timed).await? {
                Ok(result) => Ok(result.into()),
                Err(s) => Err(refused(s, "the command")),
            }
        })
        .await
    }

    /// Subscribes to `paths`: the device reports changes at most every `min_interval_s` and
    /// at least every `max_interval_s` seconds (an empty keep-alive when nothing changed).
    /// Every report goes to `listener`, the initial one first (which the returned
    /// subscription also keeps).
    /// Cancelling the subscription (or dropping it) unsubscribes.
    #[uniffi::method(default(min_interval_s = 0, max_interval_s = 60))]
    pub async fn subscribe(
        &self,
        paths: Vec<String>,
        listener: Arc<dyn SubscriptionListener>,
        min_interval_s: u32,
        max_interval_s: u32,
    ) -> Result<Arc<Subscription>, OrbitError> {
        let attributes = paths
            .iter()
            .map(|p| paths::attribute(p))
            .collect::<Result<Vec<_>, _>>()?;
        let conn = self.conn.clone();
        on_runtime(async move {
            let sub = conn
                .subscribe(SubscribeRequest {
                    attributes,
                    min_interval_s,
                    max_interval_s,
                    ..Default::default()
                })
                .await?;
            Ok(subscription::start(conn, sub, listener))
        })
        .await
    }

    /// Ends the session (the device is told at once). Requests after it fail.
    pub fn disconnect(&self) {
        // A BLE link closes gracefully in a task of the SDK's runtime ([BLE-14]); the caller's
        // thread is not one of its threads.
        let _inside = crate::runtime::runtime().map(|rt| rt.enter());
        self.conn.close();
    }
}
