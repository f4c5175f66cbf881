//! Generated host crates build with plain cargo, pass clippy, run, and print
//! Node-RED's debug lines with the flow's strings unchanged.

mod support;

use support::{
    build_device, build_test_flow, cargo, check_flow, debug_lines, repo_root, without_time,
    Running, WAIT,
};

#[test]
fn blink_prints_a_debug_line_every_second() {
    let workspace = repo_root().join("generated").join("blink");
    let device = Running::start(&build_device(&workspace, "host"));
    let lines = device.read_until(WAIT, |lines| {
        lines
            .iter()
            .filter(|line| without_time(line).is_some())
            .count()
            >= 3
    });
    let debug: Vec<&str> = lines.iter().filter_map(|line| without_time(line)).collect();
    assert_eq!(
        debug, ["[host] [debug:led] blink : on"; 3],
        "all output: {lines:#?}"
    );
}

#[test]
fn custom_nodes_smooth_readings_and_switch_the_heater() {
    let workspace = repo_root().join("generated").join("thermostat");
    let device = Running::start(&build_device(&workspace, "thermostat"));
    let lines = device.read_until(WAIT, |lines| {
        lines
            .iter()
            .filter(|line| without_time(line).is_some())
            .count()
            >= 3
    });
    let debug: Vec<&str> = lines.iter().filter_map(|line| without_time(line)).collect();
    // Readings 17, 18, 22, 23, 19, 18 averaged over two: 17, 17.5, 20, 22.5,
    // 21, 18.5; the heater goes on below 19, off above 21.
    let heater =
        |state: &str| format!("[thermostat] [debug:heater] greenhouse/temperature : {state}");
    assert_eq!(
        debug,
        [heater("true"), heater("false"), heater("true")],
        "all output: {lines:#?}"
    );
}

#[test]
fn a_loop_of_local_wires_runs_through_the_loop_queue() {
    let (dir, flow) = build_test_flow("loop");
    assert_eq!(
        flow.wires.iter().filter(|wire| wire.queued).count(),
        2,
        "both wires back to the switch are queued"
    );
    let device = Running::start(&build_device(dir.path(), "looper"));
    // 1 goes to "two", which sends 2 to the debug node at once and back to
    // the switch through the queue; 2 goes to "three", whose 3 comes back
    // through the queue and leaves by the switch's last port.
    assert_eq!(
        debug_lines(&device, 2, WAIT),
        [
            "[looper] [debug:seen] count : 2",
            "[looper] [debug:seen] count : 3"
        ]
    );
}

#[test]
fn local_topics_are_wired_on_the_device() {
    let (dir, _) = build_test_flow("local_topics");
    let device = Running::start(&build_device(dir.path(), "local"));
    // The fixed topic reaches `home/+/temp` at build time, with the node's
    // QoS 1; the topic taken from msg.topic matches `home/+/temp` (not
    // `garden/#`) at run time, with QoS 0 as the message has none. No
    // broker listens: the local wires do not need one.
    let seen = |qos: u8| {
        format!(
            r#"[local] [debug:got] home/kitchen/temp : {{"topic":"home/kitchen/temp","payload":"{{\"t\":21.5}}","qos":{qos},"retain":false}}"#
        )
    };
    assert_eq!(debug_lines(&device, 2, WAIT), [seen(1), seen(0)]);
}

#[test]
fn strings_from_the_flow_reach_the_device_unchanged() {
    let flow_path = repo_root()
        .join("tests")
        .join("flows")
        .join("escaping.json");
    let flow = check_flow(&flow_path);
    let dir = tempfile::tempdir().expect("a temporary directory");
    psosc::output::write_crates(&flow, dir.path(), &repo_root().join("runtime"))
        .expect("the crate is written");
    cargo(dir.path(), &["clippy", "--quiet", "--", "-D", "warnings"]);
    let device = Running::start(&build_device(dir.path(), "escaping"));

    // The flow file is the source of truth for what must come out.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&flow_path).expect("readable"))
            .expect("valid JSON");
    let nodes = json.as_array().expect("a flow array");
    let mut expected = Vec::new();
    for inject in nodes
        .iter()
        .filter(|node| node["type"] == "inject" && node["payloadType"] == "str")
    {
        let debug_id = inject["wires"][0][0].as_str().expect("wired");
        let debug = nodes
            .iter()
            .find(|node| node["id"] == debug_id)
            .expect("the debug node");
        expected.push(format!(
            "[escaping] [debug:{}] {} : {}",
            debug["name"].as_str().expect("named"),
            inject["topic"].as_str().expect("a topic"),
            inject["payload"].as_str().expect("a payload"),
        ));
    }
    expected.push(
        r#"[escaping] [debug:json] {"quote\"key":"va\\lue\n","nested":[1.5,0,1e+21,1e-7,true,null,"🌱"]}"#.to_string(),
    );

    let lines = device.read_until(WAIT, |lines| {
        let output = lines.join("\n");
        expected.iter().all(|line| output.contains(line.as_str()))
    });
    let output = lines.join("\n");
    for line in &expected {
        assert!(
            output.contains(line.as_str()),
            "missing {line:?} in:\n{output}"
        );
    }
}

#[test]
fn a_device_without_nodes_is_warning_free_too() {
    let (dir, flow) = build_test_flow("empty_device");
    assert!(flow.nodes.is_empty());
    let device = Running::start(&build_device(dir.path(), "empty"));
    let lines = device.read_until(WAIT, |lines| !lines.is_empty());
    assert_eq!(
        lines.first().map(String::as_str),
        Some("psos: device empty of empty_device.json started")
    );
}

#[test]
fn example_crates_are_clippy_clean() {
    for flow in ["blink", "greenhouse", "thermostat"] {
        cargo(
            &repo_root().join("generated").join(flow),
            &["clippy", "--quiet", "--", "-D", "warnings"],
        );
    }
}

#[test]
fn a_filter_passes_what_moved_as_node_red_does() {
    let (dir, _) = build_test_flow("filter");
    let device = Running::start(&build_device(dir.path(), "flt"));
    // A deadband of 10% of the last value sent: 20 passes as the first,
    // "20.5 C" (read as 20.5) is too near, "warm" is no number and is
    // logged, 25 is far enough.
    assert_eq!(
        debug_lines(&device, 3, WAIT),
        [
            "[flt] [debug:out] 20",
            "[flt] [rbe:band] no number found in payload",
            "[flt] [debug:out] 25",
        ]
    );
}

#[test]
fn range_and_json_convert_as_node_red_does() {
    let (dir, _) = build_test_flow("conversions");
    let device = Running::start(&build_device(dir.path(), "conv"));
    // The text is parsed, its "21.5" read as a number and scaled from
    // Celsius to Fahrenheit (70.7, rounded), and the object written back as
    // text, which only a string equals. Text that is no number is logged
    // and dropped, as Node-RED's range node does.
    assert_eq!(
        debug_lines(&device, 2, WAIT),
        [
            r#"[conv] [debug:out] greenhouse : {"temp":71}"#,
            "[conv] [range:°F] Not a number: abc",
        ]
    );
}

#[test]
fn an_inject_only_a_button_fires_gets_no_code_and_the_rest_runs() {
    // build_test_flow holds the crate to clippy's bar: dead code for the
    // button's chain would fail it.
    let (dir, _) = build_test_flow("button");
    let main = std::fs::read_to_string(dir.path().join("panel").join("src").join("main.rs"))
        .expect("generated");
    assert!(!main.contains("pressed"), "{main}");
    assert!(main.contains("started"), "{main}");
    let device = Running::start(&build_device(dir.path(), "panel"));
    assert_eq!(
        debug_lines(&device, 1, WAIT),
        ["[panel] [debug:at start] started"]
    );
}

#[test]
fn delay_nodes_hold_messages_and_release_them_on_time_or_on_flush() {
    let (dir, _) = build_test_flow("delays");
    let device = Running::start(&build_device(dir.path(), "pause"));
    // Sent at 0.1 s and held 300 ms, the first leaves after the direct one
    // of 0.2 s; the one held for an hour leaves when `msg.flush` arrives.
    assert_eq!(
        debug_lines(&device, 3, WAIT),
        [
            "[pause] [debug:out] direct",
            "[pause] [debug:out] held 300 ms",
            "[pause] [debug:out] flushed",
        ]
    );
}

#[test]
fn a_burst_lets_its_places_through_and_the_rest_out_of_its_second_output() {
    let (dir, _) = build_test_flow("bursts");
    let device = Running::start(&build_device(dir.path(), "bursthost"));
    // Two places an hour: "a" and "b" pass, "c" finds none and leaves on
    // the second output as the node shows a red dot; the reset ("r")
    // frees both places (a green ring), so "e" passes. The node is done
    // with each message as its input returns.
    assert_eq!(
        debug_lines(&device, 11, WAIT),
        [
            "[bursthost] [debug:passed] a",
            "[bursthost] [debug:finished] a",
            "[bursthost] [debug:passed] b",
            "[bursthost] [debug:finished] b",
            "[bursthost] [debug:dropped] c",
            r#"[bursthost] [debug:seen] {"fill":"red","shape":"dot","text":"","source":{"id":"limit","type":"delay","name":"limit"}}"#,
            "[bursthost] [debug:finished] c",
            r#"[bursthost] [debug:seen] {"fill":"green","shape":"ring","text":"","source":{"id":"limit","type":"delay","name":"limit"}}"#,
            "[bursthost] [debug:finished] r",
            "[bursthost] [debug:passed] e",
            "[bursthost] [debug:finished] e",
        ]
    );
}

#[test]
fn templates_render_as_node_red_does() {
    let (dir, _) = build_test_flow("template");
    let device = Running::start(&build_device(dir.path(), "tmpl"));
    // The first template writes JSON text from a section over the array,
    // which is parsed into an object; the second writes text from it,
    // escaping the topic's slash for HTML where asked to.
    assert_eq!(
        debug_lines(&device, 1, WAIT),
        ["[tmpl] [debug:out] in/out : 1+2 of 2 from in&#x2F;out (in/out), no c"]
    );
}

#[test]
fn switch_routes_by_pattern_previous_value_and_key() {
    let (dir, _) = build_test_flow("switching");
    let device = Running::start(&build_device(dir.path(), "switching"));
    // The pattern (compiled into the device) ignores case; 30 is above the
    // 10 before it; text and 10 are not ordered against what came before
    // (NaN), so 10 goes to "otherwise".
    assert_eq!(
        debug_lines(&device, 4, WAIT),
        [
            "[switching] [debug:pattern] Temperature 21",
            "[switching] [debug:other] 10",
            "[switching] [debug:rising] 30",
            r#"[switching] [debug:key] {"a":1}"#,
        ]
    );
}

#[test]
fn trigger_nodes_send_a_first_and_a_second_message() {
    let (dir, _) = build_test_flow("triggers");
    let device = Running::start(&build_device(dir.path(), "gate"));
    // "go" at 0.1 s sends "on", and "off" 300 ms later; "ignored" comes
    // while the node is triggered. "late" at 0.5 s comes back 100 ms later
    // on the second output of a node that sends nothing first (debug shows
    // its topic).
    assert_eq!(
        debug_lines(&device, 3, WAIT),
        [
            "[gate] [debug:out] on",
            "[gate] [debug:out] off",
            "[gate] [debug:out] a : late",
        ]
    );
}

#[test]
fn a_crontab_fires_on_the_seconds_of_the_wall_clock() {
    let (dir, _) = build_test_flow("crontab");
    let device = Running::start(&build_device(dir.path(), "cron-clock"));
    let lines = debug_lines(&device, 4, WAIT);
    let (whole, ticks): (Vec<&String>, Vec<&String>) = lines
        .iter()
        .partition(|line| line.starts_with("[cron-clock] [debug:whole] "));
    // The once-injection: a Buffer from `bin`, `env` read when psosc built it.
    assert_eq!(
        whole,
        [
            r#"[cron-clock] [debug:whole] {"payload":{"type":"Buffer","data":[1,2,255]},"where":"start"}"#
        ]
    );
    // "* * * * * *" fires every second, on the second: each payload is the
    // time it fired, a few milliseconds past a whole second, a second apart.
    let times: Vec<u64> = ticks
        .iter()
        .map(|line| {
            line.strip_prefix("[cron-clock] [debug:ticks] ")
                .and_then(|time| time.parse().ok())
                .unwrap_or_else(|| panic!("a time: {line}"))
        })
        .collect();
    assert_eq!(times.len(), 3, "{lines:#?}");
    for time in &times {
        assert!(time % 1000 < 200, "{time} is not on a second");
    }
    for pair in times.windows(2) {
        assert_eq!(pair[1] / 1000 - pair[0] / 1000, 1, "{times:?}");
    }
}

#[test]
fn a_smooth_node_averages_the_last_numbers() {
    let (dir, _) = build_test_flow("smoothing");
    let device = Running::start(&build_device(dir.path(), "smooth-host"));
    // The mean of the last three of 1, 2, "3" and 10, to one place.
    assert_eq!(
        debug_lines(&device, 4, WAIT),
        [
            "[smooth-host] [debug:avg] 1",
            "[smooth-host] [debug:avg] 1.5",
            "[smooth-host] [debug:avg] 2",
            "[smooth-host] [debug:avg] 5",
        ]
    );
}

#[test]
fn a_catch_node_is_given_each_error_with_the_node_that_reported_it() {
    let (dir, _) = build_test_flow("catch");
    // Only the three nodes the catch node watches get code to look for
    // errors: in their input and output functions, and around the delay
    // node's tick.
    let main_rs = std::fs::read_to_string(dir.path().join("catchhost/src/main.rs"))
        .expect("the device's main.rs");
    assert_eq!(
        main_rs.matches("_caught(msg: &Msg)").count(),
        3,
        "{main_rs}"
    );
    assert_eq!(
        main_rs.matches("DEVICE.forget_error()").count(),
        8,
        "{main_rs}"
    );
    let device = Running::start(&build_device(dir.path(), "catchhost"));
    // The filter, which remembers one topic, forgets "a" to make room for
    // "b" (an error it reports before it sends "b" on: it is the filter's,
    // not the json node's); the json node is given text that is not JSON.
    // The delay node, holding "later", is not blamed for the error of a
    // json node no catch node watches, reported before it sends it on.
    assert_eq!(
        debug_lines(&device, 7, WAIT),
        [
            "[catchhost] [debug:out] a : 1",
            r#"[catchhost] [debug:caught] b : {"id":"band","type":"rbe","name":"band","count":1}"#,
            "[catchhost] [debug:out] b : 1",
            "[catchhost] [json:parse] Expected property name or '}' in JSON at position 1",
            r#"[catchhost] [debug:caught] c : {"id":"parse","type":"json","name":"parse","count":1}"#,
            "[catchhost] [json:unwatched] Expected property name or '}' in JSON at position 1",
            "[catchhost] [debug:out] d : later",
        ]
    );
}

#[test]
fn a_status_node_is_given_the_status_of_the_nodes_it_watches() {
    let (dir, _) = build_test_flow("status");
    // Only the two nodes the status node watches get code to report it.
    let main_rs = std::fs::read_to_string(dir.path().join("statushost/src/main.rs"))
        .expect("the device's main.rs");
    assert_eq!(
        main_rs.matches("_status(status: &NodeStatus").count(),
        2,
        "{main_rs}"
    );
    let device = Running::start(&build_device(dir.path(), "statushost"));
    // The trigger waits for "a", then for "b" too, then for neither; the
    // debug node shows each payload, cut at 32 characters, and not the
    // same status twice; the trigger that waits for nothing clears its
    // status with `{}`. The trigger no status node watches reports nothing.
    assert_eq!(
        debug_lines(&device, 9, WAIT),
        [
            r#"[statushost] [debug:seen] {"fill":"blue","shape":"dot","source":{"id":"wait","type":"trigger","name":"wait"}}"#,
            "[statushost] [debug:shown] a : first",
            r#"[statushost] [debug:seen] {"fill":"grey","shape":"dot","text":"first","source":{"id":"shown","type":"debug","name":"shown"}}"#,
            r#"[statushost] [debug:seen] {"fill":"blue","shape":"dot","text":"2","source":{"id":"wait","type":"trigger","name":"wait"}}"#,
            "[statushost] [debug:shown] b : a text longer than thirty-two characters",
            r#"[statushost] [debug:seen] {"fill":"grey","shape":"dot","text":"a text longer than thirty-two ch...","source":{"id":"shown","type":"debug","name":"shown"}}"#,
            "[statushost] [debug:shown] c : a text longer than thirty-two characters",
            r#"[statushost] [debug:seen] {"fill":"blue","shape":"dot","source":{"id":"wait","type":"trigger","name":"wait"}}"#,
            r#"[statushost] [debug:seen] {"source":{"id":"wait","type":"trigger","name":"wait"}}"#,
        ]
    );
}

#[test]
fn status_nodes_are_given_the_statuses_nodes_report_on_timers() {
    let (dir, _) = build_test_flow("status_timers");
    // Only the watched rate-limiting delay node keeps when it reports its
    // depth, and only the watched counting debug node has a counter and a
    // timer for it; their unwatched twins get neither.
    let main_rs = std::fs::read_to_string(dir.path().join("statustimershost/src/main.rs"))
        .expect("the device's main.rs");
    assert_eq!(main_rs.matches("DepthReport>").count(), 1, "{main_rs}");
    assert_eq!(
        main_rs.matches("DebugCounter::on_uptime()").count(),
        1,
        "{main_rs}"
    );
    assert_eq!(main_rs.matches("_COUNTER.tick(").count(), 1, "{main_rs}");
    let device = Running::start(&build_device(dir.path(), "statustimershost"));
    // Half a second after start-up the message passes the rate limit at
    // once and is counted at once (it comes more than 100 ms after the
    // start); half a second later the delay node reports its empty queue.
    assert_eq!(
        debug_lines(&device, 5, WAIT),
        [
            "[statustimershost] [debug:passed] a : first",
            "[statustimershost] [debug:counted] a : first",
            r#"[statustimershost] [debug:seen] {"fill":"blue","shape":"ring","text":"1","source":{"id":"counted","type":"debug","name":"counted"}}"#,
            "[statustimershost] [debug:uncounted] a : first",
            r#"[statustimershost] [debug:seen] {"fill":"blue","shape":"dot","text":"0","source":{"id":"limit","type":"delay","name":"limit"}}"#,
        ]
    );
}

/// A batch node past its queue and a switch whose rule throws while it
/// releases a sequence, each reporting its error with the message it was
/// handling when it failed, as Node-RED does: the batch's catch node
/// hears of the message that found the queue full before the complete
/// node hears of the message it drops, and the switch's catch node gets
/// the sequence's failing message, before the next one leaves.
#[test]
fn errors_of_held_messages_reach_catch_nodes_with_their_message() {
    let (dir, _) = build_test_flow("sequence_errors");
    let device = Running::start(&build_device(dir.path(), "seqerrhost"));
    assert_eq!(
        debug_lines(&device, 7, WAIT),
        [
            "[seqerrhost] [debug:caught] b2 : too many pending messages in batch node",
            "[seqerrhost] [debug:done] b1 : 1",
            "[seqerrhost] [debug:out] s0 : x",
            "[seqerrhost] [switch:route] Cannot convert object to primitive value",
            "[seqerrhost] [debug:caught] s1 : TypeError: Cannot convert object to primitive value",
            "[seqerrhost] [debug:out] s2 : x",
            "[seqerrhost] [debug:out] s2 : x",
        ]
    );
}

#[test]
fn a_complete_node_is_given_each_message_its_nodes_have_finished_with() {
    let (dir, _) = build_test_flow("complete");
    // Only the change, delay and csv nodes get code for it: the switch node
    // never calls `done()` in Node-RED, and no complete node watches the
    // other change node.
    let main_rs = std::fs::read_to_string(dir.path().join("completehost/src/main.rs"))
        .expect("the device's main.rs");
    assert_eq!(
        main_rs.matches("_completed(msg: &Msg)").count(),
        3,
        "{main_rs}"
    );
    let device = Running::start(&build_device(dir.path(), "completehost"));
    // Each message as the watched node left it (not as `later` changed it),
    // after what the node sent has run its course; the delay node's when
    // it leaves, 300 ms after it came; the csv node's with its rows and
    // columns set, as Node-RED's sends it on.
    assert_eq!(
        debug_lines(&device, 7, WAIT),
        [
            "[completehost] [debug:out] a : changed",
            r#"[completehost] [debug:done] a : {"payload":1,"topic":"a","tagged":true,"complete":{"source":{"id":"tag","type":"change","name":"tag"}}}"#,
            "[completehost] [debug:out] c : 3",
            "[completehost] [debug:out] b : changed",
            r#"[completehost] [debug:done] b : {"payload":2,"topic":"b","complete":{"source":{"id":"hold","type":"delay","name":"hold"}}}"#,
            r#"[completehost] [debug:out] e : [{"a":1,"b":2}]"#,
            r#"[completehost] [debug:done] e : {"payload":[{"a":1,"b":2}],"topic":"e","columns":"a,b","complete":{"source":{"id":"rows","type":"csv","name":"rows"}}}"#,
        ]
    );
}
