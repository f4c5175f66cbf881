//! The editor's buttons and switches, over MQTT: a device's inject nodes
//! pressed and its debug nodes turned on and off, as Node-RED's admin API
//! does it (`POST /inject/:id`, `POST /debug/:id/enable|disable`, and the
//! bulk `POST /debug/enable|disable` with `{"nodes": [...]}`), on topics
//! under the device's own:
//!
//! ```text
//! psos/<flow>/<device>/inject/<node id>          press; the payload is the request's body
//! psos/<flow>/<device>/debug/<node id>/<state>   enable or disable one debug node
//! psos/<flow>/<device>/debug/<state>             {"nodes": [ids]}: several at once
//! ```
//!
//! Node ids are written as the topic scheme writes every level (`%XX` for
//! bytes outside `A-Z a-z 0-9 - _ .`). A request that names a response
//! topic (MQTT 5's request/response) is answered there, with its
//! correlation data, by the status code Node-RED's admin API answers:
//! `200`, `201` (a debug node disabled), `400` (a body that is not JSON, a
//! bulk request without a list), `404` (no such node or state), `413` (a
//! body larger than the device's messages). A request that is refused is
//! also counted, and changes nothing.
//!
//! psosc gives a device these controls only when it has a broker and such
//! nodes; a device without them links none of this.

use core::sync::atomic::{AtomicBool, Ordering};

use crate::encoding::{Bytes, Str};
use crate::mqtt::Outbox;
use crate::value::ValueRef;
use crate::{Device, ErrorKind, JsonError, Msg};

/// Whether a debug node shows what it gets: Node-RED's `active`, which
/// the flow sets and the editor's switch changes until the device
/// restarts.
pub struct Switch(AtomicBool);

impl Switch {
    pub const fn new(active: bool) -> Self {
        Self(AtomicBool::new(active))
    }

    pub fn is_on(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    pub fn set(&self, on: bool) {
        self.0.store(on, Ordering::Relaxed);
    }
}

/// An inject node that can be pressed: its id as a topic level, and its
/// input function, which gets the message the press makes.
pub struct Button<const N: usize> {
    pub level: &'static str,
    pub press: fn(&mut Msg<N>),
}

/// A debug node that can be switched: its id as it is (for the bulk
/// form's list) and as a topic level, and its switch.
pub struct DebugControl {
    pub id: &'static str,
    pub level: &'static str,
    pub switch: &'static Switch,
}

/// A device's controls: where its requests arrive, and what they reach.
pub struct Controls<const N: usize> {
    /// `psos/<flow>/<device>/inject/`.
    pub inject_prefix: &'static str,
    /// `psos/<flow>/<device>/debug/`.
    pub debug_prefix: &'static str,
    pub buttons: &'static [Button<N>],
    pub debugs: &'static [DebugControl],
}

/// Node-RED's key for the properties a press sets in place of the node's.
pub const USER_INJECT_PROPS: &str = "__user_inject_props__";

impl<const N: usize> Controls<N> {
    /// Serves a request the broker brought (a carried message: `topic`,
    /// `payload`, and `responseTopic` and `correlationData` when the
    /// request has them), and answers it where it asks.
    pub fn handle<const CAP: usize>(
        &self,
        device: &Device,
        outbox: &Outbox<N, CAP>,
        carried: &Msg<N>,
    ) {
        let (Some(ValueRef::Str(topic)), Some(ValueRef::Bytes(body))) =
            (carried.topic(), carried.payload())
        else {
            device.report_uncaught(ErrorKind::BadValue);
            return;
        };
        let status = self.request(device, topic, body);
        if let Some(ValueRef::Str(response_topic)) = carried.property("responseTopic") {
            let mut answer = Msg::<N>::new();
            let text = status.text();
            let mut result = answer
                .set_property("topic", &Str(response_topic))
                .and_then(|()| answer.set_property("payload", &Bytes(text.as_bytes())))
                .and_then(|()| answer.set_property("qos", &0.0))
                .and_then(|()| answer.set_property("retain", &false));
            if let Some(ValueRef::Bytes(data)) = carried.property("correlationData") {
                result = result.and_then(|()| answer.set_property("correlationData", &Bytes(data)));
            }
            if device.check(result, ErrorKind::Oversize).is_some() {
                outbox.publish(device, &answer);
            }
        }
    }

    /// Does what a request on `topic` with `body` asks, and says how
    /// Node-RED's admin API would answer it. What is refused is counted.
    pub fn request(&self, device: &Device, topic: &str, body: &[u8]) -> Status {
        let status = self.serve(topic, body);
        match status {
            Status::TooLarge => device.report_uncaught(ErrorKind::Oversize),
            Status::BadRequest | Status::NotFound => device.report_uncaught(ErrorKind::BadValue),
            Status::Ok | Status::Created => {}
        }
        status
    }

    fn serve(&self, topic: &str, body: &[u8]) -> Status {
        // The body is read first, as the admin API's JSON parser reads it
        // before any route: an empty one is none.
        let request = if body.is_empty() {
            None
        } else {
            match Msg::<N>::from_json(body) {
                Ok(request) => Some(request),
                Err(JsonError::TooBig) => return Status::TooLarge,
                Err(_) => return Status::BadRequest,
            }
        };
        if let Some(level) = topic.strip_prefix(self.inject_prefix) {
            return self.press(level, request);
        }
        let Some(rest) = topic.strip_prefix(self.debug_prefix) else {
            return Status::NotFound;
        };
        match rest.split_once('/') {
            Some((level, state)) => {
                let Some(on) = state_of(state) else {
                    return Status::NotFound;
                };
                match self.debugs.iter().find(|debug| debug.level == level) {
                    Some(debug) => {
                        debug.switch.set(on);
                        Status::switched(on)
                    }
                    None => Status::NotFound,
                }
            }
            None => {
                let Some(on) = state_of(rest) else {
                    return Status::NotFound;
                };
                let nodes = request
                    .as_ref()
                    .and_then(|request| request.property("nodes"));
                let Some(ValueRef::Array(ids)) = nodes else {
                    return Status::BadRequest;
                };
                for id in ids.iter() {
                    let found = self
                        .debugs
                        .iter()
                        .find(|debug| ValueRef::Str(debug.id) == id);
                    if let Some(debug) = found {
                        debug.switch.set(on);
                    }
                }
                Status::switched(on)
            }
        }
    }

    /// Presses an inject node: with the request as the message when it
    /// has `__user_inject_props__`, else with an empty one, as
    /// `20-inject.js` calls `node.receive(req.body)` or `node.receive()`.
    fn press(&self, level: &str, request: Option<Msg<N>>) -> Status {
        let Some(button) = self.buttons.iter().find(|button| button.level == level) else {
            return Status::NotFound;
        };
        let mut msg = match request {
            Some(request)
                if request
                    .property(USER_INJECT_PROPS)
                    .is_some_and(|props| props.is_truthy()) =>
            {
                request
            }
            _ => Msg::new(),
        };
        (button.press)(&mut msg);
        Status::Ok
    }
}

/// `enable` or `disable`.
fn state_of(state: &str) -> Option<bool> {
    match state {
        "enable" => Some(true),
        "disable" => Some(false),
        _ => None,
    }
}

/// How Node-RED's admin API answers a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// A debug node disabled: Node-RED answers 201.
    Created,
    BadRequest,
    NotFound,
    TooLarge,
}

impl Status {
    fn switched(on: bool) -> Self {
        if on {
            Self::Ok
        } else {
            Self::Created
        }
    }

    /// The code as the text of an answer.
    pub fn text(self) -> &'static str {
        match self {
            Self::Ok => "200",
            Self::Created => "201",
            Self::BadRequest => "400",
            Self::NotFound => "404",
            Self::TooLarge => "413",
        }
    }
}
