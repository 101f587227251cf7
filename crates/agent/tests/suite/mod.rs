mod basics;
pub(crate) mod support;
