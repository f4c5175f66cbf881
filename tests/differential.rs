//! Differential tests: the same messages through the same nodes in a real
//! Node-RED and on a PSOS device, and the messages that come out must be the
//! same, byte for byte and in the same order.
//!
//! A case is one entry of [`CASES`]: the nodes under test as Node-RED JSON,
//! the payloads that go in, and how many messages Node-RED sends for them
//! (which only checks that the case tests something; Node-RED's messages
//! are the expected ones). The harness wraps the nodes the same way on both
//! sides, with only nodes both run:
//!
//! ```text
//! mqtt in (json) ─▶ change (msg.topic) ─▶ nodes under test ─┬▶ mqtt out "diff/CASE/out/PORT"
//!                                                            └▶ mqtt out (topic from msg.topic)
//! ```
//!
//! Neither side has a node that turns a whole message into a payload
//! without JSONata or JavaScript (a change node cannot set `msg.payload` to
//! `msg`), so the harness observes what `mqtt out` can carry: the payload
//! and the topic. Each message a port sends is published twice: on the
//! port's own topic, and on the topic the message names (nothing when it
//! names none, as both sides refuse to publish without a topic). The
//! payload goes as `mqtt out` writes it: a string as it is, a number or a
//! boolean as its text, an object or an array as `JSON.stringify` writes
//! it, null or a missing payload as nothing. A top-level `5` and `"5"` are
//! therefore the same bytes; a case that must tell them apart looks at a
//! value inside an object (`payload.value`), where the JSON shows its type.
//! Other message properties are seen only through what they do.
//!
//! The `mqtt in` datatype is `json`, so a case's input is JSON text. Its
//! topic differs between the two sides and is replaced before the nodes
//! under test by the case's `topic` (or removed, when the case has none).
//!
//! Because the output topic is the message's own, the two sides would
//! publish on the same topics: each has a private Mosquitto of its own. One
//! Node-RED runs for the whole binary and each case's flow is deployed to it
//! in turn through its admin API; the PSOS side is one flow with a `host`
//! device per case, written and built once, and each case's device runs
//! only during its case. Cases run one after another, and a case's
//! messages are what each broker carries after both sides are connected
//! and until [`SETTLE`] after its last input, or later on a machine too
//! busy to carry them by then: until Node-RED's broker has carried the
//! messages the case counts, and the device's as many as Node-RED's.
//! Times are not compared: a time-dependent node (the inject case) must
//! send the same messages in the same order within that window.
//!
//! Node-RED runs with the context stores the cases name (`#:(name)::key`,
//! `flow[name]` in a template) configured in its settings, each a memory
//! store, after a `default` one that stays the default store
//! ([`context_stores`]): a case that names no store runs as without them.
//!
//! `PSOS_DIFFERENTIAL_CASES=name,name` runs only the cases named (all of
//! them otherwise), building only their devices.
//!
//! No case here needs JSONata or JavaScript; the cases are ours, not
//! Node-RED's spec files, so none is skipped. The cases that showed a
//! difference are listed in `docs/conformance.md`.

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use support::node_red::NodeRed;
use support::{Mosquitto, Running, WAIT};

/// How long each side may take to connect to its broker.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long, after a case's last input, its messages are collected (at
/// least). Both sides answer in milliseconds; inject cases fire within this
/// time too.
const SETTLE: Duration = Duration::from_millis(800);

/// The cases whose inputs go one at a time, [`SPACING`] apart. In them a
/// node reads flow or global context that a change node before it writes:
/// Node-RED's switch, trigger and template read context through callbacks,
/// so messages sent back to back overtake each other there (a switch may
/// read what the change node wrote for a later message), where a device
/// takes each message through all its nodes before the next. Likewise a
/// catch node's message, which Node-RED delivers a turn at a time as any
/// other, may be overtaken by what later inputs make; so may what a
/// subflow's status port makes, a hop further on in Node-RED.
const SPACED: &[&str] = &[
    "subflow-status",
    "switch-context-values",
    "switch-on-context",
    "trigger-context",
    "template-context",
    "context-named-stores",
    "complete-join-buffer-error",
    "link-call-dynamic",
    "batch-limit-count",
    "batch-limit-concat",
    "sort-limit",
];

/// The cases run on a Node-RED of their own whose settings set
/// `nodeMessageBufferMaxLength` to the number given (Node-RED's sequence
/// nodes read it once, for the whole process, so the other cases run on a
/// Node-RED without it): their batch and sort nodes have a `psosQueue` of
/// that number, which is what stands for it on a device.
const BUFFER_LIMITED: &[(&str, u64)] = &[
    ("batch-limit-count", 2),
    ("batch-limit-concat", 2),
    ("sort-limit", 2),
];

/// How long a [`SPACED`] case waits after each input.
const SPACING: Duration = Duration::from_millis(200);

/// The cases whose nodes keep time from their start (a counting debug
/// node holds back a count that comes within 100 ms of the one before,
/// the first one counted from the node's start): their inputs go
/// [`START_WAIT`] after both sides are connected, so that the first comes
/// long after the nodes started on both sides.
const STARTED: &[&str] = &["status-debug-counter"];

/// The cases in which Node-RED itself repeats a message or not by a race,
/// compared with each run of equal messages in a row taken as one on both
/// sides. An mqtt in node's "connected" status comes from the broker
/// node's `connect` event and, when the connection is made within the
/// 1 ms after the first node registers, once more from `updateStatus` on
/// that timer (10-mqtt.js `register`): on loopback, once or twice.
const REPEATS_COLLAPSED: &[&str] = &["status-mqtt"];

/// How long a [`STARTED`] case waits before its first input.
const START_WAIT: Duration = Duration::from_millis(300);

/// More messages than any case sends: a subscriber that takes all of them.
const EVERYTHING: usize = 100_000;

/// The nodes of a case of a switch on sequences: a change node that makes
/// `payload.p` the message's `msg.parts` and sends it to the switch
/// (`$switch`, id `s`, its port N wired to `showN`), and for each port a
/// change node that shows the `msg.parts` it sent in `payload.parts`,
/// without its id (random in Node-RED), and sends it to `outN`.
macro_rules! switch_on_sequences {
    ($switch:literal, $($port:literal),+) => {
        concat!(
            r#"[{"id": "seq", "type": "change", "rules": [
                {"t": "move", "p": "payload.p", "pt": "msg", "to": "parts", "tot": "msg"}
              ], "wires": [["s"]]},"#,
            $switch,
            $(
                r#", {"id": "show"#, $port, r#"", "type": "change", "rules": [
                    {"t": "set", "p": "payload.parts", "pt": "msg", "to": "parts", "tot": "msg"},
                    {"t": "delete", "p": "payload.parts.id", "pt": "msg"}
                  ], "wires": [["out"#, $port, r#""]]}"#,
            )+
            "]"
        )
    };
}

/// One differential case.
struct Case {
    /// Names the case, its device and its topics: `[a-z0-9-]`.
    name: &'static str,
    /// The nodes under test, as in a Node-RED flow file, without `z`. The
    /// input goes to the first node; a wire to `out0`, `out1`, … is a port
    /// the harness observes.
    nodes: &'static str,
    /// `msg.topic` of every input message; `None` removes it.
    topic: Option<&'static str>,
    /// Each input's `msg.payload`, as JSON text.
    inputs: &'static [&'static str],
    /// How many messages Node-RED sends on the observed ports.
    outputs: usize,
}

/// The cases to run: those `PSOS_DIFFERENTIAL_CASES` names, or all.
fn selected_cases() -> Vec<&'static Case> {
    let wanted = std::env::var("PSOS_DIFFERENTIAL_CASES").ok();
    CASES
        .iter()
        .filter(|case| {
            wanted
                .as_deref()
                .is_none_or(|names| names.split(',').any(|name| name.trim() == case.name))
        })
        .collect()
}

/// What a broker carried, in order: each message's topic and payload.
type Record = (String, String);

/// The subroutine of the link call cases, as JSON nodes: link in `sub`,
/// a switch that drops a message whose `payload.n` is 2, a change that
/// sets `payload.tag` to "sub", and a return.
macro_rules! tagging_subroutine {
    () => {
        r#"
            {"id": "sub", "type": "link in", "links": [], "wires": [["keep"]]},
            {"id": "keep", "type": "switch", "property": "payload.n", "propertyType": "msg", "rules": [
              {"t": "neq", "v": "2", "vt": "num"}
            ], "checkall": "true", "repair": false, "outputs": 1, "wires": [["work"]]},
            {"id": "work", "type": "change", "rules": [
              {"t": "set", "p": "payload.tag", "pt": "msg", "to": "sub", "tot": "str"}
            ], "wires": [["back"]]},
            {"id": "back", "type": "link out", "mode": "return", "links": []},"#
    };
}

/// The last JSON nodes of a case's list: a complete node watching the node
/// `$id`, whose messages go to port 1 with `payload.source` set to their
/// `msg.complete.source`.
macro_rules! completion_of {
    ($id:literal) => {
        concat!(
            r#"
            {"id": "k", "type": "complete", "name": "", "scope": ["#,
            "\"",
            $id,
            "\"",
            r#"], "uncaught": false, "wires": [["s"]]},
            {"id": "s", "type": "change", "name": "", "rules": [
              {"t": "set", "p": "payload.source", "pt": "msg", "to": "complete.source", "tot": "msg"}
            ], "wires": [["out1"]]}]"#
        )
    };
}

const CASES: &[Case] = &[
    // The harness alone: a payload crosses both wrappers unchanged.
    Case {
        name: "identity",
        nodes: "[]",
        topic: Some("t"),
        inputs: &[
            r#""text""#,
            r#""""#,
            "5",
            "-0",
            "1e21",
            "0.1",
            "true",
            "null",
            r#"{"a":{"b":[1,2.5,"x",null]},"u":"h\u00e9llo \u2603"}"#,
            "[]",
        ],
        outputs: 10,
    },
    // change
    Case {
        name: "change-set-literals",
        nodes: r#"[{"id": "c", "type": "change", "rules": [
            {"t": "set", "p": "payload.s", "pt": "msg", "to": "on", "tot": "str"},
            {"t": "set", "p": "payload.n", "pt": "msg", "to": "5", "tot": "num"},
            {"t": "set", "p": "payload.b", "pt": "msg", "to": "false", "tot": "bool"},
            {"t": "set", "p": "payload.j", "pt": "msg", "to": "{\"k\":[1,\"2\"]}", "tot": "json"}
          ], "wires": [["out0"]]}]"#,
        topic: None,
        inputs: &[r#"{"a":1}"#, "{}", r#"{"s":1,"n":"x"}"#],
        outputs: 3,
    },
    Case {
        name: "change-set-on-scalar",
        nodes: r#"[{"id": "c", "type": "change", "rules": [
            {"t": "set", "p": "payload.n", "pt": "msg", "to": "5", "tot": "num"}
          ], "wires": [["out0"]]}]"#,
        topic: None,
        inputs: &[r#""text""#, "7", "null", "[1]"],
        outputs: 4,
    },
    Case {
        name: "change-set-payload",
        nodes: r#"[{"id": "c", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "on", "tot": "str"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &["1", r#""x""#, r#"{"a":1}"#],
        outputs: 3,
    },
    Case {
        name: "change-nested-create",
        nodes: r#"[{"id": "c", "type": "change", "rules": [
            {"t": "set", "p": "payload.x.y[1]", "pt": "msg", "to": "deep", "tot": "str"}
          ], "wires": [["out0"]]}]"#,
        topic: None,
        inputs: &["{}", r#"{"x":{"y":[0]}}"#, r#"{"x":{"z":1}}"#],
        outputs: 3,
    },
    Case {
        name: "change-delete",
        nodes: r#"[{"id": "c", "type": "change", "rules": [
            {"t": "delete", "p": "payload.a", "pt": "msg"},
            {"t": "delete", "p": "payload.list[0]", "pt": "msg"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"a":1,"b":2}"#,
            r#"{"b":2,"list":[1,2,3]}"#,
            r#"{"list":[]}"#,
            "5",
        ],
        outputs: 4,
    },
    Case {
        name: "change-topic",
        nodes: r#"[{"id": "c", "type": "change", "rules": [
            {"t": "set", "p": "topic", "pt": "msg", "to": "sensor/1", "tot": "str"}
          ], "wires": [["out0"]]}]"#,
        topic: None,
        inputs: &["1", r#"{"a":1}"#],
        outputs: 2,
    },
    // Node-RED's `mqtt out` publishes nothing for a message without a
    // payload: no message on either observer, and none on PSOS either.
    Case {
        name: "change-delete-payload",
        nodes: r#"[{"id": "c", "type": "change", "rules": [
            {"t": "delete", "p": "payload", "pt": "msg"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &["1", r#"{"a":1}"#],
        outputs: 0,
    },
    Case {
        name: "change-delete-topic",
        nodes: r#"[{"id": "c", "type": "change", "rules": [
            {"t": "delete", "p": "topic", "pt": "msg"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("present"),
        inputs: &[r#""kept""#],
        outputs: 1,
    },
    // Text replaced: a substring wherever it occurs, a whole value by its
    // type (`num` and `bool` from texts), and a regular expression whose
    // groups the replacement does not name, with `$&` and `$$`, empty
    // matches included.
    Case {
        name: "change-substring",
        nodes: r#"[{"id": "c", "type": "change", "rules": [
            {"t": "change", "p": "payload.s", "pt": "msg", "from": "an", "fromt": "str", "to": "AN", "tot": "str"},
            {"t": "change", "p": "payload.n", "pt": "msg", "from": "5", "fromt": "num", "to": "five", "tot": "str"},
            {"t": "change", "p": "payload.b", "pt": "msg", "from": "true", "fromt": "bool", "to": "1", "tot": "num"},
            {"t": "change", "p": "payload.w", "pt": "msg", "from": "on", "fromt": "str", "to": "true", "tot": "bool"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"s":"banana","n":5,"b":true,"w":"on"}"#,
            r#"{"s":"an","n":"5","b":"true","w":"onion"}"#,
            r#"{"s":"","n":55,"b":false,"w":5}"#,
        ],
        outputs: 3,
    },
    Case {
        name: "change-regex-groups",
        nodes: r#"[{"id": "c", "type": "change", "rules": [
            {"t": "change", "p": "payload.s", "pt": "msg", "from": "(\\d+)-(?<b>\\d+)", "fromt": "re", "to": "[$&|$`|$$]", "tot": "str"},
            {"t": "change", "p": "payload.e", "pt": "msg", "from": "x*", "fromt": "re", "to": "-", "tot": "str"},
            {"t": "change", "p": "payload.w", "pt": "msg", "from": "\\bis\\b", "fromt": "re", "to": "IS", "tot": "str"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"s":"call 12-34 or 5-6","e":"axxb","w":"this is it"}"#,
            r#"{"s":"none","e":"","w":"is"}"#,
        ],
        outputs: 2,
    },
    Case {
        name: "change-regex-captures",
        nodes: r#"[{"id": "c", "type": "change", "rules": [
            {"t": "change", "p": "payload.d", "pt": "msg", "from": "(?<y>\\d{4})-(\\d\\d)(?:-(\\d\\d))?", "fromt": "re", "to": "$3/$2/$<y> $10 $<z>", "tot": "str"},
            {"t": "change", "p": "payload.r", "pt": "msg", "from": "(?:(a)|b)+|(x*)*y", "fromt": "re", "to": "[$1|$2]", "tot": "str"},
            {"t": "change", "p": "payload.t", "pt": "msg", "from": "(\\w)(\\w*)", "fromt": "re", "to": "payload.to", "tot": "msg"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"d":"2024-05-17 and 1999-12","r":"abba y xy","t":"hello big world","to":"$2$1ay"}"#,
            r#"{"d":"none","r":"","t":"","to":"$<y>"}"#,
        ],
        outputs: 2,
    },
    Case {
        name: "change-move",
        nodes: r#"[{"id": "c", "type": "change", "rules": [
            {"t": "move", "p": "payload.a", "pt": "msg", "to": "payload.b.c", "tot": "msg"},
            {"t": "move", "p": "payload.x.y", "pt": "msg", "to": "payload.x", "tot": "msg"},
            {"t": "move", "p": "payload.missing", "pt": "msg", "to": "payload.gone", "tot": "msg"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"a":1,"b":{"d":2},"x":{"y":[3]},"gone":true}"#,
            r#"{"a":{"deep":[1,2]},"x":"text"}"#,
        ],
        outputs: 2,
    },
    Case {
        name: "change-set-from-msg",
        nodes: r#"[{"id": "c", "type": "change", "rules": [
            {"t": "set", "p": "payload.copy", "pt": "msg", "to": "payload.orig", "tot": "msg", "dc": true},
            {"t": "set", "p": "payload.topic", "pt": "msg", "to": "topic", "tot": "msg"},
            {"t": "set", "p": "payload.orig.changed", "pt": "msg", "to": "yes", "tot": "str"},
            {"t": "set", "p": "payload.none", "pt": "msg", "to": "payload.nothing", "tot": "msg"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("room/1"),
        inputs: &[r#"{"orig":{"a":[1,{"b":2}]},"none":1}"#, r#"{"orig":5}"#],
        outputs: 2,
    },
    // Flow context outlives a message: each message carries what the one
    // before it left there, and global context likewise. (One node reads
    // and writes: Node-RED delivers between nodes asynchronously, so with
    // two, a message could be read before the one ahead of it was
    // written.) A `change` rule on a context value that is neither text
    // nor the number or boolean it looks for (here the number 2) drops the
    // message in Node-RED, which never calls back: the second message
    // goes no further.
    Case {
        name: "change-flow-context",
        nodes: r#"[{"id": "memory", "type": "change", "rules": [
            {"t": "set", "p": "payload.previous", "pt": "msg", "to": "last", "tot": "flow"},
            {"t": "set", "p": "payload.count", "pt": "msg", "to": "seen.count", "tot": "global"},
            {"t": "set", "p": "last", "pt": "flow", "to": "payload.v", "tot": "msg"},
            {"t": "set", "p": "seen.count", "pt": "global", "to": "payload.v", "tot": "msg"},
            {"t": "change", "p": "last", "pt": "flow", "from": "a", "fromt": "str", "to": "A", "tot": "str"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[r#"{"v":"first a"}"#, r#"{"v":2}"#, r#"{"v":"x"}"#],
        outputs: 2,
    },
    // A change node sets flow and global context, and a switch compares
    // with it: values read when each message arrives, a key deleted (a
    // missing `msg.payload.limit`) read as undefined, text and numbers
    // compared as JavaScript does.
    Case {
        name: "switch-context-values",
        nodes: r#"[{"id": "remember", "type": "change", "rules": [
            {"t": "set", "p": "limit", "pt": "flow", "to": "payload.limit", "tot": "msg"},
            {"t": "set", "p": "mode", "pt": "global", "to": "payload.mode", "tot": "msg"}
          ], "wires": [["s"]]},
          {"id": "s", "type": "switch", "property": "payload.v", "rules": [
            {"t": "lt", "v": "limit", "vt": "flow"},
            {"t": "eq", "v": "mode", "vt": "global"},
            {"t": "btwn", "v": "limit", "vt": "flow", "v2": "mode", "v2t": "global"},
            {"t": "else"}
          ], "checkall": "true", "outputs": 4, "wires": [["out0"], ["out1"], ["out2"], ["out3"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"v":3,"limit":5,"mode":3}"#,
            r#"{"v":7,"limit":5,"mode":"7"}"#,
            r#"{"v":1}"#,
            r#"{"v":6,"limit":10,"mode":4}"#,
            r#"{"v":"x","limit":"y","mode":"x"}"#,
        ],
        outputs: 11,
    },
    // A switch on a flow value (`propertyType` flow), with `prev`: the
    // value a change node set just before.
    Case {
        name: "switch-on-context",
        nodes: r#"[{"id": "remember", "type": "change", "rules": [
            {"t": "set", "p": "level", "pt": "flow", "to": "payload", "tot": "msg"}
          ], "wires": [["s"]]},
          {"id": "s", "type": "switch", "property": "level", "propertyType": "flow", "rules": [
            {"t": "gt", "v": "5", "vt": "num"},
            {"t": "eq", "v": "never", "vt": "global"},
            {"t": "eq", "v": "", "vt": "prev"},
            {"t": "else"}
          ], "checkall": "true", "outputs": 4, "wires": [["out0"], ["out1"], ["out2"], ["out3"]]}]"#,
        topic: Some("t"),
        inputs: &["7", "3", "3", r#"{"a":1}"#, r#""9""#],
        outputs: 5,
    },
    // A trigger sends a flow value first and a global value second, each
    // read when it leaves, both set by a change node before it.
    Case {
        name: "trigger-context",
        nodes: r#"[{"id": "remember", "type": "change", "rules": [
            {"t": "set", "p": "level", "pt": "flow", "to": "payload", "tot": "msg"},
            {"t": "set", "p": "last", "pt": "global", "to": "topic", "tot": "msg"}
          ], "wires": [["trig"]]},
          {"id": "trig", "type": "trigger", "op1": "level", "op1type": "flow", "op2": "last", "op2type": "global",
           "duration": "100", "units": "ms", "extend": false, "bytopic": "all", "outputs": 1, "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""a""#, r#""b""#, "3"],
        outputs: 6,
    },
    // A change node writes one key to two named flow stores, a named
    // global store and the default flow store, each its own value; a change
    // node and a template read each back (the template through `flow[name]`
    // and the default through `#:(default)::` and `#:(memory)::`, which the
    // Node-RED here, with `default` configured first, falls back to).
    Case {
        name: "context-named-stores",
        nodes: r##"[{"id": "put", "type": "change", "rules": [
            {"t": "set", "p": "#:(memory1)::k", "pt": "flow", "to": "payload.a", "tot": "msg"},
            {"t": "set", "p": "#:(memory2)::k", "pt": "flow", "to": "payload.b", "tot": "msg"},
            {"t": "set", "p": "#:(memory1)::k", "pt": "global", "to": "payload.c", "tot": "msg"},
            {"t": "set", "p": "k", "pt": "flow", "to": "payload.d", "tot": "msg"}
          ], "wires": [["get"]]},
          {"id": "get", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "{}", "tot": "json"},
            {"t": "set", "p": "payload.one", "pt": "msg", "to": "#:(memory1)::k", "tot": "flow"},
            {"t": "set", "p": "payload.two", "pt": "msg", "to": "#:(memory2)::k", "tot": "flow"},
            {"t": "set", "p": "payload.global", "pt": "msg", "to": "#:(memory1)::k", "tot": "global"},
            {"t": "set", "p": "payload.plain", "pt": "msg", "to": "k", "tot": "flow"},
            {"t": "set", "p": "payload.named_default", "pt": "msg", "to": "#:(default)::k", "tot": "flow"},
            {"t": "set", "p": "payload.memory", "pt": "msg", "to": "#:(memory)::k", "tot": "flow"}
          ], "wires": [["out0", "text"]]},
          {"id": "text", "type": "template", "field": "payload", "fieldType": "msg", "syntax": "mustache", "output": "str",
           "template": "{{flow[memory1].k}}/{{flow[memory2].k}}/{{global[memory1].k}}/{{flow.k}}", "wires": [["out1"]]}]"##,
        topic: Some("t"),
        inputs: &[
            r#"{"a": 1, "b": "x", "c": true, "d": "p"}"#,
            r#"{"a": 2, "b": "y", "c": false, "d": "q"}"#,
        ],
        outputs: 4,
    },
    // A trigger sends a Buffer first (`bin`: `Buffer.from([104, 105, 300])`,
    // each item cut to a byte) and an `env` value second, Node-RED's
    // variables of the node itself inside text; a second input while it
    // waits is dropped.
    Case {
        name: "trigger-bin-env",
        nodes: r#"[{"id": "bytes", "type": "trigger", "name": "pulse", "op1": "[104, 105, 300]", "op1type": "bin",
           "op2": "${NR_NODE_NAME} ${NR_NODE_ID}", "op2type": "env",
           "duration": "50", "units": "ms", "extend": false, "bytopic": "all", "outputs": 1, "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""go""#, r#""again""#],
        outputs: 2,
    },
    // A trigger sends the time as `toISOString` text first and second.
    // The times differ from side to side, so a switch compares their
    // shape (`YYYY-MM-DDTHH:mm:ss.sssZ`, and today's year on both sides
    // being the same is not asked): what matches becomes the same text.
    Case {
        name: "trigger-iso",
        nodes: r#"[{"id": "when", "type": "trigger", "op1": "iso", "op1type": "date", "op2": "iso", "op2type": "date",
           "duration": "20", "units": "ms", "extend": false, "bytopic": "all", "outputs": 1, "wires": [["shape"]]},
          {"id": "shape", "type": "switch", "property": "payload", "propertyType": "msg", "rules": [
            {"t": "regex", "v": "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\dZ$", "vt": "str", "case": false},
            {"t": "else"}
          ], "checkall": "false", "outputs": 2, "wires": [["iso"], ["out1"]]},
          {"id": "iso", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "an ISO date", "tot": "str"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""go""#],
        outputs: 2,
    },
    // A trigger's `{{mustache}}` payloads, rendered against the message
    // that triggers it: the first HTML-escaped, the second raw and made
    // when the node is triggered, which an extending message keeps.
    Case {
        name: "trigger-mustache",
        nodes: r#"[{"id": "say", "type": "trigger", "op1": "{{payload}} on {{topic}}", "op1type": "str",
           "op2": "{{{payload}}}{{#topic}}!{{/topic}}", "op2type": "val",
           "duration": "60", "units": "ms", "extend": true, "bytopic": "all", "outputs": 1, "wires": [["out0"]]}]"#,
        topic: Some("<t>"),
        inputs: &[r#""a&b""#, r#""later""#],
        outputs: 2,
    },
    // A template renders into flow context (`fieldType`), and another
    // reads it and a global value a change node sets: names looked up in
    // context where the message has none, HTML-escaped, in sections.
    Case {
        name: "template-context",
        nodes: r#"[{"id": "remember", "type": "change", "rules": [
            {"t": "set", "p": "count", "pt": "global", "to": "payload.n", "tot": "msg"}
          ], "wires": [["greet"]]},
          {"id": "greet", "type": "template", "field": "greeting", "fieldType": "flow", "template": "hi {{payload.name}}", "wires": [["show"]]},
          {"id": "show", "type": "template", "field": "payload",
           "template": "{{flow.greeting}} ({{global.count}}){{#flow.greeting}}!{{/flow.greeting}}{{^global.count}} none{{/global.count}}",
           "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[r#"{"name":"a","n":2}"#, r#"{"name":"<b>"}"#, r#"{"n":0}"#],
        outputs: 3,
    },
    // switch
    Case {
        name: "switch-eq-types",
        nodes: r#"[{"id": "s", "type": "switch", "property": "payload", "propertyType": "msg", "rules": [
            {"t": "eq", "v": "5", "vt": "str"},
            {"t": "eq", "v": "5", "vt": "num"},
            {"t": "else"}
          ], "checkall": "true", "outputs": 3, "wires": [["out0"], ["out1"], ["out2"]]}]"#,
        topic: Some("t"),
        inputs: &["5", r#""5""#, r#""05""#, "5.0", "6", "true", "null", "[5]"],
        outputs: 12,
    },
    Case {
        name: "switch-order",
        nodes: r#"[{"id": "s", "type": "switch", "property": "payload", "rules": [
            {"t": "lt", "v": "10", "vt": "num"},
            {"t": "gte", "v": "10", "vt": "num"},
            {"t": "lte", "v": "b", "vt": "str"},
            {"t": "gt", "v": "", "vt": "str"}
          ], "checkall": "true", "outputs": 4, "wires": [["out0"], ["out1"], ["out2"], ["out3"]]}]"#,
        topic: Some("t"),
        inputs: &[
            "9", r#""9""#, r#""10""#, r#""abc""#, "10.5", "[]", "true", "null", r#""""#,
        ],
        outputs: 19,
    },
    // A switch that repairs sequences: two sequences held side by side
    // (the count of "a" known from its first message, not its second), a
    // message whose `msg.parts` has no index passing at once; once
    // complete, each port's messages leave as a sequence of their own.
    Case {
        name: "switch-repair",
        nodes: switch_on_sequences!(
            r#"{"id": "s", "type": "switch", "property": "payload.v", "rules": [
                {"t": "gt", "v": "0", "vt": "num"},
                {"t": "lt", "v": "0", "vt": "num"},
                {"t": "else"}
              ], "checkall": "true", "repair": true, "outputs": 3, "wires": [["show0"], ["show1"], ["show2"]]}"#,
            "0",
            "1",
            "2"
        ),
        topic: Some("t"),
        inputs: &[
            r#"{"v":1,"p":{"id":"a","index":0,"count":5}}"#,
            r#"{"v":-2,"p":{"id":"a","index":1}}"#,
            r#"{"v":7,"p":{"id":"c"}}"#,
            r#"{"v":2,"p":{"id":"b","index":0,"count":2}}"#,
            r#"{"v":2,"p":{"id":"a","index":2,"count":5}}"#,
            r#"{"v":0,"p":{"id":"a","index":3,"count":5}}"#,
            r#"{"v":-5,"p":{"id":"b","index":1,"count":2}}"#,
            r#"{"v":-1,"p":{"id":"a","index":4,"count":5}}"#,
        ],
        outputs: 8,
    },
    // A `tail` rule without repair holds a sequence for its count too,
    // then sends its messages as they came, each with the count; a
    // message of no sequence overtakes them.
    Case {
        name: "switch-tail",
        nodes: switch_on_sequences!(
            r#"{"id": "s", "type": "switch", "property": "payload.v", "rules": [
                {"t": "tail", "v": "1", "vt": "num"},
                {"t": "else"}
              ], "checkall": "true", "repair": false, "outputs": 2, "wires": [["show0"], ["show1"]]}"#,
            "0",
            "1"
        ),
        topic: Some("t"),
        inputs: &[
            r#"{"v":1,"p":{"id":"a","index":0}}"#,
            r#"{"v":2,"p":{"id":"x"}}"#,
            r#"{"v":3,"p":{"id":"a","index":1,"count":2}}"#,
        ],
        outputs: 3,
    },
    // A rule that throws while a sequence held for a `tail` rule is
    // released: catch nodes get the failing message (with its count),
    // before the next message of the sequence goes through the rules.
    Case {
        name: "switch-tail-error",
        nodes: r#"[{"id": "seq", "type": "change", "rules": [
            {"t": "move", "p": "payload.p", "pt": "msg", "to": "parts", "tot": "msg"}
          ], "wires": [["s"]]},
          {"id": "s", "type": "switch", "property": "payload.v", "rules": [
            {"t": "eq", "v": "x", "vt": "str"},
            {"t": "tail", "v": "1", "vt": "num"}
          ], "checkall": "true", "repair": false, "outputs": 2, "wires": [["out0"], ["out1"]]},
          {"id": "c", "type": "catch", "name": "", "scope": ["s"], "uncaught": false, "wires": [["out2"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"v":"x","n":0,"p":{"id":"a","index":0}}"#,
            r#"{"v":{"toString":1},"n":1,"p":{"id":"a","index":1}}"#,
            r#"{"v":"x","n":2,"p":{"id":"a","index":2,"count":3}}"#,
        ],
        outputs: 4,
    },
    // JavaScript's `<=` and `>=` with null, which reads as 0 there.
    Case {
        name: "switch-null-order",
        nodes: r#"[{"id": "s", "type": "switch", "property": "payload.v", "rules": [
            {"t": "lte", "v": "0", "vt": "num"},
            {"t": "gte", "v": "0", "vt": "num"},
            {"t": "lte", "v": "", "vt": "str"},
            {"t": "gte", "v": "abc", "vt": "str"}
          ], "checkall": "true", "outputs": 4, "wires": [["out0"], ["out1"], ["out2"], ["out3"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"v":null}"#,
            r#"{"v":""}"#,
            r#"{"v":"abc"}"#,
            r#"{"v":"abd"}"#,
            r#"{"v":false}"#,
        ],
        outputs: 11,
    },
    Case {
        name: "switch-first-match",
        nodes: r#"[{"id": "s", "type": "switch", "property": "payload", "rules": [
            {"t": "gt", "v": "5", "vt": "num"},
            {"t": "gt", "v": "0", "vt": "num"},
            {"t": "else"}
          ], "checkall": "false", "outputs": 3, "wires": [["out0"], ["out1"], ["out2"]]}]"#,
        topic: Some("t"),
        inputs: &["7", "3", "-1", r#""6""#],
        outputs: 4,
    },
    Case {
        name: "switch-nested-property",
        nodes: r#"[{"id": "s", "type": "switch", "property": "payload.level", "rules": [
            {"t": "gte", "v": "3", "vt": "num"},
            {"t": "neq", "v": "0", "vt": "num"},
            {"t": "else"}
          ], "checkall": "true", "outputs": 3, "wires": [["out0"], ["out1"], ["out2"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"level":5}"#,
            r#"{"level":"4"}"#,
            r#"{"level":0}"#,
            "{}",
            r#"{"level":null}"#,
            "2",
        ],
        outputs: 8,
    },
    Case {
        name: "switch-on-topic",
        nodes: r#"[{"id": "s", "type": "switch", "property": "topic", "rules": [
            {"t": "eq", "v": "alarm", "vt": "str"},
            {"t": "else"}
          ], "checkall": "true", "outputs": 2, "wires": [["out0"], ["out1"]]}]"#,
        topic: Some("alarm"),
        inputs: &["1", r#""x""#],
        outputs: 2,
    },
    Case {
        name: "switch-missing-topic",
        nodes: r#"[{"id": "s", "type": "switch", "property": "topic", "rules": [
            {"t": "eq", "v": "", "vt": "str"},
            {"t": "neq", "v": "alarm", "vt": "str"},
            {"t": "else"}
          ], "checkall": "true", "outputs": 3, "wires": [["out0"], ["out1"], ["out2"]]}]"#,
        topic: None,
        inputs: &["1"],
        outputs: 1,
    },
    // range
    Case {
        name: "range-scale",
        nodes: r#"[{"id": "r", "type": "range", "minin": "0", "maxin": "10", "minout": "0", "maxout": "100",
            "action": "scale", "round": false, "property": "payload", "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            "5", r#""5""#, "-5", "15", r#""abc""#, "2.5", r#""""#, "true", "null", "0.1", "[3]",
        ],
        outputs: 10,
    },
    Case {
        name: "range-scale-types",
        nodes: r#"[{"id": "r", "type": "range", "minin": "0", "maxin": "1", "minout": "0", "maxout": "3",
            "action": "scale", "round": false, "property": "payload.v", "wires": [["out0"]]}]"#,
        topic: None,
        inputs: &[
            r#"{"v":"0.1"}"#,
            r#"{"v":" 0x1 "}"#,
            r#"{"v":false}"#,
            r#"{"v":"1e-7"}"#,
            r#"{"w":1}"#,
            r#"{"v":[]}"#,
            r#"{"v":{}}"#,
        ],
        outputs: 6,
    },
    Case {
        name: "range-clamp-round",
        nodes: r#"[{"id": "r", "type": "range", "minin": "0", "maxin": "1023", "minout": "0", "maxout": "100",
            "action": "clamp", "round": true, "property": "payload", "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &["511", "1023", "2000", "-3", "5.115", r#""767.25""#],
        outputs: 6,
    },
    Case {
        name: "range-roll",
        nodes: r#"[{"id": "r", "type": "range", "minin": "0", "maxin": "10", "minout": "0", "maxout": "360",
            "action": "roll", "round": false, "property": "payload", "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &["12", "-1", "25", "10", "-10.5"],
        outputs: 5,
    },
    Case {
        name: "range-drop",
        nodes: r#"[{"id": "r", "type": "range", "minin": "10", "maxin": "0", "minout": "-1", "maxout": "1",
            "action": "drop", "round": false, "property": "payload", "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &["5", "11", "-1", "0", "10", r#""7.5""#],
        outputs: 4,
    },
    // catch: what a catch node is given when a json node fails, seen
    // through change nodes that make `msg.error.source` and `msg._error`
    // the payload (`msg.error.message` in `catch-json-text`). Only failing
    // inputs: Node-RED hands an error to catch nodes
    // later than a message sent on, so a good input after a bad one may
    // overtake its error; a device calls the catch node at once.
    Case {
        name: "catch-json",
        nodes: r#"[{"id": "e", "type": "change", "rules": [
            {"t": "set", "p": "error", "pt": "msg", "to": "earlier", "tot": "str"}
          ], "wires": [["j"]]},
          {"id": "j", "type": "json", "name": "parse", "property": "payload", "action": "", "pretty": false, "wires": [["out0"]]},
          {"id": "c", "type": "catch", "name": "", "scope": ["j"], "uncaught": false, "wires": [["s", "p"]]},
          {"id": "s", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "error.source", "tot": "msg"}
          ], "wires": [["out1"]]},
          {"id": "p", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "_error", "tot": "msg"}
          ], "wires": [["out2"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""{bad""#, r#""not json""#],
        outputs: 4,
    },
    // `msg.error.message` of a json node's error: V8's words for
    // `JSON.parse`'s error, in its forms (a position, an unexpected token
    // with the whole text or an excerpt of a long one, a text V8 names).
    Case {
        name: "catch-json-text",
        nodes: r#"[{"id": "j", "type": "json", "name": "parse", "property": "payload", "action": "", "pretty": false, "wires": [["out0"]]},
          {"id": "c", "type": "catch", "name": "", "scope": ["j"], "uncaught": false, "wires": [["m"]]},
          {"id": "m", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "error.message", "tot": "msg"}
          ], "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#""{bad""#,
            r#""not json""#,
            r#""[1,]""#,
            r#""{\"a\":1""#,
            r#""01""#,
            r#""\"\\x\"""#,
            r#""\"tab\there\"""#,
            r#""{\"key\": \"value\", \"k2\": bad, \"k3\": 1234567890}""#,
            r#""[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, x]""#,
            r#""[é]""#,
            r#""1 2""#,
            r#""undefined""#,
            r#""""#,
        ],
        outputs: 13,
    },
    // A json node checking against `msg.schema`, which a change node sets:
    // values that hold go on converted; a catch node
    // is given those that do not, with Ajv's errors in `msg.schemaError`,
    // Node-RED's text in `msg.error.message`, and the payload as the json
    // node left it (parsed when it was text). Failing inputs last (see
    // catch-json); each error's text within the 128 bytes a device's error
    // text holds.
    Case {
        name: "json-schema",
        nodes: r#"[{"id": "sch", "type": "change", "rules": [
            {"t": "set", "p": "schema", "pt": "msg", "to": "{\"type\":\"object\",\"required\":[\"n\"],\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":0,\"exclusiveMaximum\":10},\"s\":{\"type\":\"string\",\"maxLength\":3},\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\"]},\"maxItems\":2}},\"additionalProperties\":false}", "tot": "json"}
          ], "wires": [["j"]]},
          {"id": "j", "type": "json", "name": "check", "property": "payload", "action": "", "pretty": false, "wires": [["out0"]]},
          {"id": "c", "type": "catch", "name": "", "scope": ["j"], "uncaught": false, "wires": [["e", "m", "p"]]},
          {"id": "e", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "schemaError", "tot": "msg"}
          ], "wires": [["out1"]]},
          {"id": "m", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "error.message", "tot": "msg"}
          ], "wires": [["out2"]]},
          {"id": "p", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "payload", "tot": "msg"}
          ], "wires": [["out3"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"n":1,"s":"abc"}"#,
            r#""{\"n\":0,\"tags\":[\"a\",\"b\"]}""#,
            r#"{"n":10,"s":"😀😀😀😀","tags":["a","b","a"]}"#,
            r#""{\"s\":3,\"n\":1.5,\"x\":null}""#,
            r#"{"n":1,"tags":["c"]}"#,
            r#"[1,2]"#,
            r#""\"text\"""#,
        ],
        outputs: 17,
    },
    // A switch node's rules that throw a `TypeError` in Node-RED: `hask`
    // on an object with its own `hasOwnProperty`, and `head` on a message
    // outside a sequence (no `msg.parts`). Catch nodes get the error's
    // `toString()` in V8's words.
    Case {
        name: "catch-switch-type-error",
        nodes: r#"[{"id": "w", "type": "switch", "name": "route", "property": "payload", "propertyType": "msg", "rules": [
            {"t": "hask", "v": "a", "vt": "str"}, {"t": "head", "v": "3", "vt": "num"}
          ], "checkall": "true", "repair": false, "outputs": 2, "wires": [["out0"], ["out0"]]},
          {"id": "c", "type": "catch", "name": "", "scope": ["w"], "uncaught": false, "wires": [["m"]]},
          {"id": "m", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "error.message", "tot": "msg"}
          ], "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &["1", r#"{"hasOwnProperty":1,"a":2}"#],
        outputs: 2,
    },
    // A switch node's rules on an object whose own `toString` hides its
    // prototype's: JavaScript cannot make it text or a number ("Cannot
    // convert object to primitive value"), nor an array holding one; an own
    // `valueOf` alone is passed over.
    Case {
        name: "catch-switch-no-primitive",
        nodes: r#"[{"id": "w", "type": "switch", "name": "", "property": "payload", "propertyType": "msg", "rules": [
            {"t": "cont", "v": "a", "vt": "str"}, {"t": "lt", "v": "3", "vt": "num"}
          ], "checkall": "true", "repair": false, "outputs": 2, "wires": [["out0"], ["out0"]]},
          {"id": "c", "type": "catch", "name": "", "scope": ["w"], "uncaught": false, "wires": [["m"]]},
          {"id": "m", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "error.message", "tot": "msg"}
          ], "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"toString":1}"#,
            r#"[1,[null,{"toString":"x"}]]"#,
            r#"{"valueOf":1,"a":1}"#,
        ],
        outputs: 2,
    },
    // An `mqtt in` node with the `json` datatype given a payload that does
    // not parse (the harness's own input node, "in"): its catch node gets
    // Node-RED's fixed text, the source, and the message MQTT carried
    // (`qos`). Each change node gives the message the case's topic, as the
    // input's topic differs between the sides.
    Case {
        name: "catch-mqtt-json",
        nodes: r#"[{"id": "sink", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "ignored", "tot": "str"}
          ], "wires": [[]]},
          {"id": "c", "type": "catch", "name": "", "scope": ["in"], "uncaught": false, "wires": [["m", "s", "q"]]},
          {"id": "m", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "error.message", "tot": "msg"},
            {"t": "set", "p": "topic", "pt": "msg", "to": "t", "tot": "str"}
          ], "wires": [["out0"]]},
          {"id": "s", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "error.source", "tot": "msg"},
            {"t": "set", "p": "topic", "pt": "msg", "to": "t", "tot": "str"}
          ], "wires": [["out1"]]},
          {"id": "q", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "qos", "tot": "msg"},
            {"t": "set", "p": "topic", "pt": "msg", "to": "t", "tot": "str"}
          ], "wires": [["out2"]]}]"#,
        topic: Some("t"),
        inputs: &["{bad", "[1,]"],
        outputs: 6,
    },
    // An error inside a subflow instance that no catch node inside takes
    // goes to the catch node around the instance, whose scope names the
    // instance; `msg.error.source` is the copy inside (`INSTANCE-NODE`),
    // and `msg.error.message` the `toString()` of `lib/csv`'s error, class
    // and message, on both sides.
    Case {
        name: "catch-subflow",
        nodes: r#"[{"id": "i", "type": "subflow:sf", "x": 100, "y": 40, "wires": [["out0"]]},
          {"id": "sf", "type": "subflow", "name": "reader",
            "in": [{"x": 0, "y": 0, "wires": [{"id": "k"}]}],
            "out": [{"x": 0, "y": 0, "wires": [{"id": "k", "port": 0}]}]},
          {"id": "k", "type": "csv", "z": "sf", "x": 100, "y": 40, "name": "inner", "spec": "rfc", "sep": ",",
            "hdrin": true, "hdrout": "none", "multi": "one", "ret": "\\n", "temp": "", "skip": "0",
            "strings": true, "include_empty_strings": false, "include_null_values": false, "wires": [[]]},
          {"id": "c", "type": "catch", "name": "", "scope": ["i"], "uncaught": false, "wires": [["m", "s"]]},
          {"id": "m", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "error.message", "tot": "msg"}
          ], "wires": [["out1"]]},
          {"id": "s", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "error.source", "tot": "msg"}
          ], "wires": [["out2"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""a\"b,c\n1,2\n""#],
        outputs: 2,
    },
    // A csv node writing CSV from rows, one of them `null`: Node-RED's
    // code reads the template's column of it and V8 throws; the catch
    // node gets the `TypeError`'s `toString()` on both sides.
    Case {
        name: "catch-csv-type-error",
        nodes: r#"[{"id": "k", "type": "csv", "name": "", "spec": "rfc", "sep": ",", "temp": "a", "multi": "one",
            "strings": true, "hdrin": "", "hdrout": "none", "ret": "\\n", "skip": "0",
            "include_empty_strings": "", "include_null_values": "", "wires": [["out0"]]},
          {"id": "c", "type": "catch", "name": "", "scope": ["k"], "uncaught": false, "wires": [["m"]]},
          {"id": "m", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "error.message", "tot": "msg"}
          ], "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &[r#"[{"a":1}]"#, r#"[{"a":1},null]"#, "null"],
        outputs: 3,
    },
    // A range node given no number only logs it, in Node-RED as on a
    // device: its catch node gets nothing.
    Case {
        name: "catch-range",
        nodes: r#"[{"id": "r", "type": "range", "minin": "0", "maxin": "10", "minout": "0", "maxout": "100",
            "action": "scale", "round": false, "property": "payload", "wires": [["out0"]]},
          {"id": "c", "type": "catch", "name": "", "scope": ["r"], "uncaught": false, "wires": [["s"]]},
          {"id": "s", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "error.source", "tot": "msg"}
          ], "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""abc""#, "5"],
        outputs: 1,
    },
    // A catch node wired back to the node that failed: the message is
    // caught nine times, its `msg.error.source.count` going up, and the
    // tenth error is dropped. The catch node's call closes a loop, so it
    // goes through the loop queue a round at a time, and the counts leave
    // in order whichever receiver is wired first (`catch-loop-json-first`).
    // No topic: nine messages at once fit the device's outbox, eighteen
    // would not.
    Case {
        name: "catch-loop",
        nodes: r#"[{"id": "j", "type": "json", "name": "parse", "property": "payload", "action": "", "pretty": false, "wires": [[]]},
          {"id": "c", "type": "catch", "name": "", "scope": ["j"], "uncaught": false, "wires": [["s", "j"]]},
          {"id": "s", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "error.source.count", "tot": "msg"}
          ], "wires": [["out0"]]}]"#,
        topic: None,
        inputs: &[r#""{bad""#],
        outputs: 9,
    },
    Case {
        name: "catch-loop-json-first",
        nodes: r#"[{"id": "j", "type": "json", "name": "parse", "property": "payload", "action": "", "pretty": false, "wires": [[]]},
          {"id": "c", "type": "catch", "name": "", "scope": ["j"], "uncaught": false, "wires": [["j", "s"]]},
          {"id": "s", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "error.source.count", "tot": "msg"}
          ], "wires": [["out0"]]}]"#,
        topic: None,
        inputs: &[r#""{bad""#],
        outputs: 9,
    },
    // Two json nodes failing in turn on what each one's catch node sends
    // to the other: the count of catches starts again at each, so only
    // the switch ends the loop, once a change node has put five `x`s
    // before the text. Each round's text leaves as it goes round.
    Case {
        name: "catch-loop-in-turns",
        nodes: r#"[{"id": "a", "type": "json", "name": "first", "property": "payload", "action": "", "pretty": false, "wires": [[]]},
          {"id": "b", "type": "json", "name": "second", "property": "payload", "action": "", "pretty": false, "wires": [[]]},
          {"id": "ca", "type": "catch", "name": "", "scope": ["a"], "uncaught": false, "wires": [["grow"]]},
          {"id": "grow", "type": "change", "rules": [
            {"t": "change", "p": "payload", "pt": "msg", "from": "s", "fromt": "str", "to": "xs", "tot": "str"}
          ], "wires": [["out0", "enough"]]},
          {"id": "enough", "type": "switch", "property": "payload", "rules": [{"t": "regex", "v": "^x{5}", "vt": "str", "case": false}, {"t": "else"}],
            "checkall": "false", "outputs": 2, "wires": [["out1"], ["b"]]},
          {"id": "cb", "type": "catch", "name": "", "scope": ["b"], "uncaught": false, "wires": [["a"]]}]"#,
        topic: None,
        inputs: &[r#""s{bad""#],
        outputs: 6,
    },
    // A status node whose chain makes the debug node it watches show a
    // status again, a change node putting an `x` before the text each
    // round, until a switch ends the loop at five. The change node
    // removes `msg.status`, or the debug node would take the message for
    // its own status and show nothing (`21-debug.js`).
    Case {
        name: "status-loop",
        nodes: r#"[{"id": "d", "type": "debug", "name": "shown", "active": true, "tosidebar": false, "console": false,
            "tostatus": true, "complete": "payload", "targetType": "msg", "statusVal": "", "statusType": "auto", "wires": []},
          {"id": "s", "type": "status", "name": "", "scope": ["d"], "wires": [["grow"]]},
          {"id": "grow", "type": "change", "rules": [
            {"t": "move", "p": "status.text", "pt": "msg", "to": "payload", "tot": "msg"},
            {"t": "delete", "p": "status", "pt": "msg"},
            {"t": "change", "p": "payload", "pt": "msg", "from": "s", "fromt": "str", "to": "xs", "tot": "str"}
          ], "wires": [["out0", "enough"]]},
          {"id": "enough", "type": "switch", "property": "payload", "rules": [{"t": "regex", "v": "^x{5}", "vt": "str", "case": false}, {"t": "else"}],
            "checkall": "false", "outputs": 2, "wires": [[], ["d"]]}]"#,
        topic: None,
        inputs: &[r#""s""#],
        outputs: 5,
    },
    // A debug node showing its status, watched by a status node whose
    // message's `msg.status` a change node makes the payload: the same
    // fill, shape and text, cut at 32 characters, a repeated status not
    // sent again, and the source.
    Case {
        name: "status-debug",
        nodes: r#"[{"id": "d", "type": "debug", "name": "shown", "active": true, "tosidebar": false, "console": false,
            "tostatus": true, "complete": "payload", "targetType": "msg", "statusVal": "", "statusType": "auto", "wires": []},
          {"id": "s", "type": "status", "name": "", "scope": ["d"], "wires": [["c"]]},
          {"id": "c", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "status", "tot": "msg"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#""hello""#,
            r#""hello""#,
            r#""a text longer than thirty-two characters""#,
            "42",
            "null",
            r#"{"fill":"red","shape":"ring","text":"own"}"#,
        ],
        outputs: 5,
    },
    // A trigger node's blue dot while it waits, and its clear status once
    // its time is up.
    Case {
        name: "status-trigger",
        nodes: r#"[{"id": "t", "type": "trigger", "name": "wait", "op1": "1", "op2": "0", "op1type": "num", "op2type": "num",
            "duration": "200", "extend": false, "overrideDelay": false, "units": "ms", "reset": "", "bytopic": "all",
            "topic": "topic", "outputs": 1, "wires": [[]]},
          {"id": "s", "type": "status", "name": "", "scope": ["t"], "wires": [["c"]]},
          {"id": "c", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "status", "tot": "msg"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &["1"],
        outputs: 2,
    },
    // The same of a trigger node with no `name`: the status's source has
    // no `name` either.
    Case {
        name: "status-trigger-nameless",
        nodes: r#"[{"id": "t", "type": "trigger", "op1": "1", "op2": "0", "op1type": "num", "op2type": "num",
            "duration": "200", "extend": false, "overrideDelay": false, "units": "ms", "reset": "", "bytopic": "all",
            "topic": "topic", "outputs": 1, "wires": [[]]},
          {"id": "s", "type": "status", "name": "", "scope": ["t"], "wires": [["c"]]},
          {"id": "c", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "status", "tot": "msg"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &["1"],
        outputs: 2,
    },
    // A subflow's status port: what its nodes send it sets the status of
    // the instance, which the status node around the instance receives
    // with the instance as its source. `c` sends the message as it is (a
    // string, a status object, other values Node-RED shows with
    // `util.inspect`), `m` with the payload moved to `msg.status` (whose
    // `common.` text Node-RED makes its catalogue key; an array is the
    // status as it is; a string or number in `msg.status`, or a number
    // text, makes Node-RED throw, and no status comes of it).
    Case {
        name: "subflow-status",
        nodes: r#"[{"id": "i", "type": "subflow:sfs", "name": "inst", "x": 100, "y": 40, "wires": [["out0"]]},
          {"id": "sfs", "type": "subflow", "name": "shows",
            "in": [{"x": 0, "y": 0, "wires": [{"id": "c"}, {"id": "m"}]}],
            "out": [{"x": 0, "y": 0, "wires": [{"id": "c", "port": 0}]}],
            "status": {"x": 0, "y": 0, "wires": [{"id": "c", "port": 0}, {"id": "m", "port": 0}]}},
          {"id": "c", "type": "change", "z": "sfs", "x": 100, "y": 40, "rules": [], "wires": [[]]},
          {"id": "m", "type": "change", "z": "sfs", "x": 100, "y": 80, "rules": [
            {"t": "move", "p": "payload", "pt": "msg", "to": "status", "tot": "msg"}
          ], "wires": [[]]},
          {"id": "s", "type": "status", "name": "", "scope": ["i"], "wires": [["t"]]},
          {"id": "t", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "status", "tot": "msg"}
          ], "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#""busy""#,
            r#"{"text":"common.status.connected","fill":"green","shape":"dot"}"#,
            r#"{"text":7}"#,
            "5",
            "{}",
            r#"{"a":1,"b's":"x"}"#,
            "[1,2]",
        ],
        outputs: 18,
    },
    // A trigger inside a subflow without a status port: its status passes
    // out of the instance to the status node that lists the instance,
    // with the trigger's copy as its source.
    Case {
        name: "subflow-status-inner",
        nodes: r#"[{"id": "j", "type": "subflow:sft", "x": 100, "y": 40, "wires": []},
          {"id": "sft", "type": "subflow", "name": "waits",
            "in": [{"x": 0, "y": 0, "wires": [{"id": "w"}]}], "out": []},
          {"id": "w", "type": "trigger", "z": "sft", "x": 100, "y": 40, "name": "wait", "op1": "1", "op2": "0",
            "op1type": "num", "op2type": "num", "duration": "200", "extend": false, "overrideDelay": false,
            "units": "ms", "reset": "", "bytopic": "all", "topic": "topic", "outputs": 1, "wires": [[]]},
          {"id": "s", "type": "status", "name": "", "scope": ["j"], "wires": [["c"]]},
          {"id": "c", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "status", "tot": "msg"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &["1"],
        outputs: 2,
    },
    // A delay node in `delayv` mode: how many wait once a message comes,
    // then, when it leaves, a clear status and how many still wait.
    Case {
        name: "status-delay",
        nodes: r#"[{"id": "h", "type": "delay", "name": "hold", "pauseType": "delayv", "timeout": "100", "timeoutUnits": "milliseconds",
            "rate": "1", "nbRateUnits": "1", "rateUnits": "second", "randomFirst": "1", "randomLast": "5", "randomUnits": "seconds",
            "drop": false, "allowrate": false, "outputs": 1, "wires": [[]]},
          {"id": "s", "type": "status", "name": "", "scope": ["h"], "wires": [["c"]]},
          {"id": "c", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "status", "tot": "msg"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &["1"],
        outputs: 3,
    },
    // A delay node limiting the rate to one message every 150 ms (20 per
    // 3 s), its messages on `out1` and its status on `out0`: `reportDepth`
    // reports the queue's depth half a second after the first message
    // (one waits then: the fifth, which leaves at 600 ms), and the next
    // report, half a second after the interval finds the queue empty at
    // 750 ms, falls after the case's end on both sides. Timers differ
    // between the two sides by a few milliseconds; every event here is at
    // least 50 ms from the next, so the order and the count are the same.
    Case {
        name: "status-delay-rate",
        nodes: r#"[{"id": "h", "type": "delay", "name": "limit", "pauseType": "rate", "timeout": "5", "timeoutUnits": "seconds",
            "rate": "20", "nbRateUnits": "3", "rateUnits": "second", "randomFirst": "1", "randomLast": "5", "randomUnits": "seconds",
            "drop": false, "allowrate": false, "outputs": 1, "wires": [["out1"]]},
          {"id": "s", "type": "status", "name": "", "scope": ["h"], "wires": [["c"]]},
          {"id": "c", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "status", "tot": "msg"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &["1", "2", "3", "4", "5"],
        outputs: 6,
    },
    // A random delay (here of exactly 100 ms) whose `timeout` is five
    // seconds: how many wait once a message comes, and after it leaves.
    Case {
        name: "status-delay-random",
        nodes: r#"[{"id": "h", "type": "delay", "name": "wander", "pauseType": "random", "timeout": "5", "timeoutUnits": "seconds",
            "rate": "1", "nbRateUnits": "1", "rateUnits": "second", "randomFirst": "100", "randomLast": "100", "randomUnits": "milliseconds",
            "drop": false, "allowrate": false, "outputs": 1, "wires": [["out1"]]},
          {"id": "s", "type": "status", "name": "", "scope": ["h"], "wires": [["c"]]},
          {"id": "c", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "status", "tot": "msg"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &["1"],
        outputs: 3,
    },
    // A debug node counting (`statusType` "counter"): the first message,
    // long after the node started, is counted at once (a blue ring, "1");
    // the four that follow within 100 ms of each other are counted 200 ms
    // after the last of them ("5").
    Case {
        name: "status-debug-counter",
        nodes: r#"[{"id": "d", "type": "debug", "name": "counted", "active": true, "tosidebar": false, "console": false,
            "tostatus": true, "complete": "payload", "targetType": "msg", "statusVal": "", "statusType": "counter", "wires": []},
          {"id": "s", "type": "status", "name": "", "scope": ["d"], "wires": [["c"]]},
          {"id": "c", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "status", "tot": "msg"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &["1", "2", "3", "4", "5"],
        outputs: 2,
    },
    // A csv node in RFC 4180 mode clears its status at each message, and
    // shows a red dot with Node-RED's text for a payload that is neither
    // text nor an object.
    Case {
        name: "status-csv",
        nodes: r#"[{"id": "v", "type": "csv", "name": "table", "spec": "rfc", "sep": ",", "hdrin": "", "hdrout": "none", "multi": "one",
            "ret": "\n", "temp": "a,b", "skip": "0", "strings": true, "include_empty_strings": "", "include_null_values": "", "wires": [[]]},
          {"id": "s", "type": "status", "name": "", "scope": ["v"], "wires": [["c"]]},
          {"id": "c", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "status", "tot": "msg"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""1,2""#, "5", r#""3,4""#],
        outputs: 4,
    },
    // A status node watching the harness's `mqtt in` node (named "input"):
    // connected, the green dot with Node-RED's i18n key as its text, once
    // the broker accepts the session. Only the green status is let through: Node-RED
    // reports connecting first too, but its `mqtt out` drops what it is
    // given while not connected, where a device keeps it in its outbox.
    // The input goes to a change node that leads nowhere: a status node
    // takes no input.
    Case {
        name: "status-mqtt",
        nodes: r#"[{"id": "sink", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "ignored", "tot": "str"}
          ], "wires": [[]]},
          {"id": "s", "type": "status", "name": "", "scope": ["in"], "wires": [["g"]]},
          {"id": "g", "type": "switch", "property": "status.fill", "propertyType": "msg", "rules": [
            {"t": "eq", "v": "green", "vt": "str"}
          ], "checkall": "true", "repair": false, "outputs": 1, "wires": [["c"]]},
          {"id": "c", "type": "change", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "status", "tot": "msg"}
          ], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &["1"],
        outputs: 1,
    },
    // A complete node watching a change node gets the message as the change
    // node left it (`payload.tag` "c"), not as its receiver changed it
    // ("m"), with `msg.complete.source`; a number, beneath which the
    // change node cannot set `payload.tag`, is sent on and finished with
    // all the same. The complete node watches only `c`: with `m` too, a
    // device would tell it of `m` first, having called `m` within `c`,
    // where Node-RED queues each delivery.
    Case {
        name: "complete-change",
        nodes: r#"[{"id": "c", "type": "change", "name": "step", "rules": [
            {"t": "set", "p": "payload.tag", "pt": "msg", "to": "c", "tot": "str"}
          ], "wires": [["m"]]},
          {"id": "m", "type": "change", "name": "", "rules": [
            {"t": "set", "p": "payload.tag", "pt": "msg", "to": "m", "tot": "str"}
          ], "wires": [["out0"]]},
          {"id": "k", "type": "complete", "name": "", "scope": ["c"], "uncaught": false, "wires": [["s"]]},
          {"id": "s", "type": "change", "name": "", "rules": [
            {"t": "set", "p": "payload.source", "pt": "msg", "to": "complete.source", "tot": "msg"}
          ], "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &[r#"{"n":1}"#, "5", r#"{"n":2}"#],
        outputs: 6,
    },
    // A json node given text that is not JSON calls `done(error)`: its
    // complete node hears only of the text that parsed.
    Case {
        name: "complete-json",
        nodes: r#"[{"id": "j", "type": "json", "name": "parse", "property": "payload", "action": "", "pretty": false, "wires": [["out0"]]},
          {"id": "k", "type": "complete", "name": "", "scope": ["j"], "uncaught": false, "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""[1]""#, r#""{bad""#, r#""{\"a\":2}""#],
        outputs: 4,
    },
    // An inject node's message through a change node that a complete node
    // watches, then to MQTT: the complete node's message follows the
    // change node's. (Watching the inject node too would tell of it last
    // on a device, first in Node-RED.)
    Case {
        name: "complete-inject",
        nodes: r#"[
            {"id": "i", "type": "inject", "props": [{"p": "payload"}], "payload": "{\"n\":7}", "payloadType": "json",
             "once": true, "onceDelay": "0.3", "repeat": "", "wires": [["c"]]},
            {"id": "c", "type": "change", "name": "tag", "rules": [
              {"t": "set", "p": "payload.tag", "pt": "msg", "to": "c", "tot": "str"}
            ], "wires": [["out0"]]},
            {"id": "k", "type": "complete", "name": "", "scope": ["c"], "uncaught": false, "wires": [["s"]]},
            {"id": "s", "type": "change", "name": "", "rules": [
              {"t": "set", "p": "payload", "pt": "msg", "to": "complete.source", "tot": "msg"}
            ], "wires": [["out1"]]}
          ]"#,
        topic: None,
        inputs: &[],
        outputs: 2,
    },
    // A json node that both a catch node and a complete node watch: text
    // that is not JSON reaches the catch node only, text that is reaches
    // the complete node only. The good text first: Node-RED hands an
    // error to catch nodes later than a message sent on (see catch-json).
    Case {
        name: "complete-and-catch",
        nodes: r#"[{"id": "j", "type": "json", "name": "parse", "property": "payload", "action": "", "pretty": false, "wires": [["out0"]]},
          {"id": "c", "type": "catch", "name": "", "scope": ["j"], "uncaught": false, "wires": [["s"]]},
          {"id": "s", "type": "change", "name": "", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "error.source.id", "tot": "msg"}
          ], "wires": [["out1"]]},
          {"id": "k", "type": "complete", "name": "", "scope": ["j"], "uncaught": false, "wires": [["out2"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""[3]""#, r#""{bad""#],
        outputs: 3,
    },
    // A delay node has finished with a message when it leaves: its
    // complete node's message follows it out. One message: two that leave
    // in one turn of Node.js's event loop would have both sent before
    // either complete message, and two turns apart each followed by its
    // own, so the order would be left to timing.
    Case {
        name: "complete-delay",
        nodes: r#"[{"id": "q", "type": "delay", "name": "wait", "pauseType": "delay", "timeout": "100", "timeoutUnits": "milliseconds", "wires": [["out0"]]},
          {"id": "k", "type": "complete", "name": "", "scope": ["q"], "uncaught": false, "wires": [["s"]]},
          {"id": "s", "type": "change", "name": "", "rules": [
            {"t": "set", "p": "payload.source", "pt": "msg", "to": "complete.source", "tot": "msg"}
          ], "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &[r#"{"n":1}"#],
        outputs: 2,
    },
    // A delay node that limits the rate, watched: without `drop`, the first
    // message leaves at once and the second from its queue, each followed
    // by its complete message (one every 500 ms, inputs 200 ms apart); with
    // `drop`, the complete node hears of the dropped ones too.
    Case {
        name: "complete-delay-rate",
        nodes: r#"[{"id": "q", "type": "delay", "name": "", "pauseType": "rate", "rate": "2", "nbRateUnits": "1", "rateUnits": "second", "drop": false, "wires": [["out0"]]},
          {"id": "k", "type": "complete", "name": "", "scope": ["q"], "uncaught": false, "wires": [["s"]]},
          {"id": "s", "type": "change", "name": "", "rules": [
            {"t": "set", "p": "payload.source", "pt": "msg", "to": "complete.source", "tot": "msg"}
          ], "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &[r#"{"n":1}"#, r#"{"n":2}"#],
        outputs: 4,
    },
    Case {
        name: "complete-delay-rate-drop",
        nodes: r#"[{"id": "q", "type": "delay", "name": "limit", "pauseType": "rate", "rate": "1", "nbRateUnits": "1", "rateUnits": "second", "drop": true, "wires": [["out0"]]},
          {"id": "k", "type": "complete", "name": "", "scope": ["q"], "uncaught": false, "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &[r#"{"n":1}"#, r#"{"n":2}"#, r#"{"n":3}"#],
        outputs: 4,
    },
    // A trigger node, watched: the complete node gets the message that
    // triggers with its first payload, and those it blocks as they came.
    Case {
        name: "complete-trigger",
        nodes: r#"[{"id": "t", "type": "trigger", "name": "once", "op1": "{\"first\":1}", "op2": "0", "op1type": "json", "op2type": "nul",
            "duration": "2", "extend": false, "overrideDelay": false, "units": "s", "reset": "", "bytopic": "all",
            "topic": "topic", "outputs": 1, "wires": [["out0"]]},
          {"id": "k", "type": "complete", "name": "", "scope": ["t"], "uncaught": false, "wires": [["s"]]},
          {"id": "s", "type": "change", "name": "", "rules": [
            {"t": "set", "p": "payload.source", "pt": "msg", "to": "complete.source", "tot": "msg"}
          ], "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &[r#"{"n":1}"#, r#"{"n":2}"#, r#"{"n":3}"#],
        outputs: 4,
    },
    // A split node, watched: the complete node hears of each message once
    // its pieces have left, as the split left it (its last piece; an
    // array's message keeps its array), and of a number, which it drops.
    Case {
        name: "complete-split",
        nodes: r#"[{"id": "p", "type": "split", "name": "cut", "splt": ",", "spltType": "str", "arraySplt": 1, "arraySpltType": "len",
            "stream": false, "addname": "", "wires": [["out0"]]},
          {"id": "k", "type": "complete", "name": "", "scope": ["p"], "uncaught": false, "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""a,b,c""#, "[1,2]", "5"],
        outputs: 8,
    },
    // A split node in stream mode, watched: a message whose last piece
    // waits is heard of once a later message sends a piece, before that
    // message's own.
    Case {
        name: "complete-split-stream",
        nodes: r#"[{"id": "p", "type": "split", "name": "", "splt": "3", "spltType": "len", "arraySplt": 1, "arraySpltType": "len",
            "stream": true, "addname": "", "wires": [["out0"]]},
          {"id": "k", "type": "complete", "name": "", "scope": ["p"], "uncaught": false, "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""ab""#, r#""cd""#, r#""ef""#],
        outputs: 5,
    },
    // A join node, watched: the complete node hears of a group's messages,
    // as they came, once the group leaves, by its count or, for the last,
    // by its time (from the join's timer).
    Case {
        name: "complete-join",
        nodes: r#"[{"id": "g", "type": "join", "name": "pair", "mode": "custom", "build": "string", "property": "payload", "propertyType": "msg",
            "key": "topic", "joiner": ",", "joinerType": "str", "accumulate": false, "timeout": "0.3", "count": "2", "reduceRight": false,
            "wires": [["out0"]]},
          {"id": "k", "type": "complete", "name": "", "scope": ["g"], "uncaught": false, "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""a""#, r#""b""#, r#""c""#],
        outputs: 5,
    },
    // A join building a buffer given a number: the number is an error for
    // the catch node, in Node-RED's words, and the complete node hears of
    // it with the rest of its group once the group is sent.
    Case {
        name: "complete-join-buffer-error",
        nodes: r#"[{"id": "g", "type": "join", "name": "bytes", "mode": "custom", "build": "buffer", "property": "payload", "propertyType": "msg",
            "key": "topic", "joiner": "", "joinerType": "str", "accumulate": false, "timeout": "", "count": "2", "reduceRight": false,
            "wires": [["out0"]]},
          {"id": "c", "type": "catch", "name": "", "scope": ["g"], "uncaught": false, "wires": [["e"]]},
          {"id": "e", "type": "change", "name": "", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "error.message", "tot": "msg"}
          ], "wires": [["out1"]]},
          {"id": "k", "type": "complete", "name": "", "scope": ["g"], "uncaught": false, "wires": [["out2"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""a""#, "5", r#""b""#],
        outputs: 5,
    },
    // A sort node of sequences, watched (after a split): each message
    // leaves sorted and is heard of right after it.
    Case {
        name: "complete-sort",
        nodes: r#"[{"id": "p", "type": "split", "name": "", "splt": "\\n", "spltType": "str", "arraySplt": 1, "arraySpltType": "len",
            "stream": false, "addname": "", "wires": [["o"]]},
          {"id": "o", "type": "sort", "name": "order", "order": "ascending", "as_num": false, "target": "", "targetType": "seq",
            "msgKey": "payload", "msgKeyType": "elem", "seqKey": "payload", "seqKeyType": "msg", "wires": [["out0"]]},
          {"id": "k", "type": "complete", "name": "", "scope": ["o"], "uncaught": false, "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &["[3,1,2]"],
        outputs: 6,
    },
    // An auto join decides how each message joins by its own
    // `msg.parts.type`: a merged message in an object's group merges, an
    // object's key that is an index sets that item of an array's group,
    // and a buffer message of a number in a string's group is an error,
    // which leaves the group waiting for its next message.
    Case {
        name: "join-mixed-types",
        nodes: r#"[{"id": "seq", "type": "change", "rules": [
            {"t": "move", "p": "payload.p", "pt": "msg", "to": "parts", "tot": "msg"},
            {"t": "set", "p": "payload", "pt": "msg", "to": "payload.v", "tot": "msg"}
          ], "wires": [["j"]]},
          {"id": "j", "type": "join", "name": "", "mode": "auto", "build": "array", "property": "payload", "propertyType": "msg",
            "key": "topic", "joiner": "\\n", "joinerType": "str", "accumulate": false, "timeout": "", "count": "",
            "reduceRight": false, "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"v":1,"p":{"id":"g","type":"object","key":"a","index":0,"count":3}}"#,
            r#"{"v":{"b":2,"c":3},"p":{"id":"g","type":"merged","index":1,"count":3}}"#,
            r#"{"v":"x","p":{"id":"q","type":"array","index":0,"count":2}}"#,
            r#"{"v":"y","p":{"id":"q","type":"object","key":"2","count":2}}"#,
            r#"{"v":"A","p":{"id":"s","type":"string","ch":",","index":0,"count":2}}"#,
            r#"{"v":5,"p":{"id":"s","type":"buffer","index":1,"count":2}}"#,
            r#"{"v":"B","p":{"id":"s","type":"string","ch":",","index":1,"count":2}}"#,
        ],
        outputs: 3,
    },
    // A batch node, watched: the messages of a sequence are heard of once
    // all of it has left, with their parts; the third waits for a fourth.
    Case {
        name: "complete-batch",
        nodes: r#"[{"id": "b", "type": "batch", "name": "pairs", "mode": "count", "count": 2, "overlap": 0, "interval": 10,
            "allowEmptySequence": false, "topics": [], "wires": [["out0"]]},
          {"id": "k", "type": "complete", "name": "", "scope": ["b"], "uncaught": false, "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &["1", "2", "3"],
        outputs: 4,
    },
    // Node-RED's switch node takes no `done` in its input handler, so a
    // complete node watching it never sends, in Node-RED as on a device.
    Case {
        name: "complete-switch",
        nodes: r#"[{"id": "w", "type": "switch", "name": "", "property": "payload", "propertyType": "msg",
            "rules": [{"t": "nnull"}], "checkall": "true", "repair": false, "outputs": 1, "wires": [["out0"]]},
          {"id": "k", "type": "complete", "name": "", "scope": ["w"], "uncaught": false, "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &["1", "2"],
        outputs: 2,
    },
    // json
    Case {
        name: "json-convert",
        nodes: r#"[{"id": "j", "type": "json", "property": "payload", "action": "", "pretty": false, "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#""{\"a\":1}""#,
            r#"{"a":1}"#,
            r#""[1,2]""#,
            r#""5""#,
            "5",
            "true",
            r#""not json""#,
            "null",
            r#""\"quoted\"""#,
        ],
        outputs: 8,
    },
    Case {
        name: "json-to-text-pretty",
        nodes: r#"[{"id": "j", "type": "json", "property": "payload", "action": "str", "pretty": true, "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"a":[1,{"b":2}],"e":{},"l":[]}"#,
            r#""already text""#,
            "[true,null]",
            "1.5",
        ],
        outputs: 4,
    },
    Case {
        name: "json-to-object",
        nodes: r#"[{"id": "j", "type": "json", "property": "payload.raw", "action": "obj", "pretty": false, "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"raw":"{\"n\":1}"}"#,
            r#"{"raw":{"n":1}}"#,
            r#"{"raw":"oops"}"#,
            r#"{"raw":"12"}"#,
            r#"{"other":1}"#,
        ],
        outputs: 4,
    },
    Case {
        name: "json-parse-order-and-numbers",
        nodes: r#"[{"id": "j", "type": "json", "property": "payload", "action": "obj", "pretty": false, "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#""{\"b\":1,\"a\":2,\"10\":3,\"2\":4,\"-1\":5,\"01\":6}""#,
            r#""[1e21,1E2,0.1,-0,123456789012345680000,5e-7,1.0]""#,
            r#""{\"a\":1,\"a\":2}""#,
        ],
        outputs: 3,
    },
    // csv (RFC 4180 mode)
    Case {
        name: "csv-to-objects",
        nodes: r#"[{"id": "c", "type": "csv", "spec": "rfc", "sep": ",", "temp": "a,b,,d", "multi": "one", "strings": true, "hdrin": "", "hdrout": "none", "ret": "\\r\\n", "skip": "0", "include_empty_strings": "", "include_null_values": "", "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#""1,x,3,\"q\"\"t\"\n-0,+5,,07\n""#,
            r#""\"a,b\",0x10\r\n\n1e3,x\"y\"z""#,
            r#""  ,\"\"\n""#,
        ],
        outputs: 5,
    },
    Case {
        name: "csv-header-all-rows",
        nodes: r#"[{"id": "c", "type": "csv", "spec": "rfc", "sep": ";", "temp": "", "multi": "mult", "strings": true, "hdrin": true, "hdrout": "none", "ret": "\\n", "skip": "1", "include_empty_strings": true, "include_null_values": true, "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#""skipped\nname;temp;;x\nk\u00fcche;21.5\nbad\"q;\"\";7;8\n""#,
            r#""skipped\r\n x ; y \n 1 ; 02 \n""#,
        ],
        outputs: 2,
    },
    Case {
        name: "csv-objects-to-text",
        nodes: r#"[{"id": "c", "type": "csv", "spec": "rfc", "sep": ";", "temp": "", "multi": "one", "strings": true, "hdrin": false, "hdrout": "all", "ret": "\\n", "skip": "0", "include_empty_strings": "", "include_null_values": "", "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"a":1,"b":"x;y","c":null,"d":[1,2],"e":"say \"hi\""}"#,
            r#"[[1,"q\"r",true],[null,2]]"#,
            r#"[5,"a",1.5e21]"#,
            r#"{"x":{"y":1}}"#,
        ],
        outputs: 4,
    },
    Case {
        name: "csv-template-to-text",
        nodes: r#"[{"id": "c", "type": "csv", "spec": "rfc", "sep": ",", "temp": "b,a,,\"c d\"", "multi": "one", "strings": true, "hdrin": false, "hdrout": "once", "ret": "\\r\\n", "skip": "0", "include_empty_strings": "", "include_null_values": "", "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"a":{"k":1},"b":null,"c d":"line\nbreak"}"#,
            r#"[{"a":1},{"b":2,"c d":3}]"#,
            r#"[["x","y","z","w"]]"#,
        ],
        outputs: 3,
    },
    // csv's legacy parser, as nodes from before Node-RED 4.0 (no `spec`) have it
    Case {
        name: "csv-legacy-to-objects",
        nodes: r#"[{"id": "c", "type": "csv", "sep": ",", "temp": "\"a\", b ,,d", "multi": "one", "strings": true, "hdrin": "", "hdrout": "none", "ret": "\\n", "skip": "1", "include_empty_strings": "", "include_null_values": true, "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#""skipped\n1, x ,3,\"q\"\"t\"\n-0,+5,,07\n""#,
            r#""skipped\n\"a,b\",.5e1,,\n""#,
            r#""skipped\n\"odd,quote\n""#,
        ],
        outputs: 4,
    },
    Case {
        name: "csv-legacy-header-and-text",
        nodes: r#"[{"id": "c", "type": "csv", "sep": ";", "temp": "", "multi": "mult", "strings": true, "hdrin": true, "hdrout": "all", "ret": "\\n", "skip": "0", "include_empty_strings": true, "include_null_values": "", "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#""name; \"temp\" ;x\nk\u00fcche;21.5\n;7\n""#,
            r#"{"a":1,"b":"x;y","c":null,"e":"say \"hi\""}"#,
            r#"[[1,"q\"r",true],[2,"a\nb"]]"#,
            r#"[5,"a",1.5e21]"#,
        ],
        outputs: 4,
    },
    Case {
        name: "csv-legacy-blank-strings",
        nodes: r#"[{"id": "c", "type": "csv", "sep": ",", "temp": "a,b", "multi": "one", "strings": true, "hdrin": "", "hdrout": "none", "ret": "\\n", "skip": "0", "include_empty_strings": true, "include_null_values": "", "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""\"1\",\"\"\n""#, r#""x,\n""#],
        outputs: 4,
    },
    // Several nodes in a row, as tests/flows/conversions.json has them.
    Case {
        name: "chain-parse-scale-write",
        nodes: r#"[
            {"id": "parse", "type": "json", "property": "payload", "action": "", "pretty": false, "wires": [["scale"]]},
            {"id": "scale", "type": "range", "minin": "0", "maxin": "100", "minout": "32", "maxout": "212",
             "action": "scale", "round": true, "property": "payload.temp", "wires": [["write"]]},
            {"id": "write", "type": "json", "property": "payload", "action": "str", "pretty": false, "wires": [["route"]]},
            {"id": "route", "type": "switch", "property": "payload", "rules": [{"t": "eq", "v": "{\"temp\":71}", "vt": "str"}, {"t": "else"}],
             "checkall": "true", "outputs": 2, "wires": [["out0"], ["out1"]]}
          ]"#,
        topic: Some("greenhouse"),
        inputs: &[
            r#""{\"temp\": \"21.5\"}""#,
            r#""{\"temp\": 100}""#,
            r#""{\"temp\": \"abc\"}""#,
        ],
        outputs: 2,
    },
    // inject and debug
    Case {
        name: "inject-once",
        nodes: r#"[
            {"id": "first", "type": "inject", "props": [{"p": "payload"}, {"p": "topic", "vt": "str"}],
             "payload": "{\"a\":[1,\"x\"]}", "payloadType": "json", "topic": "tick", "once": true, "onceDelay": "0.3",
             "repeat": "", "wires": [["out0"]]},
            {"id": "second", "type": "inject", "props": [{"p": "payload"}, {"p": "extra", "v": "1", "vt": "num"}],
             "payload": "42", "payloadType": "num", "topic": "", "once": true, "onceDelay": "0.5",
             "repeat": "", "wires": [["out1"]]}
          ]"#,
        topic: None,
        inputs: &[],
        outputs: 2,
    },
    // An `env` value whose variable is set nowhere, as inject, change and
    // switch read it: Node-RED's `evaluateEnvProperty` makes it empty
    // text, whole (`NAME`) or inside other text (`a${NAME}b`). The switch
    // sends the message on only when the value is `""`.
    Case {
        name: "env-unset",
        nodes: r#"[
            {"id": "whole", "type": "inject", "props": [{"p": "payload", "v": "PSOS_DIFFERENTIAL_NEVER_SET", "vt": "env"}],
             "once": true, "onceDelay": "0.3", "repeat": "", "wires": [["out0", "c"]]},
            {"id": "inside", "type": "inject", "props": [{"p": "payload", "v": "a${PSOS_DIFFERENTIAL_NEVER_SET}b", "vt": "env"}],
             "once": true, "onceDelay": "0.5", "repeat": "", "wires": [["out1"]]},
            {"id": "c", "type": "change", "rules": [
              {"t": "set", "p": "payload", "pt": "msg", "to": "{}", "tot": "json"},
              {"t": "set", "p": "payload.whole", "pt": "msg", "to": "PSOS_DIFFERENTIAL_NEVER_SET", "tot": "env"},
              {"t": "set", "p": "payload.inside", "pt": "msg", "to": "x${PSOS_DIFFERENTIAL_NEVER_SET}y", "tot": "env"}
            ], "wires": [["s"]]},
            {"id": "s", "type": "switch", "property": "payload.whole", "propertyType": "msg",
             "rules": [{"t": "eq", "v": "PSOS_DIFFERENTIAL_NEVER_SET", "vt": "env"}], "checkall": "true", "outputs": 1,
             "wires": [["out2"]]}
          ]"#,
        topic: None,
        inputs: &[],
        outputs: 3,
    },
    Case {
        name: "debug-passes-nothing-on",
        nodes: r#"[
            {"id": "c", "type": "change", "rules": [{"t": "set", "p": "payload.seen", "pt": "msg", "to": "true", "tot": "bool"}],
             "wires": [["show", "out0"]]},
            {"id": "show", "type": "debug", "name": "shown", "active": true, "complete": "false", "wires": []}
          ]"#,
        topic: Some("t"),
        inputs: &[r#"{"a":1}"#],
        outputs: 1,
    },
    Case {
        name: "switch-regex-cont-between",
        nodes: r#"[{"id": "s", "type": "switch", "property": "payload", "propertyType": "msg", "rules": [
            {"t": "regex", "v": "^a.c$", "vt": "str", "case": true},
            {"t": "cont", "v": "b", "vt": "str"},
            {"t": "btwn", "v": "1", "vt": "num", "v2": "5", "v2t": "num"},
            {"t": "istype", "v": "string", "vt": "string"}
          ], "checkall": "true", "outputs": 4, "wires": [["out0"], ["out1"], ["out2"], ["out3"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""ABC""#, r#""abc""#, r#""xbx""#, "3", "7", r#""4""#],
        outputs: 10,
    },
    Case {
        name: "template-mustache",
        nodes: r#"[{"id": "tp", "type": "template", "field": "payload", "fieldType": "msg", "format": "handlebars",
            "syntax": "mustache", "template": "Hello {{payload.name}}! {{#payload.items}}[{{.}}]{{/payload.items}}{{^payload.items}}none{{/payload.items}}",
            "output": "str", "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"name":"Ann","items":[1,2]}"#,
            r#"{"name":"<b>&"}"#,
            r#""plain""#,
        ],
        outputs: 3,
    },
    Case {
        name: "filter-report-by-exception",
        nodes: r#"[{"id": "f", "type": "rbe", "func": "rbe", "gap": "", "start": "", "inout": "out",
            "septopics": true, "property": "payload", "topi": "topic", "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            "1",
            "1",
            "2",
            "2",
            r#""a""#,
            r#""a""#,
            r#"{"x":1}"#,
            r#"{"x":1}"#,
        ],
        outputs: 4,
    },
    // A subflow with an env property the first instance overrides; the
    // second keeps the subflow's. `${NAME}` in a node inside is the
    // instance's, with `num` read as a number. (Node-RED takes a node
    // inside a subflow without `x` and `y` for a configuration node, which
    // receives no messages: the editor always writes them.)
    Case {
        name: "subflow-env",
        nodes: r#"[{"id": "i1", "type": "subflow:sf", "name": "first", "x": 100, "y": 40,
              "env": [{"name": "WHO", "value": "instance", "type": "str"}, {"name": "COUNT", "value": "1e3", "type": "num"}],
              "wires": [["out0", "i2"]]},
            {"id": "i2", "type": "subflow:sf", "name": "second", "x": 100, "y": 80, "wires": [["out1"]]},
            {"id": "sf", "type": "subflow", "name": "tag",
              "in": [{"x": 0, "y": 0, "wires": [{"id": "c"}]}],
              "out": [{"x": 0, "y": 0, "wires": [{"id": "c", "port": 0}]}],
              "env": [{"name": "WHO", "value": "template", "type": "str"}, {"name": "COUNT", "value": "007", "type": "num"}]},
            {"id": "c", "type": "change", "z": "sf", "x": 100, "y": 40, "rules": [
              {"t": "set", "p": "payload.who", "pt": "msg", "to": "${WHO}", "tot": "str"},
              {"t": "set", "p": "payload.count", "pt": "msg", "to": "${COUNT}", "tot": "num"},
              {"t": "set", "p": "payload.name", "pt": "msg", "to": "${NR_SUBFLOW_NAME}", "tot": "str"}
            ], "wires": [[]]}]"#,
        topic: None,
        // One input: Node-RED delivers each hop on a later turn of its
        // event loop, so a second input would overtake the first on its
        // way through the second instance, where a device's direct calls
        // finish one message first.
        inputs: &[r#"{"who":"nobody","x":1}"#],
        outputs: 2,
    },
    // A link call sends to its link in; the link out in return mode at the
    // end of that subroutine sends back to the call's output.
    Case {
        name: "link-call-return",
        nodes: r#"[{"id": "call", "type": "link call", "links": ["sub"], "linkType": "static", "timeout": "30",
              "wires": [["out0"]]},
            {"id": "sub", "type": "link in", "links": [], "wires": [["work"]]},
            {"id": "work", "type": "change", "rules": [
              {"t": "set", "p": "payload.done", "pt": "msg", "to": "true", "tot": "bool"}
            ], "wires": [["back"]]},
            {"id": "back", "type": "link out", "mode": "return", "links": []}]"#,
        topic: Some("t"),
        inputs: &["{}", r#"{"done":false,"n":2}"#],
        outputs: 2,
    },
    // A complete node watching a link call hears when the subroutine's
    // answer comes back, with the message as the subroutine left it
    // (`payload.tag` "sub", not "m" as the call's receiver makes it) and
    // `msg.complete.source` naming the call; a message the subroutine
    // drops is never answered, and the call is never done with it.
    Case {
        name: "complete-link-call",
        nodes: concat!(
            r#"[{"id": "call", "type": "link call", "name": "caller", "links": ["sub"], "linkType": "static", "timeout": "30",
              "wires": [["m"]]},
            {"id": "m", "type": "change", "rules": [
              {"t": "set", "p": "payload.tag", "pt": "msg", "to": "m", "tot": "str"}
            ], "wires": [["out0"]]},"#,
            tagging_subroutine!(),
            completion_of!("call"),
        ),
        topic: Some("t"),
        inputs: &[r#"{"n":1}"#, r#"{"n":2}"#, r#"{"n":3}"#],
        outputs: 4,
    },
    // A complete node watching a link call that may time out hears of an
    // answer that comes in time, and not of one that comes after the call
    // timed out: Node-RED's `returnLinkMessage` sends that on without
    // calling `done()`.
    Case {
        name: "complete-link-call-late",
        nodes: concat!(
            r#"[{"id": "w", "type": "change", "rules": [
              {"t": "set", "p": "delay", "pt": "msg", "to": "payload.wait", "tot": "msg"}
            ], "wires": [["call"]]},
            {"id": "call", "type": "link call", "links": ["sub"], "linkType": "static", "timeout": "0.3",
              "wires": [["out0"]]},
            {"id": "sub", "type": "link in", "links": [], "wires": [["hold"]]},
            {"id": "hold", "type": "delay", "pauseType": "delayv", "timeout": "5", "timeoutUnits": "seconds",
              "rate": "1", "nbRateUnits": "1", "rateUnits": "second", "randomFirst": "1", "randomLast": "5",
              "randomUnits": "seconds", "drop": false, "allowrate": false, "outputs": 1, "wires": [["back"]]},
            {"id": "back", "type": "link out", "mode": "return", "links": []},"#,
            completion_of!("call"),
        ),
        topic: Some("t"),
        inputs: &[r#"{"n":1,"wait":50}"#, r#"{"n":2,"wait":600}"#],
        outputs: 3,
    },
    // Two link calls share a subroutine, and a complete node watches one:
    // it hears of that call's messages as their answers come back to it
    // (after the call sends the answer on, with the message as the
    // subroutine left it and `msg.complete.source` naming the call), never
    // of the other call's, and never of a message the subroutine drops.
    Case {
        name: "complete-link-call-shared",
        nodes: concat!(
            r#"[{"id": "route", "type": "switch", "property": "payload.n", "propertyType": "msg", "rules": [
              {"t": "lt", "v": "3", "vt": "num"}, {"t": "else"}
            ], "checkall": "false", "repair": false, "outputs": 2, "wires": [["c1"], ["c2"]]},
            {"id": "c1", "type": "link call", "name": "first", "links": ["sub"], "linkType": "static", "timeout": "30",
              "wires": [["m1"]]},
            {"id": "c2", "type": "link call", "name": "second", "links": ["sub"], "linkType": "static", "timeout": "30",
              "wires": [["m2"]]},
            {"id": "m1", "type": "change", "rules": [
              {"t": "set", "p": "payload.tag", "pt": "msg", "to": "m1", "tot": "str"}
            ], "wires": [["out0"]]},
            {"id": "m2", "type": "change", "rules": [
              {"t": "set", "p": "payload.tag", "pt": "msg", "to": "m2", "tot": "str"}
            ], "wires": [["out0"]]},"#,
            tagging_subroutine!(),
            completion_of!("c1"),
        ),
        topic: Some("t"),
        inputs: &[r#"{"n":1}"#, r#"{"n":2}"#, r#"{"n":3}"#, r#"{"n":4}"#],
        outputs: 4,
    },
    // A complete node watching an mqtt out node hears of each message it
    // publishes, with `msg.topic` set from the node's topic and `msg.qos`
    // from its QoS, after the publication (on the node's topic, where the
    // harness's message by topic follows it).
    Case {
        name: "complete-mqtt-out",
        nodes: r#"[{"id": "pub", "type": "mqtt out", "name": "publisher", "topic": "diff/complete-mqtt-out/pub", "qos": "1",
              "retain": "false", "broker": "broker"},
            {"id": "k", "type": "complete", "name": "", "scope": ["pub"], "uncaught": false, "wires": [["s", "q"]]},
            {"id": "s", "type": "change", "name": "", "rules": [
              {"t": "set", "p": "payload", "pt": "msg", "to": "complete.source", "tot": "msg"}
            ], "wires": [["out0"]]},
            {"id": "q", "type": "change", "name": "", "rules": [
              {"t": "set", "p": "payload", "pt": "msg", "to": "qos", "tot": "msg"}
            ], "wires": [["out1"]]}]"#,
        topic: Some("t"),
        // One input: Node-RED's node is done with a QoS 1 message when the
        // broker acknowledges it, by which time it has published the next
        // input too; a device is done with it once in its outbox.
        inputs: &[r#"{"n":1}"#],
        outputs: 2,
    },
    // A legacy csv node sending all rows at once over a sequence: a
    // complete node watching it gets the first line's message with that
    // line's rows in its payload (it sends nothing for it), then the last
    // with all the rows.
    Case {
        name: "complete-csv-legacy-gather",
        nodes: r#"[{"id": "s", "type": "split", "splt": "\n", "spltType": "str", "arraySplt": 1,
              "arraySpltType": "len", "stream": false, "addname": "", "property": "payload", "wires": [["c"]]},
            {"id": "c", "type": "csv", "name": "rows", "sep": ",", "temp": "a,b", "multi": "mult", "strings": true, "hdrin": "",
              "hdrout": "none", "ret": "\n", "skip": "0", "include_empty_strings": "", "include_null_values": "", "wires": [["out0"]]},
            {"id": "k", "type": "complete", "name": "", "scope": ["c"], "uncaught": false, "wires": [["out1"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""1,2\n3,4""#],
        outputs: 3,
    },
    // A legacy csv node gathering all rows of a sequence keeps only what
    // follows each part's last line break: parts that end in one add
    // nothing (the first input gathers no row at all), a part without one
    // adds its row.
    Case {
        name: "csv-legacy-gather-line-ends",
        nodes: r#"[{"id": "s", "type": "split", "splt": ",", "spltType": "str", "arraySplt": 1,
              "arraySpltType": "len", "stream": false, "addname": "", "property": "payload", "wires": [["c"]]},
            {"id": "c", "type": "csv", "name": "", "sep": ",", "temp": "a", "multi": "mult", "strings": true, "hdrin": "",
              "hdrout": "none", "ret": "\\n", "skip": "0", "include_empty_strings": "", "include_null_values": "", "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""1\n,2\n""#, r#""1\n2,3\n,4""#, r#""5,6\n7""#],
        outputs: 3,
    },
    // Two link calls call one subroutine: each gets the message back on
    // its own output, the first call's before the second's.
    Case {
        name: "link-call-two-callers",
        nodes: r#"[{"id": "call1", "type": "link call", "links": ["sub"], "linkType": "static", "timeout": "30",
              "wires": [["out0", "call2"]]},
            {"id": "call2", "type": "link call", "links": ["sub"], "linkType": "static", "timeout": "30",
              "wires": [["out1"]]},
            {"id": "sub", "type": "link in", "links": [], "wires": [["work"]]},
            {"id": "work", "type": "change", "rules": [
              {"t": "set", "p": "payload.back", "pt": "msg", "to": "yes", "tot": "str"}
            ], "wires": [["back"]]},
            {"id": "back", "type": "link out", "mode": "return", "links": []}]"#,
        topic: Some("t"),
        inputs: &[r#"{"n":1}"#],
        outputs: 2,
    },
    // A dynamic link call: its target by name and by id (the case's ids
    // are prefixed with its name), its return, and the errors of a name
    // two link in nodes share, of a target no link in has (a number
    // looked up as its text) and of none at all (`msg.target` missing),
    // with Node-RED's texts.
    Case {
        name: "link-call-dynamic",
        nodes: r#"[{"id": "t", "type": "change", "rules": [
              {"t": "set", "p": "target", "pt": "msg", "to": "payload.target", "tot": "msg"}
            ], "wires": [["call"]]},
            {"id": "call", "type": "link call", "linkType": "dynamic", "links": [], "timeout": "30",
              "wires": [["out0"]]},
            {"id": "c", "type": "catch", "name": "", "scope": ["call"], "uncaught": false, "wires": [["m"]]},
            {"id": "m", "type": "change", "rules": [
              {"t": "set", "p": "payload", "pt": "msg", "to": "error.message", "tot": "msg"}
            ], "wires": [["out1"]]},
            {"id": "a", "type": "link in", "name": "dynamic-double", "links": [], "wires": [["wa"]]},
            {"id": "wa", "type": "change", "rules": [
              {"t": "set", "p": "payload.via", "pt": "msg", "to": "a", "tot": "str"}
            ], "wires": [["ra"]]},
            {"id": "ra", "type": "link out", "mode": "return", "links": []},
            {"id": "b", "type": "link in", "name": "dynamic-twin", "links": [], "wires": [["wb"]]},
            {"id": "b2", "type": "link in", "name": "dynamic-twin", "links": [], "wires": [["wb"]]},
            {"id": "wb", "type": "change", "rules": [
              {"t": "set", "p": "payload.via", "pt": "msg", "to": "b", "tot": "str"}
            ], "wires": [["rb"]]},
            {"id": "rb", "type": "link out", "mode": "return", "links": []}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"target":"dynamic-double"}"#,
            r#"{"target":"link-call-dynamic.b2","n":2}"#,
            r#"{"target":"dynamic-twin"}"#,
            r#"{"target":12}"#,
            r#"{"n":3}"#,
        ],
        outputs: 5,
    },
    // A link call that waits 0.3 s for its subroutine, which holds each
    // message for its `payload.wait` ms (a delay by `msg.delay`) or drops
    // it (a negative wait): an answer after 50 ms is sent on; at 300 ms
    // the catch node gets `timeout` with the message as it was sent, for
    // the call answered after 600 ms and the dropped one, in the order
    // they were made; the late answer is sent on all the same, as
    // Node-RED's `returnLinkMessage` does. Each time is 250 ms or more
    // from the deadline, and the last answer comes 200 ms before the
    // case's messages are collected: the tolerance of both sides' timers.
    Case {
        name: "link-call-timeout",
        nodes: r#"[{"id": "w", "type": "change", "rules": [
              {"t": "set", "p": "delay", "pt": "msg", "to": "payload.wait", "tot": "msg"}
            ], "wires": [["call"]]},
            {"id": "call", "type": "link call", "links": ["sub"], "linkType": "static", "timeout": "0.3",
              "wires": [["out0"]]},
            {"id": "c", "type": "catch", "name": "", "scope": ["call"], "uncaught": false, "wires": [["m"]]},
            {"id": "m", "type": "change", "rules": [
              {"t": "set", "p": "payload.error", "pt": "msg", "to": "error.message", "tot": "msg"}
            ], "wires": [["out1"]]},
            {"id": "sub", "type": "link in", "links": [], "wires": [["keep"]]},
            {"id": "keep", "type": "switch", "property": "payload.wait", "propertyType": "msg", "rules": [
              {"t": "gte", "v": "0", "vt": "num"}
            ], "checkall": "true", "repair": false, "outputs": 1, "wires": [["hold"]]},
            {"id": "hold", "type": "delay", "pauseType": "delayv", "timeout": "5", "timeoutUnits": "seconds",
              "rate": "1", "nbRateUnits": "1", "rateUnits": "second", "randomFirst": "1", "randomLast": "5",
              "randomUnits": "seconds", "drop": false, "allowrate": false, "outputs": 1, "wires": [["back"]]},
            {"id": "back", "type": "link out", "mode": "return", "links": []}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"n":1,"wait":50}"#,
            r#"{"n":2,"wait":600}"#,
            r#"{"n":3,"wait":-1}"#,
        ],
        outputs: 4,
    },
    // split and join
    Case {
        name: "split-string",
        nodes: r#"[{"id": "s", "type": "split", "splt": ",", "spltType": "str", "arraySplt": 1,
            "arraySpltType": "len", "stream": false, "addname": "", "property": "payload", "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""a,bc,,d""#, r#""one""#, r#""""#],
        outputs: 6,
    },
    Case {
        name: "split-array",
        nodes: r#"[{"id": "s", "type": "split", "splt": "\\n", "spltType": "str", "arraySplt": 2,
            "arraySpltType": "len", "stream": false, "addname": "", "property": "payload", "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[r#"[1,"x",{"a":[2]},null,true]"#, "[]", "[7]"],
        outputs: 4,
    },
    Case {
        name: "split-object",
        nodes: r#"[{"id": "s", "type": "split", "splt": "\\n", "spltType": "str", "arraySplt": 1,
            "arraySpltType": "len", "stream": false, "addname": "topic", "property": "payload", "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[r#"{"a":1,"b":"two","c":{"d":[3]}}"#, "{}", "5"],
        outputs: 3,
    },
    Case {
        name: "split-then-auto-join",
        nodes: r#"[
            {"id": "s", "type": "split", "splt": "-", "spltType": "str", "arraySplt": 1, "arraySpltType": "len",
             "stream": false, "addname": "", "property": "payload", "wires": [["j"]]},
            {"id": "j", "type": "join", "mode": "auto", "build": "object", "property": "payload",
             "propertyType": "msg", "key": "topic", "joiner": "\\n", "joinerType": "str", "accumulate": false,
             "timeout": "", "count": "", "reduceRight": false, "wires": [["out0"]]}
          ]"#,
        topic: Some("t"),
        inputs: &[
            r#""a-b-c""#,
            r#"[1,[2,3],{"x":4}]"#,
            r#"{"k":"v","n":{"m":1}}"#,
            r#""single""#,
        ],
        outputs: 4,
    },
    Case {
        name: "join-by-count",
        nodes: r#"[
            {"id": "j", "type": "join", "mode": "custom", "build": "string", "property": "payload",
             "propertyType": "msg", "key": "topic", "joiner": ", ", "joinerType": "str", "accumulate": false,
             "timeout": "", "count": "3", "reduceRight": false, "wires": [["out0"]]}
          ]"#,
        topic: Some("t"),
        inputs: &[
            r#""a""#,
            "2",
            "true",
            r#"{"o":1}"#,
            "null",
            r#""z""#,
            r#""left""#,
        ],
        outputs: 2,
    },
    Case {
        name: "split-stream",
        nodes: r#"[{"id": "s", "type": "split", "splt": ",", "spltType": "str", "arraySplt": 1,
            "arraySpltType": "len", "stream": true, "addname": "", "property": "payload", "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[r#""a,b""#, r#"",c""#, r#""d,""#, r#""e""#],
        outputs: 3,
    },
    Case {
        name: "join-merged-accumulated-timed",
        nodes: r#"[
            {"id": "m", "type": "join", "mode": "custom", "build": "merged", "property": "payload",
             "propertyType": "msg", "key": "topic", "joiner": "\\n", "joinerType": "str", "accumulate": false,
             "timeout": "", "count": "2", "reduceRight": false, "wires": [["a"]]},
            {"id": "a", "type": "join", "mode": "custom", "build": "array", "property": "payload",
             "propertyType": "msg", "key": "topic", "joiner": "\\n", "joinerType": "str", "accumulate": true,
             "timeout": "", "count": "1", "reduceRight": false, "wires": [["out0", "t"]]},
            {"id": "t", "type": "join", "mode": "custom", "build": "string", "property": "payload",
             "propertyType": "msg", "key": "topic", "joiner": "+", "joinerType": "str", "accumulate": false,
             "timeout": "0.3", "count": "", "reduceRight": false, "wires": [["out1"]]}
          ]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"a":1}"#,
            r#"{"b":2}"#,
            r#"{"a":3}"#,
            r#"{"c":[1]}"#,
            r#"{"d":4}"#,
        ],
        outputs: 3,
    },
    Case {
        name: "sort-array",
        nodes: r#"[{"id": "a", "type": "sort", "order": "ascending", "as_num": false, "target": "payload",
            "targetType": "msg", "msgKey": "payload", "msgKeyType": "elem", "seqKey": "payload", "seqKeyType": "msg",
            "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"["200","4","30","1000","b","B","a"]"#,
            "[3,1,2,null]",
            r#""not an array""#,
        ],
        outputs: 2,
    },
    Case {
        name: "sort-sequence",
        nodes: r#"[
            {"id": "s", "type": "split", "splt": "\\n", "spltType": "str", "arraySplt": 1, "arraySpltType": "len",
             "stream": false, "addname": "", "property": "payload", "wires": [["d"]]},
            {"id": "d", "type": "sort", "order": "descending", "as_num": true, "target": "payload", "targetType": "seq",
             "msgKey": "payload", "msgKeyType": "elem", "seqKey": "payload", "seqKeyType": "msg", "wires": [["out0"]]}
          ]"#,
        topic: Some("t"),
        inputs: &[r#"["200","4","30","1000"]"#, "[3,1,2]"],
        outputs: 7,
    },
    Case {
        name: "batch-by-count",
        nodes: r#"[{"id": "b", "type": "batch", "mode": "count", "count": 3, "overlap": 1, "interval": 10,
            "allowEmptySequence": false, "topics": [], "wires": [["out0"]]}]"#,
        topic: Some("t"),
        inputs: &["1", r#""two""#, r#"{"n":3}"#, "[4]", "5", "6"],
        outputs: 6,
    },
    // Past Node-RED's `nodeMessageBufferMaxLength` of 2 (a `psosQueue` of
    // 2 on a device), a batch of ten ends the third message since its
    // last sequence with the error for the catch node and is done with
    // the two waiting, twice. Each path has a change node, so that
    // Node-RED's messages come out in the order of a device's calls.
    Case {
        name: "batch-limit-count",
        nodes: r#"[{"id": "b", "type": "batch", "mode": "count", "count": 10, "overlap": 0, "psosQueue": 2,
            "interval": 10, "allowEmptySequence": false, "topics": [], "wires": [["out0"]]},
          {"id": "c", "type": "catch", "name": "", "scope": ["b"], "uncaught": false, "wires": [["e"]]},
          {"id": "e", "type": "change", "name": "", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "error.message", "tot": "msg"}
          ], "wires": [["out1"]]},
          {"id": "k", "type": "complete", "name": "", "scope": ["b"], "uncaught": false, "wires": [["f"]]},
          {"id": "f", "type": "change", "name": "", "rules": [
            {"t": "set", "p": "heard", "pt": "msg", "to": "true", "tot": "bool"}
          ], "wires": [["out2"]]}]"#,
        topic: Some("t"),
        inputs: &["0", "1", "2", "3", "4", "5"],
        outputs: 6,
    },
    // The same in `concat` mode, the parts made from `payload.p`: at the
    // third part of a sequence of three, every message held gets the
    // error (none has a `msg.id`), and the sequence still leaves, each of
    // its messages heard of then. Nine messages at once, without a topic:
    // eighteen publications would not fit the device's outbox.
    Case {
        name: "batch-limit-concat",
        nodes: r#"[{"id": "m", "type": "change", "rules": [
            {"t": "move", "p": "payload.p", "pt": "msg", "to": "parts", "tot": "msg"}
          ], "wires": [["b"]]},
          {"id": "b", "type": "batch", "mode": "concat", "count": 10, "overlap": 0, "psosQueue": 2,
            "interval": 10, "allowEmptySequence": false, "topics": [{"topic": "t"}], "wires": [["n"]]},
          {"id": "n", "type": "change", "name": "", "rules": [
            {"t": "set", "p": "payload.sent", "pt": "msg", "to": "true", "tot": "bool"},
            {"t": "delete", "p": "topic", "pt": "msg"}
          ], "wires": [["out0"]]},
          {"id": "c", "type": "catch", "name": "", "scope": ["b"], "uncaught": false, "wires": [["e"]]},
          {"id": "e", "type": "change", "name": "", "rules": [
            {"t": "set", "p": "payload.error", "pt": "msg", "to": "error.message", "tot": "msg"},
            {"t": "delete", "p": "topic", "pt": "msg"}
          ], "wires": [["out1"]]},
          {"id": "k", "type": "complete", "name": "", "scope": ["b"], "uncaught": false, "wires": [["f"]]},
          {"id": "f", "type": "change", "name": "", "rules": [
            {"t": "set", "p": "payload.heard", "pt": "msg", "to": "true", "tot": "bool"},
            {"t": "delete", "p": "topic", "pt": "msg"}
          ], "wires": [["out2"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"v":0,"p":{"id":"a","index":0,"count":3}}"#,
            r#"{"v":1,"p":{"id":"a","index":1,"count":3}}"#,
            r#"{"v":2,"p":{"id":"a","index":2,"count":3}}"#,
        ],
        outputs: 9,
    },
    // A sort of sequences past Node-RED's `nodeMessageBufferMaxLength` of
    // 2 (a `psosQueue` of 2): the third sequence's first message drops
    // the oldest (a), its last message an error for the catch node; b and
    // c leave sorted once complete; d leaves whole though its third
    // message finds two waiting.
    Case {
        name: "sort-limit",
        nodes: r#"[{"id": "m", "type": "change", "rules": [
            {"t": "move", "p": "payload.p", "pt": "msg", "to": "parts", "tot": "msg"}
          ], "wires": [["o"]]},
          {"id": "o", "type": "sort", "order": "ascending", "as_num": false, "target": "", "targetType": "seq",
            "msgKey": "payload", "msgKeyType": "elem", "seqKey": "payload.v", "seqKeyType": "msg", "psosQueue": 2,
            "wires": [["n"]]},
          {"id": "n", "type": "change", "name": "", "rules": [
            {"t": "set", "p": "payload.sent", "pt": "msg", "to": "true", "tot": "bool"}
          ], "wires": [["out0"]]},
          {"id": "c", "type": "catch", "name": "", "scope": ["o"], "uncaught": false, "wires": [["e"]]},
          {"id": "e", "type": "change", "name": "", "rules": [
            {"t": "set", "p": "payload.error", "pt": "msg", "to": "error.message", "tot": "msg"}
          ], "wires": [["out1"]]},
          {"id": "k", "type": "complete", "name": "", "scope": ["o"], "uncaught": false, "wires": [["f"]]},
          {"id": "f", "type": "change", "name": "", "rules": [
            {"t": "set", "p": "payload.heard", "pt": "msg", "to": "true", "tot": "bool"}
          ], "wires": [["out2"]]}]"#,
        topic: Some("t"),
        inputs: &[
            r#"{"v":1,"p":{"id":"a","index":0,"count":2}}"#,
            r#"{"v":3,"p":{"id":"b","index":0,"count":2}}"#,
            r#"{"v":5,"p":{"id":"c","index":0,"count":2}}"#,
            r#"{"v":2,"p":{"id":"b","index":1,"count":2}}"#,
            r#"{"v":4,"p":{"id":"c","index":1,"count":2}}"#,
            r#"{"v":9,"p":{"id":"d","index":0,"count":3}}"#,
            r#"{"v":7,"p":{"id":"d","index":1,"count":3}}"#,
            r#"{"v":8,"p":{"id":"d","index":2,"count":3}}"#,
        ],
        outputs: 15,
    },
];

/// Which side of the comparison a flow is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    NodeRed,
    Psos,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::NodeRed => "node-red",
            Side::Psos => "psos",
        }
    }
}

/// The topic a case's input messages are published on, by side.
fn input_topic(case: &Case, side: Side) -> String {
    format!("diff/{}/{}/in", case.name, side.name())
}

/// The topic a case's observed port publishes on.
fn port_topic(case: &Case, port: usize) -> String {
    format!("diff/{}/out/{port}", case.name)
}

/// A case's nodes wrapped by the harness, with ids prefixed by the case's
/// name so that the cases of the PSOS flow do not collide; each node gets
/// `extra` (its tab, or its device).
fn wrapped(case: &Case, side: Side, extra: &Value) -> Vec<Value> {
    let prefix = |id: &str| format!("{}.{id}", case.name);
    let mut nodes: Vec<Value> = serde_json::from_str(case.nodes)
        .unwrap_or_else(|error| panic!("case {}: its nodes are not JSON: {error}", case.name));
    let mut ports = 0;
    let by_topic = prefix("by-topic");
    let observe = |id: &str| -> Option<(usize, Vec<Value>)> {
        let port = id.strip_prefix("out")?.parse::<usize>().ok()?;
        Some((
            port,
            vec![json!(prefix(&format!("port{port}"))), json!(by_topic)],
        ))
    };
    for node in &mut nodes {
        let id = node["id"]
            .as_str()
            .expect("each node has an id")
            .to_string();
        node["id"] = json!(prefix(&id));
        prefix_references(node, &prefix);
        let wires = node["wires"].as_array().cloned().unwrap_or_default();
        let rewired: Vec<Value> = wires
            .iter()
            .map(|port| {
                let mut targets = Vec::new();
                for target in port.as_array().into_iter().flatten() {
                    let target = target.as_str().expect("a wire names a node");
                    match observe(target) {
                        Some((port, ids)) => {
                            ports = ports.max(port + 1);
                            for id in ids {
                                if !targets.contains(&id) {
                                    targets.push(id);
                                }
                            }
                        }
                        None => targets.push(json!(prefix(target))),
                    }
                }
                Value::Array(targets)
            })
            .collect();
        node["wires"] = Value::Array(rewired);
    }
    // With no nodes under test the input goes straight to port 0.
    let entry = match nodes.first() {
        Some(first) => vec![first["id"].clone()],
        None => {
            ports = 1;
            observe("out0").expect("a port").1
        }
    };
    let mut all = Vec::new();
    if !case.inputs.is_empty() {
        let rule = match case.topic {
            Some(topic) => {
                json!({"t": "set", "p": "topic", "pt": "msg", "to": topic, "tot": "str"})
            }
            None => json!({"t": "delete", "p": "topic", "pt": "msg"}),
        };
        all.push(json!({"id": prefix("in"), "type": "mqtt in", "name": "input", "topic": input_topic(case, side),
            "qos": "1", "datatype": "json", "broker": "broker", "inputs": 0, "wires": [[prefix("topic")]]}));
        all.push(
            json!({"id": prefix("topic"), "type": "change", "rules": [rule], "wires": [entry]}),
        );
    }
    all.extend(nodes);
    for port in 0..ports {
        all.push(
            json!({"id": prefix(&format!("port{port}")), "type": "mqtt out",
            "topic": port_topic(case, port), "qos": "1", "retain": "false", "broker": "broker"}),
        );
    }
    all.push(
        json!({"id": by_topic, "type": "mqtt out", "topic": "", "qos": "1", "retain": "false",
        "broker": "broker"}),
    );
    for node in &mut all {
        // A subflow's definition stands on no tab, and its nodes stand in it.
        let placed_already = node["type"] == "subflow" || node.get("z").is_some();
        for (key, value) in extra.as_object().into_iter().flatten() {
            if !(key == "z" && placed_already) {
                node[key] = value.clone();
            }
        }
    }
    all
}

/// Prefixes what names other nodes of a case besides its wires: a node's
/// subflow (`z`) and a subflow instance's type, link targets, a catch
/// node's scope, and the
/// nodes a subflow's input, output and status ports are wired to.
fn prefix_references(node: &mut Value, prefix: &dyn Fn(&str) -> String) {
    if let Some(z) = node["z"].as_str() {
        node["z"] = json!(prefix(z));
    }
    if let Some(subflow) = node["type"]
        .as_str()
        .and_then(|t| t.strip_prefix("subflow:"))
    {
        node["type"] = json!(format!("subflow:{}", prefix(subflow)));
    }
    if let Some(links) = node["links"].as_array_mut() {
        for link in links {
            *link = json!(prefix(link.as_str().expect("a link names a node")));
        }
    }
    if let Some(scope) = node["scope"].as_array_mut() {
        for id in scope {
            *id = json!(prefix(id.as_str().expect("a scope names nodes")));
        }
    }
    let Some(object) = node.as_object_mut() else {
        return;
    };
    // A subflow's input and output ports are lists, its status port one.
    for (key, ports) in object.iter_mut() {
        let ports = match key.as_str() {
            "in" | "out" => ports.as_array_mut().map(|ports| ports.iter_mut().collect()),
            "status" => Some(vec![ports]),
            _ => None,
        };
        for port in ports.into_iter().flatten() {
            for wire in port["wires"].as_array_mut().into_iter().flatten() {
                let id = wire["id"].as_str().expect("a port's wire names a node");
                wire["id"] = json!(prefix(id));
            }
        }
    }
}

/// The flow Node-RED runs for one case: a tab, the broker (whose birth
/// message says the case's subscriptions stand) and the wrapped nodes.
fn node_red_flow(case: &Case, broker: &Mosquitto) -> String {
    // A client id of the case's own: the client of the case before, which
    // Node-RED closes as it deploys this one, can then never take the
    // session over from this case's client (Mosquitto drops the older of
    // two connections with one id), which would make it connect twice.
    let broker_node: Value = serde_json::from_str(&support::node_red::broker_node(
        broker.port(),
        &format!("node-red-{}", case.name),
        &ready_topic(case),
    ))
    .expect("the broker node is JSON");
    let mut flow = vec![
        json!({"id": "tab", "type": "tab", "label": case.name}),
        broker_node,
    ];
    flow.extend(wrapped(case, Side::NodeRed, &json!({"z": "tab"})));
    Value::Array(flow).to_string()
}

fn ready_topic(case: &Case) -> String {
    format!("diff/{}/node-red/ready", case.name)
}

/// Cases whose messages need more room than a device gives them by
/// default, and the `messageCapacity` their devices get.
const LARGE_MESSAGES: &[(&str, usize)] = &[("json-schema", 2048)];

fn device_name(case: &Case) -> String {
    format!("diff-{}", case.name)
}

/// The PSOS flow: every case on a `host` device of its own.
fn psos_flow() -> String {
    let mut flow = vec![
        json!({"id": "broker", "type": "mqtt-broker", "broker": "127.0.0.1", "port": "1883", "protocolVersion": "5"}),
    ];
    for case in selected_cases() {
        let device = format!("{}.device", case.name);
        let mut device_node = json!({"id": device, "type": "psos-device",
            "name": device_name(case), "board": "host", "broker": "broker"});
        if let Some((_, capacity)) = LARGE_MESSAGES.iter().find(|(name, _)| *name == case.name) {
            device_node["messageCapacity"] = json!(capacity);
        }
        flow.push(device_node);
        flow.extend(wrapped(case, Side::Psos, &json!({"device": device})));
    }
    Value::Array(flow).to_string()
}

/// Writes the PSOS flow and builds every device once; the binary and the
/// status topic of each case's device, in case order.
fn build_psos(dir: &Path) -> Vec<(std::path::PathBuf, String)> {
    let path = dir.join("differential.json");
    std::fs::write(&path, psos_flow()).expect("the flow is written");
    let flow = support::check_flow(&path);
    let out = dir.join("crates");
    psosc::output::write_crates(&flow, &out, &support::repo_root().join("runtime"))
        .expect("the crates are written");
    support::cargo(&out, &["build", "--quiet"]);
    selected_cases()
        .into_iter()
        .map(|case| {
            let name = device_name(case);
            let device = flow
                .devices
                .iter()
                .find(|device| device.name == name)
                .expect("each case has its device");
            let broker = device.broker.as_ref().expect("each device has a broker");
            (
                support::shared_target_dir().join("debug").join(&name),
                broker.status_topic.clone(),
            )
        })
        .collect()
}

/// What one broker carried for a case, without the harness's own topics
/// (inputs, readiness, device status) and retained messages.
fn records(case: &Case, received: &[support::mosquitto::Received]) -> Vec<Record> {
    let own = format!("diff/{}/", case.name);
    received
        .iter()
        .filter(|message| !message.retain)
        .filter(|message| {
            let harness = message
                .topic
                .strip_prefix(&own)
                .is_some_and(|rest| rest.starts_with("node-red/") || rest.starts_with("psos/"));
            !harness && !message.topic.starts_with("psos/")
        })
        .map(|message| {
            (
                message.topic.clone(),
                String::from_utf8_lossy(&message.payload).into_owned(),
            )
        })
        .collect()
}

/// A case's records as they are compared: each run of equal messages in
/// a row taken as one in a [`REPEATS_COLLAPSED`] case.
fn as_compared(case: &Case, mut records: Vec<Record>) -> Vec<Record> {
    if REPEATS_COLLAPSED.contains(&case.name) {
        records.dedup();
    }
    records
}

/// How many of a case's records its observed ports sent.
fn sent_on_ports(case: &Case, records: &[Record]) -> usize {
    let ports = format!("diff/{}/out/", case.name);
    records
        .iter()
        .filter(|(topic, _)| topic.starts_with(&ports))
        .count()
}

/// Runs one case on both sides; the records of Node-RED and of PSOS, as
/// they are compared.
fn run(
    case: &Case,
    node_red: &NodeRed,
    brokers: [&Mosquitto; 2],
    device: &(std::path::PathBuf, String),
) -> (Vec<Record>, Vec<Record>) {
    let [node_red_broker, psos_broker] = brokers;
    let mut all_node_red = node_red_broker.subscriber("#", EVERYTHING);
    let mut all_psos = psos_broker.subscriber("#", EVERYTHING);
    let node_red_ready = node_red_broker.subscriber(&ready_topic(case), 1);
    let psos_ready = psos_broker.subscriber(&device.1, 1);
    node_red.deploy(&node_red_flow(case, node_red_broker));
    let mut command = std::process::Command::new(&device.0);
    command.env("PSOS_BROKER", psos_broker.url());
    let running = Running::spawn(command);
    for (ready, side) in [(node_red_ready, "Node-RED"), (psos_ready, "the device")] {
        let online = ready.wait(CONNECT_TIMEOUT);
        assert!(
            online.iter().any(|message| message.payload == b"online"),
            "case {}: {side} did not connect within {CONNECT_TIMEOUT:?}",
            case.name
        );
    }
    if STARTED.contains(&case.name) {
        std::thread::sleep(START_WAIT);
    }
    for input in case.inputs {
        node_red_broker.publish(
            &input_topic(case, Side::NodeRed),
            input.as_bytes(),
            1,
            false,
        );
        psos_broker.publish(&input_topic(case, Side::Psos), input.as_bytes(), 1, false);
        if SPACED.contains(&case.name) {
            std::thread::sleep(SPACING);
        }
    }
    // The window: SETTLE, then as long as Node-RED's messages are not all
    // there, and the device's not as many (on a quiet machine, both are
    // there by then, and the window is SETTLE); a side that sends fewer
    // than it should holds the case up for WAIT, and then differs.
    all_node_red.wait_until(SETTLE, |_| false);
    all_node_red.wait_until(WAIT, |received| {
        sent_on_ports(case, &records(case, received)) >= case.outputs
    });
    let from_node_red = as_compared(case, records(case, &all_node_red.wait(Duration::ZERO)));
    all_psos.wait_until(WAIT, |received| {
        as_compared(case, records(case, received)).len() >= from_node_red.len()
    });
    let from_psos = as_compared(case, records(case, &all_psos.wait(Duration::ZERO)));
    drop(running);
    (from_node_red, from_psos)
}

/// The context stores the cases name (`#:(name)::key`, `flow[name]` in a
/// template), other than the names Node-RED and a device give the default
/// store: the Node-RED the cases run on has each configured in its
/// settings, as a flow that names them expects.
fn context_stores() -> Vec<String> {
    let mut stores = std::collections::BTreeSet::new();
    for case in CASES {
        for opening in ["#:(", "flow[", "global["] {
            for (at, _) in case.nodes.match_indices(opening) {
                let rest = &case.nodes[at + opening.len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && !["default", "_", "memory"].contains(&name.as_str()) {
                    stores.insert(name);
                }
            }
        }
    }
    stores.into_iter().collect()
}

fn shown(records: &[Record]) -> String {
    records
        .iter()
        .map(|(topic, payload)| format!("    {topic} : {payload}\n"))
        .collect()
}

#[test]
fn psos_sends_what_node_red_sends() {
    let names: std::collections::BTreeSet<&str> = CASES.iter().map(|case| case.name).collect();
    assert_eq!(names.len(), CASES.len(), "case names are unique");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let devices = build_psos(dir.path());
    let node_red_broker = Mosquitto::start();
    let psos_broker = Mosquitto::start();
    let node_red = NodeRed::serve(&context_stores(), &serde_json::Map::new());
    // A Node-RED for each buffer limit the selected cases need, started
    // when the first needs it.
    let mut limited: std::collections::BTreeMap<u64, NodeRed> = std::collections::BTreeMap::new();
    let mut differences = Vec::new();
    let cases = selected_cases();
    assert!(!cases.is_empty(), "PSOS_DIFFERENTIAL_CASES names no case");
    for (case, device) in cases.iter().zip(&devices) {
        let limit = BUFFER_LIMITED
            .iter()
            .find(|(name, _)| *name == case.name)
            .map(|(_, limit)| *limit);
        let runs_on = match limit {
            Some(limit) => &*limited.entry(limit).or_insert_with(|| {
                let mut settings = serde_json::Map::new();
                settings.insert("nodeMessageBufferMaxLength".to_string(), json!(limit));
                NodeRed::serve(&context_stores(), &settings)
            }),
            None => &node_red,
        };
        let (expected, got) = run(case, runs_on, [&node_red_broker, &psos_broker], device);
        let sent = sent_on_ports(case, &expected);
        if sent != case.outputs {
            differences.push(format!(
                "case {}: Node-RED sent {sent} messages, the case says {}; it carried:\n{}",
                case.name,
                case.outputs,
                shown(&expected)
            ));
        }
        if expected != got {
            differences.push(format!(
                "case {}:\n  Node-RED:\n{}  PSOS:\n{}",
                case.name,
                shown(&expected),
                shown(&got)
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} cases differ:\n{}",
        differences.len(),
        cases.len(),
        differences.join("\n")
    );
}
