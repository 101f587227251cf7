//! Arbitrary bytes as a model response body (ferrule-model's SSE decoder
//! and the two provider stream decoders).
//!
//! The first byte seeds how the body is cut into chunks; the rest is the
//! body. Properties: nothing panics; the events (or the error) do not
//! depend on where the chunks are cut; every event's line is within the
//! lines read; an error names a line within the body. Every event's data is
//! then fed to the OpenAI and the Anthropic decoders: no panic, errors name
//! the provider, and a completed response holds exactly the text its text
//! deltas carried, block by block.

#![no_main]

use std::collections::BTreeMap;

use ferrule_model::sse::{SseDecoder, SseError, SseEvent};
use ferrule_model::{ChatStreamDecoder, MessagesStreamDecoder, ModelError, ModelEvent};
use ferrule_protocol::ContentBlock;
use libfuzzer_sys::fuzz_target;

fn decode(body: &[u8], cuts: &[usize]) -> Result<(Vec<SseEvent>, usize), SseError> {
    let mut decoder = SseDecoder::new();
    let mut events = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&body.len())) {
        let cut = cut.clamp(start, body.len());
        events.extend(decoder.push(&body[start..cut])?);
        start = cut;
    }
    events.extend(decoder.finish()?);
    Ok((events, decoder.lines_read()))
}

fn line_of(error: &SseError) -> usize {
    match error {
        SseError::InvalidUtf8 { line }
        | SseError::UnknownField { line, .. }
        | SseError::LineTooLong { line } => *line,
        _ => 0,
    }
}

/// The text deltas joined per block, and the completed message's text blocks.
fn check_text_assembly(events: &[ModelEvent]) {
    let Some(ModelEvent::Completed { message }) = events.last() else {
        return;
    };
    let mut texts: BTreeMap<usize, String> = BTreeMap::new();
    for event in events {
        if let ModelEvent::TextDelta { index, text } = event {
            texts.entry(*index).or_default().push_str(text);
        }
    }
    let joined: Vec<&str> = texts.values().map(String::as_str).collect();
    let in_message: Vec<&str> = message
        .content
        .iter()
        .filter_map(|block| match block {
            ContentBlock::Text(text) => Some(text.text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(joined, in_message, "text deltas and completed text differ");
}

fn check_provider_error(error: &ModelError, provider: &str) {
    let text = error.to_string();
    assert!(text.starts_with(provider), "{text}");
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, body)) = data.split_first() else {
        return;
    };
    let whole = decode(body, &[]);
    let step = usize::from(seed % 17) + 1;
    let cuts: Vec<usize> = (step..body.len()).step_by(step).collect();
    let chunked = decode(body, &cuts);
    let bytewise = decode(body, &(1..body.len()).collect::<Vec<_>>());
    assert_eq!(whole, chunked, "chunking by {step} changed the result");
    assert_eq!(whole, bytewise, "byte-by-byte decoding changed the result");

    let events = match whole {
        Ok((events, lines)) => {
            for event in &events {
                assert!(
                    event.line >= 1 && event.line <= lines,
                    "line {} of {lines}",
                    event.line
                );
            }
            events
        }
        Err(error) => {
            let line = line_of(&error);
            let max = body
                .iter()
                .filter(|&&byte| byte == b'\n' || byte == b'\r')
                .count()
                + 1;
            assert!(
                line >= 1 && line <= max,
                "{error} (body has at most {max} lines)"
            );
            return;
        }
    };

    let mut openai = ChatStreamDecoder::new("http://fuzz/v1/chat/completions", "m");
    let mut out = Vec::new();
    let mut failed = false;
    for event in &events {
        match openai.on_data(&event.data, event.line) {
            Ok(more) => out.extend(more),
            Err(error) => {
                check_provider_error(&error, "openai");
                failed = true;
                break;
            }
        }
        if openai.is_done() {
            break;
        }
    }
    if !failed {
        match openai.end() {
            Ok(more) => out.extend(more),
            Err(error) => check_provider_error(&error, "openai"),
        }
        check_text_assembly(&out);
    }

    let mut anthropic = MessagesStreamDecoder::new("http://fuzz/v1/messages", "m");
    let mut out = Vec::new();
    for event in &events {
        match anthropic.on_data(&event.data, event.line) {
            Ok(more) => out.extend(more),
            Err(error) => {
                check_provider_error(&error, "anthropic");
                return;
            }
        }
        if anthropic.is_done() {
            break;
        }
    }
    check_text_assembly(&out);
});
