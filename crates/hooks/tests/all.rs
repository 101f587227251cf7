//! Integration tests of ferrule-hooks with real shells, real HTTP servers
//! on 127.0.0.1 and real settings files: one module per topic under `suite/`.

mod suite {
    mod callback;
    mod command;
    mod events;
    mod http;
    mod merge;
    mod prompt_agent;
    mod settings;
    mod support;
}
