//! The interaction model (`spec/v1/13-interaction.md`): the messages a controller and a device
//! exchange over an established session to describe, read, write, invoke and subscribe.
//!
//! This module holds the wire format and the controller's side ([`Client`]); the device's side
//! is [`crate::device`], which answers requests from a device model.

mod client;
mod message;
mod path;
mod prefix;
mod report;
pub(crate) mod wire;

pub use client::{
    Client, ClientError, ClientEvent, REQUEST_TIMEOUT, SUBSCRIPTION_GRACE, TIMED_WINDOW_MS,
};
pub use message::{
    Envelope, InvokeRequest, Message, MessageType, ReadRequest, Report, SubscribeRequest,
    SubscribeResponse, WriteRequest, IM_LIMITS,
};
pub use path::{AttributePath, CommandPath, ConcreteAttribute, EventPath};
pub use prefix::exchange_of_prefix;
pub use report::{AttributeReport, EventRecord, PathStatus};
