mod basics;
mod interaction;
mod interrupts;
mod permissions;
mod providers;
mod sessions;
pub(crate) mod support;
