mod basics;
mod hook_runners;
mod interaction;
mod interrupts;
mod permissions;
mod pipeline_hooks;
mod providers;
mod sessions;
pub(crate) mod support;
