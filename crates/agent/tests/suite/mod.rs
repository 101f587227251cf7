mod basics;
mod permissions;
mod providers;
pub(crate) mod support;
