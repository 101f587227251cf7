//! ferrule-protocol: parsing and writing stream-json lines.
//!
//! Each case runs over a set of real protocol lines (the worked transcript
//! of `sdk-protocol.md` §15, the partial-message events of §3.6, and one
//! line per control request kind of §6/§7) and is measured beside the same
//! work on an untyped `serde_json::Value`, so the figure to read is the
//! ratio. Run with `cargo bench -p ferrule-benches --bench protocol`;
//! figures are recorded in README.md ("Protocol").

use divan::Bencher;
use ferrule_protocol::sdk::StreamMessage;
use serde_json::Value;

fn main() {
    divan::main();
}

const TRANSCRIPT: &str =
    include_str!("../../crates/protocol/tests/fixtures/stream/s15_transcript.jsonl");
const STREAM_EVENTS: &str =
    include_str!("../../crates/protocol/tests/fixtures/stream/s03_6_stream_events.jsonl");
const CONTROL_REQUESTS: &str =
    include_str!("../../crates/protocol/tests/fixtures/stream/s06_s07_control_requests.jsonl");

const SETS: [&str; 3] = ["transcript", "stream_events", "control_requests"];

fn lines(set: &str) -> Vec<&'static str> {
    let text = match set {
        "transcript" => TRANSCRIPT,
        "stream_events" => STREAM_EVENTS,
        _ => CONTROL_REQUESTS,
    };
    text.lines().filter(|line| !line.is_empty()).collect()
}

fn bytes(lines: &[&str]) -> usize {
    lines.iter().map(|line| line.len()).sum()
}

#[divan::bench(args = SETS)]
fn parse_typed(bencher: Bencher<'_, '_>, set: &str) {
    let lines = lines(set);
    bencher
        .counter(divan::counter::BytesCount::new(bytes(&lines)))
        .bench(|| {
            for line in &lines {
                let _ = divan::black_box(StreamMessage::from_line(divan::black_box(line)));
            }
        });
}

#[divan::bench(args = SETS)]
fn parse_untyped_baseline(bencher: Bencher<'_, '_>, set: &str) {
    let lines = lines(set);
    bencher
        .counter(divan::counter::BytesCount::new(bytes(&lines)))
        .bench(|| {
            for line in &lines {
                let _ = divan::black_box(serde_json::from_str::<Value>(divan::black_box(line)));
            }
        });
}

#[divan::bench(args = SETS)]
fn write_typed(bencher: Bencher<'_, '_>, set: &str) {
    let messages: Vec<StreamMessage> = lines(set)
        .into_iter()
        .filter_map(|line| StreamMessage::from_line(line).ok())
        .collect();
    bencher.bench(|| {
        for message in &messages {
            let _ = divan::black_box(divan::black_box(message).to_line());
        }
    });
}

#[divan::bench(args = SETS)]
fn write_untyped_baseline(bencher: Bencher<'_, '_>, set: &str) {
    let values: Vec<Value> = lines(set)
        .into_iter()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    bencher.bench(|| {
        for value in &values {
            let _ = divan::black_box(serde_json::to_string(divan::black_box(value)));
        }
    });
}
