//! Integration tests of ferrule-model against fake OpenAI-compatible and
//! Anthropic servers on 127.0.0.1, script files in temp dirs, and the
//! model-name resolution table: one module per topic under `suite/`.

mod suite {
    mod anthropic;
    mod openai;
    mod resolve;
    mod retry;
    mod scripted;
    mod support;
}
