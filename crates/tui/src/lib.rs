//! The interactive terminal interface of ferrule.
