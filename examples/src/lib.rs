//! Small programs a downstream builder copies from; see the `[[example]]` targets.
