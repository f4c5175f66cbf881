//! An inject node's `crontab` held against cronosjs, the library Node-RED's
//! inject node schedules with (the copy the pinned Node-RED installs, in
//! `tests/node-red/node_modules`): for each crontab, the times it fires next
//! from a few starting points, in UTC, as cronosjs computes them and as a
//! device does from what psosc reads; and the crontabs cronosjs refuses,
//! which psosc refuses too.
//!
//! Needs `node` on the PATH and `npm ci` in `tests/node-red` (the test
//! command does both).

use std::path::Path;
use std::process::Command;

use psosc::nodes::crontab::{parse, CrontabError};

/// Crontabs of every form both sides read. cronosjs never returns for one
/// that cannot fire (Feb 30), which psosc refuses instead (its unit tests).
const CRONTABS: &[&str] = &[
    // As Node-RED's editor writes "at a time" and "interval between times".
    "30 12 * * 1,2,3,4,5",
    "00 07 * * *",
    "0 8 * * 0",
    "*/15 9-16 * * 1,5",
    "*/20 22-23,0-5 * * *",
    "0 9-17 * * 6,0",
    "*/1 0 * * *",
    // What cronosjs reads beyond them.
    "*/20 0 12 1,15 jan-mar sat-sun",
    "0 50/5 22-1 ? NOV-feb 7",
    "@hourly",
    "@weekly",
    "@yearly",
    "0 0 0 */10 * * *",
    "0 0 29 2 *",
    "15 6 1,15 * 3",
    "0 0 31 * *",
    "0 12 * * 1-7",
    "0 12 * * 5-2",
    "1-3,58 23 28-31 * *",
    "  0   4 * *   MON ",
    "0 0 0 1 * * *",
    "*/99999999999 5/70 * * *",
];

/// Texts cronosjs refuses.
const INVALID: &[&str] = &[
    "* * * *",
    "* * * * * * * *",
    "60 * * * *",
    "*/0 * * * *",
    "0 0 20-10 * *",
    "0 24 * * *",
    "0 0 0 * *",
    "0 0 * 13 *",
    "0 0 * * 8",
    "a * * * *",
    "1,,2 * * * *",
    "-1 * * * *",
    "5- * * * *",
    "*/5/2 * * * *",
];

/// Milliseconds since 1970 of the starting points.
const STARTS: &[u64] = &[
    1_795_000_000_000, // 2026-11-18
    1_798_761_599_500, // 2026-12-31 23:59:59.5
    4_107_542_400_000, // 2100-03-01, after a year that is not leap
];

const SCRIPT: &str = r#"
const { CronosExpression } = require(process.argv[1]);
const [crontabs, starts, n] = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = crontabs.map(crontab => {
  try {
    const expression = CronosExpression.parse(crontab, { timezone: 'UTC' });
    return starts.map(start => expression.nextNDates(new Date(start), n).map(d => d.getTime()));
  } catch (error) {
    return 'invalid';
  }
});
process.stdout.write(JSON.stringify(out));
"#;

const N: usize = 30;

/// cronosjs's answer for each crontab: the next `N` times from each start,
/// or `None` when it refuses the crontab.
fn cronosjs(crontabs: &[&str]) -> Vec<Option<Vec<Vec<u64>>>> {
    let module =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/node-red/node_modules/cronosjs");
    assert!(module.exists(), "run `npm ci` in tests/node-red first");
    let input = serde_json::to_string(&(crontabs, STARTS, N)).unwrap();
    let mut child = Command::new("node")
        .arg("-e")
        .arg(SCRIPT)
        .arg(module)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node starts (the test command installs it)");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let answers: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    answers
        .into_iter()
        .map(|answer| serde_json::from_value(answer).ok())
        .collect()
}

#[test]
fn a_device_fires_when_cronosjs_does() {
    let expected = cronosjs(CRONTABS);
    for (crontab, expected) in CRONTABS.iter().zip(expected) {
        let expected = expected.unwrap_or_else(|| panic!("cronosjs refuses {crontab:?}"));
        let schedule = parse(crontab).unwrap_or_else(|error| panic!("{crontab:?}: {error:?}"));
        for (start, expected) in STARTS.iter().zip(expected) {
            let found: Vec<u64> =
                std::iter::successors(schedule.next_after(*start), |at| schedule.next_after(*at))
                    .take(N)
                    .collect();
            assert_eq!(found, expected, "{crontab:?} from {start}");
        }
    }
}

#[test]
fn what_cronosjs_refuses_psosc_refuses() {
    let answers = cronosjs(INVALID);
    for (crontab, answer) in INVALID.iter().zip(answers) {
        assert!(answer.is_none(), "cronosjs reads {crontab:?}");
        assert!(
            matches!(parse(crontab), Err(CrontabError::Invalid(_))),
            "{crontab:?}: {:?}",
            parse(crontab)
        );
    }
}
