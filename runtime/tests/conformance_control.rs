//! The editor's inject button and debug switch on a device, held to
//! Node-RED's own tests: the cases of `test/nodes/core/common/20-inject_spec.js`
//! and `21-debug_spec.js` (Node-RED 4.x) that drive its admin API
//! (`POST /inject/:id`, `POST /debug/:id/:state`, `POST /debug/:state`),
//! as requests on a device's control topics (`psos::control`), each
//! answered with the status code Node-RED answers, and what the nodes then
//! send or mirror. `tests/mqtt.rs` sends such requests through a real
//! Mosquitto to a running device.
//!
//! Of the 11 admin API cases there, 10 run here; "should return the
//! view.html" is skipped: it serves the editor's sidebar page, which a
//! device has none of.

use std::sync::Mutex;

use psos::control::{Button, Controls, DebugControl, Status, Switch};
use psos::nodes::{Debug, DebugTarget, Inject, InjectProp, InjectValue, Sidebar};
use psos::{ConstValue, Device, ErrorKind, Msg, NodeInfo, PathSegment, ValueRef};

type M = Msg<1024>;

const INJECT: &str = "psos/spec/device/inject/";
const DEBUG: &str = "psos/spec/device/debug/";

static DEVICE: Device = Device::new("conformance-control", "conformance");

/// What the nodes sent, in order: an inject node's messages as
/// `n1 > {json}`, a debug node's sidebar mirrors as `mirror {json}`.
static SENT: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn record(line: String) {
    SENT.lock().unwrap().push(line);
}

/// `{id:"n1", type:"inject", payloadType:"str", topic:"t4", payload:"hello"}`:
/// the legacy form, payload and then topic.
static N1: Inject = Inject::new(
    NodeInfo::new("n1", "", "inject"),
    &[
        InjectProp {
            path: &[PathSegment::Key("payload")],
            value: InjectValue::Const(ConstValue::Str("hello")),
        },
        InjectProp {
            path: &[PathSegment::Key("topic")],
            value: InjectValue::Const(ConstValue::Str("t4")),
        },
    ],
);

/// "should inject custom properties in message"'s node:
/// `{topic:"static", payload:"static", bool1:true, str1:"1"}`.
static N2: Inject = Inject::new(NodeInfo::new("n2", "", "inject"), &N2_PROPS);

static N2_PROPS: [InjectProp; 4] = [
    InjectProp {
        path: &[PathSegment::Key("payload")],
        value: InjectValue::Const(ConstValue::Str("static")),
    },
    InjectProp {
        path: &[PathSegment::Key("topic")],
        value: InjectValue::Const(ConstValue::Str("static")),
    },
    InjectProp {
        path: &[PathSegment::Key("bool1")],
        value: InjectValue::Const(ConstValue::Bool(true)),
    },
    InjectProp {
        path: &[PathSegment::Key("str1")],
        value: InjectValue::Const(ConstValue::Str("1")),
    },
];

fn press(name: &str, node: &Inject, msg: &mut M) {
    node.press(&DEVICE, msg, &mut |port: usize, sent: &mut M| {
        assert_eq!(port, 0);
        record(format!("{name} > {sent:?}"));
    });
}

fn n1(msg: &mut M) {
    press("n1", &N1, msg);
}

fn n2(msg: &mut M) {
    press("n2", &N2, msg);
}

/// `{id:"n1", type:"debug"}` outside a tab, switched as its `active` says.
static DEBUG_N1: Debug = Debug::new(
    NodeInfo::new("n1", "", "debug"),
    DebugTarget::Property(&[PathSegment::Key("payload")]),
)
.with_sidebar(Sidebar {
    topic: "psos/spec/device/debug",
    z: None,
    path: "global",
    name: None,
    property: Some("payload"),
});

static SWITCH_N1: Switch = Switch::new(true);

fn debug_input(json: &str) {
    let mut msg = M::from_json(json.as_bytes()).unwrap();
    DEBUG_N1.input_switched(
        &SWITCH_N1,
        &DEVICE,
        &mut msg,
        &mut |_: usize, carried: &mut M| {
            let Some(ValueRef::Bytes(mirror)) = carried.payload() else {
                panic!("not a carried message: {carried:?}");
            };
            record(format!("mirror {}", String::from_utf8_lossy(mirror)));
        },
    );
}

static CONTROLS: Controls<1024> = Controls {
    inject_prefix: INJECT,
    debug_prefix: DEBUG,
    buttons: &[
        Button {
            level: "n1",
            press: n1,
        },
        Button {
            level: "n2",
            press: n2,
        },
    ],
    debugs: &[DebugControl {
        id: "n1",
        level: "n1",
        switch: &SWITCH_N1,
    }],
};

/// The cases share the statics above, so they run one at a time, each
/// from a clean record.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Sends `body` on `topic` and returns the answer, what the nodes sent,
/// and how many refusals the device counted (bad value, oversize).
fn check(topic: &str, body: &str) -> (Status, Vec<String>, u32) {
    SENT.lock().unwrap().clear();
    let refused =
        || DEVICE.error_count(ErrorKind::BadValue) + DEVICE.error_count(ErrorKind::Oversize);
    let before = refused();
    let status = CONTROLS.request(&DEVICE, topic, body.as_bytes());
    let sent = std::mem::take(&mut *SENT.lock().unwrap());
    (status, sent, refused() - before)
}

#[test]
fn inject_post_should_inject_message() {
    let _one = ONE_AT_A_TIME.lock();
    let (status, sent, refused) = check("psos/spec/device/inject/n1", "");
    assert_eq!(status, Status::Ok);
    assert_eq!(sent, [r#"n1 > {"payload":"hello","topic":"t4"}"#]);
    assert_eq!(refused, 0);
}

#[test]
fn inject_post_should_fail_for_invalid_node() {
    let _one = ONE_AT_A_TIME.lock();
    let (status, sent, refused) = check("psos/spec/device/inject/invalid", "");
    assert_eq!((status, sent.len(), refused), (Status::NotFound, 0, 1));
}

/// `node.receive({__user_inject_props__: [...]})`: the listed properties
/// in place of the node's, which are all left out (`payload` too).
#[test]
fn inject_should_inject_custom_properties_in_message() {
    let _one = ONE_AT_A_TIME.lock();
    let body = r#"{"__user_inject_props__":[
        {"p":"topic","v":"t_override","vt":"str"},
        {"p":"str1","v":"1","vt":"num"},
        {"p":"num1","v":"1","vt":"num"},
        {"p":"bool1","v":"false","vt":"bool"}]}"#;
    let (status, sent, refused) = check("psos/spec/device/inject/n2", body);
    assert_eq!(status, Status::Ok);
    assert_eq!(
        sent,
        [r#"n2 > {"topic":"t_override","str1":1,"num1":1,"bool1":false}"#]
    );
    assert_eq!(refused, 0);
}

/// The posted case lists a JSONata property besides, which a device cannot
/// evaluate: it answers 200 as Node-RED does (the request is taken before
/// the properties are evaluated), reports the error and sends nothing, as
/// Node-RED's node does when a property fails to evaluate. Without that
/// entry, the message is the spec's.
#[test]
fn inject_post_should_inject_custom_properties_in_posted_message() {
    let _one = ONE_AT_A_TIME.lock();
    let entries = r#"{"p":"topic","v":"t_override","vt":"str"},
        {"p":"str1","v":"1","vt":"str"},
        {"p":"num1","v":"1","vt":"num"},
        {"p":"bool1","v":"true","vt":"bool"}"#;
    let body = format!(r#"{{"__user_inject_props__":[{entries}]}}"#);
    let (status, sent, _) = check("psos/spec/device/inject/n1", &body);
    assert_eq!(status, Status::Ok);
    assert_eq!(
        sent,
        [r#"n1 > {"topic":"t_override","str1":"1","num1":1,"bool1":true}"#]
    );
    DEVICE.forget_error();
    let body = format!(
        r#"{{"__user_inject_props__":[{entries},{{"p":"jsonata1","v":"\"A\" & \"B\"","vt":"jsonata"}}]}}"#
    );
    let (status, sent, _) = check("psos/spec/device/inject/n1", &body);
    assert_eq!((status, sent.len()), (Status::Ok, 0));
    let error = DEVICE.take_error().expect("the press reports an error");
    assert_eq!(error.kind, ErrorKind::BadValue);
    assert_eq!(error.message.as_str(), psos::nodes::UNSUPPORTED_PROP);
}

/// The other parts of a press's body stay in the message, as Node-RED
/// injects the request's body itself; a `__user_inject_props__` that is
/// not a list leaves the node's own properties, and goes.
#[test]
fn a_press_sends_the_body_with_the_properties_set() {
    let _one = ONE_AT_A_TIME.lock();
    let body = r#"{"__user_inject_props__":[{"p":"a.b[1]","v":"{\"x\":[true]}","vt":"json"},{"v":"passed over"},{"p":"kept","v":7,"vt":"custom"}],"extra":1}"#;
    let (status, sent, _) = check("psos/spec/device/inject/n1", body);
    assert_eq!(status, Status::Ok);
    assert_eq!(
        sent,
        [r#"n1 > {"extra":1,"a":{"b":[null,{"x":[true]}]},"kept":7}"#]
    );
    let (_, sent, _) = check(
        "psos/spec/device/inject/n1",
        r#"{"__user_inject_props__":true,"extra":1}"#,
    );
    assert_eq!(sent, [r#"n1 > {"extra":1,"payload":"hello","topic":"t4"}"#]);
    // Without `__user_inject_props__`, Node-RED's button gives an empty message.
    let (_, sent, _) = check("psos/spec/device/inject/n1", r#"{"extra":1}"#);
    assert_eq!(sent, [r#"n1 > {"payload":"hello","topic":"t4"}"#]);
}

#[test]
fn debug_should_publish_when_active() {
    let _one = ONE_AT_A_TIME.lock();
    SWITCH_N1.set(false);
    SENT.lock().unwrap().clear();
    debug_input(r#"{"payload":"message 1"}"#);
    let (status, _, _) = check("psos/spec/device/debug/n1/enable", "");
    assert_eq!(status, Status::Ok);
    debug_input(r#"{"payload":"message 2"}"#);
    assert_eq!(
        *SENT.lock().unwrap(),
        [
            r#"mirror {"id":"n1","path":"global","property":"payload","msg":"message 2","format":"string[9]"}"#
        ]
    );
}

#[test]
fn debug_should_not_publish_when_inactive() {
    let _one = ONE_AT_A_TIME.lock();
    SWITCH_N1.set(true);
    let (status, _, _) = check("psos/spec/device/debug/n1/disable", "");
    assert_eq!(status, Status::Created);
    debug_input(r#"{"payload":"message"}"#);
    assert_eq!(*SENT.lock().unwrap(), Vec::<String>::new());
    SWITCH_N1.set(true);
}

#[test]
fn debug_post_should_return_404_on_invalid_state() {
    let _one = ONE_AT_A_TIME.lock();
    SWITCH_N1.set(true);
    let (status, _, refused) = check("psos/spec/device/debug/n1/foobar", "");
    assert_eq!((status, refused), (Status::NotFound, 1));
    assert!(SWITCH_N1.is_on());
}

#[test]
fn debug_post_should_return_404_on_invalid_node() {
    let _one = ONE_AT_A_TIME.lock();
    let (status, _, refused) = check("psos/spec/device/debug/n99/enable", "");
    assert_eq!((status, refused), (Status::NotFound, 1));
}

#[test]
fn debug_post_should_return_400_for_invalid_bulk_disable() {
    let _one = ONE_AT_A_TIME.lock();
    SWITCH_N1.set(true);
    let (status, _, refused) = check("psos/spec/device/debug/disable", "{}");
    assert_eq!((status, refused), (Status::BadRequest, 1));
    assert!(SWITCH_N1.is_on());
}

#[test]
fn debug_post_should_return_success_for_bulk_disable() {
    let _one = ONE_AT_A_TIME.lock();
    SWITCH_N1.set(true);
    let (status, _, refused) = check("psos/spec/device/debug/disable", r#"{"nodes":["n1"]}"#);
    assert_eq!((status, refused), (Status::Created, 0));
    assert!(!SWITCH_N1.is_on());
    let (status, _, _) = check("psos/spec/device/debug/enable", r#"{"nodes":["n99","n1"]}"#);
    assert_eq!(status, Status::Ok);
    assert!(SWITCH_N1.is_on());
}

/// Node ids with bytes a topic level cannot hold, written `%XX`; an
/// unknown state of the bulk form; a body that is not JSON, or too large
/// for the device's messages.
#[test]
fn requests_are_answered_as_the_admin_api_answers_them() {
    let _one = ONE_AT_A_TIME.lock();
    for (topic, body, expect) in [
        (
            "psos/spec/device/debug/foobar",
            r#"{"nodes":[]}"#,
            Status::NotFound,
        ),
        (
            "psos/spec/device/debug/enable",
            r#"{"nodes":"n1"}"#,
            Status::BadRequest,
        ),
        ("psos/spec/device/inject/n1", "not json", Status::BadRequest),
        ("psos/spec/device/inject/n1", "[1]", Status::BadRequest),
        ("psos/spec/device/inject/n1/more", "", Status::NotFound),
        ("psos/spec/device/inject/", "", Status::NotFound),
        (
            "psos/spec/device/debug/n1/enable/more",
            "",
            Status::NotFound,
        ),
        ("psos/spec/device/other", "", Status::NotFound),
    ] {
        assert_eq!(check(topic, body).0, expect, "{topic} {body}");
    }
    let large = format!(r#"{{"x":"{}"}}"#, "y".repeat(2000));
    assert_eq!(
        check("psos/spec/device/inject/n1", &large).0,
        Status::TooLarge
    );
}

/// Any topic and any bytes: an answer, never a panic.
#[test]
fn hostile_requests_are_answered() {
    let _one = ONE_AT_A_TIME.lock();
    let mut seed = 0x2545_f491_u32;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let shapes: [&[u8]; 6] = [
        br#"{"__user_inject_props__":[{"p":"#,
        br#"{"nodes":["#,
        b"\"n1\",",
        br#"{"p":"a[0]","v":"1","vt":"num"},"#,
        b"]}",
        b"\xff\x00{[",
    ];
    for round in 0..5000 {
        let mut body = Vec::new();
        for _ in 0..next() % 8 {
            let piece = shapes[next() as usize % shapes.len()];
            let cut = next() as usize % (piece.len() + 1);
            body.extend_from_slice(&piece[..cut]);
        }
        let topic = match round % 4 {
            0 => "psos/spec/device/inject/n2",
            1 => "psos/spec/device/debug/disable",
            2 => "psos/spec/device/debug/n1/enable",
            _ => "psos/spec/device/inject/n1",
        };
        let _ = CONTROLS.request(&DEVICE, topic, &body);
    }
    SWITCH_N1.set(true);
}
