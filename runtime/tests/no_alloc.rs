//! The message path allocates nothing: a counting global allocator watches
//! messages go through chains of change and switch nodes, and of json and
//! range nodes, after start-up.

// The counting allocator is the one place with `unsafe`.
#![allow(unsafe_code)]

mod counting;

use std::sync::atomic::{AtomicUsize, Ordering};

use psos::nodes::{
    Change, ChangeRule, Interval, Json, JsonAction, Range, RangeAction, Switch, SwitchOp,
    SwitchOperand, SwitchRule,
};
use psos::{ConstValue, Device, Discard, NodeCell, NodeInfo, PathSegment};

type Msg = psos::Msg<256>;

const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];
const DEEP: &[PathSegment<'static>] = &[
    PathSegment::Key("payload"),
    PathSegment::Key("reading"),
    PathSegment::Index(1),
];

static DEVICE: Device = Device::new("bench", "no_alloc.rs");
static SET: NodeCell<Change> = NodeCell::new(Change::new(
    NodeInfo::new("c1", "", "change"),
    &[
        ChangeRule::Set {
            path: DEEP,
            value: ConstValue::Number(21.5),
        },
        ChangeRule::Set {
            path: &[PathSegment::Key("topic")],
            value: ConstValue::Str("greenhouse/temperature"),
        },
    ],
));
static GATE: NodeCell<Switch<256>> = NodeCell::new(Switch::new(
    NodeInfo::new("s1", "", "switch"),
    &[PathSegment::Key("topic")],
    &[
        SwitchRule::new(
            SwitchOp::Eq,
            SwitchOperand::Const(ConstValue::Str("greenhouse/temperature")),
        ),
        // Keeping the previous value copies it into the node, in place.
        SwitchRule::new(SwitchOp::Neq, SwitchOperand::Prev),
        SwitchRule::new(
            SwitchOp::Cont,
            SwitchOperand::Const(ConstValue::Number(21.5)),
        ),
        SwitchRule::new(SwitchOp::Else, SwitchOperand::Undefined),
    ],
    true,
));
static LABEL: NodeCell<Change> = NodeCell::new(Change::new(
    NodeInfo::new("c2", "", "change"),
    &[
        ChangeRule::Set {
            path: PAYLOAD,
            value: ConstValue::Object(&[
                ("fan", ConstValue::Bool(true)),
                ("level", ConstValue::Number(3.0)),
            ]),
        },
        ChangeRule::Delete {
            path: &[PathSegment::Key("topic")],
        },
    ],
));

static DELIVERED: AtomicUsize = AtomicUsize::new(0);

fn set_out(_port: usize, msg: &mut Msg) {
    GATE.input(&DEVICE, msg, &mut gate_out);
}

fn gate_out(port: usize, msg: &mut Msg) {
    if port == 0 {
        LABEL.input(&DEVICE, msg, &mut label_out);
    }
}

fn label_out(_port: usize, msg: &mut Msg) {
    if msg.payload().is_some() {
        DELIVERED.fetch_add(1, Ordering::Relaxed);
    }
    let _ = Discard;
}

#[test]
fn messages_through_change_and_switch_nodes_allocate_nothing() {
    // Start-up: the first message may touch lazily built state.
    SET.input(&DEVICE, &mut Msg::new(), &mut set_out);
    let allocations = counting::allocations_in(|| {
        for _ in 0..10_000 {
            SET.input(&DEVICE, &mut Msg::new(), &mut set_out);
        }
    });
    assert_eq!(DELIVERED.load(Ordering::Relaxed), 10_001);
    assert_eq!(
        allocations, 0,
        "the message path allocated {allocations} times for 10,000 messages"
    );
}

static TO_TEXT: Json = Json::new(
    NodeInfo::new("j1", "", "json"),
    PAYLOAD,
    JsonAction::AlwaysString,
    true,
);
static TO_VALUE: Json = Json::new(
    NodeInfo::new("j2", "", "json"),
    PAYLOAD,
    JsonAction::Convert,
    false,
);
static SCALE: Range = Range::new(
    NodeInfo::new("r1", "", "range"),
    &[PathSegment::Key("payload"), PathSegment::Key("temp")],
    RangeAction::Clamp,
    true,
    Interval {
        min: 0.0,
        max: 100.0,
    },
    Interval {
        min: 32.0,
        max: 212.0,
    },
);

static CONVERTED: AtomicUsize = AtomicUsize::new(0);

fn to_text_out(_port: usize, msg: &mut Msg) {
    TO_VALUE.input(&DEVICE, msg, &mut to_value_out);
}

fn to_value_out(_port: usize, msg: &mut Msg) {
    SCALE.input(&DEVICE, msg, &mut scale_out);
}

fn scale_out(_port: usize, msg: &mut Msg) {
    if msg.get(&[PathSegment::Key("payload"), PathSegment::Key("temp")])
        == Some(psos::ValueRef::Number(71.0))
    {
        CONVERTED.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn messages_through_json_and_range_nodes_allocate_nothing() {
    let reading = Msg::from_json(br#"{"payload":{"temp":"21.5","unit":"C"}}"#).unwrap();
    TO_TEXT.input(&DEVICE, &mut reading.clone(), &mut to_text_out);
    let allocations = counting::allocations_in(|| {
        for _ in 0..10_000 {
            TO_TEXT.input(&DEVICE, &mut reading.clone(), &mut to_text_out);
        }
    });
    assert_eq!(CONVERTED.load(Ordering::Relaxed), 10_001);
    assert_eq!(
        allocations, 0,
        "the message path allocated {allocations} times for 10,000 messages"
    );
}
