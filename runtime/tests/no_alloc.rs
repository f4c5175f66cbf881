//! The message path allocates nothing: a counting global allocator watches
//! messages go through chains of change and switch nodes, and of json and
//! range nodes (and a json node's error in V8's words), through a template node, through filter nodes, through
//! change nodes that replace text and keep flow context, through a switch
//! and template nodes that read and write it, through a debug
//! node that mirrors Node-RED's sidebar message, a crontab's next time,
//! smooth nodes over many topics, and csv nodes, after start-up.

// The counting allocator is the one place with `unsafe`.
#![allow(unsafe_code)]

mod counting;

use std::sync::atomic::{AtomicUsize, Ordering};

use psos::nodes::{
    Change, ChangeRule, ChangeValue, Csv, CsvHeader, CsvSettings, Filter, FilterMode,
    FilterSettings, Gap, Interval, Json, JsonAction, Name, Pattern, Property, Range, RangeAction,
    Scope, Switch, SwitchOp, SwitchOperand, SwitchRule, Template, TemplateBody, TextKind, Token,
};
use psos::{ConstValue, Context, Device, Discard, NodeCell, NodeInfo, PathSegment, Stores};

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

#[test]
fn json_parse_errors_in_v8_words_allocate_nothing() {
    let not_json = Msg::from_json(br#"{"payload":"{\"temp\": 21.5, \"unit\": C}"}"#).unwrap();
    let expect = r#"Unexpected token 'C', ...", "unit": C}" is not valid JSON"#;
    TO_VALUE.input(&DEVICE, &mut not_json.clone(), &mut to_value_out);
    DEVICE.forget_error();
    let mut worded = 0;
    let allocations = counting::allocations_in(|| {
        for _ in 0..10_000 {
            TO_VALUE.input(&DEVICE, &mut not_json.clone(), &mut to_value_out);
            let error = DEVICE.take_error();
            worded += usize::from(error.is_some_and(|error| error.message.as_str() == expect));
        }
    });
    assert_eq!(worded, 10_000);
    assert_eq!(
        allocations, 0,
        "the message path allocated {allocations} times for 10,000 messages"
    );
}

static HELD: AtomicUsize = AtomicUsize::new(0);

#[test]
fn messages_waiting_in_delay_nodes_allocate_nothing() {
    use psos::nodes::{Delay, DelayMode, Finishing};
    let modes = [
        DelayMode::Fixed {
            ms: 5.0,
            variable: true,
        },
        DelayMode::Random {
            first_ms: 1.0,
            last_ms: 9.0,
        },
        DelayMode::Rate {
            interval_ms: 2.0,
            drop: false,
            allow_rate: true,
        },
        DelayMode::Queue {
            interval_ms: 2.0,
            allow_rate: false,
        },
        DelayMode::Timed {
            interval_ms: 3.0,
            allow_rate: false,
        },
    ];
    let reading =
        Msg::from_json(br#"{"payload":{"temp":21.5},"topic":"t","delay":"3","rate":2}"#).unwrap();
    let flush = Msg::from_json(br#"{"flush":2}"#).unwrap();
    let mut count = |_port: usize, _msg: &mut Msg| {
        HELD.fetch_add(1, Ordering::Relaxed);
    };
    for mode in modes {
        let mut node: Delay<256, 8> = Delay::new(NodeInfo::new("d1", "", "delay"), mode, true);
        node.input_at(0, &DEVICE, &mut reading.clone(), &mut count);
        let allocations = counting::allocations_in(|| {
            for now in 1..10_000 {
                node.input_at(now, &DEVICE, &mut reading.clone(), &mut count);
                if now % 100 == 0 {
                    node.input_at(now, &DEVICE, &mut flush.clone(), &mut count);
                }
                node.tick_at(now, &DEVICE, &mut count);
            }
        });
        assert_eq!(
            allocations, 0,
            "{mode:?} allocated {allocations} times for 10,000 messages"
        );
    }
    assert!(HELD.load(Ordering::Relaxed) > 10_000);
}

#[test]
fn a_burst_node_allocates_nothing() {
    use psos::nodes::{Burst, Finishing};
    let reading = Msg::from_json(br#"{"payload":{"temp":21.5},"topic":"t"}"#).unwrap();
    let reset = Msg::from_json(br#"{"reset":true}"#).unwrap();
    let mut sent = 0usize;
    let mut count = |_port: usize, _msg: &mut Msg| sent += 1;
    let mut node: Burst<256, 6> = Burst::new(NodeInfo::new("b1", "", "delay"), 3.0, 7.0, true);
    let allocations = counting::allocations_in(|| {
        for now in 0..10_000 {
            node.input_at(now, &DEVICE, &mut reading.clone(), &mut count);
            if now % 97 == 0 {
                node.input_at(now, &DEVICE, &mut reset.clone(), &mut count);
            }
            node.tick_at(now, &DEVICE, &mut count);
        }
    });
    assert_eq!(
        allocations, 0,
        "burst allocated {allocations} times for 10,000 messages"
    );
    // Every message left on one output or the other.
    assert_eq!(sent, 10_000);
}

/// `{{{#payload}}"{{name}}": {{{value}}}, {{/payload}}"end": true}` with
/// JSON output, as psosc parses it: a section over an array, names looked
/// up in each item, and the text parsed as JSON.
const ITEM_NAME: Name = Name {
    parts: &["name"],
    fallback: None,
    context: None,
};
static RENDER: Template = Template::new(
    NodeInfo::new("t1", "", "template"),
    &[PathSegment::Key("text")],
    TemplateBody::Mustache {
        tokens: &[
            Token::Text("{"),
            Token::Section {
                name: Name {
                    parts: &["payload"],
                    fallback: None,
                    context: None,
                },
                inverted: false,
                end: 7,
            },
            Token::Text("\""),
            Token::Value {
                name: ITEM_NAME,
                escape: true,
            },
            Token::Text("\": "),
            Token::Value {
                name: Name {
                    parts: &["value"],
                    fallback: None,
                    context: None,
                },
                escape: false,
            },
            Token::Text(", "),
            Token::Text("\"end\": true}"),
        ],
        json: true,
    },
    false,
);

static RENDERED: AtomicUsize = AtomicUsize::new(0);

fn render_out(_port: usize, msg: &mut Msg) {
    if msg.get(&[PathSegment::Key("text"), PathSegment::Key("b")])
        == Some(psos::ValueRef::Number(2.0))
    {
        RENDERED.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn messages_through_template_nodes_allocate_nothing() {
    let readings =
        Msg::from_json(br#"{"payload":[{"name":"a","value":1},{"name":"b","value":2}]}"#).unwrap();
    RENDER.input(&DEVICE, &mut readings.clone(), &mut render_out);
    let allocations = counting::allocations_in(|| {
        for _ in 0..10_000 {
            RENDER.input(&DEVICE, &mut readings.clone(), &mut render_out);
        }
    });
    assert_eq!(RENDERED.load(Ordering::Relaxed), 10_001);
    assert_eq!(
        allocations, 0,
        "the message path allocated {allocations} times for 10,000 messages"
    );
}

/// A deadband on many topics, more than it remembers, and a filter of
/// objects: the memory of topics and the comparisons allocate nothing.
static BAND: NodeCell<Filter<4, 64>> = NodeCell::new(Filter::new(
    NodeInfo::new("f1", "", "rbe"),
    FilterSettings {
        mode: FilterMode::Deadband,
        gap: Gap::Percent(5.0),
        start: None,
        compare_input: false,
        path: PAYLOAD,
        topic: Some(&[PathSegment::Key("topic")]),
    },
));
static CHANGES: NodeCell<Filter<4, 128>> = NodeCell::new(Filter::new(
    NodeInfo::new("f2", "", "rbe"),
    FilterSettings {
        mode: FilterMode::Rbe,
        gap: Gap::Fixed(0.0),
        start: None,
        compare_input: false,
        path: PAYLOAD,
        topic: None,
    },
));

static PASSED: AtomicUsize = AtomicUsize::new(0);

fn passed(_port: usize, _msg: &mut Msg) {
    PASSED.fetch_add(1, Ordering::Relaxed);
}

#[test]
fn messages_through_filter_nodes_allocate_nothing() {
    let readings: Vec<Msg> = (0..6)
        .map(|topic| {
            Msg::from_json(format!(r#"{{"topic":{topic},"payload":"{topic}0 C"}}"#).as_bytes())
                .unwrap()
        })
        .collect();
    let objects: Vec<Msg> = [
        r#"{"payload":{"a":[1,2],"b":"x"}}"#,
        r#"{"payload":{"b":"x","a":[1,2]}}"#,
        r#"{"payload":{"a":[1,3]}}"#,
    ]
    .iter()
    .map(|text| Msg::from_json(text.as_bytes()).unwrap())
    .collect();
    let allocations = counting::allocations_in(|| {
        for round in 0..1_000 {
            for reading in &readings {
                BAND.input(&DEVICE, &mut reading.clone(), &mut passed);
            }
            for object in &objects {
                CHANGES.input(&DEVICE, &mut object.clone(), &mut passed);
            }
            if round == 0 {
                // Each reading is new, as their topics take turns in a
                // memory of four; of the objects the first and the third.
                assert_eq!(PASSED.load(Ordering::Relaxed), 8);
            }
        }
    });
    assert_eq!(
        allocations, 0,
        "the message path allocated {allocations} times for 9,000 messages"
    );
}

/// A change node that counts messages in flow context, copies the count
/// into the message, replaces text and moves a property.
static FLOW: Context<128> = Context::new();
static COUNT: NodeCell<Change<128>> = NodeCell::new(Change::with_context(
    NodeInfo::new("c3", "", "change"),
    &[
        ChangeRule::SetValue {
            target: Property {
                scope: Scope::Msg,
                path: &[PathSegment::Key("previous")],
            },
            value: ChangeValue::Property(Property {
                scope: Scope::Flow,
                path: &[PathSegment::Key("last")],
            }),
        },
        ChangeRule::SetValue {
            target: Property {
                scope: Scope::Flow,
                path: &[PathSegment::Key("last")],
            },
            value: ChangeValue::Property(Property {
                scope: Scope::Msg,
                path: PAYLOAD,
            }),
        },
        ChangeRule::Change {
            target: Property {
                scope: Scope::Msg,
                path: PAYLOAD,
            },
            from: Pattern::Text {
                text: "an",
                kind: TextKind::Str,
            },
            value: ChangeValue::Const(ConstValue::Str("[$&]")),
        },
        ChangeRule::Move {
            from: Property {
                scope: Scope::Msg,
                path: PAYLOAD,
            },
            to: Property {
                scope: Scope::Msg,
                path: &[PathSegment::Key("text")],
            },
            set_first: false,
        },
    ],
    Some(&FLOW),
    None,
));

static COUNTED: AtomicUsize = AtomicUsize::new(0);

fn counted(_port: usize, msg: &mut Msg) {
    if msg.get(&[PathSegment::Key("text")]) == Some(psos::ValueRef::Str("b[an][an]a"))
        && msg.get(&[PathSegment::Key("previous")]) == Some(psos::ValueRef::Str("banana"))
    {
        COUNTED.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn messages_through_change_nodes_with_context_allocate_nothing() {
    let banana = Msg::from_json(br#"{"payload":"banana"}"#).unwrap();
    COUNT.input(&DEVICE, &mut banana.clone(), &mut counted);
    let allocations = counting::allocations_in(|| {
        for _ in 0..10_000 {
            COUNT.input(&DEVICE, &mut banana.clone(), &mut counted);
        }
    });
    assert_eq!(COUNTED.load(Ordering::Relaxed), 10_000);
    assert_eq!(
        allocations, 0,
        "the message path allocated {allocations} times for 10,000 messages"
    );
}

static NOTES: Context<128> = Context::new();
const WORD: Property = Property {
    scope: Scope::Flow,
    path: &[PathSegment::Key("word")],
};
const NOTE: Property = Property {
    scope: Scope::Flow,
    path: &[PathSegment::Key("note")],
};
static IS_WORD: Switch<0, 128> = Switch::with_context(
    NodeInfo::new("s2", "", "switch"),
    Property {
        scope: Scope::Msg,
        path: PAYLOAD,
    },
    &[
        SwitchRule::new(SwitchOp::Eq, SwitchOperand::Context(WORD)),
        SwitchRule::new(SwitchOp::Else, SwitchOperand::Undefined),
    ],
    false,
    Stores::new(Some(&NOTES), None),
);
static WRITE_NOTE: Template<128> = Template::with_context(
    NodeInfo::new("t2", "", "template"),
    NOTE,
    TemplateBody::Mustache {
        tokens: &[
            Token::Text("seen "),
            Token::Value {
                name: Name {
                    parts: &["payload"],
                    fallback: None,
                    context: None,
                },
                escape: true,
            },
        ],
        json: false,
    },
    false,
    Stores::new(Some(&NOTES), None),
);
static READ_NOTE: Template<128> = Template::with_context(
    NodeInfo::new("t3", "", "template"),
    Property {
        scope: Scope::Msg,
        path: PAYLOAD,
    },
    TemplateBody::Mustache {
        tokens: &[Token::Value {
            name: Name {
                parts: &["flow", "note"],
                fallback: None,
                context: Some(NOTE),
            },
            escape: true,
        }],
        json: false,
    },
    false,
    Stores::new(Some(&NOTES), None),
);

static NOTED: AtomicUsize = AtomicUsize::new(0);

fn noted(_port: usize, msg: &mut Msg) {
    if msg.payload() == Some(psos::ValueRef::Str("seen banana")) {
        NOTED.fetch_add(1, Ordering::Relaxed);
    }
}

/// A switch that compares with a flow value, a template that renders into
/// flow context and one that reads it back.
fn through_context_readers(msg: &mut Msg) {
    IS_WORD.input(&DEVICE, msg, &mut |port: usize, msg: &mut Msg| {
        if port == 0 {
            WRITE_NOTE.input(&DEVICE, msg, &mut |_: usize, msg: &mut Msg| {
                READ_NOTE.input(&DEVICE, msg, &mut noted)
            })
        }
    });
}

#[test]
fn messages_through_nodes_reading_context_allocate_nothing() {
    NOTES.with(&DEVICE, |store| {
        store.set_property("word", &psos::encoding::Str("banana"))
    });
    let banana = Msg::from_json(br#"{"payload":"banana"}"#).unwrap();
    through_context_readers(&mut banana.clone());
    let allocations = counting::allocations_in(|| {
        for _ in 0..10_000 {
            through_context_readers(&mut banana.clone());
        }
    });
    assert_eq!(NOTED.load(Ordering::Relaxed), 10_001);
    assert_eq!(
        allocations, 0,
        "the message path allocated {allocations} times for 10,000 messages"
    );
}

/// Takes a console line and drops it: the host's stdout is not the
/// runtime's, and may allocate its buffer when it likes.
struct Quiet;

impl psos::Console for Quiet {
    fn write_line(&self, _line: std::fmt::Arguments<'_>) {}
}

static QUIET: Quiet = Quiet;

static SHOW: psos::nodes::Debug = psos::nodes::Debug::new(
    NodeInfo::new("d1", "show", "debug"),
    psos::nodes::DebugTarget::Property(PAYLOAD),
)
.with_sidebar(psos::nodes::Sidebar {
    topic: "psos/no_alloc/bench/debug",
    z: Some("tab"),
    path: "tab",
    name: Some("show"),
    property: Some("payload"),
});

static MIRRORED: AtomicUsize = AtomicUsize::new(0);

fn mirrored(_port: usize, _msg: &mut Msg) {
    MIRRORED.fetch_add(1, Ordering::Relaxed);
}

#[test]
fn sidebar_mirrors_and_crontabs_allocate_nothing() {
    psos::console::set_console(&QUIET);
    let readings: Vec<Msg> = [
        r#"{"topic":"t","payload":"a \"quoted\" line"}"#,
        r#"{"payload":{"a":[1,2],"b":{"type":"Buffer","data":[1,2]}}}"#,
        r#"{"payload":21.5}"#,
    ]
    .iter()
    .map(|text| Msg::from_json(text.as_bytes()).unwrap())
    .collect();
    // "*/15 9-16 * * 1-5".
    let schedule = psos::Schedule {
        seconds: 1,
        minutes: (1 << 0) | (1 << 15) | (1 << 30) | (1 << 45),
        hours: 0x1_fe00,
        days_of_month: 0,
        days_of_week: 0b011_1110,
        months: 0x1ffe,
    };
    let mut at = 1_795_046_400_250;
    let allocations = counting::allocations_in(|| {
        for _ in 0..1_000 {
            for reading in &readings {
                SHOW.input(&DEVICE, &mut reading.clone(), &mut mirrored);
            }
            at = schedule.next_after(at).unwrap_or(0);
        }
    });
    assert_eq!(MIRRORED.load(Ordering::Relaxed), 3_000);
    assert!(at > 1_795_046_400_250);
    assert_eq!(
        allocations, 0,
        "the message path allocated {allocations} times for 3,000 messages"
    );
}

static DEVIATION: NodeCell<psos::nodes::Smooth<4, 8>> = NodeCell::new(psos::nodes::Smooth::new(
    NodeInfo::new("m1", "", "smooth"),
    psos::nodes::SmoothSettings {
        action: psos::nodes::SmoothAction::Sd,
        count: 8.0,
        round: Some(1000.0),
        reduce: false,
        by_topic: true,
        path: PAYLOAD,
    },
));

#[test]
fn smooth_nodes_allocate_nothing() {
    let readings: Vec<Msg> = (0..4)
        .map(|topic| {
            Msg::from_json(format!(r#"{{"topic":"t{topic}","payload":"{topic}.5"}}"#).as_bytes())
                .unwrap()
        })
        .collect();
    let sent = AtomicUsize::new(0);
    let allocations = counting::allocations_in(|| {
        for _ in 0..1_000 {
            for reading in &readings {
                DEVIATION.input(
                    &DEVICE,
                    &mut reading.clone(),
                    &mut |_port: usize, _msg: &mut Msg| {
                        sent.fetch_add(1, Ordering::Relaxed);
                    },
                );
            }
        }
    });
    assert_eq!(sent.load(Ordering::Relaxed), 4_000);
    assert_eq!(
        allocations, 0,
        "the message path allocated {allocations} times for 4,000 messages"
    );
}

/// CSV text to objects (one message a row, with a header line) and back
/// to text (all rows in one message, with a header line).
const CSV_SETTINGS: CsvSettings = CsvSettings {
    legacy: false,
    separator: ',',
    line_end: "\r\n",
    template: &[],
    all_rows: false,
    header_in: true,
    header_out: CsvHeader::Always,
    skip: 0,
    parse_numbers: true,
    include_empty_strings: false,
    include_null_values: false,
};
static CSV_TO_ROWS: NodeCell<Csv<64, 0>> =
    NodeCell::new(Csv::new(NodeInfo::new("v1", "", "csv"), CSV_SETTINGS));
static CSV_TO_TEXT: NodeCell<Csv<64, 256>> = NodeCell::new(Csv::new(
    NodeInfo::new("v2", "", "csv"),
    CsvSettings {
        all_rows: true,
        ..CSV_SETTINGS
    },
));

static ROWS: AtomicUsize = AtomicUsize::new(0);
static CSV_TEXTS: AtomicUsize = AtomicUsize::new(0);

fn row_out(_port: usize, msg: &mut Msg) {
    ROWS.fetch_add(1, Ordering::Relaxed);
    CSV_TO_TEXT.input(&DEVICE, msg, &mut text_out);
}

fn text_out(_port: usize, _msg: &mut Msg) {
    CSV_TEXTS.fetch_add(1, Ordering::Relaxed);
}

#[test]
fn messages_through_csv_nodes_allocate_nothing() {
    let text =
        Msg::from_json(br#"{"payload":"name,temp\r\nhouse,21.5\r\n\"barn, north\",\"18\"\n"}"#)
            .unwrap();
    let allocations = counting::allocations_in(|| {
        for _ in 0..1_000 {
            CSV_TO_ROWS.input(&DEVICE, &mut text.clone(), &mut row_out);
        }
    });
    assert_eq!(ROWS.load(Ordering::Relaxed), 2_000);
    assert_eq!(CSV_TEXTS.load(Ordering::Relaxed), 2_000);
    assert_eq!(
        allocations, 0,
        "the message path allocated {allocations} times for 3,000 messages"
    );
}
