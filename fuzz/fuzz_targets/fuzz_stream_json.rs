//! Arbitrary bytes as one stream-json line of the SDK protocol.
//!
//! Properties: parsing never panics; a line that parses is written back as
//! one compact line that parses to the same typed value, and writing that
//! value again gives the same text (print ∘ parse is stable); the parsed
//! kind is the line's `type`; fields of the input the types do not model
//! survive (the written JSON has every top-level key of the input whose
//! value is not `null`; absent and `null` optional fields are one value);
//! success
//! payloads that parse as a permission answer or an initialize response
//! round-trip too.

#![no_main]

use ferrule_protocol::sdk::{
    ControlResponse, InitializeResponse, PermissionResult, StreamMessage,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        assert!(serde_json::from_slice::<StreamMessage>(data).is_err());
        return;
    };
    let Ok(message) = StreamMessage::from_line(text) else {
        return;
    };
    let line = message.to_line().expect("a parsed message serializes");
    assert!(!line.contains('\n'), "line break in {line}");
    let again = StreamMessage::from_line(&line).expect("written line parses");
    assert_eq!(again, message, "typed value changed through {line}");
    assert_eq!(again.to_line().expect("serializes"), line, "output not stable");

    let input: Value = serde_json::from_str(text.trim()).expect("parsed as a message, so JSON");
    let output: Value = serde_json::from_str(&line).expect("JSON");
    assert_eq!(input["type"].as_str(), Some(message.kind()));
    for (key, value) in input.as_object().expect("an object") {
        if !value.is_null() {
            assert!(output.get(key).is_some(), "key {key} lost: {text} -> {line}");
        }
    }

    if let StreamMessage::ControlResponse(envelope) = &message {
        if let ControlResponse::Success(success) = &envelope.response {
            if let Ok(answer) = success.parse::<PermissionResult>() {
                let json = serde_json::to_value(&answer).expect("serializes");
                assert_eq!(serde_json::from_value::<PermissionResult>(json).ok(), Some(answer));
            }
            if let Ok(init) = success.parse::<InitializeResponse>() {
                let json = serde_json::to_value(&init).expect("serializes");
                assert_eq!(serde_json::from_value::<InitializeResponse>(json).ok(), Some(init));
            }
        }
    }
});
